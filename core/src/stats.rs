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

/// A stats field's value, as bindings spell it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StatValue {
    /// A count.
    Count(u64),
    /// A duration, if there is one (`expires_in`).
    Duration(Option<Duration>),
    /// An error code, if there is one (`last_error_code`).
    Code(Option<&'static str>),
}

/// One stats field: its name (snake_case; camelCase in Node and Kotlin) and what it counts.
#[derive(Clone, Copy, Debug)]
pub struct StatField {
    /// Name.
    pub name: &'static str,
    /// What it means.
    pub doc: &'static str,
}

impl Stats {
    /// The field list every binding builds its stats object from, in this order: adding a
    /// field to [`Stats`] without adding it here does not compile (see [`Stats::values`]).
    pub const FIELDS: [StatField; 15] = [
        StatField {
            name: "requests_sent",
            doc: "token requests sent, whatever their outcome",
        },
        StatField {
            name: "requests_ok",
            doc: "requests answered with a token",
        },
        StatField {
            name: "requests_oauth_error",
            doc: "requests answered with an RFC 6749 error",
        },
        StatField {
            name: "requests_rate_limited",
            doc: "requests answered 429",
        },
        StatField {
            name: "requests_http_error",
            doc: "requests answered with an unexpected HTTP status",
        },
        StatField {
            name: "requests_transport_error",
            doc: "requests that failed to connect or lost the connection",
        },
        StatField {
            name: "requests_timeout",
            doc: "requests that timed out",
        },
        StatField {
            name: "requests_invalid_response",
            doc: "requests answered with an unusable token answer",
        },
        StatField {
            name: "cache_hits",
            doc: "calls answered from the cache with a fresh token",
        },
        StatField {
            name: "stale_served",
            doc: "calls answered with a stale token (a refresh under way or failed)",
        },
        StatField {
            name: "refused_locally",
            doc: "calls refused without a request (budget, cool-down, remembered answer)",
        },
        StatField {
            name: "budget_remaining",
            doc: "requests still allowed in the current budget window",
        },
        StatField {
            name: "budget_capacity",
            doc: "requests allowed per budget window",
        },
        StatField {
            name: "expires_in",
            doc: "time left on the cached token, if one is cached",
        },
        StatField {
            name: "last_error_code",
            doc: "code of the last error since the last success, if any",
        },
    ];

    /// The values, in [`Stats::FIELDS`] order.
    pub fn values(&self) -> [StatValue; 15] {
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
        } = *self;
        use StatValue::Count;
        [
            Count(self.requests_sent()),
            Count(requests_ok),
            Count(requests_oauth_error),
            Count(requests_rate_limited),
            Count(requests_http_error),
            Count(requests_transport_error),
            Count(requests_timeout),
            Count(requests_invalid_response),
            Count(cache_hits),
            Count(stale_served),
            Count(refused_locally),
            Count(budget_remaining.into()),
            Count(budget_capacity.into()),
            StatValue::Duration(expires_in),
            StatValue::Code(last_error_code),
        ]
    }

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
    fn values_follow_the_field_list() {
        let s = Stats {
            requests_ok: 2,
            requests_timeout: 1,
            budget_capacity: 5,
            ..Stats::default()
        };
        let by_name: Vec<_> = Stats::FIELDS
            .iter()
            .map(|f| f.name)
            .zip(s.values())
            .collect();
        assert_eq!(by_name[0], ("requests_sent", StatValue::Count(3)));
        assert!(by_name.contains(&("budget_capacity", StatValue::Count(5))));
        assert!(by_name.contains(&("expires_in", StatValue::Duration(None))));
    }

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
