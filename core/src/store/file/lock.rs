//! The file store's fetch lock: an advisory `flock` on a per-key lock file, which the OS drops
//! if the holder dies.

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use super::{FileStore, LOCK_POLL_MAX, LOCK_POLL_MIN};
use crate::store::{StoreError, StoreKey, StoreLock, poll_until};

impl FileStore {
    /// Takes `file`'s `flock`, trying until `deadline` (at least once). `false`: another
    /// process held it all along.
    pub(super) fn flock(&self, file: &File, deadline: Instant) -> Result<bool, StoreError> {
        let got = poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            match file.try_lock() {
                Ok(()) => Ok(Some(())),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(e)) => Err(self.err("lock", e)),
            }
        })?;
        Ok(got.is_some())
    }

    /// Runs `f` holding `key`'s guard: the short lock around reading and then replacing or
    /// deleting its token file, so that `put_if_newer` and `compare_delete` compare and change
    /// the same token. Waited for until `deadline` at most (its holders only read and write a
    /// small file, so a long wait means a stuck holder).
    pub(super) fn with_guard<T>(
        &self,
        key: &StoreKey,
        deadline: Instant,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let guard = self.open_lock_file(&self.guard_path(key), deadline)?;
        if !self.flock(&guard, deadline)? {
            return Err(self.err(
                "lock token",
                "another process held the token file's guard until the deadline",
            ));
        }
        // Released when `guard` is closed, after `f`.
        f()
    }

    pub(super) fn fetch_lock(
        &self,
        key: &StoreKey,
        _ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        // flock needs no expiry: the OS releases it when the holder exits or crashes.
        let path = self.dir.join(format!("{}.lock", key.as_str()));
        let file = self.open_lock_file(&path, deadline)?;
        poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            match file.try_lock() {
                Ok(()) => Ok(Some(Box::new(FileLock {
                    file: file.try_clone().map_err(|e| self.err("lock", e))?,
                }) as Box<dyn StoreLock>)),
                Err(TryLockError::WouldBlock) => Ok(None),
                Err(TryLockError::Error(e)) => Err(self.err("lock", e)),
            }
        })
    }
}

struct FileLock {
    file: File,
}

impl StoreLock for FileLock {
    fn release(self: Box<Self>) -> Result<(), StoreError> {
        // Dropping the file closes it, which releases the lock as well.
        let _ = self.file.unlock();
        Ok(())
    }
}
