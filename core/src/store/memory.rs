//! The in-memory store: this process only.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{SharedBudget, StoreError, StoreKey, StoreLock, StoredToken, TokenStore};

/// The default store: this process only. Useful on its own for clients that are not shared by
/// the process-wide cache (e.g. built with `share_cache(false)`), and as the reference
/// implementation of the trait's semantics.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Arc<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    state: Mutex<MemoryState>,
    unlocked: Condvar,
}

impl MemoryInner {
    fn state(&self) -> MutexGuard<'_, MemoryState> {
        // A panic while holding this lock cannot leave the maps inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    tokens: HashMap<StoreKey, StoredToken>,
    /// key → (lock id, lock expiry)
    locks: HashMap<StoreKey, (u64, Instant)>,
    next_lock_id: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.inner.state()
    }
}

impl TokenStore for MemoryStore {
    fn describe(&self) -> String {
        "memory".into()
    }

    fn get(&self, key: &StoreKey) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.state().tokens.get(key).cloned())
    }

    fn put_if_newer(&self, key: &StoreKey, token: &StoredToken) -> Result<bool, StoreError> {
        let mut st = self.state();
        match st.tokens.get(key) {
            Some(old) if old.expires_at >= token.expires_at => Ok(false),
            _ => {
                st.tokens.insert(key.clone(), token.clone());
                Ok(true)
            }
        }
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let mut st = self.state();
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
                    released: false,
                })));
            }
            if now >= deadline {
                return Ok(None);
            }
            let until = st.locks.get(key).map(|(_, u)| *u).unwrap_or(now);
            let wait = until.min(deadline).saturating_duration_since(now);
            st = self
                .inner
                .unlocked
                .wait_timeout(st, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn compare_delete(&self, key: &StoreKey, access_token: &str) -> Result<bool, StoreError> {
        let mut st = self.state();
        if st
            .tokens
            .get(key)
            .is_some_and(|t| t.access_token == access_token)
        {
            st.tokens.remove(key);
            return Ok(true);
        }
        Ok(false)
    }
}

/// Lock handle of [`MemoryStore`].
struct MemoryLock {
    store: Arc<MemoryInner>,
    key: StoreKey,
    id: u64,
    released: bool,
}

impl MemoryLock {
    fn unlock(&mut self) {
        if self.released {
            return;
        }
        self.released = true;
        let mut st = self.store.state();
        if st
            .locks
            .get(&self.key)
            .is_some_and(|(id, _)| *id == self.id)
        {
            st.locks.remove(&self.key);
        }
        drop(st);
        self.store.unlocked.notify_all();
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

impl SharedBudget for MemoryStore {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::Scopes;
    use crate::secret::ClientSecret;
    use crate::store::{StoredToken, TokenStore};
    use std::time::SystemTime;

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
        }
    }

    #[test]
    fn put_if_newer_and_compare_delete() {
        let m = MemoryStore::new();
        let k = key("a");
        assert!(m.put_if_newer(&k, &tok("t1", 100)).unwrap());
        assert!(!m.put_if_newer(&k, &tok("t0", 50)).unwrap());
        assert_eq!(m.get(&k).unwrap().unwrap().access_token, "t1");
        assert!(!m.compare_delete(&k, "t0").unwrap());
        assert!(m.compare_delete(&k, "t1").unwrap());
        assert!(m.get(&k).unwrap().is_none());
    }

    #[test]
    fn lock_is_exclusive_and_expires() {
        let m = MemoryStore::new();
        let k = key("a");
        let now = Instant::now();
        let held = m.lock(&k, Duration::from_secs(60), now).unwrap().unwrap();
        assert!(m.lock(&k, Duration::from_secs(60), now).unwrap().is_none());
        held.release().unwrap();
        let _again = m.lock(&k, Duration::from_millis(1), now).unwrap().unwrap();
        // The 1 ms lock expires by itself: a waiter with a later deadline gets it.
        let got = m
            .lock(
                &k,
                Duration::from_secs(1),
                Instant::now() + Duration::from_secs(5),
            )
            .unwrap();
        assert!(got.is_some());
    }
}
