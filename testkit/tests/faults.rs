//! Every fault answers what its documentation says, one fault per request, in order.

mod common;

use std::time::{Duration, Instant};

use common::{agent, demo_form, get_with_bearer, post_form};
use officernd_auth_testkit::{Fault, MockConfig, MockServer};
use serde_json::Value;

fn server() -> MockServer {
    MockServer::start(MockConfig::default().without_rate_limit()).unwrap()
}

/// One demo token request with `fault` queued.
fn with_fault(s: &MockServer, fault: Fault) -> common::Answer {
    s.push_fault(fault);
    post_form(&s.token_url(), &demo_form(None))
}

#[test]
fn delay_then_normal_answer() {
    let s = server();
    let started = Instant::now();
    let a = with_fault(&s, Fault::Delay(Duration::from_millis(300)));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(a.status, 200);
    assert_eq!(s.tokens_issued(), 1);
}

#[test]
fn status_answers_that_status_with_a_text_body() {
    let s = server();
    for code in [500, 502, 503, 504] {
        let a = with_fault(&s, Fault::Status(code));
        assert_eq!(a.status, code);
        assert!(a.body.starts_with(&code.to_string()), "{:?}", a.body);
    }
    assert_eq!(s.tokens_issued(), 0);
}

#[test]
fn status_with_retry_after_sends_the_header_verbatim() {
    let s = server();
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    for (code, retry_after) in [(503, "30"), (502, date), (500, "2")] {
        let a = with_fault(
            &s,
            Fault::StatusWithRetryAfter {
                status: code,
                retry_after: retry_after.to_owned(),
            },
        );
        assert_eq!(a.status, code);
        assert!(a.body.starts_with(&code.to_string()), "{:?}", a.body);
        assert_eq!(a.header("retry-after"), Some(retry_after));
    }
    // A plain status fault sends none.
    assert_eq!(
        with_fault(&s, Fault::Status(503)).header("retry-after"),
        None
    );
    assert_eq!(s.tokens_issued(), 0);
}

#[test]
fn slow_arrival_is_recorded_after_its_sleep_then_answered_normally() {
    let s = server();
    let started = Instant::now();
    let a = with_fault(&s, Fault::SlowArrival(Duration::from_millis(400)));
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(a.status, 200);
    assert_eq!(s.tokens_issued(), 1);
    // Without the fault, one right after: the two arrivals are 400 ms and more apart.
    post_form(&s.token_url(), &demo_form(None));
    let arrivals = s.token_request_arrivals();
    assert_eq!(arrivals.len(), 2);
    assert!(arrivals[0] >= Duration::from_millis(400), "{arrivals:?}");
    assert_eq!(s.max_in_window(Duration::from_millis(300)), 2);
}

#[test]
fn slow_arrival_lands_after_a_request_sent_later() {
    // The request sent first arrives second: the server's window starts at the arrival.
    let s = server();
    s.push_fault(Fault::SlowArrival(Duration::from_millis(600)));
    let url = s.token_url();
    let slow = std::thread::spawn(move || post_form(&url, &demo_form(None)).status);
    while s.token_requests() == 0 {
        std::thread::yield_now();
    }
    assert!(
        s.token_request_arrivals().is_empty(),
        "counted on entry, not yet arrived"
    );
    post_form(&s.token_url(), &demo_form(None));
    assert_eq!(s.token_request_arrivals().len(), 1);
    assert_eq!(slow.join().unwrap(), 200);
    let arrivals = s.token_request_arrivals();
    assert_eq!(arrivals.len(), 2);
    // The fast one arrived as soon as it was sent; the slow one 600 ms after it entered.
    assert!(arrivals[0] < Duration::from_millis(600), "{arrivals:?}");
    assert!(arrivals[1] >= Duration::from_millis(600), "{arrivals:?}");
}

#[test]
fn slow_arrival_still_meets_the_rate_limit() {
    let s = MockServer::start_default();
    for _ in 0..5 {
        assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
    }
    let a = with_fault(&s, Fault::SlowArrival(Duration::from_millis(50)));
    assert_eq!(a.status, 429);
    assert!(a.header("retry-after").is_some());
    assert_eq!(s.max_in_window(Duration::from_secs(60)), 6);
}

#[test]
fn too_many_requests_sends_retry_after_verbatim() {
    let s = server();
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    for (retry_after, expected) in [
        (Some("7".to_owned()), Some("7")),
        (Some(date.to_owned()), Some(date)),
        (None, None),
    ] {
        let a = with_fault(&s, Fault::TooManyRequests { retry_after });
        assert_eq!(a.status, 429);
        assert_eq!(a.body, "Too many requests, please try again later");
        assert_eq!(a.header("retry-after"), expected);
    }
}

#[test]
fn malformed_json_is_200_json_that_does_not_parse() {
    let s = server();
    let a = with_fault(&s, Fault::MalformedJson);
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert!(serde_json::from_str::<Value>(&a.body).is_err());
}

#[test]
fn html_page_is_200_html() {
    let s = server();
    let a = with_fault(&s, Fault::HtmlPage);
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.body.starts_with("<!DOCTYPE html>"));
}

