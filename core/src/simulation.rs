//! Deterministic simulation of a fleet sharing one budget (the approach of FoundationDB's
//! simulator and TigerBeetle's VOPR, at small scale).
//!
//! Each simulated process is a real [`TokenClient`] — the real single-flight cache, sources,
//! governor, retry policy and outage policy — on its own OS thread, but only one thread runs at
//! a time: every pause (retry backoff, lock polling, a request on the wire) is a `sleep` on a
//! virtual clock that hands control to the thread due next, ties broken by the seeded RNG. So a
//! seed replays exactly, and hours of fleet time take milliseconds. The processes share a store
//! that behaves like the Redis store (the budget is `governor::Window` on the store's own clock,
//! expiries converted through it, lock with TTL) and a server that records arrivals.
//!
//! Faults, drawn per seed: slow arrivals (up to past the client's deadline: an abandoned request
//! that still arrives), slow answers, 429 with and without `Retry-After`, 503 with and without
//! it, terminal answers, garbage 200s, connection resets, store outages, lock holders that die
//! holding the lock, processes that die holding a request slot whose request still arrives,
//! process restarts, wall-clock skew between hosts.
//!
//! Checked after every step: arrivals at the server in any window ≤ `max_requests`; no token
//! handed out with less than `min_validity` (capped at half its lifetime) left, on the true clock;
//! no call returns after its deadline. A failing seed panics with the seed and the way to replay
//! it: `OFFICERND_SIM_SEED=<seed> cargo test -p officernd-auth --lib simulation`.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::TokenClient;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exchange::Transport;
use crate::governor::{QuotaRule, Window};
use crate::response::Reply;
use crate::store::{
    RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock, StoredToken,
    TokenStore,
};

const MS: fn(u64) -> Duration = Duration::from_millis;
const SECS: fn(u64) -> Duration = Duration::from_secs;

thread_local! {
    /// Which simulated thread this OS thread is.
    static ME: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The scheduler: virtual time, and which thread may run.
struct Sched {
    state: Mutex<SchedState>,
    turn: Condvar,
}

struct SchedState {
    /// What every simulated clock's `now()` counts from.
    base: Instant,
    now: Duration,
    running: Option<usize>,
    /// (wake time, tie-breaker) → thread.
    sleepers: BTreeMap<(Duration, u64), usize>,
    rng: fastrand::Rng,
    world: World,
}

/// Everything the simulated server and store keep, and the invariants' evidence.
struct World {
    rule: QuotaRule,
    /// Arrival times at the server.
    arrivals: Vec<Duration>,
    /// Issued tokens → true expiry.
    issued: HashMap<String, Duration>,
    next_token: u64,
    /// The server's own limiter (as OfficeRnD's): refusals are answered 429.
    server_window: Vec<Duration>,
    /// Store: token (access, type, scopes, true expiry ms, lifetime ms) per key.
    tokens: HashMap<StoreKey, (String, Vec<String>, u64, u64)>,
    locks: HashMap<StoreKey, (u64, u64)>,
    budgets: HashMap<String, Window>,
    refusals: HashMap<StoreKey, (RememberedRefusal, u64)>,
    next_id: u64,
    /// The store fails while `now` is in one of these.
    outages: Vec<(Duration, Duration)>,
    violations: Vec<String>,
    requests: u64,
    tokens_handed: u64,
    /// Server faults left to inject, probability per request (per mille).
    fault_rate: u32,
}

impl Sched {
    fn lock(&self) -> MutexGuard<'_, SchedState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hands control to the next due thread (advancing time to its wake-up).
    fn next(&self, st: &mut SchedState) {
        match st.sleepers.pop_first() {
            Some(((at, _), id)) => {
                st.now = st.now.max(at);
                st.running = Some(id);
            }
            None => st.running = None,
        }
        self.turn.notify_all();
    }

    fn wait_turn<'a>(
        &self,
        mut st: MutexGuard<'a, SchedState>,
        me: usize,
    ) -> MutexGuard<'a, SchedState> {
        while st.running != Some(me) {
            st = self.turn.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        st
    }

    fn sleep(&self, d: Duration) {
        let me = ME.with(Cell::get);
        let mut st = self.lock();
        let tie = st.rng.u64(..);
        let at = st.now + d;
        st.sleepers.insert((at, tie), me);
        self.next(&mut st);
        drop(self.wait_turn(st, me));
    }

    fn now(&self) -> Duration {
        self.lock().now
    }

    fn with<R>(&self, f: impl FnOnce(&mut SchedState) -> R) -> R {
        f(&mut self.lock())
    }
}

