//! How the file store touches files: reading a JSON record, replacing one atomically, opening a
//! lock file, and reporting a corrupt file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::Ordering;

use serde::Deserialize;

use super::FileStore;
use crate::store::StoreError;

impl FileStore {
    pub(super) fn read_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &Path,
    ) -> Result<Option<T>, StoreError> {
        let mut text = String::new();
        match File::open(path) {
            Ok(mut f) => {
                if let Err(e) = f.read_to_string(&mut text) {
                    self.warn_corrupt(path, &e);
                    return Ok(None);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err("read", e)),
        }
        match serde_json::from_str(&text) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                self.warn_corrupt(path, &e);
                Ok(None)
            }
        }
    }

    pub(super) fn warn_corrupt(&self, path: &Path, e: &dyn std::fmt::Display) {
        if !self.warned_corrupt.swap(true, Ordering::Relaxed) {
            log::warn!(
                "ignoring unreadable token store file {} ({e}); it will be replaced",
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
