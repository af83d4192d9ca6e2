//! Metrics: token requests by outcome, cache hits, stale tokens served, budget left, time to
//! expiry. The hit counter is sharded across cache lines so that counting hits on the fresh path
//! does not make threads contend.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crate::error::Error;

const SHARDS: usize = 16;

#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

/// A counter that many threads bump without sharing a cache line.
#[derive(Default)]
pub(crate) struct ShardedCounter {
    shards: [Padded; SHARDS],
}

fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    INDEX.with(|i| {
        if i.get() == usize::MAX {
            i.set(NEXT.fetch_add(1, Relaxed) % SHARDS);
        }
        i.get()
    })
}

impl ShardedCounter {
    #[inline]
    pub(crate) fn incr(&self) {
        self.shards[shard_index()].0.fetch_add(1, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.shards.iter().map(|s| s.0.load(Relaxed)).sum()
    }
}

/// Live counters of one shared cache.
#[derive(Default)]
pub(crate) struct Counters {
    pub hits: ShardedCounter,
    pub stale_served: AtomicU64,
    pub refused_locally: AtomicU64,
    pub ok: AtomicU64,
    pub oauth: AtomicU64,
    pub rate_limited: AtomicU64,
    pub http: AtomicU64,
    pub transport: AtomicU64,
    pub timeout: AtomicU64,
    pub invalid_response: AtomicU64,
}

impl Counters {
    /// Counts one request that was sent, by how it ended.
    pub(crate) fn record(&self, outcome: &Result<impl Sized, Error>) {
        let c = match outcome {
            Ok(_) => &self.ok,
            Err(Error::OAuth { .. }) => &self.oauth,
            Err(Error::RateLimited { .. }) => &self.rate_limited,
            Err(Error::Http { .. }) => &self.http,
            Err(Error::Transport { .. }) => &self.transport,
            Err(Error::Timeout { .. }) => &self.timeout,
            Err(Error::InvalidResponse { .. } | Error::Config { .. }) => &self.invalid_response,
        };
        c.fetch_add(1, Relaxed);
    }
}

/// A snapshot of a client's metrics (shared by every client of the same cache key).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Requests answered with a token.
    pub requests_ok: u64,
    /// Requests answered with an RFC 6749 error.
    pub requests_oauth_error: u64,
    /// Requests answered 429.
    pub requests_rate_limited: u64,
    /// Requests answered with an unexpected HTTP status.
    pub requests_http_error: u64,
    /// Requests that failed to connect or lost the connection.
    pub requests_transport_error: u64,
    /// Requests that timed out.
    pub requests_timeout: u64,
    /// Requests answered with an unusable token answer.
    pub requests_invalid_response: u64,
    /// Calls answered from the cache with a fresh token.
    pub cache_hits: u64,
    /// Calls answered with a stale token (a refresh was under way or had failed).
    pub stale_served: u64,
    /// Calls refused without a request (budget spent, cool-down, remembered terminal error).
    pub refused_locally: u64,
    /// Requests still allowed in the current budget window.
    pub budget_remaining: u32,
    /// Budget per window.
    pub budget_capacity: u32,
    /// Time left on the cached token, if one is cached.
    pub expires_in: Option<Duration>,
    /// The code of the last error seen for these credentials, if any since the last success.
    pub last_error_code: Option<&'static str>,
}

impl Stats {
    /// Every token request sent, whatever its outcome.
    pub fn requests_sent(&self) -> u64 {
        self.requests_ok
            + self.requests_oauth_error
            + self.requests_rate_limited
            + self.requests_http_error
            + self.requests_transport_error
            + self.requests_timeout
            + self.requests_invalid_response
    }
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests_ok: self.ok.load(Relaxed),
            requests_oauth_error: self.oauth.load(Relaxed),
            requests_rate_limited: self.rate_limited.load(Relaxed),
            requests_http_error: self.http.load(Relaxed),
            requests_transport_error: self.transport.load(Relaxed),
            requests_timeout: self.timeout.load(Relaxed),
            requests_invalid_response: self.invalid_response.load(Relaxed),
            cache_hits: self.hits.get(),
            stale_served: self.stale_served.load(Relaxed),
            refused_locally: self.refused_locally.load(Relaxed),
            ..Stats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharded_counter_sums_across_threads() {
        let c = ShardedCounter::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        c.incr();
                    }
                });
            }
        });
        assert_eq!(c.get(), 8000);
    }
}
