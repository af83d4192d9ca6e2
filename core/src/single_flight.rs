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
    /// Bumped after every change of the cached entry (a new token, an invalidation), so that a
    /// binding caching the token on its side of an FFI boundary knows when to ask again.
    changes: Arc<std::sync::atomic::AtomicU64>,
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
            changes: Arc::default(),
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

    /// The fresh cached token and how long it stays fresh (its refresh point, jitter applied).
    pub(crate) fn fresh_for(&self, now: Instant) -> Option<(Token, std::time::Duration)> {
        self.cache.with(|entry| {
            let entry = entry?;
            (now < entry.refresh_at)
                .then(|| (entry.token_for_this_thread(), entry.refresh_at - now))
        })
    }

    /// The change counter (see the field).
    pub(crate) fn changes(&self) -> Arc<std::sync::atomic::AtomicU64> {
        Arc::clone(&self.changes)
    }

    /// The cached entry, whatever its state.
    pub(crate) fn current(&self) -> Option<Arc<CacheEntry>> {
        self.cache.load()
    }

    /// Drops `token` only if it is still the cached one. Returns whether it was dropped.
    pub(crate) fn invalidate(&self, token: &Token) -> bool {
        let dropped = self
            .cache
            .replace_if(|e| e.is_some_and(|e| e.token.same_token(token)), None);
        if dropped {
            self.changes
                .fetch_add(1, std::sync::atomic::Ordering::Release);
        }
        dropped
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
                    self.changes
                        .fetch_add(1, std::sync::atomic::Ordering::Release);
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

/// Model checks of the state machine above with loom (`make test-loom`): every interleaving of
/// the leader, its waiters, stale serving and invalidation (all of them for two threads, those
/// with at most 3 preemptions for three). Under `cfg(loom)` the flight's mutex and condition
/// variable and the cache slot are loom's (see `sync`), there is no fork (see `fork`), and time
/// stands still: the clock is a `ManualClock` nobody advances, deadlines are an hour away and a
/// waiter waits to be notified, so a lost wake-up is a deadlock loom reports.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    use std::cell::Cell;
    use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::time::SystemTime;

    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use loom::thread;

    use crate::cache::Windows;
    use crate::clock::{Clock, ManualClock};

    const HOUR: Duration = Duration::from_secs(3600);
    const WINDOWS: Windows = Windows {
        refresh_ahead: Duration::from_secs(300),
        min_validity: Duration::from_secs(60),
    };
    const OLD: &str = "old-token";

    /// Runs `f` for every interleaving (`None`: exhaustively; `Some(n)`: those with at most `n`
    /// preemptions, unless `LOOM_MAX_PREEMPTIONS` says otherwise). Returns how many executions
    /// were explored. The two-thread models are exhaustive (a few dozen executions); the
    /// three-thread ones are bounded at 3 preemptions (about 7,000 and 9,500 executions, under
    /// a second; `LOOM_MAX_PREEMPTIONS=6` explores 180,000 and 260,000 in about 15 s).
    fn check(preemptions: Option<usize>, f: impl Fn() + Send + Sync + 'static) -> usize {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = preemptions;
        }
        let executions = std::sync::Arc::new(StdAtomicUsize::new(0));
        let counted = std::sync::Arc::clone(&executions);
        builder.check(move || {
            counted.fetch_add(1, Relaxed);
            f()
        });
        executions.load(Relaxed)
    }

    fn token(name: &str, expires_at: Instant) -> Token {
        Token::new(
            name.into(),
            "Bearer".into(),
            vec![],
            expires_at,
            SystemTime::now(),
        )
    }

    /// An hour-long token just granted: fresh at `now`.
    fn fresh_entry(name: &str, now: Instant) -> Arc<CacheEntry> {
        let e = CacheEntry::new(token(name, now + HOUR), HOUR, now, WINDOWS, 0.0);
        assert_eq!(e.freshness(now), Freshness::Fresh);
        Arc::new(e)
    }

    /// An hour-long token with 200 s left: past its refresh point (300 s before expiry), still
    /// usable (until 60 s before expiry), so stale at `now`.
    fn stale_entry(name: &str, now: Instant) -> Arc<CacheEntry> {
        let expires_at = now + Duration::from_secs(200);
        let e = CacheEntry::new(token(name, expires_at), HOUR, now, WINDOWS, 0.0);
        assert_eq!(e.freshness(now), Freshness::Stale);
        Arc::new(e)
    }

    #[derive(Clone, Copy)]
    enum Answer {
        /// A fresh token named `new-<call number>`.
        Fresh,
        /// `Error::Transport` with the message `fetch #<call number> failed`.
        Fail,
        /// The fetch panics.
        Panic,
    }

    fn failure(call: usize) -> Error {
        Error::Transport {
            message: format!("fetch #{call} failed"),
        }
    }

    /// The upstream every thread's fetch goes to: counts calls, asserts no two run at once, and
    /// yields while in flight so that other callers arrive during the fetch.
    struct Upstream {
        clock: ManualClock,
        answer: Answer,
        calls: AtomicUsize,
        in_source: AtomicUsize,
        /// Callers that have returned from `get`.
        returned: AtomicUsize,
        /// Hold the fetch until this many callers have returned from `get` (they must not wait
        /// for it: if one did, the model could not finish and loom reports it).
        hold_until_returned: usize,
    }

    impl Upstream {
        fn new(answer: Answer) -> Upstream {
            Upstream {
                clock: ManualClock::new(),
                answer,
                calls: AtomicUsize::new(0),
                in_source: AtomicUsize::new(0),
                returned: AtomicUsize::new(0),
                hold_until_returned: 0,
            }
        }

        fn now(&self) -> Instant {
            self.clock.now()
        }

        /// Call number `n` (from 1): records `n` in `led` (before it may panic), then answers.
        fn fetch(&self, led: &Cell<Option<usize>>) -> Result<Arc<CacheEntry>> {
            let call = self.calls.fetch_add(1, SeqCst) + 1;
            led.set(Some(call));
            assert_eq!(
                self.in_source.fetch_add(1, SeqCst),
                0,
                "two callers in the source at once"
            );
            thread::yield_now();
            while self.returned.load(SeqCst) < self.hold_until_returned {
                thread::yield_now();
            }
            self.in_source.fetch_sub(1, SeqCst);
            match self.answer {
                Answer::Fresh => Ok(fresh_entry(&format!("new-{call}"), self.now())),
                Answer::Fail => Err(failure(call)),
                Answer::Panic => panic!("fetch #{call} panicked"),
            }
        }
    }

    /// One caller's view of the upstream: which call it made, if it led.
    struct Caller<'a> {
        upstream: &'a Upstream,
        call: Cell<Option<usize>>,
    }

    impl Source for Caller<'_> {
        fn fetch(&self, _deadline: Instant) -> Result<Arc<CacheEntry>> {
            assert!(self.call.get().is_none(), "one get fetched twice");
            self.upstream.fetch(&self.call)
        }
    }

    /// What one `get` returned and how it got there.
    #[derive(Debug)]
    struct Outcome {
        /// `None`: the fetch this caller led panicked.
        result: Option<Result<Token>>,
        /// The upstream call this caller made, if it led a fetch.
        led: Option<usize>,
        hit: bool,
        stale_served: bool,
    }

    impl Outcome {
        fn token(&self) -> &str {
            match &self.result {
                Some(Ok(t)) => t.access_token(),
                other => panic!("expected a token, got {other:?}"),
            }
        }

        fn error(&self) -> &Error {
            match &self.result {
                Some(Err(e)) => e,
                other => panic!("expected an error, got {other:?}"),
            }
        }
    }

    fn get(sf: &SingleFlight, upstream: &Upstream) -> Outcome {
        let clock = TimeSource::Custom(Arc::new(upstream.clock.clone()));
        let counters = Counters::default();
        let call = Call {
            clock: &clock,
            deadline: Instant::now() + HOUR,
            timeout: HOUR,
            counters: &counters,
        };
        let source = Caller {
            upstream,
            call: Cell::new(None),
        };
        // Only the panic of an `Answer::Panic` fetch is caught: a failed assertion still fails.
        let result = match catch_unwind(AssertUnwindSafe(|| sf.get(&call, &source))) {
            Ok(result) => Some(result),
            Err(panic) if matches!(upstream.answer, Answer::Panic) && panic.is::<String>() => {
                let message = panic.downcast_ref::<String>().unwrap();
                if !(message.starts_with("fetch #") && message.ends_with(" panicked")) {
                    resume_unwind(panic);
                }
                None
            }
            Err(panic) => resume_unwind(panic),
        };
        upstream.returned.fetch_add(1, SeqCst);
        Outcome {
            result,
            led: source.call.get(),
            hit: counters.hits.get() > 0,
            stale_served: counters.stale_served.load(Relaxed) > 0,
        }
    }

    /// `threads` callers of `get` at once (the model's main thread is one of them).
    fn race(sf: &Arc<SingleFlight>, upstream: &Arc<Upstream>, threads: usize) -> Vec<Outcome> {
        let handles: Vec<_> = (1..threads)
            .map(|_| {
                let (sf, upstream) = (Arc::clone(sf), Arc::clone(upstream));
                thread::spawn(move || get(&sf, &upstream))
            })
            .collect();
        let mut outcomes = vec![get(sf, upstream)];
        outcomes.extend(handles.into_iter().map(|h| h.join().unwrap()));
        outcomes
    }

    fn cached(sf: &SingleFlight) -> Option<String> {
        sf.current().map(|e| e.token.access_token().to_owned())
    }

    /// Empty cache, three callers: exactly one fetch, and everyone gets its token (the others
    /// from the cache, after waiting for the fetch or after it ended).
    #[test]
    fn one_leader_fetches_for_everyone() {
        let n = check(Some(3), || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Fresh));
            let outcomes = race(&sf, &upstream, 3);
            assert_eq!(upstream.calls.load(SeqCst), 1, "{outcomes:?}");
            assert_eq!(outcomes.iter().filter(|o| o.led.is_some()).count(), 1);
            for o in &outcomes {
                assert_eq!(o.token(), "new-1");
                assert!(o.led.is_some() || o.hit, "{o:?}");
                assert!(!o.stale_served);
            }
            assert_eq!(cached(&sf).as_deref(), Some("new-1"));
        });
        eprintln!("one_leader_fetches_for_everyone: {n} executions");
    }

    /// Empty cache, three callers, every fetch fails. A caller that finds a fetch in flight
    /// waits for it and gets its error (or, if a later fetch ended before it woke, that one's);
    /// a caller that arrives after a fetch ended leads a new one (the cache is still empty).
    /// So: no two fetches at once (asserted in the upstream), each caller leads at most once
    /// and a leader gets its own call's error, a waiter the error of a call that was made. Some
    /// execution must have a caller that waited and was woken with the error: with a lost
    /// wake-up it would never return, which loom reports as a deadlock.
    #[test]
    fn waiters_get_the_leaders_error() {
        static WOKEN_WITH_ERROR: StdAtomicUsize = StdAtomicUsize::new(0);
        let n = check(Some(3), || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Fail));
            let outcomes = race(&sf, &upstream, 3);
            let calls = upstream.calls.load(SeqCst);
            assert!((1..=3).contains(&calls), "{outcomes:?}");
            assert_eq!(outcomes.iter().filter(|o| o.led.is_some()).count(), calls);
            for o in &outcomes {
                let err = o.error();
                match o.led {
                    Some(call) => assert_eq!(err, &failure(call)),
                    None => {
                        assert!((1..=calls).any(|c| err == &failure(c)), "{o:?}");
                        WOKEN_WITH_ERROR.fetch_add(1, Relaxed);
                    }
                }
                assert!(!o.hit && !o.stale_served);
            }
            assert_eq!(cached(&sf), None);
        });
        eprintln!("waiters_get_the_leaders_error: {n} executions");
        assert!(
            WOKEN_WITH_ERROR.load(Relaxed) > 0,
            "no execution had a caller wait for the leader"
        );
    }

    /// The leader's fetch panics: its waiters are woken with an error instead of sleeping until
    /// their deadline (a deadlock under loom), and the flight is not left in flight.
    #[test]
    fn a_panicking_fetch_wakes_its_waiters() {
        static WOKEN: StdAtomicUsize = StdAtomicUsize::new(0);
        let n = check(None, || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Panic));
            let outcomes = race(&sf, &upstream, 2);
            let calls = upstream.calls.load(SeqCst);
            assert_eq!(outcomes.iter().filter(|o| o.led.is_some()).count(), calls);
            for o in &outcomes {
                if o.led.is_some() {
                    assert!(o.result.is_none(), "the leader's panic propagates: {o:?}");
                } else {
                    assert!(
                        matches!(o.error(), Error::Transport { message } if message.contains("panic")),
                        "{o:?}"
                    );
                    WOKEN.fetch_add(1, Relaxed);
                }
            }
            assert!(!sf.flight().lock().in_flight);
        });
        eprintln!("a_panicking_fetch_wakes_its_waiters: {n} executions");
        assert!(WOKEN.load(Relaxed) > 0, "no execution had a waiter");
    }

    /// A stale token cached, two callers: exactly one refreshes, and the other is served the
    /// stale token at once. The fetch is held until the other caller has returned, so if it
    /// waited for the refresh instead, the model could not finish.
    #[test]
    fn stale_token_served_while_one_refreshes() {
        let n = check(None, || {
            let sf = Arc::new(SingleFlight::new());
            let mut upstream = Upstream::new(Answer::Fresh);
            upstream.hold_until_returned = 1;
            let upstream = Arc::new(upstream);
            sf.cache.store(Some(stale_entry(OLD, upstream.now())));
            let outcomes = race(&sf, &upstream, 2);
            assert_eq!(upstream.calls.load(SeqCst), 1);
            for o in &outcomes {
                if o.led.is_some() {
                    assert_eq!(o.token(), "new-1");
                    assert!(!o.stale_served);
                } else {
                    assert_eq!(o.token(), OLD);
                    assert!(o.stale_served);
                }
            }
            assert_eq!(cached(&sf).as_deref(), Some("new-1"));
        });
        eprintln!("stale_token_served_while_one_refreshes: {n} executions");
    }

    /// A stale token cached, two callers, the refresh fails: both are served the stale token
    /// and only one refresh is tried (the other caller finds it in flight, or finds the cache
    /// backing off after it failed).
    #[test]
    fn failed_refresh_serves_stale_and_backs_off() {
        let n = check(None, || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Fail));
            sf.cache.store(Some(stale_entry(OLD, upstream.now())));
            let outcomes = race(&sf, &upstream, 2);
            assert_eq!(upstream.calls.load(SeqCst), 1, "{outcomes:?}");
            for o in &outcomes {
                assert_eq!(o.token(), OLD);
                assert!(o.stale_served);
            }
            assert_eq!(cached(&sf).as_deref(), Some(OLD));
            let f = sf.flight();
            let f = f.lock();
            assert!(!f.in_flight && f.refresh_failures == 1 && f.next_refresh_at.is_some());
        });
        eprintln!("failed_refresh_serves_stale_and_backs_off: {n} executions");
    }

    /// A stale token cached; one thread's `get` refreshes it (to `new-1`) while another
    /// invalidates the old token. Whatever the order, the old token is gone at the end and the
    /// new one is kept: invalidate drops only the token it was given. The caller gets the new
    /// token (if the invalidation came first, it found the cache empty and fetched).
    #[test]
    fn invalidate_racing_a_refresh() {
        let n = check(None, || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Fresh));
            let old = stale_entry(OLD, upstream.now());
            let old_token = old.token.clone();
            sf.cache.store(Some(old));
            let invalidator = {
                let sf = Arc::clone(&sf);
                thread::spawn(move || {
                    sf.invalidate(&old_token);
                })
            };
            let o = get(&sf, &upstream);
            invalidator.join().unwrap();
            assert_eq!(o.token(), "new-1");
            assert_eq!(upstream.calls.load(SeqCst), 1);
            assert_eq!(cached(&sf).as_deref(), Some("new-1"));
        });
        eprintln!("invalidate_racing_a_refresh: {n} executions");
    }

    /// The same race with a failing refresh: the invalidation sticks (the cache ends empty) and
    /// the caller gets the old token only if it read it before it was invalidated.
    #[test]
    fn invalidate_racing_a_failed_refresh() {
        let n = check(None, || {
            let sf = Arc::new(SingleFlight::new());
            let upstream = Arc::new(Upstream::new(Answer::Fail));
            let old = stale_entry(OLD, upstream.now());
            let old_token = old.token.clone();
            sf.cache.store(Some(old));
            let invalidator = {
                let sf = Arc::clone(&sf);
                thread::spawn(move || assert!(sf.invalidate(&old_token)))
            };
            let o = get(&sf, &upstream);
            invalidator.join().unwrap();
            assert_eq!(upstream.calls.load(SeqCst), 1);
            match &o.result {
                // Read before the invalidation: the refresh failed, the stale token is served.
                Some(Ok(t)) => assert!(t.access_token() == OLD && o.stale_served),
                // Read after it: an empty cache, the fetch failed.
                Some(Err(e)) => assert_eq!(e, &failure(1)),
                None => unreachable!(),
            }
            assert_eq!(cached(&sf), None);
        });
        eprintln!("invalidate_racing_a_failed_refresh: {n} executions");
    }
}
