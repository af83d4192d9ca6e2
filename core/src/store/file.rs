//! The file store: one token per credentials for every process of a user on one machine
//! (gunicorn workers, a Node cluster, cron jobs, `$(officernd-auth token)` in a loop).
//!
//! Files are `0600` in a `0700` directory owned by the user; a directory that is a symlink, not
//! owned by the user, or writable by others is refused. Tokens are replaced atomically (temp file,
//! fsync, rename). A fetch holds an advisory lock (`flock`) on a per-key lock file, which the OS
//! drops if the holder dies. The request budget is shared through the same directory.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{
    RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock, StoredToken,
    TokenStore, poll_until, unix_ms,
};
use crate::error::Error;
use crate::governor::Window;

/// Tokens shared through files in one directory.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    /// A corrupt file is reported once, not on every read.
    warned_corrupt: AtomicBool,
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

/// The shared request budget of one credentials: `governor::Window` on Unix milliseconds.
#[derive(Serialize, Deserialize, Default)]
struct BudgetRecord {
    version: u32,
    window: Window,
}

/// A terminal answer remembered for one configuration until `until_unix_ms`.
#[derive(Serialize, Deserialize)]
struct RefusalRecord {
    version: u32,
    refusal: RememberedRefusal,
    until_unix_ms: u64,
}

/// Version 1 files (no lifetime, send-time budgets) are ignored and replaced.
const FORMAT_VERSION: u32 = 2;
/// Poll interval bounds while another process holds the fetch lock.
const LOCK_POLL_MIN: Duration = Duration::from_millis(5);
const LOCK_POLL_MAX: Duration = Duration::from_millis(100);

impl FileStore {
    /// A store in `dir`, created `0700` if missing. Refuses a directory that is a symlink, is
    /// not owned by the current user, or that others can write.
    pub fn new(dir: impl Into<PathBuf>) -> Result<FileStore, Error> {
        let dir = dir.into();
        secure_dir(&dir).map_err(|reason| Error::Config {
            setting: "store_path".into(),
            reason: format!("{}: {reason}", dir.display()),
        })?;
        Ok(FileStore {
            dir,
            warned_corrupt: AtomicBool::new(false),
        })
    }

