//! One test store for every "this store operation fails" scenario: a `MemoryStore` whose
//! operations fail as the test's rule says, either as a store failure (an outage) or as an
//! operation the caller's deadline cut short.
#![allow(dead_code)] // each test uses the operations and failures it needs

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use officernd_auth::{
    MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock,
    StoredToken, TokenStore,
};

/// The store operations a test can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Get,
    Put,
    Lock,
    Delete,
    Slot,
    Finish,
    Cooldown,
    Remember,
    Refusal,
}

/// How an operation fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The store fails (a store outage); nothing is done.
    Failed,
    /// The caller's deadline cut the operation short: it is carried out first (its answer is
    /// what got lost), except a lock, which is not taken.
    CutShort,
}

type Rule = Arc<dyn Fn(Op) -> Option<Failure> + Send + Sync>;

/// A `MemoryStore` whose operations fail as its rule says (none fails until [`FaultyStore::set`]).
pub struct FaultyStore {
    name: &'static str,
    inner: MemoryStore,
    rule: Mutex<Rule>,
}

impl std::fmt::Debug for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl FaultyStore {
    /// `name` is what the store calls itself in its errors (and `describe`).
    pub fn new(name: &'static str) -> FaultyStore {
        FaultyStore {
            name,
            inner: MemoryStore::new(),
            rule: Mutex::new(Arc::new(|_| None)),
        }
    }

    /// From now on, `rule` says which operations fail and how.
    pub fn set(&self, rule: impl Fn(Op) -> Option<Failure> + Send + Sync + 'static) {
        *self.rule.lock().unwrap() = Arc::new(rule);
    }

    fn run<T>(&self, op: Op, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let rule = Arc::clone(&self.rule.lock().unwrap());
        match rule(op) {
            None => f(),
            Some(Failure::Failed) => Err(StoreError::new(self.name, format!("{op:?} failed"))),
            Some(Failure::CutShort) => {
                if op != Op::Lock {
                    f()?;
                }
                Err(StoreError::deadline_exceeded(self.name, &format!("{op:?}")))
            }
        }
    }
}

impl TokenStore for FaultyStore {
    fn describe(&self) -> String {
        self.name.into()
    }
    fn get(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        self.run(Op::Get, || self.inner.get(k, now, d))
    }
    fn put_if_newer(
        &self,
        k: &StoreKey,
        t: &StoredToken,
        now: SystemTime,
        d: Instant,
    ) -> Result<bool, StoreError> {
        self.run(Op::Put, || self.inner.put_if_newer(k, t, now, d))
    }
    fn lock(
        &self,
        k: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        d: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        self.run(Op::Lock, || self.inner.lock(k, ttl, wait_until, d))
    }
    fn compare_delete(&self, k: &StoreKey, t: &str, d: Instant) -> Result<bool, StoreError> {
        self.run(Op::Delete, || self.inner.compare_delete(k, t, d))
    }
}

impl SharedBudget for FaultyStore {
    fn take_request_slot(
        &self,
        c: &str,
        cap: u32,
        hold: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<SlotGrant, StoreError> {
        self.run(Op::Slot, || {
            self.inner.take_request_slot(c, cap, hold, now, d)
        })
    }
    fn finish_request_slot(
        &self,
        c: &str,
        id: u64,
        count_for: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.run(Op::Finish, || {
            self.inner.finish_request_slot(c, id, count_for, now, d)
        })
    }
    fn start_cooldown(
        &self,
        c: &str,
        pause: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.run(Op::Cooldown, || self.inner.start_cooldown(c, pause, now, d))
    }
    fn remember_refusal(
        &self,
        k: &StoreKey,
        r: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.run(Op::Remember, || {
            self.inner.remember_refusal(k, r, ttl, now, d)
        })
    }
    fn remembered_refusal(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.run(Op::Refusal, || self.inner.remembered_refusal(k, now, d))
    }
}
