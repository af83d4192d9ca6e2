//! The client secret and whole access tokens never appear in Debug output, Display, or error
//! messages — checked on the strings, across every error path.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, TokenClient};
use serde_json::json;

const SECRET: &str = "Sup3r-Secret-Client-Value-0xC0FFEE";

/// Every log line of the client (not of the in-process mock, which logs what tests inject).
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.target().starts_with("officernd_auth::")
    }
    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {}", r.level(), r.args()));
        }
    }
    fn flush(&self) {}
}

static LOGS: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn secret_and_token_never_appear_in_text() {
    log::set_logger(&LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let server = MockServer::start(MockConfig::default().without_rate_limit().with_app(
        officernd_auth_testkit::App {
            client_id: "secret-test-app".into(),
            client_secret: SECRET.into(),
            scopes: vec!["officernd.api.read".into()],
        },
    ))
    .unwrap();
    let clock = ManualClock::new();
    let builder = || {
        TokenClient::builder()
            .client_id("secret-test-app")
            .client_secret(SECRET)
            .scopes(["officernd.api.read"])
            .token_url(server.token_url())
            .timeout(Duration::from_millis(500))
            .share_cache(false)
            .clock(std::sync::Arc::new(clock.clone()))
    };
    let mut texts = vec![
        format!("{:?}", builder()),
        format!("{:?}", builder().build_config().unwrap()),
    ];

    let client = builder().build().unwrap();
    let token = client.token().unwrap();
    let access = token.access_token().to_owned();
    texts.push(format!("{client:?}"));
    texts.push(format!("{token:?} {token:#?}"));
    texts.push(format!("{:?}", client.stats()));

    // Every failure path, with the server echoing the secret back in its description.
    server.push_faults([
        Fault::OAuthError {
            status: 400,
            error: "invalid_request".into(),
            description: Some(format!("client_secret={SECRET} is not acceptable")),
        },
        Fault::Status(500),
        Fault::HtmlPage,
        Fault::MalformedJson,
        Fault::TokenWithNewline,
        Fault::ExpiresIn(json!("x")),
        Fault::ConnectionReset,
        Fault::TooManyRequests { retry_after: None },
        Fault::Delay(Duration::from_secs(2)),
    ]);
    for _ in 0..9 {
        let c = builder()
            .max_retries(0)
            .request_budget(100, MINUTE)
            .build()
            .unwrap();
        let e = c.token().unwrap_err();
        texts.push(format!("{e} | {e:?} | {:?}", e.error_description()));
    }
    // Config errors, including a bad secret-adjacent setting.
    texts.push(builder().client_id("").build().unwrap_err().to_string());

    let logs = LOGS.0.lock().unwrap().clone();
    assert!(logs.len() > 10, "the paths above log: {logs:?}");
    for t in texts.iter().chain(&logs) {
        assert!(!t.contains(SECRET), "secret leaked: {t}");
        assert!(!t.contains(&access), "token leaked: {t}");
        assert!(!t.contains(&access[..20]), "token prefix too long in: {t}");
        // The malformed token the TokenWithNewline fault answers with.
        assert!(
            !t.contains("mock-token-part-one"),
            "malformed token leaked: {t}"
        );
    }
}
