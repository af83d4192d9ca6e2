//! Client settings: the builder, `from_env`, defaults, and every validation rule. An invalid
//! setting fails here, at build time, with a `config` error naming it — never later on the wire.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, TimeSource};
use crate::error::{Error, Result};
use crate::scopes::Scopes;
use crate::secret::ClientSecret;
use crate::store::TokenStore;

/// The real OfficeRnD token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://identity.officernd.com/oauth/token";

/// Environment variable names, the same in every language binding.
pub mod env {
    /// Client id of the OfficeRnD application.
    pub const CLIENT_ID: &str = "OFFICERND_CLIENT_ID";
    /// Client secret of the OfficeRnD application.
    pub const CLIENT_SECRET: &str = "OFFICERND_CLIENT_SECRET";
    /// Space-separated scopes.
    pub const SCOPES: &str = "OFFICERND_SCOPES";
    /// Token endpoint; defaults to [`super::DEFAULT_TOKEN_URL`].
    pub const TOKEN_URL: &str = "OFFICERND_TOKEN_URL";
    /// Token store: `memory` (default), `file`, or a `redis://` URL.
    pub const STORE: &str = "OFFICERND_STORE";
    /// Directory of the file store.
    pub const STORE_PATH: &str = "OFFICERND_STORE_PATH";

    /// A variable as [`super::TokenClientBuilder::with_env`] reads it: unset, empty or blank is
    /// `None`. The one rule for the library, every binding and the CLI.
    pub fn value(name: &str) -> Option<String> {
        non_blank(std::env::var(name).ok())
    }

    pub(super) fn non_blank(v: Option<String>) -> Option<String> {
        v.filter(|v| !v.trim().is_empty())
    }
}

/// Defaults, public so bindings document the same numbers.
pub mod defaults {
    use std::time::Duration;
    /// Overall timeout of one `token()` call, retries and waiting included.
    pub const TIMEOUT: Duration = Duration::from_secs(10);
    /// TCP + TLS connect timeout of one attempt.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Refresh this long before expiry.
    pub const REFRESH_AHEAD: Duration = Duration::from_secs(300);
    /// Never hand out a token with less than this left.
    pub const MIN_VALIDITY: Duration = Duration::from_secs(60);
    /// OfficeRnD allows 5 token requests…
    pub const MAX_REQUESTS: u32 = 5;
    /// …per rolling minute.
    pub const QUOTA_WINDOW: Duration = Duration::from_secs(60);
    /// Retries after the first attempt (transport errors, timeouts and 5xx only).
    pub const MAX_RETRIES: u32 = 2;
    /// How long a terminal answer (`invalid_client`…) is remembered.
    pub const TERMINAL_ERROR_TTL: Duration = Duration::from_secs(60);
}

/// Hard limits on settings, so a typo cannot disable the protections.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
const MAX_RETRIES_LIMIT: u32 = 10;
/// The budget exists so a loop cannot lock the application out; far above any real endpoint's
/// limit, and small enough that a typo cannot disable it (nor make the "all spent" budget a
/// forked child starts with allocate gigabytes).
const MAX_REQUESTS_LIMIT: u32 = 1000;

/// Validated settings of a client. Built by [`TokenClientBuilder`].
#[derive(Clone)]
pub struct Config {
    pub(crate) token_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: ClientSecret,
    pub(crate) scopes: Scopes,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) refresh_ahead: Duration,
    pub(crate) min_validity: Duration,
    pub(crate) max_requests: u32,
    pub(crate) quota_window: Duration,
    pub(crate) max_retries: u32,
    pub(crate) terminal_error_ttl: Duration,
    pub(crate) share_cache: bool,
    pub(crate) user_agent: String,
    pub(crate) clock: TimeSource,
    pub(crate) store: Option<Arc<dyn TokenStore>>,
}

impl Config {
    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }
    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The requested scopes, normalised.
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
    /// Overall timeout of one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Request budget: at most this many token requests…
    pub fn max_requests(&self) -> u32 {
        self.max_requests
    }
    /// …per this rolling window.
    pub fn quota_window(&self) -> Duration {
        self.quota_window
    }
    /// The `User-Agent` sent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("refresh_ahead", &self.refresh_ahead)
            .field("min_validity", &self.min_validity)
            .field("max_requests", &self.max_requests)
            .field("quota_window", &self.quota_window)
            .field("max_retries", &self.max_retries)
            .field("store", &self.store)
            .finish()
    }
}

