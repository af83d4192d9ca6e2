//! Retry policy: which failures are retried (connection failures, timeouts, 5xx — never 4xx),
//! how many times, and the jittered backoff between attempts and between failed refreshes.

use std::time::Duration;

/// First retry waits about this long; each further one doubles it.
const BASE: Duration = Duration::from_millis(200);
/// Backoff never exceeds this between two attempts of one call.
const CAP: Duration = Duration::from_secs(5);
/// After a failed refresh of a still-usable token, wait at least this before the next try…
const REFRESH_BASE: Duration = Duration::from_secs(5);
/// …doubling per consecutive failure, up to this.
const REFRESH_CAP: Duration = Duration::from_secs(120);

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
}
