//! Many processes, one token: the CLI shares its token and its request budget through the file
//! store, so concurrent and repeated runs ask the server once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, MockConfig, MockServer};

struct CacheDir(PathBuf);

impl CacheDir {
    fn new(name: &str) -> CacheDir {
        let d = std::env::temp_dir().join(format!(
            "officernd-cli-{name}-{}-{:x}",
            std::process::id(),
            unique()
        ));
        CacheDir(d)
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn cli(server: &MockServer, dir: &Path, secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_officernd-auth"));
    c.args(["token", "--cache-dir"])
        .arg(dir)
        .env_clear()
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", secret)
        .env("OFFICERND_SCOPES", "officernd.api.read")
        .env("OFFICERND_TOKEN_URL", server.token_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn spawn_all(n: usize, mut make: impl FnMut() -> Command) -> Vec<Output> {
    let children: Vec<Child> = (0..n).map(|_| make().spawn().unwrap()).collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

#[test]
fn sixteen_processes_on_an_empty_cache_send_one_request() {
    let server = mock();
    let dir = CacheDir::new("sixteen");
    // A slow answer keeps the first fetch in flight while the others start.
    server.push_fault(Fault::Delay(Duration::from_millis(500)));
    let outs = spawn_all(16, || cli(&server, &dir.0, DEMO_CLIENT_SECRET));
    let tokens: Vec<String> = outs
        .iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        })
        .collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
    assert_eq!(server.token_requests(), 1);
    // Later runs (a cron job, a loop) keep using it.
    let again = cli(&server, &dir.0, DEMO_CLIENT_SECRET).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), tokens[0]);
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_killed_lock_holder_does_not_block_the_others() {
    let server = mock();
    let dir = CacheDir::new("killed");
    server.push_fault(Fault::Delay(Duration::from_secs(30)));
    let mut holder = cli(&server, &dir.0, DEMO_CLIENT_SECRET).spawn().unwrap();
    // Once its request reached the server, the holder owns the fetch lock.
    while server.token_requests() < 1 {
        std::thread::yield_now();
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    let outs = spawn_all(4, || cli(&server, &dir.0, DEMO_CLIENT_SECRET));
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(
        server.token_requests() <= 2,
        "{} requests",
        server.token_requests()
    );
}

#[test]
fn twenty_processes_with_a_bad_secret_stay_within_the_budget() {
    let server = mock();
    let dir = CacheDir::new("budget");
    let outs = spawn_all(20, || cli(&server, &dir.0, "wrong-secret-value"));
    for o in &outs {
        let code = o.status.code();
        assert!(
            code == Some(4) || code == Some(5),
            "oauth or rate_limited, got {code:?}"
        );
        assert!(!String::from_utf8_lossy(&o.stderr).contains("wrong-secret-value"));
    }
    assert!(
        server.token_requests() <= 5,
        "the mock saw {} requests",
        server.token_requests()
    );
}

#[test]
fn no_cache_asks_every_time() {
    let server = mock();
    for _ in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_officernd-auth"))
            .args(["token", "--no-cache"])
            .env_clear()
            .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
            .env("OFFICERND_CLIENT_SECRET", DEMO_CLIENT_SECRET)
            .env("OFFICERND_TOKEN_URL", server.token_url())
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    assert_eq!(server.token_requests(), 2);
}