    /// `$XDG_CACHE_HOME/officernd-auth`, or `~/.cache/officernd-auth`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })?;
        Some(base.join("officernd-auth"))
    }

    /// A store in [`FileStore::default_dir`].
    pub fn open_default() -> Result<FileStore, Error> {
        let dir = Self::default_dir().ok_or_else(|| Error::Config {
            setting: "store_path".into(),
            reason: "neither XDG_CACHE_HOME nor HOME is set; name a directory".into(),
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

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            store: self.describe(),
            message: format!("{what}: {e}"),
        }
    }

    fn read_json<T: for<'de> Deserialize<'de>>(
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

    fn warn_corrupt(&self, path: &Path, e: &dyn std::fmt::Display) {
        if !self.warned_corrupt.swap(true, Ordering::Relaxed) {
            log::warn!(
                "ignoring unreadable token store file {} ({e}); it will be replaced",
                path.display()
            );
        }
    }

    /// Temp file in the same directory, fsync, rename over: readers see the old or the new
    /// file, never half of one.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
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

    fn open_lock_file(&self, name: &str) -> Result<File, StoreError> {
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

fn secure_dir(dir: &Path) -> Result<(), String> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create: {e}"))?;
            fs::symlink_metadata(dir).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    if meta.file_type().is_symlink() {
        return Err("is a symlink; refusing it (name the real directory)".into());
    }
    if !meta.is_dir() {
        return Err("is not a directory".into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "is owned by uid {}, not by this user ({me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "is writable by other users (mode {:o}); use a private directory",
            meta.mode() & 0o777
        ));
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make it private: {e}"))?;
    }
    Ok(())
}

impl TokenStore for FileStore {
    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    fn get(&self, key: &StoreKey, _now: SystemTime) -> Result<Option<StoredToken>, StoreError> {
        let Some(r) = self.read_json::<TokenRecord>(&self.token_path(key))? else {
            return Ok(None);
        };
        if r.version != FORMAT_VERSION || r.access_token.is_empty() {
            self.warn_corrupt(&self.token_path(key), &"unknown format");
            return Ok(None);
        }
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
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
        if let Some(old) = self.get(key, now)?
            && old.expires_at >= token.expires_at
        {
            return Ok(false);
        }
        let record = TokenRecord {
            version: FORMAT_VERSION,
            access_token: token.access_token.clone(),
            token_type: token.token_type.clone(),
            scopes: token.scopes.clone(),
            expires_at_unix_ms: unix_ms(token.expires_at),
            lifetime_ms: token.lifetime.as_millis() as u64,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
        self.write_atomic(&self.token_path(key), &bytes)?;
        Ok(true)
    }

    fn lock(
        &self,
        key: &StoreKey,
        _ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        // flock needs no expiry: the OS releases it when the holder exits or crashes.
        let file = self.open_lock_file(&format!("{}.lock", key.as_str()))?;
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

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
        match self.get(key, SystemTime::now())? {
            Some(t) if t.access_token == access_token => {
                match fs::remove_file(self.token_path(key)) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(self.err("delete", e)),
                }
            }
            _ => Ok(false),
        }
    }
}

impl FileStore {
    /// Runs `f` on the budget of `credentials` under its lock, writing it back when `f` says
    /// it changed it.
    fn with_budget<T>(
        &self,
        credentials: &str,
        f: impl FnOnce(&mut Window) -> (T, bool),
    ) -> Result<T, StoreError> {
        let lock = self.open_lock_file(&format!("budget-{credentials}.lock"))?;
        // Held for a read and a small write.
        lock.lock().map_err(|e| self.err("lock budget", e))?;
        let path = self.dir.join(format!("budget-{credentials}.json"));
        let mut record = self
            .read_json::<BudgetRecord>(&path)?
            .filter(|r| r.version == FORMAT_VERSION)
            .unwrap_or_default();
        let (value, changed) = f(&mut record.window);
        if changed {
            record.version = FORMAT_VERSION;
            let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
            self.write_atomic(&path, &bytes)?;
        }
        Ok(value)
    }

    fn refusal_path(&self, key: &StoreKey) -> PathBuf {
        self.dir.join(format!("{}.refusal", key.as_str()))
    }
}

/// The budget is `governor::Window` in a JSON file per credentials, changed under a `flock`.
impl SharedBudget for FileStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let now = unix_ms(now);
        let id = fastrand::u64(1..);
        self.with_budget(credentials, |w| {
            match w.take(now, capacity, id, now + hold.as_millis() as u64) {
                Ok(()) => (SlotGrant::Granted(id), true),
                Err(wait) => (
                    SlotGrant::Wait {
                        wait: Duration::from_millis(wait.ms),
                        cooldown: wait.cooldown,
                    },
                    false,
                ),
            }
        })
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let frees_at = unix_ms(now) + count_for.as_millis() as u64;
        self.with_budget(credentials, |w| {
            w.finish(slot, frees_at);
            ((), true)
        })
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        let until = unix_ms(now) + pause.as_millis() as u64;
        self.with_budget(credentials, |w| {
            w.cool_down(until);
            ((), true)
        })
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let record = RefusalRecord {
            version: FORMAT_VERSION,
            refusal: refusal.clone(),
            until_unix_ms: unix_ms(now) + ttl.as_millis() as u64,
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| self.err("encode", e))?;
        self.write_atomic(&self.refusal_path(key), &bytes)
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        now: SystemTime,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let now = unix_ms(now);
        Ok(self
            .read_json::<RefusalRecord>(&self.refusal_path(key))?
            .filter(|r| r.version == FORMAT_VERSION && r.until_unix_ms > now)
            .map(|r| (r.refusal, Duration::from_millis(r.until_unix_ms - now))))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A deadline no test operation comes near.
    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }
    use crate::scopes::Scopes;
    use crate::secret::ClientSecret;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "officernd-filestore-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn key() -> StoreKey {
        StoreKey::derive(
            "https://x/t",
            "id",
            &ClientSecret::new("s"),
            &Scopes::default(),
        )
    }

    fn tok(s: &str, secs: u64) -> StoredToken {
        StoredToken {
            access_token: s.into(),
            token_type: "Bearer".into(),
            scopes: vec!["a".into()],
            expires_at: UNIX_EPOCH + Duration::from_secs(secs),
            lifetime: Duration::from_secs(secs),
        }
    }

    const NOW: SystemTime = UNIX_EPOCH;

    #[test]
    fn creates_a_private_directory_and_private_files() {
        let d = temp_dir("perm");
        let s = FileStore::new(&d).unwrap();
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        s.put_if_newer(&key(), &tok("t1", 100), NOW, soon())
            .unwrap();
        let f = s.token_path(&key());
        assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o600);
        assert_eq!(s.get(&key(), NOW).unwrap().unwrap(), tok("t1", 100));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn refuses_symlinks_and_shared_directories() {
        let d = temp_dir("refuse");
        fs::create_dir_all(&d).unwrap();
        let link = d.with_extension("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        let e = FileStore::new(&link).unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        let e = FileStore::new(&d).unwrap_err();
        assert!(e.to_string().contains("writable by other users"), "{e}");
        assert_eq!(e.code(), "config");
        fs::remove_file(&link).unwrap();
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn corrupt_and_foreign_files_are_ignored_then_replaced() {
        let d = temp_dir("corrupt");
        let s = FileStore::new(&d).unwrap();
        for junk in [
            "",
            "{\"access_tok",
            "[1,2,3]",
            "{\"version\":99,\"access_token\":\"x\",\"token_type\":\"Bearer\",\"scopes\":[],\"expires_at_unix_ms\":1}",
        ] {
            fs::write(s.token_path(&key()), junk).unwrap();
            assert_eq!(s.get(&key(), NOW).unwrap(), None, "{junk}");
        }
        assert!(s.put_if_newer(&key(), &tok("t", 5), NOW, soon()).unwrap());
        assert_eq!(s.get(&key(), NOW).unwrap().unwrap().access_token, "t");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn put_if_newer_and_compare_delete() {
        let d = temp_dir("cas");
        let s = FileStore::new(&d).unwrap();
        assert!(
            s.put_if_newer(&key(), &tok("new", 200), NOW, soon())
                .unwrap()
        );
        assert!(
            !s.put_if_newer(&key(), &tok("old", 100), NOW, soon())
                .unwrap()
        );
        assert!(!s.compare_delete(&key(), "old", soon()).unwrap());
        assert!(s.compare_delete(&key(), "new", soon()).unwrap());
        assert_eq!(s.get(&key(), NOW).unwrap(), None);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn lock_excludes_a_second_holder_until_released() {
        let d = temp_dir("lock");
        let s = FileStore::new(&d).unwrap();
        let now = Instant::now();
        let held = s
            .lock(&key(), Duration::from_secs(10), now)
            .unwrap()
            .unwrap();
        assert!(
            s.lock(&key(), Duration::from_secs(10), now)
                .unwrap()
                .is_none()
        );
        held.release().unwrap();
        assert!(
            s.lock(&key(), Duration::from_secs(10), now)
                .unwrap()
                .is_some()
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn budget_is_shared_through_the_directory() {
        let d = temp_dir("budget");
        let a = FileStore::new(&d).unwrap();
        let b = FileStore::new(&d).unwrap();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hold = Duration::from_secs(70);
        let after = Duration::from_secs(61);
        let mut ids = vec![];
        for i in 0..5 {
            let s = if i % 2 == 0 { &a } else { &b };
            let SlotGrant::Granted(id) = s.take_request_slot("c", 5, hold, t0, soon()).unwrap()
            else {
                panic!("slot {i} granted")
            };
            ids.push(id);
        }
        for id in ids {
            a.finish_request_slot("c", id, after, t0, soon()).unwrap();
        }
        assert_eq!(
            a.take_request_slot("c", 5, hold, t0 + Duration::from_secs(10), soon())
                .unwrap(),
            SlotGrant::Wait {
                wait: Duration::from_secs(51),
                cooldown: false
            }
        );
        assert!(matches!(
            b.take_request_slot("c", 5, hold, t0 + after, soon())
                .unwrap(),
            SlotGrant::Granted(_)
        ));
        assert!(matches!(
            a.take_request_slot("other", 5, hold, t0, soon()).unwrap(),
            SlotGrant::Granted(_)
        ));
        b.start_cooldown("other", Duration::from_secs(7), t0, soon())
            .unwrap();
        assert_eq!(
            a.take_request_slot("other", 5, hold, t0, soon()).unwrap(),
            SlotGrant::Wait {
                wait: Duration::from_secs(7),
                cooldown: true
            }
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn refusals_are_shared_through_the_directory() {
        let d = temp_dir("refusal");
        let a = FileStore::new(&d).unwrap();
        let b = FileStore::new(&d).unwrap();
        let r = RememberedRefusal {
            status: 400,
            error: "invalid_scope".into(),
            error_description: Some("no".into()),
            error_uri: None,
        };
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        a.remember_refusal(&key(), &r, Duration::from_secs(60), t0)
            .unwrap();
        assert_eq!(
            b.remembered_refusal(&key(), t0 + Duration::from_secs(20))
                .unwrap(),
            Some((r, Duration::from_secs(40)))
        );
        assert_eq!(
            b.remembered_refusal(&key(), t0 + Duration::from_secs(60))
                .unwrap(),
            None
        );
        fs::remove_dir_all(&d).unwrap();
    }
}
