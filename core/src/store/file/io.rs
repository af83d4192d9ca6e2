//! How the file store touches files, and what it does when a path holds something else.
//!
//! Every store file is opened with `O_NOFOLLOW | O_NONBLOCK` (on Windows as itself if it is a
//! link: `FILE_FLAG_OPEN_REPARSE_POINT`), checked to be a regular file, and
//! read up to [`MAX_FILE`] only: a FIFO at a token path would otherwise block `token()` forever,
//! a symlink to `/dev/zero` would be read without end, and a symlink to another file would be
//! read (or, for a lock file, locked) in its place. Anything that is not a small regular file is
//! corrupt: reported once per incident (not on every read, and not once per process forever — a
//! file read or written fine since is a new incident), then ignored and replaced. Records are
//! replaced by renaming a new file over them, which also replaces a FIFO or a symlink (never its
//! target); a directory in the way is removed (or moved aside when it is not empty) under the
//! store directory's own lock, so two processes repairing at once never remove each other's
//! fresh file.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Deserialize;

use super::FileStore;
use super::platform::{self, not_regular};
use crate::fork::{Local, PerProcess};
use crate::store::StoreError;

/// The largest store file read: a token record is well under 10 KiB.
pub(super) const MAX_FILE: u64 = 64 * 1024;

/// What happens to an unreadable token or refusal file, for the warning.
pub(super) const REPLACED: &str = "it will be replaced";
const LOCK_REPLACED: &str = "it is replaced by a lock file";

/// What a store file held.
pub(super) enum Record<T> {
    /// No file.
    Missing,
    /// A record that passed the caller's check.
    Valid(T),
    /// Anything else (already reported); it will be replaced.
    Corrupt,
}

/// Files reported unreadable and not read or written fine since: one warning per incident.
/// Per process: a child forked while a parent thread is in here starts with the parent's set, or
/// with none (it cannot wait for a thread it does not have).
#[derive(Debug)]
pub(super) struct Incidents(PerProcess<HashSet<PathBuf>>);

impl Default for Incidents {
    fn default() -> Self {
        Incidents(PerProcess::new(HashSet::new()))
    }
}

impl Incidents {
    fn open(&self) -> std::sync::Arc<Local<HashSet<PathBuf>>> {
        self.0.get(|parent| parent.cloned().unwrap_or_default())
    }

    /// Whether `path` going bad is news (then the caller warns).
    fn begin(&self, path: &Path) -> bool {
        self.open().lock().insert(path.to_path_buf())
    }

    /// Runs `f` holding the lock (a test's stand-in for another thread inside `begin`/`end`).
    #[cfg(all(test, unix, not(loom)))]
    pub(super) fn hold_while(&self, f: impl FnOnce()) {
        let open = self.open();
        let _held = open.lock();
        f()
    }

    /// `path` was read or written fine: the next corruption is a new incident.
    fn end(&self, path: &Path) {
        let open = self.open();
        let mut open = open.lock();
        if !open.is_empty() {
            open.remove(path);
        }
    }
}

/// The bytes of a small regular file at `path`, `Ok(None)` when there is none, or why what is
/// there is not one (a file that opened but cannot be read, EIO…, is not one either). `Err`:
/// the path could not be opened (EACCES…), the store is failing.
fn read_small_file(path: &Path) -> io::Result<Option<Result<Vec<u8>, String>>> {
    let f = match platform::safe_open().read(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return platform::not_a_file(path, e).map(|why| Some(Err(why))),
    };
    let read = || -> io::Result<Result<Vec<u8>, String>> {
        let m = f.metadata()?;
        if let Some(why) = not_regular(&m) {
            return Ok(Err(why.into()));
        }
        let mut bytes = Vec::new();
        if m.len() <= MAX_FILE {
            (&f).take(MAX_FILE + 1).read_to_end(&mut bytes)?;
        }
        if m.len() > MAX_FILE || bytes.len() as u64 > MAX_FILE {
            return Ok(Err(format!("larger than {} KiB", MAX_FILE / 1024)));
        }
        Ok(Ok(bytes))
    };
    Ok(Some(read().unwrap_or_else(|e| Err(e.to_string()))))
}

