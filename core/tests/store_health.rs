//! A store whose reads work but whose writes fail (a read-only directory, a Redis replica) is one
//! outage, not a flapping one: one warning per process, and no "answering again" until a write
//! succeeds.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{
    ManualClock, MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey,
    StoreLock, StoredToken, TokenStore,
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
            Err(StoreError {
                store: "read-only".into(),
                message: "write: read-only file system".into(),
            })
        }
    }
}

impl TokenStore for ReadOnly {
    fn describe(&self) -> String {
        "read-only".into()
    }
    fn get(&self, key: &StoreKey, now: SystemTime) -> Result<Option<StoredToken>, StoreError> {
        self.inner.get(key, now)
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
        d: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        self.inner.lock(k, ttl, d)
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
    ) -> Result<(), StoreError> {
        self.write(|| self.inner.remember_refusal(k, r, ttl, now))
    }
    fn remembered_refusal(
        &self,
        k: &StoreKey,
        now: SystemTime,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.inner.remembered_refusal(k, now)
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

#[test]
fn a_store_that_reads_but_cannot_write_is_one_outage_per_process() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
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
