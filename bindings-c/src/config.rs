//! `officernd_config`: the settings of a client, set one by one before `officernd_client_new`.
//! Setters only record values; every rule is checked by the core when the client is built, and
//! a bad setting fails there with `OFFICERND_RESULT_CONFIG` naming it. The one exception is the
//! store (`officernd_config_set_store`), which the core opens, and so checks, when it is set.

use std::ffi::c_char;
use std::path::Path;

use officernd_auth::TokenClientBuilder;

use crate::error::{guard, guard_value, officernd_error, officernd_result};
use crate::util::{millis, mut_arg, out_arg, str_arg, write_out};

/// The settings of a client (id, secret, scopes, token URL, timeouts, windows, budget).
/// Created by `officernd_config_new`, freed by `officernd_config_free`. Not safe to modify from
/// several threads at once; reusable for any number of `officernd_client_new` calls.
pub struct officernd_config {
    pub(crate) builder: TokenClientBuilder,
}

impl officernd_config {
    fn update(&mut self, f: impl FnOnce(TokenClientBuilder) -> TokenClientBuilder) {
        self.builder = f(std::mem::take(&mut self.builder));
    }
}

/// Creates an empty configuration (every setting at its default, no id or secret) in `*out`.
/// Free it with `officernd_config_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_new(out: *mut *mut officernd_config) -> officernd_result {
    guard(std::ptr::null_mut(), || {
        let out = out_arg(out, "out")?;
        let cfg = Box::new(officernd_config {
            builder: TokenClientBuilder::new(),
        });
        write_out(out, Box::into_raw(cfg));
        Ok(())
    })
}

/// Frees a configuration. NULL is ignored. Clients built from it are not affected.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_free(config: *mut officernd_config) {
    guard_value((), || {
        if !config.is_null() {
            // SAFETY: `config` came from `officernd_config_new` and is freed once.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

fn set_str(
    config: *mut officernd_config,
    value: *const c_char,
    name: &'static str,
    err: *mut officernd_error,
    apply: impl FnOnce(TokenClientBuilder, String) -> TokenClientBuilder,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        let v = str_arg(value, name)?.to_owned();
        cfg.update(|b| apply(b, v));
        Ok(())
    })
}

fn set(
    config: *mut officernd_config,
    err: *mut officernd_error,
    apply: impl FnOnce(TokenClientBuilder) -> TokenClientBuilder,
) -> officernd_result {
    guard(err, || {
        mut_arg(config, "config")?.update(apply);
        Ok(())
    })
}

/// Sets the client id of the OfficeRnD application (a NUL-terminated UTF-8 string, copied).
/// `err` may be NULL; it receives the detail of a failure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_client_id(
    config: *mut officernd_config,
    client_id: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_str(config, client_id, "client_id", err, |b, v| b.client_id(v))
}

/// Sets the client secret (a NUL-terminated UTF-8 string, copied; the copy is wiped when the
/// configuration and its clients are freed). It never appears in any message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_client_secret(
    config: *mut officernd_config,
    client_secret: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_str(config, client_secret, "client_secret", err, |b, v| {
        b.client_secret(v)
    })
}

/// Sets the requested scopes: one string of space-separated scopes, e.g.
/// `"officernd.api.read officernd.api.write"` (order and duplicates do not matter). Replaces
/// scopes set before. An empty string asks for the application's default scopes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_scopes(
    config: *mut officernd_config,
    scopes: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_str(config, scopes, "scopes", err, |b, v| {
        if v.trim().is_empty() {
            b.scopes(Vec::<String>::new())
        } else {
            b.scopes([v])
        }
    })
}

/// Sets the token endpoint (default `https://identity.officernd.com/oauth/token`): `https://`, or
/// `http://` to a loopback address only (tests, the mock server).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_token_url(
    config: *mut officernd_config,
    token_url: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_str(config, token_url, "token_url", err, |b, v| b.token_url(v))
}

/// Sets the overall timeout of one token call, retries and waiting included (default 10000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_timeout_ms(
    config: *mut officernd_config,
    timeout_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.timeout(millis(timeout_ms)))
}

/// Sets the connect (TCP + TLS) timeout of one attempt (default 5000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_connect_timeout_ms(
    config: *mut officernd_config,
    connect_timeout_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| {
        b.connect_timeout(millis(connect_timeout_ms))
    })
}

