//! Process-wide sharing. Clients built with the same token URL, client id, secret, scopes and
//! store share one cache (a web app that builds a client per request must not multiply token
//! requests); clients of the same credentials (URL + client id) share one request budget.
//!
//! Entries outlive the clients that made them — a throwaway client per request must find the
//! token and the budget of the previous one — and are evicted only when the map grows past
//! [`SOFT_LIMIT`], no client uses them, and the caller's `idle` says they hold nothing that must
//! be remembered (a budget with slots still counting or a cool-down is never forgotten: a
//! multi-tenant process that builds clients for hundreds of applications would otherwise hand an
//! application a fresh budget in the middle of its window).

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

    /// The value for `key`, or a new one from `make`. Past the limit, entries no client holds
    /// and that are `idle` are dropped first.
    pub(crate) fn get_or_insert(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        idle: impl Fn(&V) -> bool,
    ) -> Arc<V> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = map.get(&key) {
            return Arc::clone(v);
        }
        if map.len() >= SOFT_LIMIT {
            map.retain(|_, v| Arc::strong_count(v) > 1 || !idle(v));
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
        let a = R.get_or_insert("k", || 1, |_| true);
        let b = R.get_or_insert("k", || 2, |_| true);
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        assert_eq!(
            *R.get_or_insert("k", || 3, |_| true),
            1,
            "kept for the next client"
        );
    }

    #[test]
    fn evicts_only_unused_entries_past_the_limit() {
        static R: Registry<usize, usize> = Registry::new();
        let held = R.get_or_insert(0, || 0, |_| true);
        for i in 1..=SOFT_LIMIT {
            R.get_or_insert(i, || i, |_| true);
        }
        assert!(Arc::ptr_eq(&held, &R.get_or_insert(0, || 99, |_| true)));
        assert_eq!(
            *R.get_or_insert(1, || 7, |_| true),
            7,
            "unused entry was evicted"
        );
    }

    #[test]
    fn never_evicts_an_entry_that_is_not_idle() {
        static R: Registry<usize, usize> = Registry::new();
        // Odd values stand for budgets still counting slots.
        for i in 0..=SOFT_LIMIT {
            R.get_or_insert(i, || i, |v| v % 2 == 0);
        }
        assert_eq!(
            *R.get_or_insert(1, || 99, |v| v % 2 == 0),
            1,
            "busy entry kept"
        );
        assert_eq!(
            *R.get_or_insert(2, || 99, |v| v % 2 == 0),
            99,
            "idle entry evicted"
        );
    }
}
