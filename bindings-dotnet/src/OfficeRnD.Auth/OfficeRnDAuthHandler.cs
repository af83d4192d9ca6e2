using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace OfficeRnD.Auth
{
    /// <summary>
    /// A <see cref="DelegatingHandler"/> that puts <c>Authorization: Bearer …</c> on every request and
    /// applies the 401 rule once: when the API answers 401, the refused token is dropped (only if it
    /// is still the cached one) and the request is sent again, once, with the token
    /// <see cref="TokenClient.TokenAfterUnauthorized"/> gives; when there is none, the 401 stands.
    /// A request body is buffered before the first send so that it can be sent again.
    /// <code>
    /// var http = new HttpClient(new OfficeRnDAuthHandler(client) { InnerHandler = new HttpClientHandler() });
    /// // IHttpClientFactory: services.AddTransient(_ =&gt; new OfficeRnDAuthHandler(client));
    /// //                     services.AddHttpClient("officernd").AddHttpMessageHandler&lt;OfficeRnDAuthHandler&gt;();
    /// </code>
    /// The handler does not own the <see cref="TokenClient"/> (dispose it yourself).
    /// </summary>
    public class OfficeRnDAuthHandler : DelegatingHandler
    {
        private readonly TokenClient _client;

        /// <summary>A handler whose <see cref="DelegatingHandler.InnerHandler"/> is set by the caller or the factory.</summary>
        public OfficeRnDAuthHandler(TokenClient client)
        {
            if (client == null) throw new ArgumentNullException(nameof(client));
            _client = client;
        }

        /// <summary>A handler sending through <paramref name="innerHandler"/>.</summary>
        public OfficeRnDAuthHandler(TokenClient client, HttpMessageHandler innerHandler) : base(innerHandler)
        {
            if (client == null) throw new ArgumentNullException(nameof(client));
            _client = client;
        }

        /// <inheritdoc/>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            byte[] body = null;
            if (request.Content != null)
                body = await request.Content.ReadAsByteArrayAsync().ConfigureAwait(false);

            using (var token = await _client.GetTokenAsync(cancellationToken).ConfigureAwait(false))
            {
                request.Headers.Authorization = Header(token);
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

                Token next;
                try { next = await _client.TokenAfterUnauthorizedAsync(token, cancellationToken).ConfigureAwait(false); }
                catch { response.Dispose(); throw; }
                if (next == null) return response; // the valid token is the refused one: the 401 stands
                using (next)
                {
                    var retry = Rebuild(request, body);
                    retry.Headers.Authorization = Header(next);
                    response.Dispose();
                    return await base.SendAsync(retry, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private static AuthenticationHeaderValue Header(Token token)
        {
            return new AuthenticationHeaderValue(token.TokenType, token.AccessToken);
        }

        /// <summary>A copy of <paramref name="request"/> to send again (the same method, URI, headers and body).</summary>
        private static HttpRequestMessage Rebuild(HttpRequestMessage request, byte[] body)
        {
            var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
            foreach (var h in request.Headers)
                if (!string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
                    copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            foreach (KeyValuePair<string, object> p in request.Properties) copy.Properties[p.Key] = p.Value;
            if (body != null)
            {
                copy.Content = new ByteArrayContent(body);
                foreach (var h in request.Content.Headers) copy.Content.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
            return copy;
        }
    }
}
