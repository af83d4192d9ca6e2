//! The settings of a client: the [`TokenClientConfig`] record and the two objects it holds so
//! that its generated `toString` never prints a secret ([`ClientSecret`], [`Store`]), plus their
//! conversion to the core's builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use officernd_auth as core;

use crate::BINDING;
use crate::error::Result;

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
    /// Core's safe description: never a Redis password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.as_deref().map(std::path::Path::new);
        write!(
            f,
            "Store({})",
            officernd_auth::store::describe_spec(&self.spec, path)
        )
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
    pub(crate) fn into_builder(self) -> Result<core::TokenClientBuilder> {
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
        if let Some(v) = self.max_requests {
            b = b.max_requests(unsigned("max_requests", v)?);
        }
        if let Some(v) = self.quota_window {
            b = b.quota_window(v);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_prints_no_password() {
        let s = Store::new("redis://user:hunter2@cache.internal:6379/0".into(), None);
        assert_eq!(
            s.to_string(),
            "Store(redis://user:***@cache.internal:6379/0)"
        );
        let f = Store::new("file".into(), Some("/tmp/x".into()));
        assert_eq!(f.to_string(), "Store(file:/tmp/x)");
        let typo = Store::new("redis:/:hunter2@host".into(), None);
        assert!(!typo.to_string().contains("hunter2"));
    }

    #[test]
    fn secret_never_printed() {
        let s = ClientSecret::new("super-secret-value".into());
        assert_eq!(s.to_string(), "[redacted]");
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
