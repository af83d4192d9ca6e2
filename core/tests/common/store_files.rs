//! The file store's files as a test sees them: a private store directory removed on drop, the
//! path of every file one configuration uses, and the broken things a test puts at those paths
//! (FIFOs, symlinks, directories, oversized files). Included with `#[path]` by the file-store
//! test binaries. On Windows there are no FIFOs or `/dev/zero`; the rest is the same.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use officernd_auth::{ClientSecret, Scopes, StoreKey};

/// `<tmp>/officernd-<name>-<pid>-<random>`, `0700`, removed on drop.
pub struct StoreDir {
    pub path: PathBuf,
}

impl StoreDir {
    pub fn new(name: &str) -> StoreDir {
        let path = std::env::temp_dir().join(format!(
            "officernd-{name}-{}-{:x}",
            std::process::id(),
            random()
        ));
        std::fs::create_dir_all(&path).expect("create the store dir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        StoreDir { path }
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub fn random() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Every file the store keeps for one configuration (token URL, client id, secret, scopes).
#[derive(Clone, Debug)]
pub struct Paths {
    pub key: StoreKey,
    pub token: PathBuf,
    pub refusal: PathBuf,
    /// The fetch lock: held while one process fetches.
    pub fetch_lock: PathBuf,
    /// The short per-key lock around reading and replacing the token file.
    pub guard: PathBuf,
    /// Windows only: the fetch lock holder's expiry (on Unix it is in the fetch lock file).
    pub expiry: PathBuf,
    pub budget: PathBuf,
    pub budget_lock: PathBuf,
}

impl Paths {
    pub fn new(dir: &Path, token_url: &str, client_id: &str, secret: &str, scopes: &str) -> Paths {
        let key = StoreKey::derive(
            token_url,
            client_id,
            &ClientSecret::new(secret),
            &Scopes::parse(scopes).expect("scopes"),
        );
        let k = key.as_str().to_owned();
        let cred = StoreKey::credentials(token_url, client_id);
        Paths {
            token: dir.join(format!("{k}.token")),
            refusal: dir.join(format!("{k}.refusal")),
            fetch_lock: dir.join(format!("{k}.lock")),
            guard: dir.join(format!("{k}.guard")),
            expiry: dir.join(format!("{k}.expiry")),
            budget: dir.join(format!("budget-{cred}.json")),
            budget_lock: dir.join(format!("budget-{cred}.lock")),
            key,
        }
    }

    /// Every path, named.
    pub fn all(&self) -> [(&'static str, &Path); 6] {
        [
            ("token", &self.token),
            ("refusal", &self.refusal),
            ("fetch lock", &self.fetch_lock),
            ("guard", &self.guard),
            ("budget", &self.budget),
            ("budget lock", &self.budget_lock),
        ]
    }
}

/// Something that is not a store file, put where one belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// A named pipe: opening it for reading waits for a writer forever.
    #[cfg(unix)]
    Fifo,
    /// A symlink to `/dev/zero`: endless bytes.
    #[cfg(unix)]
    DevZero,
    /// A symlink to a file outside the store, which must never be read or written through it.
    SymlinkToFile,
    /// A directory, with a file inside so it cannot simply be `rmdir`ed.
    Directory,
    /// A regular file far larger than any record (valid JSON padded with spaces, so only its
    /// size makes it wrong).
    Oversized,
}

#[cfg(unix)]
pub const ALL_BAD: [Bad; 5] = [
    Bad::Fifo,
    Bad::DevZero,
    Bad::SymlinkToFile,
    Bad::Directory,
    Bad::Oversized,
];

/// Windows has no FIFOs in the file system and no `/dev/zero`.
#[cfg(windows)]
pub const ALL_BAD: [Bad; 3] = [Bad::SymlinkToFile, Bad::Directory, Bad::Oversized];

/// Set (by `make test-windows`) where symlinks cannot be made: Wine 8's `CreateSymbolicLinkW`
/// is a stub that reports success and creates nothing. Then [`bad_kinds`] leaves
/// [`Bad::SymlinkToFile`] out, saying so; anywhere else a symlink that was not made fails the
/// test (see [`put_bad`]).
pub const NO_SYMLINKS: &str = "OFFICERND_TEST_NO_SYMLINKS";

/// [`ALL_BAD`], less the symlink where [`NO_SYMLINKS`] is set.
pub fn bad_kinds() -> Vec<Bad> {
    let no_symlinks = std::env::var_os(NO_SYMLINKS).is_some();
    if no_symlinks {
        eprintln!("{NO_SYMLINKS} is set: no symlink is put in the store");
    }
    ALL_BAD
        .into_iter()
        .filter(|b| !(no_symlinks && *b == Bad::SymlinkToFile))
        .collect()
}

/// What a symlink of [`Bad::SymlinkToFile`] points at, and what it holds.
pub const OUTSIDE_CONTENT: &str = "not the store's: never read or written through a link\n";

/// Puts `bad` at `path` (which must not exist). `record` is valid content for that path, used by
/// [`Bad::Oversized`]. Returns the outside file a symlink points at, if any.
pub fn put_bad(path: &Path, bad: Bad, record: &str, outside: &Path) -> Option<PathBuf> {
    match bad {
        #[cfg(unix)]
        Bad::Fifo => {
            use std::os::unix::ffi::OsStrExt;
            let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
            // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
            let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
            assert_eq!(rc, 0, "mkfifo {}", path.display());
            None
        }
        #[cfg(unix)]
        Bad::DevZero => {
            std::os::unix::fs::symlink("/dev/zero", path).unwrap();
            None
        }
        Bad::SymlinkToFile => {
            std::fs::write(outside, OUTSIDE_CONTENT).unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(outside, path).unwrap();
            #[cfg(windows)]
            std::os::windows::fs::symlink_file(outside, path).expect("create a file symlink");
            assert!(
                std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()),
                "no symlink at {} although creating it succeeded (Wine 8 cannot make them: \
                 set {NO_SYMLINKS})",
                path.display()
            );
            Some(outside.to_path_buf())
        }
        Bad::Directory => {
            std::fs::create_dir(path).unwrap();
            std::fs::write(path.join("inside"), "x").unwrap();
            None
        }
        Bad::Oversized => {
            let mut text = record.trim_end().to_owned();
            text.push_str(&" ".repeat(1 << 20));
            std::fs::write(path, text).unwrap();
            None
        }
    }
}

/// Whether `path` is now a regular file (not a link, pipe or directory) no larger than `max`.
pub fn is_small_regular_file(path: &Path, max: u64) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file() && m.len() <= max)
}

/// Runs `f` on a thread and waits at most `bound` for it: a call that hangs (a FIFO, a lock
/// held forever) fails the test instead of hanging it. Returns the value and how long it took.
pub fn bounded<T: Send + 'static>(
    bound: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let start = std::time::Instant::now();
        let v = f();
        let _ = tx.send((v, start.elapsed()));
    });
    rx.recv_timeout(bound)
        .unwrap_or_else(|_| panic!("{what}: still running after {bound:?} (hung)"))
}
