//! The single-flight cache: fresh tokens from memory without a lock; stale ones served while
//! exactly one caller refreshes (and, after a failed refresh, until they expire, with a jittered
//! backoff between refresh attempts); on an empty or expired cache exactly one caller fetches and
//! every waiter gets its result or its error, each within its own deadline. It knows nothing of
//! HTTP or stores: the fetch is a [`Source`] handed to [`SingleFlight::get`] (the shape of
//! aws-sdk-go-v2's credential cache and object_store's `TokenCache`).

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crate::cache::{CacheEntry, Freshness};
use crate::clock::TimeSource;
use crate::error::{Error, Result};
use crate::fork::{Local, PerProcess};
use crate::retry;
use crate::stats::Counters;
use crate::sync::CacheSlot;
use crate::token::Token;

/// Where tokens come from when the cache has none worth serving.
pub(crate) trait Source {
    /// A token to cache: fresh, or — when a refresh failed but a stored token is still usable —
    /// stale (the cache then backs off before refreshing again). Must finish by `deadline`.
    fn fetch(&self, deadline: Instant) -> Result<Arc<CacheEntry>>;
}

/// One cache: the entry every caller reads, and this process's single-flight bookkeeping.
pub(crate) struct SingleFlight {
    cache: CacheSlot<CacheEntry>,
    flight: PerProcess<Flight>,
}

/// Single-flight bookkeeping of this process.
#[derive(Default)]
struct Flight {
    /// A caller is fetching right now; the others wait for it (or serve the stale token).
    in_flight: bool,
    /// Bumped at the end of every fetch, so waiters know theirs is over.
    generation: u64,
    /// How the last fetch ended: waiters receive the same error.
    outcome: Option<Result<()>>,
    /// After a failed refresh, the stale token is served and no refresh is tried before this.
    next_refresh_at: Option<Instant>,
    refresh_failures: u32,
}

impl Flight {
    /// The child keeps nothing of an in-flight fetch (that thread does not exist there).
    fn after_fork(parent: Option<&Flight>) -> Flight {
        Flight {
            generation: parent.map_or(0, |p| p.generation + 1),
            next_refresh_at: parent.and_then(|p| p.next_refresh_at),
            refresh_failures: parent.map_or(0, |p| p.refresh_failures),
            ..Flight::default()
        }
    }
}

/// What one `get` needs besides the source: time, the caller's deadline, the counters.
pub(crate) struct Call<'a> {
    pub clock: &'a TimeSource,
    pub deadline: Instant,
    /// The configured timeout, for the error that says it elapsed.
    pub timeout: Duration,
    pub counters: &'a Counters,
}

impl SingleFlight {
    pub(crate) fn new() -> SingleFlight {
        SingleFlight {
            cache: CacheSlot::empty(),
            flight: PerProcess::new(Flight::default()),
        }
    }

    /// The fresh cached token as this thread's own copy, without any lock or I/O.
    #[inline]
    pub(crate) fn fresh(&self, now: Instant) -> Option<Token> {
        self.cache.with(|entry| {
            let entry = entry?;
            (now < entry.refresh_at).then(|| entry.token_for_this_thread())
        })
    }

    /// The cached entry, whatever its state.
    pub(crate) fn current(&self) -> Option<Arc<CacheEntry>> {
        self.cache.load()
    }

    /// Drops `token` only if it is still the cached one. Returns whether it was dropped.
    pub(crate) fn invalidate(&self, token: &Token) -> bool {
        self.cache
            .replace_if(|e| e.is_some_and(|e| e.token.same_token(token)), None)
    }

    fn flight(&self) -> Arc<Local<Flight>> {
        self.flight.get(Flight::after_fork)
    }

