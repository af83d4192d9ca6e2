//! # officernd-auth
//!
//! The OfficeRnD OAuth 2.0 client-credentials token client. OfficeRnD's token endpoint allows
//! **5 requests per minute, failed or successful**, so this crate is built around not asking:
//! tokens are cached and served lock-free while fresh, refreshed ahead of expiry by exactly one
//! caller, shared by every client with the same settings in the process, and every request is
//! drawn from a budget that never exceeds the server's limit.
//!
//! ```no_run
//! use officernd_auth::TokenClient;
//! let client = TokenClient::builder()
//!     .client_id("my-client-id")
//!     .client_secret("my-client-secret")
//!     .scopes(["officernd.api.read"])
//!     .build()?;
//! let header = client.authorization_header()?; // "Bearer …"
//! # Ok::<(), officernd_auth::Error>(())
//! ```
//!
//! ## Async
//!
//! With the `async` feature, every call that may wait has an `…_async` twin that never blocks
//! the executor, whatever the runtime: a fresh token is returned in place, and a fetch runs on a
//! blocking thread (tokio's blocking pool inside a tokio runtime, a thread of its own elsewhere),
//! still one request however many tasks ask at once. Dropping a waiting future does not cancel
//! the fetch the others wait for.
//!
//! ```no_run
//! # #[cfg(feature = "async")]
//! # async fn example() -> Result<(), officernd_auth::Error> {
//! use officernd_auth::TokenClient;
//! let client = TokenClient::from_env()?;
//! let header = client.authorization_header_async().await?; // "Bearer …"
//! // after an API call answered 401 with `token`: the token to retry once with, if any
//! # let token = client.token_async().await?;
//! let retry = client.token_after_unauthorized_async(&token).await?;
//! # Ok(()) }
//! ```
//!
//! ## reqwest middleware
//!
//! With the `reqwest-middleware` feature, `officernd_auth::reqwest::AuthMiddleware` plugs into
//! [reqwest-middleware](https://docs.rs/reqwest-middleware/0.5) (0.5, over reqwest 0.13): it
//! adds the `Authorization` header to every request and, when the API answers 401, drops the
//! refused token and resends the request once with a new one (requests whose body can be cloned;
//! never twice).
//!
//! ```no_run
//! # #[cfg(feature = "reqwest-middleware")]
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use officernd_auth::TokenClient;
//! use officernd_auth::reqwest::AuthMiddleware;
//!
//! let api = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(AuthMiddleware::new(TokenClient::from_env()?))
//!     .build();
//! let me = api.get("https://app.officernd.com/api/v2/me").send().await?;
//! println!("{}", me.text().await?);
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `redis` | off | `RedisStore`: hosts of a fleet share one token (`OFFICERND_STORE=redis://…`) |
//! | `async` | off | `TokenClient::token_async`, `authorization_header_async`, `token_after_unauthorized_async`, `invalidate_async` (adds tokio with only its `rt` feature, and futures-channel) |
//! | `reqwest-middleware` | off | `officernd_auth::reqwest::AuthMiddleware` for reqwest-middleware 0.5 / reqwest 0.13; implies `async`. Enables no TLS backend: the application's `reqwest::Client` brings its own |
//!
//! Without features the crate is synchronous and pulls in no async runtime.
//!
//! ## Where each rule lives
//!
//! Settings and validation in [`config`], the HTTP exchange in
//! `exchange`, answer parsing in `response`, fresh/stale/expired in `cache`, single-flight and
//! stale-while-refresh in `single_flight`, where tokens come from (store first, then the server)
//! in `source`, the 5-per-minute budget, cool-downs and the store-outage policy in `governor`,
//! retries in `retry`, stores in [`store`], errors in [`error`]; `client` only wires them. The
//! async API (`asynchronous`) only moves the client's calls off the executor, and the reqwest
//! middleware (`reqwest_middleware.rs`) only applies the client's 401 rule to reqwest.

#![warn(missing_docs)]
// On docs.rs (nightly), doc_cfg badges every feature-gated public item by itself (its auto_cfg
// is on by default since rust-lang/rust#138907, nightly 1.92): no `doc(cfg(...))` per item.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
mod asynchronous;
mod cache;
mod client;
mod clock;
pub mod config;
pub mod error;
mod exchange;
mod fork;
mod governor;
mod registry;
#[cfg(feature = "reqwest-middleware")]
#[path = "reqwest_middleware.rs"]
pub mod reqwest;
mod response;
mod retry;
mod scopes;
mod secret;
pub mod settings;
#[cfg(all(test, not(loom)))]
mod simulation;
mod single_flight;
mod source;
mod stats;
pub mod store;
mod sync;
mod token;

pub use client::TokenClient;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, DEFAULT_TOKEN_URL, TokenClientBuilder};
pub use error::{Error, ErrorCode, OAuthErrorBody, Result};
pub use scopes::Scopes;
pub use secret::ClientSecret;
pub use stats::{StatField, StatValue, Stats};
pub use store::FileStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{
    MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreErrorKind, StoreKey,
    StoreLock, StoredToken, TokenStore,
};
pub use token::Token;
