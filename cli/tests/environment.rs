//! One rule for the environment, the same as the library's: an empty (or blank) `OFFICERND_*`
//! variable is unset, and a variable never conflicts with a flag — the flag wins, silently.

mod common;

use std::process::{Command, Output};

use common::*;

fn output(mut c: Command) -> Output {
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `make()` twice, asserting both succeed quietly; returns the two tokens.
fn twice(mut make: impl FnMut() -> Command) -> [String; 2] {
    [0, 1].map(|_| {
        let out = output(make());
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stderr(&out), "", "nothing to warn about");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
}

/// `OFFICERND_STORE_PATH=` is unset: the CLI's default file store in the default directory.
#[test]
fn empty_store_path_means_the_default_directory() {
    let server = mock();
    let cache = CacheDir::new("xdg-empty-path");
    let mut dir = None;
    let tokens = twice(|| {
        let mut c = cli(&server, &[], DEMO_CLIENT_SECRET);
        dir = Some(default_store_under(&mut c, cache.path()));
        c.env("OFFICERND_STORE_PATH", "");
        c
    });
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(
        server.token_requests(),
        1,
        "the second run used the file store"
    );
    assert!(dir.unwrap().is_dir());
}

/// `OFFICERND_STORE=` is unset too: the CLI's default (the file store), not `memory`.
#[test]
fn empty_store_means_the_cli_default() {
    let server = mock();
    let cache = CacheDir::new("xdg-empty-store");
    let tokens = twice(|| {
        let mut c = cli(&server, &[], DEMO_CLIENT_SECRET);
        default_store_under(&mut c, cache.path());
        c.env("OFFICERND_STORE", " ");
        c
    });
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(
        server.token_requests(),
        1,
        "the second run used the file store"
    );
}

/// `--no-cache` is a flag; whatever store the environment names, it uses none.
#[test]
fn no_cache_wins_over_the_store_environment() {
    let server = mock();
    let dir = CacheDir::new("no-cache-env");
    let dir_s = dir.path().to_str().unwrap().to_owned();
    let envs: [&[(&str, &str)]; 3] = [
        &[("OFFICERND_STORE_PATH", &dir_s)],
        &[
            ("OFFICERND_STORE", "file"),
            ("OFFICERND_STORE_PATH", &dir_s),
        ],
        // Unreachable: using it would print a warning.
        &[("OFFICERND_STORE", "redis://127.0.0.1:1")],
    ];
    for (i, vars) in envs.iter().enumerate() {
        twice(|| {
            let mut c = cli(&server, &["--no-cache"], DEMO_CLIENT_SECRET);
            c.envs(vars.iter().copied());
            c
        });
        assert_eq!(
            server.token_requests(),
            2 * (i as u64 + 1),
            "{vars:?}: no store"
        );
        assert!(
            !dir.path().exists(),
            "{vars:?}: the store directory was made"
        );
    }
}

/// `--store memory` beats `OFFICERND_STORE=file`, and the directory of the file store in the
/// environment does not make it an error.
#[test]
fn store_flag_wins_over_the_store_environment() {
    let server = mock();
    let dir = CacheDir::new("store-flag");
    twice(|| {
        let mut c = cli(&server, &["--store", "memory"], DEMO_CLIENT_SECRET);
        c.env("OFFICERND_STORE", "file")
            .env("OFFICERND_STORE_PATH", dir.path());
        c
    });
    assert_eq!(server.token_requests(), 2, "memory: nothing shared");
    assert!(!dir.path().exists(), "the file store was not opened");
}

/// `--cache-dir DIR` means the file store in DIR, whatever `OFFICERND_STORE` says; and
/// `--store file` takes its directory from `OFFICERND_STORE_PATH`.
#[test]
fn cache_dir_flag_means_the_file_store() {
    let server = mock();
    let dir = CacheDir::new("cache-dir-flag");
    let tokens = twice(|| {
        let mut c = cli(&server, &dir.arg(), DEMO_CLIENT_SECRET);
        c.env("OFFICERND_STORE", "memory");
        c
    });
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(server.token_requests(), 1);
    assert!(dir.path().is_dir());

    let other = CacheDir::new("store-file-flag");
    let tokens = twice(|| {
        let mut c = cli(&server, &["--store", "file"], DEMO_CLIENT_SECRET);
        c.env("OFFICERND_STORE_PATH", other.path());
        c
    });
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(
        server.token_requests(),
        2,
        "one more token, in the other directory"
    );
    assert!(other.path().is_dir());
}

/// `OFFICERND_SCOPES=` asks for no scope (the application's default), like the library.
#[test]
fn empty_scopes_ask_for_the_default() {
    let server = mock();
    let mut c = cli(&server, &["--no-cache", "--json"], DEMO_CLIENT_SECRET);
    c.env("OFFICERND_SCOPES", "");
    let out = output(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scope"], DEMO_SCOPES.join(" "));
    let form = server.last_request_form().unwrap();
    assert!(
        form.iter().all(|(k, _)| k != "scope"),
        "{:?}",
        form.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
}

/// `OFFICERND_CLIENT_ID=` is reported as the missing variable it is, not as an empty id.
#[test]
fn empty_client_id_is_unset() {
    let server = mock();
    let mut c = cli(&server, &["--no-cache"], DEMO_CLIENT_SECRET);
    c.env("OFFICERND_CLIENT_ID", "");
    let out = output(c);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OFFICERND_CLIENT_ID: environment variable is not set"),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.token_requests(), 0);
}
