//! The HTTP control API under `/_mock/`, so test suites in other languages can do what Rust
//! tests do through [`crate::MockServer`]. None of these requests count as token requests.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Deserializer};
use serde_json::json;

use crate::config::RateLimit;
use crate::faults::Fault;
use crate::state::SharedState;

pub(crate) fn routes() -> Router<Arc<SharedState>> {
    Router::new()
        .route("/_mock/stats", get(stats))
        .route("/_mock/faults", post(faults))
        .route("/_mock/reset", post(reset))
        .route("/_mock/revoke", post(revoke))
        .route("/_mock/config", get(config).post(set_config))
        .route("/_mock/last_request", get(last_request))
}

/// Without a rate limit there is no window to default to; OfficeRnD's is a minute.
const DEFAULT_STATS_WINDOW: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    window_ms: Option<u64>,
}

/// The counters plus `max_in_window`: the most token requests that arrived inside any rolling
/// window of `?window_ms=N` (default: the rate limit's window), echoed as `window_ms`.
async fn stats(
    State(state): State<Arc<SharedState>>,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Response {
    let window = match query {
        Ok(Query(q)) => q.window_ms.map(Duration::from_millis),
        Err(e) => return bad_request(&e.body_text()),
    }
    .or_else(|| state.rate_limit().map(|rl| rl.window))
    .unwrap_or(DEFAULT_STATS_WINDOW);
    let mut body = json!(state.stats());
    body["max_in_window"] = json!(state.max_in_window(window));
    body["window_ms"] = json!(u64::try_from(window.as_millis()).unwrap_or(u64::MAX));
    Json(body).into_response()
}

/// Body: a JSON array of faults (see [`Fault`]), appended to the queue in order.
async fn faults(State(state): State<Arc<SharedState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Vec<Fault>>(&body) {
        Ok(faults) => {
            state.push_faults(faults);
            Json(state.stats()).into_response()
        }
        Err(e) => bad_json(&e),
    }
}

async fn reset(State(state): State<Arc<SharedState>>) -> Response {
    state.reset();
    Json(state.stats()).into_response()
}

async fn revoke(State(state): State<Arc<SharedState>>) -> Response {
    state.revoke_all_tokens();
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigChange {
    lifetime: Option<i64>,
    /// Absent: unchanged; `null`: no rate limit; an object: that limit.
    #[serde(default, deserialize_with = "present")]
    rate_limit: Option<Option<RateLimitWire>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitWire {
    max_requests: u32,
    window_secs: u64,
}

/// Wraps whatever is there in `Some`, so `null` becomes `Some(None)` and only a missing field
/// (via `default`) is `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

async fn set_config(State(state): State<Arc<SharedState>>, body: Bytes) -> Response {
    let change: ConfigChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad_json(&e),
    };
    if let Some(secs) = change.lifetime {
        state.set_lifetime(secs);
    }
    if let Some(rl) = change.rate_limit {
        state.set_rate_limit(rl.map(|w| RateLimit {
            max_requests: w.max_requests,
            window: Duration::from_secs(w.window_secs),
        }));
    }
    config(State(state)).await
}

async fn config(State(state): State<Arc<SharedState>>) -> Response {
    let rate_limit = state
        .rate_limit()
        .map(|rl| json!({ "max_requests": rl.max_requests, "window_secs": rl.window.as_secs() }));
    Json(json!({ "lifetime": state.lifetime_secs(), "rate_limit": rate_limit })).into_response()
}

/// The last token request as the mock decoded it, for suites that assert on what their client
/// sent. Includes the client secret: this is a test tool on loopback.
async fn last_request(State(state): State<Arc<SharedState>>) -> Response {
    Json(json!({ "form": state.last_form(), "headers": state.last_headers() })).into_response()
}

fn bad_json(e: &serde_json::Error) -> Response {
    bad_request(&e.to_string())
}

fn bad_request(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "bad_request", "error_description": description })),
    )
        .into_response()
}
