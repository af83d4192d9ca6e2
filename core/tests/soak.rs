//! Real-process fault soaks. Four worker processes (this test binary run again as
//! `soak_worker`), four threads each, ask one mock identity server for tokens through a shared
//! store while the parent injects server faults (5xx with and without `Retry-After`, 429 with
//! and without it, requests that arrive late) and breaks the store mid-run. Then the promise is
//! checked as the server sees it:
//!
//! - never more than `max_requests` token requests *arriving* in any rolling window, across all
//!   processes, under any fault (`MockServer::max_in_window`);
//! - never a token handed out with less than `min_validity` left (the freshness soaks);
//! - no `token()` call longer than its timeout + 1 s, and every worker exits 0 with its summary
//!   (a worker still running 10 s after its run should have ended is killed: "worker hung");
//! - per store outage, at most one store-outage warning and one "answering again" line per worker
//!   (none without an outage): a directory that reads but refuses writes is one outage, not a
//!   health flag flapping on every read (only a write that succeeded ends it).
//!
//! Every test has its own mock (so its own rate limiter), store directory or Redis, and seed.
//! Sleeps here only move a scenario along its timeline; nothing waits on one for correctness.
#![cfg(unix)]

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use officernd_auth::TokenClient;
use officernd_auth_testkit::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, MockConfig, MockServer, RateLimit,
};
use serde_json::{Value, json};

/// The server's limit and the clients' budget: 5 requests per rolling window, as OfficeRnD, on a
/// shorter window so a run crosses several of them.
const MAX_REQUESTS: u32 = 5;
const WINDOW: Duration = Duration::from_secs(4);
const TIMEOUT: Duration = Duration::from_millis(1500);
const WORKERS: usize = 4;
const THREADS: usize = 4;
/// A `token()` call may take its timeout plus this before it counts as a hang.
const CALL_SLACK: Duration = Duration::from_secs(1);
/// A worker still running this long after its run should have ended is killed: "worker hung".
const HANG_BOUND: Duration = Duration::from_secs(10);
/// How long the workers of an outage soak run (see `fault_soak`).
const OUTAGE_RUN: Duration = Duration::from_secs(22);
/// `expires_in` is read right after `token()` returns; this much measuring slack is allowed.
const EXPIRY_SLACK: Duration = Duration::from_millis(50);
/// Workers run as this user when the tests run as root, so a `0500` store directory really is
/// read-only to them (root ignores permission bits).
const UNPRIVILEGED: u32 = 65534;

// ---------------------------------------------------------------------------------------------
// The worker: this binary again, `--exact soak_worker`, settings in the environment.

/// What one worker process does, passed through `SOAK_*` environment variables.
#[derive(Clone, Debug)]
struct WorkerSettings {
    token_url: String,
    /// `file` or a `redis://` URL.
    store: String,
    store_path: Option<PathBuf>,
    threads: usize,
    run: Duration,
    max_requests: u32,
    window: Duration,
    timeout: Duration,
    min_validity: Option<Duration>,
    refresh_ahead: Option<Duration>,
    /// Chance (percent) that a thread invalidates the token it got, to create demand.
    invalidate_pct: u32,
    /// Mean pause between two calls of one thread (jittered ±50 %).
    pause: Duration,
    seed: u64,
}

impl WorkerSettings {
    fn for_server(server: &MockServer, store: &str, store_path: Option<&Path>, seed: u64) -> Self {
        WorkerSettings {
            token_url: server.token_url(),
            store: store.to_owned(),
            store_path: store_path.map(Path::to_path_buf),
            threads: THREADS,
            run: Duration::from_secs(14),
            max_requests: MAX_REQUESTS,
            window: WINDOW,
            timeout: TIMEOUT,
            min_validity: None,
            refresh_ahead: None,
            invalidate_pct: 30,
            pause: Duration::from_millis(20),
            seed,
        }
    }

