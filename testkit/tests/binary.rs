//! The `officernd-mock-identity` binary: announces itself on one stdout line, serves, and exits
//! 0 on SIGTERM. Reading the announced line is the only synchronisation.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{demo_form, post_form};

const BIN: &str = env!("CARGO_BIN_EXE_officernd-mock-identity");

/// Kills the child if a test fails before it stops it properly.
struct Mock {
    child: Child,
    url: String,
}

impl Mock {
    fn spawn(args: &[&str]) -> Mock {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the mock binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim_end()
            .strip_prefix("officernd-mock-identity listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Mock { child, url }
    }

    /// SIGTERM, as a CI script or process manager would stop it; returns the exit status.
    #[cfg(unix)]
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn prints_its_url_serves_and_exits_0_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("officernd-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("url");
    let mock = Mock::spawn(&["--port", "0", "--url-file", url_file.to_str().unwrap()]);

    let port: u16 = mock
        .url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    assert_eq!(std::fs::read_to_string(&url_file).unwrap().trim(), mock.url);

    let a = post_form(&format!("{}/oauth/token", mock.url), &demo_form(None));
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["expires_in"], 3599);

    #[cfg(unix)]
    assert!(mock.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn flags_set_apps_lifetime_and_rate_limit() {
    let mock = Mock::spawn(&[
        "--app",
        "ci-app:ci:secret:officernd.api.read,flex.community.members.read",
        "--lifetime",
        "42",
        "--no-rate-limit",
    ]);
    let token_url = format!("{}/oauth/token", mock.url);
    let form = [
        ("client_id", "ci-app"),
        ("client_secret", "ci:secret"),
        ("grant_type", "client_credentials"),
    ];
    for _ in 0..7 {
        let a = post_form(&token_url, &form);
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.json()["expires_in"], 42);
        assert_eq!(
            a.json()["scope"],
            "officernd.api.read flex.community.members.read"
        );
    }
    // --app replaces the demo app.
    assert_eq!(post_form(&token_url, &demo_form(None)).status, 401);
}

#[test]
fn rate_limit_flags_apply() {
    let mock = Mock::spawn(&["--rate-limit", "1", "--rate-window", "30"]);
    let token_url = format!("{}/oauth/token", mock.url);
    assert_eq!(post_form(&token_url, &demo_form(None)).status, 200);
    let a = post_form(&token_url, &demo_form(None));
    assert_eq!(a.status, 429);
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry));
}

#[test]
fn non_loopback_bind_is_refused() {
    let out = Command::new(BIN)
        .args(["--bind", "0.0.0.0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");
}
