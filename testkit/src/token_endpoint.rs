//! `POST /oauth/token`: the client-credentials grant as OfficeRnD answers it (RFC 6749 §4.4,
//! §5.1, §5.2), preceded by request counting (and arrival times), fault injection and the rate
//! limit.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::{Fault, Requester};
use crate::rate_limit::retry_after_secs;
use crate::responses::{invalid_client, oauth_error, token_json, token_prefix, too_many_requests};
use crate::state::SharedState;

type Form = Vec<(String, String)>;

pub(crate) async fn token(
    State(state): State<Arc<SharedState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Taken first: a slow arrival decides when this request counts as arrived.
    let fault = state.pop_fault();
    // Counted first, so tests can see every attempt a client made whatever it was answered, and
    // when it arrived (a slow arrival only after its sleep, as if the network held it back).
    state.token_requests.fetch_add(1, Ordering::SeqCst);
    if let Some(Fault::SlowArrival(late)) = fault {
        log::info!("token request: arriving {late:?} late");
        tokio::time::sleep(late).await;
    }
    state.record_arrival();
    // Parsed whatever the content type says: the rate limit and the test assertions want the
    // client_id even from a request we are about to refuse.
    let form: Option<Form> = serde_urlencoded::from_bytes(&body).ok();
    state.record_request(form.clone(), header_pairs(&headers));
    let client_id = form.as_deref().and_then(|f| field(f, "client_id"));

    if let Some(fault) = fault {
        log::info!("token request: injecting {fault:?}");
        match fault {
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::SlowArrival(_) => {}
            other => {
                let who = Requester {
                    client_id,
                    scope: form.as_deref().and_then(|f| field(f, "scope")),
                };
                return other.respond(&state, &who);
            }
        }
    }

    // Requests that name no client cannot be charged to one; OfficeRnD's quota is per app.
    if let Some(id) = client_id
        && let Err(wait) = state.check_rate(id)
    {
        log::info!("token request from client_id={id}: rate limited");
        let secs = HeaderValue::from(retry_after_secs(wait));
        return too_many_requests(Some(secs));
    }

    let resp = grant(&state, &method, &headers, form.as_deref());
    log::info!(
        "token request from client_id={}: {}",
        client_id.unwrap_or("-"),
        resp.status()
    );
    resp
}

/// Validation and issuing, in the order an authorization server checks things: transport-level
/// shape, then who the client is, then what it asks for.
fn grant(
    state: &SharedState,
    method: &Method,
    headers: &HeaderMap,
    form: Option<&[(String, String)]>,
) -> Response {
    if method != Method::POST {
        let mut resp = oauth_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            Some("the token endpoint only accepts POST"),
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    if !is_form_content_type(headers) {
        return bad_request(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    let Some(form) = form else {
        return bad_request("invalid_request", "the request body is not a valid form");
    };
    if let Some(name) = repeated_parameter(form) {
        // RFC 6749 §3.2: parameters must not be included more than once.
        return bad_request("invalid_request", &format!("parameter {name} is repeated"));
    }

    let (Some(client_id), Some(secret)) = (field(form, "client_id"), field(form, "client_secret"))
    else {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("basic "));
        return invalid_client(if basic {
            "HTTP Basic client authentication is not supported: send client_id and client_secret in the request body"
        } else {
            "client_id and client_secret are required"
        });
    };
    let app = match state.app(client_id) {
        Some(app) if app.client_secret == secret => app,
        // One message for both, so the answer does not reveal which client ids exist.
        _ => return invalid_client("client authentication failed"),
    };

    match field(form, "grant_type") {
        None => return bad_request("invalid_request", "grant_type is required"),
        Some("client_credentials") => {}
        Some(_) => {
            return bad_request(
                "unsupported_grant_type",
                "only the client_credentials grant type is supported",
            );
        }
    }

    let requested = field(form, "scope").unwrap_or("");
    let granted: Vec<String> = if requested.trim().is_empty() {
        app.scopes.clone()
    } else {
        let mut granted: Vec<String> = Vec::new();
        for s in requested.split_whitespace() {
            if !app.scopes.iter().any(|a| a == s) {
                return bad_request(
                    "invalid_scope",
                    &format!("scope {s} is not allowed for this application"),
                );
            }
            if !granted.iter().any(|g| g == s) {
                granted.push(s.to_owned());
            }
        }
        granted
    };

    let scope = granted.join(" ");
    let (token, lifetime) = state.issue_token(&app.client_id, granted);
    log::info!(
        "issued token {}… to client_id={} for {lifetime} s",
        token_prefix(&token),
        app.client_id
    );
    token_json(
        StatusCode::OK,
        json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
        }),
    )
    .into_response()
}

fn bad_request(error: &str, description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, error, Some(description))
}

/// The first value of `name`; an empty value counts as absent (as most servers treat it).
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn repeated_parameter(form: &[(String, String)]) -> Option<&str> {
    form.iter()
        .enumerate()
        .find(|(i, (k, _))| form[..*i].iter().any(|(prev, _)| prev == k))
        .map(|(_, (k, _))| k.as_str())
}

/// Media type match ignoring case and parameters such as `; charset=UTF-8`.
fn is_form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
