//! UniFFI bindings of `officernd-auth`: the same core, exposed through generated Kotlin (JVM),
//! Swift and Python code. Proc-macros only (no UDL); the bindings are generated from the built
//! library with this crate's `uniffi-bindgen` binary (see `mk/uniffi.mk`).
//!
//! Thin by design: every type here converts at the edge and every rule stays in core.
//! Nothing that a generated `toString`/`__str__`/`description` prints can hold a secret:
//! the client secret travels in a [`ClientSecret`] object and the access token in a [`Token`]
//! object, both printed redacted (records would print every field).

uniffi::setup_scaffolding!();

mod client;
mod config;
mod error;
mod log_sink;
mod stats;
mod token;

pub use client::TokenClient;
pub use config::{ClientSecret, Store, TokenClientConfig};
pub use error::{OfficeRnDAuthError, Result};
pub use log_sink::{LogLevel, LogSink, LogSinkError, clear_log_sink, set_log_sink};
pub use stats::Stats;
pub use token::Token;

/// The binding name sent in the User-Agent (`officernd-auth/0.1.0 (uniffi)`).
const BINDING: &str = "uniffi";

/// The version of the native library.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
