//! The protected resource accepts tokens this server issued, and nothing else.

mod common;

use common::{agent, demo_token, get, get_with_bearer};
use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_SCOPES, MockConfig, MockServer};

fn server() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

fn assert_invalid_token(a: &common::Answer) {
    assert_eq!(a.status, 401, "{a:?}");
    assert_eq!(
        a.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\"")
    );
    assert_eq!(a.error(), "invalid_token");
}

#[test]
fn issued_token_is_accepted() {
    let s = server();
    let token = demo_token(&s.token_url());
    let a = get_with_bearer(&s.resource_url(), &token);
    assert_eq!(a.status, 200);
    let j = a.json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["client_id"], DEMO_CLIENT_ID);
    assert_eq!(j["scopes"], serde_json::json!(DEMO_SCOPES));
}

#[test]
fn a_post_body_is_echoed() {
    let s = server();
    let token = demo_token(&s.token_url());
    let mut resp = agent()
        .post(&s.resource_url())
        .header("authorization", &format!("Bearer {token}"))
        .send("{\"name\": \"Desk 7\"}")
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let j: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(j["ok"], true);
    assert_eq!(j["body"], "{\"name\": \"Desk 7\"}");
    // Without a body, nothing is echoed.
    assert!(
        get_with_bearer(&s.resource_url(), &token)
            .json()
            .get("body")
            .is_none()
    );
}

#[test]
fn unknown_or_missing_token_is_rejected() {
    let s = server();
    assert_invalid_token(&get_with_bearer(
        &s.resource_url(),
        "not-a-token-this-server-issued-000000000000",
    ));
    assert_invalid_token(&get(&s.resource_url()));
    // The scheme must be Bearer.
    let token = demo_token(&s.token_url());
    let mut resp = agent()
        .get(&s.resource_url())
        .header("authorization", &format!("Token {token}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let _ = resp.body_mut().read_to_string();
}

#[test]
fn revoked_tokens_are_rejected_and_new_ones_work() {
    let s = server();
    let old = demo_token(&s.token_url());
    s.revoke_all_tokens();
    assert_invalid_token(&get_with_bearer(&s.resource_url(), &old));
    let new = demo_token(&s.token_url());
    assert_eq!(get_with_bearer(&s.resource_url(), &new).status, 200);
}

#[test]
fn expired_tokens_are_rejected() {
    let s = MockServer::start(MockConfig::default().without_rate_limit().with_lifetime(0)).unwrap();
    let token = demo_token(&s.token_url());
    let a = get_with_bearer(&s.resource_url(), &token);
    assert_invalid_token(&a);
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[test]
fn resource_requests_are_counted_apart_from_token_requests() {
    let s = server();
    let token = demo_token(&s.token_url());
    get_with_bearer(&s.resource_url(), &token);
    get_with_bearer(&s.resource_url(), "x");
    let stats = get(&format!("{}/_mock/stats", s.url())).json();
    assert_eq!(stats["resource_requests"], 2);
    assert_eq!(stats["token_requests"], 1);
}
