//! Where tokens are shared beyond one client: the [`TokenStore`] trait and the in-memory store.
//! File and Redis stores implement the same trait so that processes on one machine, or hosts of
//! a fleet, fetch one token per lifetime together.
//!
//! The client's own memory cache always stays in front: a store is read only when memory has
//! nothing fresh. A store failure is logged, not returned: the client goes on without the store
//! under the outage budget (`governor`: at most one request per quota window per process), so
//! `token()` may then fail with `rate_limited` rather than fetch.

mod file;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{budget_endpoint, normalize_token_url};
use crate::error::Error;
use crate::scopes::Scopes;
use crate::secret::ClientSecret;

/// Identifies one set of (token URL, client id, secret, normalised scopes) without revealing any
/// of them: a SHA-256 hex digest. Stores use it as their key; it never holds the secret itself.
/// It also knows its credentials' name ([`StoreKey::credentials_hash`]), which a store may use to
/// keep every key of one credentials together (the Redis store's hash tag).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StoreKey {
    digest: String,
    credentials: String,
}

impl StoreKey {
    /// Derives the key.
    pub fn derive(
        token_url: &str,
        client_id: &str,
        secret: &ClientSecret,
        scopes: &Scopes,
    ) -> Self {
        let mut h = Sha256::new();
        for part in [
            "officernd-auth/v1",
            token_url,
            client_id,
            secret.expose_secret(),
            &scopes.joined(),
        ] {
            // Length-prefixed, so ("ab","c") and ("a","bc") never collide.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        StoreKey {
            digest: hex(&h.finalize()),
            credentials: Self::credentials(
                &budget_endpoint(&normalize_token_url(token_url)),
                client_id,
            ),
        }
    }

    /// A fingerprint of an access token, to recognise it again without keeping it.
    pub(crate) fn token_digest(access_token: &str) -> [u8; 32] {
        Sha256::digest(access_token.as_bytes()).into()
    }

    /// Names the request budget of (token URL, client id) — the unit OfficeRnD rate-limits —
    /// without revealing either.
    pub fn credentials(token_url: &str, client_id: &str) -> String {
        let mut h = Sha256::new();
        for part in ["officernd-auth/budget/v1", token_url, client_id] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        hex(&h.finalize()[..16])
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.digest
    }

    /// The name of this key's credentials: [`StoreKey::credentials`] of its token URL (normalised,
    /// without query) and client id, the name of the request budget it draws from. Keys that
    /// differ only in secret or scopes share it.
    pub fn credentials_hash(&self) -> &str {
        &self.credentials
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreKey({}…)", &self.digest[..12])
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token as kept in a store: wall-clock expiry (stores outlive processes) and the lifetime it
/// was issued with, so that whoever adopts it refreshes it ahead and stops handing it out exactly
/// as the process that fetched it would (the windows are capped by the *original* lifetime).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Wall-clock expiry, on the clock of the caller that passed or received it (the Redis
    /// store converts through the server's clock, so hosts with skewed clocks agree).
    pub expires_at: SystemTime,
    /// The `expires_in` the server granted it with.
    pub lifetime: Duration,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &crate::token::redact(&self.access_token))
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// A terminal answer of the token endpoint (`invalid_client`, `invalid_scope`…), as shared
/// through a store so that no process of the fleet resends it for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedRefusal {
    /// HTTP status of the answer.
    pub status: u16,
    /// The RFC 6749 `error`.
    pub error: String,
    /// The RFC 6749 `error_description` (already scrubbed of the secret).
    pub error_description: Option<String>,
    /// The RFC 6749 `error_uri`.
    pub error_uri: Option<String>,
}

impl RememberedRefusal {
    pub(crate) fn from_error(e: &Error) -> Option<RememberedRefusal> {
        match e {
            Error::OAuth { status, body } => Some(RememberedRefusal {
                status: *status,
                error: body.error.clone(),
                error_description: body.error_description.clone(),
                error_uri: body.error_uri.clone(),
            }),
            _ => None,
        }
    }

