//! When a cached token is fresh, stale or expired. Expiry is stamped from the moment the request
//! was sent, on the monotonic clock; both windows are capped at half the token's lifetime so a
//! short-lived token is never born expired; the refresh point is pulled earlier by a random
//! jitter (up to 10 % of the refresh window) so processes started together refresh apart.

use std::time::{Duration, Instant};

use crate::token::Token;

/// The state of a cached token at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Before the refresh point: serve it, nothing else to do.
    Fresh,
    /// Between the refresh point and `expires_at − min_validity`: serve it, one caller refreshes.
    Stale,
    /// Less than `min_validity` left: never handed out.
    Expired,
}

/// A token with its precomputed thresholds, so the hot path is two comparisons.
#[derive(Debug)]
pub(crate) struct CacheEntry {
    pub token: Token,
    pub refresh_at: Instant,
    pub usable_until: Instant,
}

/// The two windows, as configured.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Windows {
    pub refresh_ahead: Duration,
    pub min_validity: Duration,
}

impl CacheEntry {
    /// `issued_at` is when the request was sent; `jitter` is a random number in `[0, 1)`.
    pub(crate) fn new(token: Token, issued_at: Instant, windows: Windows, jitter: f64) -> Self {
        let expires_at = token.expires_at_instant();
        let lifetime = expires_at.saturating_duration_since(issued_at);
        let half = lifetime / 2;
        let refresh_ahead = windows.refresh_ahead.min(half);
        let min_validity = windows.min_validity.min(half);
        let jitter = (refresh_ahead / 10).mul_f64(jitter.clamp(0.0, 1.0));
        let refresh_at = expires_at
            .checked_sub(refresh_ahead + jitter)
            .unwrap_or(issued_at);
        let usable_until = expires_at.checked_sub(min_validity).unwrap_or(issued_at);
        CacheEntry {
            token,
            refresh_at: refresh_at.min(usable_until),
            usable_until,
        }
    }

    #[inline]
    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        if now < self.refresh_at {
            Freshness::Fresh
        } else if now < self.usable_until {
            Freshness::Stale
        } else {
            Freshness::Expired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn token(issued: Instant, lifetime: u64) -> Token {
        Token::new(
            "t".repeat(30),
            "Bearer".into(),
            vec![],
            issued + Duration::from_secs(lifetime),
            SystemTime::now(),
        )
    }

    const DEFAULT: Windows = Windows {
        refresh_ahead: Duration::from_secs(300),
        min_validity: Duration::from_secs(60),
    };

    #[test]
    fn hour_token_windows() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 3599), t0, DEFAULT, 0.0);
        assert_eq!(e.refresh_at, t0 + Duration::from_secs(3299));
        assert_eq!(e.usable_until, t0 + Duration::from_secs(3539));
        assert_eq!(
            e.freshness(t0 + Duration::from_secs(3298)),
            Freshness::Fresh
        );
        assert_eq!(
            e.freshness(t0 + Duration::from_secs(3299)),
            Freshness::Stale
        );
        assert_eq!(
            e.freshness(t0 + Duration::from_secs(3539)),
            Freshness::Expired
        );
    }

    #[test]
    fn jitter_moves_refresh_earlier_by_at_most_ten_percent() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 3599), t0, DEFAULT, 0.999_999);
        let earliest = t0 + Duration::from_secs(3299 - 30);
        assert!(e.refresh_at >= earliest && e.refresh_at < t0 + Duration::from_secs(3299));
    }

    #[test]
    fn short_lived_token_is_not_born_expired() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 20), t0, DEFAULT, 0.5);
        assert_eq!(e.freshness(t0), Freshness::Fresh);
        assert_eq!(e.usable_until, t0 + Duration::from_secs(10));
        assert!(e.refresh_at <= e.usable_until);
    }
}