    fn apply(&self, cmd: &mut Command) {
        let ms = |d: Duration| d.as_millis().to_string();
        cmd.env("SOAK_WORKER", "1")
            .env("SOAK_TOKEN_URL", &self.token_url)
            .env("SOAK_STORE", &self.store)
            .env("SOAK_THREADS", self.threads.to_string())
            .env("SOAK_RUN_MS", ms(self.run))
            .env("SOAK_MAX_REQUESTS", self.max_requests.to_string())
            .env("SOAK_WINDOW_MS", ms(self.window))
            .env("SOAK_TIMEOUT_MS", ms(self.timeout))
            .env("SOAK_INVALIDATE_PCT", self.invalidate_pct.to_string())
            .env("SOAK_PAUSE_MS", ms(self.pause))
            .env("SOAK_SEED", self.seed.to_string());
        if let Some(p) = &self.store_path {
            cmd.env("SOAK_STORE_PATH", p);
        }
        if let Some(d) = self.min_validity {
            cmd.env("SOAK_MIN_VALIDITY_MS", ms(d));
        }
        if let Some(d) = self.refresh_ahead {
            cmd.env("SOAK_REFRESH_AHEAD_MS", ms(d));
        }
    }

    fn from_env() -> Self {
        fn var(name: &str) -> Option<String> {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        }
        fn num(name: &str) -> u64 {
            let v = var(name).unwrap_or_else(|| panic!("{name} is not set"));
            v.parse().unwrap_or_else(|e| panic!("{name}={v:?}: {e}"))
        }
        let ms = |name: &str| Duration::from_millis(num(name));
        let opt_ms = |name: &str| var(name).map(|_| ms(name));
        WorkerSettings {
            token_url: var("SOAK_TOKEN_URL").expect("SOAK_TOKEN_URL"),
            store: var("SOAK_STORE").expect("SOAK_STORE"),
            store_path: var("SOAK_STORE_PATH").map(PathBuf::from),
            threads: num("SOAK_THREADS") as usize,
            run: ms("SOAK_RUN_MS"),
            max_requests: num("SOAK_MAX_REQUESTS") as u32,
            window: ms("SOAK_WINDOW_MS"),
            timeout: ms("SOAK_TIMEOUT_MS"),
            min_validity: opt_ms("SOAK_MIN_VALIDITY_MS"),
            refresh_ahead: opt_ms("SOAK_REFRESH_AHEAD_MS"),
            invalidate_pct: num("SOAK_INVALIDATE_PCT") as u32,
            pause: ms("SOAK_PAUSE_MS"),
            seed: num("SOAK_SEED"),
        }
    }

    fn client(&self) -> TokenClient {
        let mut b = TokenClient::builder()
            .client_id(DEMO_CLIENT_ID)
            .client_secret(DEMO_CLIENT_SECRET)
            .scopes(["officernd.api.read"])
            .token_url(&self.token_url)
            .timeout(self.timeout)
            .max_requests(self.max_requests)
            .quota_window(self.window);
        if let Some(d) = self.min_validity {
            b = b.min_validity(d);
        }
        if let Some(d) = self.refresh_ahead {
            b = b.refresh_ahead(d);
        }
        b.store_spec(&self.store, self.store_path.as_deref())
            .expect("store settings")
            .build()
            .expect("client settings")
    }
}

/// How the client reports a store outage starting (a warning ending so) and ending (this info
/// line): once each per outage, through the log, never through `token()`.
const STORE_OUTAGE_WARNING_END: &str = "(store errors are not repeated until it recovers)";
const STORE_RECOVERY: &str = "token store is answering again";

/// Counts the client's warnings (a store outage is reported through the log, not `token()`), so
/// the parent can tell a fault that really happened from a harness that broke nothing, and its
/// store-outage warnings and "answering again" lines, so that it can tell one outage reported
/// once from a health flag that flaps.
struct WarningCounter {
    count: AtomicU64,
    samples: Mutex<Vec<String>>,
    /// `W` per store-outage warning, `R` per "answering again" line, in the order logged.
    store_events: Mutex<String>,
}

impl log::Log for WarningCounter {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Info
    }
    fn log(&self, r: &log::Record) {
        if r.level() <= log::Level::Warn {
            self.count.fetch_add(1, Ordering::Relaxed);
            let text = r.args().to_string();
            if text.ends_with(STORE_OUTAGE_WARNING_END) {
                self.event('W');
            }
            let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
            if samples.len() < 3 {
                samples.push(text);
            }
        } else if r.args().as_str() == Some(STORE_RECOVERY) {
            self.event('R');
        }
    }
    fn flush(&self) {}
}

impl WarningCounter {
    fn event(&self, kind: char) {
        self.store_events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(kind);
    }
}