    pub(crate) fn into_error(self) -> Error {
        Error::OAuth {
            status: self.status,
            body: crate::error::OAuthErrorBody {
                error: self.error,
                error_description: self.error_description,
                error_uri: self.error_uri,
            },
        }
    }
}

/// The answer of a shared budget to a request for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotGrant {
    /// Granted: the slot's id, to finish it when the attempt ends.
    Granted(u64),
    /// Not now.
    Wait {
        /// How long until a slot frees (or the cool-down ends).
        wait: Duration,
        /// A server asked the fleet to wait (429 or `Retry-After`), rather than a spent budget.
        cooldown: bool,
    },
}

/// A store failure. Logged and survived: a store that fails is never the error `token()`
/// returns (the outage policy takes over, which may answer `rate_limited`); one cut short by
/// the caller's deadline ends that call with its `timeout` error.
#[derive(Debug, Clone, thiserror::Error)]
#[error("token store {store}: {message}")]
pub struct StoreError {
    /// Which store (its [`TokenStore::describe`]).
    pub store: String,
    /// What failed (never a token or secret).
    pub message: String,
    /// Whether the store failed, or the caller's time ran out.
    pub kind: StoreErrorKind,
}

/// Why a store operation did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store failed, or did not answer within its own timeout: a store outage (the client
    /// logs it once and applies the outage policy until a write succeeds again).
    #[default]
    Failed,
    /// The caller's deadline passed before the store answered (or before the operation could
    /// start). This says nothing about the store's health, and the operation's outcome is
    /// unknown: it may have been carried out (a lock taken, a slot granted, a token written).
    DeadlineExceeded,
}

impl StoreError {
    /// A store failure (an outage).
    pub fn new(store: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError {
            store: store.into(),
            message: message.into(),
            kind: StoreErrorKind::Failed,
        }
    }

    /// `what` did not complete by the caller's deadline; its outcome is unknown.
    pub fn deadline_exceeded(store: impl Into<String>, what: &str) -> StoreError {
        StoreError {
            store: store.into(),
            message: format!(
                "{what}: the caller's deadline passed before the store answered (not a store \
                 failure; whether it was done is unknown)"
            ),
            kind: StoreErrorKind::DeadlineExceeded,
        }
    }

    /// The caller's deadline cut the operation short ([`StoreErrorKind::DeadlineExceeded`]).
    pub fn is_deadline_exceeded(&self) -> bool {
        self.kind == StoreErrorKind::DeadlineExceeded
    }

    /// The one rule for an operation the caller's deadline cut short: what the store did is
    /// unknown, so the call ends with its `timeout` error (`after`: the configured timeout;
    /// `doing`: what it was doing) and sends nothing. `None` for a store failure, which
    /// [`StoreHealth`] logs and the outage policy answers.
    pub(crate) fn cut_short(
        &self,
        after: Duration,
        doing: impl FnOnce() -> String,
    ) -> Option<Error> {
        self.is_deadline_exceeded().then(|| {
            log::debug!("{self}");
            Error::Timeout {
                after,
                message: doing(),
            }
        })
    }
}

/// A held fetch lock; released by [`StoreLock::release`] or on drop (implementations must
/// release on drop too: an early return must never leave other processes waiting for a TTL).
pub trait StoreLock: Send {
    /// Releases the lock (compare-and-delete where the store is shared: a lock that expired and
    /// was taken by someone else is left alone).
    fn release(self: Box<Self>) -> Result<(), StoreError>;
}

/// Shared token storage. Implementations must be safe to call from many threads.
pub trait TokenStore: SharedBudget + Send + Sync + fmt::Debug {
    /// A stable description, e.g. `memory`, `file:/home/u/.cache/officernd-auth`,
    /// `redis://host:6379/0` (never a password). Clients differing only in store do not share a cache.
    fn describe(&self) -> String;

