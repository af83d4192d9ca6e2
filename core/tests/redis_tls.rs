//! `rediss://` against a real TLS-only `redis-server` (`--port 0 --tls-port P`) with a password
//! (`requirepass`) and a CA + server certificate made for the test:
//!
//! - two processes (this binary run again as `tls_worker`) share one token through it, trusting
//!   the test CA through `OFFICERND_REDIS_CA_FILE`: one token request in all;
//! - a client trusting another CA gets a clear TLS/certificate `StoreError`, then the outage
//!   policy; a wrong password is refused; neither password appears in any error, Debug output
//!   or log line (every level, the redis and rustls crates' own lines included), nor in the
//!   workers' output.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// A deadline no store operation here comes near.
fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

use common::*;
use officernd_auth::{
    ClientSecret, ManualClock, RedisStore, Scopes, StoreKey, StoredToken, TokenClient, TokenStore,
};
use officernd_auth_testkit::{RedisOptions, RedisServer, unrelated_ca_pem};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "pw-Redis-S3cret-7193";
const WRONG_PASSWORD: &str = "pw-Wrong-S3cret-2846";

/// Every log line of this process, at every level, from every crate.
struct AllLines(Mutex<Vec<String>>);

impl log::Log for AllLines {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        let line = format!("{} {}: {}", r.level(), r.target(), r.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static LINES: AllLines = AllLines(Mutex::new(Vec::new()));

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&LINES).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

fn tls_redis() -> RedisServer {
    RedisServer::start_with(RedisOptions {
        tls: true,
        password: Some(PASSWORD.into()),
        ..RedisOptions::default()
    })
}

fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The worker: a client from the environment only (`OFFICERND_*`, as any binding or the CLI
/// would make it), one `token()`, then a line with the token's fingerprint (never the token).
#[test]
fn tls_worker() {
    if std::env::var_os("TLS_WORKER").is_none() {
        return;
    }
    capture_logs();
    let result = TokenClient::from_env().and_then(|c| c.token());
    for line in LINES.0.lock().unwrap().iter() {
        println!("log: {line}");
    }
    match result {
        Ok(t) => println!("WORKER ok {}", fingerprint(t.access_token())),
        Err(e) => println!("WORKER error {}: {e}", e.code()),
    }
}

fn run_worker(server: &MockServer, redis: &RedisServer) -> String {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .args(["--exact", "tls_worker", "--nocapture", "--test-threads=1"])
        .env("TLS_WORKER", "1")
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("OFFICERND_SCOPES", "officernd.api.read officernd.api.write")
        .env("OFFICERND_TOKEN_URL", common::token_url(server))
        .env("OFFICERND_STORE", redis.url())
        .env(
            RedisStore::CA_FILE_ENV,
            redis.ca_file().expect("TLS server"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("worker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "worker failed:\n{text}");
    assert!(
        !text.contains(PASSWORD),
        "the Redis password in a worker's output:\n{text}"
    );
    text
}

#[test]
fn two_processes_share_one_token_through_rediss() {
    let server = mock();
    let redis = tls_redis();
    assert!(redis.url().starts_with("rediss://"));

    let first = run_worker(&server, &redis);
    let second = run_worker(&server, &redis);
    let token_of = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("WORKER ok "))
            .unwrap_or_else(|| panic!("worker got no token:\n{text}"))
            .to_owned()
    };
    assert_eq!(token_of(&first), token_of(&second), "one token for both");
    assert_eq!(
        server.token_requests(),
        1,
        "the second process adopted the token through TLS Redis"
    );

    // And in this process, trusting the CA through the builder: the same token is there.
    let store = RedisStore::new(&redis.url())
        .unwrap()
        .with_root_ca(redis.ca_pem().unwrap())
        .unwrap();
    let clock = ManualClock::new();
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(Arc::new(store) as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    let t = client.token().unwrap();
    assert_eq!(fingerprint(t.access_token()), token_of(&first));
    assert_eq!(server.token_requests(), 1);
}

fn probe_key() -> StoreKey {
    StoreKey::derive(
        "tls",
        "probe",
        &ClientSecret::new("x"),
        &Scopes::parse("a").unwrap(),
    )
}

fn no_password_in(what: &str, text: &str) {
    for pw in [PASSWORD, WRONG_PASSWORD] {
        assert!(!text.contains(pw), "a Redis password in {what}: {text}");
    }
}

#[test]
fn a_wrong_ca_or_password_is_a_clear_error_that_never_shows_the_password() {
    capture_logs();
    let server = mock();
    let redis = tls_redis();
    let now = SystemTime::now();

    // The right CA and password work.
    let good = RedisStore::new(&redis.url())
        .unwrap()
        .with_root_ca(redis.ca_pem().unwrap())
        .unwrap();
    let token = StoredToken {
        access_token: "tls-token".into(),
        token_type: "Bearer".into(),
        scopes: vec![],
        expires_at: now + HOUR,
        lifetime: HOUR,
    };
    assert!(
        good.put_if_newer(
            &probe_key(),
            &token,
            now,
            std::time::Instant::now() + std::time::Duration::from_secs(5)
        )
        .unwrap()
    );
    assert_eq!(
        good.get(&probe_key(), now, soon())
            .unwrap()
            .unwrap()
            .access_token,
        "tls-token"
    );
    no_password_in("Debug of the store", &format!("{good:?}"));

    // Another CA: refused at the TLS handshake, said plainly.
    let wrong_ca = RedisStore::new(&redis.url())
        .unwrap()
        .with_root_ca(unrelated_ca_pem())
        .unwrap();
    let e = wrong_ca.get(&probe_key(), now, soon()).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("TLS") && shown.contains("certificate"),
        "{shown}"
    );
    no_password_in("the StoreError", &shown);
    no_password_in("the StoreError's Debug", &format!("{e:?}"));
    no_password_in("Debug of the store", &format!("{wrong_ca:?}"));

    // Without the test CA (the built-in web PKI roots only): refused too, with a hint.
    let default_roots = RedisStore::new(&redis.url()).unwrap();
    let e = default_roots
        .get(&probe_key(), now, soon())
        .unwrap_err()
        .to_string();
    assert!(e.contains(RedisStore::CA_FILE_ENV), "{e}");
    no_password_in("the StoreError", &e);

    // The right CA, a wrong password: refused by Redis, without either password shown.
    let wrong_pw_url = redis.url().replace(PASSWORD, WRONG_PASSWORD);
    let wrong_pw = RedisStore::new(&wrong_pw_url)
        .unwrap()
        .with_root_ca(redis.ca_pem().unwrap())
        .unwrap();
    let e = wrong_pw.get(&probe_key(), now, soon()).unwrap_err();
    no_password_in("the StoreError", &e.to_string());
    no_password_in("Debug of the store", &format!("{wrong_pw:?}"));

    // A client on the wrong CA: the store counts as down, so the outage policy applies (no
    // token request for a window, `rate_limited` naming the store) — never a hang, never a
    // request the fleet's budget did not grant.
    let clock = ManualClock::new();
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(Arc::new(wrong_ca) as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    let err = client.token().unwrap_err();
    assert_eq!(err.code(), "rate_limited", "{err}");
    assert!(err.to_string().contains("rediss://"), "{err}");
    no_password_in("the client's error", &err.to_string());
    no_password_in("the client's error Debug", &format!("{err:?}"));
    no_password_in("the client's Debug", &format!("{client:?}"));
    assert_eq!(server.token_requests(), 0);

    let lines = LINES.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("certificate")),
        "the outage is logged with its cause: {lines:#?}"
    );
    for l in &lines {
        no_password_in("a log line", l);
    }
}

#[test]
fn the_ca_setting_is_checked_when_the_store_is_made() {
    let url = format!("rediss://:{PASSWORD}@127.0.0.1:1");
    let missing = RedisStore::new_with_env(&url, |name| {
        (name == RedisStore::CA_FILE_ENV).then(|| "/nonexistent/officernd-ca.pem".into())
    })
    .unwrap_err();
    assert_eq!(missing.code(), "config");
    assert!(
        missing.to_string().contains(RedisStore::CA_FILE_ENV),
        "{missing}"
    );
    no_password_in("the config error", &missing.to_string());

    let not_pem = RedisStore::new(&url)
        .unwrap()
        .with_root_ca(b"not a certificate".to_vec())
        .unwrap_err();
    assert_eq!(not_pem.code(), "config");

    let plain = RedisStore::new("redis://127.0.0.1:1")
        .unwrap()
        .with_root_ca(unrelated_ca_pem())
        .unwrap_err();
    assert_eq!(plain.code(), "config", "a CA is for rediss:// only");
}
