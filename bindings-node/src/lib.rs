//! Node binding of officernd-auth (npm package `officernd-auth`), built with napi-rs.
//!
//! Thin by design: this crate converts options, tokens, stats and errors; every rule (cache,
//! single-flight, quota, retries) is core's. Anything that may touch the network runs as an
//! `AsyncTask` on the libuv thread pool, except when core has a fresh token cached: then the
//! Promise is resolved at once, without a trip through the pool. The `…Sync` methods block.
//!
//! `lib/main.js` (hand-written) wraps the generated `index.js`: `util.inspect` / `toJSON` of
//! `Token`, `client.fetch()`, and the ESM entry point.

#![deny(clippy::all)]

mod error;
mod options;
mod tasks;
mod token;

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use officernd_auth::{Token as CoreToken, TokenClient as CoreClient};

pub use options::{BudgetOptions, TokenClientOptions};
use tasks::{AccessTokenKind, AfterUnauthorized, Fetch, HeaderKind, Kind, Pending, TokenKind};
pub use token::Token;

/// The name of this binding in the `User-Agent` (`officernd-auth/0.1.0 (node)`).
const BINDING: &str = "node";

/// A cached, single-flight, quota-aware OfficeRnD token client.
///
/// Clients made with the same token URL, client id, secret and scopes share one cache and one
/// request budget in the process: creating one per request does not multiply token requests.
#[napi]
pub struct TokenClient {
    inner: CoreClient,
    /// The JS `Token` last handed out by `token()` / `tokenSync()`, handed out again (the same
    /// object) while core returns the same token: a conversion cache, not a token cache — core
    /// still decides on every call whether the token is fresh.
    memo: RefCell<Option<Memo>>,
    /// The env this client lives in (to release `memo` when the client is collected).
    env: sys::napi_env,
}

struct Memo {
    token: CoreToken,
    /// A strong reference to the JS `Token` wrapping `token`.
    object: sys::napi_ref,
}

impl Drop for TokenClient {
    fn drop(&mut self) {
        if let Some(m) = self.memo.get_mut().take() {
            // Runs in the client's finalizer, on its JS thread: deleting a reference is allowed there.
            unsafe { sys::napi_delete_reference(self.env, m.object) };
        }
    }
}

/// Metrics of a client's cache and budget (shared by every client of the same settings).
#[napi(object)]
pub struct Stats {
    /// Every token request sent, whatever its outcome.
    pub requests_sent: f64,
    /// Requests answered with a token.
    pub requests_ok: f64,
    /// Requests answered with an RFC 6749 error.
    pub requests_oauth_error: f64,
    /// Requests answered 429.
    pub requests_rate_limited: f64,
    /// Requests answered with an unexpected HTTP status.
    pub requests_http_error: f64,
    /// Requests that failed to connect or lost the connection.
    pub requests_transport_error: f64,
    /// Requests that timed out.
    pub requests_timeout: f64,
    /// Requests answered with an unusable token answer.
    pub requests_invalid_response: f64,
    /// Calls answered from the cache with a fresh token.
    pub cache_hits: f64,
    /// Calls answered with a stale token (a refresh was under way or had failed).
    pub stale_served: f64,
    /// Calls refused without a request (budget spent, cool-down, remembered terminal error).
    pub refused_locally: f64,
    /// Requests still allowed in the current budget window.
    pub budget_remaining: u32,
    /// Requests allowed per budget window.
    pub budget_capacity: u32,
    /// Seconds left on the cached token, if one is cached.
    pub expires_in: Option<f64>,
    /// The `code` of the last error seen for these credentials since the last success
    /// (e.g. `OFFICERND_OAUTH`).
    pub last_error_code: Option<String>,
}

#[napi]
impl TokenClient {
    /// A client from an options object. Bad option types throw `TypeError`, out-of-range numbers
    /// `RangeError`; settings core rejects (missing id, non-HTTPS URL…) throw an `Error` with
    /// `code: 'OFFICERND_CONFIG'` naming the `setting`. Nothing is sent until a token is needed.
    #[napi(constructor, ts_args_type = "options: TokenClientOptions")]
    pub fn new(env: Env, options: Option<Unknown>) -> Result<Self> {
        Self::build(&env, options, false, false)
    }

    /// A client configured from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`,
    /// `OFFICERND_SCOPES` (space-separated), `OFFICERND_TOKEN_URL`, `OFFICERND_STORE` and
    /// `OFFICERND_STORE_PATH`; `options` may set anything else (or override the environment).
    #[napi(factory, ts_args_type = "options?: TokenClientOptions")]
    pub fn from_env(env: Env, options: Option<Unknown>) -> Result<Self> {
        Self::build(&env, options, true, true)
    }