    /// The stored token for `key`, if any (expired ones may be returned; the caller checks).
    /// `now` is the caller's wall clock; `expires_at` comes back on that clock. A store that
    /// waits for an answer (Redis) waits until `deadline` at most, then fails with
    /// [`StoreErrorKind::DeadlineExceeded`].
    fn get(
        &self,
        key: &StoreKey,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<Option<StoredToken>, StoreError>;

    /// Stores `token` unless the store already holds one that expires later. Returns whether
    /// it was written. `now` is the caller's wall clock, the one `token.expires_at` is on. A
    /// store that must wait for a lock or an answer to compare and write waits until
    /// `deadline` at most.
    fn put_if_newer(
        &self,
        key: &StoreKey,
        token: &StoredToken,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<bool, StoreError>;

    /// Takes the fetch lock for `key`, held at most `ttl` (a crashed holder never blocks others
    /// longer), waiting for another holder until `wait_until`. `Ok(None)` means it was still
    /// held then. `deadline` is the caller's (never before `wait_until`): no single operation
    /// (one attempt, or releasing the lock it returns) outlasts it. The two differ because the
    /// caller waits in short slices, looking for the holder's token between them, while one
    /// attempt needs the store's usual time to answer.
    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError>;

    /// Deletes the stored token for `key` only if it is still `access_token` (another worker may
    /// already have stored a newer one). Returns whether it was deleted. A store that must wait
    /// for a lock or an answer to compare and delete waits until `deadline` at most.
    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        deadline: Instant,
    ) -> Result<bool, StoreError>;
}

/// Opens a store from the spelling every binding accepts (`store` / `store_path` options,
/// `OFFICERND_STORE` / `OFFICERND_STORE_PATH`): `memory` (this process only; `None`), `file`
/// (in `path`, or the default cache directory), or a `redis://` / `rediss://` URL.
pub fn open(spec: &str, path: Option<&Path>) -> Result<Option<Arc<dyn TokenStore>>, Error> {
    let spec = spec.trim();
    let bad = |reason: String| Error::Config {
        setting: "store".into(),
        reason,
    };
    match spec {
        "" | "memory" => {
            if path.is_some() {
                return Err(bad("store_path is only for the file store".into()));
            }
            Ok(None)
        }
        "file" => Ok(Some(Arc::new(match path {
            Some(p) => FileStore::new(p)?,
            None => FileStore::open_default()?,
        }))),
        s if s.starts_with("redis://") || s.starts_with("rediss://") => {
            #[cfg(feature = "redis")]
            {
                Ok(Some(Arc::new(RedisStore::new(s)?)))
            }
            #[cfg(not(feature = "redis"))]
            {
                Err(bad(
                    "this build has no Redis support (the `redis` feature)".into()
                ))
            }
        }
        _ => Err(bad(
            "must be \"memory\", \"file\" or a redis:// / rediss:// URL".into(),
        )),
    }
}

/// The text of a store setting that is safe to print: `memory`, `file:<dir>`, or the URL with
/// its password replaced by `***`. For reprs and messages in every binding.
pub fn describe_spec(spec: &str, path: Option<&Path>) -> String {
    let spec = spec.trim();
    match spec {
        "" | "memory" => "memory".into(),
        "file" => match path {
            Some(p) => format!("file:{}", p.display()),
            None => "file".into(),
        },
        other => hide_password(other),
    }
}

/// A URL with any password replaced; text that does not parse as a URL is not shown at all
/// (it may hold a password in a form we cannot find).
pub(crate) fn hide_password(url: &str) -> String {
    match url::Url::parse(url) {
        // Only a URL with a host has a place for a password that we can find and replace.
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        _ => "(unparsable store URL)".into(),
    }
}

/// Retries `attempt` with a doubling pause (from `min` up to `max`) until it yields a value or
/// `deadline` passes (`Ok(None)`): how a store waits for a lock another process holds.
pub(crate) fn poll_until<T>(
    deadline: Instant,
    min: Duration,
    max: Duration,
    mut attempt: impl FnMut() -> Result<Option<T>, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut pause = min;
    loop {
        if let Some(v) = attempt()? {
            return Ok(Some(v));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(max);
    }
}

/// An id no other process or thread will draw: request slots and lock values name their owner
/// with it. Not `fastrand` alone: a forked child starts with a copy of its parent's generator,
/// so sibling workers would draw the same ids and a shared budget would count two requests as
/// one.
pub(crate) fn unique_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut h = Sha256::new();
    h.update(u64::from(std::process::id()).to_be_bytes());
    h.update(n.to_be_bytes());
    h.update(nanos.to_be_bytes());
    h.update(fastrand::u64(..).to_be_bytes());
    let d = h.finalize();
    // Never 0 (the outage budget's seed slot).
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")).max(1)
}

/// Wall time as Unix milliseconds, the unit stores keep.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Shared bookkeeping of the request budget, for stores that span processes: every process
/// using the store draws from one budget per credentials, and a server's request to wait (429,
/// `Retry-After`) or a terminal answer is honoured by all of them. The rule is
/// `governor::Window`'s. The defaults (for stores that do not span processes) grant every
/// request and remember nothing; the in-process governor still applies.
///
/// `now` is the caller's wall clock; stores with a clock of their own (Redis) use theirs.
/// `deadline` is the caller's: a store that waits for a lock (the file store) gives up then and
/// fails (the caller falls back to its outage budget); a store that waits for an answer (Redis)
/// waits until then at most and fails with [`StoreErrorKind::DeadlineExceeded`] — the caller
/// then assumes the worst of the unknown outcome (a slot taken counts as granted) and ends
/// with its `timeout` error.
pub trait SharedBudget {
    /// Takes one request slot from the budget of `credentials` (an opaque hash of token URL and
    /// client id) for `capacity` requests per window. The slot counts for `hold` at most (the
    /// attempt's deadline plus a window and a margin) unless finished earlier.
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let _ = (credentials, capacity, hold, now, deadline);
        Ok(SlotGrant::Granted(0))
    }

