//! Core's `log` records, forwarded to the host language: [`set_log_sink`] installs this library's
//! one `log` logger (once per process) and routes its records to a [`LogSink`] the host
//! implements (Kotlin: `JavaUtilLogSink` forwards to `java.util.logging`). Without a sink nothing
//! is formatted and nothing crosses the FFI: the store-outage and refresh-failure warnings are
//! then dropped, as before.
//!
//! Dependencies' debug and trace records (`ureq`, `ureq_proto`, `rustls`, `redis`…) are never
//! forwarded, whatever the level asked for: they can hex-dump HTTP traffic, tokens included.
//! Core's own records never hold a secret or a whole token.

use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::error::Result;

/// The level of a record (the `log` crate's levels, most severe first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed (Kotlin adapter: `SEVERE`).
    Error,
    /// Something degraded, e.g. the shared store is down, a refresh failed (`WARNING`).
    Warn,
    /// A token was obtained or invalidated, the store answers again (`INFO`).
    Info,
    /// Each token request and its outcome (`FINE`).
    Debug,
    /// Finer detail (`FINEST`).
    Trace,
}

impl LogLevel {
    fn filter(self) -> LevelFilter {
        self.level().to_level_filter()
    }

    fn level(self) -> Level {
        match self {
            LogLevel::Error => Level::Error,
            LogLevel::Warn => Level::Warn,
            LogLevel::Info => Level::Info,
            LogLevel::Debug => Level::Debug,
            LogLevel::Trace => Level::Trace,
        }
    }
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> LogLevel {
        match level {
            Level::Error => LogLevel::Error,
            Level::Warn => LogLevel::Warn,
            Level::Info => LogLevel::Info,
            Level::Debug => LogLevel::Debug,
            Level::Trace => LogLevel::Trace,
        }
    }
}

/// What a sink's exception becomes: it is dropped (logging never fails a call, and never
/// panics inside the library).
#[derive(Debug, uniffi::Error)]
pub enum LogSinkError {
    /// The sink threw.
    Failed {
        /// What it threw.
        reason: String,
    },
}

impl fmt::Display for LogSinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSinkError::Failed { reason } => write!(f, "log sink failed: {reason}"),
        }
    }
}

impl std::error::Error for LogSinkError {}

/// An exception the sink did not declare: kept as an error rather than a panic.
impl From<uniffi::UnexpectedUniFFICallbackError> for LogSinkError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        LogSinkError::Failed { reason: e.reason }
    }
}

/// Receives the library's log records. Called on the thread that logs (the one calling
/// `token()`), possibly from several threads at once; it should be quick and must not call this
/// library (a record logged while forwarding is dropped). Exceptions are ignored.
#[uniffi::export(callback_interface)]
pub trait LogSink: Send + Sync {
    /// One record: its level, its target (the Rust module path, e.g.
    /// `officernd_auth::store`) and its message (never a secret or a whole token).
    fn log(
        &self,
        level: LogLevel,
        target: String,
        message: String,
    ) -> std::result::Result<(), LogSinkError>;
}

struct Installed {
    sink: Box<dyn LogSink>,
    max: LevelFilter,
}

/// The current sink; cloned out before a call so that no lock is held while the host runs.
static SINK: RwLock<Option<Arc<Installed>>> = RwLock::new(None);
/// Whether `log::set_logger` took this library's logger (it can be set once per process).
static LOGGER: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Set while this thread is inside a sink: what the sink logs through us is dropped.
    static FORWARDING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a record reaches the sink: this library's own records up to `max`; its
/// dependencies' only at `Info` and above, never their debug or trace records.
fn forwarded(target: &str, level: Level, max: LevelFilter) -> bool {
    let own = matches!(
        target.split("::").next(),
        Some("officernd_auth" | "officernd_auth_uniffi")
    );
    level <= max && (own || level <= Level::Info)
}

struct Forwarder;

impl Log for Forwarder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let max = log::max_level();
        forwarded(metadata.target(), metadata.level(), max)
    }

    fn log(&self, record: &Record<'_>) {
        let Some(installed) = SINK.read().ok().and_then(|s| s.clone()) else {
            return;
        };
        if !forwarded(record.target(), record.level(), installed.max) || FORWARDING.get() {
            return;
        }
        FORWARDING.set(true);
        // The sink's failure is dropped: see `LogSinkError`.
        let _ = installed.sink.log(
            record.level().into(),
            record.target().to_owned(),
            record.args().to_string(),
        );
        FORWARDING.set(false);
    }

    fn flush(&self) {}
}

