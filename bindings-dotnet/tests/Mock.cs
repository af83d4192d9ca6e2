// The mock identity server started by scripts/with-mock.sh (OFFICERND_MOCK_URL and the demo
// app's OFFICERND_* variables), driven through its control API.
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;

namespace OfficeRnD.Auth.Tests
{
    public static class Mock
    {
        private static readonly HttpClient Http = new HttpClient();

        public static string Url { get { return Env("OFFICERND_MOCK_URL"); } }
        public static string TokenUrl { get { return Env("OFFICERND_TOKEN_URL"); } }
        public static string ClientId { get { return Env("OFFICERND_CLIENT_ID"); } }
        public static string ClientSecret { get { return Env("OFFICERND_CLIENT_SECRET"); } }
        public static string Scopes { get { return Env("OFFICERND_SCOPES"); } }
        public const string WrongSecret = "wrong-s3cr3t-never-shown";

        /// <summary>Every secret no string may show.</summary>
        public static IEnumerable<string> Secrets { get { return new[] { ClientSecret, WrongSecret }; } }

        private static string Env(string name)
        {
            var v = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(v)) throw new Exception(name + " is not set: run the suite through scripts/with-mock.sh (make test-dotnet)");
            return v;
        }

        /// <summary>Options for the demo app against the mock, with a cache of its own.</summary>
        public static TokenClientOptions Options()
        {
            return new TokenClientOptions
            {
                ClientId = ClientId,
                ClientSecret = ClientSecret,
                Scopes = Scopes.Split(' '),
                TokenUrl = TokenUrl,
                ShareCache = false,
                MaxRequests = 1000,
            };
        }

        public static void Reset() { Post("/_mock/reset", null); }
        /// <summary>Token lifetime of the next tokens issued (Reset restores the default).</summary>
        public static void Lifetime(int seconds) { Post("/_mock/config", "{\"lifetime\":" + seconds + "}"); }

        /// <summary>The User-Agent of the last token request (nothing else of it is read: its form holds the secret).</summary>
        public static string LastUserAgent()
        {
            var body = Http.GetStringAsync(Url + "/_mock/last_request").Result;
            var m = Regex.Match(body, "\\[\"user-agent\",\"([^\"]*)\"\\]", RegexOptions.IgnoreCase);
            return m.Success ? m.Groups[1].Value : null;
        }
        public static void Revoke() { Post("/_mock/revoke", null); }
        public static void Fault(string json) { Post("/_mock/faults", "[" + json + "]"); }

        public static long Stat(string name)
        {
            var body = Http.GetStringAsync(Url + "/_mock/stats").Result;
            var m = Regex.Match(body, "\"" + name + "\":(\\d+)");
            if (!m.Success) throw new Exception("no " + name + " in " + body);
            return long.Parse(m.Groups[1].Value);
        }

        public static long TokenRequests { get { return Stat("token_requests"); } }

        private static void Post(string path, string json)
        {
            var content = new StringContent(json ?? "", Encoding.UTF8, "application/json");
            using (var r = Http.PostAsync(Url + path, content).Result)
                if (!r.IsSuccessStatusCode) throw new Exception("POST " + path + ": " + (int)r.StatusCode);
        }
    }
}
