//! Turning the token endpoint's HTTP answer into a grant or a typed error (RFC 6749 §5.1, §5.2).
//! Every malformed answer becomes `invalid_response`; nothing here ever echoes the body whole.
//!
//! The body arrives as bytes and is classified by status: a 200 must be UTF-8 JSON (anything
//! else is `invalid_response`, never retried); a 4xx is read leniently (bad bytes become U+FFFD)
//! so that its RFC 6749 `error` is still recognised; a 5xx is `http` whatever its body. Every
//! text an error keeps from the answer is scrubbed of the client secret (in every spelling, see
//! [`crate::secret::redact`]) and of the access token, whatever field it came from.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::error::{Error, OAuthErrorBody, Result};
use crate::secret::{ClientSecret, redact, scrub};

/// Answers larger than this are refused (a token answer is a few hundred bytes).
pub(crate) const MAX_BODY_BYTES: u64 = 64 * 1024;

/// `expires_in` above this is treated as nonsense (OfficeRnD issues 3599 s).
const MAX_EXPIRES_IN: u64 = 7 * 24 * 3600;

/// Server-provided text kept in errors is cut to this many characters.
const MAX_TEXT: usize = 300;

/// A successful token answer, validated.
#[derive(Debug, PartialEq)]
pub(crate) struct Grant {
    pub access_token: String,
    pub expires_in: Duration,
    /// `None` when the server omitted `scope` (then the requested scopes apply).
    pub scopes: Option<Vec<String>>,
}

/// What the transport read off the wire.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    /// The body's bytes as they arrived (after any `Content-Encoding`), or why they could not be
    /// read (over [`MAX_BODY_BYTES`], an encoding that does not decode). Not necessarily UTF-8:
    /// what they mean depends on the status ([`interpret`]).
    pub body: std::result::Result<Vec<u8>, String>,
}

#[derive(Deserialize)]
struct SuccessBody {
    access_token: Option<serde_json::Value>,
    token_type: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    scope: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<serde_json::Value>,
    error_description: Option<serde_json::Value>,
    error_uri: Option<serde_json::Value>,
}

/// RFC 6749 §5.2 error codes (and the common extensions `server_error`,
/// `temporarily_unavailable`, `access_denied`): protocol vocabulary, the same for every client,
/// kept verbatim in errors so that terminal answers are still recognised whatever the secret.
const REGISTERED_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "server_error",
    "temporarily_unavailable",
];

/// Interprets one answer. `now` is wall time, used to read an HTTP-date `Retry-After`.
pub(crate) fn interpret(reply: Reply, secret: &ClientSecret, now: SystemTime) -> Result<Grant> {
    classify(reply, now).map_err(|e| scrub_error(e, secret))
}

/// Scrubs every text an error carries from the answer (reason, detail, description, URI, an
/// unregistered `error` code) of the client secret: one place, so no field is forgotten.
fn scrub_error(e: Error, secret: &ClientSecret) -> Error {
    let s = |t: String| scrub(&t, secret);
    match e {
        Error::InvalidResponse { status, reason } => Error::InvalidResponse {
            status,
            reason: s(reason),
        },
        Error::Http {
            status,
            detail,
            retry_after,
        } => Error::Http {
            status,
            detail: detail.map(s),
            retry_after,
        },
        Error::OAuth { status, body } => Error::OAuth {
            status,
            body: OAuthErrorBody {
                error: if REGISTERED_ERRORS.contains(&body.error.as_str()) {
                    body.error
                } else {
                    s(body.error)
                },
                error_description: body.error_description.map(s),
                error_uri: body.error_uri.map(s),
            },
        },
        other => other,
    }
}

