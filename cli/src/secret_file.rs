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
    // Looked at before opening: open() on a FIFO blocks until someone writes to it, and a
    // device (/dev/zero) never ends.
    let before = std::fs::metadata(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    if !before.is_file() {
        return Err(bad(
            "not a regular file (a pipe, FIFO, device or directory is not read; pass a secret \
             from a pipe through OFFICERND_CLIENT_SECRET)"
                .into(),
        ));
    }
    let file = File::open(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    if !meta.is_file() || !same_file(&before, &meta) {
        return Err(bad(
            "not a regular file (it changed while being opened)".into()
        ));
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

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
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
}
