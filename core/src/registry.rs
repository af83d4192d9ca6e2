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
use std::sync::{Arc, LazyLock};

use crate::fork::PerProcess;

/// Distinct live configurations are few in practice; past this many, unused entries go.
const SOFT_LIMIT: usize = 256;

/// Per process: a child forked while a parent thread is in here (building a client) starts
/// without the parent's entries, since they may be half-written. Its clients made before the
/// fork keep theirs; one it makes of the same configuration gets a new cache and process budget
/// (the shared store's budget, which bounds the fleet, still applies).
pub(crate) struct Registry<K, V> {
    map: LazyLock<PerProcess<HashMap<K, Arc<V>>>>,
}

impl<K: Hash + Eq + Clone, V> Registry<K, V> {
    pub(crate) const fn new() -> Self {
        Registry {
            map: LazyLock::new(|| PerProcess::new(HashMap::new())),
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
        let local = self.map.get(|parent| parent.cloned().unwrap_or_default());
        let mut map = local.lock();
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

    /// Runs `f` holding the lock (a test's stand-in for another thread in `get_or_insert`).
    #[cfg(all(test, unix, not(loom)))]
    fn hold_while(&self, f: impl FnOnce()) {
        let local = self.map.get(|parent| parent.cloned().unwrap_or_default());
        let _held = local.lock();
        f()
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

    /// A child forked while a parent thread is inside the registry (building a client) can build
    /// clients: that thread does not exist in the child, so nothing it held may be waited for.
    #[cfg(all(unix, not(loom)))]
    #[test]
    fn a_child_forked_while_a_thread_is_inside_it_can_use_it() {
        use crate::fork::testing::{fork_while_held, in_child};
        static R: Registry<usize, usize> = Registry::new();
        let kept = R.get_or_insert(1, || 1, |_| true);
        let code = fork_while_held(
            |held| R.hold_while(held),
            || i32::from(*R.get_or_insert(2, || 2, |_| true) != 2),
        );
        assert_eq!(code, Some(0), "the child hung or failed");
        // Forked at a quiet moment, a child finds the parent's entries.
        let same = || i32::from(!Arc::ptr_eq(&kept, &R.get_or_insert(1, || 9, |_| true)));
        assert_eq!(in_child(same), Some(0));
    }
}
