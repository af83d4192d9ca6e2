//! The token client: the fresh path, single-flight, stale-while-refresh, retries through the
//! quota governor, stores, and invalidation. Every rule of DESIGN.md's "Cache semantics" meets
//! here; the rules themselves live in `cache`, `governor`, `retry` and `response`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;

use crate::cache::{CacheEntry, Freshness, Windows};
use crate::config::{Config, TokenClientBuilder};
use crate::error::{Error, Result};
use crate::exchange::Exchange;
use crate::fork::{Local, PerProcess};
use crate::governor::{Governor, TerminalMemory};
use crate::registry::Registry;
use crate::response::{Grant, interpret};
use crate::retry;
use crate::stats::{Counters, Stats};
use crate::store::{StoreError, StoreKey, StoredToken};
use crate::token::Token;

/// A cached, single-flight, quota-aware OfficeRnD token client. Cheap to clone; safe to share
/// across threads. Clients with the same settings share one cache in the process.
#[derive(Clone)]
pub struct TokenClient {
    shared: Arc<Shared>,
    config: Arc<Config>,
}

/// The state shared by every client of one cache key.
struct Shared {
    key: StoreKey,
    cache: ArcSwapOption<CacheEntry>,
    flight: PerProcess<Flight>,
    governor: Arc<PerProcess<Governor>>,
    counters: Counters,
    /// False during a store outage (so it is logged once, not per call).
    store_healthy: AtomicBool,
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
    /// Terminal answers of this exact configuration (see `governor::TerminalMemory`).
    terminal: TerminalMemory,
    /// The HTTP agent of this process (never shared across a fork: pooled sockets).
    exchange: Option<Arc<Exchange>>,
}

impl Flight {
    /// The child keeps nothing of an in-flight fetch (that thread does not exist there).
    fn after_fork(parent: Option<&Flight>) -> Flight {
        Flight {
            generation: parent.map_or(0, |p| p.generation + 1),
            next_refresh_at: parent.and_then(|p| p.next_refresh_at),
            refresh_failures: parent.map_or(0, |p| p.refresh_failures),
            terminal: parent.map(|p| p.terminal.clone()).unwrap_or_default(),
            ..Flight::default()
        }
    }
}

/// Waiting for another process's fetch: first look after this long, then doubling up to the max.
const STORE_WAIT_MIN: Duration = Duration::from_millis(10);
const STORE_WAIT_MAX: Duration = Duration::from_millis(100);

static CACHES: Registry<(StoreKey, String), Shared> = Registry::new();
static BUDGETS: Registry<(String, String), PerProcess<Governor>> = Registry::new();

impl TokenClient {
    /// Starts configuring a client.
    pub fn builder() -> TokenClientBuilder {
        TokenClientBuilder::new()
    }

    /// A client configured from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`,
    /// `OFFICERND_SCOPES`, `OFFICERND_TOKEN_URL`, `OFFICERND_STORE` and `OFFICERND_STORE_PATH`.
    pub fn from_env() -> Result<TokenClient> {
        TokenClientBuilder::new().with_env()?.build()
    }

    /// Builds a client from validated settings.
    pub fn new(config: Config) -> TokenClient {
        let config = Arc::new(config);
        let key = StoreKey::derive(
            &config.token_url,
            &config.client_id,
            &config.client_secret,
            &config.scopes,
        );
        let make_governor =
            || PerProcess::new(Governor::new(config.max_requests, config.quota_window));
        let make_shared = |governor| Shared {
            key: key.clone(),
            cache: ArcSwapOption::empty(),
            flight: PerProcess::new(Flight::default()),
            governor,
            counters: Counters::default(),
            store_healthy: AtomicBool::new(true),
        };
        let shared = if config.share_cache {
            let budget_key = (config.token_url.clone(), config.client_id.clone());
            let governor = BUDGETS.get_or_insert(budget_key, make_governor);
            let store = config
                .store
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            CACHES.get_or_insert((key.clone(), store), || make_shared(governor))
        } else {
            Arc::new(make_shared(Arc::new(make_governor())))
        };
        TokenClient { shared, config }
    }