static WARNINGS: WarningCounter = WarningCounter {
    count: AtomicU64::new(0),
    samples: Mutex::new(Vec::new()),
    store_events: Mutex::new(String::new()),
};

/// What one thread saw.
#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    invalidated: u64,
    errors: BTreeMap<String, u64>,
    first_errors: BTreeMap<String, String>,
    min_expires_in: Option<Duration>,
    max_call: Duration,
    tokens: HashSet<String>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.calls += o.calls;
        self.ok += o.ok;
        self.invalidated += o.invalidated;
        for (code, n) in o.errors {
            *self.errors.entry(code).or_default() += n;
        }
        for (code, msg) in o.first_errors {
            self.first_errors.entry(code).or_insert(msg);
        }
        self.min_expires_in = match (self.min_expires_in, o.min_expires_in) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_call = self.max_call.max(o.max_call);
        self.tokens.extend(o.tokens);
    }
}

fn work(client: &TokenClient, s: &WorkerSettings, seed: u64, end: Instant) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut t = Tally::default();
    let pause_ms = s.pause.as_millis() as u64;
    while Instant::now() < end {
        let started = Instant::now();
        let result = client.token();
        let returned = Instant::now();
        t.calls += 1;
        t.max_call = t.max_call.max(returned - started);
        match result {
            Ok(token) => {
                t.ok += 1;
                let left = token.expires_in_at(returned);
                t.min_expires_in = Some(t.min_expires_in.map_or(left, |m| m.min(left)));
                t.tokens.insert(token.access_token().to_owned());
                if rng.u32(..100) < s.invalidate_pct {
                    client.invalidate(&token);
                    t.invalidated += 1;
                }
            }
            Err(e) => {
                let code = e.code().to_owned();
                *t.errors.entry(code.clone()).or_default() += 1;
                t.first_errors.entry(code).or_insert_with(|| e.to_string());
            }
        }
        std::thread::sleep(Duration::from_millis(
            rng.u64(pause_ms / 2..=pause_ms * 3 / 2),
        ));
    }
    t
}

/// Not a test of its own: the body of a worker process (returns at once unless `SOAK_WORKER`
/// is set). Prints one `SOAK {json}` line.
#[test]
fn soak_worker() {
    if std::env::var_os("SOAK_WORKER").is_none() {
        return;
    }
    let s = WorkerSettings::from_env();
    let _ = log::set_logger(&WARNINGS);
    log::set_max_level(log::LevelFilter::Info);
    let client = s.client();
    let end = Instant::now() + s.run;
    let tally = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..s.threads)
            .map(|i| {
                let (client, s) = (&client, &s);
                scope.spawn(move || {
                    work(
                        client,
                        s,
                        s.seed.wrapping_mul(31).wrapping_add(i as u64),
                        end,
                    )
                })
            })
            .collect();
        let mut all = Tally::default();
        for t in threads {
            all.merge(t.join().expect("worker thread panicked"));
        }
        all
    });
    let summary = json!({
        "calls": tally.calls,
        "ok": tally.ok,
        "invalidated": tally.invalidated,
        "errors": tally.errors,
        "first_errors": tally.first_errors,
        "min_expires_in_ms": tally.min_expires_in.map(|d| d.as_millis() as u64),
        "max_call_ms": tally.max_call.as_millis() as u64,
        "distinct_tokens": tally.tokens.len(),
        // Short prefixes of the mock's random tokens, so the parent can tell which tokens were
        // shared between processes (adopted from the store) without seeing a whole one.
        "token_prefixes": tally.tokens.iter().map(|t| &t[..t.len().min(8)]).collect::<Vec<_>>(),
        "warnings": WARNINGS.count.load(Ordering::Relaxed),
        "warning_samples": *WARNINGS.samples.lock().unwrap_or_else(|e| e.into_inner()),
        "store_events": *WARNINGS.store_events.lock().unwrap_or_else(|e| e.into_inner()),
    });
    // On a line of its own: libtest has already printed `test soak_worker ... ` without a newline.
    println!("\nSOAK {summary}");
}

// ---------------------------------------------------------------------------------------------
// The parent: spawn, wait with a hard bound, check.