    /// The attempt of slot `slot` ended now: from now on it counts for `count_for` only.
    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let _ = (credentials, slot, count_for, now, deadline);
        Ok(())
    }

    /// The server asked to wait `pause` (429, or `Retry-After` on a 5xx): no slot is granted to
    /// anyone sharing the budget before it ends.
    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let _ = (credentials, pause, now, deadline);
        Ok(())
    }

    /// Remembers a terminal answer for the exact configuration `key`, for `ttl`.
    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let _ = (key, refusal, ttl, now, deadline);
        Ok(())
    }

    /// The terminal answer remembered for `key`, with how long it still holds.
    fn remembered_refusal(
        &self,
        key: &StoreKey,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let _ = (key, now, deadline);
        Ok(None)
    }
}

/// Whether a client's store is usable, so that an outage is logged once when it starts and once
/// when it ends rather than on every call. A store failure is never the error `token()` returns
/// (the outage budget decides what the call may do instead).
///
/// Any failed operation starts an outage; only a successful *write* ends it: a directory whose
/// files can be read but not written, or a read-only Redis replica, stays one outage instead of
/// flapping between "failing" and "answering again" on every read. An operation cut short by
/// the caller's deadline ([`StoreErrorKind::DeadlineExceeded`]) neither starts nor ends one: a
/// short timeout or a slow fetch says nothing about the store.
#[derive(Debug)]
pub(crate) struct StoreHealth {
    healthy: std::sync::atomic::AtomicBool,
}

impl Default for StoreHealth {
    fn default() -> Self {
        StoreHealth {
            healthy: std::sync::atomic::AtomicBool::new(true),
        }
    }
}

impl StoreHealth {
    /// The value of a store read, or `None` after logging its failure (with `fallback`: what
    /// the client does instead).
    pub(crate) fn check<T>(&self, result: Result<T, StoreError>, fallback: &str) -> Option<T> {
        self.check_write(result, fallback, |_| false)
    }

