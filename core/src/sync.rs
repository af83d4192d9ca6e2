//! The synchronisation primitives of the single-flight state machine, swapped for loom's under
//! `cfg(loom)` so that `loom` can model-check every interleaving of leader, waiters, stale
//! serving and invalidation (see `single_flight`'s loom tests). Nothing else in the crate needs
//! to know which build it is.

use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// The slot holding the cached entry: lock-free reads through `arc-swap` (the fresh path takes
/// no lock and bumps no shared counter); a loom `RwLock` under the model checker.
pub(crate) struct CacheSlot<T> {
    #[cfg(not(loom))]
    inner: arc_swap::ArcSwapOption<T>,
    #[cfg(loom)]
    inner: loom::sync::RwLock<Option<Arc<T>>>,
}

#[cfg(not(loom))]
impl<T> CacheSlot<T> {
    pub(crate) fn empty() -> Self {
        CacheSlot {
            inner: arc_swap::ArcSwapOption::empty(),
        }
    }

    /// Runs `f` on the current value without taking a reference count.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        let guard = self.inner.load();
        f(guard.as_deref())
    }

    pub(crate) fn load(&self) -> Option<Arc<T>> {
        self.inner.load_full()
    }

    pub(crate) fn store(&self, value: Option<Arc<T>>) {
        self.inner.store(value);
    }

    /// Replaces the value with `new` if `pred` holds for it, atomically. Returns whether it did.
    pub(crate) fn replace_if(
        &self,
        pred: impl Fn(Option<&T>) -> bool,
        new: Option<Arc<T>>,
    ) -> bool {
        let previous = self.inner.rcu(|current| {
            if pred(current.as_deref()) {
                new.clone()
            } else {
                current.clone()
            }
        });
        pred(previous.as_deref())
    }
}

#[cfg(loom)]
impl<T> CacheSlot<T> {
    pub(crate) fn empty() -> Self {
        CacheSlot {
            inner: loom::sync::RwLock::new(None),
        }
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        f(self.inner.read().unwrap().as_deref())
    }

    pub(crate) fn load(&self) -> Option<Arc<T>> {
        self.inner.read().unwrap().clone()
    }

    pub(crate) fn store(&self, value: Option<Arc<T>>) {
        *self.inner.write().unwrap() = value;
    }

    pub(crate) fn replace_if(
        &self,
        pred: impl Fn(Option<&T>) -> bool,
        new: Option<Arc<T>>,
    ) -> bool {
        let mut slot = self.inner.write().unwrap();
        let hit = pred(slot.as_deref());
        if hit {
            *slot = new;
        }
        hit
    }
}
