using System;
using System.Threading;
using System.Threading.Tasks;

namespace OfficeRnD.Auth
{
    /// <summary>
    /// The OfficeRnD client-credentials token client: a thin wrapper over libofficernd_auth, whose
    /// core caches the token, sends one request for all concurrent callers and keeps within
    /// OfficeRnD's 5 token requests per minute. Thread-safe; clients with the same settings share
    /// one cache in the process, so creating many does not multiply token requests.
    /// </summary>
    public sealed class TokenClient : IDisposable
    {
        private readonly ClientHandle _handle;
        // How this library names itself in the User-Agent of token requests ("officernd-auth/<version> (dotnet)").
        private static readonly byte[] Binding = Native.Utf8("dotnet", "binding");

        /// <summary>Builds a client from options (no network I/O).</summary>
        /// <exception cref="OfficeRnDAuthException">Code <see cref="ErrorCode.Config"/>, naming the setting.</exception>
        public TokenClient(TokenClientOptions options)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            using (var err = ErrorHandle.Create())
            using (var config = NewConfig(err))
            {
                foreach (var kv in options.ToSettings())
                {
                    byte[] name = Native.Utf8(kv.Key, kv.Key), value = Native.Utf8(kv.Value, kv.Key);
                    try { Check(Native.officernd_config_set(config, name, value, err), err); }
                    finally { Array.Clear(value, 0, value.Length); }
                }
                _handle = NewClient(config, err);
            }
        }

        private TokenClient(ClientHandle handle)
        {
            _handle = handle;
        }

        /// <summary>
        /// Builds a client from the environment: <c>OFFICERND_CLIENT_ID</c>, <c>OFFICERND_CLIENT_SECRET</c>,
        /// <c>OFFICERND_SCOPES</c>, <c>OFFICERND_TOKEN_URL</c>, <c>OFFICERND_STORE</c>, <c>OFFICERND_STORE_PATH</c>.
        /// </summary>
        public static TokenClient FromEnvironment()
        {
            using (var err = ErrorHandle.Create())
            using (var config = NewConfig(err))
            {
                Check(Native.officernd_config_load_env(config, err), err);
                return new TokenClient(NewClient(config, err));
            }
        }

        /// <summary>The native library's version.</summary>
        public static string NativeVersion { get { return Native.FromUtf8(Native.officernd_version()); } }

        /// <summary>
        /// A valid token: from the cache when fresh (no I/O), otherwise BLOCKS while one request is
        /// sent for every concurrent caller, within the configured timeout.
        /// </summary>
        public Token GetToken()
        {
            using (var err = ErrorHandle.Create())
            {
                TokenHandle token;
                int rc = Native.officernd_client_token(Handle, out token, err);
                if (rc != 0) { if (token != null) token.Dispose(); throw OfficeRnDAuthException.From(rc, err); }
                return Wrap(token);
            }
        }

