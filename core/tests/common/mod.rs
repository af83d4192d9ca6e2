//! Shared set-up: a mock identity server and clients pointed at it, on a manual clock so tests
//! move time instead of sleeping.
#![allow(dead_code, unused_imports)]

use std::sync::Arc;
use std::time::Duration;

use officernd_auth::{ManualClock, TokenClient, TokenClientBuilder};
pub use officernd_auth_testkit::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, MockConfig, MockServer,
};

/// A mock without its own rate limit (the client's budget is what these tests exercise).
pub fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).expect("mock starts")
}

/// A builder for the mock's demo app, isolated from other tests' caches, on `clock`.
pub fn builder(server: &MockServer, clock: &ManualClock) -> TokenClientBuilder {
    TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes(["officernd.api.read officernd.api.write"])
        .token_url(server.token_url())
        .timeout(Duration::from_secs(5))
        .clock(Arc::new(clock.clone()))
}

pub fn client(server: &MockServer, clock: &ManualClock) -> TokenClient {
    builder(server, clock).build().expect("valid config")
}

pub const HOUR: Duration = Duration::from_secs(3600);
pub const MINUTE: Duration = Duration::from_secs(60);
/// How long past one window a request slot still counts (requests arrive after they are sent).
pub const MARGIN: Duration = Duration::from_secs(1);
