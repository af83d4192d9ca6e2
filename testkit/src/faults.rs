//! Faults a test can queue: each token request takes at most one (FIFO) before normal handling.
//! This file defines them, how they are spelled on the control API, and what each one answers.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::responses::{oauth_error, raw, token_json, too_many_requests};
use crate::state::SharedState;

/// One misbehaviour of the token endpoint.
///
/// On the control API (`POST /_mock/faults`) a fault is a JSON object tagged by `kind`, e.g.
/// `{"kind":"delay","ms":800}`; see the crate README for every spelling.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "FaultWire")]
pub enum Fault {
    /// Sleep, then answer normally (validation, rate limit and all).
    Delay(Duration),
    /// That status with a short `text/plain` body naming it (like a gateway or load balancer).
    Status(u16),
    /// Like [`Fault::Status`], plus a `Retry-After` header sent verbatim (seconds or an HTTP
    /// date): a 503 during maintenance, say, that tells clients when to come back.
    StatusWithRetryAfter { status: u16, retry_after: String },
    /// The request reaches the server this late: the mock sleeps *before* recording its arrival
    /// time (so [`crate::MockServer::max_in_window`] and the rate limiter see it late), then
    /// answers normally. `token_requests` still counts it on entry.
    SlowArrival(Duration),
    /// 429 `Too many requests, please try again later`; `Retry-After` sent verbatim when `Some`
    /// (seconds or an HTTP date, or anything else a test wants a client to cope with).
    TooManyRequests { retry_after: Option<String> },
    /// 200, `application/json`, a success body cut off mid-way.
    MalformedJson,
    /// 200 `text/html` maintenance page (what a captive portal or misrouted proxy returns).
    HtmlPage,
    /// 200 `application/json`, exactly this many bytes: a valid success object padded with a
    /// long `padding` string (a prefix of it when the size is too small to hold it).
    OversizedBody(usize),
    /// Valid success JSON with `token_type` `"mac"`.
    WrongTokenType,
    /// Success JSON with `expires_in` replaced by this raw value; `Value::Null` omits the field.
    ExpiresIn(Value),
    /// Success JSON without `access_token`.
    MissingAccessToken,
    /// Success JSON with `access_token` `""`.
    EmptyAccessToken,
    /// Success JSON whose `access_token` contains `"\r\n"` (header injection if used as is).
    TokenWithNewline,
    /// The connection dies before any byte of a response: the response body errors on its first
    /// poll, so hyper aborts the connection without writing the status line or headers. The
    /// client sees the connection close (EOF, possibly a TCP reset) with no HTTP response.
    ConnectionReset,
    /// 307 Temporary Redirect to this `Location`. 307 keeps the method and body, so a client that
    /// follows it would resend the client secret there, which is what a test should catch.
    Redirect(String),
    /// Any RFC 6749 §5.2 error answer.
    OAuthError {
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// Exactly these bytes, with this status, this `Content-Type` (none at all when `None`) and
    /// these extra headers (`Retry-After`, `Content-Encoding`…): invalid UTF-8, binary noise, a
    /// body that claims to be gzip and is not — whatever a test needs a client to cope with.
    RawBody {
        status: u16,
        content_type: Option<String>,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// The control API's spelling. A separate type because `Fault` has tuple variants (and a
/// `Duration`) that serde's internally tagged enums cannot express as `{"kind":..,"ms":..}`.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultWire {
    Delay {
        ms: u64,
    },
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<RetryAfterWire>,
    },
    SlowArrival {
        ms: u64,
    },
    TooManyRequests {
        #[serde(default)]
        retry_after: Option<RetryAfterWire>,
    },
    MalformedJson,
    HtmlPage,
    OversizedBody {
        bytes: usize,
    },
    WrongTokenType,
    ExpiresIn {
        #[serde(default)]
        value: Value,
    },
    MissingAccessToken,
    EmptyAccessToken,
    TokenWithNewline,
    ConnectionReset,
    Redirect {
        location: String,
    },
    #[serde(rename = "oauth_error")]
    OAuthError {
        #[serde(default = "bad_request")]
        status: u16,
        error: String,
        #[serde(default)]
        description: Option<String>,
    },
    Raw {
        #[serde(default = "ok")]
        status: u16,
        #[serde(default)]
        content_type: Option<String>,
        #[serde(default)]
        headers: Vec<(String, String)>,
        #[serde(default)]
        body_base64: String,
    },
}

/// `"retry_after": "7"` and `"retry_after": 7` both mean seven seconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum RetryAfterWire {
    Text(String),
    Seconds(u64),
}