    /// A valid token: resolved at once from the cache when fresh, otherwise fetched on the libuv
    /// thread pool — once, however many callers ask at the same time. Never blocks the event loop.
    #[napi(ts_return_type = "Promise<Token>")]
    pub fn token<'e>(
        &self,
        env: &'e Env,
    ) -> Result<Either<PromiseRaw<'e, Unknown<'e>>, AsyncTask<Fetch<TokenKind>>>> {
        match self.inner.cached() {
            Some(t) => Ok(Either::A(PromiseRaw::resolve(env, self.js_token(env, t)?)?)),
            None => Ok(Either::B(AsyncTask::new(Fetch::new(self.inner.clone())))),
        }
    }

    /// The access token string (see `token()`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn access_token<'e>(&self, env: &'e Env) -> Result<Pending<'e, AccessTokenKind>> {
        self.promise::<AccessTokenKind>(env)
    }

    /// `"Bearer <access token>"`, the value of the `Authorization` header (see `token()`).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn authorization_header<'e>(&self, env: &'e Env) -> Result<Pending<'e, HeaderKind>> {
        self.promise::<HeaderKind>(env)
    }

    /// Like `token()`, but BLOCKS the calling thread (and so the event loop) while a token is
    /// fetched — up to the timeout. Nanoseconds when the cached token is fresh. Prefer `token()`
    /// in servers; use this in scripts or where the token is known to be cached.
    #[napi(ts_return_type = "Token")]
    pub fn token_sync<'e>(&self, env: &'e Env) -> Result<Unknown<'e>> {
        match self.inner.token() {
            Ok(t) => self.js_token(env, t),
            Err(e) => Err(error::throwable(env, &e)),
        }
    }

    /// Like `accessToken()`, but BLOCKING (see `tokenSync()`).
    #[napi]
    pub fn access_token_sync(&self, env: Env) -> Result<String> {
        self.sync::<AccessTokenKind>(&env)
    }

    /// Like `authorizationHeader()`, but BLOCKING (see `tokenSync()`).
    #[napi]
    pub fn authorization_header_sync(&self, env: Env) -> Result<String> {
        self.sync::<HeaderKind>(&env)
    }

    /// After an API call answered 401 with `token`: drops it from the cache only if it is still
    /// the cached one (another caller may already hold a newer one). Returns whether it was dropped.
    #[napi(ts_args_type = "token: Token")]
    pub fn invalidate(&self, env: Env, token: Option<Unknown>) -> Result<bool> {
        let token = token_arg(&env, token, "invalidate")?;
        Ok(self.inner.invalidate(&token))
    }

    /// After an API call answered 401 with `token`: drops it and resolves with the token to
    /// retry the call with once, or `null` when that would be the same token again (core's 401
    /// rule, which `client.fetch` follows). Runs on the libuv pool.
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
            self.inner.clone(),
            rejected,
        )))
    }

    /// Metrics: requests sent by outcome, cache hits, budget left, time to expiry.
    #[napi]
    pub fn stats(&self) -> Stats {
        let s = self.inner.stats();
        Stats {
            requests_sent: s.requests_sent() as f64,
            requests_ok: s.requests_ok as f64,
            requests_oauth_error: s.requests_oauth_error as f64,
            requests_rate_limited: s.requests_rate_limited as f64,
            requests_http_error: s.requests_http_error as f64,
            requests_transport_error: s.requests_transport_error as f64,
            requests_timeout: s.requests_timeout as f64,
            requests_invalid_response: s.requests_invalid_response as f64,
            cache_hits: s.cache_hits as f64,
            stale_served: s.stale_served as f64,
            refused_locally: s.refused_locally as f64,
            budget_remaining: s.budget_remaining,
            budget_capacity: s.budget_capacity,
            expires_in: s.expires_in.map(|d| d.as_secs_f64()),
            last_error_code: s.last_error_code.map(error::js_code_of),
        }
    }

    /// The token endpoint this client uses.
    #[napi(getter)]
    pub fn token_url(&self) -> String {
        self.inner.config().token_url().to_owned()
    }

    /// The client id (the secret is never readable back).
    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.inner.config().client_id().to_owned()
    }

    /// The requested scopes, normalised.
    #[napi(getter)]
    pub fn scopes(&self) -> Vec<String> {
        self.inner.config().scopes().as_slice().to_vec()
    }
}

impl TokenClient {
    fn build(env: &Env, options: Option<Unknown>, optional: bool, from_env: bool) -> Result<Self> {
        let builder = CoreClient::builder().binding(BINDING);
        let builder = options::apply(env, options, optional, builder)?;
        let built = if from_env {
            builder.with_env().and_then(|b| b.build())
        } else {
            builder.build()
        };
        match built {
            Ok(inner) => Ok(TokenClient {
                inner,
                memo: RefCell::new(None),
                env: env.raw(),
            }),
            Err(e) => Err(error::throwable(env, &e)),
        }
    }

    /// A resolved Promise when core has a fresh token, else an `AsyncTask` on the libuv pool.
    fn promise<'e, K: Kind>(&self, env: &'e Env) -> Result<Pending<'e, K>> {
        match self.inner.cached() {
            Some(t) => Ok(Either::A(PromiseRaw::resolve(env, K::convert(t))?)),
            None => Ok(Either::B(AsyncTask::new(Fetch::new(self.inner.clone())))),
        }
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

    fn sync<K: Kind>(&self, env: &Env) -> Result<K::Js> {
        self.inner
            .token()
            .map(K::convert)
            .map_err(|e| error::throwable(env, &e))
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
