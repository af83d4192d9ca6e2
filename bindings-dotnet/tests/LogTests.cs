using System;
using System.Collections.Generic;
using System.Linq;

namespace OfficeRnD.Auth.Tests
{
    public static class LogTests
    {
        [Test]
        public static void RecordsReachTheHandlerWithoutSecrets()
        {
            Mock.Reset();
            var records = new List<string>();
            OfficeRnDAuthLog.SetHandler((level, target, message) =>
            {
                lock (records) records.Add(level + " " + target + " " + message);
            }, LogLevel.Trace);
            try
            {
                string access;
                using (var client = new TokenClient(Mock.Options()))
                using (var token = client.GetToken())
                {
                    access = token.AccessToken;
                    client.Invalidate(token);
                }
                var o = Mock.Options();
                o.ClientSecret = Mock.WrongSecret;
                using (var bad = new TokenClient(o))
                    Assert.Throws<OfficeRnDAuthException>(() => bad.GetToken(), "wrong secret");
                List<string> seen;
                lock (records) seen = records.ToList();
                Assert.True(seen.Count > 0, "records were logged");
                Assert.True(seen.Any(r => r.Contains("officernd_auth")), "targets name the library: " + string.Join(" | ", seen));
                foreach (var r in seen)
                {
                    Assert.NoSecret(r, "log record");
                    Assert.True(!r.Contains(access), "no whole access token in: " + r);
                }
            }
            finally { OfficeRnDAuthLog.SetHandler(null); }
            int before;
            lock (records) before = records.Count;
            using (var client = new TokenClient(Mock.Options())) client.GetToken().Dispose();
            lock (records) Assert.Equal(before, records.Count, "no record after SetHandler(null)");
        }
    }
}
