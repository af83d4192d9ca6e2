//! UniFFI bindings of `officernd-auth`: the same core, exposed through generated Kotlin (JVM),
//! Swift and Python code. Proc-macros only (no UDL); the bindings are generated from the built
//! library with this crate's `uniffi-bindgen` binary (see `mk/uniffi.mk`).
//!
//! Thin by design: every type here converts at the edge and every rule stays in core.
//! Nothing that a generated `toString`/`__str__`/`description` prints can hold a secret:
//! the client secret travels in a [`ClientSecret`] object and the access token in a [`Token`]
//! object, both printed redacted (records would print every field).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use officernd_auth as core;

uniffi::setup_scaffolding!();

/// The binding name sent in the User-Agent (`officernd-auth/0.1.0 (uniffi)`).
const BINDING: &str = "uniffi";

// ---- Errors ---------------------------------------------------------------------------------

/// Every error of the core, one variant per stable code (`config`, `oauth`, `rate_limited`,
/// `http`, `transport`, `timeout`, `invalid_response`). Kotlin sees it as the sealed class
/// `OfficeRnDAuthException`. `toString()` is the core's one-line safe message; `code()` the
/// stable code. No variant ever holds the client secret or a whole access token.
#[derive(Debug, Clone, PartialEq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum OfficeRnDAuthError {
    /// `config`: a missing or invalid setting, found when the client is built.
    Config {
        /// The setting at fault, e.g. `client_id`, `token_url`, `OFFICERND_SCOPES`.
        setting: String,
        /// Why it is rejected.
        reason: String,
        /// Always false.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `oauth`: the token endpoint answered with an RFC 6749 error.
    OAuth {
        /// HTTP status of the answer.
        status: i32,
        /// RFC 6749 `error`, e.g. `invalid_client`.
        error: String,
        /// RFC 6749 `error_description`.
        error_description: Option<String>,
        /// RFC 6749 `error_uri`.
        error_uri: Option<String>,
        /// Whether retrying can help.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `rate_limited`: no token request may be sent now (budget spent, 429 cool-down, or a
    /// remembered terminal error).
    RateLimited {
        /// When a new request may be sent.
        retry_after: Duration,
        /// True when the server answered 429; false when the local quota governor refused.
        from_server: bool,
        /// Code of the last real error for these credentials, if any.
        last_error_code: Option<String>,
        /// Message of the last real error for these credentials, if any.
        last_error_message: Option<String>,
        /// Always true (after `retry_after`).
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `http`: an unexpected HTTP status (5xx, a redirect, an unexpected 4xx).
    Http {
        /// HTTP status of the answer.
        status: i32,
        /// A short, safe detail (never the whole body).
        detail: Option<String>,
        /// `Retry-After`, if the server sent one.
        retry_after: Option<Duration>,
        /// Whether retrying can help (5xx).
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `transport`: DNS, connect, TLS or connection errors.
    Transport {
        /// What failed.
        detail: String,
        /// Always true.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `timeout`: the overall timeout elapsed.
    Timeout {
        /// The configured timeout that elapsed.
        after: Duration,
        /// What was being waited for.
        detail: String,
        /// Always true.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `invalid_response`: a 200 answer that is not a usable token.
    InvalidResponse {
        /// HTTP status of the answer.
        status: i32,
        /// What is wrong with it.
        reason: String,
        /// Always false.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// A code added to core after this binding was built.
    Other {
        /// The core's code.
        raw_code: String,
        /// Whether retrying can help.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
}

impl OfficeRnDAuthError {
    fn summary(&self) -> &str {
        match self {
            Self::Config { summary, .. }
            | Self::OAuth { summary, .. }
            | Self::RateLimited { summary, .. }
            | Self::Http { summary, .. }
            | Self::Transport { summary, .. }
            | Self::Timeout { summary, .. }
            | Self::InvalidResponse { summary, .. }
            | Self::Other { summary, .. } => summary,
        }
    }
}

#[uniffi::export]
impl OfficeRnDAuthError {
    /// The stable code: `config`, `oauth`, `rate_limited`, `http`, `transport`, `timeout`,
    /// `invalid_response`.
    pub fn code(&self) -> String {
        match self {
            Self::Config { .. } => "config",
            Self::OAuth { .. } => "oauth",
            Self::RateLimited { .. } => "rate_limited",
            Self::Http { .. } => "http",
            Self::Transport { .. } => "transport",
            Self::Timeout { .. } => "timeout",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Other { raw_code, .. } => raw_code,
        }
        .to_owned()
    }

    /// Whether retrying can help (the `retryable` field of every variant).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Config { retryable, .. }
            | Self::OAuth { retryable, .. }
            | Self::RateLimited { retryable, .. }
            | Self::Http { retryable, .. }
            | Self::Transport { retryable, .. }
            | Self::Timeout { retryable, .. }
            | Self::InvalidResponse { retryable, .. }
            | Self::Other { retryable, .. } => *retryable,
        }
    }
}

impl fmt::Display for OfficeRnDAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())
    }
}

impl std::error::Error for OfficeRnDAuthError {}

impl From<core::Error> for OfficeRnDAuthError {
    fn from(e: core::Error) -> Self {
        let retryable = e.is_retryable();
        let summary = e.to_string();
        match e {
            core::Error::Config { setting, reason } => Self::Config {
                setting,
                reason,
                retryable,
                summary,
            },
            core::Error::OAuth { status, body } => Self::OAuth {
                status: status.into(),
                error: body.error,
                error_description: body.error_description,
                error_uri: body.error_uri,
                retryable,
                summary,
            },
            core::Error::RateLimited {
                retry_after,
                from_server,
                last_error,
            } => Self::RateLimited {
                retry_after,
                from_server,
                last_error_code: last_error.as_ref().map(|l| l.code().to_owned()),
                last_error_message: last_error.as_ref().map(|l| l.to_string()),
                retryable,
                summary,
            },
            core::Error::Http {
                status,
                detail,
                retry_after,
            } => Self::Http {
                status: status.into(),
                detail,
                retry_after,
                retryable,
                summary,
            },
            core::Error::Transport { message } => Self::Transport {
                detail: message,
                retryable,
                summary,
            },
            core::Error::Timeout { after, message } => Self::Timeout {
                after,
                detail: message,
                retryable,
                summary,
            },
            core::Error::InvalidResponse { status, reason } => Self::InvalidResponse {
                status: status.into(),
                reason,
                retryable,
                summary,
            },
            other => Self::Other {
                raw_code: other.code().to_owned(),
                retryable,
                summary,
            },
        }
    }
}

type Result<T> = std::result::Result<T, OfficeRnDAuthError>;

// ---- Secret and settings ---------------------------------------------------------------------

/// The client secret, wrapped so that no generated `toString` of [`TokenClientConfig`] can
/// print it: it prints `[redacted]`.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct ClientSecret(core::ClientSecret);

#[uniffi::export]
impl ClientSecret {
    /// Wraps a secret.
    #[uniffi::constructor]
    pub fn new(secret: String) -> Self {
        ClientSecret(core::ClientSecret::new(secret))
    }
}

impl fmt::Display for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// Where tokens are shared beyond this process: `memory` (the default), `file` (every process
/// of this user on this machine; `path` or the default cache directory), or a `redis://` /
/// `rediss://` URL (every host of a fleet). An object rather than two record fields so that a
/// password in a Redis URL never shows in a generated `toString`: it prints scheme and host only.
/// Checked when the client is built (a `config` error naming `store`).
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Store {
    spec: String,
    path: Option<String>,
}

#[uniffi::export]
impl Store {
    /// A store by name (`memory`, `file`, `redis://…`), with the file store's directory.
    #[uniffi::constructor(default(path = None))]
    pub fn new(spec: String, path: Option<String>) -> Self {
        Store { spec, path }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.spec.trim();
        match spec.split_once("://") {
            // Drop the userinfo (`user:password@`) and everything after the host.
            Some((scheme, rest)) => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                let host = authority.rsplit('@').next().unwrap_or("");
                write!(f, "Store({scheme}://{host})")
            }
            None => match &self.path {
                Some(p) => write!(f, "Store({spec}, path={p})"),
                None => write!(f, "Store({spec})"),
            },
        }
    }
}

/// Settings of a [`TokenClient`]. Only `client_id` and `client_secret` are required; every
/// other field defaults to the core's default (`None`).
#[derive(uniffi::Record)]
pub struct TokenClientConfig {
    /// Client id of the OfficeRnD application.
    pub client_id: String,
    /// Client secret of the OfficeRnD application.
    pub client_secret: Arc<ClientSecret>,
    /// Scopes; each item may hold several space-separated scopes. Empty: the app's default.
    #[uniffi(default)]
    pub scopes: Vec<String>,
    /// Token endpoint (`https://`, or `http://` to loopback). Default: the real endpoint.
    #[uniffi(default)]
    pub token_url: Option<String>,
    /// Overall timeout of one `token()` call (default 10 s).
    #[uniffi(default)]
    pub timeout: Option<Duration>,
    /// Connect timeout of one attempt (default 5 s).
    #[uniffi(default)]
    pub connect_timeout: Option<Duration>,
    /// Refresh this long before expiry (default 300 s).
    #[uniffi(default)]
    pub refresh_ahead: Option<Duration>,
    /// Never hand out a token with less than this left (default 60 s).
    #[uniffi(default)]
    pub min_validity: Option<Duration>,
    /// Token requests allowed per `quota_window` (default 5).
    #[uniffi(default)]
    pub max_requests: Option<i32>,
    /// The rolling window of the request budget (default 60 s).
    #[uniffi(default)]
    pub quota_window: Option<Duration>,
    /// Retries of transport errors, timeouts and 5xx (default 2).
    #[uniffi(default)]
    pub max_retries: Option<i32>,
    /// How long a terminal answer (`invalid_client`…) is remembered (default 60 s).
    #[uniffi(default)]
    pub terminal_error_ttl: Option<Duration>,
    /// Share one cache with every client of the same settings in the process (default true;
    /// false isolates cache and budget: tests only).
    #[uniffi(default = true)]
    pub share_cache: bool,
    /// Where tokens are shared beyond this process (default: this process's memory only).
    #[uniffi(default)]
    pub store: Option<Arc<Store>>,
}

impl TokenClientConfig {
    fn into_builder(self) -> Result<core::TokenClientBuilder> {
        let mut b = core::TokenClient::builder()
            .binding(BINDING)
            .client_id(self.client_id)
            .client_secret(self.client_secret.0.clone())
            .share_cache(self.share_cache);
        if !self.scopes.is_empty() {
            b = b.scopes(self.scopes);
        }
        if let Some(v) = self.token_url {
            b = b.token_url(v);
        }
        if let Some(v) = self.timeout {
            b = b.timeout(v);
        }
        if let Some(v) = self.connect_timeout {
            b = b.connect_timeout(v);
        }
        if let Some(v) = self.refresh_ahead {
            b = b.refresh_ahead(v);
        }
        if let Some(v) = self.min_validity {
            b = b.min_validity(v);
        }
        if self.max_requests.is_some() || self.quota_window.is_some() {
            let max = match self.max_requests {
                Some(v) => unsigned("max_requests", v)?,
                None => core::config::defaults::MAX_REQUESTS,
            };
            let window = self
                .quota_window
                .unwrap_or(core::config::defaults::QUOTA_WINDOW);
            b = b.request_budget(max, window);
        }
        if let Some(v) = self.max_retries {
            b = b.max_retries(unsigned("max_retries", v)?);
        }
        if let Some(v) = self.terminal_error_ttl {
            b = b.terminal_error_ttl(v);
        }
        if let Some(store) = self.store {
            b = b.store_spec(&store.spec, store.path.as_deref().map(std::path::Path::new))?;
        }
        Ok(b)
    }
}

/// JVM integers are signed: a negative count is a `config` error naming the setting.
fn unsigned(setting: &str, v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        core::Error::Config {
            setting: setting.to_owned(),
            reason: format!("must not be negative (got {v})"),
        }
        .into()
    })
}

