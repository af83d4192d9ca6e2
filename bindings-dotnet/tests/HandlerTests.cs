using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OfficeRnD.Auth.Tests
{
    public static class HandlerTests
    {
        [Test]
        public static void AddsTheHeaderAndRetriesOnceAfterARevokedToken()
        {
            Mock.Reset();
            using (var client = new TokenClient(Mock.Options()))
            using (var http = new HttpClient(new OfficeRnDAuthHandler(client, new HttpClientHandler())))
            {
                Assert.Equal(HttpStatusCode.OK, http.GetAsync(Mock.Url + "/api/v2/me").Result.StatusCode, "first call");
                Assert.Equal(1L, Mock.TokenRequests, "token requests");
                Mock.Revoke(); // like deleting the app: the cached token now gets 401
                var r = http.GetAsync(Mock.Url + "/api/v2/me").Result;
                Assert.Equal(HttpStatusCode.OK, r.StatusCode, "after revoke: 401, new token, retried once");
                Assert.True(r.Content.ReadAsStringAsync().Result.Contains(Mock.ClientId), "the resource's answer");
                Assert.Equal(2L, Mock.TokenRequests, "one new token request");
                Assert.Equal(3L, Mock.Stat("resource_requests"), "resource requests: 1 + (401 + retry)");
                Assert.Equal(HttpStatusCode.OK, http.GetAsync(Mock.Url + "/api/v2/me").Result.StatusCode, "third call");
                Assert.Equal(2L, Mock.TokenRequests, "the new token is cached");
            }
        }

        /// <summary>An inner handler that answers from a script and records what it was sent.</summary>
        private sealed class Recorder : HttpMessageHandler
        {
            public readonly List<string> Bodies = new List<string>();
            public readonly List<string> Authorizations = new List<string>();
            public readonly List<string> Custom = new List<string>();
            public readonly List<string> ContentTypes = new List<string>();
            public Func<int, HttpStatusCode> Answer;

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
            {
                Bodies.Add(request.Content == null ? null : await request.Content.ReadAsStringAsync());
                ContentTypes.Add(request.Content == null ? null : request.Content.Headers.ContentType.ToString());
                Authorizations.Add(request.Headers.Authorization.ToString());
                Custom.Add(string.Join(",", request.Headers.GetValues("X-Custom")));
                return new HttpResponseMessage(Answer(Bodies.Count)) { RequestMessage = request };
            }
        }

        [Test]
        public static void RebuildsTheRequestWithItsBufferedBody()
        {
            Mock.Reset();
            var inner = new Recorder { Answer = n => n == 1 ? HttpStatusCode.Unauthorized : HttpStatusCode.Created };
            using (var client = new TokenClient(Mock.Options()))
            using (var http = new HttpClient(new OfficeRnDAuthHandler(client, inner)))
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9/api/v2/members");
                request.Headers.Add("X-Custom", "kept");
                request.Content = new StringContent("{\"name\":\"Ada\"}", Encoding.UTF8, "application/json");
                var r = http.SendAsync(request).Result;
                Assert.Equal(HttpStatusCode.Created, r.StatusCode, "the retry's answer");
                Assert.Equal(2, inner.Bodies.Count, "sent twice");
                Assert.True(inner.Bodies.All(b => b == "{\"name\":\"Ada\"}"), "the body both times: " + string.Join(" | ", inner.Bodies));
                Assert.True(inner.ContentTypes.All(c => c.StartsWith("application/json")), "content type both times");
                Assert.True(inner.Custom.All(c => c == "kept"), "other headers kept");
                Assert.True(inner.Authorizations[0] != inner.Authorizations[1], "a different token the second time");
                Assert.Equal(2L, Mock.TokenRequests, "the refused token dropped, one new one fetched");
            }
        }

        [Test]
        public static void RetriesOnlyOnce()
        {
            Mock.Reset();
            var inner = new Recorder { Answer = n => HttpStatusCode.Unauthorized };
            using (var client = new TokenClient(Mock.Options()))
            using (var http = new HttpClient(new OfficeRnDAuthHandler(client, inner)))
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:9/api/v2/me");
                request.Headers.Add("X-Custom", "x");
                Assert.Equal(HttpStatusCode.Unauthorized, http.SendAsync(request).Result.StatusCode, "the 401 stands");
                Assert.Equal(2, inner.Bodies.Count, "sent twice, no more");
                Assert.Equal(2L, Mock.TokenRequests, "token requests");
            }
        }

        [Test]
        public static void TokenErrorsSurfaceAsTheException()
        {
            Mock.Reset();
            var o = Mock.Options();
            o.ClientSecret = Mock.WrongSecret;
            var inner = new Recorder { Answer = n => HttpStatusCode.OK };
            using (var client = new TokenClient(o))
            using (var http = new HttpClient(new OfficeRnDAuthHandler(client, inner)))
            {
                var e = Assert.Throws<OfficeRnDAuthException>(() => http.GetAsync("http://127.0.0.1:9/x").Wait(), "GET");
                Assert.Equal(ErrorCode.OAuth, e.Code, "code");
                Assert.Equal(0, inner.Bodies.Count, "nothing sent without a token");
            }
        }
    }
}