    /// A usable token: cached when fresh; the stale one while someone refreshes; otherwise
    /// fetched from `source` by exactly one caller of this process.
    pub(crate) fn get(&self, call: &Call<'_>, source: &dyn Source) -> Result<Token> {
        let local = self.flight();
        let mut flight = local.lock();
        loop {
            let now = call.clock.now();
            let entry = self.cache.load();
            match entry.as_ref().map(|e| (e, e.freshness(now))) {
                Some((e, Freshness::Fresh)) => {
                    call.counters.hits.incr();
                    return Ok(e.token.clone());
                }
                Some((e, Freshness::Stale)) => {
                    let backing_off = flight.next_refresh_at.is_some_and(|t| now < t);
                    if flight.in_flight || backing_off {
                        call.counters.stale_served.fetch_add(1, Relaxed);
                        return Ok(e.token.clone());
                    }
                    flight.in_flight = true;
                    drop(flight);
                    return match self.lead(&local, call, source) {
                        Ok(t) => Ok(t),
                        Err(err) if call.clock.now() < e.usable_until => {
                            log::warn!(
                                "token refresh failed, serving the cached token until it expires: {err}"
                            );
                            call.counters.stale_served.fetch_add(1, Relaxed);
                            Ok(e.token.clone())
                        }
                        Err(err) => Err(err),
                    };
                }
                Some((_, Freshness::Expired)) | None => {
                    if !flight.in_flight {
                        flight.in_flight = true;
                        drop(flight);
                        return self.lead(&local, call, source);
                    }
                    let generation = flight.generation;
                    while flight.in_flight && flight.generation == generation {
                        let left = call.deadline.saturating_duration_since(call.clock.now());
                        if left.is_zero() {
                            return Err(Error::Timeout {
                                after: call.timeout,
                                message: "waiting for another caller's token request".into(),
                            });
                        }
                        flight = local.wait(flight, left);
                    }
                    if flight.generation != generation
                        && let Some(Err(e)) = &flight.outcome
                    {
                        return Err(e.clone());
                    }
                }
            }
        }
    }

    /// Runs the fetch as the single leader and tells the waiters how it ended — also if it
    /// panics, so no waiter sleeps until its timeout for nothing.
    fn lead(&self, local: &Local<Flight>, call: &Call<'_>, source: &dyn Source) -> Result<Token> {
        struct Finish<'a> {
            local: &'a Local<Flight>,
            /// `Ok(true)`: a fresh token; `Ok(false)`: only a stale one (a failed refresh).
            outcome: Option<Result<bool>>,
            now: Instant,
        }
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                let mut f = self.local.lock();
                f.in_flight = false;
                f.generation = f.generation.wrapping_add(1);
                let outcome = self.outcome.take().unwrap_or_else(|| {
                    Err(Error::Transport {
                        message: "token request aborted by a panic".into(),
                    })
                });
                if let Ok(true) = outcome {
                    f.refresh_failures = 0;
                    f.next_refresh_at = None;
                } else {
                    f.refresh_failures += 1;
                    f.next_refresh_at = Some(self.now + retry::refresh_backoff(f.refresh_failures));
                }
                f.outcome = Some(outcome.map(|_| ()));
                drop(f);
                self.local.notify_all();
            }
        }
        let mut finish = Finish {
            local,
            outcome: None,
            now: call.clock.now(),
        };
        let result = source.fetch(call.deadline).and_then(|entry| {
            let now = call.clock.now();
            match entry.freshness(now) {
                Freshness::Expired => Err(Error::InvalidResponse {
                    status: 200,
                    reason: format!(
                        "the token's lifetime ({} s) ran out before it could be used",
                        entry.lifetime.as_secs()
                    ),
                }),
                state => {
                    self.cache.store(Some(Arc::clone(&entry)));
                    Ok((entry, state == Freshness::Fresh))
                }
            }
        });
        finish.now = call.clock.now();
        finish.outcome = Some(
            result
                .as_ref()
                .map(|(_, fresh)| *fresh)
                .map_err(Clone::clone),
        );
        result.map(|(entry, _)| entry.token.clone())
    }
}
