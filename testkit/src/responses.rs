//! Response builders shared by the token endpoint, the faults and the resource, so every OAuth
//! answer carries the same headers (RFC 6749 §5.1: token responses must not be cached).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// OfficeRnD's literal 429 text; clients may show it to people, so the mock uses the same words.
pub(crate) const TOO_MANY_REQUESTS_TEXT: &str = "Too many requests, please try again later";

/// JSON answer of the token endpoint, success or error, with the no-store headers.
pub(crate) fn token_json(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    no_store(&mut resp);
    resp
}

/// Raw bytes with a chosen content type, for faults whose body is deliberately not valid JSON.
pub(crate) fn raw(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    no_store(&mut resp);
    resp
}

/// RFC 6749 §5.2 error object; `error_description` is omitted when there is none.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Response {
    let mut body = json!({ "error": error });
    if let Some(d) = description {
        body["error_description"] = Value::from(d);
    }
    token_json(status, body)
}

/// 401 `invalid_client`. RFC 6749 §5.2 wants `WWW-Authenticate` on a 401 for client
/// authentication; OfficeRnD authenticates clients by body fields, so the scheme names that.
pub(crate) fn invalid_client(description: &str) -> Response {
    let mut resp = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        Some(description),
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Form realm=\"officernd\", error=\"invalid_client\""),
    );
    resp
}

/// The plain-text 429 OfficeRnD sends; `Retry-After` only when we have one.
pub(crate) fn too_many_requests(retry_after: Option<HeaderValue>) -> Response {
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, TOO_MANY_REQUESTS_TEXT).into_response();
    if let Some(v) = retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// At most a short prefix of a token, for logs (never log a whole token).
pub(crate) fn token_prefix(token: &str) -> &str {
    let end = token.char_indices().nth(6).map_or(token.len(), |(i, _)| i);
    &token[..end]
}
