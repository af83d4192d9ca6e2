//! The in-memory store: this process only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{
    RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock, StoredToken,
    TokenStore, unix_ms,
};
use crate::fork::{Local, PerProcess};
use crate::governor::Window;

/// The default store: this process only. Useful on its own for clients that are not shared by
/// the process-wide cache (e.g. built with `share_cache(false)`), and as the reference
/// implementation of the trait's semantics.
///
/// A forked child gets a copy of what the parent held (tokens, budgets, refusals; not the fetch
/// locks, whose holders are parent threads), or starts empty if a parent thread was inside the
/// store at that moment.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Arc<MemoryInner>,
}

#[derive(Debug)]
struct MemoryInner {
    state: PerProcess<MemoryState>,
}

impl Default for MemoryInner {
    fn default() -> Self {
        MemoryInner {
            state: PerProcess::new(MemoryState::default()),
        }
    }
}

impl MemoryInner {
    /// This process's state.
    fn local(&self) -> Arc<Local<MemoryState>> {
        self.state.get(|parent| match parent {
            Some(p) => MemoryState {
                locks: HashMap::new(),
                ..p.clone()
            },
            None => MemoryState::default(),
        })
    }

    /// Runs `f` on this process's state, locked (a panic while holding it cannot leave the maps
    /// inconsistent: poisoning is ignored).
    fn with<R>(&self, f: impl FnOnce(&mut MemoryState) -> R) -> R {
        f(&mut self.local().lock())
    }
}

#[derive(Debug, Default, Clone)]
struct MemoryState {
    tokens: HashMap<StoreKey, StoredToken>,
    /// key → (lock id, lock expiry)
    locks: HashMap<StoreKey, (u64, Instant)>,
    next_lock_id: u64,
    /// credentials → the budget window, on Unix milliseconds.
    budgets: HashMap<String, Window>,
    /// key → (terminal answer, until Unix ms)
    refusals: HashMap<StoreKey, (RememberedRefusal, u64)>,
}

impl MemoryStore {
    /// Runs `f` holding the state's lock (a test's stand-in for another thread in a call).
    #[cfg(all(test, unix, not(loom)))]
    fn hold_while(&self, f: impl FnOnce()) {
        let local = self.inner.local();
        let _held = local.lock();
        f()
    }

    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut MemoryState) -> R) -> R {
        self.inner.with(f)
    }
}

impl TokenStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".into()
    }

    fn get(
        &self,
        key: &StoreKey,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.with(|st| st.tokens.get(key).cloned()))
    }

    fn put_if_newer(
        &self,
        key: &StoreKey,
        token: &StoredToken,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
        Ok(self.with(|st| match st.tokens.get(key) {
            Some(old) if old.expires_at >= token.expires_at => false,
            _ => {
                st.tokens.insert(key.clone(), token.clone());
                true
            }
        }))
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        _deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let deadline = wait_until;
        let local = self.inner.local();
        let mut st = local.lock();
        loop {
            let now = Instant::now();
            let held = st.locks.get(key).is_some_and(|(_, until)| *until > now);
            if !held {
                st.next_lock_id += 1;
                let id = st.next_lock_id;
                st.locks.insert(key.clone(), (id, now + ttl));
                return Ok(Some(Box::new(MemoryLock {
                    store: Arc::clone(&self.inner),
                    key: key.clone(),
                    id,
                    pid: std::process::id(),
                    released: false,
                })));
            }
            if now >= deadline {
                return Ok(None);
            }
            let until = st.locks.get(key).map(|(_, u)| *u).unwrap_or(now);
            let wait = until.min(deadline).saturating_duration_since(now);
            st = local.wait(st, wait);
        }
    }

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
        Ok(self.with(|st| {
            let same = st
                .tokens
                .get(key)
                .is_some_and(|t| t.access_token == access_token);
            if same {
                st.tokens.remove(key);
            }
            same
        }))
    }
}

/// Lock handle of [`MemoryStore`]. Released by the process that took it only: a forked child
/// has its own state, and nothing to release.
struct MemoryLock {
    store: Arc<MemoryInner>,
    key: StoreKey,
    id: u64,
    pid: u32,
    released: bool,
}

impl MemoryLock {
    fn unlock(&mut self) {
        if self.released || self.pid != std::process::id() {
            return;
        }
        self.released = true;
        let local = self.store.local();
        let mut st = local.lock();
        if st
            .locks
            .get(&self.key)
            .is_some_and(|(id, _)| *id == self.id)
        {
            st.locks.remove(&self.key);
        }
        drop(st);
        local.notify_all();
    }
}

impl StoreLock for MemoryLock {
    fn release(mut self: Box<Self>) -> Result<(), StoreError> {
        self.unlock();
        Ok(())
    }
}

impl Drop for MemoryLock {
    fn drop(&mut self) {
        self.unlock();
    }
}

