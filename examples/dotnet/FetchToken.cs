// OfficeRnD.Auth from C#: a client from the environment (OFFICERND_CLIENT_ID, _SECRET, _SCOPES,
// _TOKEN_URL, and OFFICERND_STORE / OFFICERND_STORE_PATH to share the token between processes),
// a token fetched once and then served from cache, and an HttpClient whose OfficeRnDAuthHandler
// adds the header and applies the 401 rule. Never prints the token (Token.ToString() is redacted).
//
// With OFFICERND_MOCK_URL set (make demo) it calls the mock's protected resource; otherwise
// OfficeRnD's API (OFFICERND_API_URL, default https://app.officernd.com/api/v2/me).
using System;
using System.Net.Http;
using System.Threading.Tasks;
using OfficeRnD.Auth;

public static class FetchToken
{
    public static async Task<int> Run()
    {
        using (var client = TokenClient.FromEnvironment())
        {
            using (var first = await client.GetTokenAsync())
            using (var second = await client.GetTokenAsync())
            {
                Console.WriteLine("token: " + first + " scopes: " + string.Join(" ", first.Scopes));
                Console.WriteLine("second call, same token from the cache: " + (first.AccessToken == second.AccessToken));
            }

            var mock = Environment.GetEnvironmentVariable("OFFICERND_MOCK_URL");
            var url = !string.IsNullOrEmpty(mock) ? mock + "/api/v2/me"
                : Environment.GetEnvironmentVariable("OFFICERND_API_URL") ?? "https://app.officernd.com/api/v2/me";
            // With IHttpClientFactory: services.AddHttpClient("officernd").AddHttpMessageHandler(() => new OfficeRnDAuthHandler(client));
            using (var http = new HttpClient(new OfficeRnDAuthHandler(client, new HttpClientHandler())))
            using (var response = await http.GetAsync(url))
            {
                Console.WriteLine("GET " + url + " -> " + (int)response.StatusCode + " " + await response.Content.ReadAsStringAsync());
                var stats = client.Stats;
                Console.WriteLine("stats: requests sent " + stats.RequestsSent + ", cache hits " + stats.CacheHits
                    + ", budget left " + stats.BudgetRemaining + "/" + stats.BudgetCapacity);
                return response.IsSuccessStatusCode ? 0 : 1;
            }
        }
    }

    public static int Main()
    {
        try
        {
            return Run().GetAwaiter().GetResult();
        }
        catch (OfficeRnDAuthException e)
        {
            Console.Error.WriteLine("token failed: [" + e.CodeName + "] " + e.Message
                + (e.Error != null ? " (" + e.Error + ", HTTP " + e.Status + ")" : "")
                + (e.RetryAfter.HasValue ? " retry after " + e.RetryAfter.Value.TotalSeconds + " s" : ""));
            return 1;
        }
    }
}
