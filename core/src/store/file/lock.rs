//! The file store's locks, all taken by `try_lock` polling until the caller's deadline (a
//! blocking `flock` would wait for as long as a stuck holder lives), and all released by
//! [`Flock`]: explicitly, by the process that took them.
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

use std::borrow::Borrow;
use std::fs::{File, TryLockError};
use std::io;
use std::mem::ManuallyDrop;
use std::time::{Duration, Instant, SystemTime};

use super::platform;
use super::{FileStore, LOCK_POLL_MAX, LOCK_POLL_MIN};
use crate::store::{StoreError, StoreKey, StoreLock, poll_until, unix_ms};

/// The most of a lock file read for its expiry (a Unix ms timestamp and a newline).
const EXPIRY_MAX_LEN: usize = 32;

/// A held lock on `file`, released when dropped: unlocked explicitly, not by closing the file. A
/// child forked while it is held shares the open file (and so the lock): closing our descriptor
/// would leave the lock held for as long as such a child lives. Only the process that took it
/// unlocks it; a child dropping its inherited copy leaves its parent's lock alone.
pub(super) struct Flock<F: Borrow<File>> {
    file: F,
    pid: u32,
}

impl<F: Borrow<File>> Drop for Flock<F> {
    fn drop(&mut self) {
        if self.pid == std::process::id() {
            let _ = self.file.borrow().unlock();
        }
    }
}

impl Flock<&File> {
    /// The same lock, on a descriptor of its own (of the same open file).
    fn into_owned(self) -> io::Result<Flock<File>> {
        let file = self.file.try_clone()?;
        let this = ManuallyDrop::new(self);
        Ok(Flock {
            file,
            pid: this.pid,
        })
    }
}

impl FileStore {
    /// Takes `file`'s lock, trying until `deadline` (at least once). `None`: another process
    /// held it all along.
    pub(super) fn flock<'f>(
        &self,
        file: &'f File,
        deadline: Instant,
    ) -> Result<Option<Flock<&'f File>>, StoreError> {
        poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            self.try_flock(file)
        })
    }

    fn try_flock<'f>(&self, file: &'f File) -> Result<Option<Flock<&'f File>>, StoreError> {
        match file.try_lock() {
            Ok(()) => Ok(Some(Flock {
                file,
                pid: std::process::id(),
            })),
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
        let Some(_held) = self.flock(&guard, deadline)? else {
            return Err(self.err(
                "lock token",
                "another process held the token file's guard until the deadline",
            ));
        };
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
            let Some(_held) = self.try_flock(&guard)? else {
                return Ok(None);
            };
            self.try_fetch_lock(&path, &file, expiry.as_ref().unwrap_or(&file), ttl)
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
        if let Some(held) = self.try_flock(file)? {
            write_expiry(expiry, expires).map_err(err)?;
            return Ok(Some(Box::new(FileLock {
                _held: held.into_owned().map_err(err)?,
            })));
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

/// A held fetch lock: the lock on the lock file, released on drop.
struct FileLock {
    _held: Flock<File>,
}

impl StoreLock for FileLock {
    fn release(self: Box<Self>) -> Result<(), StoreError> {
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