fn classify(reply: Reply, now: SystemTime) -> Result<Grant> {
    let status = reply.status;
    if status == 429 {
        // Whatever its body (unreadable, oversized, not UTF-8): a 429 starts a cool-down.
        return Err(Error::RateLimited {
            retry_after: reply
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now))
                .unwrap_or(Duration::from_secs(60)),
            from_server: true,
            reason: None,
            last_error: None,
        });
    }
    let invalid = |reason: String| Error::InvalidResponse { status, reason };
    let bytes = reply.body.map_err(|why| {
        if status == 200 {
            invalid(why.clone())
        } else {
            Error::Http {
                status,
                detail: Some(why.clone()),
                retry_after: None,
            }
        }
    })?;
    if status == 200 {
        // A token answer must be UTF-8 JSON (RFC 8259 §8.1): a bad byte is a malformed answer,
        // not something to guess around (the token is in there).
        let body = std::str::from_utf8(&bytes).map_err(|e| {
            invalid(format!(
                "body is not valid UTF-8 (bad byte at offset {}; {})",
                e.valid_up_to(),
                describe_body(&bytes, &reply.content_type)
            ))
        })?;
        return parse_success(body, &reply.content_type).map_err(invalid);
    }
    // Errors are read leniently: an RFC 6749 error with one bad byte in its description is still
    // that error (and a terminal one is still remembered).
    let text = String::from_utf8_lossy(&bytes);
    match status {
        400..=599 => match parse_error_body(&text) {
            Some(oauth) if status < 500 => Err(Error::OAuth {
                status,
                body: oauth,
            }),
            oauth => Err(Error::Http {
                status,
                detail: oauth
                    .map(|o| o.to_string())
                    .or_else(|| Some(describe_body(&bytes, &reply.content_type))),
                retry_after: reply
                    .retry_after
                    .as_deref()
                    .and_then(|v| parse_retry_after(v, now)),
            }),
        },
        300..=399 => Err(Error::Http {
            status,
            detail: Some("redirect not followed (it would resend the client secret)".into()),
            retry_after: None,
        }),
        _ => Err(Error::Http {
            status,
            detail: Some("unexpected status for a token answer".into()),
            retry_after: None,
        }),
    }
}

fn parse_success(body: &str, content_type: &Option<String>) -> std::result::Result<Grant, String> {
    let parsed: SuccessBody = serde_json::from_str(body).map_err(|_| {
        format!(
            "body is not a JSON object ({})",
            describe_body(body.as_bytes(), content_type)
        )
    })?;
    let access_token = match parsed.access_token {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        Some(serde_json::Value::String(_)) => return Err("access_token is empty".into()),
        Some(_) => return Err("access_token is not a string".into()),
        None => return Err("access_token is missing".into()),
    };
    if let Some(bad) = access_token.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!(
            "access_token contains a character that cannot go in a header ({})",
            char_name(bad)
        ));
    }
    // Past this point the token is known: no reason may quote it (a server that echoes it in
    // another field must not put it in an error message).
    check_fields(parsed.token_type, parsed.expires_in, parsed.scope)
        .map(|(expires_in, scopes)| Grant {
            access_token: access_token.clone(),
            expires_in,
            scopes,
        })
        .map_err(|reason| redact(&reason, &access_token))
}

/// `token_type`, `expires_in` and `scope` of a success answer.
fn check_fields(
    token_type: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    scope: Option<serde_json::Value>,
) -> std::result::Result<(Duration, Option<Vec<String>>), String> {
    match token_type {
        Some(serde_json::Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(serde_json::Value::String(t)) => {
            return Err(format!("token_type is {:?}, not Bearer", cut(&t)));
        }
        Some(_) => return Err("token_type is not a string".into()),
        None => return Err("token_type is missing".into()),
    }
    let expires_in = match expires_in {
        Some(serde_json::Value::Number(n)) => match n.as_u64() {
            Some(0) => return Err("expires_in is zero".into()),
            Some(s) if s > MAX_EXPIRES_IN => {
                return Err(format!(
                    "expires_in {s} is absurd (over {MAX_EXPIRES_IN} s)"
                ));
            }
            Some(s) => Duration::from_secs(s),
            None => return Err(format!("expires_in {n} is not a positive whole number")),
        },
        Some(serde_json::Value::String(_)) => {
            return Err("expires_in is a string, not a number".into());
        }
        Some(_) => return Err("expires_in is not a number".into()),
        None => return Err("expires_in is missing".into()),
    };
    let scopes = match scope {
        Some(serde_json::Value::String(s)) => {
            Some(s.split_whitespace().map(str::to_owned).collect())
        }
        Some(serde_json::Value::Null) | None => None,
        Some(_) => return Err("scope is not a string".into()),
    };
    Ok((expires_in, scopes))
}

/// The RFC 6749 fields of an error answer, cut to size (scrubbed by [`interpret`]).
fn parse_error_body(body: &str) -> Option<OAuthErrorBody> {
    let parsed: ErrorBody = serde_json::from_str(body).ok()?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(cut(&s)),
        _ => None,
    };
    Some(OAuthErrorBody {
        error: text(parsed.error)?,
        error_description: text(parsed.error_description),
        error_uri: text(parsed.error_uri),
    })
}