struct Running {
    index: usize,
    child: Child,
    ends_at: Instant,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

/// A scenario that panics half-way does not leave its workers behind.
impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

struct Finished {
    index: usize,
    status: Option<ExitStatus>,
    hung: bool,
    summary: Option<Value>,
    stderr: String,
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = r.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn spawn_worker(index: usize, s: &WorkerSettings, uid: Option<u32>) -> Running {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = Command::new(&exe);
    cmd.args(["--exact", "soak_worker", "--nocapture", "--test-threads=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut s = s.clone();
    s.seed = s.seed.wrapping_add(index as u64);
    s.apply(&mut cmd);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot start worker {index} ({}) as uid {uid:?}: {e} \
             (running as another user needs the test binary to be executable by it)",
            exe.display()
        )
    });
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    Running {
        index,
        child,
        ends_at: Instant::now() + s.run,
        stdout: Some(stdout),
        stderr: Some(stderr),
    }
}

/// Waits for every worker; one still running [`HANG_BOUND`] after its run should have ended is
/// killed and reported as hung.
fn finish(workers: Vec<Running>) -> Vec<Finished> {
    workers
        .into_iter()
        .map(|mut w| {
            let bound = w.ends_at + HANG_BOUND;
            let (status, hung) = loop {
                match w.child.try_wait().expect("wait for a worker") {
                    Some(status) => break (Some(status), false),
                    None if Instant::now() >= bound => {
                        let _ = w.child.kill();
                        let _ = w.child.wait();
                        break (None, true);
                    }
                    None => std::thread::sleep(Duration::from_millis(20)),
                }
            };
            let join = |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok());
            let stdout = join(w.stdout.take()).unwrap_or_default();
            let stderr = join(w.stderr.take()).unwrap_or_default();
            let summary = stdout
                .lines()
                .find_map(|l| l.find("SOAK {").map(|at| &l[at + 5..]))
                .and_then(|j| serde_json::from_str(j).ok());
            Finished {
                index: w.index,
                status,
                hung,
                summary,
                stderr,
            }
        })
        .collect()
}

/// The figures of a run and every broken promise; prints the figures, then fails listing what
/// broke.
struct Check<'a> {
    name: &'a str,
    server: &'a MockServer,
    seed: u64,
    timeout: Duration,
    /// Also check `min_expires_in >= min_validity` (the freshness soaks).
    min_validity: Option<Duration>,
    /// How many times the scenario broke the store. At least one worker must have logged a
    /// store-outage warning for it, otherwise the harness, not the client, failed to break
    /// anything; and no worker may log more store-outage warnings, or "answering again" lines,
    /// than there were outages: with a directory that reads but refuses writes, the health flag
    /// must not flap (only a write that succeeded ends an outage).
    outages: u64,
    /// Token requests that reached the server while the store was down: at least one, or the
    /// outage budget was never exercised.
    requests_in_outage: Option<u64>,
}

