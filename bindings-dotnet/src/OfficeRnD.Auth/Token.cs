using System;
using System.Collections.Generic;
using System.Threading;

namespace OfficeRnD.Auth
{
    /// <summary>
    /// A valid access token with its expiry and granted scopes. <see cref="ToString"/> shows a short
    /// prefix only; never log <see cref="AccessToken"/>. Dispose it to free its native handle at once
    /// (otherwise the finalizer does); its values stay readable after Dispose.
    /// </summary>
    public sealed class Token : IDisposable
    {
        private readonly TokenHandle _handle;

        internal Token(TokenHandle handle)
        {
            _handle = handle;
            AccessToken = Native.ReadTokenString(handle, Native.officernd_token_access_token,
                checked((int)Native.officernd_token_access_token_len(handle).ToUInt64()) + 1);
            AuthorizationHeaderValue = Native.ReadTokenString(handle, Native.officernd_token_authorization_header,
                AccessToken.Length * 4 + 16);
            string scopes = Native.ReadTokenString(handle, Native.officernd_token_scopes, 256);
            Scopes = scopes.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            Redacted = Native.ReadTokenString(handle, Native.officernd_token_redacted, 64);
            ExpiresAt = DateTimeOffset.FromUnixTimeSeconds(Native.officernd_token_expires_at(handle));
        }

        /// <summary>The access token. Secret: never log it.</summary>
        public string AccessToken { get; private set; }

        /// <summary>Always <c>"Bearer"</c>.</summary>
        public string TokenType { get { return "Bearer"; } }

        /// <summary>The <c>Authorization</c> header value, <c>"Bearer &lt;access token&gt;"</c>. Secret.</summary>
        public string AuthorizationHeaderValue { get; private set; }

        /// <summary>The granted scopes as the server answered them (the requested ones when it did not say).</summary>
        public IReadOnlyList<string> Scopes { get; private set; }

        /// <summary>When the token expires (second precision).</summary>
        public DateTimeOffset ExpiresAt { get; private set; }

        /// <summary>Time left until <see cref="ExpiresAt"/> (zero once expired).</summary>
        public TimeSpan ExpiresIn
        {
            get
            {
                var left = ExpiresAt - DateTimeOffset.UtcNow;
                return left < TimeSpan.Zero ? TimeSpan.Zero : left;
            }
        }

        private string Redacted { get; set; }

        /// <summary>The native handle, for the calls that take a token (kept alive by the SafeHandle).</summary>
        internal TokenHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(Token));
                return _handle;
            }
        }

        /// <summary>Frees the native handle (the values stay readable).</summary>
        public void Dispose() { _handle.Dispose(); }

        /// <summary>A hint safe for logs: the first 6 characters and <c>…[redacted]</c>.</summary>
        public override string ToString()
        {
            return "Token(" + Redacted + ", expires " + ExpiresAt.ToString("u") + ")";
        }
    }

    /// <summary>Metrics of a client's cache and budget (shared by every client with the same settings).</summary>
    public sealed class TokenStats
    {
        internal TokenStats(Native.Stats s)
        {
            RequestsOk = (long)s.RequestsOk;
            RequestsOAuthError = (long)s.RequestsOAuthError;
            RequestsRateLimited = (long)s.RequestsRateLimited;
            RequestsHttpError = (long)s.RequestsHttpError;
            RequestsTransportError = (long)s.RequestsTransportError;
            RequestsTimeout = (long)s.RequestsTimeout;
            RequestsInvalidResponse = (long)s.RequestsInvalidResponse;
            RequestsSent = (long)s.RequestsSent;
            CacheHits = (long)s.CacheHits;
            StaleServed = (long)s.StaleServed;
            RefusedLocally = (long)s.RefusedLocally;
            BudgetRemaining = (int)s.BudgetRemaining;
            BudgetCapacity = (int)s.BudgetCapacity;
            ExpiresIn = s.ExpiresInMs < 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(s.ExpiresInMs);
            LastErrorCode = (ErrorCode)s.LastError;
            // Every metric by the library's own names (the same in every language).
            var fields = new Dictionary<string, long>();
            ulong count = Native.officernd_stats_field_count().ToUInt64();
            for (ulong i = 0; i < count; i++)
            {
                var index = new UIntPtr(i);
                fields[Native.FromUtf8(Native.officernd_stats_field_name(index))] = Native.officernd_stats_field_value(ref s, index);
            }
            Fields = fields;
        }

        /// <summary>Token requests answered with a token.</summary>
        public long RequestsOk { get; private set; }
        /// <summary>Token requests answered with an RFC 6749 error.</summary>
        public long RequestsOAuthError { get; private set; }
        /// <summary>Token requests answered 429.</summary>
        public long RequestsRateLimited { get; private set; }
        /// <summary>Token requests answered with an unexpected HTTP status.</summary>
        public long RequestsHttpError { get; private set; }
        /// <summary>Token requests that failed to connect or lost the connection.</summary>
        public long RequestsTransportError { get; private set; }
        /// <summary>Token requests that timed out.</summary>
        public long RequestsTimeout { get; private set; }
        /// <summary>Token requests answered with an unusable token answer.</summary>
        public long RequestsInvalidResponse { get; private set; }
        /// <summary>Every token request sent, whatever its outcome.</summary>
        public long RequestsSent { get; private set; }
        /// <summary>Calls answered from the cache with a fresh token.</summary>
        public long CacheHits { get; private set; }
        /// <summary>Calls answered with a stale (still valid) token while a refresh was due.</summary>
        public long StaleServed { get; private set; }
        /// <summary>Calls refused without a request (budget spent, cool-down, remembered terminal error).</summary>
        public long RefusedLocally { get; private set; }
        /// <summary>Token requests still allowed in the current budget window.</summary>
        public int BudgetRemaining { get; private set; }
        /// <summary>Token requests allowed per budget window.</summary>
        public int BudgetCapacity { get; private set; }
        /// <summary>Time left on the cached token, null when none is cached.</summary>
        public TimeSpan? ExpiresIn { get; private set; }
        /// <summary>The last error seen for these credentials since the last success (Ok when none).</summary>
        public ErrorCode LastErrorCode { get; private set; }
        /// <summary>Every metric by the library's names (<c>requests_sent</c>, <c>cache_hits</c>, <c>expires_in</c> in ms…).</summary>
        public IReadOnlyDictionary<string, long> Fields { get; private set; }

        /// <inheritdoc/>
        public override string ToString()
        {
            var parts = new List<string>();
            foreach (var kv in Fields) parts.Add(kv.Key + "=" + kv.Value);
            return "TokenStats(" + string.Join(", ", parts) + ")";
        }
    }
}
