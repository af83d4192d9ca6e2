//! The mutable state one mock server shares between its HTTP handlers and the blocking
//! [`crate::MockServer`] handle. One std mutex, never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::arrivals::{Arrivals, max_in_window};
use crate::config::{App, MockConfig, RateLimit};
use crate::faults::Fault;
use crate::rate_limit::RateLimiter;

/// Past this many remembered tokens, expired ones are forgotten (a long demo run stays small).
const PRUNE_ABOVE: usize = 10_000;

pub(crate) struct SharedState {
    pub(crate) token_requests: AtomicU64,
    pub(crate) tokens_issued: AtomicU64,
    pub(crate) resource_requests: AtomicU64,
    /// Applications are fixed at start; only lifetime and rate limit change at run time.
    apps: HashMap<String, App>,
    /// What `reset` goes back to.
    initial: MockConfig,
    /// When the server started: arrivals are reported as offsets from it.
    started: Instant,
    inner: Mutex<Inner>,
    /// Servers started through `POST /_mock/servers` (their own lock; [`SharedState::reset`]
    /// leaves them alone).
    pub(crate) children: crate::spawn::Children,
}

struct Inner {
    lifetime_secs: i64,
    rate_limit: Option<RateLimit>,
    faults: VecDeque<Fault>,
    limiter: RateLimiter,
    /// When each token request arrived, whatever it was answered.
    arrivals: Arrivals,
    tokens: HashMap<String, IssuedToken>,
    last_form: Option<Vec<(String, String)>>,
    last_headers: Option<Vec<(String, String)>>,
}

struct IssuedToken {
    client_id: String,
    scopes: Vec<String>,
    /// `None`: the lifetime was too large to represent, so it never expires.
    expires_at: Option<Instant>,
    revoked: bool,
}

/// What the protected resource learns about a presented token.
pub(crate) enum TokenStatus {
    Valid {
        client_id: String,
        scopes: Vec<String>,
    },
    Unknown,
    Expired,
    Revoked,
}

/// Snapshot for `/_mock/stats` (which adds `max_in_window`), `/_mock/faults` and `/_mock/reset`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Stats {
    pub(crate) token_requests: u64,
    pub(crate) tokens_issued: u64,
    pub(crate) resource_requests: u64,
    pub(crate) faults_queued: usize,
}

impl SharedState {
    pub(crate) fn new(config: &MockConfig) -> SharedState {
        SharedState {
            token_requests: AtomicU64::new(0),
            tokens_issued: AtomicU64::new(0),
            resource_requests: AtomicU64::new(0),
            apps: config
                .apps
                .iter()
                .map(|a| (a.client_id.clone(), a.clone()))
                .collect(),
            initial: config.clone(),
            started: Instant::now(),
            inner: Mutex::new(Inner {
                lifetime_secs: config.token_lifetime_secs,
                rate_limit: config.rate_limit,
                faults: VecDeque::new(),
                limiter: RateLimiter::default(),
                arrivals: Arrivals::default(),
                tokens: HashMap::new(),
                last_form: None,
                last_headers: None,
            }),
            children: crate::spawn::Children::default(),
        }
    }

