//! When a cached token is fresh, stale or expired. Expiry is stamped from the moment the request
//! was sent, on the monotonic clock; both windows are capped at half the token's *original*
//! lifetime (the `expires_in` it was granted with, also for a token adopted from a store late in
//! its life) so a short-lived token is never born expired; the refresh point is pulled earlier by
//! a random jitter (up to 10 % of the refresh window) so processes started together refresh
//! apart.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Unique in the process, never reused: names this entry in per-thread copies.
    pub id: u64,
    pub token: Token,
    /// The lifetime it was granted with (kept with it in shared stores).
    pub lifetime: Duration,
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
    /// `lifetime` is the `expires_in` the token was granted with (however much of it is left
    /// at `now`); `jitter` is a random number in `[0, 1)`.
    pub(crate) fn new(
        token: Token,
        lifetime: Duration,
        now: Instant,
        windows: Windows,
        jitter: f64,
    ) -> Self {
        let expires_at = token.expires_at_instant();
        let half = lifetime / 2;
        let refresh_ahead = windows.refresh_ahead.min(half);
        let min_validity = windows.min_validity.min(half);
        let jitter = (refresh_ahead / 10).mul_f64(jitter.clamp(0.0, 1.0));
        // An instant before the monotonic clock began can't be represented; it is past anyway.
        let earliest = |d: Duration| expires_at.checked_sub(d).unwrap_or(now).min(expires_at);
        let refresh_at = earliest(refresh_ahead + jitter);
        let usable_until = earliest(min_validity);
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        CacheEntry {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            token,
            lifetime,
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

/// Per-thread copies of recently served tokens. Cloning the cached token itself would bump one
/// reference count shared by every thread, and that cache line bouncing between cores is what
/// makes a shared `Arc` slow under contention; a thread's own copy keeps the fresh path flat as
/// threads are added.
const LOCAL_SLOTS: usize = 4;

thread_local! {
    static LOCAL_COPIES: RefCell<LocalCopies> = const { RefCell::new(LocalCopies::new()) };
}

struct LocalCopies {
    ids: [u64; LOCAL_SLOTS],
    tokens: [Option<Token>; LOCAL_SLOTS],
    next: usize,
}

impl LocalCopies {
    const fn new() -> Self {
        LocalCopies {
            ids: [0; LOCAL_SLOTS],
            tokens: [const { None }; LOCAL_SLOTS],
            next: 0,
        }
    }
}

impl CacheEntry {
    /// The token, as this thread's own copy.
    #[inline]
    pub(crate) fn token_for_this_thread(&self) -> Token {
        LOCAL_COPIES
            .try_with(|cell| {
                let mut local = cell.borrow_mut();
                if let Some(i) = local.ids.iter().position(|id| *id == self.id)
                    && let Some(t) = &local.tokens[i]
                {
                    return t.clone();
                }
                let copy = self.token.deep_copy();
                let i = local.next;
                local.next = (i + 1) % LOCAL_SLOTS;
                local.ids[i] = self.id;
                local.tokens[i] = Some(copy.clone());
                copy
            })
            // During thread teardown the thread-local is gone: share the cached one.
            .unwrap_or_else(|_| self.token.clone())
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

    const S3599: Duration = Duration::from_secs(3599);

    const DEFAULT: Windows = Windows {
        refresh_ahead: Duration::from_secs(300),
        min_validity: Duration::from_secs(60),
    };

    #[test]
    fn hour_token_windows() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 3599), S3599, t0, DEFAULT, 0.0);
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
        let e = CacheEntry::new(token(t0, 3599), S3599, t0, DEFAULT, 0.999_999);
        let earliest = t0 + Duration::from_secs(3299 - 30);
        assert!(e.refresh_at >= earliest && e.refresh_at < t0 + Duration::from_secs(3299));
    }

    #[test]
    fn each_thread_gets_its_own_copy_of_the_same_token() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 3599), S3599, t0, DEFAULT, 0.0);
        let a = e.token_for_this_thread();
        let b = e.token_for_this_thread();
        let other = std::thread::scope(|s| s.spawn(|| e.token_for_this_thread()).join().unwrap());
        assert_eq!(a, e.token);
        assert_eq!(other, a);
        assert!(a.shares_allocation(&b), "same thread reuses its copy");
        assert!(!a.shares_allocation(&other), "other thread has its own");
        assert!(!a.shares_allocation(&e.token));
    }

    #[test]
    fn short_lived_token_is_not_born_expired() {
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 20), Duration::from_secs(20), t0, DEFAULT, 0.5);
        assert_eq!(e.freshness(t0), Freshness::Fresh);
        assert_eq!(e.usable_until, t0 + Duration::from_secs(10));
        assert!(e.refresh_at <= e.usable_until);
    }

    #[test]
    fn a_token_adopted_late_keeps_the_windows_of_its_original_lifetime() {
        // 20 s token adopted with 12 s left: windows are 10 s (half of 20), not 6 s.
        let t0 = Instant::now();
        let e = CacheEntry::new(token(t0, 12), Duration::from_secs(20), t0, DEFAULT, 0.0);
        assert_eq!(e.usable_until, t0 + Duration::from_secs(2));
        assert_eq!(e.refresh_at, t0 + Duration::from_secs(2));
        assert_eq!(e.freshness(t0), Freshness::Fresh);
        assert_eq!(e.freshness(t0 + Duration::from_secs(2)), Freshness::Expired);
        // With 9 s left it is already below min_validity (capped at 10 s): never handed out.
        let e = CacheEntry::new(token(t0, 9), Duration::from_secs(20), t0, DEFAULT, 0.0);
        assert_eq!(e.freshness(t0), Freshness::Expired);
    }
}
