//! The request on the wire and every kind of answer, through a real HTTP exchange with the mock.

mod common;

use std::time::Duration;

use common::*;
use officernd_auth::{Error, ManualClock};
use serde_json::json;

#[test]
fn request_is_a_form_post_with_credentials_in_the_body() {
    let server = mock();
    let clock = ManualClock::new();
    let token = client(&server, &clock).token().unwrap();
    assert_eq!(token.token_type(), "Bearer");
    assert_eq!(
        token.scopes(),
        ["officernd.api.read", "officernd.api.write"]
    );
    let left = token.expires_in_at(officernd_auth::Clock::now(&clock));
    assert!(left > Duration::from_secs(3590) && left <= Duration::from_secs(3599));

    let form = server.last_request_form().unwrap();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("client_id"), Some(DEMO_CLIENT_ID));
    assert_eq!(field("client_secret"), Some(DEMO_CLIENT_SECRET));
    assert_eq!(
        field("scope"),
        Some("officernd.api.read officernd.api.write")
    );

    let headers = server.last_request_headers().unwrap();
    let header = |k: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "application/x-www-form-urlencoded");
    assert_eq!(header("accept"), "application/json");
    assert!(
        header("user-agent").starts_with("officernd-auth/"),
        "{}",
        header("user-agent")
    );
    assert!(
        header("authorization").is_empty(),
        "credentials must not go in Basic auth"
    );
}

#[test]
fn token_works_on_the_protected_resource() {
    let server = mock();
    let clock = ManualClock::new();
    let header = client(&server, &clock).authorization_header().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let res = agent
        .get(server.resource_url())
        .header("Authorization", &header)
        .call()
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = agent
        .get(server.resource_url())
        .header("Authorization", "Bearer not-a-token")
        .call()
        .unwrap();
    assert_eq!(res.status(), 401);
}

fn error_for(fault: Fault) -> Error {
    let server = mock();
    let clock = ManualClock::new();
    server.push_fault(fault);
    let err = builder(&server, &clock)
        .max_retries(0)
        .build()
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(
        server.token_requests(),
        1,
        "exactly one request for {err:?}"
    );
    err
}

#[test]
fn every_malformed_answer_is_a_typed_invalid_response() {
    let cases = [
        (Fault::MalformedJson, "not a JSON object"),
        (Fault::HtmlPage, "HTML"),
        (Fault::OversizedBody(100_000), "larger than"),
        (Fault::WrongTokenType, "not Bearer"),
        (Fault::ExpiresIn(json!("3599")), "string"),
        (Fault::ExpiresIn(json!(0)), "zero"),
        (Fault::ExpiresIn(json!(-10)), "positive"),
        (Fault::ExpiresIn(json!(1e12)), "positive"),
        (Fault::ExpiresIn(json!(999_999_999)), "absurd"),
        (Fault::ExpiresIn(serde_json::Value::Null), "missing"),
        (Fault::MissingAccessToken, "missing"),
        (Fault::EmptyAccessToken, "empty"),
        (Fault::TokenWithNewline, "CR"),
    ];
    for (fault, want) in cases {
        let label = format!("{fault:?}");
        match error_for(fault) {
            Error::InvalidResponse {
                status: 200,
                reason,
            } => {
                assert!(reason.contains(want), "{label}: {reason}")
            }
            other => panic!("{label}: expected invalid_response, got {other:?}"),
        }
    }
}

#[test]
fn oauth_errors_carry_rfc6749_fields() {
    let e = error_for(Fault::OAuthError {
        status: 400,
        error: "invalid_scope".into(),
        description: Some("scope exceeds the application's permissions".into()),
    });
    assert_eq!(e.code(), "oauth");
    assert_eq!(e.status(), Some(400));
    assert_eq!(e.oauth_error(), Some("invalid_scope"));
    assert_eq!(
        e.error_description(),
        Some("scope exceeds the application's permissions")
    );
    assert!(!e.is_retryable());
}

#[test]
fn wrong_secret_and_excess_scope_are_refused_by_the_server() {
    let server = mock();
    let clock = ManualClock::new();
    let e = builder(&server, &clock)
        .client_secret("wrong-secret-value")
        .build()
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(
        (e.code(), e.oauth_error(), e.status()),
        ("oauth", Some("invalid_client"), Some(401))
    );
    let e = builder(&server, &clock)
        .scopes(["officernd.api.read", "officernd.admin"])
        .build()
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(e.oauth_error(), Some("invalid_scope"));
}

#[test]
fn redirects_are_not_followed() {
    let target = mock();
    let e = error_for(Fault::Redirect(target.token_url()));
    assert_eq!((e.code(), e.status()), ("http", Some(307)));
    assert_eq!(
        target.token_requests(),
        0,
        "the secret must not be resent to the redirect target"
    );
}

#[test]
fn connection_reset_is_a_transport_error() {
    assert_eq!(error_for(Fault::ConnectionReset).code(), "transport");
}

#[test]
fn slow_answer_is_a_timeout() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_fault(Fault::Delay(Duration::from_secs(3)));
    let e = builder(&server, &clock)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(e.code(), "timeout", "{e}");
}

#[test]
fn unreachable_server_is_a_transport_error() {
    let clock = ManualClock::new();
    let server = mock();
    let url = server.token_url();
    drop(server);
    let e = officernd_auth::TokenClient::builder()
        .client_id("id")
        .client_secret("secret")
        .token_url(url)
        .max_retries(0)
        .clock(std::sync::Arc::new(clock))
        .build()
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(e.code(), "transport", "{e}");
    assert!(e.is_retryable());
}
