//! Answers that arrived whole but are not what a token endpoint should send — bytes that are not
//! UTF-8, a body that claims a gzip encoding it does not have — through the real HTTP exchange:
//! each is a typed error from its status (never `transport`), sent once (never retried), and a
//! 4xx keeps its RFC 6749 meaning.

mod common;

use common::*;
use officernd_auth::{Error, ManualClock};

fn raw(status: u16, content_type: Option<&str>, body: &[u8]) -> Fault {
    Fault::RawBody {
        status,
        content_type: content_type.map(str::to_owned),
        headers: vec![],
        body: body.to_vec(),
    }
}

/// The error for `fault` from a client that may retry (2 retries, the default): the answer
/// arrived whole, so exactly one request may be sent.
fn error_once(fault: Fault) -> Error {
    let server = mock();
    let clock = ManualClock::new();
    let label = format!("{fault:?}");
    server.push_fault(fault);
    let err = client(&server, &clock).token().unwrap_err();
    assert_eq!(
        server.token_requests(),
        1,
        "{label}: an answer that arrived whole was retried: {err:?}"
    );
    err
}

const SUCCESS_WITH_BAD_BYTE: &[u8] =
    b"{\"access_token\":\"abc\xff\",\"token_type\":\"Bearer\",\"expires_in\":3599}";

#[test]
fn a_200_that_is_not_utf8_is_invalid_response_whatever_its_content_type() {
    for ct in [
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        Some("text/html; charset=iso-8859-1"),
        Some("application/octet-stream"),
        None,
    ] {
        for body in [SUCCESS_WITH_BAD_BYTE, b"\xff\xfe\x00{", b"\xc3"] {
            match error_once(raw(200, ct, body)) {
                Error::InvalidResponse {
                    status: 200,
                    reason,
                } => assert!(
                    reason.contains("UTF-8") || reason.contains("JSON"),
                    "{ct:?}: {reason}"
                ),
                other => panic!("{ct:?} {body:?}: expected invalid_response, got {other:?}"),
            }
        }
    }
}

#[test]
fn a_4xx_with_a_bad_byte_keeps_its_rfc6749_error_and_is_remembered() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_fault(raw(
        401,
        Some("application/json"),
        b"{\"error\":\"invalid_client\",\"error_description\":\"caf\xe9 client unknown\"}",
    ));
    let c = client(&server, &clock);
    let e = c.token().unwrap_err();
    assert_eq!(
        (e.code(), e.status(), e.oauth_error()),
        ("oauth", Some(401), Some("invalid_client")),
        "{e:?}"
    );
    assert_eq!(
        e.error_description(),
        Some("caf\u{FFFD} client unknown"),
        "read leniently: the bad byte becomes U+FFFD"
    );
    // Remembered: the same answer at once, no second request (the terminal answer is kept).
    let again = c.token().unwrap_err();
    assert_eq!(again.oauth_error(), Some("invalid_client"), "{again:?}");
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn a_4xx_that_is_not_utf8_and_not_json_keeps_its_status() {
    for status in [400, 401, 403, 404] {
        let e = error_once(raw(status, Some("text/plain"), b"\xff\xfe nope"));
        assert_eq!((e.code(), e.status()), ("http", Some(status)), "{e:?}");
    }
}

#[test]
fn a_5xx_that_is_not_utf8_is_http_and_retried() {
    let server = mock();
    let clock = ManualClock::new();
    for _ in 0..3 {
        server.push_fault(raw(503, Some("application/json"), b"\xff\xfe"));
    }
    let e = client(&server, &clock).token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("http", Some(503)), "{e:?}");
    assert_eq!(server.token_requests(), 3, "5xx is retried (twice)");
}

#[test]
fn a_body_that_claims_gzip_and_is_not_is_a_malformed_answer() {
    let fault = |status, body: &[u8]| Fault::RawBody {
        status,
        content_type: Some("application/json".into()),
        headers: vec![("content-encoding".into(), "gzip".into())],
        body: body.to_vec(),
    };
    let json = br#"{"access_token":"abc","token_type":"Bearer","expires_in":3599}"#;
    // Not gzip at all; empty; a gzip header cut short (ends early, like a closed connection).
    for body in [&json[..], b"", b"\x1f\x8b\x08\x00"] {
        let e = error_once(fault(200, body));
        assert_eq!(
            (e.code(), e.status()),
            ("invalid_response", Some(200)),
            "{e:?}"
        );
        assert!(e.to_string().contains("gzip"), "{e}");
        let e = error_once(fault(400, body));
        assert_eq!((e.code(), e.status()), ("http", Some(400)), "{e:?}");
    }
    let e = error_once(fault(204, json));
    assert_eq!(e.status(), Some(204), "{e:?}");
}

#[test]
fn the_request_asks_for_no_content_encoding() {
    let server = mock();
    let clock = ManualClock::new();
    client(&server, &clock).token().unwrap();
    let headers = server.last_request_headers().unwrap();
    let accept_encoding: Vec<_> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("accept-encoding"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(accept_encoding, ["identity"]);
}
