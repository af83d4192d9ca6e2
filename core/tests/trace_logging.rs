//! A Rust application whose logger takes every record of every crate at TRACE (`env_logger` with
//! `RUST_LOG=trace`): no record carries the client secret or the whole access token, in any
//! spelling — raw, form-urlencoded, percent-encoded, hex — not even split across records (ureq's
//! protocol layer dumps the bytes it sends and receives, 16 to a record: the dumps are joined
//! and searched as one stream, both their hex and their printable columns).
//!
//! Its own test binary: a process has one logger.

mod common;
#[path = "support/leaks.rs"]
mod leaks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, TokenClient};
use officernd_auth_testkit::App;

/// `+ / = % & space`, non-ASCII: every character that encodes differently in each spelling.
const SECRET: &str = "Zq+8/x=y z%&k-caf\u{e9}-\u{5bc6}-0xC0FFEE";

/// Every record, of every target, at every level — but the in-process mock's own, which
/// logs what the tests make it answer (the secret, on purpose).
struct Everything(Mutex<Vec<(String, String)>>);

impl log::Log for Everything {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.target().starts_with("officernd_auth_testkit") {
            return;
        }
        self.0
            .lock()
            .unwrap()
            .push((r.target().to_owned(), r.args().to_string()));
    }
    fn flush(&self) {}
}

static LOGS: Everything = Everything(Mutex::new(Vec::new()));

/// A byte-dump row (`7b22 6163 ... {"ac...`): its bytes, or `None` for any other record.
fn dump_row(msg: &str) -> Option<Vec<u8>> {
    let (hex_part, _) = msg.split_at_checked(40)?;
    let digits: String = hex_part.chars().filter(|c| *c != ' ').collect();
    if digits.len() != 32 || !digits.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return None;
    }
    let digits = digits.trim_end_matches('-');
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).ok())
        .collect()
}

#[test]
fn no_record_at_trace_carries_the_secret_or_the_token() {
    log::set_logger(&LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let server = MockServer::start(MockConfig::default().without_rate_limit().with_app(App {
        client_id: "trace-app".into(),
        client_secret: SECRET.into(),
        scopes: vec!["officernd.api.read".into()],
    }))
    .unwrap();
    let clock = ManualClock::new();
    let builder = |id: &str| {
        TokenClient::builder()
            .client_id(id)
            .client_secret(SECRET)
            .scopes(["officernd.api.read"])
            .token_url(server.token_url())
            .timeout(Duration::from_secs(5))
            .share_cache(false)
            .clock(Arc::new(clock.clone()))
    };

    // A token, fetched for real.
    let token = builder("trace-app").build().unwrap().token().unwrap();
    let access = token.access_token().to_owned();
    assert_eq!(server.token_requests(), 1);

    // Error answers that echo the secret back: form-encoded as it was sent, raw, hex.
    let form = &leaks::spellings(SECRET);
    for echoed in form {
        server.push_fault(Fault::OAuthError {
            status: 401,
            error: "invalid_client".into(),
            description: Some(format!("client_secret={echoed} is not valid")),
        });
        let e = builder(&format!("echo-{}", echoed.len()))
            .build()
            .unwrap()
            .token()
            .unwrap_err();
        assert_eq!(e.oauth_error(), Some("invalid_client"));
    }
    server.push_fault(Fault::RawBody {
        status: 400,
        content_type: Some("text/plain".into()),
        headers: vec![],
        body: format!("you sent {SECRET} and {access}").into_bytes(),
    });
    builder("echo-raw").build().unwrap().token().unwrap_err();
    drop(server);

    let logs = LOGS.0.lock().unwrap().clone();
    assert!(
        logs.iter().any(|(t, _)| t.starts_with("ureq")),
        "the test must see ureq's own records: {:?}",
        logs.iter().map(|(t, _)| t).collect::<Vec<_>>()
    );
    assert!(logs.iter().any(|(t, _)| t.starts_with("officernd_auth")));

    // One record at a time, every spelling of both.
    for (target, msg) in &logs {
        if let Some(which) = leaks::leaked_spelling(msg, SECRET) {
            panic!("a record of {target} carries spelling #{which} of the secret");
        }
        if let Some(which) = leaks::leaked_spelling(msg, &access) {
            panic!("a record of {target} carries spelling #{which} of the access token");
        }
    }
    // Byte dumps joined into one stream, per target (a dump of one request is consecutive).
    let mut streams: std::collections::BTreeMap<&str, Vec<u8>> = Default::default();
    for (target, msg) in &logs {
        if let Some(bytes) = dump_row(msg) {
            streams.entry(target).or_default().extend(bytes);
        }
    }
    // The dumps are there (so this test looks at them): the requests (whose body, if dumped,
    // holds a stand-in for the secret) and the answers' status lines and headers, no body.
    let dumped = String::from_utf8_lossy(streams.get("ureq_proto::util").map_or(&[][..], |s| s));
    assert!(dumped.contains("POST /oauth/token"), "no request dump");
    assert!(dumped.contains("HTTP/1.1 200 OK"), "no answer dump");
    assert!(dumped.contains("HTTP/1.1 401"), "no error answer dump");
    for (target, stream) in &streams {
        let text = String::from_utf8_lossy(stream);
        assert!(
            leaks::leaked_spelling(&text, SECRET).is_none(),
            "the byte dumps of {target} carry the secret"
        );
        assert!(
            leaks::leaked_spelling(&text, &access).is_none(),
            "the byte dumps of {target} carry the access token"
        );
    }
}
