//! The settings table: every setting a client takes, once — its name and the old spellings that
//! shipped, the kind of value it takes, its environment variable, its default and what it does.
//! Bindings and the CLI pass settings by name through [`TokenClientBuilder::set`] (the shape of
//! object_store's `with_config(key, value)`), so a new setting is one entry here plus the
//! builder field it fills; validation stays in `config`.

use std::path::PathBuf;
use std::time::Duration;

use crate::config::{TokenClientBuilder, env};
use crate::error::{Error, Result};

/// Which setting (the exhaustive list every `match` in this file covers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Key {
    /// `client_id`
    ClientId,
    /// `client_secret`
    ClientSecret,
    /// `scopes`
    Scopes,
    /// `token_url`
    TokenUrl,
    /// `timeout`
    Timeout,
    /// `connect_timeout`
    ConnectTimeout,
    /// `refresh_ahead`
    RefreshAhead,
    /// `min_validity`
    MinValidity,
    /// `max_requests`
    MaxRequests,
    /// `quota_window`
    QuotaWindow,
    /// `max_retries`
    MaxRetries,
    /// `terminal_error_ttl`
    TerminalErrorTtl,
    /// `share_cache`
    ShareCache,
    /// `store`
    Store,
    /// `store_path`
    StorePath,
}

/// The kind of value a setting takes, and so how each language spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// Text that is never shown.
    Secret,
    /// Space-separated scopes, or a list of them.
    Scopes,
    /// A duration: seconds in text and in Python, milliseconds in Node and C (`…_ms`).
    Duration,
    /// A whole number.
    Count,
    /// `true` / `false`.
    Flag,
    /// A directory.
    Path,
}

/// One setting.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// Which one.
    pub key: Key,
    /// The name every binding uses (snake_case; Node and Kotlin spell it in camelCase, with
    /// `Ms` after durations in Node).
    pub name: &'static str,
    /// Older spellings that shipped, still accepted.
    pub aliases: &'static [&'static str],
    /// The kind of value.
    pub kind: Kind,
    /// The environment variable `from_env` reads it from, if any.
    pub env: Option<&'static str>,
    /// The default, as shown in docs.
    pub default: &'static str,
    /// What it does, for docs and help texts.
    pub doc: &'static str,
}

/// Every setting.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: Key::ClientId,
        name: "client_id",
        aliases: &[],
        kind: Kind::Text,
        env: Some(env::CLIENT_ID),
        default: "required",
        doc: "client id of the OfficeRnD application",
    },
    Setting {
        key: Key::ClientSecret,
        name: "client_secret",
        aliases: &[],
        kind: Kind::Secret,
        env: Some(env::CLIENT_SECRET),
        default: "required",
        doc: "client secret of the OfficeRnD application (never shown)",
    },
    Setting {
        key: Key::Scopes,
        name: "scopes",
        aliases: &["scope"],
        kind: Kind::Scopes,
        env: Some(env::SCOPES),
        default: "none: the application's default",
        doc: "scopes to ask for, space-separated or a list",
    },
    Setting {
        key: Key::TokenUrl,
        name: "token_url",
        aliases: &[],
        kind: Kind::Text,
        env: Some(env::TOKEN_URL),
        default: crate::config::DEFAULT_TOKEN_URL,
        doc: "token endpoint: https://, or http:// to loopback",
    },
    Setting {
        key: Key::Timeout,
        name: "timeout",
        aliases: &[],
        kind: Kind::Duration,
        env: None,
        default: "10 s",
        doc: "overall timeout of one call, retries and waiting included",
    },
    Setting {
        key: Key::ConnectTimeout,
        name: "connect_timeout",
        aliases: &[],
        kind: Kind::Duration,
        env: None,
        default: "5 s",
        doc: "TCP + TLS connect timeout of one attempt",
    },
    Setting {
        key: Key::RefreshAhead,
        name: "refresh_ahead",
        aliases: &[],
        kind: Kind::Duration,
        env: None,
        default: "300 s",
        doc: "refresh this long before expiry (capped at half the token's lifetime)",
    },
    Setting {
        key: Key::MinValidity,
        name: "min_validity",
        aliases: &[],
        kind: Kind::Duration,
        env: None,
        default: "60 s",
        doc: "never hand out a token with less than this left (capped at half its lifetime)",
    },
    Setting {
        key: Key::MaxRequests,
        name: "max_requests",
        aliases: &["budget_max_requests"],
        kind: Kind::Count,
        env: None,
        default: "5",
        doc: "token requests allowed per quota window, counted as the server counts them (1 to 1000)",
    },
    Setting {
        key: Key::QuotaWindow,
        name: "quota_window",
        aliases: &["budget_window", "window"],
        kind: Kind::Duration,
        env: None,
        default: "60 s",
        doc: "the rolling window of the request budget",
    },
    Setting {
        key: Key::MaxRetries,
        name: "max_retries",
        aliases: &[],
        kind: Kind::Count,
        env: None,
        default: "2",
        doc: "retries after transport errors, timeouts and 5xx",
    },
    Setting {
        key: Key::TerminalErrorTtl,
        name: "terminal_error_ttl",
        aliases: &[],
        kind: Kind::Duration,
        env: None,
        default: "60 s",
        doc: "how long terminal answers (invalid_client…) are replayed instead of resent",
    },
    Setting {
        key: Key::ShareCache,
        name: "share_cache",
        aliases: &[],
        kind: Kind::Flag,
        env: None,
        default: "true",
        doc: "clients with the same settings share one cache and one request budget in the process (false: as another process would; for tests)",
    },
    Setting {
        key: Key::Store,
        name: "store",
        aliases: &[],
        kind: Kind::Text,
        env: Some(env::STORE),
        default: "memory",
        doc: "where tokens are shared: memory, file, or a redis:// / rediss:// URL",
    },
    Setting {
        key: Key::StorePath,
        name: "store_path",
        aliases: &["cache_dir"],
        kind: Kind::Path,
        env: Some(env::STORE_PATH),
        default: "$XDG_CACHE_HOME/officernd-auth or ~/.cache/officernd-auth",
        doc: "directory of the file store (alone, it means the file store)",
    },
];

