//! `--client-secret-file`: read like ssh reads a private key. A file others can read is used
//! with a warning naming it and its mode (never the secret); only a small regular file is read
//! (a FIFO or a device is refused without blocking); exactly one trailing newline is dropped.
//! On Windows (no modes, no FIFOs) the tests of modes and FIFOs do not apply: the others run.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// Secret of a second mock application: it ends with a space.
const SPACEY_ID: &str = "spacey-client-id";
const SPACEY_SECRET: &str = "spacey-secret-ends-with-a-space ";

/// Given to every run through the environment; the file must win over it.
const ENV_SECRET: &str = "environment-secret-not-used";

fn server() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit().with_app(App {
        client_id: SPACEY_ID.into(),
        client_secret: SPACEY_SECRET.into(),
        scopes: DEMO_SCOPES.iter().map(|s| s.to_string()).collect(),
    }))
    .unwrap()
}

/// A private directory holding secret files.
fn secrets_dir(name: &str) -> CacheDir {
    let dir = CacheDir::new(name);
    std::fs::create_dir(dir.path()).unwrap();
    dir
}

/// Writes `content` to `dir/name`, created with `mode` (the umask can only remove bits, so
/// the mode is set again explicitly; on Windows the mode is ignored).
fn write_secret(dir: &Path, name: &str, content: &[u8], mode: u32) -> PathBuf {
    let path = dir.join(name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut f = options.open(&path).unwrap();
    f.write_all(content).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

fn run_with_file(server: &MockServer, client_id: &str, path: &Path) -> Output {
    let mut c = cli(
        server,
        &["--no-cache", "--client-secret-file", path.to_str().unwrap()],
        ENV_SECRET,
    );
    c.env("OFFICERND_CLIENT_ID", client_id);
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The client secret of the last request the mock received.
fn sent_secret(server: &MockServer) -> String {
    server
        .last_request_form()
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == "client_secret")
        .unwrap()
        .1
}

#[cfg(unix)]
#[test]
fn a_file_others_can_read_is_used_with_a_warning() {
    let server = server();
    let dir = secrets_dir("secret-open");
    for mode in [0o644, 0o640, 0o604] {
        let name = format!("secret-{mode:o}");
        let path = write_secret(
            dir.path(),
            &name,
            format!("{DEMO_CLIENT_SECRET}\n").as_bytes(),
            mode,
        );
        let out = run_with_file(&server, DEMO_CLIENT_ID, &path);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{stderr}");
        let warning = stderr
            .lines()
            .find(|l| l.starts_with("officernd-auth: warning:"))
            .unwrap_or_else(|| panic!("no warning for {mode:o}: {stderr:?}"));
        assert!(warning.contains(path.to_str().unwrap()), "{warning}");
        assert!(warning.contains(&format!("0{mode:o}")), "{warning}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for output in [&stdout, &stderr] {
            assert!(!output.contains(DEMO_CLIENT_SECRET), "{output}");
        }
    }
}

#[test]
fn a_private_file_is_used_quietly() {
    let server = server();
    let dir = secrets_dir("secret-private");
    for mode in [0o600, 0o400] {
        let path = write_secret(
            dir.path(),
            &format!("secret-{mode:o}"),
            format!("{DEMO_CLIENT_SECRET}\n").as_bytes(),
            mode,
        );
        let out = run_with_file(&server, DEMO_CLIENT_ID, &path);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "no warning for {mode:o}");
        assert_eq!(sent_secret(&server), DEMO_CLIENT_SECRET);
    }
}

/// One line ending is dropped (`\n` or `\r\n`), nothing else: a secret may end in a space, and a
/// second newline is part of the file's content.
#[test]
fn exactly_one_trailing_newline_is_dropped() {
    let server = server();
    let dir = secrets_dir("secret-newlines");
    // (client id, file content, secret sent, accepted by the mock)
    let cases = [
        (SPACEY_ID, "\n", "", true),
        (SPACEY_ID, "", "", true),
        (DEMO_CLIENT_ID, "\r\n", "", true),
        (DEMO_CLIENT_ID, "\n\n", "\n", false),
        (DEMO_CLIENT_ID, "\r\n\r\n", "\r\n", false),
    ];
    for (i, (id, ending, kept, ok)) in cases.into_iter().enumerate() {
        let secret = if id == SPACEY_ID {
            SPACEY_SECRET
        } else {
            DEMO_CLIENT_SECRET
        };
        let content = format!("{secret}{ending}");
        let expected = format!("{secret}{kept}");
        let path = write_secret(dir.path(), &format!("s{i}"), content.as_bytes(), 0o600);
        let out = run_with_file(&server, id, &path);
        assert_eq!(sent_secret(&server), expected, "{content:?}");
        if ok {
            assert!(out.status.success(), "{content:?}: {}", text(&out.stderr));
        } else {
            // The mock refuses the secret with its newline: invalid_client.
            assert_eq!(
                out.status.code(),
                Some(4),
                "{content:?}: {}",
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn an_oversized_file_is_a_config_error_and_nothing_is_sent() {
    let server = server();
    let dir = secrets_dir("secret-big");
    for size in [4097, 1 << 20] {
        let path = write_secret(dir.path(), &format!("big-{size}"), &vec![b'a'; size], 0o600);
        let out = run_with_file(&server, DEMO_CLIENT_ID, &path);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{size}: {stderr}");
        assert!(stderr.contains("client_secret_file"), "{stderr}");
        assert!(stderr.contains("4096 bytes"), "{stderr}");
        assert!(!stderr.contains("aaaa"), "{stderr}");
    }
    // The largest accepted: 4096 bytes, the newline included.
    let mut content = vec![b'a'; 4095];
    content.push(b'\n');
    let path = write_secret(dir.path(), "max", &content, 0o600);
    let out = run_with_file(&server, DEMO_CLIENT_ID, &path);
    assert_eq!(
        out.status.code(),
        Some(4),
        "sent, refused: {}",
        text(&out.stderr)
    );
    assert_eq!(sent_secret(&server), "a".repeat(4095));
    assert_eq!(
        server.token_requests(),
        1,
        "only the file within the limit was sent"
    );
}

/// A FIFO would block a plain `open` until someone writes to it: it is refused at once, like a
/// device or a directory.
#[cfg(unix)]
#[test]
fn a_fifo_or_other_non_regular_file_is_refused_without_blocking() {
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;
    let server = server();
    let dir = secrets_dir("secret-fifo");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());

    let mut c = cli(
        &server,
        &["--no-cache", "--client-secret-file", fifo.to_str().unwrap()],
        ENV_SECRET,
    );
    c.stdin(Stdio::null());
    let child = c.spawn().unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || tx.send(child.wait_with_output().unwrap()));
    let out = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out,
        Err(_) => {
            // Blocked in open(): become its writer so that it ends, then fail.
            drop(OpenOptions::new().write(true).open(&fifo).unwrap());
            waiter.join().unwrap().unwrap();
            panic!("the CLI blocked on a FIFO");
        }
    };
    waiter.join().unwrap().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");

    for path in [Path::new("/dev/null"), dir.path()] {
        let out = run_with_file(&server, DEMO_CLIENT_ID, path);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {stderr}", path.display());
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
    assert_eq!(server.token_requests(), 0);
}
