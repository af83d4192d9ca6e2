//! The [`TokenClient`] object: construction from a config or the environment, and the calls.

use std::fmt;
use std::sync::Arc;

use officernd_auth as core;

use crate::BINDING;
use crate::config::TokenClientConfig;
use crate::error::Result;
use crate::stats::Stats;
use crate::token::Token;

/// The OfficeRnD token client. Thread-safe: share one per application (clients with the same
/// settings share one cache anyway). `token()` blocks only when no fresh token is cached.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct TokenClient(core::TokenClient);

#[uniffi::export]
impl TokenClient {
    /// Validates the settings and makes the client (`config` error naming a bad setting).
    #[uniffi::constructor]
    pub fn new(config: TokenClientConfig) -> Result<Self> {
        Ok(TokenClient(config.into_builder()?.build()?))
    }

    /// A client from the environment: `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`
    /// (required), `OFFICERND_SCOPES` (space-separated), `OFFICERND_TOKEN_URL`, and the store:
    /// `OFFICERND_STORE` (`memory`, `file` or a `redis://` / `rediss://` URL) with
    /// `OFFICERND_STORE_PATH` (the file store's directory); a `rediss://` store trusts the CA
    /// certificates in `OFFICERND_REDIS_CA_FILE` when it is set. Empty or blank counts as unset;
    /// a bad value is a `config` error naming the variable.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Self> {
        Ok(TokenClient(
            core::TokenClient::builder()
                .binding(BINDING)
                .with_env()?
                .build()?,
        ))
    }

    /// A valid token: from the cache when fresh, otherwise one request for all callers.
    pub fn token(&self) -> Result<Arc<Token>> {
        Ok(Arc::new(Token(self.0.token()?)))
    }

    /// The cached token if it is fresh; never any I/O.
    pub fn cached(&self) -> Option<Arc<Token>> {
        self.0.cached().map(|t| Arc::new(Token(t)))
    }

    /// The access token string of [`TokenClient::token`].
    pub fn access_token(&self) -> Result<String> {
        Ok(self.0.access_token()?)
    }

    /// `Bearer <access_token>`, the value of the `Authorization` header.
    pub fn authorization_header(&self) -> Result<String> {
        Ok(self.0.authorization_header()?)
    }

    /// Drops `token` from the cache (and the store) if it is still the cached one; returns
    /// whether it was dropped. After an API 401, prefer [`TokenClient::token_after_unauthorized`],
    /// which also returns the token to retry with.
    pub fn invalidate(&self, token: Arc<Token>) -> bool {
        self.0.invalidate(&token.0)
    }

    /// The 401 rule: after an API call answered 401 with `rejected` (the token that call
    /// actually sent), drops it if it is still the cached one and returns the token to retry
    /// the call with, once — or `null` when that would be the same token again (resending a
    /// refused token cannot help). Another thread may already have replaced the token: then
    /// this returns the newer one without a request.
    pub fn token_after_unauthorized(&self, rejected: Arc<Token>) -> Result<Option<Arc<Token>>> {
        Ok(self
            .0
            .token_after_unauthorized(&rejected.0)?
            .map(|t| Arc::new(Token(t))))
    }

    /// Metrics: requests by outcome, cache hits, budget left, time to expiry.
    pub fn stats(&self) -> Stats {
        self.0.stats().into()
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        self.0.config().token_url().to_owned()
    }

    /// The client id.
    pub fn client_id(&self) -> String {
        self.0.config().client_id().to_owned()
    }

    /// The requested scopes, normalised.
    pub fn scopes(&self) -> Vec<String> {
        self.0.config().scopes().as_slice().to_vec()
    }
}

impl fmt::Display for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0.config();
        write!(
            f,
            "TokenClient(client_id={}, token_url={}, scopes={:?})",
            c.client_id(),
            c.token_url(),
            c.scopes().as_slice()
        )
    }
}
