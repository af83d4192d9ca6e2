//! The HTTP control API under /_mock/, as test suites in other languages use it.

mod common;

use std::time::Duration;

use common::{demo_form, demo_token, get, get_with_bearer, post_form, post_json};
use officernd_auth_testkit::{MockConfig, MockServer, RateLimit};
use serde_json::json;

#[test]
fn stats_count_and_control_requests_are_not_token_requests() {
    let s = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let stats = format!("{}/_mock/stats", s.url());
    assert_eq!(
        get(&stats).json(),
        json!({"token_requests": 0, "tokens_issued": 0, "resource_requests": 0, "faults_queued": 0,
               "max_in_window": 0, "window_ms": 60000})
    );
    let token = demo_token(&s.token_url());
    post_form(&s.token_url(), &[("client_id", "nobody")]);
    get_with_bearer(&s.resource_url(), &token);
    post_json(
        &format!("{}/_mock/faults", s.url()),
        r#"[{"kind":"html_page"}]"#,
    );
    assert_eq!(
        get(&stats).json(),
        json!({"token_requests": 2, "tokens_issued": 1, "resource_requests": 1, "faults_queued": 1,
               "max_in_window": 2, "window_ms": 60000})
    );
    assert_eq!(s.token_requests(), 2);
}

#[test]
fn stats_max_in_window_counts_arrivals_in_the_asked_window() {
    let s = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let stats = format!("{}/_mock/stats", s.url());
    post_form(&s.token_url(), &demo_form(None));
    post_form(&s.token_url(), &demo_form(None));
    // A slow arrival is counted from when it arrived.
    post_json(
        &format!("{}/_mock/faults", s.url()),
        r#"[{"kind":"slow_arrival","ms":300}]"#,
    );
    post_form(&s.token_url(), &[("client_id", "nobody")]);
    let j = get(&format!("{stats}?window_ms=60000")).json();
    assert_eq!(
        (j["max_in_window"].as_u64(), j["window_ms"].as_u64()),
        (Some(3), Some(60000))
    );
    let j = get(&format!("{stats}?window_ms=250")).json();
    assert_eq!(
        (j["max_in_window"].as_u64(), j["window_ms"].as_u64()),
        (Some(2), Some(250))
    );
    assert_eq!(s.max_in_window(Duration::from_millis(250)), 2);
    assert_eq!(s.token_request_arrivals().len(), 3);
    assert_eq!(
        get(&format!("{stats}?window_ms=0")).json()["max_in_window"],
        0
    );
    for bad in ["?window_ms=soon", "?window_ms=-1", "?window=5"] {
        let a = get(&format!("{stats}{bad}"));
        assert_eq!(a.status, 400, "{bad}: {a:?}");
        assert!(a.json()["error_description"].is_string());
    }
    // Reset forgets the arrivals.
    post_json(&format!("{}/_mock/reset", s.url()), "");
    assert_eq!(get(&stats).json()["max_in_window"], 0);
    assert!(s.token_request_arrivals().is_empty());
}

#[test]
fn stats_window_defaults_to_the_rate_limit_window() {
    let s = MockServer::start(MockConfig {
        rate_limit: Some(RateLimit {
            max_requests: 5,
            window: Duration::from_millis(4000),
        }),
        ..MockConfig::default()
    })
    .unwrap();
    let stats = format!("{}/_mock/stats", s.url());
    assert_eq!(get(&stats).json()["window_ms"], 4000);
    post_json(
        &format!("{}/_mock/config", s.url()),
        r#"{"rate_limit": {"max_requests": 5, "window_secs": 7}}"#,
    );
    assert_eq!(get(&stats).json()["window_ms"], 7000);
    post_json(
        &format!("{}/_mock/config", s.url()),
        r#"{"rate_limit": null}"#,
    );
    assert_eq!(get(&stats).json()["window_ms"], 60000);
}