impl RetryAfterWire {
    /// The header text, refused if it cannot be sent in a header.
    fn into_header_text(self) -> Result<String, String> {
        let v = match self {
            RetryAfterWire::Text(s) => s,
            RetryAfterWire::Seconds(n) => n.to_string(),
        };
        HeaderValue::from_str(&v)
            .map_err(|_| format!("retry_after {v:?} cannot be sent in a header"))?;
        Ok(v)
    }
}

fn bad_request() -> u16 {
    400
}

fn ok() -> u16 {
    200
}

impl TryFrom<FaultWire> for Fault {
    type Error = String;

    fn try_from(w: FaultWire) -> Result<Fault, String> {
        Ok(match w {
            FaultWire::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultWire::Status {
                status,
                retry_after: None,
            } => Fault::Status(final_status(status)?),
            FaultWire::Status {
                status,
                retry_after: Some(r),
            } => Fault::StatusWithRetryAfter {
                status: final_status(status)?,
                retry_after: r.into_header_text()?,
            },
            FaultWire::SlowArrival { ms } => Fault::SlowArrival(Duration::from_millis(ms)),
            FaultWire::TooManyRequests { retry_after } => Fault::TooManyRequests {
                retry_after: retry_after
                    .map(RetryAfterWire::into_header_text)
                    .transpose()?,
            },
            FaultWire::MalformedJson => Fault::MalformedJson,
            FaultWire::HtmlPage => Fault::HtmlPage,
            FaultWire::OversizedBody { bytes } => Fault::OversizedBody(bytes),
            FaultWire::WrongTokenType => Fault::WrongTokenType,
            FaultWire::ExpiresIn { value } => Fault::ExpiresIn(value),
            FaultWire::MissingAccessToken => Fault::MissingAccessToken,
            FaultWire::EmptyAccessToken => Fault::EmptyAccessToken,
            FaultWire::TokenWithNewline => Fault::TokenWithNewline,
            FaultWire::ConnectionReset => Fault::ConnectionReset,
            FaultWire::Redirect { location } => {
                HeaderValue::from_str(&location)
                    .map_err(|_| format!("location {location:?} cannot be sent in a header"))?;
                Fault::Redirect(location)
            }
            FaultWire::OAuthError {
                status,
                error,
                description,
            } => Fault::OAuthError {
                status: final_status(status)?,
                error,
                description,
            },
            FaultWire::Raw {
                status,
                content_type,
                headers,
                body_base64,
            } => {
                if let Some(ct) = &content_type {
                    HeaderValue::from_str(ct)
                        .map_err(|_| format!("content_type {ct:?} cannot be sent in a header"))?;
                }
                for (name, value) in &headers {
                    header::HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| format!("header name {name:?} is not valid"))?;
                    HeaderValue::from_str(value)
                        .map_err(|_| format!("header {name}: {value:?} cannot be sent"))?;
                }
                Fault::RawBody {
                    status: final_status(status)?,
                    content_type,
                    headers,
                    body: decode_base64(&body_base64)?,
                }
            }
        })
    }
}

/// Standard base64 (RFC 4648 §4, `=` padding optional, whitespace ignored): the wire spelling of
/// [`Fault::RawBody`]'s bytes, which need not be UTF-8 and so cannot travel as a JSON string.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                return Err(format!(
                    "body_base64: {:?} is not a base64 character",
                    c as char
                ));
            }
        } as u32)
    };
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let digits = digits
        .strip_suffix(b"==")
        .or_else(|| digits.strip_suffix(b"="))
        .unwrap_or(&digits);
    if digits.len() % 4 == 1 {
        return Err("body_base64: truncated (length is 1 more than a multiple of 4)".into());
    }
    let mut out = Vec::with_capacity(digits.len() / 4 * 3 + 2);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Ok(out)
}