/// A host's clock: true virtual time, its wall clock skewed by `skew_ms`.
#[derive(Clone)]
struct SimClock {
    sched: Arc<Sched>,
    base: Instant,
    skew_ms: i64,
}

impl fmt::Debug for SimClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimClock")
    }
}

const WALL_BASE: Duration = Duration::from_secs(1_800_000_000);

impl Clock for SimClock {
    fn now(&self) -> Instant {
        self.base + self.sched.now()
    }
    fn wall(&self) -> SystemTime {
        let t = UNIX_EPOCH + WALL_BASE + self.sched.now();
        if self.skew_ms >= 0 {
            t + MS(self.skew_ms as u64)
        } else {
            t - MS(self.skew_ms.unsigned_abs())
        }
    }
    fn sleep(&self, d: Duration) {
        self.sched.sleep(d)
    }
}

/// Wall time on the store's clock (true time), in ms, from a caller's wall time `at` — the Redis
/// store converts every time through its own clock the same way.
fn true_ms(now: Duration) -> u64 {
    now.as_millis() as u64
}

/// The simulated identity server: arrivals recorded, faults injected, its own limiter.
#[derive(Debug)]
struct SimServer {
    sched: Arc<Sched>,
    lifetime: Duration,
}

impl fmt::Debug for Sched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sched")
    }
}

fn reply(status: u16, retry_after: Option<&str>, body: &str) -> Reply {
    Reply {
        status,
        content_type: Some("application/json".into()),
        retry_after: retry_after.map(str::to_owned),
        body: Ok(body.into()),
    }
}

impl World {
    /// Records an arrival and checks the quota invariant around it.
    fn arrive(&mut self, at: Duration) {
        self.requests += 1;
        self.arrivals.push(at);
        let w = self.rule.window;
        let near: Vec<Duration> = self
            .arrivals
            .iter()
            .copied()
            .filter(|t| t.abs_diff(at) < w)
            .collect();
        let worst = crate::governor::max_in_window(&near, w);
        if worst > self.rule.capacity as usize {
            self.violations.push(format!(
                "{worst} arrivals within {w:?} around {at:?} (max {})",
                self.rule.capacity
            ));
        }
    }
}

impl Transport for SimServer {
    fn send(&self, _config: &Config, timeout: Duration) -> Result<Reply> {
        let sched = &self.sched;
        let (arrive_in, answer_in, fault) = sched.with(|st| {
            let r = &mut st.rng;
            // Mostly fast; sometimes slow enough to arrive after the client gave up.
            let arrive_in = match r.u32(..100) {
                0..=89 => MS(r.u64(1..60)),
                90..=97 => {
                    let t = timeout.as_millis() as u64;
                    MS(r.u64(60.min(t)..t + 1))
                }
                _ => timeout + MS(r.u64(0..900)),
            };
            let answer_in = MS(r.u64(1..200));
            let fault = (r.u32(..1000) < st.world.fault_rate).then(|| r.u32(..8));
            (arrive_in, answer_in, fault)
        });
        let t0 = sched.now();
        if arrive_in >= timeout {
            // Abandoned by the client; the request still reaches the server later.
            sched.with(|st| st.world.arrive(t0 + arrive_in));
            sched.sleep(timeout);
            return Err(Error::Timeout {
                after: timeout,
                message: "simulated slow arrival".into(),
            });
        }
        sched.sleep(arrive_in);
        let answer = sched.with(|st| {
            let now = st.now;
            st.world.arrive(now);
            let rule = st.world.rule;
            st.world.server_window.retain(|t| now - *t < rule.window);
            if st.world.server_window.len() >= rule.capacity as usize {
                return reply(429, Some("30"), "Too many requests, please try again later");
            }
            st.world.server_window.push(now);
            match fault {
                Some(0) => reply(429, None, "Too many requests"),
                Some(1) => reply(429, Some(&st.rng.u64(1..20).to_string()), "slow down"),
                Some(2) => reply(503, None, "unavailable"),
                Some(3) => reply(503, Some(&st.rng.u64(1..40).to_string()), "unavailable"),
                Some(4) => reply(401, None, r#"{"error":"invalid_client"}"#),
                Some(5) => reply(200, None, "<html>maintenance</html>"),
                Some(6) => reply(502, None, "bad gateway"),
                _ => {
                    st.world.next_token += 1;
                    let token = format!(
                        "sim-token-{:012}-{:020}",
                        st.world.next_token,
                        st.rng.u64(..)
                    );
                    st.world.issued.insert(token.clone(), now + self.lifetime);
                    reply(
                        200,
                        None,
                        &format!(
                            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{}}}"#,
                            self.lifetime.as_secs()
                        ),
                    )
                }
            }
        });
        if answer_in >= timeout - arrive_in {
            sched.sleep(timeout - arrive_in);
            return Err(Error::Timeout {
                after: timeout,
                message: "simulated slow answer".into(),
            });
        }
        sched.sleep(answer_in);
        if fault == Some(7) {
            return Err(Error::Transport {
                message: "simulated connection reset".into(),
            });
        }
        Ok(answer)
    }
}

