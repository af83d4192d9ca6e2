//! The shared request budget and remembered refusals in the file store: `governor::Window` in a
//! JSON file per credentials, changed under a `flock`, and a JSON file per configuration for a
//! terminal answer.
//!
//! A budget file that exists but cannot be read counts as **spent**: the requests it counted are
//! unknown, and an empty budget in its place would let every process send `max_requests` more.
//! It is replaced by a record that grants nothing for one hold (the attempt's deadline plus one
//! window and the margin) from when the damage was found — a fixed time, so processes that find
//! it later do not push it further.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::io::{REPLACED, Record};
use super::{FORMAT_VERSION, FileStore};
use crate::governor::Window;
use crate::store::{RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, unix_ms};

/// The shared request budget of one credentials: `governor::Window` on Unix milliseconds.
#[derive(Serialize, Deserialize, Default)]
struct BudgetRecord {
    version: u32,
    window: Window,
    /// No slot is granted before this (Unix ms): the file was unreadable, the budget is assumed
    /// spent until then. 0 (absent from the file): never was.
    #[serde(default, skip_serializing_if = "is_zero")]
    spent_until: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A terminal answer remembered for one configuration until `until_unix_ms`.
#[derive(Serialize, Deserialize)]
struct RefusalRecord {
    version: u32,
    refusal: RememberedRefusal,
    until_unix_ms: u64,
}

/// What happens to an unreadable budget file, for the warning.
const SPENT: &str = "the budget it kept counts as spent for one quota window, then it is replaced";

impl FileStore {
    /// Runs `f` on the budget of `credentials` under its lock, writing it back when `f` says
    /// it changed it. An unreadable budget is replaced by one spent until `now + spent_for`
    /// before `f` sees it; without `spent_for` (the caller cannot tell how long a window is), it
    /// is left for the next caller that can, and this call fails.
    fn with_budget<T>(
        &self,
        credentials: &str,
        now: u64,
        spent_for: Option<Duration>,
        deadline: Instant,
        f: impl FnOnce(&mut BudgetRecord) -> (T, bool),
    ) -> Result<T, StoreError> {
        let lock = self.open_lock_file(
            &self.dir.join(format!("budget-{credentials}.lock")),
            deadline,
        )?;
        // Held for a read and a small write, so waiting long means its holder is stuck (or
        // stopped): give up at the caller's deadline, and the caller falls back to its outage
        // budget rather than waiting for as long as the holder lives.
        let Some(_held) = self.flock(&lock, deadline)? else {
            return Err(self.err(
                "lock budget",
                "another process held the budget lock until the deadline",
            ));
        };
        let path = self.dir.join(format!("budget-{credentials}.json"));
        let read =
            self.read_record::<BudgetRecord>(&path, SPENT, |r| r.version == FORMAT_VERSION)?;
        let (mut record, repaired) = match (read, spent_for) {
            (Record::Valid(r), _) => (r, false),
            (Record::Missing, _) => (BudgetRecord::default(), false),
            (Record::Corrupt, Some(d)) => (
                BudgetRecord {
                    spent_until: now + d.as_millis() as u64,
                    ..BudgetRecord::default()
                },
                true,
            ),
            (Record::Corrupt, None) => {
                return Err(self.err("budget", "the budget file is unreadable"));
            }
        };
        let (value, changed) = f(&mut record);
        if changed || repaired {
            record.version = FORMAT_VERSION;
            let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
            self.write_atomic(&path, &bytes, deadline)?;
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
        deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        // The lock may be waited for: the slot is stamped with the time it is granted, not the
        // time it was asked for, so it never frees before the attempt it admits can end.
        let entered = Instant::now();
        let id = crate::store::unique_id();
        let asked = unix_ms(now);
        self.with_budget(credentials, asked, Some(hold), deadline, |b| {
            let now = asked + entered.elapsed().as_millis() as u64;
            if now < b.spent_until && now >= b.window.cooldown_until {
                let wait = Duration::from_millis(b.spent_until - now);
                return (
                    SlotGrant::Wait {
                        wait,
                        cooldown: false,
                    },
                    false,
                );
            }
            match b
                .window
                .take(now, capacity, id, now + hold.as_millis() as u64)
            {
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
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let now = unix_ms(now);
        let frees_at = now + count_for.as_millis() as u64;
        self.with_budget(credentials, now, Some(count_for), deadline, |b| {
            b.window.finish(slot, frees_at);
            ((), true)
        })
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let now = unix_ms(now);
        let until = now + pause.as_millis() as u64;
        // A pause says nothing about the window: an unreadable budget is left for the next
        // take or finish to mark spent, and the cool-down holds in this process only.
        self.with_budget(credentials, now, None, deadline, |b| {
            b.window.cool_down(until);
            ((), true)
        })
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let record = RefusalRecord {
            version: FORMAT_VERSION,
            refusal: refusal.clone(),
            until_unix_ms: unix_ms(now) + ttl.as_millis() as u64,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
        // No deadline here: a directory in the way is cleared only if nobody holds the store
        // directory's lock right now (never waited for); otherwise the next refusal clears it.
        self.write_atomic(&self.refusal_path(key), &bytes, Instant::now())
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let now = unix_ms(now);
        match self.read_record::<RefusalRecord>(&self.refusal_path(key), REPLACED, |r| {
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
