using System;
using System.Collections.Generic;
using System.Globalization;

namespace OfficeRnD.Auth
{
    /// <summary>
    /// The settings of a <see cref="TokenClient"/>. Every property left null keeps the library's
    /// default; each one set is passed to the library by its name in core's settings table
    /// (<c>officernd_config_set</c>), so the rules (ranges, defaults, URL checks) live in one place.
    /// <see cref="ToString"/> never shows the secret.
    /// </summary>
    public sealed class TokenClientOptions
    {
        /// <summary>The OfficeRnD application's client id (required).</summary>
        public string ClientId { get; set; }
        /// <summary>The client secret (required). Never printed.</summary>
        public string ClientSecret { get; set; }
        /// <summary>The requested scopes; none: the application's default.</summary>
        public IEnumerable<string> Scopes { get; set; }
        /// <summary>The token endpoint (<c>https://</c>, or <c>http://</c> to loopback); default OfficeRnD's.</summary>
        public string TokenUrl { get; set; }
        /// <summary>Overall timeout of one token call, retries included (default 10 s).</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>Connect timeout of one attempt (default 5 s).</summary>
        public TimeSpan? ConnectTimeout { get; set; }
        /// <summary>How long before expiry a token is refreshed (default 300 s).</summary>
        public TimeSpan? RefreshAhead { get; set; }
        /// <summary>Minimum validity left on any token handed out (default 60 s).</summary>
        public TimeSpan? MinValidity { get; set; }
        /// <summary>Token requests allowed per <see cref="QuotaWindow"/> (default 5).</summary>
        public int? MaxRequests { get; set; }
        /// <summary>The rolling window of the request budget (default 60 s).</summary>
        public TimeSpan? QuotaWindow { get; set; }
        /// <summary>Retries of transport errors, timeouts and 5xx (default 2).</summary>
        public int? MaxRetries { get; set; }
        /// <summary>How long terminal answers are remembered (default 60 s).</summary>
        public TimeSpan? TerminalErrorTtl { get; set; }
        /// <summary>Whether clients with the same settings share one cache in the process (default true).</summary>
        public bool? ShareCache { get; set; }
        /// <summary><c>"memory"</c>, <c>"file"</c> or a <c>redis://</c> URL (default memory).</summary>
        public string Store { get; set; }
        /// <summary>The file store's directory (only with <c>Store = "file"</c>).</summary>
        public string StorePath { get; set; }

        /// <summary>The settings by the names of core's settings table, values as text (durations in seconds).</summary>
        internal IEnumerable<KeyValuePair<string, string>> ToSettings()
        {
            var s = new List<KeyValuePair<string, string>>();
            Action<string, string> add = (k, v) => { if (v != null) s.Add(new KeyValuePair<string, string>(k, v)); };
            add("client_id", ClientId);
            add("client_secret", ClientSecret);
            add("scopes", Scopes == null ? null : string.Join(" ", Scopes));
            add("token_url", TokenUrl);
            add("timeout", Seconds(Timeout));
            add("connect_timeout", Seconds(ConnectTimeout));
            add("refresh_ahead", Seconds(RefreshAhead));
            add("min_validity", Seconds(MinValidity));
            add("max_requests", Number(MaxRequests));
            add("quota_window", Seconds(QuotaWindow));
            add("max_retries", Number(MaxRetries));
            add("terminal_error_ttl", Seconds(TerminalErrorTtl));
            add("share_cache", ShareCache.HasValue ? (ShareCache.Value ? "true" : "false") : null);
            add("store", Store);
            add("store_path", StorePath);
            return s;
        }

        private static string Seconds(TimeSpan? t)
        {
            return t.HasValue ? (t.Value.Ticks / (double)TimeSpan.TicksPerSecond).ToString("R", CultureInfo.InvariantCulture) : null;
        }

        private static string Number(int? n)
        {
            return n.HasValue ? n.Value.ToString(CultureInfo.InvariantCulture) : null;
        }

        /// <summary>The settings that are set, the secret shown as <c>[redacted]</c>.</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            foreach (var kv in ToSettings())
                parts.Add(kv.Key + "=" + (kv.Key == "client_secret" ? "[redacted]" : kv.Value));
            return "TokenClientOptions(" + string.Join(", ", parts) + ")";
        }
    }
}
