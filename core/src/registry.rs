//! Process-wide sharing. Clients built with the same token URL, client id, secret, scopes and
//! store share one cache (a web app that builds a client per request must not multiply token
//! requests); clients of the same credentials (URL + client id) share one request budget.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// A map of weakly held values: an entry lives as long as some client uses it.
pub(crate) struct Registry<K, V> {
    map: LazyLock<Mutex<HashMap<K, Weak<V>>>>,
}

impl<K: Hash + Eq, V> Registry<K, V> {
    pub(crate) const fn new() -> Self {
        Registry {
            map: LazyLock::new(|| Mutex::new(HashMap::new())),
        }
    }

    /// The live value for `key`, or a new one from `make`.
    pub(crate) fn get_or_insert(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = map.get(&key).and_then(Weak::upgrade) {
            return v;
        }
        map.retain(|_, w| w.strong_count() > 0);
        let v = Arc::new(make());
        map.insert(key, Arc::downgrade(&v));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_while_alive_then_forgets() {
        static R: Registry<&'static str, u32> = Registry::new();
        let a = R.get_or_insert("k", || 1);
        let b = R.get_or_insert("k", || 2);
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        assert_eq!(*R.get_or_insert("k", || 3), 3);
    }
}
