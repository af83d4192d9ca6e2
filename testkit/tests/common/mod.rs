//! Helpers shared by the integration tests: a ureq agent that reports statuses and redirects as
//! they are, and a small owned view of an answer.
#![allow(dead_code)] // each test file uses a different subset

use std::time::Duration;

use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use serde_json::Value;

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The RFC 6749 `error` code of an error answer.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

fn answer(mut resp: ureq::http::Response<ureq::Body>) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("read the body");
    Answer {
        status,
        headers,
        body,
    }
}

pub fn post_form(url: &str, form: &[(&str, &str)]) -> Answer {
    answer(
        agent()
            .post(url)
            .send_form(form.iter().copied())
            .expect("token request"),
    )
}

pub fn post_raw(url: &str, content_type: &str, body: &str) -> Answer {
    answer(
        agent()
            .post(url)
            .header("content-type", content_type)
            .send(body)
            .expect("request"),
    )
}

pub fn post_json(url: &str, body: &str) -> Answer {
    post_raw(url, "application/json", body)
}

pub fn get(url: &str) -> Answer {
    answer(agent().get(url).call().expect("GET"))
}

pub fn get_with_bearer(url: &str, token: &str) -> Answer {
    answer(
        agent()
            .get(url)
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .expect("resource request"),
    )
}

/// A valid request for the demo app; `scope` as given (None: no scope field).
pub fn demo_form(scope: Option<&str>) -> Vec<(&str, &str)> {
    let mut form = vec![
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("grant_type", "client_credentials"),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    form
}

/// Fetches a token for the demo app and returns it.
pub fn demo_token(token_url: &str) -> String {
    let a = post_form(token_url, &demo_form(None));
    assert_eq!(a.status, 200, "{a:?}");
    a.json()["access_token"].as_str().unwrap().to_owned()
}
