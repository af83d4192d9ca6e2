//! The file store's locks against real processes that hold them and never let go: a process
//! stopped with SIGSTOP, or one that sleeps forever, while holding the budget lock or a key's
//! fetch lock. The promises under test:
//!
//! - no `token()` call waits past its deadline for a lock another process holds;
//! - a fetch lock expires after the TTL its holder took it with: another process then fetches,
//!   and only one of several waiting processes does (the mock sees exactly one request).
//!
//! - two processes asking at once on an empty store send one request between them.
//!
//! The holders and the waiting processes are this test binary run again (`--exact
//! lock_holder` / `waiter`), settings in the environment; the parent waits for a holder's `HELD`
//! line on its stdout before going on, never for a fixed time.
//!
//! The same on Windows (where `File::lock` is `LockFileEx`), except that Windows has no
//! SIGSTOP: there a "stopped" holder is one that sleeps forever holding the lock, which is all
//! the lock can see of it.

#[path = "common/store_files.rs"]
mod store_files;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use officernd_auth::{FileStore, TokenClient, TokenStore};
use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, MockConfig, MockServer};
use serde_json::{Value, json};
use store_files::{Paths, StoreDir, bounded};

const SCOPES: &str = "officernd.api.read";
/// The waiting clients' timeout (their deadline).
const TIMEOUT: Duration = Duration::from_secs(2);
/// What a call may take beyond its deadline before it counts as waiting past it.
const SLACK: Duration = Duration::from_millis(500);
/// How long the parent waits for a call that should have ended before it frees the lock
/// itself (by killing the holder), so that a broken client fails the test instead of hanging it.
const WATCHDOG: Duration = Duration::from_secs(8);

fn client(server_url: &str, dir: &Path) -> TokenClient {
    TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes([SCOPES])
        .token_url(server_url)
        .timeout(TIMEOUT)
        .share_cache(false)
        .store(Arc::new(FileStore::new(dir).expect("store dir")) as Arc<dyn TokenStore>)
        .build()
        .expect("client settings")
}

fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).expect("mock starts")
}

// ---------------------------------------------------------------------------------------------
// Child processes: this binary again.

/// Not a test of its own: a process that takes a lock and never lets go (returns at once
/// unless `HOLDER` is set). `HOLDER=flock`: a plain `flock` on `HOLDER_PATH`, as a process in
/// the middle of a budget update holds it. `HOLDER=fetch-lock`: the store's fetch lock for the
/// demo configuration in `HOLDER_DIR`, taken with a TTL of `HOLDER_TTL_MS`. Prints `HELD` once
/// it holds the lock, then sleeps forever.
#[test]
fn lock_holder() {
    let Ok(mode) = std::env::var("HOLDER") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    match mode.as_str() {
        "flock" => {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(var("HOLDER_PATH"))
                .expect("open the lock file");
            f.lock().expect("flock");
            keep.push(Box::new(f));
        }
        "fetch-lock" => {
            let dir = var("HOLDER_DIR");
            let store = FileStore::new(&dir).expect("store");
            let paths = Paths::new(
                Path::new(&dir),
                &var("HOLDER_URL"),
                DEMO_CLIENT_ID,
                DEMO_CLIENT_SECRET,
                SCOPES,
            );
            let ttl = Duration::from_millis(var("HOLDER_TTL_MS").parse().unwrap());
            let soon = Instant::now() + Duration::from_secs(5);
            let lock = store
                .lock(&paths.key, ttl, soon, soon)
                .expect("lock")
                .expect("the fetch lock is free");
            keep.push(Box::new(lock));
            keep.push(Box::new(store));
        }
        other => panic!("HOLDER={other}"),
    }
    println!("\nHELD");
    loop {
        std::thread::park();
    }
}

/// Not a test of its own: a process that asks for a token once (returns at once unless
/// `WAITER` is set) and prints `RESULT {"ok":…,"code":…,"ms":…}`.
#[test]
fn waiter() {
    let Ok(dir) = std::env::var("WAITER") else {
        return;
    };
    let url = std::env::var("WAITER_URL").expect("WAITER_URL");
    let c = client(&url, Path::new(&dir));
    let start = Instant::now();
    let r = c.token();
    // Which token, without printing it.
    let token_hash = r.as_ref().ok().map(|t| {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        t.access_token().hash(&mut h);
        format!("{:016x}", h.finish())
    });
    let result = json!({
        "ok": r.is_ok(),
        "token_hash": token_hash,
        "code": r.as_ref().err().map(|e| e.code()),
        "error": r.as_ref().err().map(|e| e.to_string()),
        "ms": start.elapsed().as_millis() as u64,
    });
    println!("\nRESULT {result}");
}

/// A child process of this binary, killed (even when stopped) on drop.
struct Proc {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Proc {
    fn spawn(test: &str, env: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn a child");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Proc { child, stdout }
    }

