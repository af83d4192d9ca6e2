//! The secrets promise, as a Rust application with a logger that takes every record of every
//! crate at TRACE (`env_logger` with `RUST_LOG=trace`) would see it: every fault the mock can
//! inject, through `token()`, `token_after_unauthorized()` and `invalidate()`, with the memory
//! store, a file store and Redis behind a password (plain and TLS). No log record, no error
//! (Display, Debug, `error_description`, `error_uri`…) and no Debug of the builder, settings,
//! client, token, stats or store carries the client secret, the Redis password or any whole access
//! token the mock issued, in any encoding (`support/leaks.rs`: raw, form-urlencoded,
//! percent-encoded, Debug- and JSON-escaped, hex, base64 at any alignment — so HTTP Basic's
//! `base64(id:secret)` too), not even split across records (ureq's protocol layer dumps the bytes
//! it sends and receives, 16 to a record: the dumps are joined and searched as one stream, both
//! their hex and their printable columns).
//!
//! The faults echo the secret back wherever an answer can carry it (the body, every error field,
//! headers such as `Location`, `Retry-After` and `Content-Type`); a token only where a token
//! belongs, in a 200 answer (a string in an error answer is not ours to recognise as a token).
//!
//! "Every fault" is checked twice: `made_up_token` matches `Fault` exhaustively (a new variant
//! does not compile until it is looked at), and the run fails unless each variant named in the
//! testkit's `faults.rs` has an instance in `every_fault`.
//!
//! Its own test binary: a process has one logger.

mod common;
#[path = "support/leaks.rs"]
mod leaks;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use officernd_auth::{FileStore, TokenClient, TokenStore};
use officernd_auth_testkit::App;
use serde_json::json;

/// `+ / = % & space`, non-ASCII: every character that encodes differently in each spelling.
const SECRET: &str = "Zq+8/x=y z%&k-caf\u{e9}-\u{5bc6}-0xC0FFEE";
const CLIENT_ID: &str = "trace-app";
const SCOPE: &str = "officernd.api.read";
/// Every call's timeout; [`every_fault`] has one delay shorter and one longer.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Every record, of every target, at every level — but the in-process mock's own, which
/// logs what the tests make it answer (the secret, on purpose).
struct Everything(Mutex<Vec<(String, String)>>);

impl log::Log for Everything {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.target().starts_with("officernd_auth_testkit") {
            return;
        }
        self.0
            .lock()
            .unwrap()
            .push((r.target().to_owned(), r.args().to_string()));
    }
    fn flush(&self) {}
}

static LOGS: Everything = Everything(Mutex::new(Vec::new()));