static FORWARDER: Forwarder = Forwarder;

/// Sends this library's log records up to `max_level` to `sink`, replacing any sink set before
/// (dependencies' debug and trace records are never sent). The first call installs the
/// library's logger for the process; a `config` error naming `log_sink` if another `log`
/// logger was installed in this library first (only possible when it is linked into a Rust
/// program that installs its own).
#[uniffi::export]
pub fn set_log_sink(sink: Box<dyn LogSink>, max_level: LogLevel) -> Result<()> {
    if !*LOGGER.get_or_init(|| log::set_logger(&FORWARDER).is_ok()) {
        return Err(officernd_auth::Error::Config {
            setting: "log_sink".into(),
            reason: "another `log` logger is installed in this process".into(),
        }
        .into());
    }
    let installed = Arc::new(Installed {
        sink,
        max: max_level.filter(),
    });
    let mut current = SINK.write().unwrap_or_else(|p| p.into_inner());
    *current = Some(installed);
    log::set_max_level(max_level.filter());
    Ok(())
}

/// Stops forwarding: records are dropped again, without being formatted.
#[uniffi::export]
pub fn clear_log_sink() {
    let mut current = SINK.write().unwrap_or_else(|p| p.into_inner());
    *current = None;
    log::set_max_level(LevelFilter::Off);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn dependencies_debug_and_trace_are_never_forwarded() {
        let max = LevelFilter::Trace;
        for target in [
            "ureq::unversioned::transport::tcp",
            "ureq_proto::client",
            "rustls::client::hs",
            "redis::cmd",
        ] {
            assert!(!forwarded(target, Level::Debug, max), "{target}");
            assert!(!forwarded(target, Level::Trace, max), "{target}");
            assert!(forwarded(target, Level::Warn, max), "{target}");
        }
        for target in [
            "officernd_auth",
            "officernd_auth::store",
            "officernd_auth_uniffi::log_sink",
        ] {
            assert!(forwarded(target, Level::Trace, max), "{target}");
            assert!(
                !forwarded(target, Level::Debug, LevelFilter::Info),
                "{target}"
            );
        }
        // A crate whose name merely starts like ours is a dependency.
        assert!(!forwarded("officernd_authx::x", Level::Debug, max));
    }

    type Records = Arc<Mutex<Vec<(LogLevel, String, String)>>>;

    /// Other tests run in parallel threads and may log through core: only records of
    /// targets ending in `::test_sink` are this test's.
    struct Capture(Records);

    impl LogSink for Capture {
        fn log(
            &self,
            level: LogLevel,
            target: String,
            message: String,
        ) -> std::result::Result<(), LogSinkError> {
            // What a sink logs while forwarding is dropped, not forwarded again.
            log::warn!(target: "officernd_auth::test_sink", "from inside the sink");
            if target.ends_with("::test_sink") {
                self.0.lock().unwrap().push((level, target, message));
            }
            Ok(())
        }
    }

    /// The one test that installs the process's logger.
    #[test]
    fn records_reach_the_sink_filtered_until_cleared() {
        let records = Records::default();
        set_log_sink(Box::new(Capture(records.clone())), LogLevel::Debug).unwrap();
        log::warn!(target: "officernd_auth::test_sink", "store down");
        log::debug!(target: "officernd_auth::test_sink", "requesting");
        log::trace!(target: "officernd_auth::test_sink", "too fine");
        log::debug!(target: "ureq::test_sink", "0000: 48 54 54 50");
        log::trace!(target: "rustls::test_sink", "secrets");
        log::info!(target: "rustls::test_sink", "kept");
        let got = std::mem::take(&mut *records.lock().unwrap());
        let own = "officernd_auth::test_sink";
        assert_eq!(
            got,
            [
                (LogLevel::Warn, own.into(), "store down".into()),
                (LogLevel::Debug, own.into(), "requesting".into()),
                (LogLevel::Info, "rustls::test_sink".into(), "kept".into()),
            ]
        );

        // A second sink replaces the first.
        let second = Records::default();
        set_log_sink(Box::new(Capture(second.clone())), LogLevel::Warn).unwrap();
        log::info!(target: "officernd_auth::test_sink", "below warn");
        log::error!(target: "officernd_auth::test_sink", "to the second");
        assert!(records.lock().unwrap().is_empty());
        assert_eq!(second.lock().unwrap().len(), 1);

        clear_log_sink();
        log::error!(target: "officernd_auth::test_sink", "dropped");
        assert_eq!(second.lock().unwrap().len(), 1);
        assert_eq!(log::max_level(), LevelFilter::Off);
    }
}
