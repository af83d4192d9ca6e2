//! The options object of `new TokenClient({...})` / `TokenClient.fromEnv({...})`, converted to a
//! core builder. Type mistakes throw `TypeError`, out-of-range numbers `RangeError`, unknown keys
//! `TypeError` (a misspelt `clientID` must not be silently ignored). Every other rule (required
//! settings, URL policy, window limits) is core's, reported as `OFFICERND_CONFIG`.
//!
//! To add an option: one entry in [`KNOWN`], one line in [`apply`], one field in
//! [`TokenClientOptions`] (the TypeScript type).

use std::path::Path;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::{JsValue, ValueType};
use napi_derive::napi;
use officernd_auth::TokenClientBuilder;

use crate::error::{range_error, throwable, type_error};

/// Settings of a `TokenClient`. Durations are in milliseconds. Unset settings take core's
/// defaults (`fromEnv` fills `clientId`, `clientSecret`, `scopes` and `tokenUrl` from the
/// `OFFICERND_*` environment variables).
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // the TypeScript type of the options; they are read by `apply`
pub struct TokenClientOptions {
    /// Client id of the OfficeRnD application.
    pub client_id: Option<String>,
    /// Client secret of the OfficeRnD application (never printed).
    pub client_secret: Option<String>,
    /// Scopes: an array, or one space-separated string.
    pub scopes: Option<Either<String, Vec<String>>>,
    /// Token endpoint (default `https://identity.officernd.com/oauth/token`); `http://` only to loopback.
    pub token_url: Option<String>,
    /// Overall timeout of one call, retries and waiting for another caller included (default 10000).
    pub timeout_ms: Option<f64>,
    /// Connect timeout of one attempt (default 5000).
    pub connect_timeout_ms: Option<f64>,
    /// Refresh this long before expiry (default 300000; capped at half the token lifetime).
    pub refresh_ahead_ms: Option<f64>,
    /// Never hand out a token with less than this left (default 60000; capped at half the lifetime).
    pub min_validity_ms: Option<f64>,
    /// Request budget (default 5 requests per 60000 ms, OfficeRnD's limit).
    pub budget: Option<BudgetOptions>,
    /// Retries of transport errors, timeouts and 5xx (default 2).
    pub max_retries: Option<u32>,
    /// How long terminal answers (`invalid_client`…) are remembered (default 60000).
    pub terminal_error_ttl_ms: Option<f64>,
    /// Share one cache with every client of the same settings in this process (default true).
    /// Turn off only to isolate tests or benchmarks.
    pub share_cache: Option<bool>,
    /// Where the token is shared beyond this process: `'memory'` (default: this process only),
    /// `'file'` (every process of this user on this machine, e.g. a Node cluster) or a
    /// `'redis://…'` / `'rediss://…'` URL (every host of a fleet; a password in it is never shown).
    /// `fromEnv` reads `OFFICERND_STORE` when unset.
    pub store: Option<String>,
    /// Directory of the file store (default `$XDG_CACHE_HOME/officernd-auth` or
    /// `~/.cache/officernd-auth`); only with `store: 'file'`. `fromEnv` reads
    /// `OFFICERND_STORE_PATH` when `store` comes from the environment.
    pub store_path: Option<String>,
}

/// At most `maxRequests` token requests per rolling `windowMs`.
#[napi(object, object_to_js = false)]
#[allow(dead_code)]
pub struct BudgetOptions {
    /// Requests per window (at least 1).
    pub max_requests: u32,
    /// Window length in milliseconds (default 60000).
    pub window_ms: Option<f64>,
}

const KNOWN: &[&str] = &[
    "clientId",
    "clientSecret",
    "scopes",
    "tokenUrl",
    "timeoutMs",
    "connectTimeoutMs",
    "refreshAheadMs",
    "minValidityMs",
    "budget",
    "maxRetries",
    "terminalErrorTtlMs",
    "shareCache",
    "store",
    "storePath",
];

/// Largest duration accepted before core's own range checks (about 31 years).
const MAX_MS: f64 = 1e12;

