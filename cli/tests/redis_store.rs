//! Hosts of a fleet sharing one token through a real Redis: one request for all, the fleet-wide
//! budget, and tokens for everyone while Redis is down.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use officernd_auth_testkit::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Fault, MockConfig, MockServer, RedisServer,
};

fn host(server: &MockServer, redis: &str, secret: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_officernd-auth"));
    c.args(["token", "--store", redis])
        .env_clear()
        .env("OFFICERND_CLIENT_ID", DEMO_CLIENT_ID)
        .env("OFFICERND_CLIENT_SECRET", secret)
        .env("OFFICERND_SCOPES", "officernd.api.read")
        .env("OFFICERND_TOKEN_URL", server.token_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run_all(n: usize, mut make: impl FnMut() -> Command) -> Vec<Output> {
    let children: Vec<Child> = (0..n).map(|_| make().spawn().unwrap()).collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn tokens(outs: &[Output]) -> Vec<String> {
    outs.iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        })
        .collect()
}

fn mock() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

#[test]
fn four_hosts_share_one_token_and_survive_an_outage() {
    let server = mock();
    let mut redis = RedisServer::start();
    server.push_fault(Fault::Delay(Duration::from_millis(500)));
    let first = tokens(&run_all(4, || {
        host(&server, &redis.url(), DEMO_CLIENT_SECRET)
    }));
    assert!(first.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(server.token_requests(), 1, "one request for the fleet");

    // Redis goes away: every host still gets a token, fetching directly.
    redis.stop();
    let during = run_all(3, || host(&server, &redis.url(), DEMO_CLIENT_SECRET));
    let during = tokens(&during);
    assert_eq!(during.len(), 3);
    assert!(server.token_requests() <= 4, "{}", server.token_requests());
}

#[test]
fn the_budget_is_fleet_wide() {
    let server = mock();
    let redis = RedisServer::start();
    let outs = run_all(20, || host(&server, &redis.url(), "wrong-secret-value"));
    for o in &outs {
        let code = o.status.code();
        assert!(
            code == Some(4) || code == Some(5),
            "oauth or rate_limited, got {code:?}"
        );
    }
    assert!(
        server.token_requests() <= 5,
        "the mock saw {}",
        server.token_requests()
    );
}

#[test]
fn redis_password_never_shown() {
    let server = mock();
    let out = host(
        &server,
        "redis://:hunter2-secret@127.0.0.1:1",
        DEMO_CLIENT_SECRET,
    )
    .output()
    .unwrap();
    // Redis unreachable: the token still comes, directly.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2-secret"));
}
