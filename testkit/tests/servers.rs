//! `POST /_mock/servers` and `DELETE /_mock/servers/PORT`: fresh mocks started by a running one,
//! which is how a suite in another language gets a mock of its own per test.

mod common;

use common::{agent, demo_form, get, post_form, post_json};
use officernd_auth_testkit::{MockConfig, MockServer};
use serde_json::json;

fn servers(parent: &MockServer) -> String {
    format!("{}/_mock/servers", parent.url())
}

#[test]
fn started_servers_have_their_own_port_counters_and_flags() {
    let parent = MockServer::start_default();
    let a = post_json(&servers(&parent), r#"{"args": ["--no-rate-limit"]}"#);
    assert_eq!(a.status, 201, "{a:?}");
    let url = a.json()["url"].as_str().unwrap().to_owned();
    let port = a.json()["port"].as_u64().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    assert_ne!(url, parent.url());

    // No rate limit: 7 requests in a row all succeed, and only the child counts them.
    for _ in 0..7 {
        assert_eq!(
            post_form(&format!("{url}/oauth/token"), &demo_form(None)).status,
            200
        );
    }
    assert_eq!(
        get(&format!("{url}/_mock/stats")).json()["token_requests"],
        7
    );
    assert_eq!(parent.token_requests(), 0);

    // Without a body: the binary's defaults, so OfficeRnD's 5 per minute.
    let b = post_json(&servers(&parent), "");
    assert_eq!(b.status, 201, "{b:?}");
    let b_url = b.json()["url"].as_str().unwrap().to_owned();
    assert_ne!(b_url, url);
    let statuses: Vec<u16> = (0..6)
        .map(|_| post_form(&format!("{b_url}/oauth/token"), &demo_form(None)).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
}

#[test]
fn delete_stops_the_server_and_closes_its_port() {
    let parent = MockServer::start(MockConfig::default()).unwrap();
    let a = post_json(&servers(&parent), r#"{"args": ["--lifetime", "42"]}"#);
    let url = a.json()["url"].as_str().unwrap().to_owned();
    let port = a.json()["port"].as_u64().unwrap();
    let token = post_form(&format!("{url}/oauth/token"), &demo_form(None));
    assert_eq!(token.json()["expires_in"], 42);

    let stop = format!("{}/{port}", servers(&parent));
    let r = agent().delete(&stop).call().unwrap();
    assert_eq!(r.status(), 200);
    // Answered only once stopped: nothing listens there any more.
    assert!(
        agent().get(format!("{url}/_mock/stats")).call().is_err(),
        "the stopped mock still answers"
    );
    // A second stop, or one for a port never started here, is a 404.
    assert_eq!(agent().delete(&stop).call().unwrap().status(), 404);
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let parent = MockServer::start_default();
    for (body, says) in [
        (r#"{"args": ["--bind", "0.0.0.0"]}"#, "loopback"),
        (r#"{"args": ["--frobnicate"]}"#, "--frobnicate"),
        (r#"{"args": "--no-rate-limit"}"#, "invalid type"),
        (r#"{"flags": []}"#, "unknown field"),
    ] {
        let a = post_json(&servers(&parent), body);
        assert_eq!(a.status, 400, "{body}: {a:?}");
        assert_eq!(a.error(), "bad_request");
        let description = a.json()["error_description"].as_str().unwrap().to_owned();
        assert!(description.contains(says), "{body}: {description}");
    }
    assert_eq!(
        get(&format!("{}/_mock/stats", parent.url())).json(),
        json!({"token_requests": 0, "tokens_issued": 0, "resource_requests": 0, "faults_queued": 0,
               "max_in_window": 0, "window_ms": 60000})
    );
}

#[test]
fn servers_still_running_stop_with_their_parent() {
    let parent = MockServer::start_default();
    let url = post_json(&servers(&parent), "{}").json()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get(&format!("{url}/_mock/stats")).status, 200);
    parent.shutdown();
    assert!(agent().get(format!("{url}/_mock/stats")).call().is_err());
}
