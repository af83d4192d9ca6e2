//! The token endpoint's normal answers: success shape and every RFC 6749 error it gives.

mod common;

use common::{demo_form, get, post_form, post_raw};
use officernd_auth_testkit::{
    App, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SCOPES, MockConfig, MockServer,
};

fn server() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

#[test]
fn success_has_the_oauth_shape_and_no_store_headers() {
    let s = server();
    let a = post_form(&s.token_url(), &demo_form(None));
    assert_eq!(a.status, 200);
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(a.header("cache-control"), Some("no-store"));
    assert_eq!(a.header("pragma"), Some("no-cache"));
    let j = a.json();
    let token = j["access_token"].as_str().unwrap();
    assert!(token.len() >= 40, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 3599);
    // No scope asked: every scope the app may have.
    assert_eq!(j["scope"], DEMO_SCOPES.join(" "));
    assert_eq!(s.token_requests(), 1);
    assert_eq!(s.tokens_issued(), 1);
}

#[test]
fn granted_scope_keeps_request_order_and_drops_duplicates() {
    let s = server();
    let a = post_form(
        &s.token_url(),
        &demo_form(Some(
            "flex.community.members.read  officernd.api.read flex.community.members.read",
        )),
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(
        a.json()["scope"],
        "flex.community.members.read officernd.api.read"
    );
    let a = post_form(&s.token_url(), &demo_form(Some("")));
    assert_eq!(a.json()["scope"], DEMO_SCOPES.join(" "));
}

#[test]
fn scope_outside_the_apps_permissions_is_invalid_scope() {
    let s = server();
    let a = post_form(
        &s.token_url(),
        &demo_form(Some("officernd.api.read billing.admin")),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.error(), "invalid_scope");
    assert!(a.json()["error_description"].is_string());
    assert_eq!(s.tokens_issued(), 0);
}

#[test]
fn unknown_client_or_wrong_secret_is_invalid_client_with_challenge() {
    let s = server();
    for (id, secret) in [
        ("nobody", DEMO_CLIENT_SECRET),
        (DEMO_CLIENT_ID, "wrong-secret"),
    ] {
        let a = post_form(
            &s.token_url(),
            &[
                ("client_id", id),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
            ],
        );
        assert_eq!(a.status, 401);
        assert_eq!(a.error(), "invalid_client");
        assert!(a.header("www-authenticate").is_some());
        assert!(!a.body.contains(secret), "the answer echoes the secret");
    }
    assert_eq!(s.tokens_issued(), 0);
}

#[test]
fn missing_credentials_are_invalid_client() {
    let s = server();
    let a = post_form(
        &s.token_url(),
        &[
            ("client_id", DEMO_CLIENT_ID),
            ("grant_type", "client_credentials"),
        ],
    );
    assert_eq!(a.status, 401);
    assert_eq!(a.error(), "invalid_client");
}

#[test]
fn http_basic_credentials_are_not_accepted() {
    let s = server();
    // base64("demo-client-id:demo-client-secret-s3cr3t")
    let basic = "ZGVtby1jbGllbnQtaWQ6ZGVtby1jbGllbnQtc2VjcmV0LXMzY3IzdA==";
    let mut resp = common::agent()
        .post(&s.token_url())
        .header("authorization", &format!("Basic {basic}"))
        .send_form([("grant_type", "client_credentials")])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body = resp.body_mut().read_to_string().unwrap();
    let j: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["error"], "invalid_client");
    assert!(j["error_description"].as_str().unwrap().contains("Basic"));
}

#[test]
fn grant_type_missing_or_other_is_refused() {
    let s = server();
    let creds = [
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    let a = post_form(&s.token_url(), &creds);
    assert_eq!((a.status, a.error().as_str()), (400, "invalid_request"));
    let mut form = creds.to_vec();
    form.push(("grant_type", "password"));
    let a = post_form(&s.token_url(), &form);
    assert_eq!(
        (a.status, a.error().as_str()),
        (400, "unsupported_grant_type")
    );
}

#[test]
fn json_body_is_invalid_request() {
    let s = server();
    let body = serde_json::json!({
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "grant_type": "client_credentials",
    })
    .to_string();
    let a = post_raw(&s.token_url(), "application/json", &body);
    assert_eq!((a.status, a.error().as_str()), (400, "invalid_request"));
}

#[test]
fn content_type_parameters_and_case_are_accepted() {
    let s = server();
    let body = format!(
        "client_id={DEMO_CLIENT_ID}&client_secret={DEMO_CLIENT_SECRET}&grant_type=client_credentials"
    );
    let a = post_raw(
        &s.token_url(),
        "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        &body,
    );
    assert_eq!(a.status, 200, "{a:?}");
}

#[test]
fn repeated_parameter_is_invalid_request() {
    let s = server();
    let mut form = demo_form(Some("officernd.api.read"));
    form.push(("scope", "officernd.api.write"));
    let a = post_form(&s.token_url(), &form);
    assert_eq!((a.status, a.error().as_str()), (400, "invalid_request"));
}

#[test]
fn get_is_method_not_allowed_and_still_counted() {
    let s = server();
    let a = get(&s.token_url());
    assert_eq!(a.status, 405);
    assert_eq!(a.header("allow"), Some("POST"));
    assert_eq!(s.token_requests(), 1);
}

#[test]
fn last_request_form_and_headers_are_recorded() {
    let s = server();
    assert_eq!(s.last_request_form(), None);
    post_form(&s.token_url(), &demo_form(Some("officernd.api.read")));
    let form = s.last_request_form().unwrap();
    assert!(form.contains(&("scope".into(), "officernd.api.read".into())));
    assert!(form.contains(&("client_secret".into(), DEMO_CLIENT_SECRET.into())));
    let headers = s.last_request_headers().unwrap();
    assert!(headers.contains(&(
        "content-type".into(),
        "application/x-www-form-urlencoded".into()
    )));
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "user-agent" && v.contains("ureq"))
    );
}

#[test]
fn extra_apps_and_runtime_lifetime_changes_apply() {
    let app = App {
        client_id: "worker".into(),
        client_secret: "worker-secret".into(),
        scopes: vec!["officernd.api.read".into()],
    };
    let s = MockServer::start(
        MockConfig::default()
            .without_rate_limit()
            .with_lifetime(120)
            .with_app(app),
    )
    .unwrap();
    let form = |scope| {
        vec![
            ("client_id", "worker"),
            ("client_secret", "worker-secret"),
            ("grant_type", "client_credentials"),
            ("scope", scope),
        ]
    };
    let a = post_form(&s.token_url(), &form("officernd.api.read"));
    assert_eq!(a.json()["expires_in"], 120);
    let a = post_form(&s.token_url(), &form("officernd.api.write"));
    assert_eq!(a.error(), "invalid_scope");
    s.set_lifetime(7);
    let a = post_form(&s.token_url(), &demo_form(None));
    assert_eq!(a.json()["expires_in"], 7);
}

#[test]
fn urls_point_at_the_server() {
    let s = MockServer::start_default();
    assert!(s.addr().ip().is_loopback());
    assert_eq!(s.url(), format!("http://127.0.0.1:{}", s.addr().port()));
    assert_eq!(s.token_url(), format!("{}/oauth/token", s.url()));
    assert_eq!(s.resource_url(), format!("{}/api/v2/me", s.url()));
    s.shutdown();
}
