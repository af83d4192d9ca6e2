//! Retry policy, whole: which failures are retried (connection failures, timeouts, 5xx — never
//! 4xx, never a whole but malformed answer), how many times, the jittered backoff between
//! attempts, a server's `Retry-After` (no retry before it; if it falls past the caller's
//! deadline, fail at once with it), and the backoff between failed refreshes of a stale token.
//! Every attempt is still drawn from the budget (`governor`).

use std::time::Duration;

use crate::error::Error;

impl Error {
    /// Whether the retry policy may send another attempt after this error (transport, timeout,
    /// 5xx): the policy's rule, kept here with the rest of it.
    pub(crate) fn may_retry_now(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Http { status, .. } => *status >= 500,
            Error::OAuth { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// First retry waits about this long; each further one doubles it.
const BASE: Duration = Duration::from_millis(200);
/// Backoff never exceeds this between two attempts of one call.
const CAP: Duration = Duration::from_secs(5);
/// After a failed refresh of a still-usable token, wait at least this before the next try…
const REFRESH_BASE: Duration = Duration::from_secs(5);
/// …doubling per consecutive failure, up to this.
const REFRESH_CAP: Duration = Duration::from_secs(120);

/// After attempt `retries + 1` of one call failed with `err`, with `left` before the caller's
/// deadline: `Ok(pause)` to try again after `pause`, or `Err` with the error to return now.
pub(crate) fn after_failure(
    err: Error,
    retries: u32,
    max_retries: u32,
    left: Duration,
) -> Result<Duration, Error> {
    if !err.may_retry_now() || retries >= max_retries {
        return Err(err);
    }
    let pause = backoff(retries + 1).max(err.retry_after().unwrap_or_default());
    if pause >= left {
        // Waiting would outlast the caller: say so now (the error carries any Retry-After).
        return Err(err);
    }
    Ok(pause)
}

/// Delay before retry number `retry` (1-based): exponential with "equal jitter" (half fixed,
/// half random) so that retries from many processes spread out but never fire at once.
pub(crate) fn backoff(retry: u32) -> Duration {
    jittered(BASE, CAP, retry)
}

/// Delay before the next refresh attempt after `failures` consecutive failed refreshes.
pub(crate) fn refresh_backoff(failures: u32) -> Duration {
    jittered(REFRESH_BASE, REFRESH_CAP, failures)
}

fn jittered(base: Duration, cap: Duration, n: u32) -> Duration {
    let exp = base
        .saturating_mul(1u32 << n.saturating_sub(1).min(16))
        .min(cap);
    let half = exp / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, retry_after: Option<u64>) -> Error {
        Error::Http {
            status,
            detail: None,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    const LONG: Duration = Duration::from_secs(100);

    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..100 {
            let b1 = backoff(1);
            assert!(b1 >= BASE / 2 && b1 <= BASE, "{b1:?}");
            let b2 = backoff(2);
            assert!(b2 >= BASE && b2 <= BASE * 2, "{b2:?}");
            assert!(backoff(30) <= CAP);
            assert!(refresh_backoff(1) >= REFRESH_BASE / 2);
            assert!(refresh_backoff(40) <= REFRESH_CAP);
        }
    }

    #[test]
    fn only_transport_timeouts_and_5xx_are_retried_and_only_max_times() {
        assert!(after_failure(http(503, None), 0, 2, LONG).is_ok());
        assert!(after_failure(http(503, None), 2, 2, LONG).is_err());
        assert!(after_failure(http(400, None), 0, 2, LONG).is_err());
        let garbage = Error::InvalidResponse {
            status: 200,
            reason: "x".into(),
        };
        assert!(after_failure(garbage, 0, 2, LONG).is_err());
        let t = Error::Transport {
            message: "x".into(),
        };
        assert!(after_failure(t, 0, 2, LONG).is_ok());
    }

    #[test]
    fn retry_after_on_a_5xx_is_honoured() {
        let pause = after_failure(http(503, Some(3)), 0, 2, LONG).unwrap();
        assert!(pause >= Duration::from_secs(3), "{pause:?}");
        let e = after_failure(http(503, Some(30)), 0, 2, Duration::from_secs(10)).unwrap_err();
        assert_eq!(
            e.retry_after(),
            Some(Duration::from_secs(30)),
            "fails at once"
        );
    }
}