    /// The validated settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A valid token: from the cache when fresh (no lock, no I/O), otherwise fetched — once,
    /// however many threads ask at the same time.
    #[inline]
    pub fn token(&self) -> Result<Token> {
        match self.cached() {
            Some(t) => Ok(t),
            None => self.token_slow(),
        }
    }

    /// The fresh cached token, if there is one, without any I/O or lock. Bindings use it to answer
    /// from cache before handing work to a thread pool.
    #[inline]
    pub fn cached(&self) -> Option<Token> {
        let guard = self.shared.cache.load();
        let entry = guard.as_ref()?;
        if self.config.clock.now() < entry.refresh_at {
            self.shared.counters.hits.incr();
            Some(entry.token_for_this_thread())
        } else {
            None
        }
    }

    /// The access token string.
    pub fn access_token(&self) -> Result<String> {
        Ok(self.token()?.access_token().to_owned())
    }

    /// `Bearer <access_token>`, for the `Authorization` header.
    pub fn authorization_header(&self) -> Result<String> {
        Ok(self.token()?.authorization_header())
    }

    /// After an API call answered 401 with `token`: drops it from the cache (and the store) only
    /// if it is still the cached one — another caller may already hold a newer token. Returns
    /// whether it was dropped.
    pub fn invalidate(&self, token: &Token) -> bool {
        let previous = self.shared.cache.rcu(|current| match current {
            Some(e) if e.token.same_token(token) => None,
            other => other.clone(),
        });
        let dropped = previous.is_some_and(|e| e.token.same_token(token));
        if let Some(store) = &self.config.store {
            self.store_op(
                store.compare_delete(&self.shared.key, token.access_token()),
                "token dropped from memory only",
            );
        }
        if dropped {
            log::info!("token {} invalidated", token.redacted());
        }
        dropped
    }

    /// After an API call answered 401 with `rejected`: drops it (see [`Self::invalidate`]) and
    /// returns the token to retry the call with once — or `None` when that would be the same
    /// token again (the server reissued it), since resending a refused token cannot help. This
    /// is the one 401 rule every adapter (requests, httpx, `fetch`) follows.
    pub fn token_after_unauthorized(&self, rejected: &Token) -> Result<Option<Token>> {
        self.invalidate(rejected);
        let next = self.token()?;
        Ok((!next.same_token(rejected)).then_some(next))
    }

    /// Metrics of this client's cache and budget.
    pub fn stats(&self) -> Stats {
        let now = self.config.clock.now();
        let mut s = self.shared.counters.snapshot();
        let local = self.governor();
        let mut g = local.lock();
        s.budget_remaining = g.remaining(now);
        s.budget_capacity = g.capacity();
        s.last_error_code = g.last_error().map(Error::code);
        drop(g);
        s.expires_in = self
            .shared
            .cache
            .load()
            .as_ref()
            .map(|e| e.token.expires_in_at(now));
        s
    }

    fn flight(&self) -> Arc<Local<Flight>> {
        self.shared.flight.get(Flight::after_fork)
    }

    fn governor(&self) -> Arc<Local<Governor>> {
        let config = &self.config;
        self.shared.governor.get(|parent| match parent {
            Some(g) => g.clone(),
            // A parent thread held the budget lock at the fork: assume it was all spent,
            // rather than risk exceeding the server's limit.
            None => {
                let mut g = Governor::new(config.max_requests, config.quota_window);
                let now = config.clock.now();
                while g.acquire(now).is_ok() {}
                g
            }
        })
    }

    fn windows(&self) -> Windows {
        Windows {
            refresh_ahead: self.config.refresh_ahead,
            min_validity: self.config.min_validity,
        }
    }

