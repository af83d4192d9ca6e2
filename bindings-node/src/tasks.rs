//! The `AsyncTask`s behind the Promise methods: `compute` runs core's blocking call on a libuv
//! pool thread (building the client first if its store is still to be opened); `resolve`, back
//! on the JS thread, converts the result or builds the error.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use officernd_auth::{Error as CoreError, Token as CoreToken};

use crate::error;
use crate::lazy::Lazy;
use crate::token::Token;

/// `token()`: core's `token()` on the pool.
pub struct Fetch {
    core: Arc<Lazy>,
}

impl Fetch {
    pub(crate) fn new(core: Arc<Lazy>) -> Self {
        Fetch { core }
    }
}

impl Task for Fetch {
    type Output = std::result::Result<CoreToken, CoreError>;
    type JsValue = Token;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.core.run(|c| c.token()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Token> {
        match output {
            Ok(inner) => Ok(Token { inner }),
            Err(e) => Err(error::throwable(&env, &e)),
        }
    }
}

/// `invalidate(token)`: core's `invalidate` on the pool (a store round trip: a Redis
/// compare-and-delete, a file lock).
pub struct Invalidate {
    core: Arc<Lazy>,
    token: CoreToken,
}

impl Invalidate {
    pub(crate) fn new(core: Arc<Lazy>, token: CoreToken) -> Self {
        Invalidate { core, token }
    }
}

impl Task for Invalidate {
    type Output = std::result::Result<bool, CoreError>;
    type JsValue = bool;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.core.run(|c| Ok(c.invalidate(&self.token))))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<bool> {
        output.map_err(|e| error::throwable(&env, &e))
    }
}

/// `tokenAfterUnauthorized(token)` on the pool: core's 401 rule.
pub struct AfterUnauthorized {
    core: Arc<Lazy>,
    rejected: CoreToken,
}

impl AfterUnauthorized {
    pub(crate) fn new(core: Arc<Lazy>, rejected: CoreToken) -> Self {
        AfterUnauthorized { core, rejected }
    }
}

impl Task for AfterUnauthorized {
    type Output = std::result::Result<Option<CoreToken>, CoreError>;
    type JsValue = Option<Token>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self
            .core
            .run(|c| c.token_after_unauthorized(&self.rejected)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<Token>> {
        match output {
            Ok(t) => Ok(t.map(|inner| Token { inner })),
            Err(e) => Err(error::throwable(&env, &e)),
        }
    }
}