/// A short, safe description of a body we could not use: its type and size, never its text.
fn describe_body(body: &[u8], content_type: &Option<String>) -> String {
    let ct = content_type.as_deref().unwrap_or("no content-type");
    let kind = if body.trim_ascii_start().starts_with(b"<") {
        "an HTML/XML page"
    } else if body.trim_ascii().is_empty() {
        "an empty body"
    } else {
        "a body"
    };
    format!("{kind} of {} bytes, {}", body.len(), cut(ct))
}

/// `Retry-After` is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Delay-seconds too large for u64 is still "a very long time": the cap, not ignored.
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs.min(24 * 3600)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(24 * 3600)),
    )
}

fn cut(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TEXT)
        .collect();
    if s.chars().count() > MAX_TEXT {
        format!("{clean}…")
    } else {
        clean
    }
}

fn char_name(c: char) -> String {
    match c {
        '\r' => "CR".into(),
        '\n' => "LF".into(),
        ' ' => "space".into(),
        c => format!("U+{:04X}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "the-client-secret-123";

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: Some("application/json".into()),
            retry_after: None,
            body: Ok(body.into()),
        }
    }

    fn run(r: Reply) -> Result<Grant> {
        interpret(r, &ClientSecret::new(SECRET), SystemTime::now())
    }

    fn invalid_reason(body: &str) -> String {
        match run(reply(200, body)) {
            Err(Error::InvalidResponse {
                status: 200,
                reason,
            }) => reason,
            other => panic!("expected invalid_response for {body}, got {other:?}"),
        }
    }

    #[test]
    fn success() {
        let g = run(reply(
            200,
            r#"{"access_token":"abc.DEF-123_~+/=","token_type":"bearer","expires_in":3599,"scope":"a b"}"#,
        ))
        .unwrap();
        assert_eq!(g.access_token, "abc.DEF-123_~+/=");
        assert_eq!(g.expires_in, Duration::from_secs(3599));
        assert_eq!(g.scopes, Some(vec!["a".into(), "b".into()]));
        let g = run(reply(
            200,
            r#"{"access_token":"x","token_type":"Bearer","expires_in":10}"#,
        ))
        .unwrap();
        assert_eq!(g.scopes, None);
    }

    #[test]
    fn every_malformed_answer_is_invalid_response() {
        let cases = [
            ("not json at all", "not a JSON object"),
            ("<html><body>Bad gateway</body></html>", "HTML"),
            (r#"["array"]"#, "not a JSON object"),
            (
                r#"{"token_type":"Bearer","expires_in":1}"#,
                "access_token is missing",
            ),
            (
                r#"{"access_token":"","token_type":"Bearer","expires_in":1}"#,
                "empty",
            ),
            (
                r#"{"access_token":5,"token_type":"Bearer","expires_in":1}"#,
                "not a string",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"mac","expires_in":1}"#,
                "not Bearer",
            ),
            (
                r#"{"access_token":"tok-1","expires_in":1}"#,
                "token_type is missing",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer"}"#,
                "expires_in is missing",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":0}"#,
                "zero",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":-5}"#,
                "positive",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":1.5}"#,
                "positive",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":99999999999}"#,
                "absurd",
            ),
            (
                r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":"3599"}"#,
                "string",
            ),
            (
                r#"{"access_token":"a\r\nX-Evil: 1","token_type":"Bearer","expires_in":1}"#,
                "CR",
            ),
            (
                r#"{"access_token":"a b","token_type":"Bearer","expires_in":1}"#,
                "space",
            ),
            (
                r#"{"access_token":"caf\u00e9","token_type":"Bearer","expires_in":1}"#,
                "U+00E9",
            ),
        ];
        for (body, want) in cases {
            let reason = invalid_reason(body);
            assert!(reason.contains(want), "{body}: {reason}");
        }
    }

    #[test]
    fn oversized_body_is_invalid_response() {
        let r = Reply {
            body: Err("answer larger than 65536 bytes".into()),
            ..reply(200, "")
        };
        assert_eq!(run(r).unwrap_err().code(), "invalid_response");
    }

    #[test]
    fn oauth_errors_keep_their_fields_and_scrub_the_secret() {
        let e = run(reply(
            401,
            &format!(
                r#"{{"error":"invalid_client","error_description":"bad secret {SECRET}","error_uri":"https://x/y"}}"#
            ),
        ))
        .unwrap_err();
        assert_eq!(e.code(), "oauth");
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.oauth_error(), Some("invalid_client"));
        assert_eq!(e.error_uri(), Some("https://x/y"));
        assert!(!e.to_string().contains(SECRET));
        assert!(!format!("{e:?}").contains(SECRET));
        assert!(e.error_description().unwrap().contains("[redacted]"));
    }

    fn bytes(status: u16, body: &[u8]) -> Reply {
        Reply {
            body: Ok(body.to_vec()),
            ..reply(status, "")
        }
    }

    #[test]
    fn a_200_that_is_not_utf8_is_invalid_response() {
        let e = run(bytes(
            200,
            b"{\"access_token\":\"ab\xff\",\"token_type\":\"Bearer\",\"expires_in\":5}",
        ))
        .unwrap_err();
        match &e {
            Error::InvalidResponse {
                status: 200,
                reason,
            } => {
                assert!(reason.contains("not valid UTF-8"), "{reason}");
                assert!(reason.contains("offset 19"), "{reason}");
                assert!(reason.contains("of 59 bytes"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.is_retryable() && !e.may_retry_now());
    }

    #[test]
    fn a_4xx_is_read_leniently_and_a_5xx_stays_http() {
        let e = run(bytes(
            400,
            b"{\"error\":\"invalid_scope\",\"error_description\":\"no \xc3 way\"}",
        ))
        .unwrap_err();
        assert_eq!(e.oauth_error(), Some("invalid_scope"));
        assert_eq!(e.error_description(), Some("no \u{FFFD} way"));
        assert!(e.is_terminal_oauth());
        let e = run(bytes(502, b"{\"error\":\"x\xff\"}")).unwrap_err();
        assert_eq!((e.code(), e.status()), ("http", Some(502)));
        assert!(e.may_retry_now());
        let e = run(bytes(418, b"\xff\xfe")).unwrap_err();
        assert_eq!((e.code(), e.status()), ("http", Some(418)));
    }

    #[test]
    fn every_text_from_the_answer_is_scrubbed_in_every_spelling() {
        const ODD: &str = "Zq+8/x=y z%\u{e9}";
        const FORM: &str = "Zq%2B8%2Fx%3Dy+z%25%C3%A9";
        const LOWER_HEX: &str = "Zq%2b8%2fx%3dy+z%25%c3%a9";
        let run = |r: Reply| interpret(r, &ClientSecret::new(ODD), SystemTime::now());
        // Echoed in the description (form-encoded), the URI (lower-case hex), and an
        // unregistered error code (raw).
        let e = run(reply(
            400,
            &format!(
                r#"{{"error":"bad_{ODD}","error_description":"client_secret={FORM}&x","error_uri":"https://x/?s={LOWER_HEX}"}}"#
            ),
        ))
        .unwrap_err();
        // In a content type (a 5xx describes its body by it) and a token_type.
        let mut r = reply(503, "busy");
        r.content_type = Some(format!("text/plain; echo={FORM}"));
        let e2 = run(r).unwrap_err();
        let e3 = run(reply(
            200,
            &format!(r#"{{"access_token":"tok-1","token_type":"{ODD}","expires_in":5}}"#),
        ))
        .unwrap_err();
        for e in [e, e2, e3] {
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains(ODD) && !text.contains(FORM), "{text}");
                assert!(
                    !text.to_lowercase().contains(&FORM.to_lowercase()),
                    "{text}"
                );
                assert!(text.contains("[redacted]"), "{text}");
            }
        }
    }

    #[test]
    fn a_registered_error_code_survives_even_a_one_character_secret() {
        let e = interpret(
            reply(
                401,
                r#"{"error":"invalid_client","error_description":"a b c"}"#,
            ),
            &ClientSecret::new("a"),
            SystemTime::now(),
        )
        .unwrap_err();
        assert_eq!(e.oauth_error(), Some("invalid_client"));
        assert!(e.is_terminal_oauth());
        assert_eq!(e.error_description(), Some("[redacted] b c"));
    }

    #[test]
    fn the_access_token_is_never_quoted_in_a_reason() {
        let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.sig";
        let reason = invalid_reason(&format!(
            r#"{{"access_token":"{token}","token_type":"{token}","expires_in":5}}"#
        ));
        assert!(!reason.contains(token), "{reason}");
        assert!(reason.contains("not Bearer"), "{reason}");
    }

    #[test]
    fn status_mapping() {
        assert_eq!(run(reply(503, "busy")).unwrap_err().code(), "http");
        assert_eq!(
            run(reply(502, "<html>x</html>")).unwrap_err().code(),
            "http"
        );
        assert_eq!(run(reply(302, "")).unwrap_err().code(), "http");
        assert_eq!(run(reply(404, "nope")).unwrap_err().code(), "http");
        let e = run(reply(500, r#"{"error":"server_error"}"#)).unwrap_err();
        assert_eq!(e.code(), "http");
        assert!(e.may_retry_now());
    }

    #[test]
    fn a_429_is_rate_limited_whatever_its_body() {
        for body in [
            Err("answer larger than 65536 bytes".to_owned()),
            Ok(b"\xff\xfe".to_vec()),
        ] {
            let mut r = Reply {
                body,
                ..reply(429, "")
            };
            r.retry_after = Some("9".into());
            let e = run(r).unwrap_err();
            assert_eq!(e.code(), "rate_limited");
            assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
        }
    }

    #[test]
    fn retry_after_seconds_date_and_default() {
        let now = SystemTime::now();
        let mut r = reply(429, "Too many requests, please try again later");
        r.retry_after = Some("7".into());
        assert_eq!(
            interpret(r, &ClientSecret::new(SECRET), now)
                .unwrap_err()
                .retry_after(),
            Some(Duration::from_secs(7))
        );
        let mut r = reply(429, "");
        r.retry_after = Some(httpdate::fmt_http_date(now + Duration::from_secs(30)));
        let got = interpret(r, &ClientSecret::new(SECRET), now)
            .unwrap_err()
            .retry_after()
            .unwrap();
        assert!(
            got <= Duration::from_secs(30) && got >= Duration::from_secs(29),
            "{got:?}"
        );
        let e = interpret(reply(429, ""), &ClientSecret::new(SECRET), now).unwrap_err();
        assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
        assert_eq!(e.status(), Some(429));
        assert_eq!(parse_retry_after("garbage", now), None);
        // Too large for u64 is still delay-seconds: the 24 h cap, never dropped (a dropped
        // value would let a 503 be retried at once, a 429 cool down only 60 s).
        assert_eq!(
            parse_retry_after("99999999999999999999", now),
            Some(Duration::from_secs(24 * 3600))
        );
        assert_eq!(parse_retry_after("-5", now), None);
    }
}

/// Property tests of [`interpret`] over arbitrary answers: whatever the status, headers and
/// bytes, no panic, a typed error that says what happened (never `transport` or `timeout`: the
/// answer arrived whole), nothing retried but a 5xx, and no text that carries the client secret
/// (in any spelling) or the access token. Deterministic (fixed seed, no persistence file);
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override the defaults for a longer or another run.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::secret::tests::spellings;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
    use serde_json::{Value, json};

    /// Cases per run in `make test`; a few seconds in a debug build.
    const CASES: u32 = 4096;

    fn config(cases: u32) -> Config {
        let defaults = Config::default();
        Config {
            cases: std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(cases),
            failure_persistence: None,
            rng_seed: match defaults.rng_seed {
                RngSeed::Random => RngSeed::Fixed(0x0ff1_ce4d),
                fixed => fixed,
            },
            ..defaults
        }
    }

    /// A secret with the characters that need encoding (`+ / = % & space`, non-ASCII) and enough
    /// random ones around them that it cannot be a word of our own messages.
    fn secret() -> impl Strategy<Value = String> {
        (
            "[A-Za-z0-9]{3,10}",
            prop::collection::vec(
                prop::sample::select(vec!["+", "/", "=", "%", "&", " ", "é", "密", "🔑", "%2B"]),
                1..4,
            ),
            "[A-Za-z0-9._~-]{3,10}",
        )
            .prop_map(|(a, special, b)| format!("{a}{}{b}", special.concat()))
    }

    /// Text a server might put in any field: arbitrary unicode, long runs, and the secret in
    /// one of its spellings.
    fn text(secret: String) -> impl Strategy<Value = String> {
        let spelled = prop::sample::select(spellings(&secret));
        prop_oneof![
            3 => any::<String>(),
            2 => ("[ -~]{0,20}", spelled, "[ -~]{0,20}").prop_map(|(a, s, b)| format!("{a}{s}{b}")),
            1 => ("[a-z]", 290..700usize).prop_map(|(c, n)| c.repeat(n)),
            1 => "\\PC{0,40}",
        ]
    }

    /// `expires_in` in every shape JSON allows, and some it should not carry.
    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (1..700_000u64).prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            Just(json!(3599.0)),
            Just(json!(-0.0)),
            Just(json!("3599")),
            Just(json!(true)),
            Just(json!([3599])),
            Just(json!({"s": 3599})),
            Just(Value::Null),
        ]
    }

    /// Any JSON value, nested.
    fn json_value(secret: String) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            number(),
            text(secret).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn field(secret: String) -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            4 => text(secret.clone()).prop_map(|t| Some(Value::from(t))),
            1 => json_value(secret).prop_map(Some),
            1 => Just(None),
        ]
    }

    /// Success-shaped objects with each field sometimes right, sometimes anything.
    fn success(secret: String) -> impl Strategy<Value = Value> {
        (
            prop_oneof![
                3 => "[A-Za-z0-9._~+/=-]{8,60}".prop_map(|t| Some(Value::from(t))),
                1 => field(secret.clone()),
            ],
            prop_oneof![
                3 => prop::sample::select(vec!["Bearer", "bearer", "BEARER"]).prop_map(|t| Some(Value::from(t))),
                1 => field(secret.clone()),
            ],
            prop_oneof![3 => number().prop_map(Some), 1 => Just(None)],
            field(secret.clone()),
            prop::collection::btree_map("[a-z_]{1,12}", json_value(secret), 0..3),
        )
            .prop_map(|(token, token_type, expires_in, scope, extra)| {
                let mut o: serde_json::Map<String, Value> = extra.into_iter().collect();
                for (k, v) in [
                    ("access_token", token),
                    ("token_type", token_type),
                    ("expires_in", expires_in),
                    ("scope", scope),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), v);
                    }
                }
                Value::Object(o)
            })
    }

    /// RFC 6749 error objects, the registered codes and anything else.
    fn error_object(secret: String) -> impl Strategy<Value = Value> {
        (
            prop_oneof![
                3 => prop::sample::select(REGISTERED_ERRORS.to_vec()).prop_map(|e| Some(Value::from(e))),
                1 => field(secret.clone()),
            ],
            field(secret.clone()),
            field(secret),
        )
            .prop_map(|(error, description, uri)| {
                let mut o = serde_json::Map::new();
                for (k, v) in [
                    ("error", error),
                    ("error_description", description),
                    ("error_uri", uri),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), v);
                    }
                }
                Value::Object(o)
            })
    }

    /// Flip, insert, delete or cut bytes of a serialised body.
    fn mutated(body: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
        let len = body.len().max(1);
        prop::collection::vec((0..4u8, 0..len, any::<u8>()), 0..4).prop_map(move |edits| {
            let mut b = body.clone();
            for (kind, at, byte) in edits {
                let at = at.min(b.len());
                match kind {
                    0 if at < b.len() => b[at] = byte,
                    1 => b.insert(at, byte),
                    2 if at < b.len() => {
                        b.remove(at);
                    }
                    _ => b.truncate(at),
                }
            }
            b
        })
    }

    pub(super) fn body(secret: String) -> impl Strategy<Value = Vec<u8>> {
        let serialised = |v: Value| serde_json::to_vec(&v).unwrap();
        prop_oneof![
            2 => prop::collection::vec(any::<u8>(), 0..300),
            3 => success(secret.clone()).prop_map(serialised),
            2 => success(secret.clone()).prop_map(serialised).prop_flat_map(mutated),
            3 => error_object(secret.clone()).prop_map(serialised),
            2 => error_object(secret.clone()).prop_map(serialised).prop_flat_map(mutated),
            1 => json_value(secret.clone()).prop_map(serialised),
            1 => text(secret).prop_map(String::into_bytes),
            1 => (1..200usize).prop_map(|depth| format!("{}1{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
        ]
    }

    fn status() -> impl Strategy<Value = u16> {
        prop_oneof![
            4 => Just(200u16),
            3 => prop::sample::select(vec![400u16, 401, 403, 404, 408, 429, 500, 502, 503, 504]),
            1 => 100..1000u16,
        ]
    }

    fn header(secret: String) -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            2 => Just(None),
            1 => text(secret).prop_map(Some),
            1 => prop::sample::select(vec![
                "application/json", "application/json; charset=utf-8", "text/html",
                "text/plain; charset=iso-8859-1", "0", "7", "-1", "99999999999999999999",
                "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "",
            ]).prop_map(|s| Some(s.to_owned())),
        ]
    }

    /// One answer as it arrives: (secret, status, content-type, retry-after, body). A tuple,
    /// not a [`Reply`], which has no `Debug` on purpose (its body may hold a token).
    pub(super) type Answer = (String, u16, Option<String>, Option<String>, Vec<u8>);

    pub(super) fn answer() -> impl Strategy<Value = Answer> {
        secret().prop_flat_map(|secret| {
            (
                Just(secret.clone()),
                status(),
                header(secret.clone()),
                header(secret.clone()),
                body(secret),
            )
        })
    }

    /// The access token a 200 body carries, if it carries a string one.
    fn token_in(body: &[u8]) -> Option<String> {
        let v: Value = serde_json::from_slice(body).ok()?;
        v.get("access_token")?.as_str().map(str::to_owned)
    }

    /// Every property of one interpreted answer.
    pub(super) fn check(
        secret: &str,
        status: u16,
        body: &[u8],
        got: Result<Grant>,
    ) -> std::result::Result<(), TestCaseError> {
        let e = match got {
            Ok(g) => {
                prop_assert_eq!(status, 200, "only a 200 is a grant");
                prop_assert!(!g.access_token.is_empty());
                prop_assert!(g.access_token.bytes().all(|b| b.is_ascii_graphic()));
                prop_assert!(g.expires_in >= Duration::from_secs(1));
                prop_assert!(g.expires_in <= Duration::from_secs(MAX_EXPIRES_IN));
                return Ok(());
            }
            Err(e) => e,
        };
        let code = e.code();
        let want: &[&str] = match status {
            200 => &["invalid_response"],
            429 => &["rate_limited"],
            400..=499 => &["oauth", "http"],
            _ => &["http"],
        };
        prop_assert!(
            want.contains(&code),
            "HTTP {} gave {}: {:?}",
            status,
            code,
            e
        );
        prop_assert_eq!(e.status(), Some(status), "the status is kept: {:?}", e);
        prop_assert!(
            !e.may_retry_now() || status >= 500,
            "a whole {} answer would be retried: {:?}",
            status,
            e
        );
        let token = if status == 200 {
            token_in(body).filter(|t| t.len() >= 8)
        } else {
            None
        };
        for text in [e.to_string(), format!("{e:?}"), format!("{e:#?}")] {
            for spelled in spellings(secret) {
                prop_assert!(
                    !text.contains(&spelled),
                    "secret spelled {:?} in {}",
                    spelled,
                    text
                );
            }
            if let Some(t) = &token {
                prop_assert!(!text.contains(t.as_str()), "access token in {}", text);
            }
        }
        Ok(())
    }

    /// Proptest's generators nest deeply (a debug build's frames are large): they run on a
    /// thread with room for them, while each [`interpret`] runs on a thread of 1 MiB, half of
    /// what Rust gives a spawned thread, so deep JSON cannot pass here and overflow elsewhere.
    fn on_big_stack(f: impl FnOnce() + Send) {
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn_scoped(s, f)
                .unwrap()
                .join()
                .unwrap()
        })
    }

    fn interpret_on_small_stack(reply: Reply, secret: &str) -> Result<Grant> {
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(1 << 20)
                .spawn_scoped(s, || {
                    interpret(reply, &ClientSecret::new(secret), SystemTime::now())
                })
                .unwrap()
                .join()
                .unwrap()
        })
    }

    #[test]
    fn any_answer_is_a_typed_error_or_a_grant_and_never_leaks() {
        on_big_stack(|| {
            let mut runner = TestRunner::new(config(CASES));
            let seen = std::cell::RefCell::new(std::collections::BTreeMap::<&str, u32>::new());
            runner
                .run(
                    &answer(),
                    |(secret, status, content_type, retry_after, body)| {
                        let reply = Reply {
                            status,
                            content_type,
                            retry_after,
                            body: Ok(body.clone()),
                        };
                        let got = interpret_on_small_stack(reply, &secret);
                        *seen
                            .borrow_mut()
                            .entry(got.as_ref().map_or_else(|e| e.code(), |_| "grant"))
                            .or_default() += 1;
                        check(&secret, status, &body, got)
                    },
                )
                .unwrap();
            // The generators reach every outcome, not just one kind of garbage.
            let seen = seen.into_inner();
            for outcome in ["grant", "invalid_response", "oauth", "http", "rate_limited"] {
                assert!(
                    seen.get(outcome).copied().unwrap_or(0) > 10,
                    "{outcome}: {seen:?}"
                );
            }
        })
    }

    /// JSON nested as deep as serde_json allows (and deeper) in every field, on the small stack.
    #[test]
    fn deeply_nested_json_is_refused_without_overflowing() {
        for depth in [100, 127, 128, 129, 1000, 30_000] {
            let arrays = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            for nested in [&arrays, &objects] {
                for body in [
                    nested.clone(),
                    format!(r#"{{"access_token":{nested},"token_type":"Bearer","expires_in":5}}"#),
                    format!(r#"{{"error":"invalid_client","error_description":{nested}}}"#),
                ] {
                    for status in [200, 400, 503] {
                        let reply = Reply {
                            status,
                            content_type: None,
                            retry_after: None,
                            body: Ok(body.clone().into_bytes()),
                        };
                        let e = interpret_on_small_stack(reply, "s3cret+value").unwrap_err();
                        assert_eq!(e.status(), Some(status), "{depth}: {e}");
                    }
                }
            }
        }
    }
}
