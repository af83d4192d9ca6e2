using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace OfficeRnD.Auth.Tests
{
    public static class ErrorTests
    {
        private static OfficeRnDAuthException Fail(TokenClientOptions options, string fault)
        {
            Mock.Reset();
            if (fault != null) Mock.Fault(fault);
            using (var client = new TokenClient(options))
            {
                var e = Assert.Throws<OfficeRnDAuthException>(() => client.GetToken(), "GetToken");
                Assert.NoSecret(e.ToString(), "exception");
                Assert.NoSecret(e.Message, "message");
                Assert.NoSecret(client.Stats.ToString(), "stats");
                return e;
            }
        }

        private static TokenClientOptions NoRetries()
        {
            var o = Mock.Options();
            o.MaxRetries = 0;
            return o;
        }

        [DllImport("officernd_auth")]
        private static extern IntPtr officernd_result_name(uint result);

        [Test]
        public static void CodesAreTheCResultNumbers()
        {
            var expected = new Dictionary<ErrorCode, string>
            {
                { ErrorCode.Ok, "ok" }, { ErrorCode.Config, "config" }, { ErrorCode.OAuth, "oauth" },
                { ErrorCode.RateLimited, "rate_limited" }, { ErrorCode.Http, "http" },
                { ErrorCode.Transport, "transport" }, { ErrorCode.Timeout, "timeout" },
                { ErrorCode.InvalidResponse, "invalid_response" }, { ErrorCode.Unknown, "unknown" },
                { ErrorCode.NullParameter, "null_parameter" }, { ErrorCode.InvalidUtf8, "invalid_utf8" },
                { ErrorCode.BufferTooSmall, "buffer_too_small" }, { ErrorCode.Panic, "panic" },
            };
            Assert.Equal(expected.Count, Enum.GetValues(typeof(ErrorCode)).Length, "every code listed");
            foreach (var kv in expected)
            {
                Assert.Equal(kv.Value, Marshal.PtrToStringAnsi(officernd_result_name((uint)kv.Key)), "C name of " + kv.Key);
                Assert.Equal(kv.Value, new OfficeRnDAuthException(kv.Key, "m").CodeName, "CodeName of " + kv.Key);
            }
        }

        [Test]
        public static void Config()
        {
            var o = Mock.Options();
            o.ClientId = null;
            var e = Assert.Throws<OfficeRnDAuthException>(() => new TokenClient(o), "no client id");
            Assert.Equal(ErrorCode.Config, e.Code, "code");
            Assert.Equal("config", e.CodeName, "code name");
            Assert.Equal("client_id", e.Setting, "setting");
            Assert.True(!e.IsRetryable, "not retryable");
            Assert.NoSecret(e.ToString(), "exception");

            o = Mock.Options();
            o.TokenUrl = "http://example.com/oauth/token";
            e = Assert.Throws<OfficeRnDAuthException>(() => new TokenClient(o), "http to a non-loopback host");
            Assert.Equal(ErrorCode.Config, e.Code, "code");
            Assert.Equal("token_url", e.Setting, "setting");

            o = Mock.Options();
            o.Timeout = TimeSpan.Zero;
            e = Assert.Throws<OfficeRnDAuthException>(() => new TokenClient(o), "a zero timeout");
            Assert.Equal(ErrorCode.Config, e.Code, "code");
            Assert.Equal("timeout", e.Setting, "setting");

            o = Mock.Options();
            o.ClientId = "a\0b";
            Assert.Throws<ArgumentException>(() => new TokenClient(o), "a NUL in a string");
        }

        [Test]
        public static void OAuth()
        {
            var o = Mock.Options();
            o.ClientSecret = Mock.WrongSecret;
            var e = Fail(o, null);
            Assert.Equal(ErrorCode.OAuth, e.Code, "code");
            Assert.Equal("invalid_client", e.Error, "error");
            Assert.Equal(401, e.Status, "status");
            Assert.True(!e.IsRetryable, "not retryable");
            Assert.Equal(1L, Mock.TokenRequests, "the terminal answer is remembered, not re-sent");

            e = Fail(Mock.Options(), "{\"kind\":\"oauth_error\",\"status\":400,\"error\":\"invalid_scope\",\"description\":\"not for you\"}");
            Assert.Equal(ErrorCode.OAuth, e.Code, "code");
            Assert.Equal("invalid_scope", e.Error, "error");
            Assert.Equal("not for you", e.ErrorDescription, "error_description");
            Assert.Equal(400, e.Status, "status");
        }

        [Test]
        public static void RateLimited()
        {
            var e = Fail(Mock.Options(), "{\"kind\":\"too_many_requests\",\"retry_after\":\"7\"}");
            Assert.Equal(ErrorCode.RateLimited, e.Code, "code");
            Assert.True(e.RetryAfter.HasValue && e.RetryAfter.Value > TimeSpan.FromSeconds(5)
                && e.RetryAfter.Value <= TimeSpan.FromSeconds(7), "retry after: " + e.RetryAfter);
            Assert.True(e.IsRetryable, "retryable");
            Assert.Equal(1L, Mock.TokenRequests, "the cool-down sends nothing more");
        }

        [Test]
        public static void Http()
        {
            var e = Fail(NoRetries(), "{\"kind\":\"status\",\"status\":503}");
            Assert.Equal(ErrorCode.Http, e.Code, "code");
            Assert.Equal(503, e.Status, "status");
            Assert.True(e.IsRetryable, "retryable");
        }

        [Test]
        public static void Transport()
        {
            var e = Fail(NoRetries(), "{\"kind\":\"connection_reset\"}");
            Assert.Equal(ErrorCode.Transport, e.Code, "code");
            Assert.Equal(null, e.Status, "no status");
            Assert.True(e.IsRetryable, "retryable");
        }

        [Test]
        public static void Timeout()
        {
            var o = NoRetries();
            o.Timeout = TimeSpan.FromMilliseconds(300);
            var e = Fail(o, "{\"kind\":\"delay\",\"ms\":1500}");
            Assert.Equal(ErrorCode.Timeout, e.Code, "code");
            Assert.True(e.IsRetryable, "retryable");
        }

        [Test]
        public static void InvalidResponse()
        {
            var e = Fail(NoRetries(), "{\"kind\":\"malformed_json\"}");
            Assert.Equal(ErrorCode.InvalidResponse, e.Code, "code");
            Assert.True(!e.IsRetryable, "not retryable");
            e = Fail(NoRetries(), "{\"kind\":\"wrong_token_type\"}");
            Assert.Equal(ErrorCode.InvalidResponse, e.Code, "code (token_type mac)");
        }

        [Test]
        public static void AsyncFailuresCarryTheException()
        {
            Mock.Reset();
            Mock.Fault("{\"kind\":\"status\",\"status\":503}");
            using (var client = new TokenClient(NoRetries()))
            using (var cts = new System.Threading.CancellationTokenSource())
            {
                var e = Assert.Throws<OfficeRnDAuthException>(() => client.GetTokenAsync(cts.Token).Wait(), "GetTokenAsync");
                Assert.Equal(ErrorCode.Http, e.Code, "code");
                Assert.Equal(503, e.Status, "status");
            }
        }

        [Test]
        public static void NoSecretInAnyString()
        {
            Mock.Reset();
            var o = Mock.Options();
            Assert.NoSecret(o.ToString(), "options");
            Assert.True(o.ToString().Contains("client_secret=[redacted]"), "options show the secret redacted: " + o);
            using (var client = new TokenClient(o))
            using (var token = client.GetToken())
            {
                Assert.NoSecret(client.ToString(), "client");
                Assert.NoSecret(token.ToString(), "token");
                Assert.True(!token.ToString().Contains(token.AccessToken), "token shows no whole access token: " + token);
                Assert.True(token.ToString().Contains(token.AccessToken.Substring(0, 6)), "token shows a short prefix: " + token);
                Assert.True(!client.Stats.ToString().Contains(token.AccessToken), "stats");
            }
        }
    }
}
