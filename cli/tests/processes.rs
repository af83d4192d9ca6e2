//! Many processes, one token: the CLI shares its token and its request budget through the file
//! store, so concurrent and repeated runs ask the server once.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn sixteen_processes_on_an_empty_cache_send_one_request() {
    let server = mock();
    let dir = CacheDir::new("sixteen");
    // A slow answer keeps the first fetch in flight while the others start.
    server.push_fault(Fault::Delay(Duration::from_millis(500)));
    let outs = run_all(16, || cli(&server, &dir.arg(), DEMO_CLIENT_SECRET));
    let tokens = tokens(&outs);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "one token for all");
    assert_eq!(server.token_requests(), 1);
    // Later runs (a cron job, a loop) keep using it.
    let again = cli(&server, &dir.arg(), DEMO_CLIENT_SECRET)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), tokens[0]);
    assert_eq!(server.token_requests(), 1);
}

/// Without a flag or variable naming a store: the platform's default directory
/// (`%LOCALAPPDATA%\officernd-auth` on Windows), shared by two runs at once.
#[test]
fn two_processes_on_the_default_store_send_one_request() {
    let server = mock();
    let base = CacheDir::new("default-two");
    server.push_fault(Fault::Delay(Duration::from_millis(500)));
    let mut dir = None;
    let outs = run_all(2, || {
        let mut c = cli(&server, &[], DEMO_CLIENT_SECRET);
        dir = Some(default_store_under(&mut c, base.path()));
        c
    });
    let tokens = tokens(&outs);
    assert_eq!(tokens[0], tokens[1], "one token for both");
    assert_eq!(server.token_requests(), 1);
    assert!(dir.unwrap().is_dir(), "the default directory was made");
}

#[test]
fn a_killed_lock_holder_does_not_block_the_others() {
    let server = mock();
    let dir = CacheDir::new("killed");
    server.push_fault(Fault::Delay(Duration::from_secs(30)));
    let mut holder = cli(&server, &dir.arg(), DEMO_CLIENT_SECRET)
        .spawn()
        .unwrap();
    // Once its request reached the server, the holder owns the fetch lock.
    while server.token_requests() < 1 {
        std::thread::yield_now();
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    let outs = run_all(4, || cli(&server, &dir.arg(), DEMO_CLIENT_SECRET));
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
    let outs = run_all(20, || cli(&server, &dir.arg(), "wrong-secret-value"));
    assert_refused(&outs, "wrong-secret-value");
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
        let out = cli(&server, &["--no-cache"], DEMO_CLIENT_SECRET)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    assert_eq!(server.token_requests(), 2);
}

/// Tokens adopted from the file store keep the windows of their original lifetime: with 4 s
/// tokens (minimum validity capped at half: 2 s), no run prints `expires_in` below 2, however
/// late in a token's life it runs.
#[test]
fn json_never_prints_expires_in_below_min_validity() {
    let server = mock();
    server.set_lifetime(4);
    let dir = CacheDir::new("fresh");
    let started = std::time::Instant::now();
    let mut seen = vec![];
    // Runs spread over one and a half token lifetimes (a timeline, not synchronisation).
    while started.elapsed() < Duration::from_secs(6) {
        let mut args = vec!["--json"];
        args.extend(dir.arg());
        let out = cli(&server, &args, DEMO_CLIENT_SECRET).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        seen.push(v["expires_in"].as_u64().unwrap());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(seen.iter().all(|s| *s >= 2), "expires_in printed: {seen:?}");
    assert!(server.token_requests() >= 2, "tokens were refreshed");
    assert!(server.token_requests() <= 4, "{}", server.token_requests());
}
