//! Bearer authentication for [reqwest] through [reqwest-middleware] (feature
//! `reqwest-middleware`): [`AuthMiddleware`] adds `Authorization: Bearer <token>` to every request
//! and applies the 401 rule once.
//!
//! Versions: reqwest-middleware 0.5 over reqwest 0.13 (the middleware must be built against the
//! same major versions as the application's client). This crate enables no TLS backend of
//! reqwest: the application's `reqwest::Client` connects, with the TLS it chose (reqwest 0.13's
//! default is rustls).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use officernd_auth::TokenClient;
//! use officernd_auth::reqwest::AuthMiddleware;
//!
//! let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(AuthMiddleware::new(TokenClient::from_env()?))
//!     .build();
//! let me = api.get("https://app.officernd.com/api/v2/me").send().await?;
//! # Ok(()) }
//! ```
//!
//! [reqwest]: https://docs.rs/reqwest/0.13
//! [reqwest-middleware]: https://docs.rs/reqwest-middleware/0.5

use ::reqwest::header::{AUTHORIZATION, HeaderValue};
use ::reqwest::{Request, Response, StatusCode};
use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::client::TokenClient;
use crate::token::Token;

/// A [`reqwest_middleware::Middleware`] that authenticates every request with a token from a
/// [`TokenClient`].
///
/// - Sets `Authorization: Bearer <token>` (replacing any the request had), marked sensitive so
///   reqwest never shows it in `Debug` output. The token comes from
///   [`TokenClient::token_async`]: from memory while fresh, otherwise fetched once for all
///   concurrent requests on a blocking thread, never on the executor.
/// - The 401 rule, the same in every adapter of every language: when the API answers
///   `401 Unauthorized`, the refused token is dropped from the cache if it is still the cached
///   one ([`TokenClient::token_after_unauthorized_async`]), and the request is sent **once**
///   more with the new token — only if the new token differs from the refused one, and only if
///   the request can be sent twice ([`Request::try_clone`]: a streaming body cannot; its 401
///   is returned, the refused token still dropped for the next request). If the second answer is
///   a 401 too, it is returned as it is: never a third request.
/// - Errors: a token that cannot be had (budget spent, endpoint down, …) fails the request with
///   [`reqwest_middleware::Error::Middleware`] holding the [`crate::Error`]
///   (`err.downcast_ref::<officernd_auth::Error>()` on the inner `anyhow::Error`): before the
///   first send, the request is not sent at all; after a 401, the API's 401 is dropped and the
///   token error (say `invalid_client` for a deleted application) is what the caller gets, as in
///   every language's adapter.
///
/// Cheap to clone; clones share the token client's cache (as every client with the same settings
/// does in a process).
#[derive(Clone, Debug)]
pub struct AuthMiddleware {
    client: TokenClient,
}

impl AuthMiddleware {
    /// Authenticates requests with tokens from `client`.
    pub fn new(client: TokenClient) -> AuthMiddleware {
        AuthMiddleware { client }
    }

    /// The token client requests are authenticated with (its `stats()`, say).
    pub fn token_client(&self) -> &TokenClient {
        &self.client
    }
}

impl From<TokenClient> for AuthMiddleware {
    fn from(client: TokenClient) -> AuthMiddleware {
        AuthMiddleware::new(client)
    }
}

#[async_trait::async_trait]
impl Middleware for AuthMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let token = self.client.token_async().await.map_err(failed)?;
        authorize(&mut request, &token)?;
        // Taken before sending: a request whose body is a stream cannot be sent twice.
        let again = request.try_clone();
        let response = next.clone().run(request, extensions).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(mut again) = again else {
            log::debug!(
                "API answered 401 to a request with a streaming body: not resent; token {} dropped",
                token.redacted()
            );
            self.client.invalidate_async(&token).await;
            return Ok(response);
        };
        let Some(fresh) = self
            .client
            .token_after_unauthorized_async(&token)
            .await
            .map_err(failed)?
        else {
            // The same token again: resending a refused token cannot help.
            return Ok(response);
        };
        drop(response);
        authorize(&mut again, &fresh)?;
        next.run(again, extensions).await
    }
}

fn authorize(request: &mut Request, token: &Token) -> reqwest_middleware::Result<()> {
    // The core refuses tokens with characters that cannot go in a header; checked again here.
    let mut value = HeaderValue::from_str(&token.authorization_header()).map_err(|_| {
        failed(crate::Error::InvalidResponse {
            status: 200,
            reason: "the access token cannot go in an Authorization header".into(),
        })
    })?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

fn failed(err: crate::Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(err)
}