// ---- Token -----------------------------------------------------------------------------------

/// A valid access token. An object rather than a record so that its `toString` (the Rust
/// `Display`) shows only a short prefix of the token.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug, Eq, Hash)]
pub struct Token(core::Token);

#[uniffi::export]
impl Token {
    /// The access token. Send it only in an `Authorization` header; never log it.
    pub fn access_token(&self) -> String {
        self.0.access_token().to_owned()
    }

    /// The token type, always `Bearer`.
    pub fn token_type(&self) -> String {
        self.0.token_type().to_owned()
    }

    /// The granted scopes as the server answered them (the requested ones if it did not say).
    pub fn scopes(&self) -> Vec<String> {
        self.0.scopes().to_vec()
    }

    /// Wall-clock expiry.
    pub fn expires_at(&self) -> SystemTime {
        self.0.expires_at()
    }

    /// Time left until expiry, zero once expired.
    pub fn expires_in(&self) -> Duration {
        self.0.expires_in()
    }

    /// `Bearer <access_token>`, the value of the `Authorization` header.
    pub fn authorization_header(&self) -> String {
        self.0.authorization_header()
    }

    /// A printable hint of the token (a short prefix + `…[redacted]`).
    pub fn redacted(&self) -> String {
        self.0.redacted()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Token(token_type={}, access_token={}, expires_in={}s, scopes={:?})",
            self.0.token_type(),
            self.0.redacted(),
            self.0.expires_in().as_secs(),
            self.0.scopes()
        )
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Token {}

impl std::hash::Hash for Token {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

// ---- Stats -----------------------------------------------------------------------------------

/// A snapshot of a client's metrics (shared by every client of the same cache key).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stats {
    /// Requests answered with a token.
    pub requests_ok: i64,
    /// Requests answered with an RFC 6749 error.
    pub requests_oauth_error: i64,
    /// Requests answered 429.
    pub requests_rate_limited: i64,
    /// Requests answered with an unexpected HTTP status.
    pub requests_http_error: i64,
    /// Requests that failed to connect or lost the connection.
    pub requests_transport_error: i64,
    /// Requests that timed out.
    pub requests_timeout: i64,
    /// Requests answered with an unusable token answer.
    pub requests_invalid_response: i64,
    /// Every token request sent, whatever its outcome.
    pub requests_sent: i64,
    /// Calls answered from the cache with a fresh token.
    pub cache_hits: i64,
    /// Calls answered with a stale token.
    pub stale_served: i64,
    /// Calls refused without a request (budget spent, cool-down, remembered terminal error).
    pub refused_locally: i64,
    /// Requests still allowed in the current budget window.
    pub budget_remaining: i32,
    /// Budget per window.
    pub budget_capacity: i32,
    /// Time left on the cached token, if one is cached.
    pub expires_in: Option<Duration>,
    /// The code of the last error seen since the last success, if any.
    pub last_error_code: Option<String>,
}

impl From<core::Stats> for Stats {
    fn from(s: core::Stats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let m = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Stats {
            requests_sent: n(s.requests_sent()),
            requests_ok: n(s.requests_ok),
            requests_oauth_error: n(s.requests_oauth_error),
            requests_rate_limited: n(s.requests_rate_limited),
            requests_http_error: n(s.requests_http_error),
            requests_transport_error: n(s.requests_transport_error),
            requests_timeout: n(s.requests_timeout),
            requests_invalid_response: n(s.requests_invalid_response),
            cache_hits: n(s.cache_hits),
            stale_served: n(s.stale_served),
            refused_locally: n(s.refused_locally),
            budget_remaining: m(s.budget_remaining),
            budget_capacity: m(s.budget_capacity),
            expires_in: s.expires_in,
            last_error_code: s.last_error_code.map(str::to_owned),
        }
    }
}

// ---- Client ----------------------------------------------------------------------------------

/// The OfficeRnD token client. Thread-safe: share one per application (clients with the same
/// settings share one cache anyway). `token()` blocks only when no fresh token is cached.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct TokenClient(core::TokenClient);

#[uniffi::export]
impl TokenClient {
    /// Validates the settings and makes the client (`config` error naming a bad setting).
    #[uniffi::constructor]
    pub fn new(config: TokenClientConfig) -> Result<Self> {
        Ok(TokenClient(config.into_builder()?.build()?))
    }