/// Informational (1xx) codes are not final answers; hyper cannot send them as one.
fn final_status(status: u16) -> Result<u16, String> {
    if (200..=599).contains(&status) {
        Ok(status)
    } else {
        Err(format!("status {status} is not between 200 and 599"))
    }
}

/// A status a Rust caller may have got wrong becomes a 500 rather than a panic in the server.
fn status_or_500(status: u16) -> StatusCode {
    StatusCode::from_u16(status)
        .ok()
        .filter(|s| !s.is_informational())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Who asked, as far as the (possibly invalid) form body tells: the success-shaped faults mint
/// tokens in that client's name.
pub(crate) struct Requester<'a> {
    pub(crate) client_id: Option<&'a str>,
    pub(crate) scope: Option<&'a str>,
}

impl Fault {
    /// The answer for every fault but [`Fault::Delay`] and [`Fault::SlowArrival`], which the
    /// token endpoint handles itself.
    ///
    /// Success-shaped faults whose token a lenient client could accept (`WrongTokenType`,
    /// `ExpiresIn`) issue a real token, valid on the resource and counted in `tokens_issued`;
    /// the others carry a random token the resource does not know.
    pub(crate) fn respond(self, state: &SharedState, who: &Requester<'_>) -> Response {
        match self {
            Fault::Delay(_) | Fault::SlowArrival(_) => {
                unreachable!("delays are handled by the token endpoint")
            }
            Fault::Status(s) => status_text(s),
            Fault::StatusWithRetryAfter {
                status,
                retry_after,
            } => {
                let mut resp = status_text(status);
                if let Ok(v) = HeaderValue::from_str(&retry_after) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                resp
            }
            Fault::TooManyRequests { retry_after } => {
                too_many_requests(retry_after.and_then(|v| HeaderValue::from_str(&v).ok()))
            }
            Fault::MalformedJson => raw(
                StatusCode::OK,
                "application/json",
                br#"{"access_token": "eyJhbGciOi", "token_type": "Bearer", "expires_in": 35"#
                    .to_vec(),
            ),
            Fault::HtmlPage => raw(
                StatusCode::OK,
                "text/html; charset=utf-8",
                HTML_PAGE.as_bytes().to_vec(),
            ),
            Fault::OversizedBody(n) => raw(StatusCode::OK, "application/json", oversized(n, state)),
            Fault::WrongTokenType => {
                let mut body = issued_body(state, who);
                body["token_type"] = Value::from("mac");
                token_json(StatusCode::OK, body)
            }
            Fault::ExpiresIn(value) => {
                let mut body = issued_body(state, who);
                if value.is_null() {
                    remove(&mut body, "expires_in");
                } else {
                    body["expires_in"] = value;
                }
                token_json(StatusCode::OK, body)
            }
            Fault::MissingAccessToken => {
                let mut body = fake_body(state, "");
                remove(&mut body, "access_token");
                token_json(StatusCode::OK, body)
            }
            Fault::EmptyAccessToken => token_json(StatusCode::OK, fake_body(state, "")),
            Fault::TokenWithNewline => token_json(
                StatusCode::OK,
                fake_body(state, "mock-token-part-one\r\nX-Injected: yes"),
            ),
            Fault::ConnectionReset => Response::new(Body::new(AbortBody)),
            Fault::Redirect(location) => {
                let mut resp = StatusCode::TEMPORARY_REDIRECT.into_response();
                if let Ok(v) = HeaderValue::from_str(&location) {
                    resp.headers_mut().insert(header::LOCATION, v);
                }
                resp
            }
            Fault::OAuthError {
                status,
                error,
                description,
            } => oauth_error(status_or_500(status), &error, description.as_deref()),
            Fault::RawBody {
                status,
                content_type,
                headers,
                body,
            } => {
                let mut resp = (status_or_500(status), body).into_response();
                let h = resp.headers_mut();
                h.remove(header::CONTENT_TYPE);
                if let Some(v) = content_type.and_then(|ct| HeaderValue::from_str(&ct).ok()) {
                    h.insert(header::CONTENT_TYPE, v);
                }
                for (name, value) in headers {
                    if let (Ok(n), Ok(v)) = (
                        header::HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(&value),
                    ) {
                        h.append(n, v);
                    }
                }
                resp
            }
        }
    }
}

