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
//! Where each rule lives: settings and validation in [`config`], the HTTP exchange in
//! `exchange`, answer parsing in `response`, fresh/stale/expired in `cache`, single-flight and
//! stale-while-refresh in `single_flight`, where tokens come from (store first, then the server)
//! in `source`, the 5-per-minute budget, cool-downs and the store-outage policy in `governor`,
//! retries in `retry`, stores in [`store`], errors in [`error`]; `client` only wires them.

#![warn(missing_docs)]

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
#[cfg(unix)]
pub use store::FileStore;
#[cfg(feature = "redis")]
pub use store::RedisStore;
pub use store::{
    MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock,
    StoredToken, TokenStore,
};
pub use token::Token;
