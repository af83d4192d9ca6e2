//! Core's log records, forwarded to JS. `lib/main.js` registers one callback per JS thread (the
//! main thread, each worker) with [`set_log_sink`]; it turns warnings into `process.emitWarning`
//! (type `OfficeRnDAuthWarning`) and, under `NODE_DEBUG=officernd-auth`, info and debug records
//! into `util.debuglog` lines.
//!
//! Records come from whatever thread core runs on (libuv pool threads for the Promise methods),
//! so they cross to JS through a threadsafe function (weak: it never keeps the process alive).
//! Each call into core runs inside [`scoped`] with the sink of the JS thread that made the
//! client, so a record reaches the thread whose call caused it.
//!
//! Only core's own records (`officernd_auth::…` targets) are forwarded: never those of the
//! HTTP and TLS stack (`ureq`, `ureq_proto`, `rustls`…), whose debug and trace records can dump
//! request and response bytes with tokens in them. Core's records never hold a secret or a
//! whole token (DESIGN.md, Errors).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use log::{Level, LevelFilter, Log, Metadata, Record};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

/// `(level, target, message)` to the JS callback; weak, errors not passed as a first argument.
type Args = FnArgs<(String, String, String)>;
type Callback = ThreadsafeFunction<Args, Unknown<'static>, Args, Status, false, true>;

/// Where one JS thread's records go.
pub(crate) struct Sink {
    callback: Callback,
    /// Forward info and debug records too (`NODE_DEBUG=officernd-auth`), not only warnings.
    debug: bool,
}

thread_local! {
    /// Records of the call under way on this thread go to this sink (see [`scoped`]).
    static CURRENT: RefCell<Option<Arc<Sink>>> = const { RefCell::new(None) };
    /// On a JS thread: the sink registered there, which its clients take.
    static THREAD_SINK: RefCell<Option<Arc<Sink>>> = const { RefCell::new(None) };
}

/// For a record outside any call (none in core today): the last sink registered.
static FALLBACK: Mutex<Option<Weak<Sink>>> = Mutex::new(None);
static ANY_DEBUG: AtomicBool = AtomicBool::new(false);
static FORWARDER: Forwarder = Forwarder;

/// Registers `callback(level, target, message)` as this JS thread's log sink (`lib/main.js` calls it
/// once per thread); `debug` also forwards info and debug records. Installs the process-wide
/// logger on first use; if another library of the process installed one first, core's records
/// go there instead and this returns `false`.
#[napi(
    ts_args_type = "callback: (level: string, target: string, message: string) => void, debug: boolean"
)]
pub fn set_log_sink(
    callback: Function<FnArgs<(String, String, String)>, Unknown<'static>>,
    debug: bool,
) -> Result<bool> {
    let callback: Callback = callback
        .build_threadsafe_function()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    let sink = Arc::new(Sink { callback, debug });
    *FALLBACK.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::downgrade(&sink));
    THREAD_SINK.with(|s| *s.borrow_mut() = Some(sink));
    let installed = log::set_logger(&FORWARDER).is_ok()
        || std::ptr::addr_eq(
            log::logger() as *const dyn Log,
            &FORWARDER as *const dyn Log,
        );
    if debug {
        ANY_DEBUG.store(true, Ordering::Relaxed);
    }
    log::set_max_level(if ANY_DEBUG.load(Ordering::Relaxed) {
        LevelFilter::Debug
    } else {
        LevelFilter::Warn
    });
    Ok(installed)
}

/// The sink of the JS thread this runs on (for a client made here).
pub(crate) fn thread_sink() -> Option<Arc<Sink>> {
    THREAD_SINK.with(|s| s.borrow().clone())
}

/// Runs `f` with its records going to `sink`.
pub(crate) fn scoped<R>(sink: Option<&Arc<Sink>>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<Sink>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.replace(sink.cloned()));
    let _restore = Restore(previous);
    f()
}

/// Core's own records only: never the HTTP or TLS stack's.
fn ours(target: &str) -> bool {
    target == "officernd_auth" || target.starts_with("officernd_auth::")
}

struct Forwarder;

impl Log for Forwarder {
    fn enabled(&self, m: &Metadata) -> bool {
        ours(m.target()) && m.level() <= Level::Debug
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = CURRENT
            .try_with(|c| c.borrow().clone())
            .ok()
            .flatten()
            .or_else(|| FALLBACK.lock().ok()?.as_ref()?.upgrade());
        let Some(sink) = sink else { return };
        let level = match record.level() {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info if sink.debug => "info",
            Level::Debug if sink.debug => "debug",
            Level::Info | Level::Debug | Level::Trace => return,
        };
        // Non-blocking: a full queue (it is unbounded) or a closing thread drops the record.
        let _ = sink.callback.call(
            (
                level.to_owned(),
                record.target().to_owned(),
                record.args().to_string(),
            )
                .into(),
            ThreadsafeFunctionCallMode::NonBlocking,
        );
    }

    fn flush(&self) {}
}
