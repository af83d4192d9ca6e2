//! Hosts of a fleet sharing one token through a real Redis: one request for all, the fleet-wide
//! budget, and tokens for everyone while Redis is down.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn four_hosts_share_one_token_and_survive_an_outage() {
    let server = mock();
    let mut redis = RedisServer::start();
    let url = redis.url();
    server.push_fault(Fault::Delay(Duration::from_millis(500)));
    let first = tokens(&run_all(4, || {
        cli(&server, &["--store", &url], DEMO_CLIENT_SECRET)
    }));
    assert!(first.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(server.token_requests(), 1, "one request for the fleet");

    // Redis goes away: every host still gets a token, fetching directly.
    redis.stop();
    let during = tokens(&run_all(3, || {
        cli(&server, &["--store", &url], DEMO_CLIENT_SECRET)
    }));
    assert_eq!(during.len(), 3);
    assert!(server.token_requests() <= 4, "{}", server.token_requests());
}

#[test]
fn the_budget_is_fleet_wide() {
    let server = mock();
    let redis = RedisServer::start();
    let url = redis.url();
    let outs = run_all(20, || {
        cli(&server, &["--store", &url], "wrong-secret-value")
    });
    assert_refused(&outs, "wrong-secret-value");
    assert!(
        server.token_requests() <= 5,
        "the mock saw {}",
        server.token_requests()
    );
}

#[test]
fn redis_password_never_shown() {
    let server = mock();
    let store = "redis://:hunter2-secret@127.0.0.1:1";
    let out = cli(&server, &["--store", store], DEMO_CLIENT_SECRET)
        .output()
        .unwrap();
    // Redis unreachable: the token still comes, directly, with one warning naming the store.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("***@127.0.0.1:1"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "one warning per outage: {stderr}"
    );
    assert!(!stderr.contains("hunter2-secret"));
}
