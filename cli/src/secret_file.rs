//! `--client-secret-file`, read the way ssh reads a private key: only a small regular file, with
//! a warning (naming the file and its mode, never the secret) when others can access it.
//! Exactly one trailing line ending is dropped: a secret may end in a space, and anything else
//! in the file is part of what the user wrote.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use officernd_auth::{Error, Result};

/// Far more than any client secret. A larger file is the wrong file: refused, never read whole.
pub const MAX_BYTES: u64 = 4096;

/// The secret in `path`.
pub fn read(path: &Path) -> Result<String> {
    let bad = |reason: String| Error::Config {
        setting: "client_secret_file".into(),
        reason: format!("{}: {reason}", path.display()),
    };
    let not_regular = || {
        bad(
            "not a regular file (a pipe, FIFO, device or directory is not read; pass a secret \
             from a pipe through OFFICERND_CLIENT_SECRET)"
                .into(),
        )
    };
    // Opened once, then what was opened is checked: a name checked before opening could be
    // swapped for a FIFO in between (whose open would wait for a writer).
    // (A directory does not open on Windows: still "not a regular file".)
    let file = open(path).map_err(|e| match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => not_regular(),
        _ => bad(format!("cannot read: {e}")),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > MAX_BYTES {
        return Err(bad(too_large()));
    }
    warn_if_others_can_access(path, &meta);
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        // It grew after the size was checked.
        return Err(bad(too_large()));
    }
    // The error names neither the bytes nor where they are: they are (part of) a secret.
    let text = String::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    Ok(strip_one_line_ending(&text).to_owned())
}

fn too_large() -> String {
    format!("larger than {MAX_BYTES} bytes: not a client secret (is it the right file?)")
}

/// `secret\n` and `secret\r\n` are `secret`; `secret \n` keeps its space; `secret\n\n` keeps one
/// newline.
fn strip_one_line_ending(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

/// Without waiting: a FIFO opens at once (then refused), and a terminal never becomes the
/// controlling one. A symlink is followed (secret mounts are links); what it names is checked.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Like ssh's "permissions are too open", but a warning: the secret is still used.
#[cfg(unix)]
fn warn_if_others_can_access(path: &Path, meta: &std::fs::Metadata) {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        let path = path.display();
        log::warn!(
            "client secret file {path} has mode {mode:04o}: other users can access it \
             (chmod 600 {path})"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_others_can_access(_: &Path, _: &std::fs::Metadata) {}

#[cfg(test)]
mod tests {
    use super::strip_one_line_ending;

    #[test]
    fn one_line_ending_is_dropped() {
        for (raw, secret) in [
            ("s", "s"),
            ("s\n", "s"),
            ("s\r\n", "s"),
            ("s \n", "s "),
            ("s\t", "s\t"),
            ("s\n\n", "s\n"),
            ("s\r\n\r\n", "s\r\n"),
            ("s\r", "s\r"),
            ("\n", ""),
        ] {
            assert_eq!(strip_one_line_ending(raw), secret, "{raw:?}");
        }
    }

    /// The path flips between a secret file and a FIFO while it is read over and over: every
    /// read ends at once (the secret, or a refusal), none waits in `open` for a FIFO's writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_swapped_in_while_reading_never_blocks() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, mpsc};
        use std::time::Duration;

        let dir = std::env::temp_dir().join(format!(
            "officernd-secret-swap-{}-{}",
            std::process::id(),
            std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos()
        ));
        std::fs::create_dir(&dir).unwrap();
        let (file, fifo, tmp, path) = (
            dir.join("file"),
            dir.join("fifo"),
            dir.join("tmp"),
            dir.join("secret"),
        );
        std::fs::write(&file, "s\n").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        std::fs::hard_link(&file, &path).unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, file, fifo, path) = (stop.clone(), file.clone(), fifo.clone(), path.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    for what in [&fifo, &file] {
                        std::fs::hard_link(what, &tmp).unwrap();
                        std::fs::rename(&tmp, &path).unwrap();
                    }
                }
            })
        };
        let (done, reads) = mpsc::channel();
        let reader = {
            let (stop, path) = (stop.clone(), path.clone());
            std::thread::spawn(move || {
                for _ in 0..30_000 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match super::read(&path) {
                        Ok(s) => assert_eq!(s, "s"),
                        Err(e) => assert!(e.to_string().contains("not a regular file"), "{e}"),
                    }
                    done.send(()).unwrap();
                }
            })
        };
        let mut blocked = false;
        loop {
            match reads.recv_timeout(Duration::from_secs(10)) {
                Ok(()) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // Waiting in open() for a writer: become one, so that it ends.
                    blocked = true;
                    stop.store(true, Ordering::Relaxed);
                    drop(std::fs::OpenOptions::new().write(true).open(&fifo));
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let (swapped, read) = (swapper.join(), reader.join());
        let _ = std::fs::remove_dir_all(&dir);
        swapped.unwrap();
        assert!(!blocked, "a read blocked on the FIFO");
        read.unwrap();
    }
}