/// The same rule as every shared store (`governor::Window`), for clients of one process that
/// share this store without sharing a cache.
impl SharedBudget for MemoryStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let now = unix_ms(now);
        Ok(self.with(|st| {
            st.next_lock_id += 1;
            let id = st.next_lock_id;
            let w = st.budgets.entry(credentials.to_owned()).or_default();
            match w.take(now, capacity, id, now + hold.as_millis() as u64) {
                Ok(()) => SlotGrant::Granted(id),
                Err(w) => SlotGrant::Wait {
                    wait: Duration::from_millis(w.ms),
                    cooldown: w.cooldown,
                },
            }
        }))
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        self.with(|st| {
            if let Some(w) = st.budgets.get_mut(credentials) {
                w.finish(slot, unix_ms(now) + count_for.as_millis() as u64);
            }
        });
        Ok(())
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        self.with(|st| {
            let w = st.budgets.entry(credentials.to_owned()).or_default();
            w.cool_down(unix_ms(now) + pause.as_millis() as u64);
        });
        Ok(())
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let until = unix_ms(now) + ttl.as_millis() as u64;
        self.with(|st| st.refusals.insert(key.clone(), (refusal.clone(), until)));
        Ok(())
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let now = unix_ms(now);
        Ok(self.with(|st| {
            st.refusals
                .get(key)
                .filter(|(_, until)| *until > now)
                .map(|(r, until)| (r.clone(), Duration::from_millis(until - now)))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deadline no test operation comes near.
    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }
    use crate::scopes::Scopes;
    use crate::secret::ClientSecret;
    use crate::store::{StoredToken, TokenStore};

    fn key(n: &str) -> StoreKey {
        StoreKey::derive(
            "https://x/t",
            n,
            &ClientSecret::new("s"),
            &Scopes::default(),
        )
    }

    fn tok(s: &str, secs: u64) -> StoredToken {
        StoredToken {
            access_token: s.into(),
            token_type: "Bearer".into(),
            scopes: vec![],
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            lifetime: Duration::from_secs(secs),
        }
    }

    #[test]
    fn put_if_newer_and_compare_delete() {
        let m = MemoryStore::new();
        let k = key("a");
        let now = SystemTime::now();
        assert!(m.put_if_newer(&k, &tok("t1", 100), now, soon()).unwrap());
        assert!(!m.put_if_newer(&k, &tok("t0", 50), now, soon()).unwrap());
        assert_eq!(m.get(&k, now, soon()).unwrap().unwrap().access_token, "t1");
        assert!(!m.compare_delete(&k, "t0", soon()).unwrap());
        assert!(m.compare_delete(&k, "t1", soon()).unwrap());
        assert!(m.get(&k, now, soon()).unwrap().is_none());
    }

    #[test]
    fn lock_is_exclusive_and_expires() {
        let m = MemoryStore::new();
        let k = key("a");
        let now = Instant::now();
        let held = m
            .lock(&k, Duration::from_secs(60), now, now)
            .unwrap()
            .unwrap();
        assert!(
            m.lock(&k, Duration::from_secs(60), now, now)
                .unwrap()
                .is_none()
        );
        held.release().unwrap();
        let _again = m
            .lock(&k, Duration::from_millis(1), now, now)
            .unwrap()
            .unwrap();
        // The 1 ms lock expires by itself: a waiter with a later deadline gets it.
        let got = m.lock(&k, Duration::from_secs(1), soon(), soon()).unwrap();
        assert!(got.is_some());
    }

    #[test]
    fn budget_cooldown_and_refusals_are_shared_through_the_store() {
        let m = MemoryStore::new();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hold = Duration::from_secs(70);
        let SlotGrant::Granted(id) = m.take_request_slot("c", 1, hold, t0, soon()).unwrap() else {
            panic!("granted")
        };
        assert!(matches!(
            m.take_request_slot("c", 1, hold, t0, soon()).unwrap(),
            SlotGrant::Wait {
                cooldown: false,
                ..
            }
        ));
        m.finish_request_slot("c", id, Duration::from_secs(61), t0, soon())
            .unwrap();
        let later = t0 + Duration::from_secs(61);
        assert!(matches!(
            m.take_request_slot("c", 1, hold, later, soon()).unwrap(),
            SlotGrant::Granted(_)
        ));
        m.start_cooldown("d", Duration::from_secs(5), t0, soon())
            .unwrap();
        assert_eq!(
            m.take_request_slot("d", 5, hold, t0, soon()).unwrap(),
            SlotGrant::Wait {
                wait: Duration::from_secs(5),
                cooldown: true
            }
        );
        let r = RememberedRefusal {
            status: 401,
            error: "invalid_client".into(),
            error_description: None,
            error_uri: None,
        };
        m.remember_refusal(&key("a"), &r, Duration::from_secs(60), t0, soon())
            .unwrap();
        assert_eq!(
            m.remembered_refusal(&key("a"), t0 + Duration::from_secs(1), soon())
                .unwrap(),
            Some((r, Duration::from_secs(59)))
        );
        assert_eq!(m.remembered_refusal(&key("b"), t0, soon()).unwrap(), None);
        assert_eq!(
            m.remembered_refusal(&key("a"), t0 + Duration::from_secs(60), soon())
                .unwrap(),
            None
        );
    }

    /// A child forked while a parent thread is inside the store uses it: that thread does not
    /// exist in the child, so nothing it held may be waited for. (The state it was changing may be
    /// half-written: that child starts empty.) A child forked at a quiet moment keeps the tokens.
    #[cfg(all(unix, not(loom)))]
    #[test]
    fn a_child_forked_while_a_thread_is_inside_the_store_uses_it() {
        use crate::fork::testing::{fork_while_held, in_child};
        let m = MemoryStore::new();
        let now = SystemTime::now();
        let far = 4_000_000_000;
        m.put_if_newer(&key("a"), &tok("t", far), now, soon())
            .unwrap();
        let holds = |k: &str, t: &str| matches!(m.get(&key(k), now, soon()), Ok(Some(s)) if s.access_token == t);
        let code = fork_while_held(
            |held| m.hold_while(held),
            || {
                let put = matches!(
                    m.put_if_newer(&key("b"), &tok("u", far), now, soon()),
                    Ok(true)
                );
                let locked = matches!(
                    m.lock(&key("b"), Duration::from_secs(60), soon(), soon()),
                    Ok(Some(_))
                );
                i32::from(!(put && holds("b", "u") && locked))
            },
        );
        assert_eq!(code, Some(0), "the child hung or failed");
        assert_eq!(in_child(|| i32::from(!holds("a", "t"))), Some(0));
    }
}
