//! The token client: a facade over the single-flight cache (`single_flight`), its sources
//! (`source`: the shared store first, then the server), the budget (`governor`) and the retry
//! policy (`retry`). It holds no rule of its own; it wires one client's parts together and keeps
//! what clients of the same settings share in a process (`registry`).

use std::fmt;
use std::sync::Arc;

use crate::config::{Config, TokenClientBuilder, budget_endpoint, normalize_token_url};
use crate::error::Result;
use crate::exchange::Transport;
use crate::fork::{Local, PerProcess};
use crate::governor::{Governor, Quota, QuotaRule};
use crate::registry::Registry;
use crate::single_flight::{Call, SingleFlight};
use crate::source::{Server, ServerLocal, StoreFirst};
use crate::stats::{Counters, Stats};
use crate::store::{SharedBudget, StoreHealth, StoreKey};
use crate::sync::CacheSlot;
use crate::token::Token;

/// A cached, single-flight, quota-aware OfficeRnD token client. Cheap to clone; safe to share
/// across threads. Clients with the same settings share one cache in the process.
#[derive(Clone)]
pub struct TokenClient {
    shared: Arc<Shared>,
    config: Arc<Config>,
    /// Replaces HTTP in tests (the simulation's server).
    transport: Option<Arc<dyn Transport>>,
}

/// The state shared by every client of one cache key.
struct Shared {
    key: StoreKey,
    /// The budget's name in shared stores (normalised token URL + client id, hashed): the
    /// key's `credentials_hash`.
    credentials: String,
    flight: SingleFlight,
    server: PerProcess<ServerLocal>,
    governor: Arc<PerProcess<Governor>>,
    counters: Counters,
    health: StoreHealth,
    /// The last token this process invalidated: never adopted from the store again, even when
    /// the store could not delete it (a read-only replica, a directory that refuses deletes).
    dropped: CacheSlot<[u8; 32]>,
}

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
        // One spelling of the endpoint for every key: `HTTPS://Host:443/oauth/token/` and the
        // plain URL are one budget, as the server sees them.
        let url = normalize_token_url(&config.token_url);
        // The budget's endpoint: what the server rate-limits (no query, no trailing dot).
        let endpoint = budget_endpoint(&url);
        let key = StoreKey::derive(
            &url,
            &config.client_id,
            &config.client_secret,
            &config.scopes,
        );
        let rule = rule(&config);
        let make_governor = || PerProcess::new(Governor::new(rule, config.clock.now()));
        let make_shared = |governor| Shared {
            key: key.clone(),
            credentials: key.credentials_hash().to_owned(),
            flight: SingleFlight::new(),
            server: PerProcess::new(ServerLocal::default()),
            governor,
            counters: Counters::default(),
            health: StoreHealth::default(),
            dropped: CacheSlot::empty(),
        };
        let shared = if config.share_cache {
            let now = config.clock.now();
            let governor = BUDGETS.get_or_insert(
                (endpoint.clone(), config.client_id.clone()),
                make_governor,
                // Another application's governor: looked at, never rebuilt with this
                // client's rule after a fork (one not yet used in this child is kept).
                |g| g.peek(|g| g.idle(now)).unwrap_or(false),
            );
            // Clients of these credentials built with different budgets: all follow the
            // strictest (a client configured for 1 per minute never sends 5).
            local_governor(&governor, &config).lock().tighten(rule);
            let store = config
                .store
                .as_ref()
                .map(|s| s.describe())
                .unwrap_or_default();
            CACHES.get_or_insert((key.clone(), store), || make_shared(governor), |_| true)
        } else {
            Arc::new(make_shared(Arc::new(make_governor())))
        };
        TokenClient {
            shared,
            config,
            transport: None,
        }
    }

    /// A client whose attempts go to `transport` instead of HTTP (the simulation's server).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn with_transport(config: Config, transport: Arc<dyn Transport>) -> TokenClient {
        TokenClient {
            transport: Some(transport),
            ..TokenClient::new(config)
        }
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
        let token = self.shared.flight.fresh(self.config.clock.now())?;
        self.shared.counters.hits.incr();
        Some(token)
    }

    /// The fresh cached token and for how long it stays fresh, without any I/O or lock: for a
    /// binding that keeps the token on its side of an FFI boundary (Node's JS fast path) and
    /// serves it until then, or until [`Self::change_counter`] moves, whichever comes first. The
    /// freshness rule stays here; stats count only the calls that reach the core.
    pub fn fresh_for(&self) -> Option<(Token, std::time::Duration)> {
        let found = self.shared.flight.fresh_for(self.config.clock.now())?;
        self.shared.counters.hits.incr();
        Some(found)
    }

    /// A counter bumped whenever the cache shared by this client changes (a new token, an
    /// invalidation — by this or any client sharing the cache): a token kept by a binding is
    /// stale once it moved.
    pub fn change_counter(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.shared.flight.changes()
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
        let dropped = self.shared.flight.invalidate(token);
        if let Some(store) = &self.config.store {
            self.shared
                .dropped
                .store(Some(Arc::new(StoreKey::token_digest(token.access_token()))));
            self.shared.health.check_write(
                store.compare_delete(
                    &self.shared.key,
                    token.access_token(),
                    self.config.clock.now() + self.config.timeout,
                ),
                "token dropped from memory only",
                |deleted| *deleted,
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
        let g = local.lock();
        s.budget_remaining = g.remaining(now);
        s.budget_capacity = g.capacity();
        s.last_error_code = g.last_error().map(crate::Error::code);
        drop(g);
        s.expires_in = self
            .shared
            .flight
            .current()
            .map(|e| e.token.expires_in_at(now));
        s
    }

    fn governor(&self) -> Arc<Local<Governor>> {
        local_governor(&self.shared.governor, &self.config)
    }

    #[cold]
    fn token_slow(&self) -> Result<Token> {
        let (config, shared) = (&*self.config, &*self.shared);
        let clock = &config.clock;
        let call = Call {
            clock,
            deadline: clock.now() + config.timeout,
            timeout: config.timeout,
            counters: &shared.counters,
        };
        let governor = self.governor();
        // The strictest rule of the clients sharing this budget, for the store's budget too.
        let rule = governor.lock().rule();
        let store = config.store.as_deref();
        let server = Server {
            config,
            key: &shared.key,
            local: &shared.server,
            quota: Quota {
                governor: &governor,
                shared: store.map(|s| (s as &dyn SharedBudget, shared.credentials.as_str())),
                health: &shared.health,
                rule,
                timeout: config.timeout,
            },
            store,
            health: &shared.health,
            counters: &shared.counters,
            transport: self.transport.as_ref(),
        };
        match store {
            Some(store) => shared.flight.get(
                &call,
                &StoreFirst {
                    store,
                    key: &shared.key,
                    health: &shared.health,
                    clock,
                    windows: crate::source::windows(config),
                    timeout: config.timeout,
                    server: &server,
                    dropped: &shared.dropped,
                },
            ),
            None => shared.flight.get(&call, &server),
        }
    }
}

/// This process's governor (a forked child's own copy).
fn local_governor(governor: &PerProcess<Governor>, config: &Config) -> Arc<Local<Governor>> {
    governor.get(|parent| match parent {
        Some(g) => g.clone(),
        // A parent thread held the budget lock at the fork: assume it was all spent,
        // rather than risk exceeding the server's limit.
        None => Governor::spent(rule(config), config.clock.now()),
    })
}

fn rule(config: &Config) -> QuotaRule {
    QuotaRule {
        capacity: config.max_requests,
        window: config.quota_window,
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