/// A byte-dump row (`7b22 6163 ... {"ac...`): its bytes, or `None` for any other record.
fn dump_row(msg: &str) -> Option<Vec<u8>> {
    let (hex_part, _) = msg.split_at_checked(40)?;
    let digits: String = hex_part.chars().filter(|c| *c != ' ').collect();
    if digits.len() != 32 || !digits.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    let digits = digits.trim_end_matches('-');
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

/// What the faults echo back.
struct Echo {
    /// The mock's base URL (a redirect's target).
    url: String,
    /// A whole access token the mock issued.
    access: String,
}

/// One instance (or several) of every variant of the mock's `Fault`, with every text a server
/// could answer made to carry the secret, as sent or re-encoded, and an issued token.
fn every_fault(echo: &Echo) -> Vec<Fault> {
    let form = leaks::form(SECRET);
    let access = &echo.access;
    let request_body = format!(
        "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={form}&scope={}",
        leaks::form(SCOPE)
    );
    let mut faults = vec![
        Fault::Delay(Duration::from_millis(100)),
        Fault::Delay(TIMEOUT + Duration::from_millis(200)),
        Fault::SlowArrival(Duration::from_millis(100)),
        Fault::Status(502),
        Fault::StatusWithRetryAfter {
            status: 503,
            retry_after: form.clone(),
        },
        Fault::StatusWithRetryAfter {
            status: 503,
            retry_after: "2".into(),
        },
        Fault::TooManyRequests { retry_after: None },
        Fault::TooManyRequests {
            retry_after: Some("2".into()),
        },
        Fault::TooManyRequests {
            retry_after: Some(form.clone()),
        },
        Fault::MalformedJson,
        Fault::HtmlPage,
        Fault::OversizedBody(100_000),
        Fault::OversizedBody(200),
        Fault::WrongTokenType,
        Fault::MissingAccessToken,
        Fault::EmptyAccessToken,
        Fault::TokenWithNewline,
        Fault::ConnectionReset,
        Fault::Redirect(format!("{}/?client_secret={form}", echo.url)),
        // The whole request body echoed back, as some servers do in their error description.
        Fault::OAuthError {
            status: 400,
            error: "invalid_request".into(),
            description: Some(format!("cannot parse {request_body}")),
        },
        // An unregistered error code carrying it.
        Fault::OAuthError {
            status: 400,
            error: format!("bad_secret_{form}"),
            description: None,
        },
        Fault::RawBody {
            status: 401,
            content_type: Some("application/json".into()),
            headers: vec![],
            body: json!({
                "error": "invalid_client",
                "error_description": SECRET,
                "error_uri": format!("https://id.example/e?client_secret={form}"),
            })
            .to_string()
            .into_bytes(),
        },
        Fault::RawBody {
            status: 400,
            content_type: Some("text/plain".into()),
            headers: vec![],
            body: format!("you sent {SECRET}").into_bytes(),
        },
        Fault::RawBody {
            status: 503,
            content_type: Some(format!("text/plain; echo={form}")),
            headers: vec![("retry-after".into(), form.clone())],
            body: request_body.clone().into_bytes(),
        },
        // Successes carrying an issued token (a token in an error answer is not ours to
        // recognise: only 200 answers carry tokens), one as HTML, one that is not UTF-8.
        Fault::RawBody {
            status: 200,
            content_type: Some(format!("text/html; echo={form}")),
            headers: vec![],
            body: json!({"access_token": access, "token_type": "Bearer", "expires_in": 3599})
                .to_string()
                .into_bytes(),
        },
        Fault::RawBody {
            status: 200,
            content_type: Some("application/json".into()),
            headers: vec![],
            body: [
                format!(r#"{{"access_token":"{access}","token_type":"Bearer","note":"{SECRET}"#)
                    .as_bytes(),
                b"\xff\"}",
            ]
            .concat(),
        },
    ];
    for value in [
        json!("x"),
        json!(null),
        json!(-5),
        json!(0),
        json!(1e300),
        json!("3599"),
        json!(3_153_600_000u64),
    ] {
        faults.push(Fault::ExpiresIn(value));
    }
    // Each spelling a server may echo back, in an error description.
    for echoed in leaks::spellings(SECRET) {
        faults.push(Fault::OAuthError {
            status: 401,
            error: "invalid_client".into(),
            description: Some(format!("client_secret={echoed} is not valid")),
        });
    }
    faults
}

/// The access token of a made-up answer (one that is neither issued by the mock, so not in
/// `MockServer::issued_tokens`, nor put there by this test), by fault. Exhaustive on purpose: a
/// new variant does not compile until it is listed here — and given an instance in
/// [`every_fault`], which the test checks.
fn made_up_token(fault: &Fault) -> Option<String> {
    match fault {
        Fault::MalformedJson => Some("eyJhbGciOi".into()),
        Fault::OversizedBody(_) => Some("x".repeat(48)),
        Fault::TokenWithNewline => Some("mock-token-part-one\r\nX-Injected: yes".into()),
        // Issued for real, or none at all.
        Fault::WrongTokenType
        | Fault::ExpiresIn(_)
        | Fault::MissingAccessToken
        | Fault::EmptyAccessToken => None,
        // Normal answers after a while, or no success: whatever they carry, the test put there.
        Fault::Delay(_)
        | Fault::SlowArrival(_)
        | Fault::Status(_)
        | Fault::StatusWithRetryAfter { .. }
        | Fault::TooManyRequests { .. }
        | Fault::HtmlPage
        | Fault::ConnectionReset
        | Fault::Redirect(_)
        | Fault::OAuthError { .. }
        | Fault::RawBody { .. } => None,
    }
}

/// A fault's variant name (its Debug output starts with it).
fn variant(f: &Fault) -> String {
    format!("{f:?}")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The variants of `Fault` as its definition in the testkit names them (4-space-indented
/// identifiers inside `pub enum Fault { … }`).
fn fault_variants() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testkit/src/faults.rs");
    let source = std::fs::read_to_string(path).expect("the testkit's faults.rs");
    let body = source
        .split_once("pub enum Fault {\n")
        .and_then(|(_, rest)| rest.split_once("\n}\n"))
        .expect("`pub enum Fault { … }` in faults.rs")
        .0;
    let variants: Vec<String> = body
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect()
        })
        .collect();
    assert!(variants.len() > 10, "parsed {variants:?} from {path}");
    variants
}

/// Everything that must not show up, by the first [`HEAD`] bytes of each of its encodings: one
/// pass over a text finds any of thousands (a secret's and every issued token's encodings).
struct Needles {
    all: Vec<(String, Vec<u8>)>,
    by_head: HashMap<[u8; HEAD], Vec<usize>>,
}

const HEAD: usize = 8;

impl Needles {
    fn new() -> Needles {
        Needles {
            all: Vec::new(),
            by_head: HashMap::new(),
        }
    }

    /// `what` must never appear in any of its [`leaks::encodings`].
    fn add_encodings(&mut self, what: &str, value: &str) {
        for (i, e) in leaks::encodings(value).into_iter().enumerate() {
            self.add(format!("encoding #{i} of {what}"), e.into_bytes());
        }
    }

    fn add(&mut self, label: String, needle: Vec<u8>) {
        assert!(needle.len() >= HEAD, "{label} is too short to look for");
        let head: [u8; HEAD] = needle[..HEAD].try_into().unwrap();
        self.by_head.entry(head).or_default().push(self.all.len());
        self.all.push((label, needle));
    }

    /// What `text` leaks, if anything (its label, never the text).
    fn found_in(&self, text: &[u8]) -> Option<&str> {
        text.windows(HEAD).enumerate().find_map(|(at, w)| {
            self.by_head.get(w)?.iter().find_map(|&n| {
                let (label, needle) = &self.all[n];
                text[at..].starts_with(needle).then_some(label.as_str())
            })
        })
    }
}

/// The texts a caller sees: Display and Debug of errors, tokens, clients…
#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn push(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.0.push((what.into(), text.into()));
    }

    fn error(&mut self, what: &str, e: &officernd_auth::Error) {
        self.push(what, format!("{e} | {e:?} | {e:#?}"));
        self.push(
            what,
            format!(
                "{:?} {:?} {:?} {:?}",
                e.oauth_error(),
                e.error_description(),
                e.error_uri(),
                e.last_error().map(|l| l.to_string())
            ),
        );
    }

    fn token(&mut self, what: &str, t: &officernd_auth::Token) {
        self.push(what, format!("{t:?} {t:#?} {}", t.redacted()));
    }

    fn client(&mut self, what: &str, c: &TokenClient) {
        self.push(what, format!("{c:?} {c:#?} {:?}", c.stats()));
    }
}

