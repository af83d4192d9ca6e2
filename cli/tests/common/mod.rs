//! Running the CLI as separate processes against the mock, for the multi-process tests.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub use officernd_auth_testkit::{
    App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SCOPES, Fault, MockConfig, MockServer,
    RedisServer,
};

/// `officernd-auth token <args>` for the mock's demo app, with only the variables it sets.
pub fn cli(server: &MockServer, args: &[&str], secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_officernd-auth"));
    c.arg("token")
        .args(args)
        .env_clear()
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", secret)
        .env("OFFICERND_SCOPES", "officernd.api.read")
        .env("OFFICERND_TOKEN_URL", server.token_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Windows cannot start its network stack without SystemRoot.
    #[cfg(windows)]
    if let Some(root) = std::env::var_os("SystemRoot") {
        c.env("SystemRoot", root);
    }
    c
}

/// Points the CLI's default store directory under `base` (the variable the platform's default
/// comes from) and returns that directory: `$XDG_CACHE_HOME/officernd-auth`,
/// `$HOME/Library/Caches/officernd-auth` on macOS, `%LOCALAPPDATA%\officernd-auth` on Windows.
pub fn default_store_under(c: &mut Command, base: &Path) -> PathBuf {
    if cfg!(windows) {
        c.env("LOCALAPPDATA", base);
        base.join("officernd-auth")
    } else if cfg!(target_vendor = "apple") {
        c.env("HOME", base);
        base.join("Library/Caches/officernd-auth")
    } else {
        c.env("XDG_CACHE_HOME", base);
        base.join("officernd-auth")
    }
}

/// Starts `n` processes at once and collects their outputs.
pub fn run_all(n: usize, mut make: impl FnMut() -> Command) -> Vec<Output> {
    let children: Vec<Child> = (0..n).map(|_| make().spawn().unwrap()).collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

/// The printed tokens, asserting every process succeeded.
pub fn tokens(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        })
        .collect()
}

/// Every process ended with `oauth` (4) or `rate_limited` (5), never showing `secret`.
pub fn assert_refused(outs: &[Output], secret: &str) {
    for o in outs {
        let code = o.status.code();
        assert!(
            code == Some(4) || code == Some(5),
            "oauth or rate_limited, got {code:?}"
        );
        assert!(!String::from_utf8_lossy(&o.stderr).contains(secret));
    }
}

pub fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

/// A directory of its own (a cache directory, a place for secret files), removed after the test.
/// Not created: tests check whether a run created it.
pub struct CacheDir(PathBuf);

impl CacheDir {
    pub fn new(name: &str) -> CacheDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        CacheDir(std::env::temp_dir().join(format!(
            "officernd-cli-{name}-{}-{nanos:x}",
            std::process::id()
        )))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> [&str; 2] {
        ["--cache-dir", self.0.to_str().unwrap()]
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