#[test]
fn oversized_body_has_exactly_that_many_bytes() {
    let s = server();
    let a = with_fault(&s, Fault::OversizedBody(100_000));
    assert_eq!(a.status, 200);
    assert_eq!(a.body.len(), 100_000);
    assert_eq!(a.header("content-length"), Some("100000"));
    // Otherwise a well-formed success: only a size cap rejects it.
    assert_eq!(a.json()["token_type"], "Bearer");
}

#[test]
fn wrong_token_type_is_mac_with_a_real_token() {
    let s = server();
    let a = with_fault(&s, Fault::WrongTokenType);
    assert_eq!(a.status, 200);
    let j = a.json();
    assert_eq!(j["token_type"], "mac");
    let token = j["access_token"].as_str().unwrap();
    assert_eq!(get_with_bearer(&s.resource_url(), token).status, 200);
}

#[test]
fn expires_in_is_replaced_or_omitted() {
    let s = server();
    for value in [
        Value::from("3599"),
        Value::from(-5),
        Value::from(1e300),
        Value::from("soon"),
    ] {
        let j = with_fault(&s, Fault::ExpiresIn(value.clone())).json();
        assert_eq!(j["expires_in"], value);
        assert_eq!(j["token_type"], "Bearer");
    }
    let j = with_fault(&s, Fault::ExpiresIn(Value::Null)).json();
    assert!(j.get("expires_in").is_none(), "{j}");
    assert!(j["access_token"].is_string());
}

#[test]
fn broken_access_tokens() {
    let s = server();
    let j = with_fault(&s, Fault::MissingAccessToken).json();
    assert!(j.get("access_token").is_none());
    assert_eq!(j["token_type"], "Bearer");
    let j = with_fault(&s, Fault::EmptyAccessToken).json();
    assert_eq!(j["access_token"], "");
    let j = with_fault(&s, Fault::TokenWithNewline).json();
    assert!(j["access_token"].as_str().unwrap().contains("\r\n"));
}

#[test]
fn connection_reset_gives_no_http_response_and_the_next_request_works() {
    let s = server();
    s.push_fault(Fault::ConnectionReset);
    let result = agent().post(&s.token_url()).send_form(demo_form(None));
    assert!(result.is_err(), "got a response: {result:?}");
    assert_eq!(s.token_requests(), 1);
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 200);
}

#[test]
fn connection_reset_sends_not_a_single_byte() {
    use std::io::{Read, Write};
    let s = server();
    s.push_fault(Fault::ConnectionReset);
    let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = "client_id=demo-client-id";
    write!(
        conn,
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut received = Vec::new();
    // EOF or a reset, but never a status line.
    let _ = conn.read_to_end(&mut received);
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
}

#[test]
fn redirect_is_307_with_location() {
    let s = server();
    let a = with_fault(&s, Fault::Redirect("http://127.0.0.1:1/elsewhere".into()));
    assert_eq!(a.status, 307);
    assert_eq!(a.header("location"), Some("http://127.0.0.1:1/elsewhere"));
}

#[test]
fn oauth_error_is_any_rfc6749_answer() {
    let s = server();
    let a = with_fault(
        &s,
        Fault::OAuthError {
            status: 400,
            error: "invalid_scope".into(),
            description: Some("no such scope".into()),
        },
    );
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json(),
        serde_json::json!({"error": "invalid_scope", "error_description": "no such scope"})
    );
    let a = with_fault(
        &s,
        Fault::OAuthError {
            status: 401,
            error: "unauthorized_client".into(),
            description: None,
        },
    );
    assert_eq!(a.status, 401);
    assert_eq!(
        a.json(),
        serde_json::json!({"error": "unauthorized_client"})
    );
}

#[test]
fn faults_are_fifo_one_per_request_and_skip_validation() {
    let s = server();
    s.push_faults([Fault::Status(503), Fault::Status(502)]);
    // Garbage credentials: the fault answers before validation.
    let bad = [("client_id", "nobody")];
    assert_eq!(post_form(&s.token_url(), &bad).status, 503);
    assert_eq!(post_form(&s.token_url(), &bad).status, 502);
    assert_eq!(post_form(&s.token_url(), &bad).status, 401);
    assert_eq!(s.token_requests(), 3);
}

#[test]
fn faults_answer_even_when_rate_limited() {
    let s = MockServer::start_default();
    for _ in 0..5 {
        post_form(&s.token_url(), &demo_form(None));
    }
    assert_eq!(post_form(&s.token_url(), &demo_form(None)).status, 429);
    assert_eq!(with_fault(&s, Fault::Status(500)).status, 500);
}

#[test]
fn dropping_the_server_does_not_wait_for_a_long_delay() {
    let s = server();
    s.push_fault(Fault::Delay(Duration::from_secs(60)));
    let url = s.token_url();
    let client = std::thread::spawn(move || agent().post(&url).send_form(demo_form(None)).is_err());
    // The request is in the server (and asleep) once it is counted.
    while s.token_requests() == 0 {
        std::thread::yield_now();
    }
    let started = Instant::now();
    drop(s);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(client.join().unwrap(), "the client got an answer");
}