/// Applies `options` (a JS object, or `undefined` when `optional`) to `builder`.
pub(crate) fn apply(
    env: &Env,
    options: Option<Unknown>,
    optional: bool,
    mut b: TokenClientBuilder,
) -> Result<TokenClientBuilder> {
    let obj = match options {
        None => {
            return if optional {
                Ok(b)
            } else {
                Err(type_error(env, "options must be an object"))
            };
        }
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null if optional => return Ok(b),
            ValueType::Object if !v.is_array()? => v.coerce_to_object()?,
            _ => return Err(type_error(env, "options must be an object")),
        },
    };
    let r = Reader {
        env,
        obj: &obj,
        path: "options",
    };
    for key in Object::keys(&obj)? {
        if !KNOWN.contains(&key.as_str()) {
            return Err(type_error(
                env,
                format!("unknown option {key:?} (known: {})", KNOWN.join(", ")),
            ));
        }
    }
    if let Some(v) = r.string("clientId")? {
        b = b.client_id(v);
    }
    if let Some(v) = r.string("clientSecret")? {
        b = b.client_secret(v);
    }
    if let Some(v) = r.scopes("scopes")? {
        b = b.scopes(v);
    }
    if let Some(v) = r.string("tokenUrl")? {
        b = b.token_url(v);
    }
    if let Some(v) = r.millis("timeoutMs")? {
        b = b.timeout(v);
    }
    if let Some(v) = r.millis("connectTimeoutMs")? {
        b = b.connect_timeout(v);
    }
    if let Some(v) = r.millis("refreshAheadMs")? {
        b = b.refresh_ahead(v);
    }
    if let Some(v) = r.millis("minValidityMs")? {
        b = b.min_validity(v);
    }
    if let Some((max, window)) = r.budget("budget")? {
        b = b.max_requests(max);
        if let Some(window) = window {
            b = b.quota_window(window);
        }
    }
    if let Some(v) = r.count("maxRetries")? {
        b = b.max_retries(v);
    }
    if let Some(v) = r.millis("terminalErrorTtlMs")? {
        b = b.terminal_error_ttl(v);
    }
    if let Some(v) = r.boolean("shareCache")? {
        b = b.share_cache(v);
    }
    let store = r.string("store")?;
    let store_path = r.string("storePath")?;
    if store.is_some() || store_path.is_some() {
        // Core decides what the pair means (a directory alone is the file store).
        b = b
            .store_options(store.as_deref(), store_path.as_deref().map(Path::new))
            .map_err(|e| throwable(env, &e))?;
    }
    Ok(b)
}

struct Reader<'a, 'e> {
    env: &'a Env,
    obj: &'a Object<'e>,
    /// How messages name the object: `options`, `options.budget`.
    path: &'a str,
}

impl<'e> Reader<'_, 'e> {
    /// The property, or `None` when it is `undefined` or `null`.
    fn get(&self, key: &str) -> Result<Option<(Unknown<'e>, ValueType)>> {
        let v: Unknown<'e> = self.obj.get_named_property(key)?;
        match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            t => Ok(Some((v, t))),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::String)) => Ok(Some(unsafe { v.cast::<String>() }?)),
            Some(_) => Err(type_error(
                self.env,
                format!("{}.{key} must be a string", self.path),
            )),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::Boolean)) => Ok(Some(unsafe { v.cast::<bool>() }?)),
            Some(_) => Err(type_error(
                self.env,
                format!("{}.{key} must be a boolean", self.path),
            )),
        }
    }

    fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::Number)) => Ok(Some(unsafe { v.cast::<f64>() }?)),
            Some(_) => Err(type_error(
                self.env,
                format!("{}.{key} must be a number", self.path),
            )),
        }
    }

    fn millis(&self, key: &str) -> Result<Option<Duration>> {
        match self.number(key)? {
            None => Ok(None),
            Some(ms) if ms.is_finite() && (0.0..=MAX_MS).contains(&ms) => {
                Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
            }
            Some(ms) => Err(range_error(
                self.env,
                format!(
                    "{}.{key} must be a number of milliseconds from 0 to {MAX_MS}, got {ms}",
                    self.path
                ),
            )),
        }
    }

    fn count(&self, key: &str) -> Result<Option<u32>> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Ok(Some(n as u32))
            }
            Some(n) => Err(range_error(
                self.env,
                format!(
                    "{}.{key} must be a non-negative integer, got {n}",
                    self.path
                ),
            )),
        }
    }

    fn scopes(&self, key: &str) -> Result<Option<Vec<String>>> {
        let bad = || {
            type_error(
                self.env,
                format!(
                    "{}.{key} must be a string or an array of strings",
                    self.path
                ),
            )
        };
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::String)) => Ok(Some(vec![unsafe { v.cast::<String>() }?])),
            Some((v, ValueType::Object)) if v.is_array()? => {
                let arr = unsafe { v.cast::<Array>() }?;
                let mut out = Vec::with_capacity(arr.len() as usize);
                for i in 0..arr.len() {
                    let item: Unknown = arr.get(i)?.ok_or_else(bad)?;
                    if item.get_type()? != ValueType::String {
                        return Err(bad());
                    }
                    out.push(unsafe { item.cast::<String>() }?);
                }
                Ok(Some(out))
            }
            Some(_) => Err(bad()),
        }
    }

    fn budget(&self, key: &str) -> Result<Option<(u32, Option<Duration>)>> {
        let bad = || {
            type_error(
                self.env,
                format!(
                    "{}.{key} must be an object {{ maxRequests, windowMs? }}",
                    self.path
                ),
            )
        };
        match self.get(key)? {
            None => Ok(None),
            Some((v, ValueType::Object)) if !v.is_array()? => {
                let obj = v.coerce_to_object()?;
                for k in Object::keys(&obj)? {
                    if k != "maxRequests" && k != "windowMs" {
                        return Err(bad());
                    }
                }
                let path = format!("{}.{key}", self.path);
                let inner = Reader {
                    env: self.env,
                    obj: &obj,
                    path: &path,
                };
                let max = inner.count("maxRequests")?;
                let window = inner.millis("windowMs")?;
                let max = max.ok_or_else(bad)?;
                Ok(Some((max, window)))
            }
            Some(_) => Err(bad()),
        }
    }
}
