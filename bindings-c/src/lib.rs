//! # libofficernd_auth: the C ABI of officernd-auth
//!
//! A thin layer over the `officernd-auth` core in the rustls-ffi style: every exported symbol
//! starts with `officernd_`; every fallible function returns an [`officernd_result`] and writes
//! its out-parameters only on success; handles are opaque, created by `_new`/`_from_env` and freed
//! once by `_free`; strings go into caller buffers with their length; every pointer is checked
//! for NULL and every body runs inside a panic boundary. The C header `include/officernd_auth.h`
//! is generated from this crate by cbindgen (`tests/header.rs`).
//!
//! Every rule (cache, single-flight, budget, retries, redaction) lives in the core: this crate
//! converts arguments, results and errors, nothing else.
//!
//! Pointer contract, for every function: a pointer argument is NULL or points to a live object of
//! its type obtained from this library (or, for strings, a NUL-terminated string; for buffers,
//! `len` writable bytes). Functions are `unsafe` only because C cannot promise that.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

mod client;
mod config;
mod error;
mod logging;
mod stats;
mod token;
mod util;

pub use client::*;
pub use config::*;
pub use error::*;
pub use logging::*;
pub use stats::*;
pub use token::*;

/// The library's version (`"0.1.0"`), NUL-terminated and static. Compare it with
/// `OFFICERND_AUTH_VERSION` to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn officernd_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
