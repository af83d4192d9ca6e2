// The C# side of the interop check (make test-interop): a program outside the repository
// (interop/run.sh compiles it with mcs in a temporary directory against the built
// OfficeRnD.Auth.dll; the installed libofficernd_auth is found through LD_LIBRARY_PATH). Against a
// real OAuth 2.0 server (interop/real-server) it calls the server's protected resource through
// HttpClient with OfficeRnDAuthHandler (TokenClient.FromEnvironment), and with --revoke has the
// server revoke its tokens and calls again: the handler gets the 401, fetches a new token once
// and resends. It checks how many token requests this process sent:
//
//   mono DotnetClient.exe RESOURCE_URL EXPECTED_REQUESTS [--revoke REVOKE_URL]
//
// It prints the token redacted only (Token.ToString()), and exits 1 on any failure.
using System;
using System.Net;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using OfficeRnD.Auth;

public static class DotnetClient
{
    private static async Task Call(HttpClient http, string url, string clientId)
    {
        using (var response = await http.GetAsync(url).ConfigureAwait(false))
        {
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                throw new Exception("GET " + url + ": " + (int)response.StatusCode);
            if (!Regex.IsMatch(body, "\"client_id\":\"" + Regex.Escape(clientId) + "\""))
                throw new Exception("GET " + url + ": unexpected answer " + body);
            Console.WriteLine("dotnet-client: GET /api/me -> 200 " + body.Trim());
        }
    }

    private static async Task Run(string resource, long expected, string revokeUrl)
    {
        var clientId = Environment.GetEnvironmentVariable("OFFICERND_CLIENT_ID");
        using (var client = TokenClient.FromEnvironment())
        using (var http = new HttpClient(new OfficeRnDAuthHandler(client, new HttpClientHandler())))
        {
            await Call(http, resource, clientId).ConfigureAwait(false);
            using (var token = await client.GetTokenAsync().ConfigureAwait(false))
                Console.WriteLine("dotnet-client: token " + token);
            if (revokeUrl != null)
            {
                using (var plain = new HttpClient())
                using (var r = await plain.PostAsync(revokeUrl, new StringContent("")).ConfigureAwait(false))
                    if (!r.IsSuccessStatusCode) throw new Exception("POST " + revokeUrl + ": " + (int)r.StatusCode);
                Console.WriteLine("dotnet-client: the server revoked every token; calling again");
                await Call(http, resource, clientId).ConfigureAwait(false);
            }
            var sent = client.Stats.RequestsSent;
            Console.WriteLine("dotnet-client: " + sent + " token request(s) sent by this process");
            if (sent != expected)
                throw new Exception(sent + " token requests sent by this process, want " + expected);
        }
    }

    public static int Main(string[] args)
    {
        if (args.Length != 2 && !(args.Length == 4 && args[2] == "--revoke"))
        {
            Console.Error.WriteLine("usage: DotnetClient.exe RESOURCE_URL EXPECTED_REQUESTS [--revoke REVOKE_URL]");
            return 2;
        }
        try
        {
            Run(args[0], long.Parse(args[1]), args.Length == 4 ? args[3] : null).GetAwaiter().GetResult();
            return 0;
        }
        catch (OfficeRnDAuthException e)
        {
            Console.Error.WriteLine("dotnet-client: [" + e.CodeName + "] " + e.Message);
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("dotnet-client: " + e.Message);
            return 1;
        }
    }
}
