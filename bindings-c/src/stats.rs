//! `officernd_stats`: a client's metrics as a C struct (the ABI that shipped), filled from core's
//! `Stats` by exhaustive destructuring, so a field added to core does not compile here until it
//! is mapped; and core's field list (`Stats::FIELDS`, `Stats::values`) by index, so a C program
//! can export every metric by name without knowing them.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;
use std::time::Duration;

use officernd_auth::{ErrorCode, StatValue, Stats};

use crate::error::{guard_value, officernd_result};
use crate::util::ref_arg;

/// Metrics of a client's cache and budget (shared by every client with the same settings).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct officernd_stats {
    /// Token requests answered with a token.
    pub requests_ok: u64,
    /// Token requests answered with an RFC 6749 error.
    pub requests_oauth_error: u64,
    /// Token requests answered 429.
    pub requests_rate_limited: u64,
    /// Token requests answered with an unexpected HTTP status.
    pub requests_http_error: u64,
    /// Token requests that failed to connect or lost the connection.
    pub requests_transport_error: u64,
    /// Token requests that timed out.
    pub requests_timeout: u64,
    /// Token requests answered with an unusable token answer.
    pub requests_invalid_response: u64,
    /// Every token request sent, whatever its outcome (the sum of the seven above).
    pub requests_sent: u64,
    /// Calls answered from the cache with a fresh token.
    pub cache_hits: u64,
    /// Calls answered with a stale (still valid) token while a refresh was due.
    pub stale_served: u64,
    /// Calls refused without a request (budget spent, cool-down, remembered terminal error).
    pub refused_locally: u64,
    /// Token requests still allowed in the current budget window.
    pub budget_remaining: u32,
    /// Token requests allowed per budget window.
    pub budget_capacity: u32,
    /// Milliseconds left on the cached token, or -1 when no token is cached.
    pub expires_in_ms: i64,
    /// Code of the last error seen for these credentials since the last success
    /// (`OFFICERND_RESULT_OK` when none).
    pub last_error: officernd_result,
}

fn ms_or_none(d: Option<Duration>) -> i64 {
    d.map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl officernd_stats {
    /// The C struct of a core snapshot: every core field named (no `..`).
    pub(crate) fn from_core(s: &Stats) -> officernd_stats {
        let requests_sent = s.requests_sent();
        let Stats {
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
        } = *s;
        officernd_stats {
            requests_ok,
            requests_oauth_error,
            requests_rate_limited,
            requests_http_error,
            requests_transport_error,
            requests_timeout,
            requests_invalid_response,
            requests_sent,
            cache_hits,
            stale_served,
            refused_locally,
            budget_remaining,
            budget_capacity,
            expires_in_ms: ms_or_none(expires_in),
            last_error: officernd_result::from_code_str(last_error_code),
        }
    }

    /// Back to core's snapshot, to read it through core's field list: every field named.
    fn to_core(self) -> Stats {
        let officernd_stats {
            requests_ok,
            requests_oauth_error,
            requests_rate_limited,
            requests_http_error,
            requests_transport_error,
            requests_timeout,
            requests_invalid_response,
            requests_sent: _, // derived by core from the seven above
            cache_hits,
            stale_served,
            refused_locally,
            budget_remaining,
            budget_capacity,
            expires_in_ms,
            last_error,
        } = self;
        Stats {
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
            expires_in: u64::try_from(expires_in_ms).ok().map(Duration::from_millis),
            last_error_code: ErrorCode::ALL
                .into_iter()
                .find(|k| officernd_result::from_kind(*k) == last_error)
                .map(ErrorCode::as_str),
        }
    }
}

/// How many metrics `officernd_stats_field_name` / `officernd_stats_field_value` have: the
/// library's one list of metrics (the same names in every language), each of them a field of
/// `officernd_stats`. For exporting every metric without naming them one by one.
#[unsafe(no_mangle)]
pub extern "C" fn officernd_stats_field_count() -> usize {
    Stats::FIELDS.len()
}

fn field_names() -> &'static [CString] {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    NAMES.get_or_init(|| {
        Stats::FIELDS
            .iter()
            .map(|f| CString::new(f.name).unwrap_or_default())
            .collect()
    })
}