    /// The rest of the first line starting with `prefix`; panics with the child's stderr if it
    /// ends without printing one.
    fn line(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            if self
                .stdout
                .read_line(&mut line)
                .expect("read a child's stdout")
                == 0
            {
                let mut err = String::new();
                let _ = self.child.wait();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("child ended without printing {prefix:?}; stderr:\n{err}");
            }
            if let Some(rest) = line.trim_end().strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    /// Stops the child (SIGSTOP). Windows has no such signal: there the holder keeps sleeping
    /// with the lock held, which is what every lock in the store sees of a stopped process.
    fn stop(&self) {
        #[cfg(unix)]
        {
            // SAFETY: kill has no memory preconditions; the pid is our own live child.
            let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGSTOP) };
            assert_eq!(rc, 0, "kill(SIGSTOP)");
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn holder(env: &[(&str, &str)]) -> Proc {
    let mut p = Proc::spawn("lock_holder", env);
    p.line("HELD");
    p
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

/// A process stopped (SIGSTOP) while it holds the budget lock: the next `token()` that needs a
/// request gives up on the lock at its deadline — an outage of the store, so the outage budget
/// answers (`rate_limited`, nothing sent) — instead of waiting for the holder.
#[test]
fn a_stopped_holder_of_the_budget_lock_delays_no_call_past_its_deadline() {
    let server = mock();
    let dir = StoreDir::new("budget-lock-held");
    let paths = Paths::new(
        &dir.path,
        &server.token_url(),
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        SCOPES,
    );
    let first = client(&server.token_url(), &dir.path);
    let t = first.token().expect("first token");
    assert!(
        paths.budget_lock.exists(),
        "the budget lock file is where expected"
    );
    first.invalidate(&t);
    assert!(!paths.token.exists(), "nothing left to adopt");

    let held = holder(&[
        ("HOLDER", "flock"),
        ("HOLDER_PATH", paths.budget_lock.to_str().unwrap()),
    ]);
    held.stop();

    let c = client(&server.token_url(), &dir.path);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        let r = c.token();
        let _ = tx.send((r, start.elapsed()));
    });
    let (r, took) = match rx.recv_timeout(WATCHDOG) {
        Ok(v) => v,
        Err(_) => {
            drop(held); // frees the lock, so the stuck call ends and is measured
            rx.recv().expect("the call ends once the holder is gone")
        }
    };
    assert!(
        took <= TIMEOUT + SLACK,
        "token() with a {TIMEOUT:?} timeout returned after {took:?} ({r:?})"
    );
    let e = r.expect_err("no slot without the budget lock");
    assert_eq!(e.code(), "rate_limited", "{e}");
    assert!(
        e.to_string().contains("store"),
        "the refusal names the store outage: {e}"
    );
    assert_eq!(server.token_requests(), 1, "nothing sent without a slot");
}

/// A live process that holds a key's fetch lock and sleeps forever: once the TTL it took the
/// lock with has passed, exactly one of three waiting processes fetches, the others adopt its
/// token, and all of them get it within their timeout.
#[test]
fn a_fetch_lock_held_by_a_sleeping_process_expires_after_its_ttl() {
    let server = mock();
    let dir = StoreDir::new("fetch-lock-sleeper");
    let url = server.token_url();
    let dir_s = dir.path.to_str().unwrap();
    let _held = holder(&[
        ("HOLDER", "fetch-lock"),
        ("HOLDER_DIR", dir_s),
        ("HOLDER_URL", &url),
        ("HOLDER_TTL_MS", "500"),
    ]);
    let mut waiters: Vec<Proc> = (0..3)
        .map(|_| Proc::spawn("waiter", &[("WAITER", dir_s), ("WAITER_URL", &url)]))
        .collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        let r: Value = serde_json::from_str(&w.line("RESULT ")).expect("result json");
        assert_eq!(r["ok"], true, "waiter {i}: {r}");
        let ms = r["ms"].as_u64().unwrap();
        assert!(
            Duration::from_millis(ms) <= TIMEOUT,
            "waiter {i} took {ms} ms"
        );
    }
    assert_eq!(
        server.token_requests(),
        1,
        "exactly one waiter fetched after the holder's TTL"
    );
}

/// The same with a holder stopped by SIGSTOP, and the waiting client in this process.
#[test]
fn a_fetch_lock_held_by_a_stopped_process_expires_after_its_ttl() {
    let server = mock();
    let dir = StoreDir::new("fetch-lock-stopped");
    let url = server.token_url();
    let held = holder(&[
        ("HOLDER", "fetch-lock"),
        ("HOLDER_DIR", dir.path.to_str().unwrap()),
        ("HOLDER_URL", &url),
        ("HOLDER_TTL_MS", "300"),
    ]);
    held.stop();
    let c = client(&url, &dir.path);
    let (r, took) = bounded(
        WATCHDOG,
        "token() behind a stopped lock holder",
        move || c.token(),
    );
    let t = r.expect("a token once the holder's TTL passed");
    assert!(took <= TIMEOUT, "took {took:?}");
    assert_eq!(server.token_requests(), 1);
    // The token is in the store for the others.
    let again = client(&url, &dir.path).token().unwrap();
    assert_eq!(again, t);
    assert_eq!(server.token_requests(), 1);
    drop(held);
}

/// Two processes (this binary twice) asking for a token at once on an empty store: one
/// request between them, and both get the same token (one fetches, the other waits for the
/// fetch lock and adopts it).
#[test]
fn two_processes_on_an_empty_store_send_one_request() {
    let server = mock();
    let dir = StoreDir::new("two-processes");
    let url = server.token_url();
    let dir_s = dir.path.to_str().unwrap();
    // A slow answer keeps the first fetch in flight while the other process asks.
    server.push_fault(officernd_auth_testkit::Fault::Delay(Duration::from_millis(
        500,
    )));
    let mut waiters: Vec<Proc> = (0..2)
        .map(|_| Proc::spawn("waiter", &[("WAITER", dir_s), ("WAITER_URL", &url)]))
        .collect();
    let results: Vec<Value> = waiters
        .iter_mut()
        .map(|w| serde_json::from_str(&w.line("RESULT ")).expect("result json"))
        .collect();
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["ok"], true, "process {i}: {r}");
    }
    assert_eq!(
        results[0]["token_hash"], results[1]["token_hash"],
        "one token for both"
    );
    assert_eq!(server.token_requests(), 1, "one request for two processes");
}