/// Collects settings; [`TokenClientBuilder::build`] validates them and makes the client.
#[derive(Clone, Default)]
pub struct TokenClientBuilder {
    token_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<ClientSecret>,
    scopes: Vec<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    refresh_ahead: Option<Duration>,
    min_validity: Option<Duration>,
    max_requests: Option<u32>,
    quota_window: Option<Duration>,
    max_retries: Option<u32>,
    terminal_error_ttl: Option<Duration>,
    share_cache: Option<bool>,
    binding: Option<String>,
    clock: Option<Arc<dyn Clock>>,
    store: Option<Arc<dyn TokenStore>>,
    /// `store` / `store_path` given by name ([`Self::set`]), opened at build time whatever
    /// order they came in.
    pending_store: Option<String>,
    pending_store_path: Option<std::path::PathBuf>,
    /// A store was chosen explicitly (possibly `memory`): the environment does not override it.
    store_set: bool,
}

impl fmt::Debug for TokenClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClientBuilder")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl TokenClientBuilder {
    /// An empty builder (all defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Client id of the OfficeRnD application.
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }
    /// Client secret of the OfficeRnD application.
    pub fn client_secret(mut self, v: impl Into<ClientSecret>) -> Self {
        self.client_secret = Some(v.into());
        self
    }
    /// Scopes; each item may hold several space-separated scopes. Replaces earlier scopes.
    pub fn scopes<I, S>(mut self, v: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = v.into_iter().map(Into::into).collect();
        self
    }
    /// Token endpoint (default: the real OfficeRnD one). `https://`, or `http://` to loopback.
    pub fn token_url(mut self, v: impl Into<String>) -> Self {
        self.token_url = Some(v.into());
        self
    }
    /// Overall timeout of one `token()` call, retries and single-flight waiting included.
    pub fn timeout(mut self, v: Duration) -> Self {
        self.timeout = Some(v);
        self
    }
    /// Connect (TCP + TLS) timeout of one attempt.
    pub fn connect_timeout(mut self, v: Duration) -> Self {
        self.connect_timeout = Some(v);
        self
    }
    /// Refresh this long before expiry (default 300 s; capped at half the token's lifetime).
    pub fn refresh_ahead(mut self, v: Duration) -> Self {
        self.refresh_ahead = Some(v);
        self
    }
    /// Never hand out a token with less than this left (default 60 s; capped at half the lifetime).
    pub fn min_validity(mut self, v: Duration) -> Self {
        self.min_validity = Some(v);
        self
    }
    /// Request budget: at most `max` token requests per `window` (default 5 per 60 s).
    pub fn request_budget(mut self, max: u32, window: Duration) -> Self {
        self.max_requests = Some(max);
        self.quota_window = Some(window);
        self
    }
    /// Request budget size alone (the window keeps its value or default).
    pub fn max_requests(mut self, max: u32) -> Self {
        self.max_requests = Some(max);
        self
    }
    /// Request budget window alone (the size keeps its value or default).
    pub fn quota_window(mut self, window: Duration) -> Self {
        self.quota_window = Some(window);
        self
    }
    /// Retries after the first attempt, for transport errors, timeouts and 5xx (default 2).
    pub fn max_retries(mut self, v: u32) -> Self {
        self.max_retries = Some(v);
        self
    }
    /// How long terminal answers (`invalid_client`…) are remembered (default 60 s).
    pub fn terminal_error_ttl(mut self, v: Duration) -> Self {
        self.terminal_error_ttl = Some(v);
        self
    }
    /// Whether clients with the same URL, id, secret, scopes and store share one cache in this
    /// process (default true). Turn off only to isolate tests or benchmarks: a client that does
    /// not share the cache does not share the process's request budget either (it behaves as
    /// another process would; only a store then shares the budget with it), so N such clients
    /// of one application may send N times `max_requests` per window.
    pub fn share_cache(mut self, v: bool) -> Self {
        self.share_cache = Some(v);
        self
    }
    /// Names the language binding in the `User-Agent` (e.g. `python`, `node`, `c`).
    pub fn binding(mut self, v: impl Into<String>) -> Self {
        self.binding = Some(v.into());
        self
    }
    /// Time source (tests move a [`crate::ManualClock`] instead of sleeping).
    pub fn clock(mut self, v: Arc<dyn Clock>) -> Self {
        self.clock = Some(v);
        self
    }
    /// Where tokens are shared beyond this process's memory cache (default: none — the in-memory
    /// cache of this process, shared by every client with the same key).
    pub fn store(mut self, v: Arc<dyn TokenStore>) -> Self {
        self.pending_store = None;
        self.pending_store_path = None;
        self.store = Some(v);
        self.store_set = true;
        self
    }

    /// Where tokens are shared, by name: `memory` (this process, the default), `file` (every
    /// process of this user on this machine; in `path` or the default cache directory), or a
    /// `redis://` / `rediss://` URL (every host of a fleet). See [`crate::store::open`].
    pub fn store_spec(mut self, spec: &str, path: Option<&std::path::Path>) -> Result<Self> {
        // The last store given wins, whichever way it was given.
        self.pending_store = None;
        self.pending_store_path = None;
        self.store = crate::store::open(spec, path)?;
        self.store_set = true;
        Ok(self)
    }

    /// Records `store` and/or `store_path` given by name, to be opened at build time.
    pub(crate) fn pending_store(
        mut self,
        spec: Option<String>,
        path: Option<std::path::PathBuf>,
    ) -> Self {
        if spec.is_some() {
            self.pending_store = spec;
        }
        if path.is_some() {
            self.pending_store_path = path;
        }
        self.store_set = true;
        self
    }

    /// The two store settings as every binding takes them: neither given leaves the store unset
    /// (so `with_env` may read `OFFICERND_STORE`); a directory alone means the file store there;
    /// otherwise as [`Self::store_spec`].
    pub fn store_options(self, spec: Option<&str>, path: Option<&std::path::Path>) -> Result<Self> {
        match (spec, path) {
            (None, None) => Ok(self),
            (None, Some(dir)) => self.store_spec("file", Some(dir)),
            (Some(spec), path) => self.store_spec(spec, path),
        }
    }

    /// Fills unset id, secret, scopes, URL and store from `OFFICERND_*` environment variables.
    /// An empty or blank variable counts as unset ([`env::value`]).
    pub fn with_env(self) -> Result<Self> {
        self.with_env_from(|name| std::env::var(name).ok())
    }

    /// Like [`Self::with_env`], reading variables through `lookup` (for tests).
    pub fn with_env_from(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| env::non_blank(lookup(name));
        if self.client_id.is_none() {
            self.client_id =
                Some(get(env::CLIENT_ID).ok_or_else(|| {
                    Error::config(env::CLIENT_ID, "environment variable is not set")
                })?);
        }
        if self.client_secret.is_none() {
            self.client_secret = Some(ClientSecret::new(get(env::CLIENT_SECRET).ok_or_else(
                || Error::config(env::CLIENT_SECRET, "environment variable is not set"),
            )?));
        }
        // Blank items count as unset, so `scopes=[""]` does not hide OFFICERND_SCOPES.
        if self.scopes.iter().all(|s| s.trim().is_empty())
            && let Some(s) = get(env::SCOPES)
        {
            Scopes::parse(&s).map_err(|e| rename_setting(e, env::SCOPES))?;
            self.scopes = vec![s];
        }
        if self.token_url.is_none()
            && let Some(u) = get(env::TOKEN_URL)
        {
            let u = validate_token_url(&u).map_err(|e| rename_setting(e, env::TOKEN_URL))?;
            self.token_url = Some(u);
        }
        if !self.store_set && self.store.is_none() {
            // The settings' rule: a directory alone means the file store there.
            let path = get(env::STORE_PATH).map(std::path::PathBuf::from);
            let spec = get(env::STORE).or_else(|| path.as_ref().map(|_| "file".to_owned()));
            if let Some(spec) = spec {
                self.store = crate::store::open(&spec, path.as_deref())
                    .map_err(|e| rename_setting(e, env::STORE))?;
            }
        }
        Ok(self)
    }

    /// Validates every setting.
    pub fn build_config(mut self) -> Result<Config> {
        if self.pending_store.is_some() || self.pending_store_path.is_some() {
            let path = self.pending_store_path.take();
            let spec = self.pending_store.take();
            self = self.store_options(spec.as_deref(), path.as_deref())?;
        }
        let client_id = self
            .client_id
            .ok_or_else(|| Error::config("client_id", "is required"))?;
        if client_id.trim().is_empty() {
            return Err(Error::config("client_id", "must not be empty"));
        }
        if client_id.chars().any(char::is_control) || client_id.len() > 1024 {
            return Err(Error::config(
                "client_id",
                "must be at most 1024 characters without control characters",
            ));
        }
        let client_secret = self
            .client_secret
            .ok_or_else(|| Error::config("client_secret", "is required"))?;
        if client_secret.is_empty() {
            return Err(Error::config("client_secret", "must not be empty"));
        }
        let scopes = Scopes::from_items(&self.scopes)?;
        // The value validated is the value stored and requested: trimmed once, here.
        let token_url = validate_token_url(self.token_url.as_deref().unwrap_or(DEFAULT_TOKEN_URL))?;

        let timeout = self.timeout.unwrap_or(defaults::TIMEOUT);
        check_range("timeout", timeout, Duration::from_millis(1), MAX_TIMEOUT)?;
        let connect_timeout = self
            .connect_timeout
            .unwrap_or(defaults::CONNECT_TIMEOUT)
            .min(timeout);
        check_range(
            "connect_timeout",
            connect_timeout,
            Duration::from_millis(1),
            MAX_TIMEOUT,
        )?;
        let refresh_ahead = self.refresh_ahead.unwrap_or(defaults::REFRESH_AHEAD);
        check_range("refresh_ahead", refresh_ahead, Duration::ZERO, MAX_WINDOW)?;
        let min_validity = self.min_validity.unwrap_or(defaults::MIN_VALIDITY);
        check_range("min_validity", min_validity, Duration::ZERO, MAX_WINDOW)?;
        if min_validity > refresh_ahead {
            return Err(Error::config(
                "min_validity",
                format!("must not exceed refresh_ahead ({refresh_ahead:?})"),
            ));
        }
        let max_requests = self.max_requests.unwrap_or(defaults::MAX_REQUESTS);
        if !(1..=MAX_REQUESTS_LIMIT).contains(&max_requests) {
            return Err(Error::config(
                "max_requests",
                format!("must be between 1 and {MAX_REQUESTS_LIMIT}"),
            ));
        }
        let quota_window = self.quota_window.unwrap_or(defaults::QUOTA_WINDOW);
        check_range(
            "quota_window",
            quota_window,
            Duration::from_millis(1),
            MAX_WINDOW,
        )?;
        let max_retries = self.max_retries.unwrap_or(defaults::MAX_RETRIES);
        if max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::config(
                "max_retries",
                format!("must be at most {MAX_RETRIES_LIMIT}"),
            ));
        }
        let terminal_error_ttl = self
            .terminal_error_ttl
            .unwrap_or(defaults::TERMINAL_ERROR_TTL);
        check_range(
            "terminal_error_ttl",
            terminal_error_ttl,
            Duration::ZERO,
            MAX_WINDOW,
        )?;
        let binding = self.binding.unwrap_or_else(|| "rust".to_owned());
        if binding.is_empty() || !binding.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Error::config(
                "binding",
                "must be a non-empty visible ASCII word",
            ));
        }
        Ok(Config {
            token_url,
            client_id,
            client_secret,
            scopes,
            timeout,
            connect_timeout,
            refresh_ahead,
            min_validity,
            max_requests,
            quota_window,
            max_retries,
            terminal_error_ttl,
            share_cache: self.share_cache.unwrap_or(true),
            user_agent: format!("officernd-auth/{} ({binding})", env!("CARGO_PKG_VERSION")),
            clock: self.clock.map_or(TimeSource::System, TimeSource::Custom),
            store: self.store,
        })
    }
}

