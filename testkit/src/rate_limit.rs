//! Rolling-window rate limiter keyed by client id, like OfficeRnD's "5 token requests per minute,
//! failed or successful". Kept separate from the HTTP code so its arithmetic is unit-tested alone.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::RateLimit;

#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    /// Times of the admitted requests still inside the window, oldest first.
    history: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    /// Records a request for `client_id` at `now` and admits it, or refuses it and says how long
    /// until the oldest admitted request leaves the window. Refused requests are not recorded:
    /// otherwise a client that retries on 429 would push its own lock-out further away and the
    /// `Retry-After` we send would be a lie.
    pub(crate) fn check(
        &mut self,
        limit: RateLimit,
        client_id: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let hits = self.history.entry(client_id.to_owned()).or_default();
        while let Some(&oldest) = hits.front() {
            if now.duration_since(oldest) >= limit.window {
                hits.pop_front();
            } else {
                break;
            }
        }
        if hits.len() >= limit.max_requests as usize {
            let wait = match hits.front() {
                Some(&oldest) => limit.window.saturating_sub(now.duration_since(oldest)),
                // max_requests == 0: nothing will ever free a slot; one window is the honest hint.
                None => limit.window,
            };
            return Err(wait);
        }
        hits.push_back(now);
        Ok(())
    }

    pub(crate) fn clear(&mut self) {
        self.history.clear();
    }
}

/// Whole seconds for `Retry-After`, rounded up so a client that waits exactly that long succeeds.
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        max_requests: 2,
        window: Duration::from_secs(60),
    };

    #[test]
    fn admits_up_to_max_then_refuses_until_oldest_leaves() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        assert!(rl.check(LIMIT, "a", t0).is_ok());
        assert!(rl.check(LIMIT, "a", t0 + Duration::from_secs(10)).is_ok());
        let wait = rl
            .check(LIMIT, "a", t0 + Duration::from_secs(20))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        // Refusals are not recorded, so the wait keeps shrinking.
        let wait = rl
            .check(LIMIT, "a", t0 + Duration::from_secs(30))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(30));
        assert!(rl.check(LIMIT, "a", t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn clients_are_independent() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        assert!(rl.check(LIMIT, "a", t0).is_ok());
        assert!(rl.check(LIMIT, "a", t0).is_ok());
        assert!(rl.check(LIMIT, "a", t0).is_err());
        assert!(rl.check(LIMIT, "b", t0).is_ok());
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one() {
        assert_eq!(retry_after_secs(Duration::from_millis(0)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(7)), 7);
    }
}