/// The simulated shared store: Redis semantics (its own clock, TTL locks, the budget rule).
#[derive(Debug)]
struct SimStore {
    sched: Arc<Sched>,
}

impl SimStore {
    fn op<R>(&self, f: impl FnOnce(&mut World, u64) -> R) -> std::result::Result<R, StoreError> {
        self.sched.with(|st| {
            let now = st.now;
            if st.world.outages.iter().any(|(a, b)| *a <= now && now < *b) {
                return Err(StoreError::new("sim", "simulated outage"));
            }
            Ok(f(&mut st.world, true_ms(now)))
        })
    }
}

/// `at` (a caller's wall time) as ms relative to that caller's `now`.
fn rel_ms(at: SystemTime, now: SystemTime) -> i64 {
    match at.duration_since(now) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

struct SimLock {
    sched: Arc<Sched>,
    key: StoreKey,
    id: u64,
}

impl StoreLock for SimLock {
    fn release(self: Box<Self>) -> std::result::Result<(), StoreError> {
        Ok(())
    }
}

impl Drop for SimLock {
    fn drop(&mut self) {
        self.sched.with(|st| {
            if st
                .world
                .locks
                .get(&self.key)
                .is_some_and(|(id, _)| *id == self.id)
            {
                st.world.locks.remove(&self.key);
            }
        });
    }
}

impl TokenStore for SimStore {
    fn describe(&self) -> String {
        "sim".into()
    }

    fn get(
        &self,
        key: &StoreKey,
        now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<Option<StoredToken>, StoreError> {
        self.op(|w, t| {
            w.tokens.get(key).map(|(token, scopes, expires, lifetime)| {
                let left = *expires as i64 - t as i64;
                StoredToken {
                    access_token: token.clone(),
                    token_type: "Bearer".into(),
                    scopes: scopes.clone(),
                    expires_at: if left >= 0 {
                        now + MS(left as u64)
                    } else {
                        now - MS(left.unsigned_abs())
                    },
                    lifetime: MS(*lifetime),
                }
            })
        })
    }

    fn put_if_newer(
        &self,
        key: &StoreKey,
        token: &StoredToken,
        now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<bool, StoreError> {
        self.op(|w, t| {
            let expires = (t as i64 + rel_ms(token.expires_at, now)).max(0) as u64;
            if w.tokens.get(key).is_some_and(|(_, _, e, _)| *e >= expires) {
                return false;
            }
            w.tokens.insert(
                key.clone(),
                (
                    token.access_token.clone(),
                    token.scopes.clone(),
                    expires,
                    token.lifetime.as_millis() as u64,
                ),
            );
            true
        })
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        _deadline: Instant,
    ) -> std::result::Result<Option<Box<dyn StoreLock>>, StoreError> {
        // The deadline is on the caller's clock, whose `now()` is base + true time.
        loop {
            let got = self.op(|w, t| {
                if w.locks.get(key).is_some_and(|(_, until)| *until > t) {
                    return None;
                }
                w.next_id += 1;
                w.locks
                    .insert(key.clone(), (w.next_id, t + ttl.as_millis() as u64));
                Some(w.next_id)
            })?;
            if let Some(id) = got {
                return Ok(Some(Box::new(SimLock {
                    sched: Arc::clone(&self.sched),
                    key: key.clone(),
                    id,
                })));
            }
            let left = self.sched.with(|st| st.deadline_left(wait_until));
            if left.is_zero() {
                return Ok(None);
            }
            self.sched.sleep(left.min(MS(10)));
        }
    }

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        _deadline: Instant,
    ) -> std::result::Result<bool, StoreError> {
        self.op(|w, _| {
            if w.tokens.get(key).is_some_and(|(t, ..)| t == access_token) {
                w.tokens.remove(key);
                return true;
            }
            false
        })
    }
}

impl SchedState {
    fn deadline_left(&self, deadline: Instant) -> Duration {
        // Every SimClock shares one base; the sched keeps it.
        deadline.saturating_duration_since(self.base + self.now)
    }
}

impl SharedBudget for SimStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<SlotGrant, StoreError> {
        self.op(|w, t| {
            w.next_id += 1;
            let id = w.next_id;
            let b = w.budgets.entry(credentials.to_owned()).or_default();
            match b.take(t, capacity, id, t + hold.as_millis() as u64) {
                Ok(()) => SlotGrant::Granted(id),
                Err(x) => SlotGrant::Wait {
                    wait: MS(x.ms),
                    cooldown: x.cooldown,
                },
            }
        })
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<(), StoreError> {
        self.op(|w, t| {
            if let Some(b) = w.budgets.get_mut(credentials) {
                b.finish(slot, t + count_for.as_millis() as u64);
            }
        })
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<(), StoreError> {
        self.op(|w, t| {
            w.budgets
                .entry(credentials.to_owned())
                .or_default()
                .cool_down(t + pause.as_millis() as u64)
        })
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<(), StoreError> {
        self.op(|w, t| {
            w.refusals
                .insert(key.clone(), (refusal.clone(), t + ttl.as_millis() as u64));
        })
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        _now: SystemTime,
        _deadline: Instant,
    ) -> std::result::Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.op(|w, t| {
            w.refusals
                .get(key)
                .filter(|(_, until)| *until > t)
                .map(|(r, until)| (r.clone(), MS(until - t)))
        })
    }
}

impl Sched {
    /// A thread is done: the next one runs.
    fn exit(&self) {
        let mut st = self.lock();
        self.next(&mut st);
    }
}

/// One run's settings, drawn from its seed.
#[derive(Debug, Clone)]
struct Params {
    processes: usize,
    calls: usize,
    lifetime: Duration,
    min_validity: Duration,
    refresh_ahead: Duration,
    timeout: Duration,
    rule: QuotaRule,
    skews_ms: Vec<i64>,
    fault_rate: u32,
    outages: Vec<(Duration, Duration)>,
    dying_slot_holders: usize,
    dying_lock_holders: usize,
    /// Processes die and start again (empty cache, fresh governor).
    restarts: bool,
}

impl Params {
    fn draw(rng: &mut fastrand::Rng) -> Params {
        let lifetime = SECS(*[20u64, 60, 300, 3600].get(rng.usize(..4)).unwrap());
        let refresh_ahead = SECS(rng.u64(4..=300)).min(lifetime);
        let min_validity = SECS(rng.u64(1..=60)).min(refresh_ahead);
        let capacity = rng.u32(1..=5);
        let horizon = SECS(1800);
        let outages: Vec<_> = (0..rng.usize(0..=3))
            .map(|_| {
                let start = SECS(rng.u64(0..horizon.as_secs()));
                (start, start + SECS(rng.u64(1..=180)))
            })
            .collect();
        // What the outage policy cannot cover (the README says so): while the store is down
        // each process may send one request per window, so the fleet keeps the quota only with
        // at most `capacity` processes; and a process that dies after sending during an outage
        // takes the memory of that request with it. Runs with outages avoid both.
        let most = if outages.is_empty() {
            6
        } else {
            capacity as usize
        };
        let restarts = outages.is_empty();
        let processes = rng.usize(1..=most);
        Params {
            processes,
            calls: rng.usize(20..=60),
            lifetime,
            min_validity,
            refresh_ahead,
            timeout: MS(rng.u64(500..=10_000)),
            rule: QuotaRule {
                capacity,
                window: SECS(rng.u64(5..=60)),
            },
            skews_ms: (0..processes).map(|_| rng.i64(-5_000..=5_000)).collect(),
            fault_rate: *[0u32, 50, 200, 600].get(rng.usize(..4)).unwrap(),
            outages,
            dying_slot_holders: rng.usize(0..=2),
            dying_lock_holders: rng.usize(0..=2),
            restarts,
        }
    }
}

/// Runs one seed; `Err` names the first violated invariant.
fn run(seed: u64) -> std::result::Result<(u64, u64), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let p = Params::draw(&mut rng);
    let base = Instant::now();
    let sched = Arc::new(Sched {
        state: Mutex::new(SchedState {
            base,
            now: Duration::ZERO,
            running: None,
            sleepers: BTreeMap::new(),
            rng: fastrand::Rng::with_seed(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            world: World {
                rule: p.rule,
                arrivals: vec![],
                issued: HashMap::new(),
                next_token: 0,
                server_window: vec![],
                tokens: HashMap::new(),
                locks: HashMap::new(),
                budgets: HashMap::new(),
                refusals: HashMap::new(),
                next_id: 0,
                outages: p.outages.clone(),
                violations: vec![],
                requests: 0,
                tokens_handed: 0,
                fault_rate: p.fault_rate,
            },
        }),
        turn: Condvar::new(),
    });
    let store: Arc<dyn TokenStore> = Arc::new(SimStore {
        sched: Arc::clone(&sched),
    });
    let server: Arc<dyn Transport> = Arc::new(SimServer {
        sched: Arc::clone(&sched),
        lifetime: p.lifetime,
    });
    let total = p.processes + p.dying_slot_holders + p.dying_lock_holders;
    sched.with(|st| {
        for id in 0..total {
            let at = MS(st.rng.u64(0..600_000));
            let tie = st.rng.u64(..);
            st.sleepers.insert((at, tie), id);
        }
    });
    let threads: Vec<_> = (0..total)
        .map(|id| {
            let (sched, store, server, p) = (
                Arc::clone(&sched),
                Arc::clone(&store),
                Arc::clone(&server),
                p.clone(),
            );
            std::thread::spawn(move || {
                ME.with(|m| m.set(id));
                fastrand::seed(seed.wrapping_add(id as u64 * 7919));
                drop(sched.wait_turn(sched.lock(), id));
                let body = std::panic::AssertUnwindSafe(|| {
                    if id < p.processes {
                        process(&sched, &store, &server, &p, id);
                    } else if id < p.processes + p.dying_slot_holders {
                        dies_holding_a_slot(&sched, &store, &p);
                    } else {
                        dies_holding_the_lock(&sched, &store, &p);
                    }
                });
                if let Err(panic) = std::panic::catch_unwind(body) {
                    let what = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    sched.with(|st| {
                        st.world
                            .violations
                            .push(format!("thread {id} panicked: {what}"))
                    });
                }
                sched.exit();
            })
        })
        .collect();
    sched.with(|st| {
        // Start the first thread.
        let ((at, _), id) = st.sleepers.pop_first().expect("threads");
        st.now = at;
        st.running = Some(id);
    });
    sched.turn.notify_all();
    for t in threads {
        t.join()
            .map_err(|_| format!("seed {seed}: a simulated thread died"))?;
    }
    sched.with(|st| {
        let w = &st.world;
        match w.violations.first() {
            Some(v) => Err(format!("{v} (with {p:?})")),
            None => Ok((w.requests, w.tokens_handed)),
        }
    })
}

fn client(
    sched: &Arc<Sched>,
    store: &Arc<dyn TokenStore>,
    server: &Arc<dyn Transport>,
    p: &Params,
    skew_ms: i64,
) -> TokenClient {
    let clock = SimClock {
        sched: Arc::clone(sched),
        base: sched.with(|st| st.base),
        skew_ms,
    };
    let config = TokenClient::builder()
        .client_id("sim-client")
        .client_secret("sim-secret-value")
        .token_url("https://identity.sim.invalid/oauth/token")
        .timeout(p.timeout)
        .refresh_ahead(p.refresh_ahead)
        .min_validity(p.min_validity)
        .max_requests(p.rule.capacity)
        .quota_window(p.rule.window)
        .share_cache(false)
        .store(Arc::clone(store))
        .clock(Arc::new(clock))
        .build_config()
        .expect("valid simulation config");
    TokenClient::with_transport(config, Arc::clone(server))
}

/// A process of the fleet: calls `token()` now and then, sometimes after a 401, sometimes
/// restarting (an empty cache and a fresh governor).
fn process(
    sched: &Arc<Sched>,
    store: &Arc<dyn TokenStore>,
    server: &Arc<dyn Transport>,
    p: &Params,
    id: usize,
) {
    let mut c = client(sched, store, server, p, p.skews_ms[id]);
    let mut last = None;
    let must_have = p.min_validity.min(p.lifetime / 2);
    for _ in 0..p.calls {
        let (think, action) = sched.with(|st| {
            let think = match st.rng.u32(..10) {
                0 => Duration::ZERO,
                1 => p.lifetime / 2,
                _ => MS(st.rng.u64(0..60_000)),
            };
            (think, st.rng.u32(..100))
        });
        sched.sleep(think);
        match (action, &last) {
            (0..=4, _) if p.restarts => c = client(sched, store, server, p, p.skews_ms[id]),
            (5..=14, Some(t)) => {
                c.invalidate(t);
            }
            _ => {}
        }
        let start = sched.now();
        let result = c.token();
        sched.with(|st| {
            let end = st.now;
            if end - start > p.timeout + MS(1) {
                st.world
                    .violations
                    .push(format!("a call took {:?}, past its {:?} deadline", end - start, p.timeout));
            }
            if let Ok(t) = &result {
                st.world.tokens_handed += 1;
                let left = st
                    .world
                    .issued
                    .get(t.access_token())
                    .map(|exp| exp.saturating_sub(end));
                if left.is_none_or(|l| l + MS(1) < must_have) {
                    st.world.violations.push(format!(
                        "token handed out with {left:?} left (at least {must_have:?} required) at {end:?}"
                    ));
                }
            }
        });
        last = result.ok().or(last);
    }
}

/// A process that takes a request slot, sends, and dies: its request still arrives.
fn dies_holding_a_slot(sched: &Arc<Sched>, store: &Arc<dyn TokenStore>, p: &Params) {
    let cred = StoreKey::credentials(
        &crate::config::normalize_token_url("https://identity.sim.invalid/oauth/token"),
        "sim-client",
    );
    let hold = p.rule.hold(p.timeout);
    if let Ok(SlotGrant::Granted(_)) = store.take_request_slot(
        &cred,
        p.rule.capacity,
        hold,
        SystemTime::now(),
        Instant::now(),
    ) {
        sched.with(|st| {
            let at = st.now + MS(st.rng.u64(0..p.timeout.as_millis() as u64));
            st.world.arrive(at);
        });
    }
}

/// A process that takes the fetch lock and dies holding it (it expires after its TTL).
fn dies_holding_the_lock(sched: &Arc<Sched>, store: &Arc<dyn TokenStore>, p: &Params) {
    let key = StoreKey::derive(
        &crate::config::normalize_token_url("https://identity.sim.invalid/oauth/token"),
        "sim-client",
        &crate::secret::ClientSecret::new("sim-secret-value"),
        &crate::scopes::Scopes::default(),
    );
    let now = sched.with(|st| st.base + st.now);
    if let Ok(Some(lock)) = store.lock(&key, p.timeout, now, now) {
        std::mem::forget(lock);
    }
}

#[test]
fn fleets_keep_the_quota_and_freshness_promises_under_faults() {
    let seeds: Vec<u64> = match std::env::var("OFFICERND_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("OFFICERND_SIM_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("OFFICERND_SIM_SEEDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(3000);
            (1..=n).collect()
        }
    };
    let started = std::time::Instant::now();
    let (mut requests, mut handed) = (0, 0);
    for &seed in &seeds {
        match run(seed) {
            Ok((r, h)) => {
                requests += r;
                handed += h;
            }
            Err(v) => panic!(
                "simulation seed {seed} broke a promise: {v}\nreplay: OFFICERND_SIM_SEED={seed} cargo test -p officernd-auth --lib simulation"
            ),
        }
    }
    eprintln!(
        "simulation: {} seeds, {requests} requests, {handed} tokens handed out, {:?}",
        seeds.len(),
        started.elapsed()
    );
    assert!(
        handed > 0 && requests > 0,
        "the simulation exercised nothing"
    );
}
