//! Property test through the real HTTP exchange: the mock answers arbitrary bytes (any status
//! below 500, content type, `Retry-After`, sometimes a false `Content-Encoding: gzip`), and the
//! client must give a grant or a typed error from that status — never `transport` or `timeout`
//! for an answer that arrived whole — after exactly one request (nothing retried), with no
//! spelling of the client secret in its `Display` or `Debug`. Deterministic (fixed seed, no
//! persistence file); `PROPTEST_CASES` / `PROPTEST_RNG_SEED` override.

mod common;
#[path = "support/leaks.rs"]
mod leaks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, TokenClient};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Value, json};

const CASES: u32 = 300;

fn config() -> Config {
    let defaults = Config::default();
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        rng_seed: match defaults.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5ec2_e7ed),
            fixed => fixed,
        },
        ..defaults
    }
}

fn secret() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9]{4,10}",
        prop::collection::vec(
            prop::sample::select(vec!["+", "/", "=", "%", "&", " ", "é", "密", "%2B"]),
            1..4,
        ),
        "[A-Za-z0-9._~-]{4,10}",
    )
        .prop_map(|(a, special, b)| format!("{a}{}{b}", special.concat()))
}

fn text(secret: String) -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => ("[ -~]{0,12}", prop::sample::select(leaks::spellings(&secret)), "[ -~]{0,12}")
            .prop_map(|(a, s, b)| format!("{a}{s}{b}")),
        1 => "[a-z]{300,400}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (1..700_000u64).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!("3599")),
        Just(Value::Null),
    ]
}

fn success(secret: String) -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            "[A-Za-z0-9._~+/=-]{8,40}".prop_map(Value::from),
            text(secret.clone()).prop_map(Value::from),
        ],
        prop_oneof![Just(json!("Bearer")), text(secret.clone()).prop_map(Value::from)],
        number(),
        text(secret).prop_map(Value::from),
    )
        .prop_map(|(t, ty, e, s)| json!({"access_token": t, "token_type": ty, "expires_in": e, "scope": s}))
}

fn error_object(secret: String) -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            prop::sample::select(vec!["invalid_client", "invalid_scope", "invalid_request"])
                .prop_map(Value::from),
            text(secret.clone()).prop_map(Value::from),
        ],
        text(secret.clone()),
        text(secret),
    )
        .prop_map(|(e, d, u)| json!({"error": e, "error_description": d, "error_uri": u}))
}

/// Serialised JSON with a few bytes flipped, inserted or cut (often no longer UTF-8).
fn mutate(body: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = body.len().max(1);
    prop::collection::vec((0..3u8, 0..len, any::<u8>()), 0..3).prop_map(move |edits| {
        let mut b = body.clone();
        for (kind, at, byte) in edits {
            let at = at.min(b.len());
            match kind {
                0 if at < b.len() => b[at] = byte,
                1 => b.insert(at, byte),
                _ => b.truncate(at),
            }
        }
        b
    })
}

fn body(secret: String) -> impl Strategy<Value = Vec<u8>> {
    let ser = |v: Value| serde_json::to_vec(&v).unwrap();
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..200),
        2 => success(secret.clone()).prop_map(ser),
        2 => success(secret.clone()).prop_map(ser).prop_flat_map(mutate),
        2 => error_object(secret.clone()).prop_map(ser),
        2 => error_object(secret).prop_map(ser).prop_flat_map(mutate),
    ]
}

/// (secret, status, content type, extra headers, body)
type Answer = (String, u16, Option<String>, Vec<(String, String)>, Vec<u8>);

fn answer() -> impl Strategy<Value = Answer> {
    secret().prop_flat_map(|secret| {
        (
            Just(secret.clone()),
            prop_oneof![
                4 => Just(200u16),
                3 => prop::sample::select(vec![400u16, 401, 403, 404, 408, 429, 302, 307, 204, 201]),
                1 => 200..500u16,
            ],
            prop::option::of(prop::sample::select(vec![
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "text/html; charset=iso-8859-1",
                "application/octet-stream",
            ]))
            .prop_map(|c| c.map(str::to_owned)),
            prop::collection::vec(
                prop::sample::select(vec![
                    ("retry-after", "7"),
                    ("retry-after", "nonsense"),
                    ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
                    ("content-encoding", "gzip"),
                ]),
                0..2,
            )
            .prop_map(|h| {
                h.into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            }),
            body(secret),
        )
    })
}

#[test]
fn any_whole_answer_is_one_request_and_a_typed_error_or_a_grant() {
    // One mock for every case; a fresh client id per case, so that no budget, cool-down or
    // remembered refusal carries over from one case to the next.
    let server = mock();
    let clock = ManualClock::new();
    let case = AtomicU64::new(0);
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &answer(),
            |(secret, status, content_type, headers, body)| {
                server.reset();
                server.push_fault(Fault::RawBody {
                    status,
                    content_type,
                    headers,
                    body,
                });
                let client = TokenClient::builder()
                    .client_id(format!("fuzz-{}", case.fetch_add(1, Ordering::Relaxed)))
                    .client_secret(secret.as_str())
                    .token_url(server.token_url())
                    .timeout(Duration::from_secs(5))
                    .share_cache(false)
                    .clock(Arc::new(clock.clone()))
                    .build()
                    .unwrap();
                let got = client.token();
                prop_assert_eq!(
                    server.token_requests(),
                    1,
                    "retried: {:?}",
                    got.as_ref().err()
                );
                let e = match got {
                    Ok(_) => {
                        prop_assert_eq!(status, 200);
                        return Ok(());
                    }
                    Err(e) => e,
                };
                let want: &[&str] = match status {
                    200 => &["invalid_response"],
                    429 => &["rate_limited"],
                    _ => &["oauth", "http", "invalid_response"],
                };
                prop_assert!(want.contains(&e.code()), "HTTP {} gave {:?}", status, e);
                if e.code() == "invalid_response" {
                    prop_assert_eq!(status, 200, "{:?}", e);
                }
                for text in [e.to_string(), format!("{e:?}")] {
                    if let Some(which) = leaks::leaked_spelling(&text, &secret) {
                        return Err(TestCaseError::fail(format!(
                            "spelling #{which} of the secret in an error of code {}",
                            e.code()
                        )));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}
