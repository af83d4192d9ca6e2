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
    let server =
        MockServer::start(MockConfig::default().without_rate_limit()).expect("mock starts");
    new_tag(server.addr());
    server
}

/// Tags of the mock servers by address: a new server on a reused port gets a new tag.
static TAGS: std::sync::Mutex<Option<std::collections::HashMap<std::net::SocketAddr, u64>>> =
    std::sync::Mutex::new(None);
static NEXT_TAG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn new_tag(addr: std::net::SocketAddr) -> u64 {
    let tag = NEXT_TAG.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tags = TAGS.lock().unwrap_or_else(|p| p.into_inner());
    tags.get_or_insert_with(Default::default).insert(addr, tag);
    tag
}

/// The mock's token URL with a tag unique to that server: clients of one test share the
/// process-wide cache and budget as a real process's would, but a later test whose mock got the
/// same port (ports are reused) does not inherit them (the mock ignores the query).
pub fn token_url(server: &MockServer) -> String {
    let known = TAGS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|t| t.get(&server.addr()).copied());
    let tag = known.unwrap_or_else(|| new_tag(server.addr()));
    format!("{}/run-{tag}/oauth/token", server.url())
}

/// A builder for the mock's demo app, isolated from other tests' caches, on `clock`.
pub fn builder(server: &MockServer, clock: &ManualClock) -> TokenClientBuilder {
    TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes(["officernd.api.read officernd.api.write"])
        .token_url(token_url(server))
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
