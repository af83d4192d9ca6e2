//! The quota governor: whether a token request may be sent now. This is where the
//! "5 requests per rolling minute, failed or successful" rule lives, with the 429 / `Retry-After`
//! cool-down, the store-outage budget and the memory of terminal answers.
//!
//! **The rule, as the server counts.** OfficeRnD counts a request when it *arrives*, which is
//! some time after we decide to send it and never after the attempt ends (answer received or
//! abandoned). So a slot is held from the moment it is taken until the attempt's deadline plus
//! one window plus [`SAFETY_MARGIN`] (an abandoned attempt may still arrive until its deadline),
//! and when the attempt ends it is shortened to *end* plus one window plus the margin. A new
//! request is admitted while fewer than `capacity` slots are held. [`Window`] is that rule on a
//! millisecond timeline; the in-process [`Governor`] runs it on monotonic time, the file store on
//! the machine's wall clock, and the Redis store's Lua script (tested against [`Window`]) on the
//! Redis server's clock, so hosts with skewed clocks still share one honest window.
//!
//! **Who shares what.** The budget and the cool-down belong to the credentials (normalised token
//! URL + client id: what OfficeRnD counts); terminal answers belong to one exact configuration (a
//! fixed secret or narrower scopes must not be refused because of another client's
//! `invalid_client` or `invalid_scope`). [`Quota`] combines this process's governor with the
//! store's shared budget and the outage policy.

use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::store::{SharedBudget, SlotGrant, StoreHealth};

/// How long after an attempt ended its slot still counts, beyond one window: requests reach the
/// server some time after we send them, and clocks differ a little.
pub(crate) const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// A budget: at most `capacity` requests per rolling `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QuotaRule {
    pub capacity: u32,
    pub window: Duration,
}

impl QuotaRule {
    /// How long a slot may count when taken for an attempt that may last `attempt_limit`.
    pub(crate) fn hold(&self, attempt_limit: Duration) -> Duration {
        attempt_limit + self.window + SAFETY_MARGIN
    }

    /// How long a slot still counts once its attempt has ended.
    pub(crate) fn after_end(&self) -> Duration {
        self.window + SAFETY_MARGIN
    }
}

/// One held request slot: who took it and when it stops counting (ms on the keeper's timeline).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Slot {
    pub id: u64,
    pub frees_at: u64,
}

/// Why a request may not be sent yet, and for how long (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wait {
    pub ms: u64,
    /// A cool-down (the server asked us to wait), not a spent budget.
    pub cooldown: bool,
}

/// The sliding window on a millisecond timeline: the one budget rule, kept as plain data so the
/// file store can persist it and the Redis script can be checked against it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Window {
    pub slots: Vec<Slot>,
    /// No request before this (a 429 or a `Retry-After`).
    #[serde(default)]
    pub cooldown_until: u64,
}

impl Window {
    /// Takes slot `id`, counting until `frees_at`, or says how long until one frees.
    pub(crate) fn take(
        &mut self,
        now: u64,
        capacity: u32,
        id: u64,
        frees_at: u64,
    ) -> Result<(), Wait> {
        if now < self.cooldown_until {
            return Err(Wait {
                ms: self.cooldown_until - now,
                cooldown: true,
            });
        }
        self.slots.retain(|s| s.frees_at > now);
        if self.slots.len() as u64 >= u64::from(capacity) {
            let first = self.slots.iter().map(|s| s.frees_at).min().unwrap_or(now);
            return Err(Wait {
                ms: first.saturating_sub(now).max(1),
                cooldown: false,
            });
        }
        self.slots.push(Slot { id, frees_at });
        Ok(())
    }

    /// The attempt of slot `id` ended: it counts until `frees_at` (its end plus one window and
    /// the margin), as the server counts its arrival. Usually that is shorter than it was held;
    /// an attempt that overran its deadline (a process paused by SIGSTOP, a VM freeze or a
    /// debugger between the check and the write) may have sent its request late, so then it
    /// counts longer, and is counted again if the slot had already been dropped.
    pub(crate) fn finish(&mut self, id: u64, frees_at: u64) {
        match self.slots.iter_mut().find(|s| s.id == id) {
            Some(s) => s.frees_at = frees_at,
            None => self.slots.push(Slot { id, frees_at }),
        }
    }

