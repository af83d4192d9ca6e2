//! Fork safety. A client made before `fork()` (gunicorn `--preload`, multiprocessing) must work in
//! the child: the lock-free token cache is simply inherited, but a mutex some parent thread held
//! at the moment of the fork would stay locked forever in the child, and pooled sockets must not
//! be shared with the parent. So per-process state lives in a [`PerProcess`] cell that notices a
//! new process id and rebuilds itself from a snapshot of the parent's state.

use std::sync::Arc;
use std::time::Duration;

use crate::sync::{Condvar, Mutex, MutexGuard};

/// State owned by one process, with the condition variable its waiters sleep on.
#[derive(Debug)]
pub(crate) struct Local<T> {
    #[cfg_attr(loom, allow(dead_code))]
    pid: u32,
    state: Mutex<T>,
    changed: Condvar,
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

    /// Waits at most `timeout` for [`Local::notify_all`] (or a spurious wake-up).
    pub(crate) fn wait<'a>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> MutexGuard<'a, T> {
        #[cfg(not(loom))]
        {
            self.changed
                .wait_timeout(guard, timeout)
                .unwrap_or_else(|p| p.into_inner())
                .0
        }
        #[cfg(loom)]
        {
            // The model has no time: a waiter waits to be notified.
            let _ = timeout;
            self.changed.wait(guard).unwrap()
        }
    }

    pub(crate) fn notify_all(&self) {
        self.changed.notify_all();
    }
}

/// A cell whose contents are rebuilt the first time it is used in a new process.
#[derive(Debug)]
pub(crate) struct PerProcess<T> {
    #[cfg(not(loom))]
    slot: arc_swap::ArcSwap<Local<T>>,
    #[cfg(loom)]
    slot: Arc<Local<T>>,
}

/// Under loom there is no fork: one process, one state.
#[cfg(loom)]
impl<T> PerProcess<T> {
    pub(crate) fn new(value: T) -> Self {
        PerProcess {
            slot: Arc::new(Local::new(0, value)),
        }
    }

    pub(crate) fn get(&self, _rebuild: impl FnOnce(Option<&T>) -> T) -> Arc<Local<T>> {
        Arc::clone(&self.slot)
    }

    pub(crate) fn peek<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        Some(f(&self.slot.lock()))
    }
}

#[cfg(not(loom))]
impl<T> PerProcess<T> {
    pub(crate) fn new(value: T) -> Self {
        PerProcess {
            slot: arc_swap::ArcSwap::from_pointee(Local::new(std::process::id(), value)),
        }
    }

    /// `f` of this process's state, without rebuilding it: `None` when the state is still a
    /// parent's (never used in this child), whose rebuild only its owner knows how to do.
    pub(crate) fn peek<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let current = self.slot.load_full();
        (current.pid == std::process::id()).then(|| f(&current.lock()))
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
        // A child starts with a copy of its parent's random generator: reseed this thread's,
        // so siblings draw different jitters (and ids, see `store::unique_id`).
        fastrand::seed(fastrand::u64(..) ^ (u64::from(pid) << 32) ^ u64::from(pid));
        let (fresh, half_written) = {
            let parent = match current.state.try_lock() {
                Ok(guard) => Some(guard),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => None,
            };
            let half_written = parent.is_none();
            (
                Arc::new(Local::new(pid, rebuild(parent.as_deref()))),
                half_written,
            )
        };
        // Another thread of the child may have rebuilt it first: keep whichever won.
        let previous = self.slot.compare_and_swap(&current, Arc::clone(&fresh));
        if Arc::ptr_eq(&previous, &current) {
            if half_written {
                // Never dropped: its destructor could free what a parent thread was writing.
                std::mem::forget(current);
            }
            fresh
        } else {
            self.slot.load_full()
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn same_process_keeps_its_state() {
        let cell = PerProcess::new(5u32);
        *cell.get(|_| unreachable!()).lock() += 1;
        assert_eq!(*cell.get(|_| unreachable!()).lock(), 6);
    }
}

/// For tests of state that must not deadlock a child: a real `fork()` while another thread holds
/// a lock.
#[cfg(all(test, unix, not(loom)))]
pub(crate) mod testing {
    use std::sync::mpsc;
    use std::time::Duration;

    /// A child that has not answered this long after its fork is killed and counted as hung.
    const HANG_BOUND: Duration = Duration::from_secs(10);

    /// Forks while another thread is inside `hold` (which calls its argument while holding the
    /// lock under test, and must not return before it does). The child runs `child`: its exit
    /// code, or `None` if it hung (killed after [`HANG_BOUND`]).
    pub(crate) fn fork_while_held(
        hold: impl FnOnce(&mut dyn FnMut()) + Send,
        child: impl FnOnce() -> i32,
    ) -> Option<i32> {
        let (held_tx, held_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || {
                hold(&mut || {
                    held_tx.send(()).unwrap();
                    let _ = go_rx.recv();
                })
            });
            held_rx.recv().unwrap();
            let code = in_child(child);
            go_tx.send(()).unwrap();
            code
        })
    }

    /// Runs `child` in a forked process: its exit code, or `None` if it hung (then killed).
    pub(crate) fn in_child(child: impl FnOnce() -> i32) -> Option<i32> {
        let mut fds = [0; 2];
        // SAFETY: plain POSIX calls; the child runs `child`, reports on the pipe and leaves with
        // `_exit`, skipping the parent's destructors.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe");
            match libc::fork() {
                -1 => panic!("fork failed"),
                0 => {
                    // Other tests' files (and the locks on them) are not kept open by this child.
                    for fd in 3..1024 {
                        if fd != fds[1] {
                            libc::close(fd);
                        }
                    }
                    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child))
                        .unwrap_or(101);
                    let byte = code as u8;
                    libc::write(fds[1], (&raw const byte).cast(), 1);
                    libc::_exit(code)
                }
                pid => {
                    libc::close(fds[1]);
                    let mut pfd = libc::pollfd {
                        fd: fds[0],
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    let answered =
                        libc::poll(&mut pfd, 1, HANG_BOUND.as_millis() as libc::c_int) == 1;
                    if !answered {
                        libc::kill(pid, libc::SIGKILL);
                    }
                    libc::close(fds[0]);
                    let mut status = 0;
                    assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                    (answered && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status))
                }
            }
        }
    }
}