fn rename_setting(e: Error, setting: &str) -> Error {
    match e {
        Error::Config { reason, .. } => Error::config(setting, reason),
        other => other,
    }
}

fn check_range(setting: &str, v: Duration, min: Duration, max: Duration) -> Result<()> {
    if v < min || v > max {
        return Err(Error::config(
            setting,
            format!("{v:?} is outside {min:?}..={max:?}"),
        ));
    }
    Ok(())
}

/// Surrounding whitespace (a pasted value, `\r\n` from an env file) is not part of a token URL.
/// The one trimming rule: validation, the stored URL and the budget key all go through it.
fn trim_token_url(raw: &str) -> &str {
    raw.trim()
}

/// HTTPS only, except `http://` to loopback (tests, the mock); no credentials in the URL.
/// Returns the URL to store and request: trimmed, and with no whitespace or control character
/// left inside (`url` would percent-encode a space or drop a tab, but the request could not
/// use what was typed).
pub(crate) fn validate_token_url(raw: &str) -> Result<String> {
    let bad = |reason: &str| Error::config("token_url", reason.to_owned());
    let raw = trim_token_url(raw);
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "must not contain spaces or control characters (only around it, which are ignored)",
        ));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("not a valid URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not contain a fragment"));
    }
    match url.scheme() {
        "https" => Ok(raw.to_owned()),
        "http" if is_loopback(&url) => Ok(raw.to_owned()),
        "http" => Err(bad(
            "must use https:// (plain http:// is allowed only to loopback)",
        )),
        other => Err(bad(&format!("unsupported scheme {other:?}"))),
    }
}