    /// A panicking handler must not make every later test fail with a poisoned lock.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<&App> {
        self.apps.get(client_id)
    }

    pub(crate) fn record_request(
        &self,
        form: Option<Vec<(String, String)>>,
        headers: Vec<(String, String)>,
    ) {
        let mut inner = self.lock();
        inner.last_form = form;
        inner.last_headers = Some(headers);
    }

    pub(crate) fn last_form(&self) -> Option<Vec<(String, String)>> {
        self.lock().last_form.clone()
    }

    pub(crate) fn last_headers(&self) -> Option<Vec<(String, String)>> {
        self.lock().last_headers.clone()
    }

    pub(crate) fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }

    pub(crate) fn pop_fault(&self) -> Option<Fault> {
        self.lock().faults.pop_front()
    }

    /// A token request arrived now (the time is taken under the lock, so arrivals are recorded
    /// in order).
    pub(crate) fn record_arrival(&self) {
        let mut inner = self.lock();
        inner.arrivals.record(Instant::now());
    }

    /// The most token requests that arrived inside any `[t, t + window)`.
    pub(crate) fn max_in_window(&self, window: Duration) -> u64 {
        let arrivals = self.lock().arrivals.sorted();
        max_in_window(&arrivals, window)
    }

    /// Arrival times as offsets from the server's start, sorted.
    pub(crate) fn arrival_offsets(&self) -> Vec<Duration> {
        let arrivals = self.lock().arrivals.sorted();
        arrivals
            .into_iter()
            .map(|t| t.saturating_duration_since(self.started))
            .collect()
    }

    /// `Err(wait)` when `client_id` has used up its window (see [`RateLimiter::check`]).
    pub(crate) fn check_rate(&self, client_id: &str) -> Result<(), Duration> {
        let mut inner = self.lock();
        match inner.rate_limit {
            Some(limit) => inner.limiter.check(limit, client_id, Instant::now()),
            None => Ok(()),
        }
    }

    pub(crate) fn lifetime_secs(&self) -> i64 {
        self.lock().lifetime_secs
    }

    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        self.lock().rate_limit
    }

    pub(crate) fn set_lifetime(&self, secs: i64) {
        self.lock().lifetime_secs = secs;
    }

    /// Changing the limit also forgets the history, so the new limit starts from a clean slate.
    pub(crate) fn set_rate_limit(&self, rl: Option<RateLimit>) {
        let mut inner = self.lock();
        inner.rate_limit = rl;
        inner.limiter.clear();
    }

    /// Mints a token the resource will accept for the current lifetime and returns it with the
    /// `expires_in` to report.
    pub(crate) fn issue_token(&self, client_id: &str, scopes: Vec<String>) -> (String, i64) {
        let token = new_token();
        let mut inner = self.lock();
        let lifetime = inner.lifetime_secs;
        let now = Instant::now();
        let expires_at = now.checked_add(Duration::from_secs(lifetime.max(0).unsigned_abs()));
        if inner.tokens.len() > PRUNE_ABOVE {
            inner
                .tokens
                .retain(|_, t| t.expires_at.is_none_or(|e| e > now));
        }
        inner.tokens.insert(
            token.clone(),
            IssuedToken {
                client_id: client_id.to_owned(),
                scopes,
                expires_at,
                revoked: false,
            },
        );
        self.tokens_issued.fetch_add(1, Ordering::SeqCst);
        (token, lifetime)
    }

    pub(crate) fn check_token(&self, token: &str) -> TokenStatus {
        let inner = self.lock();
        match inner.tokens.get(token) {
            None => TokenStatus::Unknown,
            Some(t) if t.revoked => TokenStatus::Revoked,
            Some(t) if t.expires_at.is_some_and(|e| e <= Instant::now()) => TokenStatus::Expired,
            Some(t) => TokenStatus::Valid {
                client_id: t.client_id.clone(),
                scopes: t.scopes.clone(),
            },
        }
    }

    /// Like deleting the application in OfficeRnD: every token issued so far stops working.
    /// Every token issued and still remembered (expired ones are forgotten past
    /// [`PRUNE_ABOVE`]), in no particular order.
    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        self.lock().tokens.keys().cloned().collect()
    }

    pub(crate) fn revoke_all_tokens(&self) {
        for t in self.lock().tokens.values_mut() {
            t.revoked = true;
        }
    }

    /// Back to the state right after start: counters, arrivals, faults, rate-limit history, last
    /// request, lifetime and rate limit. Issued tokens stay valid (a test suite sharing one server should
    /// not see another test's reset break its cached token).
    pub(crate) fn reset(&self) {
        let mut inner = self.lock();
        inner.faults.clear();
        inner.limiter.clear();
        inner.arrivals.clear();
        inner.last_form = None;
        inner.last_headers = None;
        inner.lifetime_secs = self.initial.token_lifetime_secs;
        inner.rate_limit = self.initial.rate_limit;
        self.token_requests.store(0, Ordering::SeqCst);
        self.tokens_issued.store(0, Ordering::SeqCst);
        self.resource_requests.store(0, Ordering::SeqCst);
    }

    pub(crate) fn stats(&self) -> Stats {
        let faults_queued = self.lock().faults.len();
        Stats {
            token_requests: self.token_requests.load(Ordering::SeqCst),
            tokens_issued: self.tokens_issued.load(Ordering::SeqCst),
            resource_requests: self.resource_requests.load(Ordering::SeqCst),
            faults_queued,
        }
    }
}

/// 48 characters from the URL-safe base64 alphabet: opaque, header-safe, ~288 bits. fastrand is
/// not a CSPRNG, which is fine for a mock that only runs on loopback.
fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..48)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_url_safe() {
        let t = new_token();
        assert!(t.len() >= 40);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(t, new_token());
    }

    #[test]
    fn revoked_and_expired_tokens_are_rejected() {
        let state = SharedState::new(&MockConfig::default().with_lifetime(0));
        let (expired, _) = state.issue_token("a", vec![]);
        assert!(matches!(state.check_token(&expired), TokenStatus::Expired));
        state.set_lifetime(60);
        let (live, _) = state.issue_token("a", vec!["s".into()]);
        assert!(matches!(
            state.check_token(&live),
            TokenStatus::Valid { .. }
        ));
        state.revoke_all_tokens();
        assert!(matches!(state.check_token(&live), TokenStatus::Revoked));
        assert!(matches!(state.check_token("nope"), TokenStatus::Unknown));
    }
}