/// Sets how long before expiry a token is refreshed (default 300000 ms; capped at half the
/// token's lifetime).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_refresh_ahead_ms(
    config: *mut officernd_config,
    refresh_ahead_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.refresh_ahead(millis(refresh_ahead_ms)))
}

/// Sets the minimum validity left on any token handed out (default 60000 ms; at most the
/// refresh-ahead window; capped at half the token's lifetime).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_min_validity_ms(
    config: *mut officernd_config,
    min_validity_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.min_validity(millis(min_validity_ms)))
}

/// Sets the request budget: at most `max_requests` token requests (first fetches, refreshes and
/// retries alike) per rolling `window_ms` (default 5 per 60000 ms, OfficeRnD's limit).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_request_budget(
    config: *mut officernd_config,
    max_requests: u32,
    window_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| {
        b.request_budget(max_requests, millis(window_ms))
    })
}

/// Sets how many times a failed request is retried (transport errors, timeouts, 5xx only;
/// default 2, at most 10).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_max_retries(
    config: *mut officernd_config,
    max_retries: u32,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.max_retries(max_retries))
}

/// Sets how long terminal answers (`invalid_client`, `invalid_scope`…) are remembered instead of
/// re-sent (default 60000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_terminal_error_ttl_ms(
    config: *mut officernd_config,
    ttl_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.terminal_error_ttl(millis(ttl_ms)))
}

/// Sets whether clients with the same token URL, id, secret and scopes share one cache and budget
/// in this process (default true). Turn it off only to isolate tests or benchmarks.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_share_cache(
    config: *mut officernd_config,
    share_cache: bool,
    err: *mut officernd_error,
) -> officernd_result {
    set(config, err, |b| b.share_cache(share_cache))
}

/// Sets where tokens (and the request budget) are shared, so that many processes or hosts send
/// one token request instead of one each. `store` (a NUL-terminated UTF-8 string, copied) is:
/// - `"memory"` (the default): clients of this process only;
/// - `"file"`: every process of this user on this machine, through files `0600` in the `0700`
///   directory `store_path`, or in `$XDG_CACHE_HOME/officernd-auth` (`~/.cache/officernd-auth`)
///   when `store_path` is NULL;
/// - a `redis://` or `rediss://` URL (`redis://[:password@]host[:port][/db]`): every host of a
///   fleet. The password never appears in any message.
///
/// `store_path` (NULL, or a NUL-terminated UTF-8 string, copied) is only for `"file"`. Unlike the
/// other setters this one opens the store now (creating the file store's directory; a Redis
/// store connects lazily, on the first token call), so it fails at once with
/// `OFFICERND_RESULT_CONFIG` and `officernd_error_setting` `"store"` (an unknown store, or a
/// `store_path` with a store other than `"file"`) or `"store_path"` (no usable directory: a
/// symlink, not owned by the user, writable by others); the configuration is then unchanged.
/// A store that fails later (Redis down, a read-only disk) never makes a token call fail: the
/// client then fetches directly with its memory cache and budget.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_store(
    config: *mut officernd_config,
    store: *const c_char,
    store_path: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        let spec = str_arg(store, "store")?;
        let path = if store_path.is_null() {
            None
        } else {
            Some(Path::new(str_arg(store_path, "store_path")?))
        };
        cfg.builder = cfg.builder.clone().store_spec(spec, path)?;
        Ok(())
    })
}

/// Fills the settings not set yet from the environment: `OFFICERND_CLIENT_ID`,
/// `OFFICERND_CLIENT_SECRET`, `OFFICERND_SCOPES` (space-separated), `OFFICERND_TOKEN_URL`, and
/// the store (`OFFICERND_STORE` with `OFFICERND_STORE_PATH`, as `officernd_config_set_store`
/// takes them) unless `officernd_config_set_store` was called.
/// Fails with `OFFICERND_RESULT_CONFIG` (naming the variable) when the id or secret is missing
/// or a variable is invalid; the configuration is then unchanged.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_load_env(
    config: *mut officernd_config,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        cfg.builder = cfg.builder.clone().with_env()?;
        Ok(())
    })
}