impl Check<'_> {
    fn run(&self, finished: &[Finished]) {
        let max_in_window = self.server.max_in_window(WINDOW);
        let arrivals = self.server.token_request_arrivals();
        let mut violations: Vec<String> = Vec::new();
        let mut harness: Vec<String> = Vec::new();
        let mut report = String::new();
        let _ = writeln!(
            report,
            "{}: max_in_window({:?}) = {max_in_window} (limit {MAX_REQUESTS}), token requests {}, \
             tokens issued {}, seed {}",
            self.name,
            WINDOW,
            self.server.token_requests(),
            self.server.tokens_issued(),
            self.seed,
        );
        let _ = writeln!(report, "  densest window: {}", densest(&arrivals));
        let _ = writeln!(report, "  arrivals per second: {:?}", per_second(&arrivals));

        if max_in_window > u64::from(MAX_REQUESTS) {
            violations.push(format!(
                "max_in_window {max_in_window} > {MAX_REQUESTS}: the server saw {max_in_window} \
                 token requests arrive within {WINDOW:?}"
            ));
        }
        let mut min_expires: Option<u64> = None;
        let mut store_warnings = 0;
        let mut store_events: Vec<String> = Vec::new();
        let mut holders: BTreeMap<String, usize> = BTreeMap::new();
        for f in finished {
            let i = f.index;
            if f.hung {
                violations.push(format!(
                    "worker {i} hung: still running {HANG_BOUND:?} after its run ended (killed)"
                ));
            } else if !f.status.is_some_and(|s| s.success()) {
                violations.push(format!("worker {i} exited with {:?}", f.status));
            }
            let Some(s) = &f.summary else {
                violations.push(format!(
                    "worker {i} printed no summary; stderr: {}",
                    tail(&f.stderr)
                ));
                continue;
            };
            let _ = writeln!(report, "  worker {i}: {s}");
            let max_call = s["max_call_ms"].as_u64().unwrap_or(u64::MAX);
            let bound = (self.timeout + CALL_SLACK).as_millis() as u64;
            if max_call > bound {
                violations.push(format!(
                    "worker {i}: a token() call took {max_call} ms > timeout {} ms + 1 s",
                    self.timeout.as_millis()
                ));
            }
            if let Some(m) = s["min_expires_in_ms"].as_u64() {
                min_expires = Some(min_expires.map_or(m, |x| x.min(m)));
            }
            if s["calls"].as_u64() == Some(0) {
                harness.push(format!("worker {i} made no call at all"));
            }
            let events = s["store_events"].as_str().unwrap_or_default();
            let (down, up) = (events.matches('W').count(), events.matches('R').count());
            store_warnings += down;
            store_events.push(format!("{down}/{up}"));
            if down as u64 > self.outages || up as u64 > self.outages {
                violations.push(format!(
                    "worker {i} logged {down} store-outage warning(s) and {up} \"answering again\" \
                     line(s) ({events}) for {} outage(s): the store's health flag flapped",
                    self.outages
                ));
            }
            for p in s["token_prefixes"].as_array().into_iter().flatten() {
                *holders
                    .entry(p.as_str().unwrap_or_default().to_owned())
                    .or_default() += 1;
            }
        }
        let shared = holders.values().filter(|&&n| n > 1).count();
        let _ = writeln!(
            report,
            "  tokens handed out: {}, of which held by more than one worker (shared through the \
             store): {shared}",
            holders.len()
        );
        let _ = writeln!(
            report,
            "  min expires_in at hand-out: {} ms{}",
            min_expires.map_or("-".into(), |m| m.to_string()),
            self.min_validity.map_or(String::new(), |v| format!(
                " (min_validity {} ms)",
                v.as_millis()
            ))
        );
        if let Some(v) = self.min_validity {
            match min_expires {
                Some(m) if Duration::from_millis(m) + EXPIRY_SLACK < v => violations.push(format!(
                    "a token was handed out with {m} ms left < min_validity {} ms",
                    v.as_millis()
                )),
                Some(_) => {}
                None => harness.push("no worker got a single token".into()),
            }
        }
        if let Some(n) = self.requests_in_outage {
            let _ = writeln!(report, "  token requests while the store was down: {n}");
            if n == 0 {
                harness.push(
                    "no token request reached the server while the store was down: the outage \
                     budget was not exercised"
                        .into(),
                );
            }
        }
        let _ = writeln!(
            report,
            "  store-outage warnings / \"answering again\" lines per worker: {} ({} outage(s))",
            store_events.join(", "),
            self.outages
        );
        if self.outages > 0 && store_warnings == 0 {
            harness
                .push("no worker logged a store warning: the store outage did not happen".into());
        }
        eprintln!("{report}");
        assert!(
            harness.is_empty(),
            "{}: HARNESS problem (not a client verdict): {}\n{report}",
            self.name,
            harness.join("; ")
        );
        assert!(
            violations.is_empty(),
            "{}: {} promise(s) broken:\n  - {}\n{report}",
            self.name,
            violations.len(),
            violations.join("\n  - ")
        );
    }
}

/// How many token requests arrived in each second since the server started.
fn per_second(arrivals: &[Duration]) -> Vec<usize> {
    let mut counts = Vec::new();
    for a in arrivals {
        let s = a.as_secs() as usize;
        if counts.len() <= s {
            counts.resize(s + 1, 0);
        }
        counts[s] += 1;
    }
    counts
}

