//! The [`Stats`] record: a client's metrics with JVM-friendly signed integers.

use std::time::Duration;

use officernd_auth as core;

/// A snapshot of a client's metrics (shared by every client of the same cache key), its fields
/// in the order of core's `Stats::FIELDS`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stats {
    /// Every token request sent, whatever its outcome.
    pub requests_sent: i64,
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

/// Every core field is named (an exhaustive destructure): a field added to core's `Stats` does
/// not compile here until it is mapped; the test checks the result against `Stats::FIELDS`.
impl From<core::Stats> for Stats {
    fn from(s: core::Stats) -> Self {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let m = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let requests_sent = n(s.requests_sent());
        let core::Stats {
            requests_ok,
            requests_oauth_error,
            requests_rate_limited,
            requests_http_error,
            requests_transport_error,
            requests_timeout,
            requests_invalid_response,
            cache_hits,
            stale_served,
            refused_locally,
            budget_remaining,
            budget_capacity,
            expires_in,
            last_error_code,
        } = s;
        Stats {
            requests_sent,
            requests_ok: n(requests_ok),
            requests_oauth_error: n(requests_oauth_error),
            requests_rate_limited: n(requests_rate_limited),
            requests_http_error: n(requests_http_error),
            requests_transport_error: n(requests_transport_error),
            requests_timeout: n(requests_timeout),
            requests_invalid_response: n(requests_invalid_response),
            cache_hits: n(cache_hits),
            stale_served: n(stale_served),
            refused_locally: n(refused_locally),
            budget_remaining: m(budget_remaining),
            budget_capacity: m(budget_capacity),
            expires_in,
            last_error_code: last_error_code.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use officernd_auth::StatValue;

    /// This record's value of the core field `name`, as core's `StatValue` (field names are
    /// core's; Kotlin spells them in camelCase).
    fn value_of(s: &Stats, name: &str) -> Option<StatValue> {
        let c = |v: i64| Some(StatValue::Count(v as u64));
        match name {
            "requests_sent" => c(s.requests_sent),
            "requests_ok" => c(s.requests_ok),
            "requests_oauth_error" => c(s.requests_oauth_error),
            "requests_rate_limited" => c(s.requests_rate_limited),
            "requests_http_error" => c(s.requests_http_error),
            "requests_transport_error" => c(s.requests_transport_error),
            "requests_timeout" => c(s.requests_timeout),
            "requests_invalid_response" => c(s.requests_invalid_response),
            "cache_hits" => c(s.cache_hits),
            "stale_served" => c(s.stale_served),
            "refused_locally" => c(s.refused_locally),
            "budget_remaining" => c(s.budget_remaining.into()),
            "budget_capacity" => c(s.budget_capacity.into()),
            "expires_in" => Some(StatValue::Duration(s.expires_in)),
            "last_error_code" => Some(StatValue::Code(s.last_error_code.as_deref().map(|c| {
                officernd_auth::ErrorCode::parse(c)
                    .expect("a core code")
                    .as_str()
            }))),
            _ => None,
        }
    }

    #[test]
    fn every_core_stats_field_is_in_the_record_with_its_value() {
        // Distinct values, so a field mapped from the wrong core field shows.
        let core = core::Stats {
            requests_ok: 1,
            requests_oauth_error: 2,
            requests_rate_limited: 3,
            requests_http_error: 4,
            requests_transport_error: 5,
            requests_timeout: 6,
            requests_invalid_response: 7,
            cache_hits: 8,
            stale_served: 9,
            refused_locally: 10,
            budget_remaining: 11,
            budget_capacity: 12,
            expires_in: Some(Duration::from_secs(13)),
            last_error_code: Some("timeout"),
        };
        let record = Stats::from(core.clone());
        for (field, want) in core::Stats::FIELDS.iter().zip(core.values()) {
            let got = value_of(&record, field.name).unwrap_or_else(|| {
                panic!(
                    "core stats field `{}` is not in the UniFFI Stats record",
                    field.name
                )
            });
            assert_eq!(got, want, "{}", field.name);
        }
        // Same fields, same order (the Kotlin data class's constructor and toString).
        let debug = format!("{record:?}");
        let names: Vec<&str> = debug
            .trim_start_matches("Stats { ")
            .trim_end_matches(" }")
            .split(", ")
            .map(|f| f.split(':').next().unwrap_or_default())
            .collect();
        let core_names: Vec<&str> = core::Stats::FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(names, core_names);
    }

    #[test]
    fn counts_past_the_jvm_range_saturate() {
        let s = Stats::from(core::Stats {
            cache_hits: u64::MAX,
            budget_capacity: u32::MAX,
            ..core::Stats::default()
        });
        assert_eq!((s.cache_hits, s.budget_capacity), (i64::MAX, i32::MAX));
    }
}