    /// A client from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`, `OFFICERND_SCOPES`
    /// and `OFFICERND_TOKEN_URL`.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Self> {
        Ok(TokenClient(
            core::TokenClient::builder()
                .binding(BINDING)
                .with_env()?
                .build()?,
        ))
    }

    /// A valid token: from the cache when fresh, otherwise one request for all callers.
    pub fn token(&self) -> Result<Arc<Token>> {
        Ok(Arc::new(Token(self.0.token()?)))
    }

    /// The cached token if it is fresh; never any I/O.
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.0.cached().map(|t| Arc::new(Token(t)))
    }

    /// The access token string of [`TokenClient::token`].
    pub fn access_token(&self) -> Result<String> {
        Ok(self.0.access_token()?)
    }

    /// `Bearer <access_token>`, the value of the `Authorization` header.
    pub fn authorization_header(&self) -> Result<String> {
        Ok(self.0.authorization_header()?)
    }

    /// After an API call answered 401 with `token`: drops it from the cache if it is still
    /// the cached one. Returns whether it was dropped.
    pub fn invalidate(&self, token: Arc<Token>) -> bool {
        self.0.invalidate(&token.0)
    }

    /// Metrics: requests by outcome, cache hits, budget left, time to expiry.
    pub fn stats(&self) -> Stats {
        self.0.stats().into()
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        self.0.config().token_url().to_owned()
    }

    /// The client id.
    pub fn client_id(&self) -> String {
        self.0.config().client_id().to_owned()
    }

    /// The requested scopes, normalised.
    pub fn scopes(&self) -> Vec<String> {
        self.0.config().scopes().as_slice().to_vec()
    }
}

impl fmt::Display for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.config();
        write!(
            f,
            "TokenClient(client_id={}, token_url={}, scopes={:?})",
            c.client_id(),
            c.token_url(),
            c.scopes().as_slice()
        )
    }
}

/// The version of the native library.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_maps_with_fields() {
        let err: OfficeRnDAuthError = core::Error::Config {
            setting: "client_id".into(),
            reason: "missing".into(),
        }
        .into();
        assert_eq!(err.code(), "config");
        assert!(
            matches!(err, OfficeRnDAuthError::Config { ref setting, retryable: false, .. } if setting == "client_id")
        );
    }

    #[test]
    fn store_prints_no_password() {
        let s = Store::new("redis://user:hunter2@cache.internal:6379/0".into(), None);
        assert_eq!(s.to_string(), "Store(redis://cache.internal:6379)");
        let f = Store::new("file".into(), Some("/tmp/x".into()));
        assert_eq!(f.to_string(), "Store(file, path=/tmp/x)");
    }

    #[test]
    fn secret_never_printed() {
        let s = ClientSecret::new("super-secret-value".into());
        assert_eq!(s.to_string(), "[redacted]");
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
