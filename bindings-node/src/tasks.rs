//! The `AsyncTask`s behind the Promise methods: `compute` runs core's blocking `token()` on a
//! libuv pool thread; `resolve` (back on the JS thread) converts the token or builds the error.

use std::marker::PhantomData;

use napi::bindgen_prelude::*;
use officernd_auth::{Error as CoreError, Token as CoreToken, TokenClient as CoreClient};

use crate::error;
use crate::token::Token;

/// What a Promise method resolves with.
pub trait Kind: Send + 'static {
    type Js: ToNapiValue + TypeName;
    fn convert(t: CoreToken) -> Self::Js;
}

/// `token()` → `Token`.
pub struct TokenKind;
/// `accessToken()` → the access token string.
pub struct AccessTokenKind;
/// `authorizationHeader()` → `"Bearer …"`.
pub struct HeaderKind;

impl Kind for TokenKind {
    type Js = Token;
    fn convert(t: CoreToken) -> Token {
        Token { inner: t }
    }
}

impl Kind for AccessTokenKind {
    type Js = String;
    fn convert(t: CoreToken) -> String {
        t.access_token().to_owned()
    }
}

impl Kind for HeaderKind {
    type Js = String;
    fn convert(t: CoreToken) -> String {
        t.authorization_header()
    }
}

/// What a Promise method returns: a Promise already resolved from the cache, or a pool task.
pub type Pending<'e, K> = Either<PromiseRaw<'e, <K as Kind>::Js>, AsyncTask<Fetch<K>>>;

/// One call of core's `token()` on the libuv pool.
pub struct Fetch<K> {
    client: CoreClient,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Fetch<K> {
    pub(crate) fn new(client: CoreClient) -> Self {
        Fetch {
            client,
            _kind: PhantomData,
        }
    }
}

impl<K: Kind> Task for Fetch<K> {
    type Output = std::result::Result<CoreToken, CoreError>;
    type JsValue = K::Js;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.client.token())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<K::Js> {
        match output {
            Ok(t) => Ok(K::convert(t)),
            Err(e) => Err(error::throwable(&env, &e)),
        }
    }
}

/// `tokenAfterUnauthorized(token)` on the libuv pool: core's 401 rule.
pub struct AfterUnauthorized {
    client: CoreClient,
    rejected: CoreToken,
}

impl AfterUnauthorized {
    pub(crate) fn new(client: CoreClient, rejected: CoreToken) -> Self {
        AfterUnauthorized { client, rejected }
    }
}

impl Task for AfterUnauthorized {
    type Output = std::result::Result<Option<CoreToken>, CoreError>;
    type JsValue = Option<Token>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.client.token_after_unauthorized(&self.rejected))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<Token>> {
        match output {
            Ok(t) => Ok(t.map(|inner| Token { inner })),
            Err(e) => Err(error::throwable(&env, &e)),
        }
    }
}