/// The setting spelled `name` (its name or an alias, snake_case or camelCase).
pub fn find(name: &str) -> Option<&'static Setting> {
    let snake = to_snake(name);
    SETTINGS
        .iter()
        .find(|s| s.name == snake || s.aliases.contains(&snake.as_str()))
}

/// `timeoutMs` → `timeout_ms`, `quotaWindow` → `quota_window`.
fn to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A setting's value as a binding holds it. `Debug` never shows text (it may be the secret).
#[derive(Clone, PartialEq)]
pub enum Value {
    /// Text (any kind may be given as text: it is parsed as that kind).
    Text(String),
    /// A list of texts (scopes).
    List(Vec<String>),
    /// A duration.
    Duration(Duration),
    /// A whole number.
    Count(u64),
    /// A flag.
    Flag(bool),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(s) => write!(f, "Text([{} characters])", s.chars().count()),
            Value::List(items) => write!(f, "List([{} items])", items.len()),
            Value::Duration(d) => write!(f, "Duration({d:?})"),
            Value::Count(n) => write!(f, "Count({n})"),
            Value::Flag(b) => write!(f, "Flag({b})"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<Duration> for Value {
    fn from(d: Duration) -> Value {
        Value::Duration(d)
    }
}

impl TokenClientBuilder {
    /// Sets one setting by name (see [`SETTINGS`]; aliases and camelCase accepted). Text values
    /// are parsed as the setting's kind: durations in seconds (`2.5`), counts, `true`/`false`.
    /// Range checks happen in [`TokenClientBuilder::build`], as for the typed methods.
    pub fn set(self, name: &str, value: impl Into<Value>) -> Result<Self> {
        let setting = find(name).ok_or_else(|| {
            Error::config(
                name,
                format!(
                    "unknown setting; known: {}",
                    SETTINGS
                        .iter()
                        .map(|s| s.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let value = value.into();
        let bad = |why: &str| Error::config(setting.name, why.to_owned());
        let text = |v: Value| match v {
            Value::Text(s) => Ok(s),
            _ => Err(bad("must be text")),
        };
        let duration = |v: Value| match v {
            Value::Duration(d) => Ok(d),
            Value::Text(s) => parse_seconds(&s).ok_or_else(|| bad("must be a number of seconds")),
            _ => Err(bad("must be a duration")),
        };
        let count = |v: Value| match v {
            Value::Count(n) => u32::try_from(n).map_err(|_| bad("is too large")),
            Value::Text(s) => s.trim().parse().map_err(|_| bad("must be a whole number")),
            _ => Err(bad("must be a whole number")),
        };
        Ok(match setting.key {
            Key::ClientId => self.client_id(text(value)?),
            Key::ClientSecret => self.client_secret(text(value)?),
            Key::Scopes => match value {
                Value::List(items) => self.scopes(items),
                other => self.scopes([text(other)?]),
            },
            Key::TokenUrl => self.token_url(text(value)?),
            Key::Timeout => self.timeout(duration(value)?),
            Key::ConnectTimeout => self.connect_timeout(duration(value)?),
            Key::RefreshAhead => self.refresh_ahead(duration(value)?),
            Key::MinValidity => self.min_validity(duration(value)?),
            Key::MaxRequests => self.max_requests(count(value)?),
            Key::QuotaWindow => self.quota_window(duration(value)?),
            Key::MaxRetries => self.max_retries(count(value)?),
            Key::TerminalErrorTtl => self.terminal_error_ttl(duration(value)?),
            Key::ShareCache => self.share_cache(match value {
                Value::Flag(b) => b,
                Value::Text(s) => match s.trim() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" => false,
                    _ => return Err(bad("must be true or false")),
                },
                _ => return Err(bad("must be true or false")),
            }),
            Key::Store => self.pending_store(Some(text(value)?), None),
            Key::StorePath => self.pending_store(None, Some(PathBuf::from(text(value)?))),
        })
    }
}

/// `2`, `2.5`, `0.001` seconds; no negatives, no NaN, nothing absurd.
fn parse_seconds(s: &str) -> Option<Duration> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && (0.0..1e9).contains(&v)).then(|| Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> TokenClientBuilder {
        TokenClientBuilder::new()
            .client_id("id")
            .client_secret("secret-value")
    }

    #[test]
    fn every_setting_can_be_set_by_name_from_text() {
        let examples = |s: &Setting| match s.kind {
            Kind::Text if s.key == Key::TokenUrl => "https://example.test/oauth/token",
            Kind::Text if s.key == Key::Store => "memory",
            Kind::Text | Kind::Secret => "some-value",
            Kind::Scopes => "a b",
            Kind::Duration if s.key == Key::RefreshAhead => "120",
            Kind::Duration => "2.5",
            Kind::Count => "3",
            Kind::Flag => "false",
            Kind::Path => "/tmp/officernd-settings-test",
        };
        for s in SETTINGS {
            if s.key == Key::StorePath {
                continue; // needs store=file; checked below
            }
            let b = base()
                .set(s.name, examples(s))
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
            b.build_config()
                .unwrap_or_else(|e| panic!("{}: {e}", s.name));
            for alias in s.aliases {
                base().set(alias, examples(s)).unwrap();
            }
        }
    }

    #[test]
    fn names_are_unique_and_camel_case_is_accepted() {
        let mut all: Vec<&str> = SETTINGS
            .iter()
            .flat_map(|s| s.aliases.iter().copied().chain([s.name]))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a name or alias is used twice");
        assert_eq!(find("quotaWindow").unwrap().key, Key::QuotaWindow);
        assert_eq!(find("cache_dir").unwrap().key, Key::StorePath);
        assert!(find("nope").is_none());
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (k, v) in [
            ("timeout", "soon"),
            ("max_requests", "-1"),
            ("share_cache", "maybe"),
            ("timeout", "-2"),
        ] {
            let e = base().set(k, v).unwrap_err();
            assert_eq!(
                (e.code(), e.to_string().contains(k)),
                ("config", true),
                "{k}={v}: {e}"
            );
        }
        let e = base().set("color", "blue").unwrap_err();
        assert!(e.to_string().contains("unknown setting"), "{e}");
        let c = base()
            .set("timeout", "2.5")
            .unwrap()
            .build_config()
            .unwrap();
        assert_eq!(c.timeout(), Duration::from_millis(2500));
        let c = base()
            .set("quotaWindow", Duration::from_secs(4))
            .unwrap()
            .build_config()
            .unwrap();
        assert_eq!(c.quota_window(), Duration::from_secs(4));
    }

    #[test]
    fn store_and_store_path_combine_in_either_order() {
        let dir = std::env::temp_dir().join(format!("officernd-settings-{}", std::process::id()));
        for order in [["store", "store_path"], ["store_path", "store"]] {
            let mut b = base();
            for k in order {
                b = b
                    .set(
                        k,
                        if k == "store" {
                            "file"
                        } else {
                            dir.to_str().unwrap()
                        },
                    )
                    .unwrap();
            }
            let c = b.build_config().unwrap();
            assert!(format!("{c:?}").contains("FileStore"), "{order:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_store_path_alone_in_the_environment_means_the_file_store() {
        let dir =
            std::env::temp_dir().join(format!("officernd-settings-env-{}", std::process::id()));
        let path = dir.to_str().unwrap().to_owned();
        let c = base()
            .with_env_from(|name| (name == env::STORE_PATH).then(|| path.clone()))
            .unwrap()
            .build_config()
            .unwrap();
        assert!(format!("{c:?}").contains("FileStore"), "{c:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