/// The name of metric `index` (0 to `officernd_stats_field_count() - 1`), e.g.
/// `"requests_sent"`, `"cache_hits"`, `"expires_in"`, `"last_error_code"`: NUL-terminated and
/// static (never free it). NULL when `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn officernd_stats_field_name(index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        field_names()
            .get(index)
            .map_or(std::ptr::null(), |n| n.as_ptr())
    })
}

/// The value of metric `index` in `stats` (from `officernd_client_stats`): counts as they are;
/// durations (`"expires_in"`) in milliseconds, -1 when there is none; error codes
/// (`"last_error_code"`) as the `officernd_result` number, 0 when there is none. 0 when `stats`
/// is NULL or `index` is out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_stats_field_value(
    stats: *const officernd_stats,
    index: usize,
) -> i64 {
    guard_value(0, || {
        let Ok(stats) = ref_arg(stats, "stats") else {
            return 0;
        };
        match stats.to_core().values().get(index) {
            Some(StatValue::Count(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
            Some(StatValue::Duration(d)) => ms_or_none(*d),
            Some(StatValue::Code(c)) => officernd_result::from_code_str(*c) as i64,
            None => 0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// The C struct's field of that name (test-only: a name core adds fails here until mapped).
    fn by_name(c: &officernd_stats, name: &str) -> i64 {
        match name {
            "requests_sent" => c.requests_sent as i64,
            "requests_ok" => c.requests_ok as i64,
            "requests_oauth_error" => c.requests_oauth_error as i64,
            "requests_rate_limited" => c.requests_rate_limited as i64,
            "requests_http_error" => c.requests_http_error as i64,
            "requests_transport_error" => c.requests_transport_error as i64,
            "requests_timeout" => c.requests_timeout as i64,
            "requests_invalid_response" => c.requests_invalid_response as i64,
            "cache_hits" => c.cache_hits as i64,
            "stale_served" => c.stale_served as i64,
            "refused_locally" => c.refused_locally as i64,
            "budget_remaining" => c.budget_remaining.into(),
            "budget_capacity" => c.budget_capacity.into(),
            "expires_in" => c.expires_in_ms,
            "last_error_code" => c.last_error as i64,
            other => panic!("core's stats field {other:?} has no place in officernd_stats"),
        }
    }

    /// Every field a different value, so a swapped mapping shows.
    fn distinct() -> Stats {
        Stats {
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
            expires_in: Some(Duration::from_millis(13_000)),
            last_error_code: Some("timeout"),
        }
    }

    #[test]
    fn the_struct_and_the_field_list_agree() {
        for s in [distinct(), Stats::default()] {
            let c = officernd_stats::from_core(&s);
            assert_eq!(c.to_core(), s, "the struct holds every core field");
            assert_eq!(c.requests_sent, s.requests_sent());
            assert_eq!(officernd_stats_field_count(), Stats::FIELDS.len());
            for (i, f) in Stats::FIELDS.iter().enumerate() {
                let name = unsafe { CStr::from_ptr(officernd_stats_field_name(i)) };
                assert_eq!(name.to_str().unwrap(), f.name);
                assert_eq!(
                    unsafe { officernd_stats_field_value(&c, i) },
                    by_name(&c, f.name),
                    "{}",
                    f.name
                );
            }
        }
        let c = officernd_stats::from_core(&distinct());
        assert_eq!(c.last_error, officernd_result::Timeout);
        assert_eq!(c.expires_in_ms, 13_000);
        assert_eq!(c.requests_sent, 28);
        let none = officernd_stats::from_core(&Stats::default());
        assert_eq!(
            (none.expires_in_ms, none.last_error),
            (-1, officernd_result::Ok)
        );
        let n = officernd_stats_field_count();
        assert!(officernd_stats_field_name(n).is_null());
        assert_eq!(unsafe { officernd_stats_field_value(&c, n) }, 0);
        assert_eq!(
            unsafe { officernd_stats_field_value(std::ptr::null(), 0) },
            0
        );
    }
}