/// That status with a short `text/plain` body naming it, such as `503 Service Unavailable`.
fn status_text(s: u16) -> Response {
    let status = status_or_500(s);
    let text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    raw(status, "text/plain; charset=utf-8", text.into_bytes())
}

/// A success object around a real, registered token.
fn issued_body(state: &SharedState, who: &Requester<'_>) -> Value {
    let client_id = who.client_id.unwrap_or("");
    let scopes: Vec<String> = match who.scope.filter(|s| !s.trim().is_empty()) {
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
        None => state
            .app(client_id)
            .map(|a| a.scopes.clone())
            .unwrap_or_default(),
    };
    let scope = scopes.join(" ");
    let (token, lifetime) = state.issue_token(client_id, scopes);
    success_body(&token, lifetime, &scope)
}

fn remove(body: &mut Value, field: &str) {
    if let Some(object) = body.as_object_mut() {
        object.remove(field);
    }
}

/// A success object around a token the resource does not know.
fn fake_body(state: &SharedState, token: &str) -> Value {
    success_body(token, state.lifetime_secs(), "officernd.api.read")
}

fn success_body(token: &str, lifetime: i64, scope: &str) -> Value {
    json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": scope,
    })
}

fn oversized(n: usize, state: &SharedState) -> Vec<u8> {
    let head = format!(
        r#"{{"access_token":"{}","token_type":"Bearer","expires_in":{},"padding":""#,
        "x".repeat(48),
        state.lifetime_secs()
    );
    let tail = br#""}"#;
    let mut body = Vec::with_capacity(n.max(head.len() + tail.len()));
    body.extend_from_slice(head.as_bytes());
    body.resize(n.saturating_sub(tail.len()).max(head.len()), b'x');
    body.extend_from_slice(tail);
    body.truncate(n);
    body
}

const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>We'll be back soon</title></head>\
<body><h1>We&rsquo;ll be back soon</h1><p>OfficeRnD is down for scheduled maintenance.</p>\
</body></html>\n";

/// A response body whose first poll fails. Hyper has only buffered the head at that point, so
/// it drops the connection without sending a single byte.
struct AbortBody;

