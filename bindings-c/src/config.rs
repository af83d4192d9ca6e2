//! `officernd_config`: the settings of a client, set one by one before `officernd_client_new`.
//! Every setter goes through core's settings table (`TokenClientBuilder::set`): by name with
//! `officernd_config_set`, the typed `officernd_config_set_*` functions being shims over the same
//! path. Setters only record values; every rule is checked by the core when the client is built,
//! and a bad setting fails there with `OFFICERND_RESULT_CONFIG` naming it. The one exception is
//! the store (`officernd_config_set_store`), which the core opens, and so checks, when it is set.

use std::ffi::c_char;
use std::path::Path;

use officernd_auth::TokenClientBuilder;
use officernd_auth::settings::Value;

use crate::error::{Failure, guard, guard_value, officernd_error, officernd_result};
use crate::util::{millis, mut_arg, out_arg, str_arg, write_out};

/// The settings of a client (id, secret, scopes, token URL, timeouts, windows, budget).
/// Created by `officernd_config_new`, freed by `officernd_config_free`. Not safe to modify from
/// several threads at once; reusable for any number of `officernd_client_new` calls.
pub struct officernd_config {
    pub(crate) builder: TokenClientBuilder,
    /// The binding named in the `User-Agent` (`officernd_config_set_binding`); `c` when unset.
    pub(crate) binding: Option<String>,
}

/// Creates an empty configuration (every setting at its default, no id or secret) in `*out`.
/// Free it with `officernd_config_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_new(out: *mut *mut officernd_config) -> officernd_result {
    guard(std::ptr::null_mut(), || {
        let out = out_arg(out, "out")?;
        let cfg = Box::new(officernd_config {
            builder: TokenClientBuilder::new(),
            binding: None,
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

/// Sets one setting by name through core's settings table (`TokenClientBuilder::set`), on a
/// copy, so a rejected value leaves the configuration as it was.
fn set_value(cfg: &mut officernd_config, name: &str, value: Value) -> Result<(), Failure> {
    cfg.builder = cfg.builder.clone().set(name, value)?;
    Ok(())
}

/// A typed setter: checks `config`, converts the value (which may fail, e.g. on bad UTF-8) and
/// sets it by name.
fn set_typed(
    config: *mut officernd_config,
    err: *mut officernd_error,
    name: &'static str,
    value: impl FnOnce() -> Result<Value, Failure>,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        set_value(cfg, name, value()?)
    })
}

fn text(value: *const c_char, name: &'static str) -> Result<Value, Failure> {
    Ok(Value::Text(str_arg(value, name)?.to_owned()))
}

fn ms(value: u64) -> Result<Value, Failure> {
    Ok(Value::Duration(millis(value)))
}

/// Sets any setting by name, so a setting added to the library needs no new C function.
///
/// `name` is a name from the library's one settings table, or one of its older spellings
/// (snake_case or camelCase), e.g. `"client_id"`, `"scopes"` (or `"scope"`), `"token_url"`,
/// `"timeout"`, `"max_requests"`, `"quota_window"`, `"share_cache"`, `"store"`,
/// `"store_path"`; an unknown name's error message lists them all. `value` is text, parsed as
/// the setting's kind: durations in SECONDS (`"2.5"`, `"0.3"`; not milliseconds like the `_ms`
/// setters), whole numbers (`"5"`), `"true"`/`"false"`, scopes space-separated (blank: the
/// application's default). Both are NUL-terminated UTF-8 strings, copied.
///
/// Fails with `OFFICERND_RESULT_CONFIG` when the name is unknown (`officernd_error_setting` is
/// the name given) or the value is not of the setting's kind (`officernd_error_setting` is the
/// setting's name); the configuration is then unchanged. Ranges (a timeout of 0, a budget of 0)
/// are checked by `officernd_client_new`, as for the typed setters. Unlike
/// `officernd_config_set_store`, `"store"` and `"store_path"` given here are opened when the
/// client is built (in either order; a `"store_path"` alone means the file store there); use
/// one way or the other on a configuration: a store given by name wins over
/// `officernd_config_set_store` whatever the order of the calls.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set(
    config: *mut officernd_config,
    name: *const c_char,
    value: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        let name = str_arg(name, "name")?;
        let value = str_arg(value, "value")?;
        set_value(cfg, name, Value::Text(value.to_owned()))
    })
}