    #[cold]
    fn token_slow(&self) -> Result<Token> {
        let clock = &self.config.clock;
        // Waiting and I/O deadlines run on real time; token lifetimes on the (injectable) clock.
        let deadline = Instant::now() + self.config.timeout;
        let local = self.flight();
        let mut flight = local.lock();
        loop {
            let now = clock.now();
            let entry = self.shared.cache.load_full();
            match entry.as_ref().map(|e| (e, e.freshness(now))) {
                Some((e, Freshness::Fresh)) => {
                    self.shared.counters.hits.incr();
                    return Ok(e.token.clone());
                }
                Some((e, Freshness::Stale)) => {
                    let backing_off = flight.next_refresh_at.is_some_and(|t| now < t);
                    if flight.in_flight || backing_off {
                        self.shared.counters.stale_served.fetch_add(1, Relaxed);
                        return Ok(e.token.clone());
                    }
                    let exchange = self.begin_flight(&mut flight);
                    drop(flight);
                    return match self.lead(&local, &exchange, deadline, true) {
                        Ok(t) => Ok(t),
                        Err(err) if clock.now() < e.usable_until => {
                            log::warn!(
                                "token refresh failed, serving the cached token until it expires: {err}"
                            );
                            self.shared.counters.stale_served.fetch_add(1, Relaxed);
                            Ok(e.token.clone())
                        }
                        Err(err) => Err(err),
                    };
                }
                Some((_, Freshness::Expired)) | None => {
                    if flight.in_flight {
                        let generation = flight.generation;
                        while flight.in_flight && flight.generation == generation {
                            let left = deadline.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Err(Error::Timeout {
                                    after: self.config.timeout,
                                    message: "waiting for another caller's token request".into(),
                                });
                            }
                            flight = local
                                .changed
                                .wait_timeout(flight, left)
                                .unwrap_or_else(|p| p.into_inner())
                                .0;
                        }
                        if flight.generation != generation
                            && let Some(Err(e)) = &flight.outcome
                        {
                            return Err(e.clone());
                        }
                        continue;
                    }
                    let exchange = self.begin_flight(&mut flight);
                    drop(flight);
                    return self.lead(&local, &exchange, deadline, false);
                }
            }
        }
    }

    fn begin_flight(&self, flight: &mut Flight) -> Arc<Exchange> {
        flight.in_flight = true;
        Arc::clone(
            flight
                .exchange
                .get_or_insert_with(|| Arc::new(Exchange::new(&self.config))),
        )
    }

    /// Runs the fetch as the single leader and tells the waiters how it ended — also if it
    /// panics, so no waiter sleeps until its timeout for nothing.
    fn lead(
        &self,
        local: &Local<Flight>,
        exchange: &Exchange,
        deadline: Instant,
        refresh: bool,
    ) -> Result<Token> {
        struct Finish<'a> {
            local: &'a Local<Flight>,
            outcome: Option<Result<()>>,
            refresh: bool,
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
                match (&outcome, self.refresh) {
                    (Ok(()), _) => {
                        f.refresh_failures = 0;
                        f.next_refresh_at = None;
                    }
                    (Err(_), true) => {
                        f.refresh_failures += 1;
                        f.next_refresh_at =
                            Some(self.now + retry::refresh_backoff(f.refresh_failures));
                    }
                    (Err(_), false) => {}
                }
                f.outcome = Some(outcome);
                drop(f);
                self.local.changed.notify_all();
            }
        }
        let mut finish = Finish {
            local,
            outcome: None,
            refresh,
            now: self.config.clock.now(),
        };
        let result = self.fetch(exchange, deadline);
        finish.now = self.config.clock.now();
        finish.outcome = Some(result.as_ref().map(|_| ()).map_err(Clone::clone));
        result
    }

    /// Store first (another process may have fetched), then the network under the store's lock.
    fn fetch(&self, exchange: &Exchange, deadline: Instant) -> Result<Token> {
        let Some(store) = self.config.store.clone() else {
            return self.fetch_from_server(exchange, deadline);
        };
        if let Some(t) = self.adopt_from_store(store.as_ref()) {
            return Ok(t);
        }
        // Wait for the lock in short slices, looking in the store between them: the holder's
        // token is usually there before the lock is free, so waiters need not queue for it.
        let mut slice = STORE_WAIT_MIN;
        let lock = loop {
            let slice_end = (Instant::now() + slice).min(deadline);
            match self.store_op(
                store.lock(&self.shared.key, self.config.timeout, slice_end),
                "fetching without the shared lock",
            ) {
                Some(Some(lock)) => break Some(lock),
                Some(None) => {
                    if let Some(t) = self.adopt_from_store(store.as_ref()) {
                        return Ok(t);
                    }
                    if Instant::now() >= deadline {
                        return Err(Error::Timeout {
                            after: self.config.timeout,
                            message: format!(
                                "waiting for the {} store's fetch lock",
                                store.describe()
                            ),
                        });
                    }
                    slice = (slice * 2).min(STORE_WAIT_MAX);
                }
                None => break None,
            }
        };
        if lock.is_some()
            && let Some(t) = self.adopt_from_store(store.as_ref())
        {
            return Ok(t);
        }
        let result = self.fetch_from_server(exchange, deadline);
        if let Ok(t) = &result {
            let stored = StoredToken {
                access_token: t.access_token().to_owned(),
                token_type: t.token_type().to_owned(),
                scopes: t.scopes().to_vec(),
                expires_at: t.expires_at(),
            };
            self.store_op(
                store.put_if_newer(&self.shared.key, &stored),
                "token kept in memory only",
            );
        }
        if let Some(lock) = lock {
            self.store_op(lock.release(), "the lock will expire by itself");
        }
        result
    }

    /// Takes a fresh token another client or process left in the store.
    fn adopt_from_store(&self, store: &dyn crate::store::TokenStore) -> Option<Token> {
        let stored = self.store_op(store.get(&self.shared.key), "fetching directly")??;
        let (now, wall) = (self.config.clock.now(), self.config.clock.wall());
        let left = stored.expires_at.duration_since(wall).ok()?;
        let token = Token::new(
            stored.access_token,
            stored.token_type,
            stored.scopes,
            now + left,
            stored.expires_at,
        );
        let entry = CacheEntry::new(token, now, self.windows(), fastrand::f64());
        if entry.freshness(now) != Freshness::Fresh {
            return None;
        }
        log::debug!(
            "token {} taken from the {} store",
            entry.token.redacted(),
            store.describe()
        );
        let token = entry.token.clone();
        self.shared.cache.store(Some(Arc::new(entry)));
        Some(token)
    }

    /// Attempts against the server: each one drawn from the budget, retried only after
    /// transport errors, timeouts and 5xx, all inside the caller's deadline.
    fn fetch_from_server(&self, exchange: &Exchange, deadline: Instant) -> Result<Token> {
        let local = self.flight();
        if let Err(remembered) = local.lock().terminal.check(self.config.clock.now()) {
            self.shared.counters.refused_locally.fetch_add(1, Relaxed);
            return Err(remembered);
        }
        let result = self.send_with_retries(exchange, deadline);
        local.lock().terminal.record(
            self.config.clock.now(),
            result.as_ref().map(|_| ()),
            self.config.terminal_error_ttl,
        );
        result
    }

    fn send_with_retries(&self, exchange: &Exchange, deadline: Instant) -> Result<Token> {
        let clock = &self.config.clock;
        let governor = self.governor();
        let mut retries = 0;
        loop {
            if let Err(refusal) = self.acquire_request_slot(&governor) {
                if retries == 0 {
                    self.shared.counters.refused_locally.fetch_add(1, Relaxed);
                    return Err(refusal);
                }
                // Out of budget for another retry: the real error is the informative one.
                return Err(refusal.last_error().cloned().unwrap_or(refusal));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    after: self.config.timeout,
                    message: "no time left for another attempt".into(),
                });
            }
            let sent_at = clock.now();
            let sent_wall = clock.wall();
            log::debug!(
                "requesting a token for client {} from {}",
                self.config.client_id,
                self.config.token_url
            );
            let result = exchange
                .send(&self.config, left)
                .and_then(|reply| interpret(reply, &self.config.client_secret, sent_wall));
            self.shared.counters.record(&result);
            match result {
                Ok(grant) => {
                    governor.lock().record_success();
                    return Ok(self.publish(grant, sent_at, sent_wall));
                }
                Err(err) => {
                    governor.lock().record_failure(clock.now(), &err);
                    log::debug!("token request failed: {err}");
                    if !err.may_retry_now() || retries >= self.config.max_retries {
                        return Err(err);
                    }
                    retries += 1;
                    let pause = retry::backoff(retries);
                    if Instant::now() + pause >= deadline {
                        return Err(err);
                    }
                    clock.sleep(pause);
                }
            }
        }
    }

    /// A store that fails degrades to memory: one warning when an outage starts, one notice
    /// when it ends, never an error from `token()`.
    fn store_op<T>(&self, result: std::result::Result<T, StoreError>, fallback: &str) -> Option<T> {
        match result {
            Ok(v) => {
                if !self.shared.store_healthy.swap(true, Relaxed) {
                    log::info!("token store is answering again");
                }
                Some(v)
            }
            Err(e) => {
                if self.shared.store_healthy.swap(false, Relaxed) {
                    log::warn!("{e}; {fallback} (store errors are not repeated until it recovers)");
                } else {
                    log::debug!("{e}; {fallback}");
                }
                None
            }
        }
    }

    /// One request from the budget: this process's, then the store's shared one (processes on a
    /// machine, hosts of a fleet). A store that fails does not block the request.
    fn acquire_request_slot(&self, governor: &Local<Governor>) -> Result<()> {
        let now = self.config.clock.now();
        governor.lock().acquire(now)?;
        let Some(store) = &self.config.store else {
            return Ok(());
        };
        let credentials = StoreKey::credentials(&self.config.token_url, &self.config.client_id);
        let shared = store.take_request_slot(
            &credentials,
            self.config.max_requests,
            self.config.quota_window,
            self.config.clock.wall(),
        );
        match self.store_op(shared, "using this process's request budget only") {
            Some(Some(wait)) => {
                let mut g = governor.lock();
                g.refund();
                Err(g.refusal(wait, false))
            }
            Some(None) | None => Ok(()),
        }
    }

    fn publish(&self, grant: Grant, sent_at: Instant, sent_wall: SystemTime) -> Token {
        let scopes = grant
            .scopes
            .unwrap_or_else(|| self.config.scopes.as_slice().to_vec());
        let token = Token::new(
            grant.access_token,
            "Bearer".to_owned(),
            scopes,
            sent_at + grant.expires_in,
            sent_wall + grant.expires_in,
        );
        let entry = CacheEntry::new(token.clone(), sent_at, self.windows(), fastrand::f64());
        log::info!(
            "token {} obtained, expires in {}s",
            token.redacted(),
            grant.expires_in.as_secs()
        );
        self.shared.cache.store(Some(Arc::new(entry)));
        token
    }
}

impl TokenClientBuilder {
    /// Validates the settings and makes the client.
    pub fn build(self) -> Result<TokenClient> {
        Ok(TokenClient::new(self.build_config()?))
    }
}

impl fmt::Debug for TokenClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClient")
            .field("token_url", &self.config.token_url)
            .field("client_id", &self.config.client_id)
            .field("scopes", &self.config.scopes.as_slice())
            .field("key", &self.shared.key)
            .finish_non_exhaustive()
    }
}
