//! The shared request budget and remembered refusals in the file store: `governor::Window` in a
//! JSON file per credentials, changed under a `flock`, and a JSON file per configuration for a
//! terminal answer.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::io::Record;
use super::{FORMAT_VERSION, FileStore};
use crate::governor::Window;
use crate::store::{RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, unix_ms};

/// The shared request budget of one credentials: `governor::Window` on Unix milliseconds.
#[derive(Serialize, Deserialize, Default)]
struct BudgetRecord {
    version: u32,
    window: Window,
}

/// A terminal answer remembered for one configuration until `until_unix_ms`.
#[derive(Serialize, Deserialize)]
struct RefusalRecord {
    version: u32,
    refusal: RememberedRefusal,
    until_unix_ms: u64,
}

impl FileStore {
    /// Runs `f` on the budget of `credentials` under its lock, writing it back when `f` says
    /// it changed it.
    fn with_budget<T>(
        &self,
        credentials: &str,
        f: impl FnOnce(&mut Window) -> (T, bool),
    ) -> Result<T, StoreError> {
        let lock = self.open_lock_file(&format!("budget-{credentials}.lock"))?;
        // Held for a read and a small write.
        lock.lock().map_err(|e| self.err("lock budget", e))?;
        let path = self.dir.join(format!("budget-{credentials}.json"));
        let mut record =
            match self.read_record::<BudgetRecord>(&path, |r| r.version == FORMAT_VERSION)? {
                Record::Valid(r) => r,
                Record::Missing | Record::Corrupt => BudgetRecord::default(),
            };
        let (value, changed) = f(&mut record.window);
        if changed {
            record.version = FORMAT_VERSION;
            let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
            self.write_atomic(&path, &bytes)?;
        }
        Ok(value)
    }

    pub(super) fn refusal_path(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(format!("{}.refusal", key.as_str()))
    }
}

/// The budget is `governor::Window` in a JSON file per credentials, changed under a `flock`.
impl SharedBudget for FileStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let now = unix_ms(now);
        let id = fastrand::u64(1..);
        self.with_budget(credentials, |w| {
            match w.take(now, capacity, id, now + hold.as_millis() as u64) {
                Ok(()) => (SlotGrant::Granted(id), true),
                Err(wait) => (
                    SlotGrant::Wait {
                        wait: Duration::from_millis(wait.ms),
                        cooldown: wait.cooldown,
                    },
                    false,
                ),
            }
        })
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let frees_at = unix_ms(now) + count_for.as_millis() as u64;
        self.with_budget(credentials, |w| {
            w.finish(slot, frees_at);
            ((), true)
        })
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let until = unix_ms(now) + pause.as_millis() as u64;
        self.with_budget(credentials, |w| {
            w.cool_down(until);
            ((), true)
        })
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let record = RefusalRecord {
            version: FORMAT_VERSION,
            refusal: refusal.clone(),
            until_unix_ms: unix_ms(now) + ttl.as_millis() as u64,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
        self.write_atomic(&self.refusal_path(key), &bytes)
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        now: SystemTime,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let now = unix_ms(now);
        match self.read_record::<RefusalRecord>(&self.refusal_path(key), |r| {
            r.version == FORMAT_VERSION
        })? {
            Record::Valid(r) if r.until_unix_ms > now => Ok(Some((
                r.refusal,
                Duration::from_millis(r.until_unix_ms - now),
            ))),
            _ => Ok(None),
        }
    }
}
