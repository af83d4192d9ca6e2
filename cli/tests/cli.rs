//! The CLI as a user runs it: output of each command, exit codes, one-line errors on stderr.

use std::process::{Command, Output};

use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, MockConfig, MockServer};

fn run(server: &MockServer, args: &[&str], secret: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_officernd-auth"))
        .args(args)
        .env_clear()
        .arg("--no-cache")
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", secret)
        .env("OFFICERND_SCOPES", "officernd.api.read")
        .env("OFFICERND_TOKEN_URL", server.token_url())
        .output()
        .expect("runs")
}

fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn token_header_and_json() {
    let server = mock();
    let out = run(&server, &["token"], DEMO_CLIENT_SECRET);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(
        token.len() >= 40 && !token.contains(' '),
        "bare token on one line"
    );

    let bare = run(&server, &[], DEMO_CLIENT_SECRET);
    assert!(bare.status.success(), "token is the default command");

    let out = run(&server, &["token", "--header"], DEMO_CLIENT_SECRET);
    assert!(
        stdout(&out).starts_with("Authorization: Bearer "),
        "{}",
        stdout(&out)
    );

    let out = run(&server, &["token", "--json"], DEMO_CLIENT_SECRET);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "officernd.api.read");
    assert!(v["expires_in"].as_u64().unwrap() > 3500);
    assert!(v["access_token"].as_str().unwrap().len() >= 40);
}

#[test]
fn check_prints_scopes_and_expiry_but_not_the_token() {
    let server = mock();
    let out = run(&server, &["check"], DEMO_CLIENT_SECRET);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("granted scopes: officernd.api.read"),
        "{text}"
    );
    assert!(text.contains("expires in"), "{text}");
    // No token-like run of 40+ URL-safe characters.
    assert!(
        !text.split_whitespace().any(|w| w.len() >= 40),
        "check must not print the token: {text}"
    );
}

#[test]
fn each_error_class_has_its_exit_code_and_one_line_on_stderr() {
    let server = mock();
    let out = run(&server, &["check"], "wrong-secret-value-123");
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.starts_with("officernd-auth: error[oauth]:"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);
    assert!(!err.contains("wrong-secret-value-123"));

    let out = run(
        &server,
        &["token", "--token-url", "http://example.com/t"],
        DEMO_CLIENT_SECRET,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("token_url"));

    server.push_fault(Fault::MalformedJson);
    let out = run(&server, &["token"], DEMO_CLIENT_SECRET);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));

    let out = run(
        &server,
        &["token", "--header", "--json"],
        DEMO_CLIENT_SECRET,
    );
    assert_eq!(out.status.code(), Some(2), "usage error");

    let out = Command::new(env!("CARGO_BIN_EXE_officernd-auth"))
        .arg("--no-cache")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("OFFICERND_CLIENT_ID"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn secret_can_come_from_a_file() {
    let server = mock();
    let dir = std::env::temp_dir().join(format!("officernd-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("secret");
    std::fs::write(&path, format!("{DEMO_CLIENT_SECRET}\n")).unwrap();
    let out = run(
        &server,
        &["check", "--client-secret-file", path.to_str().unwrap()],
        "ignored-because-file-wins",
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A token URL from an env file (spaces around it, `\r\n`) is the URL validated, printed and
/// requested; one with a space inside is a `config` error (exit 3) before anything is sent,
/// not a retried `transport` error.
#[test]
fn token_url_is_trimmed_and_checked_once() {
    let server = mock();
    let check = |url: String| {
        Command::new(env!("CARGO_BIN_EXE_officernd-auth"))
            .args(["check", "--no-cache"])
            .env_clear()
            .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
            .env("OFFICERND_CLIENT_SECRET", DEMO_CLIENT_SECRET)
            .env("OFFICERND_TOKEN_URL", url)
            .output()
            .unwrap()
    };
    let out = check(format!("  {} \r\n", server.token_url()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(" at {}\n", server.token_url())),
        "{}",
        stdout(&out)
    );
    assert_eq!(server.token_requests(), 1);

    let out = check(server.token_url().replace("/oauth/token", "/oauth /token"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("token_url"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &server,
        &[
            "check",
            "--token-url",
            &format!("{}\tx", server.token_url()),
        ],
        DEMO_CLIENT_SECRET,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("token_url"), "{}", stderr(&out));
    assert_eq!(server.token_requests(), 1, "nothing sent");
}

/// Flags go through core's settings table: core parses and validates them (one rule), and the
/// table's name `--store-path` works beside the shipped `--cache-dir`.
#[test]
fn setting_flags_are_validated_by_core_under_the_tables_names() {
    let server = mock();
    let out = run(&server, &["token", "--timeout", "soon"], DEMO_CLIENT_SECRET);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("timeout"), "{}", stderr(&out));
    assert_eq!(server.token_requests(), 0);

    let dir = std::env::temp_dir().join(format!("officernd-cli-store-path-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_officernd-auth"))
        .args(["token", "--store-path", dir.to_str().unwrap()])
        .env_clear()
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("OFFICERND_TOKEN_URL", server.token_url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().ends_with(".token"));
    assert!(stored, "the token went into --store-path");
    std::fs::remove_dir_all(&dir).unwrap();
}