    /// Like [`StoreHealth::check`], for an operation that may write: when `wrote` says it did,
    /// the store is usable again.
    pub(crate) fn check_write<T>(
        &self,
        result: Result<T, StoreError>,
        fallback: &str,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Option<T> {
        use std::sync::atomic::Ordering::Relaxed;
        match result {
            Ok(v) => {
                if wrote(&v) && !self.healthy.swap(true, Relaxed) {
                    log::info!("token store is answering again");
                }
                Some(v)
            }
            Err(e) if e.is_deadline_exceeded() => {
                log::debug!("{e}");
                None
            }
            Err(e) => {
                if self.healthy.swap(false, Relaxed) {
                    log::warn!("{e}; {fallback} (store errors are not repeated until it recovers)");
                } else {
                    log::debug!("{e}; {fallback}");
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_understands_every_spelling() {
        assert!(open("memory", None).unwrap().is_none());
        assert!(open("", None).unwrap().is_none());
        let dir = std::env::temp_dir().join(format!("officernd-open-{}", std::process::id()));
        let file = open("file", Some(&dir)).unwrap().unwrap();
        assert!(file.describe().starts_with("file:"));
        std::fs::remove_dir_all(&dir).unwrap();
        for bad in ["disk", "http://x"] {
            assert_eq!(open(bad, None).unwrap_err().code(), "config", "{bad}");
        }
        assert!(open("memory", Some(Path::new("/tmp"))).is_err());
    }

    #[test]
    fn describe_spec_never_shows_a_password() {
        assert_eq!(describe_spec("memory", None), "memory");
        assert_eq!(describe_spec("file", Some(Path::new("/x"))), "file:/x");
        let shown = describe_spec("rediss://:pw-123@cache.internal:6380/0", None);
        assert!(
            shown.starts_with("rediss://") && shown.contains("cache.internal"),
            "{shown}"
        );
        assert!(!shown.contains("pw-123"));
        assert!(!describe_spec("redis:/:pw-123@host", None).contains("pw-123"));
    }

    #[test]
    fn key_depends_on_every_part_but_not_scope_order() {
        let s = ClientSecret::new("secret-1");
        let a = Scopes::parse("b a").unwrap();
        let k = StoreKey::derive("u", "id", &s, &a);
        assert_eq!(
            k,
            StoreKey::derive("u", "id", &s, &Scopes::parse("a b a").unwrap())
        );
        assert_ne!(k, StoreKey::derive("u2", "id", &s, &a));
        assert_ne!(k, StoreKey::derive("u", "id2", &s, &a));
        assert_ne!(
            k,
            StoreKey::derive("u", "id", &ClientSecret::new("secret-2"), &a)
        );
        assert_ne!(
            k,
            StoreKey::derive("u", "id", &s, &Scopes::parse("a").unwrap())
        );
        assert!(!k.as_str().contains("secret-1"));
        assert_eq!(k.as_str().len(), 64);
    }

    /// A key knows the budget it draws from: the same for every secret and scopes of one
    /// (token URL, client id), and for every spelling of one endpoint, as the client names it.
    #[test]
    fn key_knows_its_credentials() {
        let s = ClientSecret::new("secret-1");
        let a = Scopes::parse("a").unwrap();
        let url = "https://identity.officernd.com/oauth/token";
        let k = StoreKey::derive(url, "id", &s, &a);
        assert_eq!(k.credentials_hash(), StoreKey::credentials(url, "id"));
        let other = StoreKey::derive(
            url,
            "id",
            &ClientSecret::new("secret-2"),
            &Scopes::default(),
        );
        assert_ne!(k, other);
        assert_eq!(k.credentials_hash(), other.credentials_hash());
        assert_ne!(
            k.credentials_hash(),
            StoreKey::derive(url, "id2", &s, &a).credentials_hash()
        );
        assert!(!k.credentials_hash().contains("secret-1"));
        for raw in [
            "HTTPS://Identity.officernd.com:443/oauth/token/",
            " https://identity.officernd.com/oauth/token?x=1#f ",
            "https://identity.officernd.com./oauth/token",
            "http://127.0.0.1:8080/oauth/token?tenant=a",
        ] {
            // What `TokenClient::new` derives and what it named the budget before keys knew it.
            let url = normalize_token_url(raw);
            let k = StoreKey::derive(&url, "id", &s, &a);
            assert_eq!(
                k.credentials_hash(),
                StoreKey::credentials(&budget_endpoint(&url), "id"),
                "{raw}"
            );
        }
    }
}
