//! A mock of the OfficeRnD identity server's token endpoint (`POST /oauth/token`) that behaves
//! like the real one: client-credentials grant, RFC 6749 errors, the 5-requests-per-minute rate
//! limit, a protected resource to try tokens on, and injectable faults.
//!
//! Rust tests use [`MockServer`] in-process (it runs its own runtime on a background thread and
//! has a blocking API); other languages run the `officernd-mock-identity` binary and drive it
//! through the HTTP control API under `/_mock/` (see the README), which also starts fresh
//! servers in the same process for suites whose tests each need their own
//! (`POST /_mock/servers`).
//!
//! ```no_run
//! use officernd_auth_testkit::{Fault, MockConfig, MockServer};
//!
//! let server = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
//! server.push_fault(Fault::Status(503));
//! // point the client under test at server.token_url() ...
//! assert_eq!(server.token_requests(), 0);
//! ```

mod arrivals;
mod config;
mod control;
mod faults;
mod rate_limit;
mod redis_server;
mod resource;
mod responses;
mod server;
mod spawn;
mod state;
mod token_endpoint;

pub use arrivals::max_in_window;
pub use config::{
    App, DEFAULT_LIFETIME_SECS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SCOPES, MockConfig,
    RateLimit,
};
pub use faults::Fault;
pub use redis_server::{RedisOptions, RedisServer, unrelated_ca_pem};
pub use server::MockServer;
pub use spawn::MockFlags;
