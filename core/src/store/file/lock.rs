//! The file store's locks, all taken by `try_lock` polling until the caller's deadline (a
//! blocking `flock` would wait for as long as a stuck holder lives).
//!
//! **The fetch lock expires.** A `flock` on `<key>.lock` is dropped by the OS when its holder
//! dies, but a live holder that is stuck (stopped with SIGSTOP, hung) keeps it for as long as it
//! lives. So whoever takes it writes its expiry (Unix ms: now + the TTL it asked for, the
//! client's timeout) into the lock file; a waiter that finds the `flock` held and that expiry
//! passed proceeds as if it held the lock, writing its own expiry so that the other waiters wait
//! for it instead of all fetching at once. Its lock handle releases nothing (the stuck process
//! still owns the `flock`). Fetching stays bounded by the shared request budget, so the quota
//! holds even if the stuck holder wakes up and fetches too.
//!
//! Taking the `flock` and writing the expiry, and reading an expiry to take over, both happen
//! under the key's guard (`<key>.guard`), so a waiter never mistakes the stale expiry of an
//! earlier holder for the current holder's in the instant between its `flock` and its write.
//! A lock file without a readable expiry while its `flock` is held (written by a version of
//! this library that did not record one) counts as expired.
//!
//! On Windows the lock is `LockFileEx` on the whole file, which nobody else can read, so the
//! expiry is written to `<key>.expiry` beside it instead (`platform::expiry_path`), under the
//! same guard.

use std::fs::{File, TryLockError};
use std::io;
use std::time::{Duration, Instant, SystemTime};

use super::platform;
use super::{FileStore, LOCK_POLL_MAX, LOCK_POLL_MIN};
use crate::store::{StoreError, StoreKey, StoreLock, poll_until, unix_ms};

/// The most of a lock file read for its expiry (a Unix ms timestamp and a newline).
const EXPIRY_MAX_LEN: usize = 32;

impl FileStore {
    /// Takes `file`'s `flock`, trying until `deadline` (at least once). `false`: another
    /// process held it all along.
    pub(super) fn flock(&self, file: &File, deadline: Instant) -> Result<bool, StoreError> {
        let got = poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            self.try_flock(file)
        })?;
        Ok(got.is_some())
    }

    fn try_flock(&self, file: &File) -> Result<Option<()>, StoreError> {
        match file.try_lock() {
            Ok(()) => Ok(Some(())),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(self.err("lock", e)),
        }
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

    /// The fetch lock of `key`, held at most `ttl` as far as the others are concerned (see the
    /// module comment), waiting until `deadline`.
    pub(super) fn fetch_lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let path = self.dir.join(format!("{}.lock", key.as_str()));
        let file = self.open_lock_file(&path, deadline)?;
        let expiry = match platform::expiry_path(&path) {
            Some(p) => Some(self.open_lock_file(&p, deadline)?),
            None => None,
        };
        let guard = self.open_lock_file(&self.guard_path(key), deadline)?;
        poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            if self.try_flock(&guard)?.is_none() {
                return Ok(None);
            }
            let taken = self.try_fetch_lock(&path, &file, expiry.as_ref().unwrap_or(&file), ttl);
            let _ = guard.unlock();
            taken
        })
    }

    /// One attempt, under the guard: the `flock` on `file` (then our expiry is written to
    /// `expiry`), or the lock of a holder whose expiry has passed (then ours replaces it).
    fn try_fetch_lock(
        &self,
        path: &std::path::Path,
        file: &File,
        expiry: &File,
        ttl: Duration,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let now = unix_ms(SystemTime::now());
        let expires = now + ttl.as_millis() as u64;
        let err = |e: io::Error| self.err("lock", e);
        if self.try_flock(file)?.is_some() {
            if let Err(e) = write_expiry(expiry, expires) {
                let _ = file.unlock();
                return Err(err(e));
            }
            let file = file.try_clone().map_err(err)?;
            return Ok(Some(Box::new(FileLock { file })));
        }
        match read_expiry(expiry) {
            Some(until) if until > now => Ok(None),
            recorded => {
                write_expiry(expiry, expires).map_err(err)?;
                log::warn!(
                    "the fetch lock {} is still held by a process that should have let go {}; \
                     fetching without it (the shared request budget still applies)",
                    path.display(),
                    match recorded {
                        Some(until) => format!("{} ms ago", now - until),
                        None => "(it recorded no expiry)".into(),
                    }
                );
                Ok(Some(Box::new(OutlivedLock)))
            }
        }
    }
}

/// Records `expires` (Unix ms) as the lock holder's expiry.
fn write_expiry(file: &File, expires: u64) -> io::Result<()> {
    let text = format!("{expires}\n");
    platform::write_at(file, text.as_bytes())?;
    file.set_len(text.len() as u64)
}

/// The expiry the holder recorded, if the lock file holds one.
fn read_expiry(file: &File) -> Option<u64> {
    let mut buf = [0u8; EXPIRY_MAX_LEN];
    let n = platform::read_at(file, &mut buf).ok()?;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}

/// A held fetch lock: the `flock` on the lock file (closing the file releases it too).
struct FileLock {
    file: File,
}

impl StoreLock for FileLock {
    fn release(self: Box<Self>) -> Result<(), StoreError> {
        let _ = self.file.unlock();
        Ok(())
    }
}

/// The fetch lock of a holder that outlived its expiry: the `flock` stays with that holder, so
/// there is nothing to release.
struct OutlivedLock;

impl StoreLock for OutlivedLock {
    fn release(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}
