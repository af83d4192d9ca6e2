//! The request budget: 5 per rolling 60 s, every attempt counted; 429 and Retry-After; terminal
//! answers remembered; retries only for transport errors, timeouts and 5xx.

mod common;

use std::time::Duration;

use common::*;
use officernd_auth::{Error, ManualClock};

#[test]
fn budget_is_never_exceeded_by_a_loop_of_failing_calls() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_faults((0..100).map(|_| Fault::Status(503)));
    let client = client(&server, &clock);
    let mut last = None;
    for _ in 0..50 {
        last = Some(client.token().unwrap_err());
    }
    assert_eq!(
        server.token_requests(),
        5,
        "first attempt and retries all drawn from the budget"
    );
    let e = last.unwrap();
    assert_eq!(e.code(), "rate_limited");
    // Each slot counts from when its attempt ended, plus one window and a 1 s margin.
    assert!(e.retry_after().unwrap() <= MINUTE + MARGIN);
    assert_eq!(e.last_error().and_then(Error::status), Some(503), "{e}");
    assert!(e.to_string().contains("503"), "{e}");
    let stats = client.stats();
    assert_eq!(stats.budget_remaining, 0);
    assert_eq!(stats.requests_http_error, 5);
    assert!(stats.refused_locally >= 45);

    // The window rolls: a minute (and the margin) later the budget is back.
    clock.advance(MINUTE + MARGIN);
    assert_eq!(client.stats().budget_remaining, 5);
    server.reset();
    client.token().unwrap();
}

#[test]
fn server_429_with_retry_after_seconds_starts_a_cooldown() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_fault(Fault::TooManyRequests {
        retry_after: Some("7".into()),
    });
    let client = client(&server, &clock);
    let e = client.token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("rate_limited", Some(429)));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(server.token_requests(), 1, "429 is never retried");
    let e = client.token().unwrap_err();
    assert_eq!(e.code(), "rate_limited");
    assert_eq!(server.token_requests(), 1, "cool-down: no request");
    clock.advance(Duration::from_secs(7));
    client.token().unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn server_429_without_retry_after_waits_a_minute() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_fault(Fault::TooManyRequests { retry_after: None });
    let client = client(&server, &clock);
    assert_eq!(client.token().unwrap_err().retry_after(), Some(MINUTE));
    clock.advance(Duration::from_secs(59));
    assert_eq!(client.token().unwrap_err().code(), "rate_limited");
    clock.advance(Duration::from_secs(1));
    client.token().unwrap();
}

#[test]
fn server_429_with_an_http_date() {
    let server = mock();
    let clock = ManualClock::new();
    let when = officernd_auth::Clock::wall(&clock) + Duration::from_secs(20);
    server.push_fault(Fault::TooManyRequests {
        retry_after: Some(httpdate::fmt_http_date(when)),
    });
    let e = client(&server, &clock).token().unwrap_err();
    let after = e.retry_after().unwrap();
    assert!(
        after <= Duration::from_secs(20) && after >= Duration::from_secs(18),
        "{after:?}"
    );
}

#[test]
fn real_server_rate_limit_is_respected() {
    // The mock's own 5-per-minute limit stays on here: the client never reaches it.
    let server = MockServer::start(MockConfig::default()).unwrap();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let mut refused = None;
    for _ in 0..20 {
        match client.token() {
            Ok(t) => {
                client.invalidate(&t);
            }
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let e = refused.expect("the budget runs out");
    assert_eq!(e.code(), "rate_limited");
    assert_eq!(e.status(), None, "refused locally, not by a 429");
    assert_eq!(server.token_requests(), 5);
    assert_eq!(
        client.stats().requests_rate_limited,
        0,
        "the server never had to say 429"
    );
}

#[test]
fn terminal_errors_are_remembered_for_a_minute() {
    let server = mock();
    let clock = ManualClock::new();
    let client = builder(&server, &clock)
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let first = client.token().unwrap_err();
    assert_eq!(first.oauth_error(), Some("invalid_client"));
    for _ in 0..10 {
        assert_eq!(client.token().unwrap_err(), first);
    }
    assert_eq!(server.token_requests(), 1, "remembered, not resent");
    assert_eq!(
        client.stats().budget_remaining,
        4,
        "replaying costs no budget"
    );
    clock.advance(MINUTE);
    assert_eq!(
        client.token().unwrap_err().oauth_error(),
        Some("invalid_client")
    );
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn transient_failures_are_retried_within_the_budget() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_faults([Fault::Status(503), Fault::ConnectionReset]);
    let client = client(&server, &clock);
    client.token().unwrap();
    assert_eq!(
        server.token_requests(),
        3,
        "503 and reset retried, third attempt succeeds"
    );
    assert_eq!(client.stats().budget_remaining, 2);
}

#[test]
fn at_most_two_retries() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_faults([Fault::Status(500), Fault::Status(502), Fault::Status(503)]);
    let e = client(&server, &clock).token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("http", Some(503)));
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn client_errors_are_never_retried() {
    for fault in [
        Fault::OAuthError {
            status: 400,
            error: "invalid_request".into(),
            description: None,
        },
        Fault::Status(404),
        Fault::MalformedJson,
    ] {
        let server = mock();
        let clock = ManualClock::new();
        server.push_fault(fault);
        client(&server, &clock).token().unwrap_err();
        assert_eq!(server.token_requests(), 1);
    }
}
