//! What the file store does differently on Unix and on Windows: the default directory, how the
//! directory is created and checked, how a store file is opened without following a link, what
//! an open failure means, and where a fetch lock's expiry is written. Everything else (the
//! records, the guard, the budget, the atomic replace, every lock taken with std's
//! `File::try_lock` polled until the caller's deadline and released with `File::unlock`) is one
//! implementation.
//!
//! - **Unix** (Linux, the BSDs, macOS): a `0700` directory owned by the user, `0600` files
//!   opened with `O_NOFOLLOW | O_NONBLOCK`, `flock` (std's `File::lock` is `flock` there), the
//!   directory itself locked and fsynced.
//! - **Windows**: the directory's ACL is the one it inherits (under `%LOCALAPPDATA%` only the
//!   user, SYSTEM and administrators can read it); a directory that is a reparse point (a
//!   symlink or a junction) is refused, and files are opened with `FILE_FLAG_OPEN_REPARSE_POINT`
//!   so that a link in the store is seen as itself, never followed. std's `File::lock` is
//!   `LockFileEx` on the whole file, a *mandatory* lock that no other handle may read or write
//!   through: so the fetch lock's expiry lives in a file of its own (`<key>.expiry`), and the
//!   lock that guards repairs is a file in the directory (`.dir.lock`), not the directory.
//!   `rename` is `MoveFileEx`-style replacing (std opens every file with `FILE_SHARE_DELETE`, so
//!   a reader never blocks a replace).

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

#[cfg(unix)]
pub(super) use unix::*;
#[cfg(windows)]
pub(super) use windows::*;

#[cfg(unix)]
mod unix {
    use super::*;
    use std::fs::{self, DirBuilder};
    use std::os::unix::fs::{
        DirBuilderExt, FileExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt,
    };

    /// Never follow a symlink at the path, never wait in `open` (FIFOs, devices).
    const SAFE_OPEN: libc::c_int = libc::O_NOFOLLOW | libc::O_NONBLOCK;

    /// macOS: `~/Library/Caches/officernd-auth`.
    #[cfg(target_vendor = "apple")]
    pub(in crate::store::file) fn default_dir() -> Result<PathBuf, &'static str> {
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join("Library/Caches/officernd-auth"))
            .ok_or("HOME is not set; name a directory")
    }

    /// `$XDG_CACHE_HOME/officernd-auth`, or `~/.cache/officernd-auth`.
    #[cfg(not(target_vendor = "apple"))]
    pub(in crate::store::file) fn default_dir() -> Result<PathBuf, &'static str> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })
            .ok_or("neither XDG_CACHE_HOME nor HOME is set; name a directory")?;
        Ok(base.join("officernd-auth"))
    }

    /// Creates `dir` (and its parents) `0700`.
    pub(in crate::store::file) fn create_dir(dir: &Path) -> io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }

    /// Refuses a directory that is a symlink, not owned by the current user, or that others
    /// can write; makes one that others can read private.
    pub(in crate::store::file) fn check_dir(dir: &Path, meta: &Metadata) -> Result<(), String> {
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

    /// Options that never follow a link or wait in `open`; a file they create is `0600`.
    pub(in crate::store::file) fn safe_open() -> OpenOptions {
        let mut o = OpenOptions::new();
        o.mode(0o600).custom_flags(SAFE_OPEN);
        o
    }

    /// An `open` failure that means "something other than a regular file is there" (a symlink
    /// refused by `O_NOFOLLOW`, a directory, a socket): why; any other failure stays an error.
    pub(in crate::store::file) fn not_a_file(_path: &Path, e: io::Error) -> io::Result<String> {
        match e.raw_os_error() {
            Some(libc::ELOOP | libc::EMLINK) => Ok("a symlink".into()),
            Some(libc::EISDIR) => Ok("a directory".into()),
            Some(libc::ENXIO | libc::ENODEV) => Ok("not a regular file".into()),
            _ => Err(e),
        }
    }

    /// What the open file is when it is not a regular file (from `fstat`: the file we opened,
    /// not whatever the path names a moment later).
    pub(in crate::store::file) fn not_regular(m: &Metadata) -> Option<&'static str> {
        let t = m.file_type();
        if t.is_file() {
            None
        } else if t.is_dir() {
            Some("a directory")
        } else if t.is_fifo() {
            Some("a FIFO")
        } else if t.is_char_device() || t.is_block_device() {
            Some("a device")
        } else {
            Some("not a regular file")
        }
    }

    /// Whether renaming over `path` failed because a directory is in the way.
    pub(in crate::store::file) fn dir_in_the_way(e: &io::Error, _path: &Path) -> bool {
        matches!(
            e.raw_os_error(),
            Some(libc::EISDIR | libc::ENOTEMPTY | libc::EEXIST)
        )
    }

    /// Makes a rename in `dir` durable.
    pub(in crate::store::file) fn sync_dir(dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    /// What is locked while something in the way is cleared: the directory itself.
    pub(in crate::store::file) fn open_dir_lock(dir: &Path) -> io::Result<File> {
        File::open(dir)
    }

    /// Where the fetch lock at `lock` records its holder's expiry: `None`, in the lock file
    /// itself (a `flock` is advisory: the others may read it).
    pub(in crate::store::file) fn expiry_path(_lock: &Path) -> Option<PathBuf> {
        None
    }

    pub(in crate::store::file) fn write_at(file: &File, bytes: &[u8]) -> io::Result<()> {
        file.write_all_at(bytes, 0)
    }

    pub(in crate::store::file) fn read_at(file: &File, buf: &mut [u8]) -> io::Result<usize> {
        file.read_at(buf, 0)
    }
}

