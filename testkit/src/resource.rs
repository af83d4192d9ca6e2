//! `GET /api/v2/me`: a protected resource, so tests can check that issued tokens work and that
//! revoked or expired ones get the 401 that should make a client call `invalidate`. It takes a
//! `POST` too, and echoes its body, so tests can check that a resent request kept its body.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::{SharedState, TokenStatus};

pub(crate) async fn me(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.resource_requests.fetch_add(1, Ordering::SeqCst);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let description = match token.map(|t| state.check_token(t)) {
        Some(TokenStatus::Valid { client_id, scopes }) => {
            let mut answer = json!({ "ok": true, "client_id": client_id, "scopes": scopes });
            if !body.is_empty() {
                answer["body"] = String::from_utf8_lossy(&body).into();
            }
            return Json(answer).into_response();
        }
        None => "a Bearer token is required",
        Some(TokenStatus::Unknown) => "the access token is unknown",
        Some(TokenStatus::Expired) => "the access token expired",
        Some(TokenStatus::Revoked) => "the access token was revoked",
    };
    // RFC 6750 §3: the challenge names the error so clients know a new token may help.
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid_token", "error_description": description })),
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    resp
}
