//! How the file store touches files: reading a JSON record, replacing one atomically, opening a
//! lock file, and reporting a corrupt file once per incident (not on every read, and not once
//! per process forever: a file that was read or written fine since is a new incident).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

use super::FileStore;
use crate::store::StoreError;

/// What a store file held.
pub(super) enum Record<T> {
    /// No file.
    Missing,
    /// A record that passed the caller's check.
    Valid(T),
    /// Anything else (already reported); it will be replaced.
    Corrupt,
}

/// What happens to an unreadable token or refusal file, for the warning.
pub(super) const REPLACED: &str = "it will be replaced";

/// Files reported unreadable and not read or written fine since: one warning per incident.
#[derive(Debug, Default)]
pub(super) struct Incidents(Mutex<HashSet<PathBuf>>);

impl Incidents {
    /// Whether `path` going bad is news (then the caller warns).
    fn begin(&self, path: &Path) -> bool {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        open.insert(path.to_path_buf())
    }

    /// `path` was read or written fine: the next corruption is a new incident.
    fn end(&self, path: &Path) {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !open.is_empty() {
            open.remove(path);
        }
    }
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
        let mut text = String::new();
        match File::open(path) {
            Ok(mut f) => {
                if let Err(e) = f.read_to_string(&mut text) {
                    self.warn_corrupt(path, &e, then);
                    return Ok(Record::Corrupt);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Record::Missing),
            Err(e) => return Err(self.err("read", e)),
        }
        match serde_json::from_str::<T>(&text) {
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
    /// file, never half of one.
    pub(super) fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let tmp = self.dir.join(format!(
            ".tmp-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, path)?;
            File::open(&self.dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        } else {
            self.incidents.end(path);
        }
        result.map_err(|e| self.err("write", e))
    }

    pub(super) fn open_lock_file(&self, name: &str) -> Result<File, StoreError> {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(self.dir.join(name))
            .map_err(|e| self.err("open lock file", e))
    }
}