/// Sets the client id of the OfficeRnD application (a NUL-terminated UTF-8 string, copied).
/// `err` may be NULL; it receives the detail of a failure. The same as
/// `officernd_config_set(config, "client_id", client_id, err)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_client_id(
    config: *mut officernd_config,
    client_id: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "client_id", || text(client_id, "client_id"))
}

/// Sets the client secret (a NUL-terminated UTF-8 string, copied; the copy is wiped when the
/// configuration and its clients are freed). It never appears in any message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_client_secret(
    config: *mut officernd_config,
    client_secret: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "client_secret", || {
        text(client_secret, "client_secret")
    })
}

/// Sets the requested scopes: one string of space-separated scopes, e.g.
/// `"officernd.api.read officernd.api.write"` (order and duplicates do not matter). Replaces
/// scopes set before. An empty or blank string asks for the application's default scopes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_scopes(
    config: *mut officernd_config,
    scopes: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "scopes", || text(scopes, "scopes"))
}

/// Sets the token endpoint (default `https://identity.officernd.com/oauth/token`): `https://`, or
/// `http://` to a loopback address only (tests, the mock server).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_token_url(
    config: *mut officernd_config,
    token_url: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "token_url", || text(token_url, "token_url"))
}

/// Sets the overall timeout of one token call, retries and waiting included (default 10000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_timeout_ms(
    config: *mut officernd_config,
    timeout_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "timeout", || ms(timeout_ms))
}

/// Sets the connect (TCP + TLS) timeout of one attempt (default 5000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_connect_timeout_ms(
    config: *mut officernd_config,
    connect_timeout_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "connect_timeout", || ms(connect_timeout_ms))
}

/// Sets how long before expiry a token is refreshed (default 300000 ms; capped at half the
/// token's lifetime).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_refresh_ahead_ms(
    config: *mut officernd_config,
    refresh_ahead_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "refresh_ahead", || ms(refresh_ahead_ms))
}

/// Sets the minimum validity left on any token handed out (default 60000 ms; at most the
/// refresh-ahead window; capped at half the token's lifetime).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_min_validity_ms(
    config: *mut officernd_config,
    min_validity_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "min_validity", || ms(min_validity_ms))
}

/// Sets the request budget: at most `max_requests` token requests (first fetches, refreshes and
/// retries alike) per rolling `window_ms` (default 5 per 60000 ms, OfficeRnD's limit). The same
/// as setting `"max_requests"` and `"quota_window"` by name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_request_budget(
    config: *mut officernd_config,
    max_requests: u32,
    window_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        cfg.builder = cfg
            .builder
            .clone()
            .set("max_requests", Value::Count(max_requests.into()))?
            .set("quota_window", Value::Duration(millis(window_ms)))?;
        Ok(())
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
    set_typed(config, err, "max_retries", || {
        Ok(Value::Count(max_retries.into()))
    })
}

/// Sets how long terminal answers (`invalid_client`, `invalid_scope`…) are remembered instead of
/// re-sent (default 60000 ms).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_terminal_error_ttl_ms(
    config: *mut officernd_config,
    ttl_ms: u64,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "terminal_error_ttl", || ms(ttl_ms))
}