impl http_body::Body for AbortBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected fault: connection reset",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Fault>, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn every_documented_spelling_parses() {
        let faults = parse(
            r#"[{"kind":"delay","ms":800},{"kind":"status","status":503},
            {"kind":"status","status":503,"retry_after":"30"},{"kind":"status","status":502,"retry_after":2},
            {"kind":"slow_arrival","ms":500},
            {"kind":"too_many_requests","retry_after":"7"},{"kind":"too_many_requests","retry_after":7},
            {"kind":"too_many_requests"},{"kind":"malformed_json"},{"kind":"html_page"},
            {"kind":"oversized_body","bytes":100000},{"kind":"wrong_token_type"},
            {"kind":"expires_in","value":"3599"},{"kind":"expires_in"},{"kind":"missing_access_token"},
            {"kind":"empty_access_token"},{"kind":"token_with_newline"},{"kind":"connection_reset"},
            {"kind":"redirect","location":"http://127.0.0.1:1/x"},
            {"kind":"oauth_error","status":400,"error":"invalid_scope","description":"nope"}]"#,
        )
        .unwrap();
        assert_eq!(
            faults,
            vec![
                Fault::Delay(Duration::from_millis(800)),
                Fault::Status(503),
                Fault::StatusWithRetryAfter {
                    status: 503,
                    retry_after: "30".into()
                },
                Fault::StatusWithRetryAfter {
                    status: 502,
                    retry_after: "2".into()
                },
                Fault::SlowArrival(Duration::from_millis(500)),
                Fault::TooManyRequests {
                    retry_after: Some("7".into())
                },
                Fault::TooManyRequests {
                    retry_after: Some("7".into())
                },
                Fault::TooManyRequests { retry_after: None },
                Fault::MalformedJson,
                Fault::HtmlPage,
                Fault::OversizedBody(100_000),
                Fault::WrongTokenType,
                Fault::ExpiresIn(Value::from("3599")),
                Fault::ExpiresIn(Value::Null),
                Fault::MissingAccessToken,
                Fault::EmptyAccessToken,
                Fault::TokenWithNewline,
                Fault::ConnectionReset,
                Fault::Redirect("http://127.0.0.1:1/x".into()),
                Fault::OAuthError {
                    status: 400,
                    error: "invalid_scope".into(),
                    description: Some("nope".into())
                },
            ]
        );
    }

    #[test]
    fn bad_spellings_are_rejected() {
        assert!(parse(r#"[{"kind":"nope"}]"#).is_err());
        assert!(parse(r#"[{"kind":"delay"}]"#).is_err());
        assert!(parse(r#"[{"kind":"delay","millis":5}]"#).is_err());
        assert!(parse(r#"[{"kind":"status","status":99}]"#).is_err());
        assert!(parse(r#"[{"kind":"status","status":99,"retry_after":"1"}]"#).is_err());
        assert!(parse(r#"[{"kind":"status","status":503,"retry_after":"a\nb"}]"#).is_err());
        assert!(parse(r#"[{"kind":"slow_arrival"}]"#).is_err());
        assert!(parse(r#"[{"kind":"slow_arrival","ms":5,"status":1}]"#).is_err());
        assert!(parse(r#"[{"kind":"redirect","location":"a\nb"}]"#).is_err());
    }

    #[test]
    fn raw_body_spelling_decodes_base64() {
        let faults = parse(
            r#"[{"kind":"raw","status":200,"content_type":"application/json","body_base64":"/w=="},
            {"kind":"raw","status":401,"headers":[["retry-after","7"],["content-encoding","gzip"]],"body_base64":"AAEC/w"},
            {"kind":"raw"}]"#,
        )
        .unwrap();
        assert_eq!(
            faults,
            vec![
                Fault::RawBody {
                    status: 200,
                    content_type: Some("application/json".into()),
                    headers: vec![],
                    body: vec![0xff],
                },
                Fault::RawBody {
                    status: 401,
                    content_type: None,
                    headers: vec![
                        ("retry-after".into(), "7".into()),
                        ("content-encoding".into(), "gzip".into())
                    ],
                    body: vec![0, 1, 2, 0xff],
                },
                Fault::RawBody {
                    status: 200,
                    content_type: None,
                    headers: vec![],
                    body: vec![],
                },
            ]
        );
        // Every length and every byte value survives the spelling.
        let all: Vec<u8> = (0..=255).collect();
        for n in 0..all.len() {
            let b64 = encode_base64(&all[..n]);
            assert_eq!(decode_base64(&b64).unwrap(), &all[..n], "{b64}");
            assert_eq!(decode_base64(b64.trim_end_matches('=')).unwrap(), &all[..n]);
        }
        assert!(parse(r#"[{"kind":"raw","body_base64":"a*=="}]"#).is_err());
        assert!(parse(r#"[{"kind":"raw","body_base64":"abcde"}]"#).is_err());
        assert!(parse(r#"[{"kind":"raw","status":99}]"#).is_err());
        assert!(parse(r#"[{"kind":"raw","content_type":"a\nb"}]"#).is_err());
        assert!(parse(r#"[{"kind":"raw","headers":[["bad name","x"]]}]"#).is_err());
        assert!(parse(r#"[{"kind":"raw","body":"x"}]"#).is_err());
    }

    /// The reference encoder the round trip is checked against.
    fn encode_base64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut n = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                n |= (b as u32) << (16 - 8 * i);
            }
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn oversized_body_has_exact_size() {
        let state = SharedState::new(&crate::MockConfig::default());
        for n in [0, 1, 10, 100, 1000, 65_537] {
            assert_eq!(oversized(n, &state).len(), n);
        }
        let big = oversized(1000, &state);
        let v: Value = serde_json::from_slice(&big).unwrap();
        assert_eq!(v["token_type"], "Bearer");
    }
}