impl FileStore {
    /// The record at `path`, if it parses and `valid` accepts it. An unreadable one is
    /// reported (once per incident) saying what happens to it (`then`).
    pub(super) fn read_record<T: for<'de> Deserialize<'de>>(
        &self,
        path: &Path,
        then: &str,
        valid: impl FnOnce(&T) -> bool,
    ) -> Result<Record<T>, StoreError> {
        let bytes = match read_small_file(path).map_err(|e| self.err("read", e))? {
            None => return Ok(Record::Missing),
            Some(Ok(bytes)) => bytes,
            Some(Err(why)) => {
                self.warn_corrupt(path, &why, then);
                return Ok(Record::Corrupt);
            }
        };
        match serde_json::from_slice::<T>(&bytes) {
            Ok(v) if valid(&v) => {
                self.incidents.end(path);
                Ok(Record::Valid(v))
            }
            Ok(_) => {
                self.warn_corrupt(path, &"unknown format", then);
                Ok(Record::Corrupt)
            }
            Err(e) => {
                self.warn_corrupt(path, &e, then);
                Ok(Record::Corrupt)
            }
        }
    }

    /// Reports `path` as unreadable, once per incident, with what happens to it (`then`).
    pub(super) fn warn_corrupt(&self, path: &Path, e: &dyn std::fmt::Display, then: &str) {
        if self.incidents.begin(path) {
            log::warn!(
                "ignoring unreadable token store file {} ({e}); {then} (not reported again \
                 until it has been read or written fine)",
                path.display()
            );
        }
    }

    /// Temp file in the same directory, fsync, rename over: readers see the old or the new
    /// file, never half of one. A directory in the way is cleared (waiting for the store
    /// directory's lock until `deadline` at most) and the rename tried once more.
    pub(super) fn write_atomic(
        &self,
        path: &Path,
        bytes: &[u8],
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let tmp = self.dir.join(format!(
            ".tmp-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let result = (|| {
            let mut f = platform::safe_open()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            match fs::rename(&tmp, path) {
                Err(e) if platform::dir_in_the_way(&e, path) => {
                    self.warn_corrupt(path, &"a directory", REPLACED);
                    self.clear_non_file(path, deadline)
                        .map_err(|e| io::Error::other(e.message))?;
                    fs::rename(&tmp, path)?;
                }
                other => other?,
            }
            platform::sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        } else {
            self.incidents.end(path);
        }
        result.map_err(|e| self.err("write", e))
    }

    /// Opens (creating it `0600` if missing) the lock file at `path`. Something other than a
    /// regular file there is reported and cleared, waiting for the store directory's lock until
    /// `deadline` at most; its content does not matter (locks are taken on the open file).
    pub(super) fn open_lock_file(
        &self,
        path: &Path,
        deadline: Instant,
    ) -> Result<File, StoreError> {
        let open = || -> io::Result<Result<File, String>> {
            let f = match platform::safe_open()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(path)
            {
                Ok(f) => f,
                Err(e) => return platform::not_a_file(path, e).map(Err),
            };
            Ok(match not_regular(&f.metadata()?) {
                None => Ok(f),
                Some(why) => Err(why.into()),
            })
        };
        let err = |e: io::Error| self.err("open lock file", e);
        match open().map_err(err)? {
            Ok(f) => {
                self.incidents.end(path);
                Ok(f)
            }
            Err(why) => {
                self.warn_corrupt(path, &why, LOCK_REPLACED);
                self.clear_non_file(path, deadline)?;
                open()
                    .map_err(err)?
                    .map_err(|why| self.err("open lock file", format!("{}: {why}", path.display())))
            }
        }
    }

    /// Removes what sits at `path` unless it is a regular file: a FIFO, a socket or a symlink
    /// (the link, never its target) is unlinked, a directory removed, or moved aside to a
    /// `.corrupt-*` name when it is not empty. Done under the store directory's lock, checking
    /// again under it, so a file another process created there meanwhile is never removed.
    fn clear_non_file(&self, path: &Path, deadline: Instant) -> Result<(), StoreError> {
        let dir = platform::open_dir_lock(&self.dir)
            .map_err(|e| self.err("open the store directory", e))?;
        let Some(_held) = self.flock(&dir, deadline)? else {
            return Err(self.err(
                "repair",
                format!(
                    "the store directory's lock was held until the deadline; {} stays as it is",
                    path.display()
                ),
            ));
        };
        let result = match fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
            Ok(m) if m.is_file() => Ok(()),
            Ok(m) if m.is_dir() => fs::remove_dir(path).or_else(|_| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let aside = self
                    .dir
                    .join(format!(".corrupt-{name}-{:016x}", fastrand::u64(..)));
                log::debug!("moving the directory {} aside", path.display());
                fs::rename(path, aside)
            }),
            Ok(_) => fs::remove_file(path),
        };
        result.map_err(|e| self.err("repair", format!("{}: {e}", path.display())))
    }
}