#[derive(Clone, Copy, Debug)]
enum Entry {
    /// `token()` meets the fault; `invalidate()` on what it got.
    Token,
    /// A token first, then `token_after_unauthorized()` with it meets the fault;
    /// `invalidate()` on what that got.
    AfterUnauthorized,
}

/// Password-protected Redis stores, plain and TLS (`redis://`, `rediss://`: rustls' records too;
/// the `redis` crate, with the features we build it with, logs nothing). They start the machine's `redis-server`, so only on Unix with the
/// `redis` feature (as `make test` runs); elsewhere there are none.
struct Redis {
    #[cfg(all(unix, feature = "redis"))]
    servers: Vec<officernd_auth_testkit::RedisServer>,
    stores: Vec<(&'static str, Arc<dyn TokenStore>)>,
}

impl Redis {
    #[cfg(all(unix, feature = "redis"))]
    fn start(password: &str) -> Redis {
        use officernd_auth::RedisStore;
        use officernd_auth_testkit::{RedisOptions, RedisServer};
        let start = |tls| {
            RedisServer::start_with(RedisOptions {
                tls,
                password: Some(password.to_owned()),
                ..Default::default()
            })
        };
        let (plain, tls) = (start(false), start(true));
        let stores: Vec<(&str, Arc<dyn TokenStore>)> = vec![
            ("redis", Arc::new(RedisStore::new(&plain.url()).unwrap())),
            (
                "rediss",
                Arc::new(
                    RedisStore::new(&tls.url())
                        .unwrap()
                        .with_root_ca(tls.ca_pem().unwrap())
                        .unwrap(),
                ),
            ),
        ];
        Redis {
            servers: vec![plain, tls],
            stores,
        }
    }

    #[cfg(not(all(unix, feature = "redis")))]
    fn start(_password: &str) -> Redis {
        Redis { stores: Vec::new() }
    }