/// Sets whether clients with the same token URL, id, secret and scopes share one cache and budget
/// in this process (default true). Turn it off only to isolate tests or benchmarks.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_share_cache(
    config: *mut officernd_config,
    share_cache: bool,
    err: *mut officernd_error,
) -> officernd_result {
    set_typed(config, err, "share_cache", || Ok(Value::Flag(share_cache)))
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

/// For a language binding built on this library (Go, .NET…): names it in the `User-Agent` of
/// every token request, `officernd-auth/<version> (<binding>)`, instead of `c`, so that the
/// identity server's logs tell the languages apart. `binding` is a NUL-terminated UTF-8 string,
/// copied (e.g. `"go"`, `"dotnet"`). Not a setting of the settings table (an application has no
/// reason to set it): the core checks it when the client is built, which fails with
/// `OFFICERND_RESULT_CONFIG` and `officernd_error_setting` `"binding"` when it is empty or holds
/// anything but printable ASCII without spaces.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_config_set_binding(
    config: *mut officernd_config,
    binding: *const c_char,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = mut_arg(config, "config")?;
        cfg.binding = Some(str_arg(binding, "binding")?.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{officernd_error_free, officernd_error_new, officernd_error_setting};
    use officernd_auth::settings::{Key, Kind, SETTINGS, Setting};
    use std::ffi::{CStr, CString};

    /// A valid value of `s`'s kind, as text (every kind core has: a new one fails to compile).
    fn example(s: &Setting, dir: &str) -> String {
        match s.kind {
            Kind::Text if s.key == Key::TokenUrl => "https://example.test/oauth/token".into(),
            Kind::Text if s.key == Key::Store => "memory".into(),
            Kind::Text | Kind::Secret => "some-value".into(),
            Kind::Scopes => "a b".into(),
            Kind::Duration if s.key == Key::RefreshAhead => "120".into(),
            Kind::Duration => "2.5".into(),
            Kind::Count => "3".into(),
            Kind::Flag => "false".into(),
            Kind::Path => dir.into(),
        }
    }

    /// A value of the wrong kind, for the kinds that are not free text.
    fn wrong(kind: Kind) -> Option<&'static str> {
        match kind {
            Kind::Duration | Kind::Count | Kind::Flag => Some("not-a-number-or-flag"),
            Kind::Text | Kind::Secret | Kind::Scopes | Kind::Path => None,
        }
    }

    struct Fixture {
        cfg: *mut officernd_config,
        err: *mut officernd_error,
    }

    impl Fixture {
        fn new() -> Fixture {
            let (mut cfg, mut err) = (std::ptr::null_mut(), std::ptr::null_mut());
            unsafe {
                assert_eq!(officernd_config_new(&mut cfg), officernd_result::Ok);
                assert_eq!(officernd_error_new(&mut err), officernd_result::Ok);
            }
            let f = Fixture { cfg, err };
            assert_eq!(f.set("client_id", "id"), officernd_result::Ok);
            assert_eq!(f.set("client_secret", "secret-value"), officernd_result::Ok);
            f
        }

        fn set(&self, name: &str, value: &str) -> officernd_result {
            let (n, v) = (CString::new(name).unwrap(), CString::new(value).unwrap());
            unsafe { officernd_config_set(self.cfg, n.as_ptr(), v.as_ptr(), self.err) }
        }

        fn setting(&self) -> Option<String> {
            let p = unsafe { officernd_error_setting(self.err) };
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
        }

        fn config(&self) -> officernd_auth::Config {
            unsafe { &*self.cfg }
                .builder
                .clone()
                .build_config()
                .unwrap()
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            unsafe {
                officernd_config_free(self.cfg);
                officernd_error_free(self.err);
            }
        }
    }

    #[test]
    fn every_setting_in_core_is_settable_by_name() {
        let dir = std::env::temp_dir().join(format!("officernd-c-config-{}", std::process::id()));
        let dir = dir.to_str().unwrap();
        let defaults = format!("{:?}", Fixture::new().config());
        for s in SETTINGS {
            for name in std::iter::once(&s.name).chain(s.aliases) {
                let f = Fixture::new();
                let value = example(s, dir);
                assert_eq!(f.set(name, &value), officernd_result::Ok, "{name}={value}");
                let built = format!("{:?}", f.config());
                // The setting reached the core: its value shows in the built configuration
                // (the secret never shows, nor do these two; `memory` is the default store).
                if !matches!(
                    s.key,
                    Key::ClientSecret | Key::TerminalErrorTtl | Key::ShareCache
                ) && s.key != Key::Store
                {
                    assert_ne!(built, defaults, "{name}={value} changed nothing");
                }
                if let Some(bad) = wrong(s.kind) {
                    assert_eq!(f.set(name, bad), officernd_result::Config, "{name}={bad}");
                    assert_eq!(f.setting().as_deref(), Some(s.name));
                    // A rejected value leaves the configuration as it was.
                    assert_eq!(format!("{:?}", f.config()), built, "{name}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn names_are_core_names_in_either_case_and_unknown_ones_are_named() {
        let f = Fixture::new();
        assert_eq!(f.set("quotaWindow", "4"), officernd_result::Ok);
        assert_eq!(f.set("timeout", "2.5"), officernd_result::Ok);
        let c = f.config();
        assert_eq!(c.quota_window(), std::time::Duration::from_secs(4));
        assert_eq!(c.timeout(), std::time::Duration::from_millis(2500));
        assert_eq!(f.set("colour", "blue"), officernd_result::Config);
        assert_eq!(f.setting().as_deref(), Some("colour"));
        // Blank scopes are unset (core's rule; no branch here).
        assert_eq!(f.set("scopes", "  "), officernd_result::Ok);
        assert!(f.config().scopes().is_empty());
    }
}
