//! A store whose reads work but whose writes fail (a read-only directory, a Redis replica) is one
//! outage, not a flapping one: one warning per process, and no "answering again" until a write
//! succeeds. A store call cut short by the caller's deadline is no outage at all.

mod common;
#[path = "common/faulty_store.rs"]
mod faulty_store;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use faulty_store::{Failure, FaultyStore, Op};
use officernd_auth::{ManualClock, StoreError, StoreErrorKind, TokenStore};

struct Counting {
    warnings: AtomicUsize,
    recoveries: AtomicUsize,
    lines: Mutex<Vec<String>>,
}

impl log::Log for Counting {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if !r.target().starts_with("officernd_auth") {
            return;
        }
        let line = format!("{} {}", r.level(), r.args());
        if r.level() == log::Level::Warn && line.contains("read-only") {
            self.warnings.fetch_add(1, Ordering::SeqCst);
        }
        if line.contains("answering again") {
            self.recoveries.fetch_add(1, Ordering::SeqCst);
        }
        self.lines.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static LOGGER: Counting = Counting {
    warnings: AtomicUsize::new(0),
    recoveries: AtomicUsize::new(0),
    lines: Mutex::new(Vec::new()),
};

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&LOGGER).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

#[test]
fn a_store_that_reads_but_cannot_write_is_one_outage_per_process() {
    capture_logs();
    let server = mock();
    let clock = ManualClock::new();
    // Reads answer; every write fails (a lock, as on a read-only directory whose lock files
    // exist, is still taken).
    let store = Arc::new(FaultyStore::new("read-only"));
    store.set(|op| {
        matches!(
            op,
            Op::Put | Op::Delete | Op::Slot | Op::Finish | Op::Cooldown | Op::Remember
        )
        .then_some(Failure::Failed)
    });
    let processes: Vec<_> = (0..4)
        .map(|_| {
            builder(&server, &clock)
                .share_cache(false)
                .store(store.clone() as Arc<dyn TokenStore>)
                .build()
                .unwrap()
        })
        .collect();
    // 80 s of calls, each process asking for a new token every second.
    for _ in 0..80 {
        for p in &processes {
            if let Ok(t) = p.token() {
                p.invalidate(&t);
            }
        }
        clock.advance(Duration::from_secs(1));
    }
    let lines = LOGGER.lines.lock().unwrap().clone();
    assert_eq!(
        LOGGER.warnings.load(Ordering::SeqCst),
        4,
        "one per process: {lines:#?}"
    );
    assert_eq!(
        LOGGER.recoveries.load(Ordering::SeqCst),
        0,
        "reads are not a recovery: {lines:#?}"
    );
    // Each process sent at most one request per window (+ margin), after its first window.
    assert!(server.token_requests() <= 4, "{}", server.token_requests());

    // Writes work again: the next write ends the outage, once per process that writes.
    store.set(|_| None);
    clock.advance(MINUTE + MARGIN + MINUTE);
    processes[0].token().unwrap();
    assert_eq!(LOGGER.recoveries.load(Ordering::SeqCst), 1);
}

/// Each store call of `token()` cut short by the deadline in turn: a slot request counts as
/// granted (nothing is sent, and this process counts the slot), a lost write still serves the
/// token fetched, a lost lock or refusal look ends the call with `timeout` without sending.
/// None of it is an outage: no warning, and the outage budget never holds back the next fetch.
#[test]
fn store_calls_cut_short_by_the_deadline_are_no_outage_and_no_free_request() {
    capture_logs();
    let server = mock();
    let clock = ManualClock::new();
    let store = Arc::new(FaultyStore::new("cut-short"));
    let cut = |op: Option<Op>| store.set(move |o| (Some(o) == op).then_some(Failure::CutShort));
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(store.clone() as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    assert_eq!(
        StoreError::deadline_exceeded("s", "x").kind,
        StoreErrorKind::DeadlineExceeded
    );

    cut(Some(Op::Slot));
    let e = client.token().unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert_eq!(server.token_requests(), 0, "nothing sent");
    assert_eq!(
        client.stats().budget_remaining,
        4,
        "the slot counts as taken"
    );

    for what in [Op::Lock, Op::Refusal, Op::Get] {
        cut(Some(what));
        let e = client.token().unwrap_err();
        assert_eq!(e.code(), "timeout", "{what:?}: {e}");
        assert_eq!(server.token_requests(), 0, "{what:?}: nothing sent");
    }

    for what in [Op::Put, Op::Finish] {
        cut(Some(what));
        let t = client.token().expect("the token fetched is served");
        assert!(client.invalidate(&t));
    }
    assert_eq!(server.token_requests(), 2);

    // No outage was ever declared: the next fetch goes out at once.
    cut(None);
    client.token().expect("no outage budget in force");
    assert_eq!(server.token_requests(), 3);
    let lines = LOGGER.lines.lock().unwrap().clone();
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("cut-short")),
        "{lines:#?}"
    );
}