#[test]
fn faults_posted_over_http_are_applied_in_order() {
    let s = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let a = post_json(
        &format!("{}/_mock/faults", s.url()),
        r#"[{"kind":"delay","ms":10},{"kind":"status","status":503},
            {"kind":"too_many_requests","retry_after":"7"},{"kind":"expires_in","value":"3599"},
            {"kind":"oauth_error","status":400,"error":"invalid_scope","description":"x"},
            {"kind":"redirect","location":"http://127.0.0.1:1/x"}]"#,
    );
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(a.json()["faults_queued"], 6);
    let url = s.token_url();
    assert_eq!(post_form(&url, &demo_form(None)).status, 200);
    assert_eq!(post_form(&url, &demo_form(None)).status, 503);
    let a = post_form(&url, &demo_form(None));
    assert_eq!((a.status, a.header("retry-after")), (429, Some("7")));
    assert_eq!(
        post_form(&url, &demo_form(None)).json()["expires_in"],
        "3599"
    );
    assert_eq!(post_form(&url, &demo_form(None)).error(), "invalid_scope");
    assert_eq!(post_form(&url, &demo_form(None)).status, 307);
    assert_eq!(post_form(&url, &demo_form(None)).status, 200);
}

#[test]
fn bad_fault_json_is_400_and_queues_nothing() {
    let s = MockServer::start_default();
    let faults = format!("{}/_mock/faults", s.url());
    for body in [
        "not json",
        r#"{"kind":"status","status":503}"#,
        r#"[{"kind":"no_such_fault"}]"#,
        r#"[{"kind":"html_page"},{"kind":"status"}]"#,
        r#"[{"kind":"status","status":42}]"#,
    ] {
        let a = post_json(&faults, body);
        assert_eq!(a.status, 400, "{body}: {a:?}");
        assert!(a.json()["error_description"].is_string());
    }
    assert_eq!(
        get(&format!("{}/_mock/stats", s.url())).json()["faults_queued"],
        0
    );
}

#[test]
fn reset_clears_counters_faults_history_and_config() {
    let s = MockServer::start_default();
    let base = s.url();
    for _ in 0..5 {
        post_form(&s.token_url(), &demo_form(None));
    }
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 429);
    post_json(&format!("{base}/_mock/config"), r#"{"lifetime": 5}"#);
    post_json(&format!("{base}/_mock/faults"), r#"[{"kind":"html_page"}]"#);

    let a = post_json(&format!("{base}/_mock/reset"), "");
    assert_eq!(
        a.json(),
        json!({"token_requests": 0, "tokens_issued": 0, "resource_requests": 0, "faults_queued": 0})
    );
    let a = post_form(&s.token_url(), &demo_form(None));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["expires_in"], 3599);
    assert_eq!(s.last_request_form().unwrap().len(), 3);
}

#[test]
fn config_changes_lifetime_and_rate_limit() {
    let s = MockServer::start_default();
    let config = format!("{}/_mock/config", s.url());

    let a = post_json(&config, r#"{"lifetime": 5}"#);
    assert_eq!(
        a.json(),
        json!({"lifetime": 5, "rate_limit": {"max_requests": 5, "window_secs": 60}})
    );
    assert_eq!(
        post_form(&s.token_url(), &demo_form(None)).json()["expires_in"],
        5
    );

    let a = post_json(&config, r#"{"rate_limit": null}"#);
    assert_eq!(a.json(), json!({"lifetime": 5, "rate_limit": null}));
    for _ in 0..8 {
        assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    }

    post_json(
        &config,
        r#"{"rate_limit": {"max_requests": 2, "window_secs": 60}}"#,
    );
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 429);

    assert_eq!(get(&config).json()["rate_limit"]["max_requests"], 2);
    assert_eq!(post_json(&config, r#"{"lifetime": "long"}"#).status, 400);
    assert_eq!(post_json(&config, r#"{"lifetme": 5}"#).status, 400);
}

#[test]
fn revoke_over_http_rejects_old_tokens() {
    let s = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let token = demo_token(&s.token_url());
    assert_eq!(get_with_bearer(&s.resource_url(), &token).status, 200);
    assert_eq!(
        post_json(&format!("{}/_mock/revoke", s.url()), "").status,
        200
    );
    assert_eq!(get_with_bearer(&s.resource_url(), &token).status, 401);
}

#[test]
fn last_request_shows_the_decoded_form_and_headers() {
    let s = MockServer::start_default();
    let last = format!("{}/_mock/last_request", s.url());
    assert_eq!(get(&last).json(), json!({"form": null, "headers": null}));
    post_form(&s.token_url(), &demo_form(Some("officernd.api.read")));
    let j = get(&last).json();
    assert!(
        j["form"]
            .as_array()
            .unwrap()
            .contains(&json!(["scope", "officernd.api.read"]))
    );
    assert!(j["headers"].as_array().unwrap().contains(&json!([
        "content-type",
        "application/x-www-form-urlencoded"
    ])));
}
