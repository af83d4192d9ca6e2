//! A store whose reads work but whose writes fail (a read-only directory, a Redis replica) is one
//! outage, not a flapping one: one warning per process, and no "answering again" until a write
//! succeeds. A store call cut short by the caller's deadline is no outage at all.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{
    ManualClock, MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError,
    StoreErrorKind, StoreKey, StoreLock, StoredToken, TokenStore,
};

/// Reads answer; every write fails until `writable` is set.
#[derive(Debug, Default)]
struct ReadOnly {
    inner: MemoryStore,
    writable: std::sync::atomic::AtomicBool,
}

impl ReadOnly {
    fn write<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.writable.load(Ordering::SeqCst) {
            f()
        } else {
            Err(StoreError::new("read-only", "write: read-only file system"))
        }
    }
}

impl TokenStore for ReadOnly {
    fn describe(&self) -> String {
        "read-only".into()
    }
    fn get(
        &self,
        key: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        self.inner.get(key, now, d)
    }
    fn put_if_newer(
        &self,
        k: &StoreKey,
        t: &StoredToken,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<bool, StoreError> {
        self.write(|| self.inner.put_if_newer(k, t, now, deadline))
    }
    fn lock(
        &self,
        k: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        d: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        self.inner.lock(k, ttl, wait_until, d)
    }
    fn compare_delete(&self, k: &StoreKey, t: &str, deadline: Instant) -> Result<bool, StoreError> {
        self.write(|| self.inner.compare_delete(k, t, deadline))
    }
}

impl SharedBudget for ReadOnly {
    fn take_request_slot(
        &self,
        c: &str,
        cap: u32,
        hold: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        self.write(|| self.inner.take_request_slot(c, cap, hold, now, deadline))
    }
    fn finish_request_slot(
        &self,
        c: &str,
        id: u64,
        d: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        self.write(|| self.inner.finish_request_slot(c, id, d, now, deadline))
    }
    fn start_cooldown(
        &self,
        c: &str,
        d: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        self.write(|| self.inner.start_cooldown(c, d, now, deadline))
    }
    fn remember_refusal(
        &self,
        k: &StoreKey,
        r: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.write(|| self.inner.remember_refusal(k, r, ttl, now, d))
    }
    fn remembered_refusal(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.inner.remembered_refusal(k, now, d)
    }
}

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
    let store = Arc::new(ReadOnly::default());
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
    store.writable.store(true, Ordering::SeqCst);
    clock.advance(MINUTE + MARGIN + MINUTE);
    processes[0].token().unwrap();
    assert_eq!(LOGGER.recoveries.load(Ordering::SeqCst), 1);
}

/// A store that answers, except that the operation named in `cut` runs out of the caller's
/// time: a write or a slot request is carried out first (its answer is what got lost), a read
/// or a lock is not.
#[derive(Debug, Default)]
struct CutShort {
    inner: MemoryStore,
    cut: Mutex<Option<&'static str>>,
}

impl CutShort {
    fn cut(&self, what: Option<&'static str>) {
        *self.cut.lock().unwrap() = what;
    }
    fn answer<T>(&self, what: &'static str, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if *self.cut.lock().unwrap() == Some(what) {
            r?;
            return Err(StoreError::deadline_exceeded("cut-short", what));
        }
        r
    }
}

impl TokenStore for CutShort {
    fn describe(&self) -> String {
        "cut-short".into()
    }
    fn get(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        self.answer("get", self.inner.get(k, now, d))
    }
    fn put_if_newer(
        &self,
        k: &StoreKey,
        t: &StoredToken,
        now: SystemTime,
        d: Instant,
    ) -> Result<bool, StoreError> {
        self.answer("put", self.inner.put_if_newer(k, t, now, d))
    }
    fn lock(
        &self,
        k: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        d: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        if *self.cut.lock().unwrap() == Some("lock") {
            return Err(StoreError::deadline_exceeded("cut-short", "lock"));
        }
        self.inner.lock(k, ttl, wait_until, d)
    }
    fn compare_delete(&self, k: &StoreKey, t: &str, d: Instant) -> Result<bool, StoreError> {
        self.answer("delete", self.inner.compare_delete(k, t, d))
    }
}

impl SharedBudget for CutShort {
    fn take_request_slot(
        &self,
        c: &str,
        cap: u32,
        hold: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<SlotGrant, StoreError> {
        self.answer("slot", self.inner.take_request_slot(c, cap, hold, now, d))
    }
    fn finish_request_slot(
        &self,
        c: &str,
        id: u64,
        count_for: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.answer(
            "finish",
            self.inner.finish_request_slot(c, id, count_for, now, d),
        )
    }
    fn remembered_refusal(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.answer("refusal", self.inner.remembered_refusal(k, now, d))
    }
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
    let store = Arc::new(CutShort::default());
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(store.clone() as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    assert_eq!(
        StoreError::deadline_exceeded("s", "x").kind,
        StoreErrorKind::DeadlineExceeded
    );

    store.cut(Some("slot"));
    let e = client.token().unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
    assert_eq!(server.token_requests(), 0, "nothing sent");
    assert_eq!(
        client.stats().budget_remaining,
        4,
        "the slot counts as taken"
    );

    for what in ["lock", "refusal", "get"] {
        store.cut(Some(what));
        let e = client.token().unwrap_err();
        assert_eq!(e.code(), "timeout", "{what}: {e}");
        assert_eq!(server.token_requests(), 0, "{what}: nothing sent");
    }

    for what in ["put", "finish"] {
        store.cut(Some(what));
        let t = client.token().expect("the token fetched is served");
        assert!(client.invalidate(&t));
    }
    assert_eq!(server.token_requests(), 2);

    // No outage was ever declared: the next fetch goes out at once.
    store.cut(None);
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
