//! Fork safety. A client made before `fork()` (gunicorn `--preload`, multiprocessing) must work in
//! the child: the lock-free token cache is simply inherited, but a mutex some parent thread held
//! at the moment of the fork would stay locked forever in the child, and pooled sockets must not
//! be shared with the parent. So per-process state lives in a [`PerProcess`] cell that notices a
//! new process id and rebuilds itself from a snapshot of the parent's state.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};

use arc_swap::ArcSwap;

/// State owned by one process, with the condition variable its waiters sleep on.
#[derive(Debug)]
pub(crate) struct Local<T> {
    pid: u32,
    pub(crate) state: Mutex<T>,
    pub(crate) changed: Condvar,
}

impl<T> Local<T> {
    fn new(pid: u32, value: T) -> Self {
        Local {
            pid,
            state: Mutex::new(value),
            changed: Condvar::new(),
        }
    }

    /// Locks the state. Poisoning is ignored: every critical section leaves it consistent.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A cell whose contents are rebuilt the first time it is used in a new process.
#[derive(Debug)]
pub(crate) struct PerProcess<T> {
    slot: ArcSwap<Local<T>>,
}

impl<T> PerProcess<T> {
    pub(crate) fn new(value: T) -> Self {
        PerProcess {
            slot: ArcSwap::from_pointee(Local::new(std::process::id(), value)),
        }
    }

    /// This process's state. After a fork, `rebuild` makes the child's state from the parent's
    /// (or from `None` when a parent thread held the lock at the fork and the state may be
    /// half-written).
    pub(crate) fn get(&self, rebuild: impl FnOnce(Option<&T>) -> T) -> Arc<Local<T>> {
        let current = self.slot.load_full();
        let pid = std::process::id();
        if current.pid == pid {
            return current;
        }
        let fresh = {
            let parent = match current.state.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            Arc::new(Local::new(pid, rebuild(parent.as_deref())))
        };
        // Another thread of the child may have rebuilt it first: keep whichever won.
        let previous = self.slot.compare_and_swap(&current, Arc::clone(&fresh));
        if Arc::ptr_eq(&previous, &current) {
            fresh
        } else {
            self.slot.load_full()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_process_keeps_its_state() {
        let cell = PerProcess::new(5u32);
        *cell.get(|_| unreachable!()).lock() += 1;
        assert_eq!(*cell.get(|_| unreachable!()).lock(), 6);
    }
}
