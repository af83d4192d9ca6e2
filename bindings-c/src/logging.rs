//! `officernd_set_log_callback`: the library's log records handed to a C function.
//!
//! The core logs through the `log` crate, which allows one logger per process: the first
//! `officernd_set_log_callback` with a callback installs this crate's [`CLogger`], which stays
//! installed; the callback, its `userdata` and its level can then be replaced or turned off at
//! any time. What is forwarded: every record of the core (`officernd_auth…` targets) up to the
//! level asked for; of any other crate, only `INFO`, `WARN` and `ERROR` records — never the
//! `DEBUG`/`TRACE` records of the HTTP and TLS stacks (`ureq`, `ureq_proto`, `rustls`), which
//! can dump whole request and response bodies, tokens included. The core itself never logs the
//! client secret, a Redis password or a whole access token.

use std::cell::Cell;
use std::ffi::{c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, RwLock};

use log::{Level, LevelFilter, Log, Metadata, Record};
use officernd_auth::Error;

use crate::error::{Failure, c_string, guard, officernd_result};

/// A log level: `OFFICERND_LOG_LEVEL_ERROR` (1, the most severe) to `OFFICERND_LOG_LEVEL_TRACE`
/// (5, the most verbose).
pub type officernd_log_level = u32;

/// Errors: a call failed in a way the caller will also see in its result.
pub const OFFICERND_LOG_LEVEL_ERROR: officernd_log_level = 1;
/// Warnings: something degraded (a shared store is down, a stale token is served).
pub const OFFICERND_LOG_LEVEL_WARN: officernd_log_level = 2;
/// Information: a token obtained or dropped (shown redacted), a store back.
pub const OFFICERND_LOG_LEVEL_INFO: officernd_log_level = 3;
/// Debugging detail of the library (never of the HTTP or TLS stack).
pub const OFFICERND_LOG_LEVEL_DEBUG: officernd_log_level = 4;
/// The most verbose level of the library (never of the HTTP or TLS stack).
pub const OFFICERND_LOG_LEVEL_TRACE: officernd_log_level = 5;

/// Receives one log record: its level, its target (the Rust module that logged it, e.g.
/// `"officernd_auth::store"`) and its message, both NUL-terminated UTF-8 and valid ONLY during
/// the call (copy them to keep them). Called on whatever thread logs (usually the one calling an
/// `officernd_client_*` function), possibly on several threads at once, so it must be
/// thread-safe. It must not unwind (no C++ exception may leave it). Records logged while it runs
/// on the same thread (by calling this library from it) are dropped.
pub type officernd_log_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        level: officernd_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

type Callback =
    unsafe extern "C" fn(*mut c_void, officernd_log_level, *const c_char, *const c_char);

struct Sink {
    callback: Callback,
    userdata: *mut c_void,
    max: LevelFilter,
}

// SAFETY: `userdata` is only handed back to the callback; the caller promises (documented on
// `officernd_set_log_callback`) that both may be used from any thread.
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

/// The current sink. Each record takes a clone of it, so a sink that was replaced stays alive
/// until the calls under way return; [`IDLE`] tells the replacing thread when they have.
static SINK: RwLock<Option<Arc<Sink>>> = RwLock::new(None);
static IDLE: (Mutex<()>, Condvar) = (Mutex::new(()), Condvar::new());

