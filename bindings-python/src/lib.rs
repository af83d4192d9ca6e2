//! Python bindings of the OfficeRnD token client: thin converters around the core
//! [`officernd_auth::TokenClient`]. Every rule (cache, single-flight, quota, retries, stores,
//! redaction) lives in the core; this crate converts arguments, results and errors, and releases
//! the GIL around anything that may touch the network.
//!
//! Built by maturin into `officernd_auth._native`; the pure-Python package `officernd_auth`
//! (in `python/`) re-exports it and adds the `requests`/`httpx` adapters.
//!
//! One job per module: `args` (keyword settings → core's settings table), `client`
//! (`TokenClient`), `token` (`Token`), `stats` (`Stats`), `awaitable` (the already-done
//! awaitable) and `errors` (the exception classes, core error → exception).

mod args;
mod awaitable;
mod client;
mod errors;
mod stats;
mod token;

use officernd_auth::DEFAULT_TOKEN_URL;
use pyo3::prelude::*;

// Free-threading ready (`gil_used = false`): every class is `frozen` and keeps its state behind
// core's own locks and atomics (`TokenClient`, `Token` and `Stats` hold core values; `Ready`
// an immutable result), and the module-level state is set once, while the module loads.
#[pymodule(name = "_native", gil_used = false)]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Core log records go to Python's `logging` under `officernd_auth.*` (levels read live),
    // down to DEBUG. Every other crate's only from WARN up: ureq, ureq_proto and rustls log
    // connection details and request and response bytes at DEBUG and TRACE (ureq_proto
    // hex-dumps bodies, which hold the secret and the token), never forwarded whatever the
    // Python level.
    let _ = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Warn)
        .filter_target("officernd_auth".to_owned(), log::LevelFilter::Debug)
        .filter_target("ureq_proto".to_owned(), log::LevelFilter::Off)
        .install();
    m.add_class::<client::PyTokenClient>()?;
    m.add_class::<token::PyToken>()?;
    stats::register(m)?;
    errors::register(m)?;
    args::register(m)?;
    m.add("DEFAULT_TOKEN_URL", DEFAULT_TOKEN_URL)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Core's one-line texts as docstring sentences: "missing or invalid setting" → "Missing or
/// invalid setting".
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