    /// Shortens slot `id` to `frees_at` if it is still held (never adds one): for a budget the
    /// slot may never have been taken from (the outage budget).
    pub(crate) fn shorten(&mut self, id: u64, frees_at: u64) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.id == id) {
            s.frees_at = s.frees_at.min(frees_at);
        }
    }

    /// Gives slot `id` back: it was never used (another budget refused the request).
    pub(crate) fn refund(&mut self, id: u64) {
        self.slots.retain(|s| s.id != id);
    }

    /// No request before `until`.
    pub(crate) fn cool_down(&mut self, until: u64) {
        self.cooldown_until = self.cooldown_until.max(until);
    }

    /// Slots still counting at `now`.
    pub(crate) fn held(&self, now: u64) -> u32 {
        self.slots.iter().filter(|s| s.frees_at > now).count() as u32
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

/// A slot of this process's budget, to be finished (or refunded) when its attempt ends.
#[derive(Debug)]
pub(crate) struct Permit {
    local: u64,
    shared: Option<u64>,
    /// The attempt's deadline: how long the store may take to finish its slot.
    deadline: Instant,
}

/// Admission state for one set of credentials in this process, on monotonic time.
#[derive(Clone, Debug)]
pub(crate) struct Governor {
    rule: QuotaRule,
    epoch: Instant,
    window: Window,
    next_id: u64,
    /// The cool-down came from a 429 (the refusal then says so).
    cooldown_from_429: bool,
    /// The last real error, quoted by `rate_limited` errors.
    last_error: Option<Error>,
    /// While the shared store fails, and one window after it answers again: at most one
    /// request per window (see [`Quota::acquire`]).
    outage: Option<Outage>,
}

/// The store-outage budget: one request per window on this process's timeline.
#[derive(Clone, Debug)]
struct Outage {
    window: Window,
    /// When the store answered again (ms); the budget holds one more window after it, because
    /// the requests sent during the outage are not in the store's budget.
    ended_at: Option<u64>,
}

impl Governor {
    pub(crate) fn new(rule: QuotaRule, now: Instant) -> Governor {
        Governor {
            rule,
            epoch: now,
            window: Window::default(),
            next_id: 1,
            cooldown_from_429: false,
            last_error: None,
            outage: None,
        }
    }

    /// A budget assumed spent for one whole window from `now` (after a fork that caught the
    /// parent's state half-written: never risk exceeding the server's limit).
    pub(crate) fn spent(rule: QuotaRule, now: Instant) -> Governor {
        let mut g = Governor::new(rule, now);
        let frees_at = g.at(now + rule.after_end());
        for _ in 0..rule.capacity {
            let id = g.id();
            let _ = g.window.take(0, rule.capacity, id, frees_at);
        }
        g
    }

    fn at(&self, t: Instant) -> u64 {
        ms(t.saturating_duration_since(self.epoch))
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Takes one slot for an attempt that may last `attempt_limit`, or refuses with when to retry.
    /// Every attempt — first fetch, refresh, retry — goes through here.
    pub(crate) fn acquire(&mut self, now: Instant, attempt_limit: Duration) -> Result<u64, Error> {
        let id = self.id();
        let (at, frees_at) = (self.at(now), self.at(now + self.rule.hold(attempt_limit)));
        match self.window.take(at, self.rule.capacity, id, frees_at) {
            Ok(()) => Ok(id),
            Err(w) => Err(self.refusal(Duration::from_millis(w.ms), w.cooldown)),
        }
    }

    /// Slot `id`'s attempt ended at `now`.
    pub(crate) fn finish(&mut self, id: u64, now: Instant) {
        let frees_at = self.at(now + self.rule.after_end());
        self.window.finish(id, frees_at);
        if let Some(o) = &mut self.outage {
            o.window.shorten(id, frees_at);
        }
    }

    /// Gives slot `id` back (a shared budget refused the request after all).
    pub(crate) fn refund(&mut self, id: u64) {
        self.window.refund(id);
    }

    /// The server asked for a pause (429, or `Retry-After` on a 5xx).
    pub(crate) fn cool_down(&mut self, now: Instant, pause: Duration, from_429: bool) {
        let until = self.at(now + pause);
        if until > self.window.cooldown_until {
            self.cooldown_from_429 = from_429;
        }
        self.window.cool_down(until);
    }

    /// A local refusal quoting the last real error: the budget is spent, or (`cooldown`) the
    /// server asked to wait.
    pub(crate) fn refusal(&self, retry_after: Duration, cooldown: bool) -> Error {
        let from_server = cooldown && self.cooldown_from_429;
        let reason = match (cooldown, from_server) {
            (true, true) => None,
            (true, false) => Some(
                "the token endpoint asked to wait before the next request (a 429 or a \
                 Retry-After, here or in a process sharing the store)"
                    .into(),
            ),
            (false, _) => Some(format!(
                "token request budget spent ({} per {} s, counted as the server counts them)",
                self.rule.capacity,
                self.rule.window.as_secs_f64()
            )),
        };
        self.refusal_because(retry_after, from_server, reason)
    }

    fn refusal_because(
        &self,
        retry_after: Duration,
        from_server: bool,
        reason: Option<String>,
    ) -> Error {
        Error::RateLimited {
            retry_after,
            from_server,
            reason,
            last_error: self.last_error.clone().map(Box::new),
        }
    }

    /// The shared store failed: from now on at most one request per window until it answers
    /// again. The first waits one whole window (the others' requests of the last window are
    /// unknown) plus a random jitter so the fleet does not send together.
    fn outage_admit(&mut self, now: Instant, attempt_limit: Duration, id: u64) -> Result<(), Wait> {
        let rule = self.rule;
        let (at, hold) = (self.at(now), self.at(now + rule.hold(attempt_limit)));
        let epoch = self.epoch;
        let outage = self.outage.get_or_insert_with(|| {
            let spread = rule.window / rule.capacity.max(1);
            let first = now + rule.after_end() + spread.mul_f64(fastrand::f64());
            let mut window = Window::default();
            let _ = window.take(0, 1, 0, ms(first.saturating_duration_since(epoch)));
            Outage {
                window,
                ended_at: None,
            }
        });
        outage.ended_at = None;
        outage.window.take(at, 1, id, hold)
    }

    /// Whether the outage budget (still) refuses a request at `now`; it ends one window after
    /// the store answered again.
    fn outage_wait(&mut self, now: Instant) -> Option<Wait> {
        let at = self.at(now);
        let after = ms(self.rule.after_end());
        let o = self.outage.as_mut()?;
        if o.ended_at.is_some_and(|end| at >= end + after) {
            self.outage = None;
            return None;
        }
        let mut probe = o.window.clone();
        probe.take(at, 1, u64::MAX, at + 1).err()
    }

    /// The store answered again: the outage budget keeps holding for one more window (the
    /// store's budget does not know what this process sent while it was down; by the time the
    /// outage budget lets this process ask again, those requests have stopped counting).
    fn outage_over(&mut self, now: Instant, id: u64, attempt_limit: Duration) {
        let (at, hold) = (self.at(now), self.at(now + self.rule.hold(attempt_limit)));
        if let Some(o) = self.outage.as_mut() {
            o.ended_at.get_or_insert(at);
            let _ = o.window.take(at, u32::MAX, id, hold);
        }
    }

    /// Whether the store-outage budget is in force.
    #[cfg(test)]
    pub(crate) fn in_outage(&self) -> bool {
        self.outage.is_some()
    }

    /// Records the outcome of an attempt that was sent.
    pub(crate) fn record_failure(&mut self, err: &Error) {
        if !matches!(
            err,
            Error::RateLimited {
                from_server: false,
                ..
            }
        ) {
            self.last_error = Some(strip_nested(err));
        }
    }

    /// A success clears the remembered error.
    pub(crate) fn record_success(&mut self) {
        self.last_error = None;
    }

    /// Requests left in the current window.
    pub(crate) fn remaining(&self, now: Instant) -> u32 {
        let at = self.at(now);
        if at < self.window.cooldown_until {
            return 0;
        }
        let left = self.rule.capacity.saturating_sub(self.window.held(at));
        match &self.outage {
            Some(o) => left.min(1u32.saturating_sub(o.window.held(at))),
            None => left,
        }
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.rule.capacity
    }

    /// The rule every client of these credentials in this process follows.
    pub(crate) fn rule(&self) -> QuotaRule {
        self.rule
    }

    /// Another client of these credentials was configured with `rule`: the budget keeps the
    /// strictest of all (fewest requests, longest window), so no client exceeds its own.
    pub(crate) fn tighten(&mut self, rule: QuotaRule) {
        self.rule.capacity = self.rule.capacity.min(rule.capacity);
        self.rule.window = self.rule.window.max(rule.window);
    }

    /// Nothing here that must outlive the clients: no slot still counting, no cool-down, no
    /// outage budget in force.
    pub(crate) fn idle(&self, now: Instant) -> bool {
        let at = self.at(now);
        self.window.held(at) == 0 && at >= self.window.cooldown_until && self.outage.is_none()
    }

    pub(crate) fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

/// What a refusal by the outage budget says.
const OUTAGE_POLICY: &str = "while the shared token store cannot be used (and one quota window \
     after it answers again), this process sends at most one token request per quota window, the \
     first one window after the outage began";

/// This process's governor together with the store's shared budget: what one attempt must pass.
pub(crate) struct Quota<'a> {
    pub governor: &'a crate::fork::Local<Governor>,
    /// The store's shared budget and the credentials' name in it, when a store is configured.
    pub shared: Option<(&'a dyn SharedBudget, &'a str)>,
    pub health: &'a StoreHealth,
    pub rule: QuotaRule,
    /// The configured timeout, for the `timeout` error of a store call cut short.
    pub timeout: Duration,
}

impl Quota<'_> {
    /// One slot: this process's budget first, then the store's (every process and host sharing
    /// it). While the store fails, the outage budget of [`Governor`] stands in for it. A store
    /// that did not answer by the deadline may have granted the slot (it then counts there
    /// until it frees by itself): nothing is sent, this process's slot counts as if its attempt
    /// ended now, and the error is `timeout` — never a free request, never an outage.
    pub(crate) fn acquire(
        &self,
        now: Instant,
        wall: SystemTime,
        attempt_limit: Duration,
    ) -> Result<Permit, Error> {
        // The caller's deadline: no store call of this attempt waits past it.
        let deadline = now + attempt_limit;
        let local = {
            let mut g = self.governor.lock();
            let local = g.acquire(now, attempt_limit)?;
            // During an outage (and one window after it) the outage budget comes first; the
            // store is asked only when it would allow a request.
            if let Some(w) = g.outage_wait(now) {
                g.refund(local);
                return Err(g.refusal_because(
                    Duration::from_millis(w.ms),
                    false,
                    Some(OUTAGE_POLICY.into()),
                ));
            }
            local
        };
        let Some((store, credentials)) = self.shared else {
            return Ok(Permit {
                local,
                shared: None,
                deadline,
            });
        };
        let answer = store.take_request_slot(
            credentials,
            self.rule.capacity,
            self.rule.hold(attempt_limit),
            wall,
            deadline,
        );
        if let Err(e) = &answer
            && let Some(timeout) = e.cut_short(self.timeout, || {
                "asking the store for a request slot (counted as taken; nothing sent)".into()
            })
        {
            self.governor.lock().finish(local, now);
            return Err(timeout);
        }
        let outage = answer
            .as_ref()
            .err()
            .map(|e| format!("{e}; {OUTAGE_POLICY}"));
        let mut g = self.governor.lock();
        match self.health.check_write(
            answer,
            "at most one token request per quota window until it answers",
            |a| matches!(a, SlotGrant::Granted(_)),
        ) {
            Some(SlotGrant::Granted(id)) => {
                g.outage_over(now, local, attempt_limit);
                drop(g);
                Ok(Permit {
                    local,
                    shared: Some(id),
                    deadline,
                })
            }
            Some(SlotGrant::Wait { wait, cooldown }) => {
                g.refund(local);
                if cooldown {
                    // Another process was told to wait: so are we. The store does not say by
                    // which answer (a 429, or a 5xx with Retry-After), so this process's error
                    // claims no status it never saw.
                    g.cool_down(now, wait, false);
                }
                Err(g.refusal(wait, cooldown))
            }
            None => match g.outage_admit(now, attempt_limit, local) {
                Ok(()) => Ok(Permit {
                    local,
                    shared: None,
                    deadline,
                }),
                Err(w) => {
                    g.refund(local);
                    Err(g.refusal_because(Duration::from_millis(w.ms), false, outage))
                }
            },
        }
    }

    /// The attempt of `permit` ended at `now` with `outcome`: its slots count from now, and a
    /// server's request to wait (429, `Retry-After`) is kept here and in the store.
    pub(crate) fn finish<T>(
        &self,
        permit: Permit,
        now: Instant,
        outcome: &Result<T, Error>,
        wall: SystemTime,
    ) {
        let pause = match outcome {
            Err(e @ Error::RateLimited { .. }) => e.retry_after().map(|d| (d, true)),
            Err(e @ Error::Http { .. }) => e.retry_after().map(|d| (d, false)),
            _ => None,
        };
        {
            let mut g = self.governor.lock();
            g.finish(permit.local, now);
            match outcome {
                Ok(_) => g.record_success(),
                Err(e) => g.record_failure(e),
            }
            if let Some((d, from_429)) = pause {
                g.cool_down(now, d, from_429);
            }
        }
        if let Some((store, credentials)) = self.shared {
            if let Some(id) = permit.shared {
                self.health.check_write(
                    store.finish_request_slot(
                        credentials,
                        id,
                        self.rule.after_end(),
                        wall,
                        permit.deadline,
                    ),
                    "its slot counts until its deadline",
                    |_| true,
                );
            }
            if let Some((d, _)) = pause {
                self.health.check_write(
                    store.start_cooldown(credentials, d, wall, permit.deadline),
                    "the cool-down holds in this process only",
                    |_| true,
                );
            }
        }
    }
}

/// Terminal answers of one configuration, replayed for a while instead of re-sent: resending
/// `invalid_client` only burns the quota. Shared through the store too (see `source::server`).
#[derive(Clone, Debug, Default)]
pub(crate) struct TerminalMemory {
    remembered: Option<(Error, Instant)>,
}

impl TerminalMemory {
    /// The remembered answer, if still in force.
    pub(crate) fn check(&mut self, now: Instant) -> Result<(), Error> {
        match &self.remembered {
            Some((err, until)) if now < *until => Err(err.clone()),
            Some(_) => {
                self.remembered = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Remembers `err` for `ttl` if it is terminal; any other outcome forgets.
    pub(crate) fn record(&mut self, now: Instant, outcome: Result<(), &Error>, ttl: Duration) {
        self.remembered = match outcome {
            Err(e) if e.is_terminal_oauth() => Some((e.clone(), now + ttl)),
            _ => None,
        };
    }
}

/// `last_error` is kept one level deep so errors never nest without bound.
fn strip_nested(err: &Error) -> Error {
    match err {
        Error::RateLimited {
            retry_after,
            from_server,
            reason,
            ..
        } => Error::RateLimited {
            retry_after: *retry_after,
            from_server: *from_server,
            reason: reason.clone(),
            last_error: None,
        },
        e => e.clone(),
    }
}

/// Arrival times in a rolling window, for tests that audit a run the way the server counts.
#[cfg(test)]
pub(crate) fn max_in_window(arrivals: &[Duration], window: Duration) -> usize {
    let mut sorted = arrivals.to_vec();
    let mut q = std::collections::VecDeque::new();
    sorted.sort();
    let mut best = 0;
    for t in sorted {
        q.push_back(t);
        while let Some(&f) = q.front() {
            if t - f >= window {
                q.pop_front();
            } else {
                break;
            }
        }
        best = best.max(q.len());
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OAuthErrorBody;

    const MIN: Duration = Duration::from_secs(60);
    const RULE: QuotaRule = QuotaRule {
        capacity: 5,
        window: MIN,
    };
    const ATTEMPT: Duration = Duration::from_secs(10);
    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn five_per_rolling_minute_counted_from_the_end_of_each_attempt() {
        let t0 = Instant::now();
        let mut g = Governor::new(RULE, t0);
        for i in 0..5 {
            let id = g.acquire(t0 + S(i), ATTEMPT).unwrap();
            g.finish(id, t0 + S(i) + Duration::from_millis(500));
        }
        let e = g.acquire(t0 + S(10), ATTEMPT).unwrap_err();
        assert_eq!(e.code(), "rate_limited");
        // The first attempt ended at 0.5 s: it counts until 0.5 + 60 + 1 (margin) s.
        assert_eq!(e.retry_after(), Some(Duration::from_millis(51_500)));
        assert_eq!(g.remaining(t0 + S(10)), 0);
        assert!(g.acquire(t0 + S(61), ATTEMPT).is_err(), "margin");
        g.acquire(t0 + Duration::from_millis(61_500), ATTEMPT)
            .unwrap();
        assert!(
            g.acquire(t0 + Duration::from_millis(61_500), ATTEMPT)
                .is_err()
        );
    }

    #[test]
    fn an_attempt_that_never_ends_counts_until_its_deadline_plus_a_window() {
        let t0 = Instant::now();
        let mut g = Governor::new(
            QuotaRule {
                capacity: 1,
                ..RULE
            },
            t0,
        );
        g.acquire(t0, ATTEMPT).unwrap();
        let e = g.acquire(t0 + S(30), ATTEMPT).unwrap_err();
        assert_eq!(e.retry_after(), Some(S(10 + 60 + 1 - 30)));
        g.acquire(t0 + S(71), ATTEMPT).unwrap();
    }

    #[test]
    fn a_refunded_slot_is_free_again() {
        let t0 = Instant::now();
        let mut g = Governor::new(
            QuotaRule {
                capacity: 1,
                ..RULE
            },
            t0,
        );
        let id = g.acquire(t0, ATTEMPT).unwrap();
        g.refund(id);
        g.acquire(t0, ATTEMPT).unwrap();
    }

    #[test]
    fn server_429_starts_a_cooldown() {
        let t0 = Instant::now();
        let mut g = Governor::new(RULE, t0);
        let id = g.acquire(t0, ATTEMPT).unwrap();
        g.finish(id, t0);
        g.cool_down(t0, S(30), true);
        let e = g.acquire(t0 + S(29), ATTEMPT).unwrap_err();
        assert_eq!(e.retry_after(), Some(S(1)));
        assert_eq!(e.status(), Some(429));
        assert_eq!(g.remaining(t0 + S(29)), 0);
        g.acquire(t0 + S(30), ATTEMPT).unwrap();
    }

    #[test]
    fn retry_after_on_a_5xx_is_a_cooldown_that_does_not_claim_a_429() {
        let t0 = Instant::now();
        let mut g = Governor::new(RULE, t0);
        g.cool_down(t0, S(30), false);
        let e = g.acquire(t0 + S(1), ATTEMPT).unwrap_err();
        assert_eq!((e.retry_after(), e.status()), (Some(S(29)), None));
    }

    #[test]
    fn a_spent_budget_refuses_for_one_window() {
        let t0 = Instant::now();
        let mut g = Governor::spent(RULE, t0);
        assert_eq!(g.remaining(t0), 0);
        assert!(g.acquire(t0 + S(60), ATTEMPT).is_err());
        g.acquire(t0 + S(61), ATTEMPT).unwrap();
    }

    #[test]
    fn outage_budget_waits_a_window_then_allows_one_per_window() {
        let t0 = Instant::now();
        let mut g = Governor::new(RULE, t0);
        let w = g.outage_admit(t0, ATTEMPT, 1).unwrap_err();
        let spread = MIN / 5;
        assert!(w.ms >= 61_000 && w.ms <= ms(S(61) + spread), "{w:?}");
        let first = t0 + Duration::from_millis(w.ms);
        g.outage_admit(first, ATTEMPT, 2).unwrap();
        g.finish(2, first);
        assert!(g.outage_admit(first + S(60), ATTEMPT, 3).is_err());
        g.outage_admit(first + S(61), ATTEMPT, 4).unwrap();
        assert!(g.in_outage());
    }

    #[test]
    fn window_take_finish_and_cooldown() {
        let mut w = Window::default();
        w.take(0, 2, 1, 100).unwrap();
        w.take(0, 2, 2, 200).unwrap();
        assert_eq!(
            w.take(10, 2, 3, 300),
            Err(Wait {
                ms: 90,
                cooldown: false
            })
        );
        w.finish(2, 50);
        assert_eq!(w.take(60, 2, 3, 300), Ok(()));
        // An attempt that overran its deadline counts from its end, longer than it was held…
        w.finish(3, 999);
        assert_eq!(w.slots.iter().find(|s| s.id == 3).unwrap().frees_at, 999);
        // …and again if its slot was already dropped (the request may arrive only now).
        assert_eq!(w.take(250, 2, 5, 260), Ok(()));
        w.finish(1, 1_500);
        assert_eq!(w.held(900), 2, "slots 1 and 3 count");
        assert_eq!(
            w.take(900, 2, 6, 2_000),
            Err(Wait {
                ms: 99,
                cooldown: false
            })
        );
        w.shorten(1, 1_200);
        w.shorten(42, 1_200);
        assert_eq!(w.held(1_300), 0, "shortened; nothing added");
        w.cool_down(500);
        assert_eq!(
            w.take(400, 2, 4, 900),
            Err(Wait {
                ms: 100,
                cooldown: true
            })
        );
    }

    #[test]
    fn terminal_errors_are_replayed_then_forgotten() {
        let t0 = Instant::now();
        let mut m = TerminalMemory::default();
        let bad = Error::OAuth {
            status: 401,
            body: OAuthErrorBody {
                error: "invalid_client".into(),
                error_description: None,
                error_uri: None,
            },
        };
        m.record(t0, Err(&bad), MIN);
        assert_eq!(m.check(t0 + S(59)).unwrap_err(), bad);
        assert!(m.check(t0 + MIN).is_ok());
        let transient = Error::Transport {
            message: "x".into(),
        };
        m.record(t0, Err(&transient), MIN);
        assert!(m.check(t0).is_ok(), "only terminal answers are remembered");
    }

    #[test]
    fn refusals_quote_the_last_real_error() {
        let t0 = Instant::now();
        let mut g = Governor::new(
            QuotaRule {
                capacity: 1,
                ..RULE
            },
            t0,
        );
        g.acquire(t0, ATTEMPT).unwrap();
        g.record_failure(&Error::Http {
            status: 503,
            detail: None,
            retry_after: None,
        });
        let e = g.acquire(t0, ATTEMPT).unwrap_err();
        assert_eq!(e.last_error().and_then(Error::status), Some(503));
    }

    #[test]
    fn max_in_window_counts_like_the_server() {
        let a = [S(0), S(10), S(59), S(60), S(61)];
        assert_eq!(max_in_window(&a, MIN), 4);
    }
}
