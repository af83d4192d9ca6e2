//! The settings of a client: the [`TokenClientConfig`] record and the two objects it holds so
//! that its generated `toString` never prints a secret ([`ClientSecret`], [`Store`]), plus their
//! conversion to the core's builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use officernd_auth as core;
use officernd_auth::settings::Value;

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
/// Checked when the client is built (a `config` error naming `store`). A `rediss://` store
/// trusts the CA certificates in the PEM file `OFFICERND_REDIS_CA_FILE` names, when it is set.
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
    /// The record as core settings, by their names in core's `settings::SETTINGS`: core parses
    /// and validates them (`TokenClientBuilder::set`), so this binding restates no rule. Unset
    /// fields are left out (core's defaults). The destructure names every field: a field added
    /// here without a setting does not compile, and a core setting without a field fails the
    /// `every_core_setting_is_reachable_from_the_record` test.
    fn settings(self) -> Vec<(&'static str, Value)> {
        let TokenClientConfig {
            client_id,
            client_secret,
            scopes,
            token_url,
            timeout,
            connect_timeout,
            refresh_ahead,
            min_validity,
            max_requests,
            quota_window,
            max_retries,
            terminal_error_ttl,
            share_cache,
            store,
        } = self;
        // The secret first: setting it cannot fail, so this copy always ends up inside core's
        // `ClientSecret` (wiped on drop) instead of being dropped with the list on an error.
        let mut out = vec![
            (
                "client_secret",
                Value::Text(client_secret.0.expose_secret().to_owned()),
            ),
            ("client_id", Value::Text(client_id)),
            ("scopes", Value::List(scopes)),
            ("share_cache", Value::Flag(share_cache)),
        ];
        let durations = [
            ("timeout", timeout),
            ("connect_timeout", connect_timeout),
            ("refresh_ahead", refresh_ahead),
            ("min_validity", min_validity),
            ("quota_window", quota_window),
            ("terminal_error_ttl", terminal_error_ttl),
        ];
        out.extend(
            durations
                .into_iter()
                .filter_map(|(name, v)| Some((name, Value::Duration(v?)))),
        );
        let counts = [("max_requests", max_requests), ("max_retries", max_retries)];
        out.extend(
            counts
                .into_iter()
                .filter_map(|(name, v)| Some((name, count(v?)))),
        );
        out.extend(token_url.map(|v| ("token_url", Value::Text(v))));
        if let Some(store) = store {
            out.push(("store", Value::Text(store.spec.clone())));
            out.extend(store.path.clone().map(|p| ("store_path", Value::Text(p))));
        }
        out
    }

    pub(crate) fn into_builder(self) -> Result<core::TokenClientBuilder> {
        let builder = core::TokenClient::builder().binding(BINDING);
        Ok(self
            .settings()
            .into_iter()
            .try_fold(builder, |b, (name, value)| b.set(name, value))?)
    }
}

/// JVM integers are signed. A negative count is handed to core as text, which core refuses
/// with a `config` error naming the setting, as it refuses any count that is not a whole number.
fn count(v: i32) -> Value {
    u64::try_from(v).map_or_else(|_| Value::Text(v.to_string()), Value::Count)
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

    /// A private directory of this test process (the file store refuses a shared one).
    fn store_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("officernd-uniffi-config-{}", std::process::id()))
    }

    fn full() -> TokenClientConfig {
        let secs = |n| Some(Duration::from_secs(n));
        TokenClientConfig {
            client_id: "id".into(),
            client_secret: Arc::new(ClientSecret::new("secret-value".into())),
            scopes: vec!["officernd.api.read officernd.api.write".into()],
            token_url: Some("https://example.test/oauth/token".into()),
            timeout: secs(9),
            connect_timeout: secs(3),
            refresh_ahead: secs(200),
            min_validity: secs(30),
            max_requests: Some(4),
            quota_window: secs(70),
            max_retries: Some(1),
            terminal_error_ttl: secs(20),
            share_cache: false,
            store: Some(Arc::new(Store::new(
                "file".into(),
                Some(store_dir().display().to_string()),
            ))),
        }
    }

    #[test]
    fn every_core_setting_is_reachable_from_the_record() {
        let names: Vec<&str> = full().settings().into_iter().map(|(n, _)| n).collect();
        for s in core::settings::SETTINGS {
            assert!(
                names.contains(&s.name),
                "core setting `{}` has no field in the UniFFI TokenClientConfig",
                s.name
            );
        }
        for n in &names {
            let canonical = core::settings::find(n).map(|s| s.name);
            assert_eq!(canonical, Some(*n), "`{n}` is not a core setting's name");
        }
    }

    #[test]
    fn the_record_reaches_core_with_its_values() {
        let c = full().into_builder().unwrap().build_config().unwrap();
        assert_eq!(c.client_id(), "id");
        assert_eq!(c.token_url(), "https://example.test/oauth/token");
        assert_eq!(c.scopes().as_slice().len(), 2);
        assert_eq!(c.timeout(), Duration::from_secs(9));
        assert_eq!(c.max_requests(), 4);
        assert_eq!(c.quota_window(), Duration::from_secs(70));
        assert!(format!("{c:?}").contains("FileStore"), "{c:?}");
        let _ = std::fs::remove_dir_all(store_dir());
    }

    #[test]
    fn bad_values_are_config_errors_naming_the_setting() {
        let setting_of =
            |cfg: TokenClientConfig| match cfg.into_builder().and_then(|b| Ok(b.build()?)) {
                Err(crate::OfficeRnDAuthError::Config { setting, .. }) => setting,
                Err(e) => panic!("not a config error: {e}"),
                Ok(_) => panic!("accepted"),
            };
        let negative = TokenClientConfig {
            max_requests: Some(-1),
            ..full()
        };
        assert_eq!(setting_of(negative), "max_requests");
        let negative = TokenClientConfig {
            max_retries: Some(-2),
            ..full()
        };
        assert_eq!(setting_of(negative), "max_retries");
        let store = TokenClientConfig {
            store: Some(Arc::new(Store::new("nope".into(), None))),
            ..full()
        };
        assert_eq!(setting_of(store), "store");
    }
}