/// The arrivals (ms since the server started) of the window holding the most of them.
fn densest(arrivals: &[Duration]) -> String {
    let mut best = (0, 0);
    let mut first = 0;
    for (last, &t) in arrivals.iter().enumerate() {
        while t - arrivals[first] >= WINDOW {
            first += 1;
        }
        if last + 1 - first > best.1 - best.0 {
            best = (first, last + 1);
        }
    }
    let ms: Vec<String> = arrivals[best.0..best.1]
        .iter()
        .map(|d| d.as_millis().to_string())
        .collect();
    format!("[{}] ms", ms.join(", "))
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(2000);
    let start = (start..s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[start..]
}

fn mock(lifetime_secs: i64) -> MockServer {
    MockServer::start(MockConfig {
        rate_limit: Some(RateLimit {
            max_requests: MAX_REQUESTS,
            window: WINDOW,
        }),
        ..MockConfig::default().with_lifetime(lifetime_secs)
    })
    .expect("mock starts")
}

fn seed() -> u64 {
    fastrand::u64(..u64::MAX / 2)
}

/// Moves a scenario along its timeline: sleeps until `at` after `start`.
fn at(start: Instant, at: Duration) {
    std::thread::sleep((start + at).saturating_duration_since(Instant::now()));
}

// ---------------------------------------------------------------------------------------------
// The file store directory, owned by the workers' user.

/// `uid` the workers run as: an unprivileged one when we are root, otherwise ourselves.
fn worker_uid() -> Option<u32> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    (unsafe { libc::geteuid() } == 0).then_some(UNPRIVILEGED)
}

/// `<tmp>/officernd-soak-*/store`: the parent is world-traversable, the store `0700` and owned
/// by the workers' user. Removed on drop.
struct StoreDir {
    root: PathBuf,
    dir: PathBuf,
}

