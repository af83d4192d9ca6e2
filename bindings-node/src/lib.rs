//! Node binding of officernd-auth (npm package `officernd-auth`), built with napi-rs.
//!
//! Thin by design: this crate converts options, tokens, stats and errors; every rule (cache,
//! freshness, single-flight, quota, retries, the 401 rule) is core's, and the lists of settings,
//! error codes and stats fields are core's tables. Anything that may touch the network or a store
//! runs as an `AsyncTask` on the libuv thread pool; the `…Sync` methods block.
//!
//! `lib/main.js` (hand-written) is the public `TokenClient`: it wraps [`NativeTokenClient`] and
//! keeps the fresh token on the JS side of the boundary — core tells it for how long
//! ([`NativeTokenClient::fresh`]) and the change counter says when to ask again
//! ([`NativeTokenClient::change_counter`]) — so a cached token costs no native call. It also
//! adds `client.fetch()`, `util.inspect` / `toJSON`, `ErrorCode` and the log sink.

#![deny(clippy::all)]

mod counter;
mod error;
mod lazy;
mod logsink;
mod options;
mod stats;
mod tasks;
mod token;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use officernd_auth::config::env as env_vars;
use officernd_auth::settings::Key;
use officernd_auth::{Config, Token as CoreToken, TokenClient as CoreClient};

pub use error::{ErrorCodeInfo, error_codes};
use lazy::Lazy;
pub use logsink::set_log_sink;
pub use options::{SettingInfo, settings};
pub use stats::{StatFieldInfo, stats_fields};
use tasks::{AfterUnauthorized, Fetch, Invalidate};
pub use token::Token;

/// The name of this binding in the `User-Agent` (`officernd-auth/0.1.0 (node)`).
const BINDING: &str = "node";

/// The native half of `TokenClient` (lib/main.js): one core client, reached from JS only
/// through the wrapper. Not part of the public API.
#[napi]
pub struct NativeTokenClient {
    core: Arc<Lazy>,
    /// The validated settings (what the getters show), available before the store is opened.
    config: Config,
    /// The JS `Token` last handed out by `fresh()` / `tokenSync()`, handed out again (the same
    /// object) while core returns the same token: a conversion cache, not a token cache.
    memo: RefCell<Option<Memo>>,
    /// The env this client lives in (to release `memo` when the client is collected).
    env: sys::napi_env,
}

struct Memo {
    token: CoreToken,
    /// A strong reference to the JS `Token` wrapping `token`.
    object: sys::napi_ref,
}

impl Drop for NativeTokenClient {
    fn drop(&mut self) {
        if let Some(m) = self.memo.get_mut().take() {
            // Runs in the client's finalizer, on its JS thread: deleting a reference is allowed there.
            unsafe { sys::napi_delete_reference(self.env, m.object) };
        }
    }
}

#[napi]
impl NativeTokenClient {
    /// A client from an options object (see `TokenClientOptions`).
    #[napi(constructor, ts_args_type = "options: object")]
    pub fn new(env: Env, options: Option<Unknown>) -> Result<Self> {
        Self::build(&env, options, false)
    }

    /// A client from the `OFFICERND_*` environment variables and `options`.
    #[napi(factory, ts_args_type = "options?: object")]
    pub fn from_env(env: Env, options: Option<Unknown>) -> Result<Self> {
        Self::build(&env, options, true)
    }

    /// `[token, msFresh, changes]` when core has a fresh token: the token, how many
    /// milliseconds it stays fresh, and the low 32 bits of the change counter read before the
    /// token was — `null` otherwise (or while the store is still to be opened). No I/O.
    #[napi(ts_return_type = "[Token, number, number] | null")]
    pub fn fresh<'e>(&self, env: &'e Env) -> Result<Option<Array<'e>>> {
        let Some(built) = self.core.built() else {
            return Ok(None);
        };
        // Read before the token: a change after this read makes JS ask again.
        let changes = built.changes.load(Ordering::Acquire) as u32;
        let Some((token, fresh_for)) = built.client.fresh_for() else {
            return Ok(None);
        };
        let mut out = env.create_array(3)?;
        out.set(0, self.js_token(env, token)?)?;
        out.set(1, fresh_for.as_secs_f64() * 1000.0)?;
        out.set(2, changes)?;
        Ok(Some(out))
    }

    /// Core's `token()` on the libuv pool.
    #[napi(ts_return_type = "Promise<Token>")]
    pub fn token(&self) -> AsyncTask<Fetch> {
        AsyncTask::new(Fetch::new(Arc::clone(&self.core)))
    }

    /// Core's `token()`, blocking.
    #[napi(ts_return_type = "Token")]
    pub fn token_sync<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        match self.core.run(|c| c.token()) {
            Ok(t) => self.js_token(env, t),
            Err(e) => Err(error::throwable(env, &e)),
        }
    }

    /// Core's `invalidate(token)` on the libuv pool.
    #[napi(ts_args_type = "token: Token", ts_return_type = "Promise<boolean>")]
    pub fn invalidate(&self, env: Env, token: Option<Unknown>) -> Result<AsyncTask<Invalidate>> {
        let token = token_arg(&env, token, "invalidate")?;
        Ok(AsyncTask::new(Invalidate::new(
            Arc::clone(&self.core),
            token,
        )))
    }

    /// Core's `invalidate(token)`, blocking.
    #[napi(ts_args_type = "token: Token")]
    pub fn invalidate_sync(&self, env: Env, token: Option<Unknown>) -> Result<bool> {
        let token = token_arg(&env, token, "invalidateSync")?;
        self.core
            .run(|c| Ok(c.invalidate(&token)))
            .map_err(|e| error::throwable(&env, &e))
    }

    /// Core's `token_after_unauthorized(token)` on the libuv pool.
    #[napi(
        ts_args_type = "token: Token",
        ts_return_type = "Promise<Token | null>"
    )]
    pub fn token_after_unauthorized(
        &self,
        env: Env,
        token: Option<Unknown>,
    ) -> Result<AsyncTask<AfterUnauthorized>> {
        let rejected = token_arg(&env, token, "tokenAfterUnauthorized")?;
        Ok(AsyncTask::new(AfterUnauthorized::new(
            Arc::clone(&self.core),
            rejected,
        )))
    }

    /// Core's change counter as a `Uint32Array` over its memory (see `counter`); `null` while
    /// the store is still to be opened, or where the runtime forbids external buffers.
    #[napi(ts_return_type = "Uint32Array | null")]
    pub fn change_counter<'e>(&self, env: &'e Env) -> Result<Option<Unknown<'e>>> {
        match self.core.built() {
            Some(built) => counter::view(env, &built.changes),
            None => Ok(None),
        }
    }

    /// Core's stats, one property per field of core's list (see `stats`). Opens the store first
    /// if no call did yet (blocking, as the `…Sync` methods).
    #[napi(ts_return_type = "Record<string, number | string>")]
    pub fn stats<'e>(&self, env: &'e Env) -> Result<Object<'e>> {
        match self.core.run(|c| Ok(c.stats())) {
            Ok(s) => stats::to_js(env, &s),
            Err(e) => Err(error::throwable(env, &e)),
        }
    }

    /// The token endpoint this client uses.
    #[napi(getter)]
    pub fn token_url(&self) -> String {
        self.config.token_url().to_owned()
    }

    /// The client id (the secret is never readable back).
    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.config.client_id().to_owned()
    }

    /// The requested scopes, normalised.
    #[napi(getter)]
    pub fn scopes(&self) -> Vec<String> {
        self.config.scopes().as_slice().to_vec()
    }
}

