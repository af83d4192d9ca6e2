using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace OfficeRnD.Auth.Tests
{
    public static class TokenClientTests
    {
        private static readonly HttpClient Http = new HttpClient();

        private static HttpStatusCode CallResource(string authorization)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Mock.Url + "/api/v2/me");
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using (var r = Http.SendAsync(request).Result) return r.StatusCode;
        }

        /// <summary>
        /// Runs <paramref name="check"/> while every thread-pool worker is blocked (the pool capped at
        /// its minimum, one blocking work item per worker), so that work handed to the pool cannot
        /// run before the pool is released: a task complete on return inside it completed on the
        /// caller's thread, not by a quick thread-pool hop.
        /// </summary>
        private static T WithThreadPoolBusy<T>(Func<T> check)
        {
            int maxWorkers, maxIo, minWorkers, minIo;
            ThreadPool.GetMaxThreads(out maxWorkers, out maxIo);
            ThreadPool.GetMinThreads(out minWorkers, out minIo);
            int n = Math.Max(1, minWorkers);
            Assert.True(ThreadPool.SetMaxThreads(n, maxIo), "cap the thread pool at " + n + " workers");
            using (var started = new CountdownEvent(n))
            using (var release = new ManualResetEventSlim())
            {
                try
                {
                    for (int i = 0; i < n; i++) ThreadPool.QueueUserWorkItem(_ => { started.Signal(); release.Wait(); });
                    started.Wait();
                    return check();
                }
                finally
                {
                    release.Set();
                    ThreadPool.SetMaxThreads(maxWorkers, maxIo);
                }
            }
        }

        [Test]
        public static void TokenIsAcceptedByTheProtectedResource()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            using (var token = client.GetToken())
            {
                Assert.Equal(HttpStatusCode.OK, CallResource(token.AuthorizationHeaderValue), "GET /api/v2/me");
                Assert.Equal("Bearer " + token.AccessToken, token.AuthorizationHeaderValue, "header value");
                Assert.Equal("Bearer", token.TokenType, "token type");
                Assert.True(token.Scopes.Contains("officernd.api.read"), "granted scopes: " + string.Join(" ", token.Scopes));
                Assert.True(token.ExpiresIn > TimeSpan.FromSeconds(3500) && token.ExpiresIn <= TimeSpan.FromSeconds(3600),
                    "expires in about an hour: " + token.ExpiresIn);
                Assert.Equal(token.AccessToken, client.GetToken().AccessToken, "second call: the cached token");
                Assert.Equal(1L, Mock.TokenRequests, "token requests");
                var header = client.GetAuthorizationHeaderAsync().Result;
                Assert.Equal(token.AuthorizationHeaderValue, header, "GetAuthorizationHeaderAsync");
            }
        }

        [Test]
        public static void SixteenThreadsSendOneRequest()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            {
                var start = new Barrier(16);
                var tokens = new string[16];
                var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
                {
                    start.SignalAndWait();
                    using (var t = client.GetToken()) tokens[i] = t.AccessToken;
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                Assert.Equal(1L, Mock.TokenRequests, "token requests for 16 threads");
                Assert.Equal(1, tokens.Distinct().Count(), "every thread got the same token");
                Assert.Equal(1L, client.Stats.RequestsSent, "stats.RequestsSent");
            }
        }

        [Test]
        public static void SixteenTasksSendOneRequest()
        {
            Mock.Reset();
            Mock.Fault("{\"kind\":\"delay\",\"ms\":300}");
            using (var client = new TokenClient(Mock.Options()))
            {
                var tasks = Enumerable.Range(0, 16).Select(_ => client.GetTokenAsync()).ToArray();
                Task.WaitAll(tasks);
                Assert.Equal(1, tasks.Select(t => t.Result.AccessToken).Distinct().Count(), "one token");
                Assert.Equal(1L, Mock.TokenRequests, "token requests for 16 tasks");
                foreach (var t in tasks) t.Result.Dispose();
            }
        }

        [Test]
        public static void CachedTokenCompletesSynchronously()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            {
                client.GetToken().Dispose();
                var hits = client.Stats.CacheHits;
                var status = WithThreadPoolBusy(() =>
                {
                    var t = client.GetTokenAsync(new CancellationTokenSource().Token);
                    var onReturn = t.Status;
                    t.ContinueWith(done => done.Result.Dispose(), TaskContinuationOptions.ExecuteSynchronously);
                    return onReturn;
                });
                Assert.True(status == TaskStatus.RanToCompletion, "completed on return: " + status);
                Assert.Equal(hits + 1, client.Stats.CacheHits, "a cache hit");
            }
        }

        [Test]
        public static void SyncCompletionFollowsTheLibrarysFreshnessRule()
        {
            // A 200 s token: the library refreshes it after half its lifetime (RefreshAhead, 300 s
            // by default, is capped there), so it is fresh now and a cache hit must complete
            // synchronously, whatever a rule restated from the time left would say.
            Mock.Reset();
            Mock.Lifetime(200);
            using (var client = new TokenClient(Mock.Options()))
            {
                using (var first = client.GetToken())
                    Assert.True(first.ExpiresIn <= TimeSpan.FromSeconds(200), "a short-lived token: " + first.ExpiresIn);
                var hits = client.Stats.CacheHits;
                var status = WithThreadPoolBusy(() =>
                {
                    var t = client.GetTokenAsync(new CancellationTokenSource().Token);
                    var onReturn = t.Status;
                    t.ContinueWith(done => done.Result.Dispose(), TaskContinuationOptions.ExecuteSynchronously);
                    return onReturn;
                });
                Assert.True(status == TaskStatus.RanToCompletion, "completed on return: " + status);
                Assert.Equal(hits + 1, client.Stats.CacheHits, "a cache hit");
                Assert.Equal(1L, Mock.TokenRequests, "token requests");
                // Invalidated, nothing is fresh: the fetch runs off the caller's thread.
                using (var cached = client.GetToken()) client.Invalidate(cached);
                Mock.Fault("{\"kind\":\"delay\",\"ms\":300}");
                var fetch = client.GetTokenAsync(new CancellationTokenSource().Token);
                Assert.True(!fetch.IsCompleted, "a fetch is not complete on return: " + fetch.Status);
                fetch.Result.Dispose();
                Assert.Equal(2L, Mock.TokenRequests, "token requests after the invalidation");
            }
        }

        [Test]
        public static void UserAgentNamesTheDotnetBinding()
        {
            Mock.Reset();
            var want = "officernd-auth/" + TokenClient.NativeVersion + " (dotnet)";
            using (var client = new TokenClient(Mock.Options()))
                client.GetToken().Dispose();
            Assert.Equal(1L, Mock.TokenRequests, "token requests");
            Assert.Equal(want, Mock.LastUserAgent(), "User-Agent (new TokenClient)");
            // FromEnvironment, with a file store of its own so that it sends a request.
            var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "officernd-dotnet-ua-" + Guid.NewGuid().ToString("N"));
            Environment.SetEnvironmentVariable("OFFICERND_STORE_PATH", dir);
            try
            {
                using (var client = TokenClient.FromEnvironment())
                    client.GetToken().Dispose();
            }
            finally
            {
                Environment.SetEnvironmentVariable("OFFICERND_STORE_PATH", null);
                if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, true);
            }
            Assert.Equal(2L, Mock.TokenRequests, "token requests");
            Assert.Equal(want, Mock.LastUserAgent(), "User-Agent (FromEnvironment)");
        }

        [Test]
        public static void CancellationReturnsAtOnceAndTheFetchStillFillsTheCache()
        {
            Mock.Reset();
            Mock.Fault("{\"kind\":\"delay\",\"ms\":1500}");
            using (var client = new TokenClient(Mock.Options()))
            using (var cts = new CancellationTokenSource())
            {
                var watch = Stopwatch.StartNew();
                var task = client.GetTokenAsync(cts.Token);
                Assert.True(!task.IsCompleted, "a fetch is not complete on return");
                cts.Cancel();
                Assert.True(task.IsCanceled, "cancelled as soon as Cancel() returns: " + task.Status);
                Assert.Throws<OperationCanceledException>(() => task.Wait(), "the cancelled task");
                Assert.True(task.IsCanceled, "status Canceled: " + task.Status);
                Assert.True(watch.ElapsedMilliseconds < 1000, "returned at once: " + watch.ElapsedMilliseconds + " ms");
                using (var token = client.GetToken())
                    Assert.Equal(HttpStatusCode.OK, CallResource(token.AuthorizationHeaderValue), "the token the fetch brought");
                Assert.Equal(1L, Mock.TokenRequests, "the cancelled fetch's request is the only one");
            }
        }

        [Test]
        public static void AlreadyCancelledTokenSendsNothing()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            {
                var task = client.GetTokenAsync(new CancellationToken(true));
                Assert.True(task.IsCanceled, "cancelled: " + task.Status);
                Assert.Equal(0L, Mock.TokenRequests, "token requests");
            }
        }

        [Test]
        public static void InvalidateDropsOnlyTheCachedToken()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            using (var first = client.GetToken())
            {
                Assert.True(client.Invalidate(first), "dropped");
                Assert.True(!client.Invalidate(first), "not dropped twice");
                using (var second = client.GetToken())
                {
                    Assert.True(first.AccessToken != second.AccessToken, "a new token");
                    Assert.True(!client.Invalidate(first), "an old token does not drop the new one");
                    Assert.Equal(2L, Mock.TokenRequests, "token requests");
                }
            }
        }

        [Test]
        public static void TokenAfterUnauthorizedGivesTheNewerTokenWithoutARequest()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            using (var first = client.GetToken())
            {
                Mock.Revoke();
                using (var next = client.TokenAfterUnauthorizedAsync(first).Result)
                {
                    Assert.True(next != null && next.AccessToken != first.AccessToken, "a new token");
                    Assert.Equal(HttpStatusCode.OK, CallResource(next.AuthorizationHeaderValue), "the new token works");
                    // A late 401 for the token already replaced: the newer token, no request.
                    using (var again = client.TokenAfterUnauthorized(first))
                        Assert.Equal(next.AccessToken, again.AccessToken, "the newer token");
                    Assert.Equal(2L, Mock.TokenRequests, "token requests");
                }
            }
        }

        [Test]
        public static void FromEnvironmentReadsTheSameVariables()
        {
            Mock.Reset();
            using (var client = TokenClient.FromEnvironment())
            using (var token = client.GetToken())
                Assert.Equal(HttpStatusCode.OK, CallResource(token.AuthorizationHeaderValue), "GET /api/v2/me");
            var id = Environment.GetEnvironmentVariable("OFFICERND_CLIENT_ID");
            Environment.SetEnvironmentVariable("OFFICERND_CLIENT_ID", null);
            try
            {
                var e = Assert.Throws<OfficeRnDAuthException>(() => TokenClient.FromEnvironment(), "no client id");
                Assert.Equal(ErrorCode.Config, e.Code, "code");
                Assert.True((e.Setting ?? "").Contains("CLIENT_ID"), "setting: " + e.Setting);
            }
            finally { Environment.SetEnvironmentVariable("OFFICERND_CLIENT_ID", id); }
        }

        [Test]
        public static void StatsUseTheLibrarysNames()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            {
                var empty = client.Stats;
                Assert.True(empty.ExpiresIn == null, "no token cached yet");
                client.GetToken().Dispose();
                client.GetToken().Dispose();
                var s = client.Stats;
                Assert.Equal(1L, s.RequestsSent, "requests sent");
                Assert.Equal(1L, s.RequestsOk, "requests ok");
                Assert.True(s.CacheHits >= 1, "cache hits " + s.CacheHits);
                Assert.Equal(s.RequestsSent, s.Fields["requests_sent"], "Fields[requests_sent]");
                Assert.Equal(s.CacheHits, s.Fields["cache_hits"], "Fields[cache_hits]");
                Assert.Equal(1000, s.BudgetCapacity, "budget capacity (MaxRequests)");
                Assert.Equal(999, s.BudgetRemaining, "budget remaining");
                Assert.True(s.ExpiresIn > TimeSpan.FromSeconds(3500), "expires in " + s.ExpiresIn);
                Assert.Equal(ErrorCode.Ok, s.LastErrorCode, "last error");
            }
        }

        [Test]
        public static void DisposedHandlesAreNeverUsed()
        {
            Mock.Reset();
            var client = new TokenClient(Mock.Options());
            var token = client.GetToken();
            token.Dispose();
            token.Dispose();
            Assert.True(token.AccessToken.Length > 0, "values stay readable");
            Assert.Throws<ObjectDisposedException>(() => client.Invalidate(token), "a disposed token");
            client.Dispose();
            client.Dispose();
            Assert.Throws<ObjectDisposedException>(() => client.GetToken(), "a disposed client");
            Assert.Throws<ObjectDisposedException>(() => { var s = client.Stats; }, "stats of a disposed client");
        }

        [Test]
        public static void DisposeWhileCallsRunWaitsForThem()
        {
            Mock.Reset();
            Mock.Fault("{\"kind\":\"delay\",\"ms\":300}");
            var client = new TokenClient(Mock.Options());
            var task = Task.Run(() => client.GetToken());
            // The SafeHandle is reference-counted by every call: Dispose only marks it, the
            // native client is freed when the running call returns. Waits (no sleep) until the
            // mock has the request, so the call is inside the native library when Dispose runs.
            while (Mock.TokenRequests == 0) Thread.Yield();
            client.Dispose();
            using (var token = task.Result) Assert.True(token.AccessToken.Length > 0, "the running call finished");
        }
    }
}