impl StoreDir {
    fn new(name: &str) -> StoreDir {
        let root = std::env::temp_dir().join(format!(
            "officernd-soak-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let dir = root.join("store");
        std::fs::create_dir_all(&dir).expect("create the store dir");
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        if let Some(uid) = worker_uid() {
            std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).expect("chown the store dir");
        }
        StoreDir { root, dir }
    }

    /// The directory goes read-only for the workers (reads work, every write fails) and the
    /// token it held is gone, as after a cleaner followed by a read-only remount: nobody can
    /// adopt a token or record a request in the shared budget until it is writable again.
    fn break_it(&self) {
        let (mut removed, mut kept) = (0, 0);
        for entry in std::fs::read_dir(&self.dir).expect("list the store") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "token") {
                std::fs::remove_file(&path).expect("remove the token file");
                removed += 1;
            } else {
                kept += 1;
            }
        }
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        eprintln!(
            "store {} is read-only now ({removed} token file(s) removed, {kept} lock and budget \
             file(s) kept)",
            self.dir.display()
        );
    }

    fn restore(&self) {
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

impl Drop for StoreDir {
    fn drop(&mut self) {
        let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

/// How the store is broken and mended mid-run.
trait Outage {
    fn start(&mut self);
    fn end(&mut self);
}

impl Outage for &StoreDir {
    fn start(&mut self) {
        self.break_it();
    }
    fn end(&mut self) {
        self.restore();
    }
}

#[cfg(feature = "redis")]
impl Outage for &mut officernd_auth_testkit::RedisServer {
    fn start(&mut self) {
        self.stop();
    }
    fn end(&mut self) {
        self.restart();
    }
}

/// No outage: the baseline.
impl Outage for () {
    fn start(&mut self) {}
    fn end(&mut self) {}
}

/// Four workers from the start, 30 % of tokens invalidated; server faults throughout; the store
/// down from 3 s to 15 s (when `faults`): three windows, so that the outage budget (its first
/// request a window and a margin after the outage starts, then one per window) sends while the
/// store is still down; the run ends 7 s after it comes back.
fn fault_soak(
    name: &str,
    server: &MockServer,
    settings: &WorkerSettings,
    uid: Option<u32>,
    mut outage: impl Outage,
    faults: bool,
) {
    let ms = Duration::from_millis;
    let mut requests_in_outage = None;
    if faults {
        // The very first request reaches the server late.
        server.push_fault(Fault::SlowArrival(ms(500)));
    }
    let start = Instant::now();
    let workers: Vec<Running> = (0..WORKERS)
        .map(|i| spawn_worker(i, settings, uid))
        .collect();
    if faults {
        at(start, ms(1500));
        server.push_faults([
            Fault::Status(500),
            Fault::StatusWithRetryAfter {
                status: 503,
                retry_after: "2".into(),
            },
            Fault::Status(502),
        ]);
        at(start, ms(3000));
        outage.start();
        let before = server.token_requests();
        at(start, ms(5000));
        server.push_faults([
            Fault::TooManyRequests {
                retry_after: Some("2".into()),
            },
            Fault::Status(503),
            Fault::SlowArrival(ms(500)),
        ]);
        at(start, ms(15000));
        outage.end();
        requests_in_outage = Some(server.token_requests() - before);
        at(start, ms(16000));
        server.push_faults([
            Fault::TooManyRequests { retry_after: None },
            Fault::StatusWithRetryAfter {
                status: 503,
                retry_after: "2".into(),
            },
            Fault::SlowArrival(ms(500)),
            Fault::Status(500),
        ]);
    }
    let finished = finish(workers);
    Check {
        name,
        server,
        seed: settings.seed,
        timeout: settings.timeout,
        min_validity: None,
        outages: u64::from(faults),
        requests_in_outage,
    }
    .run(&finished);
}

/// Tokens live 20 s; clients refresh 8 s ahead and never hand out less than 5 s. Workers start
/// at 0, 3, 6 and 9 s (the later ones adopt the token from the store, part-way through its
/// life) and all run until 24 s, across refresh points.
fn freshness_soak(name: &str, server: &MockServer, settings: &WorkerSettings, uid: Option<u32>) {
    let min_validity = Duration::from_secs(5);
    let mut s = settings.clone();
    s.min_validity = Some(min_validity);
    s.refresh_ahead = Some(Duration::from_secs(8));
    s.invalidate_pct = 0;
    let start = Instant::now();
    let end = Duration::from_secs(24);
    let workers: Vec<Running> = (0..WORKERS)
        .map(|i| {
            let begin = Duration::from_secs(3 * i as u64);
            at(start, begin);
            let mut s = s.clone();
            s.run = end - begin;
            spawn_worker(i, &s, uid)
        })
        .collect();
    let finished = finish(workers);
    Check {
        name,
        server,
        seed: settings.seed,
        timeout: settings.timeout,
        min_validity: Some(min_validity),
        outages: 0,
        requests_in_outage: None,
    }
    .run(&finished);
}

/// Harness sanity, expected to pass against any client that shares its token: no faults, no
/// invalidation, so four processes need one token between them.
#[test]
fn file_store_quiet_baseline() {
    let server = mock(3599);
    let dir = StoreDir::new("quiet");
    let mut s = WorkerSettings::for_server(&server, "file", Some(&dir.dir), seed());
    s.run = Duration::from_secs(6);
    s.invalidate_pct = 0;
    fault_soak("file quiet baseline", &server, &s, worker_uid(), (), false);
    assert_eq!(
        server.token_requests(),
        1,
        "four processes sharing a file store need one request"
    );
}

/// No fault at all, but demand far above the budget (30 % of tokens invalidated): the budget
/// alone must keep the server's count within the limit, also where one window ends and the
/// next begins.
#[test]
fn file_store_saturated_soak() {
    let server = mock(3599);
    let dir = StoreDir::new("saturated");
    let mut s = WorkerSettings::for_server(&server, "file", Some(&dir.dir), seed());
    s.run = Duration::from_secs(10);
    fault_soak(
        "file saturated soak (no faults)",
        &server,
        &s,
        worker_uid(),
        (),
        false,
    );
}

#[test]
fn file_store_outage_soak() {
    let server = mock(3599);
    let dir = StoreDir::new("outage");
    let mut s = WorkerSettings::for_server(&server, "file", Some(&dir.dir), seed());
    s.run = OUTAGE_RUN;
    fault_soak("file outage soak", &server, &s, worker_uid(), &dir, true);
}

#[test]
fn file_store_freshness_soak() {
    let server = mock(20);
    let dir = StoreDir::new("fresh");
    let s = WorkerSettings::for_server(&server, "file", Some(&dir.dir), seed());
    freshness_soak("file freshness soak", &server, &s, worker_uid());
}

#[cfg(feature = "redis")]
#[test]
fn redis_outage_soak() {
    let server = mock(3599);
    let mut redis = officernd_auth_testkit::RedisServer::start();
    let mut s = WorkerSettings::for_server(&server, &redis.url(), None, seed());
    s.run = OUTAGE_RUN;
    fault_soak("redis outage soak", &server, &s, None, &mut redis, true);
}

#[cfg(feature = "redis")]
#[test]
fn redis_freshness_soak() {
    let server = mock(20);
    let redis = officernd_auth_testkit::RedisServer::start();
    let s = WorkerSettings::for_server(&server, &redis.url(), None, seed());
    freshness_soak("redis freshness soak", &server, &s, None);
}