impl NativeTokenClient {
    fn build(env: &Env, options: Option<Unknown>, from_env: bool) -> Result<Self> {
        let given = options::read(env, options, from_env)?;
        let sink = logsink::thread_sink();
        let base = CoreClient::builder().binding(BINDING);
        let thrown = |e: officernd_auth::Error| error::throwable(env, &e);
        let store = given.has_store() || (from_env && env_vars::value(env_vars::STORE).is_some());
        let (core, config) = if !store {
            // Nothing to open: build now (no I/O).
            let b = given.apply(env, base, |_| true)?;
            let b = if from_env {
                b.with_env().map_err(thrown)?
            } else {
                b
            };
            let client = logsink::scoped(sink.as_ref(), || b.build()).map_err(thrown)?;
            let config = client.config().clone();
            (Lazy::ready(client, sink), config)
        } else {
            // Check every setting but the store now; open the store on first use (on the pool
            // for the Promise methods). `store: memory` keeps `with_env` from opening
            // OFFICERND_STORE here.
            let probe = given
                .apply(env, base.clone(), |s| {
                    !matches!(s.key, Key::Store | Key::StorePath)
                })?
                .set("store", "memory")
                .map_err(thrown)?;
            let seen = RefCell::new(HashMap::new());
            let probe = if from_env {
                probe
                    .with_env_from(|name| {
                        let v = std::env::var(name).ok();
                        seen.borrow_mut().insert(name.to_owned(), v.clone());
                        v
                    })
                    .map_err(thrown)?
            } else {
                probe
            };
            let config = probe.build_config().map_err(thrown)?;
            let vars = from_env.then(|| {
                let mut vars = seen.into_inner();
                for name in [env_vars::STORE, env_vars::STORE_PATH] {
                    vars.insert(name.to_owned(), std::env::var(name).ok());
                }
                vars
            });
            let full = given.apply(env, base, |_| true)?;
            (Lazy::pending(full, vars, sink), config)
        };
        Ok(NativeTokenClient {
            core: Arc::new(core),
            config,
            memo: RefCell::new(None),
            env: env.raw(),
        })
    }

    /// The JS `Token` of `t`: the memoised object when `t` is the token handed out last time.
    fn js_token<'e>(&self, env: &'e Env, t: CoreToken) -> Result<Unknown<'e>> {
        if let Some(m) = self.memo.borrow().as_ref()
            && m.token.same_token(&t)
        {
            let mut value = ptr::null_mut();
            let status = unsafe { sys::napi_get_reference_value(env.raw(), m.object, &mut value) };
            if status == sys::Status::napi_ok && !value.is_null() {
                return Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) });
            }
        }
        let value = unsafe { Token::to_napi_value(env.raw(), Token { inner: t.clone() }) }?;
        let mut object = ptr::null_mut();
        check_status!(unsafe { sys::napi_create_reference(env.raw(), value, 1, &mut object) })?;
        if let Some(old) = self.memo.replace(Some(Memo { token: t, object })) {
            unsafe { sys::napi_delete_reference(env.raw(), old.object) };
        }
        Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
    }
}

/// The core token inside a `Token` argument, or a TypeError naming the method.
fn token_arg(env: &Env, token: Option<Unknown>, method: &str) -> Result<CoreToken> {
    match token {
        Some(t) if Token::instance_of(env, &t)? => {
            let t: ClassInstance<Token> = unsafe { t.cast() }?;
            Ok(t.inner.clone())
        }
        _ => Err(error::type_error(
            env,
            format!("{method}(token) expects a Token returned by this library"),
        )),
    }
}