        /// <summary>
        /// A valid token. A fresh cached token completes synchronously (the library's freshness rule
        /// says when: <c>officernd_client_cached</c>, no I/O); a fetch runs off the caller's thread.
        /// Cancelling returns at once (the task is cancelled) while the fetch goes on and still
        /// fills the cache for the next caller.
        /// </summary>
        public Task<Token> GetTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            if (cancellationToken.IsCancellationRequested) return Canceled<Token>(cancellationToken);
            Token cached;
            try { cached = TryGetCached(); }
            catch (Exception e) { return Failed<Token>(e); }
            if (cached != null) return Task.FromResult(cached);
            return OffThread(GetToken, cancellationToken);
        }

        /// <summary>
        /// The cached token when the library's freshness rule lets it be handed out without any I/O,
        /// otherwise null (nothing cached, or due for refresh). Never blocks, never sends a request.
        /// </summary>
        internal Token TryGetCached()
        {
            using (var err = ErrorHandle.Create())
            {
                TokenHandle token;
                int rc = Native.officernd_client_cached(Handle, out token, err);
                if (rc != 0) { if (token != null) token.Dispose(); throw OfficeRnDAuthException.From(rc, err); }
                if (token == null || token.IsInvalid) { if (token != null) token.Dispose(); return null; }
                return Wrap(token);
            }
        }

        /// <summary>The <c>Authorization</c> header value, <c>"Bearer …"</c> (see <see cref="GetTokenAsync"/>).</summary>
        public async Task<string> GetAuthorizationHeaderAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            using (var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false))
                return token.AuthorizationHeaderValue;
        }

        /// <summary>
        /// After an API call made with <paramref name="token"/> answered 401: drops it from the cache,
        /// only if it is still the cached one. Returns whether it was dropped. No I/O.
        /// </summary>
        public bool Invalidate(Token token)
        {
            if (token == null) throw new ArgumentNullException(nameof(token));
            using (var err = ErrorHandle.Create())
            {
                bool dropped;
                Check(Native.officernd_client_invalidate(Handle, token.Handle, out dropped, err), err);
                return dropped;
            }
        }

        /// <summary>
        /// The 401 rule: after an API call made with <paramref name="rejected"/> answered 401, drops it
        /// (only if still cached) and gives the token to retry the call with ONCE, or null when that
        /// would be the rejected token again (the 401 stands). Blocks like <see cref="GetToken"/>.
        /// </summary>
        public Token TokenAfterUnauthorized(Token rejected)
        {
            if (rejected == null) throw new ArgumentNullException(nameof(rejected));
            using (var err = ErrorHandle.Create())
            {
                TokenHandle next;
                int rc = Native.officernd_client_token_after_unauthorized(Handle, rejected.Handle, out next, err);
                if (rc != 0) { if (next != null) next.Dispose(); throw OfficeRnDAuthException.From(rc, err); }
                if (next == null || next.IsInvalid) { if (next != null) next.Dispose(); return null; }
                return Wrap(next);
            }
        }

        /// <summary><see cref="TokenAfterUnauthorized"/> off the caller's thread, cancellable like <see cref="GetTokenAsync"/>.</summary>
        public Task<Token> TokenAfterUnauthorizedAsync(Token rejected, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (rejected == null) throw new ArgumentNullException(nameof(rejected));
            if (cancellationToken.IsCancellationRequested) return Canceled<Token>(cancellationToken);
            return OffThread(() => TokenAfterUnauthorized(rejected), cancellationToken);
        }

        /// <summary>A snapshot of the metrics (requests by outcome, cache hits, budget left, time to expiry).</summary>
        public TokenStats Stats
        {
            get
            {
                using (var err = ErrorHandle.Create())
                {
                    Native.Stats s;
                    Check(Native.officernd_client_stats(Handle, out s, err), err);
                    return new TokenStats(s);
                }
            }
        }

        /// <summary>Frees the native client (calls still running finish first: the handle is reference-counted).</summary>
        public void Dispose() { _handle.Dispose(); }

        /// <inheritdoc/>
        public override string ToString() { return "TokenClient(officernd_auth " + NativeVersion + ")"; }

        // ---- helpers ---------------------------------------------------------------------------

        private ClientHandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(nameof(TokenClient));
                return _handle;
            }
        }

        /// <summary>A native configuration that names this library in the User-Agent.</summary>
        private static ConfigHandle NewConfig(ErrorHandle err)
        {
            ConfigHandle config;
            Check(Native.officernd_config_new(out config), err);
            try { Check(Native.officernd_config_set_binding(config, Binding, err), err); }
            catch { config.Dispose(); throw; }
            return config;
        }

        private static ClientHandle NewClient(ConfigHandle config, ErrorHandle err)
        {
            ClientHandle client;
            int rc = Native.officernd_client_new(config, out client, err);
            if (rc != 0) { if (client != null) client.Dispose(); throw OfficeRnDAuthException.From(rc, err); }
            return client;
        }

        private static Token Wrap(TokenHandle handle)
        {
            try { return new Token(handle); }
            catch { handle.Dispose(); throw; }
        }

        private static void Check(int rc, ErrorHandle err)
        {
            if (rc != 0) throw OfficeRnDAuthException.From(rc, err);
        }

        /// <summary>
        /// Runs a blocking call on the thread pool. Cancellation completes the returned task at once;
        /// the call itself runs to its end (filling the cache), and a token nobody receives is disposed.
        /// </summary>
        private static Task<Token> OffThread(Func<Token> call, CancellationToken ct)
        {
            var work = Task.Run(call);
            if (!ct.CanBeCanceled) return work;
            var tcs = new TaskCompletionSource<Token>(TaskCreationOptions.RunContinuationsAsynchronously);
            var registration = ct.Register(() => tcs.TrySetCanceled(ct));
            work.ContinueWith(t =>
            {
                registration.Dispose();
                if (t.IsFaulted)
                {
                    if (!tcs.TrySetException(t.Exception.InnerExceptions)) GC.KeepAlive(t.Exception); // observed
                }
                else if (t.IsCanceled) tcs.TrySetCanceled();
                else if (!tcs.TrySetResult(t.Result) && t.Result != null) t.Result.Dispose();
            }, TaskScheduler.Default);
            return tcs.Task;
        }

        private static Task<T> Canceled<T>(CancellationToken ct)
        {
            var tcs = new TaskCompletionSource<T>();
            tcs.SetCanceled();
            return tcs.Task;
        }

        private static Task<T> Failed<T>(Exception e)
        {
            var tcs = new TaskCompletionSource<T>();
            tcs.SetException(e);
            return tcs.Task;
        }
    }
}
