//! Process-wide sharing. Clients built with the same token URL, client id, secret, scopes and
//! store share one cache (a web app that builds a client per request must not multiply token
//! requests); clients of the same credentials (URL + client id) share one request budget.
//!
//! Entries outlive the clients that made them — a throwaway client per request must find the
//! token and the budget of the previous one — and are evicted only when the map grows past
//! [`SOFT_LIMIT`] and no client uses them.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex};

/// Distinct live configurations are few in practice; past this many, unused entries go.
const SOFT_LIMIT: usize = 256;

pub(crate) struct Registry<K, V> {
    map: LazyLock<Mutex<HashMap<K, Arc<V>>>>,
}

impl<K: Hash + Eq, V> Registry<K, V> {
    pub(crate) const fn new() -> Self {
        Registry {
            map: LazyLock::new(|| Mutex::new(HashMap::new())),
        }
    }

    /// The value for `key`, or a new one from `make`.
    pub(crate) fn get_or_insert(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = map.get(&key) {
            return Arc::clone(v);
        }
        if map.len() >= SOFT_LIMIT {
            map.retain(|_, v| Arc::strong_count(v) > 1);
        }
        let v = Arc::new(make());
        map.insert(key, Arc::clone(&v));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlives_its_clients() {
        static R: Registry<&'static str, u32> = Registry::new();
        let a = R.get_or_insert("k", || 1);
        let b = R.get_or_insert("k", || 2);
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        assert_eq!(*R.get_or_insert("k", || 3), 1, "kept for the next client");
    }

    #[test]
    fn evicts_only_unused_entries_past_the_limit() {
        static R: Registry<usize, usize> = Registry::new();
        let held = R.get_or_insert(0, || 0);
        for i in 1..=SOFT_LIMIT {
            R.get_or_insert(i, || i);
        }
        assert!(Arc::ptr_eq(&held, &R.get_or_insert(0, || 99)));
        assert_eq!(*R.get_or_insert(1, || 7), 7, "unused entry was evicted");
    }
}
