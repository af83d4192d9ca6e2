//! The [`Stats`] record: a client's metrics with JVM-friendly signed integers.

use std::time::Duration;

use officernd_auth as core;

/// A snapshot of a client's metrics (shared by every client of the same cache key).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stats {
    /// Requests answered with a token.
    pub requests_ok: i64,
    /// Requests answered with an RFC 6749 error.
    pub requests_oauth_error: i64,
    /// Requests answered 429.
    pub requests_rate_limited: i64,
    /// Requests answered with an unexpected HTTP status.
    pub requests_http_error: i64,
    /// Requests that failed to connect or lost the connection.
    pub requests_transport_error: i64,
    /// Requests that timed out.
    pub requests_timeout: i64,
    /// Requests answered with an unusable token answer.
    pub requests_invalid_response: i64,
    /// Every token request sent, whatever its outcome.
    pub requests_sent: i64,
    /// Calls answered from the cache with a fresh token.
    pub cache_hits: i64,
    /// Calls answered with a stale token.
    pub stale_served: i64,
    /// Calls refused without a request (budget spent, cool-down, remembered terminal error).
    pub refused_locally: i64,
    /// Requests still allowed in the current budget window.
    pub budget_remaining: i32,
    /// Budget per window.
    pub budget_capacity: i32,
    /// Time left on the cached token, if one is cached.
    pub expires_in: Option<Duration>,
    /// The code of the last error seen since the last success, if any.
    pub last_error_code: Option<String>,
}

impl From<core::Stats> for Stats {
    fn from(s: core::Stats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let m = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Stats {
            requests_sent: n(s.requests_sent()),
            requests_ok: n(s.requests_ok),
            requests_oauth_error: n(s.requests_oauth_error),
            requests_rate_limited: n(s.requests_rate_limited),
            requests_http_error: n(s.requests_http_error),
            requests_transport_error: n(s.requests_transport_error),
            requests_timeout: n(s.requests_timeout),
            requests_invalid_response: n(s.requests_invalid_response),
            cache_hits: n(s.cache_hits),
            stale_served: n(s.stale_served),
            refused_locally: n(s.refused_locally),
            budget_remaining: m(s.budget_remaining),
            budget_capacity: m(s.budget_capacity),
            expires_in: s.expires_in,
            last_error_code: s.last_error_code.map(str::to_owned),
        }
    }
}