#[cfg(windows)]
mod windows {
    use super::*;
    use std::os::windows::fs::{FileExt, MetadataExt, OpenOptionsExt};

    /// Open a reparse point (a symlink, a junction) as itself instead of what it points at.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x0000_0400;

    /// `%LOCALAPPDATA%\officernd-auth`.
    pub(in crate::store::file) fn default_dir() -> Result<PathBuf, &'static str> {
        std::env::var_os("LOCALAPPDATA")
            .filter(|v| !v.is_empty())
            .map(|d| PathBuf::from(d).join("officernd-auth"))
            .ok_or("LOCALAPPDATA is not set; name a directory")
    }

    /// Creates `dir` (and its parents); it inherits its parent's ACL.
    pub(in crate::store::file) fn create_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    /// Refuses a directory that is a reparse point (a symlink or a junction: the files would
    /// land wherever it points). Who may read it is its ACL's business (under the user's
    /// profile, the user only).
    pub(in crate::store::file) fn check_dir(_dir: &Path, meta: &Metadata) -> Result<(), String> {
        if meta.file_type().is_symlink()
            || meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
        {
            return Err(
                "is a symlink or junction (a reparse point); refusing it (name the real directory)"
                    .into(),
            );
        }
        if !meta.is_dir() {
            return Err("is not a directory".into());
        }
        Ok(())
    }

    /// Options that open a link as itself (then refused as not a regular file).
    pub(in crate::store::file) fn safe_open() -> OpenOptions {
        let mut o = OpenOptions::new();
        o.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
        o
    }

    /// An `open` failure at `path` that means "something other than a regular file is there"
    /// (a directory cannot be opened as a file: access denied): why; any other failure stays
    /// an error.
    pub(in crate::store::file) fn not_a_file(path: &Path, e: io::Error) -> io::Result<String> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => Ok("a symlink".into()),
            Ok(m) if m.is_dir() => Ok("a directory".into()),
            Ok(m) if m.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 => {
                Ok("a reparse point".into())
            }
            _ => Err(e),
        }
    }

    /// What the open file is when it is not a regular file: with `FILE_FLAG_OPEN_REPARSE_POINT`
    /// a link was opened as itself.
    pub(in crate::store::file) fn not_regular(m: &Metadata) -> Option<&'static str> {
        let t = m.file_type();
        if t.is_symlink() {
            Some("a symlink")
        } else if t.is_dir() {
            Some("a directory")
        } else if m.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
            Some("a reparse point")
        } else if t.is_file() {
            None
        } else {
            Some("not a regular file")
        }
    }

    /// Whether renaming over `path` failed because a directory is in the way (Windows says
    /// "access denied").
    pub(in crate::store::file) fn dir_in_the_way(_e: &io::Error, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
    }

    /// Nothing to do: NTFS journals the rename itself (a directory cannot be flushed through
    /// std's `File`).
    pub(in crate::store::file) fn sync_dir(_dir: &Path) -> io::Result<()> {
        Ok(())
    }

    /// What is locked while something in the way is cleared: `.dir.lock` in the directory (a
    /// directory handle cannot be locked).
    pub(in crate::store::file) fn open_dir_lock(dir: &Path) -> io::Result<File> {
        safe_open()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(".dir.lock"))
    }

    /// Where the fetch lock at `lock` records its holder's expiry: `<key>.expiry` (a locked
    /// file cannot be read through another handle).
    pub(in crate::store::file) fn expiry_path(lock: &Path) -> Option<PathBuf> {
        Some(lock.with_extension("expiry"))
    }

    pub(in crate::store::file) fn write_at(file: &File, mut bytes: &[u8]) -> io::Result<()> {
        let mut at = 0;
        while !bytes.is_empty() {
            match file.seek_write(bytes, at)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => {
                    bytes = &bytes[n..];
                    at += n as u64;
                }
            }
        }
        Ok(())
    }

    pub(in crate::store::file) fn read_at(file: &File, buf: &mut [u8]) -> io::Result<usize> {
        file.seek_read(buf, 0)
    }
}
