//! Where tokens are shared beyond one client: the [`TokenStore`] trait and the in-memory store.
//! File and Redis stores implement the same trait so that processes on one machine, or hosts of
//! a fleet, fetch one token per lifetime together.
//!
//! The client's own memory cache always stays in front: a store is read only when memory has
//! nothing fresh, and a store failure never makes `token()` fail (it degrades to a direct fetch).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::scopes::Scopes;
use crate::secret::ClientSecret;

/// Identifies one set of (token URL, client id, secret, normalised scopes) without revealing any
/// of them: a SHA-256 hex digest. Stores use it as their key; it never holds the secret itself.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StoreKey(String);

impl StoreKey {
    /// Derives the key.
    pub fn derive(
        token_url: &str,
        client_id: &str,
        secret: &ClientSecret,
        scopes: &Scopes,
    ) -> Self {
        let mut h = Sha256::new();
        for part in [
            "officernd-auth/v1",
            token_url,
            client_id,
            secret.expose_secret(),
            &scopes.joined(),
        ] {
            // Length-prefixed, so ("ab","c") and ("a","bc") never collide.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        StoreKey(hex(&h.finalize()))
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreKey({}…)", &self.0[..12])
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token as kept in a store: wall-clock expiry, since stores outlive processes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Wall-clock expiry.
    pub expires_at: SystemTime,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &crate::token::redact(&self.access_token))
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A store failure. Logged and survived, never surfaced from `token()`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("token store {store}: {message}")]
pub struct StoreError {
    /// Which store (its [`TokenStore::describe`]).
    pub store: String,
    /// What failed (never a token or secret).
    pub message: String,
}

/// A held fetch lock; released by [`StoreLock::release`] or on drop.
pub trait StoreLock: Send {
    /// Releases the lock (compare-and-delete where the store is shared: a lock that expired and
    /// was taken by someone else is left alone).
    fn release(self: Box<Self>) -> Result<(), StoreError>;
}

/// Shared token storage. Implementations must be safe to call from many threads.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// A stable description, e.g. `memory`, `file:/home/u/.cache/officernd-auth`,
    /// `redis://host:6379/0` (never a password). Clients differing only in store do not share a cache.
    fn describe(&self) -> String;

    /// The stored token for `key`, if any (expired ones may be returned; the caller checks).
    fn get(&self, key: &StoreKey) -> Result<Option<StoredToken>, StoreError>;

    /// Stores `token` unless the store already holds one that expires later. Returns whether
    /// it was written.
    fn put_if_newer(&self, key: &StoreKey, token: &StoredToken) -> Result<bool, StoreError>;

    /// Takes the fetch lock for `key`, held at most `ttl` (a crashed holder never blocks others
    /// longer), waiting until `deadline`. `Ok(None)` means the deadline passed first.
    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError>;

    /// Deletes the stored token for `key` only if it is still `access_token` (another worker may
    /// already have stored a newer one). Returns whether it was deleted.
    fn compare_delete(&self, key: &StoreKey, access_token: &str) -> Result<bool, StoreError>;
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn key_depends_on_every_part_but_not_scope_order() {
        let s = ClientSecret::new("secret-1");
        let a = Scopes::parse("b a").unwrap();
        let k = StoreKey::derive("u", "id", &s, &a);
        assert_eq!(
            k,
            StoreKey::derive("u", "id", &s, &Scopes::parse("a b a").unwrap())
        );
        assert_ne!(k, StoreKey::derive("u2", "id", &s, &a));
        assert_ne!(k, StoreKey::derive("u", "id2", &s, &a));
        assert_ne!(
            k,
            StoreKey::derive("u", "id", &ClientSecret::new("secret-2"), &a)
        );
        assert_ne!(
            k,
            StoreKey::derive("u", "id", &s, &Scopes::parse("a").unwrap())
        );
        assert!(!k.as_str().contains("secret-1"));
        assert_eq!(k.as_str().len(), 64);
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