thread_local! {
    /// This thread is running the callback: its own records are dropped, and replacing the
    /// callback from inside it does not wait for itself.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn level_filter(max_level: officernd_log_level) -> LevelFilter {
    match max_level {
        0 => LevelFilter::Off,
        OFFICERND_LOG_LEVEL_ERROR => LevelFilter::Error,
        OFFICERND_LOG_LEVEL_WARN => LevelFilter::Warn,
        OFFICERND_LOG_LEVEL_INFO => LevelFilter::Info,
        OFFICERND_LOG_LEVEL_DEBUG => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

fn c_level(level: Level) -> officernd_log_level {
    match level {
        Level::Error => OFFICERND_LOG_LEVEL_ERROR,
        Level::Warn => OFFICERND_LOG_LEVEL_WARN,
        Level::Info => OFFICERND_LOG_LEVEL_INFO,
        Level::Debug => OFFICERND_LOG_LEVEL_DEBUG,
        Level::Trace => OFFICERND_LOG_LEVEL_TRACE,
    }
}

/// Whether a record goes to the callback: up to `max`; below `INFO` only the core's own (the
/// `DEBUG`/`TRACE` records of `ureq`, `ureq_proto`, `rustls`… may hold whole HTTP bodies).
fn forwarded(level: Level, target: &str, max: LevelFilter) -> bool {
    let ours = target == "officernd_auth" || target.starts_with("officernd_auth::");
    level <= max && (ours || level <= Level::Info)
}

/// The `log::Log` this library installs (once, see the module documentation).
struct CLogger;

static LOGGER: CLogger = CLogger;

fn current_sink() -> Option<Arc<Sink>> {
    SINK.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// Resets [`IN_CALLBACK`] however the call ends.
struct InCallback;

impl InCallback {
    fn enter() -> InCallback {
        IN_CALLBACK.set(true);
        InCallback
    }
}

impl Drop for InCallback {
    fn drop(&mut self) {
        IN_CALLBACK.set(false);
    }
}

impl Log for CLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        !IN_CALLBACK.get()
            && current_sink().is_some_and(|s| forwarded(metadata.level(), metadata.target(), s.max))
    }

    fn log(&self, record: &Record) {
        if IN_CALLBACK.get() {
            return;
        }
        let Some(sink) = current_sink() else {
            return;
        };
        if forwarded(record.level(), record.target(), sink.max) {
            // Formatting runs Rust code that could panic: it never crosses into the caller.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let message = c_string(&record.args().to_string());
                let target = c_string(record.target());
                let _in = InCallback::enter();
                // SAFETY: the C callback and its userdata, as the caller registered them; the
                // strings live until it returns.
                unsafe {
                    (sink.callback)(
                        sink.userdata,
                        c_level(record.level()),
                        target.as_ptr(),
                        message.as_ptr(),
                    )
                };
            }));
        }
        drop(sink);
        let _idle = IDLE.0.lock().unwrap_or_else(PoisonError::into_inner);
        IDLE.1.notify_all();
    }

    fn flush(&self) {}
}

/// Installs [`CLogger`] the first time; false when the process already has another logger.
fn installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| log::set_logger(&LOGGER).is_ok())
}

/// Waits until no thread is calling the replaced sink any more (except this one, if it is the
/// callback itself that replaces it).
fn wait_until_unused(old: Arc<Sink>) {
    if IN_CALLBACK.get() {
        return;
    }
    let mut idle = IDLE.0.lock().unwrap_or_else(PoisonError::into_inner);
    while Arc::strong_count(&old) > 1 {
        idle = IDLE.1.wait(idle).unwrap_or_else(PoisonError::into_inner);
    }
}

