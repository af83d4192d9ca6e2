//! The file store: one token per credentials for every process of a user on one machine
//! (gunicorn workers, a Node cluster, cron jobs, `$(officernd-auth token)` in a loop).
//!
//! Files are `0600` in a `0700` directory owned by the user; a directory that is a symlink, not
//! owned by the user, or writable by others is refused (on Windows: files under the directory's
//! inherited ACL, and a directory that is a reparse point is refused; see `platform`, the only
//! code that differs between Unix and Windows). Tokens are replaced atomically (temp file,
//! fsync, rename), and only under the key's *guard* (a short `flock` on `<key>.guard`), so that
//! `put_if_newer` and `compare_delete` compare and change the same token: a newer token renamed
//! into place between a read and a write is never overwritten or deleted. A fetch holds an
//! advisory lock (`flock`) on a per-key lock file, which the OS drops if the holder dies and
//! which the others stop respecting once the TTL its holder recorded has passed (a live but
//! stuck holder). The request budget is shared through the same directory (`budget`; an
//! unreadable budget counts as spent). Every lock is taken by polling until the caller's
//! deadline, never by a blocking `flock` (`lock`); every file is opened without following links
//! or blocking, and read only if it is a small regular file (`io`).

mod budget;
mod io;
mod lock;
mod platform;
#[cfg(test)]
mod tests;

use std::fs;
use std::io as stdio;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{StoreError, StoreKey, StoreLock, StoredToken, TokenStore, unix_ms};
use crate::error::Error;

/// Tokens shared through files in one directory.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    /// A corrupt file is reported once per incident, not on every read.
    incidents: io::Incidents,
}

/// The token file's format. `version` lets a future format be told apart from a corrupt file.
#[derive(Serialize, Deserialize)]
struct TokenRecord {
    version: u32,
    access_token: String,
    token_type: String,
    scopes: Vec<String>,
    expires_at_unix_ms: u64,
    /// The lifetime it was granted with (adopters cap their windows by it).
    lifetime_ms: u64,
}

// Code a test runs between the read and the write of `put_if_newer` / `compare_delete` (on
// the calling thread), to force the interleavings the guard is there for.
#[cfg(test)]
thread_local! {
    static BETWEEN_READ_AND_WRITE: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(test)]
fn between_read_and_write() {
    let hook = BETWEEN_READ_AND_WRITE.with(|h| h.borrow_mut().take());
    if let Some(f) = hook {
        f();
    }
}

#[cfg(not(test))]
fn between_read_and_write() {}

/// Version 1 files (no lifetime, send-time budgets) are ignored and replaced.
const FORMAT_VERSION: u32 = 2;
/// Poll interval bounds while another process holds a lock.
const LOCK_POLL_MIN: Duration = Duration::from_millis(5);
const LOCK_POLL_MAX: Duration = Duration::from_millis(100);

impl FileStore {
    /// A store in `dir`, created `0700` if missing. Refuses a directory that is a symlink, is
    /// not owned by the current user, or that others can write (on Windows: that is a reparse
    /// point).
    pub fn new(dir: impl Into<PathBuf>) -> Result<FileStore, Error> {
        let dir = dir.into();
        secure_dir(&dir).map_err(|reason| Error::Config {
            setting: "store_path".into(),
            reason: format!("{}: {reason}", dir.display()),
        })?;
        Ok(FileStore {
            dir,
            incidents: io::Incidents::default(),
        })
    }

    /// The default directory: `$XDG_CACHE_HOME/officernd-auth`, or `~/.cache/officernd-auth`;
    /// on macOS `~/Library/Caches/officernd-auth`; on Windows `%LOCALAPPDATA%\officernd-auth`.
    pub fn default_dir() -> Option<PathBuf> {
        platform::default_dir().ok()
    }

    /// A store in [`FileStore::default_dir`].
    pub fn open_default() -> Result<FileStore, Error> {
        let dir = platform::default_dir().map_err(|reason| Error::Config {
            setting: "store_path".into(),
            reason: reason.into(),
        })?;
        Self::new(dir)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn token_path(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(format!("{}.token", key.as_str()))
    }

    fn guard_path(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(format!("{}.guard", key.as_str()))
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::new(self.describe(), format!("{what}: {e}"))
    }
}

fn secure_dir(dir: &Path) -> Result<(), String> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == stdio::ErrorKind::NotFound => {
            platform::create_dir(dir).map_err(|e| format!("cannot create: {e}"))?;
            fs::symlink_metadata(dir).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    platform::check_dir(dir, &meta)
}

impl TokenStore for FileStore {
    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    /// Local files, opened without blocking: nothing here waits, so `deadline` is not needed.
    fn get(
        &self,
        key: &StoreKey,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        let io::Record::Valid(r) =
            self.read_record::<TokenRecord>(&self.token_path(key), io::REPLACED, |r| {
                r.version == FORMAT_VERSION && !r.access_token.is_empty()
            })?
        else {
            return Ok(None);
        };
        Ok(Some(StoredToken {
            access_token: r.access_token,
            token_type: r.token_type,
            scopes: r.scopes,
            expires_at: UNIX_EPOCH + Duration::from_millis(r.expires_at_unix_ms),
            lifetime: Duration::from_millis(r.lifetime_ms),
        }))
    }

    fn put_if_newer(
        &self,
        key: &StoreKey,
        token: &StoredToken,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<bool, StoreError> {
        let record = TokenRecord {
            version: FORMAT_VERSION,
            access_token: token.access_token.clone(),
            token_type: token.token_type.clone(),
            scopes: token.scopes.clone(),
            expires_at_unix_ms: unix_ms(token.expires_at),
            lifetime_ms: token.lifetime.as_millis() as u64,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
        self.with_guard(key, deadline, || {
            if let Some(old) = self.get(key, now, deadline)?
                && old.expires_at >= token.expires_at
            {
                return Ok(false);
            }
            between_read_and_write();
            self.write_atomic(&self.token_path(key), &bytes, deadline)?;
            Ok(true)
        })
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        _deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        // Every wait here is for a lock (never for an answer), so none goes past `wait_until`.
        self.fetch_lock(key, ttl, wait_until)
    }

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        deadline: Instant,
    ) -> Result<bool, StoreError> {
        self.with_guard(key, deadline, || {
            match self.get(key, SystemTime::now(), deadline)? {
                Some(t) if t.access_token == access_token => {
                    between_read_and_write();
                    match fs::remove_file(self.token_path(key)) {
                        Ok(()) => Ok(true),
                        Err(e) if e.kind() == stdio::ErrorKind::NotFound => Ok(false),
                        Err(e) => Err(self.err("delete", e)),
                    }
                }
                _ => Ok(false),
            }
        })
    }
}
