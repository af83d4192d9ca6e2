//! OfficeRnD's quota: 5 token requests per client per rolling minute, failed or successful.

mod common;

use std::time::Duration;

use common::{demo_form, post_form};
use officernd_auth_testkit::{App, DEMO_CLIENT_ID, MockConfig, MockServer, RateLimit};

fn bad_secret() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", "wrong"),
        ("grant_type", "client_credentials"),
    ]
}

#[test]
fn sixth_request_in_a_minute_is_429_even_when_earlier_ones_failed() {
    let s = MockServer::start_default();
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    for _ in 0..3 {
        assert_eq!(post_form(&s.token_url(), &bad_secret()).status, 401);
    }
    let a = post_form(&s.token_url(), &demo_form(Some("nope")));
    assert_eq!(a.status, 400);

    let a = post_form(&s.token_url(), &demo_form(None));
    assert_eq!(a.status, 429);
    assert_eq!(a.body, "Too many requests, please try again later");
    assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Refused requests are counted as requests, just not granted.
    assert_eq!(s.token_requests(), 6);
    assert_eq!(s.tokens_issued(), 1);
}

#[test]
fn the_limit_is_per_client_id() {
    let other = App {
        client_id: "other".into(),
        client_secret: "other-secret".into(),
        scopes: vec!["officernd.api.read".into()],
    };
    let s = MockServer::start(MockConfig::default().with_app(other)).unwrap();
    for _ in 0..5 {
        post_form(&s.token_url(), &bad_secret());
    }
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 429);
    let a = post_form(
        &s.token_url(),
        &[
            ("client_id", "other"),
            ("client_secret", "other-secret"),
            ("grant_type", "client_credentials"),
        ],
    );
    assert_eq!(a.status, 200, "{a:?}");
}

#[test]
fn lifting_changing_or_resetting_the_limit_takes_effect_at_once() {
    let s = MockServer::start_default();
    for _ in 0..5 {
        post_form(&s.token_url(), &bad_secret());
    }
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 429);

    s.reset();
    assert_eq!(s.token_requests(), 0);
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);

    s.set_rate_limit(None);
    for _ in 0..10 {
        assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    }

    s.set_rate_limit(Some(RateLimit {
        max_requests: 1,
        window: Duration::from_secs(3600),
    }));
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    let a = post_form(&s.token_url(), &demo_form(None));
    assert_eq!(a.status, 429);
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
}

#[test]
fn without_rate_limit_never_answers_429() {
    let s = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    for _ in 0..12 {
        assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    }
}
