//! Hosts of a fleet sharing one token through a real Redis: one request for all, the fleet-wide
//! budget, and no request at all from a new process while Redis is down (it cannot know what the
//! fleet sent in the last window).
//!
//! Unix only: it starts the machine's `redis-server`, which a Windows build run under Wine
//! cannot start (and Windows has no Redis server of its own).
#![cfg(unix)]

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

    // Redis goes away: new processes send nothing for a window and say why (exit 5).
    redis.stop();
    let during = run_all(3, || cli(&server, &["--store", &url], DEMO_CLIENT_SECRET));
    for out in &during {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains("at most one token request per quota window"),
            "{stderr}"
        );
    }
    assert_eq!(
        server.token_requests(),
        1,
        "no request while the budget is unknown"
    );
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
    // Redis unreachable: one warning naming the store, then the refusal saying why.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("***@127.0.0.1:1"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.contains("warning")).count(),
        1,
        "one warning per outage: {stderr}"
    );
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
}