/// Sends the library's log records to `cb` (NULL turns logging off), with `userdata` as its
/// first argument, for records up to `max_level` (`OFFICERND_LOG_LEVEL_WARN`: errors and
/// warnings; `OFFICERND_LOG_LEVEL_DEBUG`: everything of this library; 0: none).
///
/// What is forwarded: the library's own records up to `max_level`, and of other Rust code in the
/// library (its HTTP, TLS and Redis clients) only errors, warnings and information, never their
/// debug or trace records, which can contain whole HTTP bodies. No record contains the client
/// secret, a Redis password (URLs show `***`) or a whole access token (tokens show as their
/// first 6 characters and `…[redacted]`).
///
/// The Rust `log` crate allows one logger per process: the first call with a callback installs
/// this library's, which then stays installed (later calls replace the callback, its userdata
/// and level, or turn it off). It fails with `OFFICERND_RESULT_CONFIG` only when other Rust code
/// in the process installed a logger first; calling it with NULL then does nothing and succeeds.
///
/// Threads: `cb` is called on whatever thread logs (usually one calling an `officernd_client_*`
/// function), possibly on several at once, and `userdata` is used from those threads too: both
/// must be thread-safe. The `target` and `message` strings are valid only during the call.
/// When this function returns, the previous callback is not running any more on another thread
/// and will not be called again, so its userdata may be freed (called from inside the callback
/// itself, it does not wait for that call to return). Records that the callback itself causes
/// (by calling this library) are dropped. Not for use in a signal handler.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_set_log_callback(
    cb: officernd_log_callback,
    userdata: *mut c_void,
    max_level: officernd_log_level,
) -> officernd_result {
    guard(std::ptr::null_mut(), || {
        let sink = cb.map(|callback| {
            Arc::new(Sink {
                callback,
                userdata,
                max: level_filter(max_level),
            })
        });
        if !installed() {
            if sink.is_none() {
                return Ok(());
            }
            return Err(Failure::Core(Error::Config {
                setting: "log_callback".into(),
                reason: "another logger is already installed in this process (the Rust log \
                         crate allows one)"
                    .into(),
            }));
        }
        let max = sink.as_ref().map_or(LevelFilter::Off, |s| s.max);
        let old = std::mem::replace(
            &mut *SINK.write().unwrap_or_else(PoisonError::into_inner),
            sink,
        );
        log::set_max_level(max);
        if let Some(old) = old {
            wait_until_unused(old);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    #[test]
    fn only_the_core_below_info_and_never_beyond_the_level_asked_for() {
        use Level::*;
        let trace = LevelFilter::Trace;
        for (level, target, max, want) in [
            (Trace, "officernd_auth", trace, true),
            (Debug, "officernd_auth::store::redis", trace, true),
            (Info, "officernd_auth::client", LevelFilter::Warn, false),
            (Warn, "officernd_auth::store", LevelFilter::Warn, true),
            (Debug, "ureq", trace, false),
            (Trace, "ureq_proto::client", trace, false),
            (Debug, "rustls::client::hs", trace, false),
            (Debug, "officernd_auth_c", trace, false),
            (Debug, "officernd_authx", trace, false),
            (Info, "ureq::pool", trace, true),
            (Warn, "redis", LevelFilter::Info, true),
            (Error, "anything", LevelFilter::Off, false),
        ] {
            assert_eq!(
                forwarded(level, target, max),
                want,
                "{level} {target} {max}"
            );
        }
        assert_eq!(level_filter(0), LevelFilter::Off);
        assert_eq!(level_filter(OFFICERND_LOG_LEVEL_WARN), LevelFilter::Warn);
        assert_eq!(level_filter(99), LevelFilter::Trace);
        for level in [Error, Warn, Info, Debug, Trace] {
            assert_eq!(c_level(level) as usize, level as usize);
        }
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Counts the test's own records; logs again (dropped) and replaces itself (no deadlock).
    unsafe extern "C" fn reentrant(
        _: *mut c_void,
        level: officernd_log_level,
        target: *const c_char,
        message: *const c_char,
    ) {
        let target = unsafe { CStr::from_ptr(target) }.to_str().unwrap();
        let message = unsafe { CStr::from_ptr(message) }.to_str().unwrap();
        if target != "officernd_auth::c_logging_test" {
            return;
        }
        assert_eq!(level, OFFICERND_LOG_LEVEL_DEBUG);
        CALLS.fetch_add(1, SeqCst);
        log::error!(target: "officernd_auth::c_logging_test", "from inside the callback");
        if message == "turn off" {
            assert_eq!(
                unsafe { officernd_set_log_callback(None, std::ptr::null_mut(), 0) },
                officernd_result::Ok
            );
        }
    }

    #[test]
    fn records_from_inside_the_callback_are_dropped_and_it_may_turn_itself_off() {
        let t = "officernd_auth::c_logging_test";
        let set =
            |max| unsafe { officernd_set_log_callback(Some(reentrant), std::ptr::null_mut(), max) };
        assert_eq!(set(OFFICERND_LOG_LEVEL_DEBUG), officernd_result::Ok);
        log::debug!(target: t, "one");
        assert_eq!(
            CALLS.load(SeqCst),
            1,
            "the record logged inside was dropped"
        );
        log::trace!(target: t, "above the level asked for");
        assert_eq!(CALLS.load(SeqCst), 1);
        log::debug!(target: t, "turn off");
        assert_eq!(CALLS.load(SeqCst), 2);
        log::debug!(target: t, "after");
        assert_eq!(CALLS.load(SeqCst), 2, "off");
        assert_eq!(log::max_level(), LevelFilter::Off);
    }
}