/// The one spelling of a token URL that keys budgets, caches and stores: scheme and host
/// lower-cased, the scheme's default port dropped (both by `url`), no trailing slash, no
/// surrounding spaces (trimmed as [`validate_token_url`] trims the stored URL, so a stored URL
/// and the raw value it came from have one key).
/// `https://Identity.officernd.com:443/oauth/token/` and the plain URL share one budget, as they
/// share one quota at the server.
pub(crate) fn normalize_token_url(raw: &str) -> String {
    let raw = trim_token_url(raw);
    match url::Url::parse(raw) {
        Ok(u) => u.as_str().trim_end_matches('/').to_owned(),
        Err(_) => raw.trim_end_matches('/').to_owned(),
    }
}

/// The endpoint the server rate-limits, from a normalised token URL: without its query and
/// fragment, and without a trailing dot on the host (`…/token?a` and `…/token?b` are one
/// budget, as the server counts them). The cache key keeps the whole URL.
pub(crate) fn budget_endpoint(normalized: &str) -> String {
    let Ok(mut u) = url::Url::parse(normalized) else {
        return normalized.to_owned();
    };
    u.set_query(None);
    u.set_fragment(None);
    if let Some(host) = u.host_str().filter(|h| h.ends_with('.')).map(str::to_owned) {
        let _ = u.set_host(Some(host.trim_end_matches('.')));
    }
    u.as_str().trim_end_matches('/').to_owned()
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_fragment_or_trailing_dot_is_not_another_budget() {
        let plain = budget_endpoint(&normalize_token_url(
            "https://identity.officernd.com/oauth/token",
        ));
        for spelling in [
            "https://identity.officernd.com/oauth/token?a",
            "https://identity.officernd.com/oauth/token?b=1#x",
            "https://identity.officernd.com./oauth/token",
            "https://Identity.OfficeRnD.com.:443/oauth/token/?q",
        ] {
            assert_eq!(
                budget_endpoint(&normalize_token_url(spelling)),
                plain,
                "{spelling}"
            );
        }
        assert_ne!(
            budget_endpoint(&normalize_token_url(
                "https://identity.officernd.com/other/token"
            )),
            plain
        );
    }

    #[test]
    fn token_urls_normalise_to_one_budget_key() {
        let plain = normalize_token_url("https://identity.officernd.com/oauth/token");
        for spelling in [
            "https://Identity.OfficeRnD.com:443/oauth/token/",
            "HTTPS://identity.officernd.com/oauth/token",
            " https://identity.officernd.com/oauth/token ",
        ] {
            assert_eq!(normalize_token_url(spelling), plain, "{spelling}");
        }
        assert_ne!(
            normalize_token_url("https://identity.officernd.com:8443/oauth/token"),
            plain
        );
    }

    fn base() -> TokenClientBuilder {
        TokenClientBuilder::new()
            .client_id("id")
            .client_secret("s3cret-value")
    }

    fn setting_of(e: Error) -> String {
        match e {
            Error::Config { setting, .. } => setting,
            other => panic!("not a config error: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = base().build_config().unwrap();
        assert_eq!(c.token_url, DEFAULT_TOKEN_URL);
        assert_eq!(c.timeout, defaults::TIMEOUT);
        assert_eq!(c.max_requests, 5);
        assert_eq!(c.quota_window, Duration::from_secs(60));
        assert!(c.user_agent.starts_with("officernd-auth/"));
        assert!(c.user_agent.ends_with("(rust)"));
    }

    #[test]
    fn each_invalid_setting_is_named() {
        let cases: Vec<(TokenClientBuilder, &str)> = vec![
            (TokenClientBuilder::new().client_secret("x"), "client_id"),
            (base().client_id("  "), "client_id"),
            (base().client_id("a\nb"), "client_id"),
            (TokenClientBuilder::new().client_id("id"), "client_secret"),
            (base().client_secret(""), "client_secret"),
            (
                base().token_url("http://example.com/oauth/token"),
                "token_url",
            ),
            (base().token_url("ftp://127.0.0.1/x"), "token_url"),
            (base().token_url("not a url"), "token_url"),
            (base().token_url("https://u:p@example.com/t"), "token_url"),
            (base().scopes(["ok", "bad\"quote"]), "scopes"),
            (base().timeout(Duration::ZERO), "timeout"),
            (
                base().min_validity(Duration::from_secs(400)),
                "min_validity",
            ),
            (
                base().request_budget(0, Duration::from_secs(60)),
                "max_requests",
            ),
            (
                base().request_budget(MAX_REQUESTS_LIMIT + 1, Duration::from_secs(60)),
                "max_requests",
            ),
            (base().max_requests(u32::MAX), "max_requests"),
            (base().max_retries(99), "max_retries"),
            (base().binding("two words"), "binding"),
        ];
        for (b, setting) in cases {
            let e = b.build_config().unwrap_err();
            assert_eq!(e.code(), "config");
            assert_eq!(setting_of(e), setting);
        }
    }

    /// A URL pasted with spaces or read from an env file (`\r\n`) is validated and used as one
    /// trimmed value: the request goes to what was validated, and the budget key agrees with it.
    #[test]
    fn token_url_is_trimmed_once_and_stored_trimmed() {
        let clean = "https://identity.example.com/oauth/token";
        for raw in [
            " https://identity.example.com/oauth/token",
            "https://identity.example.com/oauth/token ",
            "\t https://identity.example.com/oauth/token \r\n",
            "https://identity.example.com/oauth/token\n",
        ] {
            let c = base().token_url(raw).build_config().unwrap();
            assert_eq!(c.token_url, clean, "{raw:?}");
            assert_eq!(c.token_url(), clean);
            assert_eq!(normalize_token_url(&c.token_url), normalize_token_url(raw));
            assert_eq!(
                normalize_token_url(&c.token_url),
                normalize_token_url(clean)
            );
        }
        let c = base()
            .with_env_from(|n| {
                (n == env::TOKEN_URL).then(|| " http://127.0.0.1:1/oauth/token\r\n".to_owned())
            })
            .unwrap()
            .build_config()
            .unwrap();
        assert_eq!(c.token_url, "http://127.0.0.1:1/oauth/token");
    }

    /// Whitespace or control characters left inside after trimming would make a URL that
    /// `url` accepts (it percent-encodes spaces, drops tabs) but the request cannot use.
    #[test]
    fn token_url_with_whitespace_or_controls_inside_is_a_config_error() {
        for raw in [
            "https://identity.example.com/oauth /token",
            " https://identity.example.com/oauth/\ttoken ",
            "https://identity.example.com/oauth/token\n?x=1",
            "https://identity.example.com/oauth/token\u{a0}x",
            "https://identity.example.com/oauth/token\u{0}",
            "https://identity.example.com/oauth/token\u{7f}",
            "https://identity.example.com\r/oauth/token",
        ] {
            let e = base().token_url(raw).build_config().unwrap_err();
            assert_eq!(e.code(), "config", "{raw:?}");
            assert_eq!(setting_of(e), "token_url", "{raw:?}");
        }
        let e = base()
            .with_env_from(|n| {
                (n == env::TOKEN_URL).then(|| "https://identity.example.com/o auth".to_owned())
            })
            .unwrap_err();
        assert_eq!(setting_of(e), env::TOKEN_URL);
    }

    #[test]
    fn loopback_http_is_allowed() {
        for u in [
            "http://127.0.0.1:8080/oauth/token",
            "http://localhost/oauth/token",
            "http://[::1]:9/oauth/token",
            "https://identity.example.com/oauth/token",
        ] {
            base().token_url(u).build_config().unwrap();
        }
    }

    #[test]
    fn env_fills_settings_and_names_missing_variables() {
        let vars = |name: &str| match name {
            env::CLIENT_ID => Some("env-id".to_owned()),
            env::CLIENT_SECRET => Some("env-secret".to_owned()),
            env::SCOPES => Some("officernd.api.write officernd.api.read".to_owned()),
            env::TOKEN_URL => Some("http://127.0.0.1:1/oauth/token".to_owned()),
            _ => None,
        };
        let c = TokenClientBuilder::new()
            .with_env_from(vars)
            .unwrap()
            .build_config()
            .unwrap();
        assert_eq!(c.client_id, "env-id");
        assert_eq!(c.scopes.joined(), "officernd.api.read officernd.api.write");
        assert_eq!(c.token_url, "http://127.0.0.1:1/oauth/token");

        let e = TokenClientBuilder::new()
            .with_env_from(|_| None)
            .unwrap_err();
        assert_eq!(setting_of(e), env::CLIENT_ID);
        let e = TokenClientBuilder::new()
            .with_env_from(|n| (n == env::CLIENT_ID).then(|| "id".to_owned()))
            .unwrap_err();
        assert_eq!(setting_of(e), env::CLIENT_SECRET);
        let e = TokenClientBuilder::new()
            .with_env_from(|n| match n {
                env::TOKEN_URL => Some("http://evil.example/t".into()),
                _ => Some("x".into()),
            })
            .unwrap_err();
        assert_eq!(setting_of(e), env::TOKEN_URL);
    }

    #[test]
    fn empty_or_blank_variables_are_unset() {
        for empty in ["", " ", "\t\r\n"] {
            let c = base()
                .with_env_from(|_| Some(empty.to_owned()))
                .unwrap()
                .build_config()
                .unwrap();
            assert_eq!(c.token_url, DEFAULT_TOKEN_URL);
            assert_eq!(c.scopes.joined(), "");
            assert!(c.store.is_none());
            let e = TokenClientBuilder::new()
                .with_env_from(|_| Some(empty.to_owned()))
                .unwrap_err();
            assert_eq!(setting_of(e), env::CLIENT_ID);
        }
    }

    #[test]
    fn blank_scopes_do_not_hide_the_environment() {
        let c = base()
            .scopes([" "])
            .with_env_from(|n| (n == env::SCOPES).then(|| "officernd.api.read".to_owned()))
            .unwrap()
            .build_config()
            .unwrap();
        assert_eq!(c.scopes.joined(), "officernd.api.read");
    }

    #[test]
    fn budget_parts_can_be_set_alone() {
        let c = base().max_requests(3).build_config().unwrap();
        assert_eq!(
            (c.max_requests, c.quota_window),
            (3, defaults::QUOTA_WINDOW)
        );
        let c = base()
            .quota_window(Duration::from_secs(30))
            .build_config()
            .unwrap();
        assert_eq!(
            (c.max_requests, c.quota_window),
            (5, Duration::from_secs(30))
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let b = base().client_secret("super-secret-value-42");
        assert!(!format!("{b:?}").contains("super-secret-value-42"));
        let c = b.build_config().unwrap();
        assert!(!format!("{c:?}").contains("super-secret-value-42"));
    }
}