    /// Every Redis goes away.
    fn stop(&mut self) {
        #[cfg(all(unix, feature = "redis"))]
        for s in &mut self.servers {
            s.stop();
        }
    }
}

#[test]
fn every_fault_leaks_no_secret_and_no_token_at_trace() {
    let started = Instant::now();
    log::set_logger(&LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let server = MockServer::start(MockConfig::default().without_rate_limit().with_app(App {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        scopes: vec![SCOPE.into()],
    }))
    .unwrap();
    // A token URL per client (`/{label}/oauth/token`): its own cache key and budget in every
    // store, so each fault is met by a request, never by a token another step stored.
    let builder = |label: &str| {
        TokenClient::builder()
            .client_id(CLIENT_ID)
            .client_secret(SECRET)
            .scopes([SCOPE])
            .token_url(format!("{}/{label}/oauth/token", server.url()))
            .timeout(TIMEOUT)
            .max_retries(0)
    };
    let mut texts = Texts::default();
    texts.push("the builder", format!("{:?}", builder("builder")));
    texts.push(
        "the settings",
        format!("{:?}", builder("builder").build_config().unwrap()),
    );
    for e in [
        builder("x").client_id("").build().unwrap_err(),
        builder("x").client_secret("").build().unwrap_err(),
        builder("x")
            .token_url("http://example.com/t")
            .build()
            .unwrap_err(),
    ] {
        texts.error("a settings error", &e);
    }

    // The stores: memory, a file store, Redis (plain and TLS) behind a password.
    let dir = std::env::temp_dir().join(format!(
        "officernd-trace-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let redis_password = format!("rp-{:x}", fastrand::u64(..));
    let mut redis = Redis::start(&redis_password);
    let mut stores: Vec<(&str, Option<Arc<dyn TokenStore>>)> = vec![
        ("memory", None),
        ("file", Some(Arc::new(FileStore::new(&dir).unwrap()))),
    ];
    stores.extend(redis.stores.iter().map(|(n, s)| (*n, Some(s.clone()))));
    for (name, store) in &stores {
        if let Some(s) = store {
            texts.push(
                format!("the {name} store"),
                format!("{s:?} {}", s.describe()),
            );
        }
    }

    let first = builder("first").build().unwrap().token().unwrap();
    let echo = Echo {
        url: server.url(),
        access: first.access_token().to_owned(),
    };
    let faults = every_fault(&echo);
    let covered: std::collections::BTreeSet<String> = faults.iter().map(variant).collect();
    let missing: Vec<String> = fault_variants()
        .into_iter()
        .filter(|v| !covered.contains(v))
        .collect();
    assert!(
        missing.is_empty(),
        "Fault variants without an instance in every_fault: {missing:?}"
    );

    // Every fault, through every entry point, with every store.
    let mut made_up: Vec<String> = Vec::new();
    let mut outcomes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, store) in &stores {
        for entry in [Entry::Token, Entry::AfterUnauthorized] {
            for (i, fault) in faults.iter().enumerate() {
                let label = format!("{name}-{entry:?}-{i}");
                let what = format!("{label} ({})", variant(fault));
                made_up.extend(made_up_token(fault));
                let mut b = builder(&label);
                if let Some(s) = store {
                    b = b.store(s.clone());
                }
                let client = b.build().unwrap();
                let result = match entry {
                    Entry::Token => {
                        server.push_fault(fault.clone());
                        client.token()
                    }
                    Entry::AfterUnauthorized => {
                        let rejected = client.token().expect("a token before the fault");
                        texts.token(&what, &rejected);
                        server.push_fault(fault.clone());
                        match client.token_after_unauthorized(&rejected) {
                            Ok(Some(t)) => Ok(t),
                            Ok(None) => panic!("{what}: the mock issued the same token again"),
                            Err(e) => Err(e),
                        }
                    }
                };
                assert_eq!(
                    server.faults_queued(),
                    0,
                    "{what}: no token request took the fault (the client did not ask the server)"
                );
                let outcome = match &result {
                    Ok(t) => {
                        texts.token(&what, t);
                        client.invalidate(t);
                        "ok".to_owned()
                    }
                    Err(e) => {
                        texts.error(&what, e);
                        e.code().to_owned()
                    }
                };
                texts.client(&what, &client);
                outcomes
                    .entry(format!("{i:2} {}", variant(fault)))
                    .or_default()
                    .push(outcome);
            }
        }
    }

    // Redis going away: the stores' errors (their URLs, never the password) through the log.
    redis.stop();
    for (name, store) in &redis.stores {
        let what = format!("{name}-down");
        let client = builder(&what).store(store.clone()).build().unwrap();
        match client.token() {
            Ok(t) => {
                texts.token(&what, &t);
                client.invalidate(&t);
            }
            Err(e) => texts.error(&what, &e),
        }
        texts.client(&what, &client);
    }
    let issued = server.issued_tokens();
    assert!(
        issued.len() > faults.len() * stores.len(),
        "the mock issued {} tokens",
        issued.len()
    );
    drop(server);
    let files = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    assert!(files > 0, "the file store holds no file: it was not used");
    let _ = std::fs::remove_dir_all(&dir);
    let mut report = String::new();
    for (fault, outcome) in &outcomes {
        report.push_str(&format!("  {fault:24} {}\n", outcome.join(" ")));
    }
    eprintln!(
        "each fault's outcome with {:?}, through token() then token_after_unauthorized():\n{report}",
        stores.iter().map(|s| s.0).collect::<Vec<_>>()
    );

    // What must not show up: every encoding of the secret, of HTTP Basic's credentials, of the
    // Redis password and of every whole token; nor more of a token than its redacted prefix
    // (its first or last 12 characters, as they are).
    // base64("hello world") is aGVsbG8gd29ybGQ=: its `Q` depends on what would follow, and
    // "o world" (4 bytes in) decides the characters from `8` on.
    assert_eq!(
        leaks::base64_core(b"hello world", 0, leaks::STANDARD),
        "aGVsbG8gd29ybG"
    );
    assert_eq!(
        leaks::base64_core(b"o world", 1, leaks::STANDARD),
        "8gd29ybG"
    );
    let mut needles = Needles::new();
    needles.add_encodings("the secret", SECRET);
    needles.add_encodings("HTTP Basic credentials", &format!("{CLIENT_ID}:{SECRET}"));
    needles.add_encodings("the Redis password", &redis_password);
    made_up.sort();
    made_up.dedup();
    for (what, tokens) in [("a made-up token", &made_up), ("an issued token", &issued)] {
        for t in tokens {
            needles.add_encodings(what, t);
            if t.len() >= 24 {
                let (head, tail) = (&t.as_bytes()[..12], &t.as_bytes()[t.len() - 12..]);
                needles.add(format!("the first 12 characters of {what}"), head.to_vec());
                needles.add(format!("the last 12 characters of {what}"), tail.to_vec());
            }
        }
    }

    for (what, text) in &texts.0 {
        if let Some(leak) = needles.found_in(text.as_bytes()) {
            panic!("{what}: {leak} in what the caller sees");
        }
    }

    let logs = LOGS.0.lock().unwrap().clone();
    let mut per_target: BTreeMap<&str, usize> = BTreeMap::new();
    for (target, _) in &logs {
        *per_target.entry(target).or_default() += 1;
    }
    eprintln!("{} records by target: {per_target:?}", logs.len());
    for target in ["ureq::", "ureq_proto::", "officernd_auth::"] {
        assert!(
            logs.iter().any(|(t, _)| t.starts_with(target)),
            "no record of {target}: {per_target:?}"
        );
    }
    #[cfg(all(unix, feature = "redis"))]
    assert!(
        logs.iter().any(|(t, _)| t.starts_with("rustls::")),
        "no record of rustls (the rediss:// store's TLS): {per_target:?}"
    );
    #[cfg(all(unix, feature = "redis"))]
    assert!(
        logs.iter().any(|(_, m)| m.contains("token store")),
        "no record of the Redis outage"
    );

    // One record at a time.
    for (target, msg) in &logs {
        if let Some(leak) = needles.found_in(msg.as_bytes()) {
            panic!("a record of {target} carries {leak}");
        }
    }
    // Byte dumps joined into one stream, per target (a dump of one request is consecutive).
    let mut streams: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for (target, msg) in &logs {
        if let Some(bytes) = dump_row(msg) {
            streams.entry(target).or_default().extend(bytes);
        }
    }
    // The dumps are there (so this test looks at them): the requests (whose body, if dumped,
    // holds a stand-in for the secret) and the heads ureq was shown, no body.
    let dumped = String::from_utf8_lossy(streams.get("ureq_proto::util").map_or(&[][..], |s| s));
    for seen in [
        "POST /",
        "HTTP/1.1 200 OK",
        "HTTP/1.1 401",
        "HTTP/1.1 307",
        "HTTP/1.1 429",
        "HTTP/1.1 503",
    ] {
        assert!(dumped.contains(seen), "no {seen:?} in the byte dumps");
    }
    for (target, stream) in &streams {
        if let Some(leak) = needles.found_in(stream) {
            panic!("the byte dumps of {target} carry {leak}");
        }
    }
    eprintln!(
        "{} faults × {} stores × 2 entry points in {:?}",
        faults.len(),
        stores.len(),
        started.elapsed()
    );
}
