//! The Redis store: one token per credentials for every host of a fleet (and one request budget).
//!
//! Every time is the Redis server's (`TIME` inside the scripts), so hosts whose clocks disagree
//! still agree on expiries and on the budget window. The token sits under a key that lives as
//! long as the token (with the lifetime it was issued with); a fetch takes a lock
//! with `SET NX PX` and a random value, released by compare-and-delete in Lua, so a lock that
//! expired and was taken by another host is never deleted by the old holder. The fleet-wide quota
//! is `governor::Window` in Lua: a sorted set of slots scored by when each frees, plus a
//! cool-down key. Every key of one credentials (token URL and client id) — the tokens, fetch
//! locks and remembered refusals of each of its configurations, its budget and cool-down — is
//! under one hash tag `{<credentials hash>}`, so a Redis Cluster keeps them all in one slot.

mod pool;
mod scripts;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Client, Cmd, Connection, ConnectionLike, Script, TlsCertificates, Value};

use super::{
    RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock, StoredToken,
    TokenStore, hide_password, poll_until,
};
use crate::error::Error;
use pool::Pool;
use scripts::*;

/// Tokens shared through a Redis server (`redis://` or `rediss://`).
///
/// Safe to use from many threads and across `fork()`: every thread's call runs on a connection
/// of its own (idle ones are kept for reuse), and a child process opens its own connections,
/// never the parent's.
///
/// Every operation ends by the caller's deadline: connecting and each round trip wait at most
/// the store's timeout or the time left, whichever is shorter. One that ran out of the store's
/// timeout is a store failure (an outage); one that ran out of the caller's time is
/// [`DeadlineExceeded`](super::StoreErrorKind::DeadlineExceeded), with an unknown outcome.
pub struct RedisStore {
    conns: Arc<Conns>,
    prefix: String,
}

/// What a call needs to reach Redis; shared with the fetch locks it hands out, so that a lock
/// is released over the same connections.
struct Conns {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
    /// `rediss://`.
    tls: bool,
    /// Trusts a CA given by [`RedisStore::with_root_ca`] (or `OFFICERND_REDIS_CA_FILE`).
    custom_ca: bool,
    timeout: Duration,
    pool: Pool,
}

impl std::fmt::Debug for RedisStore {
    /// The URL without its password; never a connection's settings.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.conns.shown)
            .field("custom_ca", &self.conns.custom_ca)
            .field("timeout", &self.conns.timeout)
            .finish_non_exhaustive()
    }
}

const LOCK_POLL_MIN: Duration = Duration::from_millis(10);
const LOCK_POLL_MAX: Duration = Duration::from_millis(200);
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisStore {
    /// Environment variable naming a PEM file of the CA certificate(s) that a `rediss://` store
    /// trusts *instead of* the built-in web PKI roots (a private CA, a self-signed Redis). Read
    /// by [`RedisStore::new`], so it works in every binding and the CLI; not used for
    /// `redis://`.
    pub const CA_FILE_ENV: &str = "OFFICERND_REDIS_CA_FILE";

    /// Connects lazily to `url` (`redis://[:password@]host[:port][/db]` or `rediss://…`).
    /// A `rediss://` store trusts the CA in the file named by `OFFICERND_REDIS_CA_FILE` when
    /// that variable is set, else the built-in web PKI roots.
    pub fn new(url: &str) -> Result<RedisStore, Error> {
        Self::new_with_env(url, |name| std::env::var_os(name))
    }

    /// Like [`Self::new`], reading the environment through `lookup` (for tests).
    pub fn new_with_env(
        url: &str,
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<RedisStore, Error> {
        let shown = hide_password(url);
        let client = Client::open(url).map_err(|e| Error::Config {
            setting: "store".into(),
            reason: format!("invalid Redis URL {shown}: {:?}", e.kind()),
        })?;
        let tls = matches!(
            client.get_connection_info().addr(),
            redis::ConnectionAddr::TcpTls { .. }
        );
        let store = RedisStore {
            conns: Arc::new(Conns::new(client, shown, tls, false, DEFAULT_TIMEOUT)),
            prefix: "officernd-auth:v2:".into(),
        };
        match lookup(Self::CA_FILE_ENV).filter(|v| !v.is_empty()) {
            Some(file) if tls => store.with_root_ca_file(Path::new(&file)),
            Some(_) => {
                log::warn!(
                    "{} is set but the store {} is not rediss:// (no TLS): the CA file is not used",
                    Self::CA_FILE_ENV,
                    store.conns.shown
                );
                Ok(store)
            }
            None => Ok(store),
        }
    }

    /// Trusts only the CA certificate(s) in `pem` (PEM, one or more `CERTIFICATE` blocks) for
    /// this `rediss://` store, instead of the built-in web PKI roots: a Redis whose certificate
    /// a private CA signed. The server's certificate must still name the URL's host.
    pub fn with_root_ca(self, pem: impl Into<Vec<u8>>) -> Result<RedisStore, Error> {
        let bad = |reason: String| Error::Config {
            setting: "store".into(),
            reason,
        };
        if !self.conns.tls {
            return Err(bad(format!(
                "a root CA is for rediss:// (TLS) stores, not {}",
                self.conns.shown
            )));
        }
        let pem = pem.into();
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(
                "the Redis root CA holds no PEM CERTIFICATE block".into()
            ));
        }
        let info = self.conns.client.get_connection_info().clone();
        let client = Client::build_with_tls(
            info,
            TlsCertificates {
                client_tls: None,
                root_cert: Some(pem),
            },
        )
        // Messages about certificates; the connection info (with its password) is not shown.
        .map_err(|e| bad(format!("Redis root CA: {e}")))?;
        let c = &self.conns;
        Ok(RedisStore {
            conns: Arc::new(Conns::new(client, c.shown.clone(), true, true, c.timeout)),
            prefix: self.prefix,
        })
    }

    /// [`Self::with_root_ca`] with the PEM read from `file`.
    pub fn with_root_ca_file(self, file: &Path) -> Result<RedisStore, Error> {
        let pem = std::fs::read(file).map_err(|e| Error::Config {
            setting: Self::CA_FILE_ENV.into(),
            reason: format!("cannot read {}: {e}", file.display()),
        })?;
        self.with_root_ca(pem)
    }

    /// Timeout of each Redis operation (default 500 ms), and of opening a connection: a Redis
    /// that takes longer has failed (a store outage). The caller's deadline bounds every
    /// operation too, when it comes first.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        let c = &self.conns;
        RedisStore {
            conns: Arc::new(Conns::new(
                c.client.clone(),
                c.shown.clone(),
                c.tls,
                c.custom_ca,
                timeout,
            )),
            prefix: self.prefix,
        }
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        self.conns.err(what, e)
    }

    fn with_conn<T>(
        &self,
        what: &str,
        deadline: Instant,
        f: impl FnOnce(&mut dyn ConnectionLike) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        self.conns.with_conn(what, deadline, f)
    }

    /// The key of one configuration's token, fetch lock or remembered refusal:
    /// `officernd-auth:v2:{<credentials>}:<kind>:<configuration>`. The hash tag is its
    /// credentials' ([`StoreKey::credentials_hash`]), the budget's too, so every key of one
    /// credentials sits in one slot of a Redis Cluster; the digest after it tells apart the
    /// configurations (secret, scopes) of those credentials.
    fn key(&self, kind: &str, key: &StoreKey) -> String {
        format!(
            "{}{{{}}}:{kind}:{}",
            self.prefix,
            key.credentials_hash(),
            key.as_str()
        )
    }

    /// The budget and cool-down keys of one credentials, under the same hash tag as
    /// [`Self::key`]'s: `officernd-auth:v2:{<credentials>}:budget` and `…:cooldown`.
    fn budget_keys(&self, credentials: &str) -> (String, String) {
        (
            format!("{}{{{credentials}}}:budget", self.prefix),
            format!("{}{{{credentials}}}:cooldown", self.prefix),
        )
    }

    /// `take_request_slot` at an explicit server time (tests compare it with `Window`).
    pub(crate) fn take_slot_at(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        id: u64,
        now_ms: Option<u64>,
        deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let (budget, cooldown) = self.budget_keys(credentials);
        let (granted, wait, cd): (i64, i64, i64) = self.with_conn("budget", deadline, |c| {
            Script::new(TAKE_SLOT)
                .key(&budget)
                .key(&cooldown)
                .arg(capacity)
                .arg(hold.as_millis() as u64)
                .arg(id)
                .arg(now_arg(now_ms))
                .invoke(c)
        })?;
        Ok(if granted == 1 {
            SlotGrant::Granted(id)
        } else {
            SlotGrant::Wait {
                wait: Duration::from_millis(wait.max(0) as u64),
                cooldown: cd == 1,
            }
        })
    }

    pub(crate) fn finish_slot_at(
        &self,
        credentials: &str,
        id: u64,
        count_for: Duration,
        now_ms: Option<u64>,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let (budget, _) = self.budget_keys(credentials);
        let _: i64 = self.with_conn("budget", deadline, |c| {
            Script::new(FINISH_SLOT)
                .key(&budget)
                .arg(id)
                .arg(count_for.as_millis() as u64)
                .arg(now_arg(now_ms))
                .invoke(c)
        })?;
        Ok(())
    }

    pub(crate) fn cool_down_at(
        &self,
        credentials: &str,
        pause: Duration,
        now_ms: Option<u64>,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let (_, cooldown) = self.budget_keys(credentials);
        let _: i64 = self.with_conn("cool-down", deadline, |c| {
            Script::new(COOL_DOWN)
                .key(&cooldown)
                .arg(pause.as_millis() as u64)
                .arg(now_arg(now_ms))
                .invoke(c)
        })?;
        Ok(())
    }
}

impl Conns {
    fn new(client: Client, shown: String, tls: bool, custom_ca: bool, timeout: Duration) -> Conns {
        Conns {
            client,
            shown,
            tls,
            custom_ca,
            timeout,
            pool: Pool::new(),
        }
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError::new(self.shown.clone(), format!("{what}: {e}"))
    }

    fn cut(&self, what: &str) -> StoreError {
        StoreError::deadline_exceeded(self.shown.clone(), what)
    }

    /// Runs `f` on an idle connection of this process, or a new one. No lock is held while it
    /// runs, so it waits for nothing but its own Redis operation: connecting, then each round
    /// trip, for at most the store's timeout or the time left before `deadline`, whichever is
    /// shorter (none at all once `deadline` has passed). A connection that failed is dropped
    /// with the idle ones, so the next call reconnects (Redis coming back is noticed without a
    /// restart); one cut short by the deadline is dropped alone (a reply may still be on its
    /// way: it must never be read as the answer to the next command).
    fn with_conn<T>(
        &self,
        what: &str,
        deadline: Instant,
        f: impl FnOnce(&mut dyn ConnectionLike) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        if Instant::now() >= deadline {
            return Err(self.cut(what));
        }
        let mut lease = self.pool.lease();
        let conn = match lease.conn() {
            Some(c) => c,
            None => match self.connect(what, deadline) {
                Ok(c) => lease.set(c),
                Err(e) => {
                    if e.is_deadline_exceeded() {
                        lease.close();
                    } else {
                        lease.discard();
                    }
                    return Err(e);
                }
            },
        };
        let mut bounded = Bounded {
            conn,
            deadline,
            limit: self.timeout,
            by_deadline: false,
        };
        let result = f(&mut bounded);
        let by_deadline = bounded.by_deadline;
        match result {
            Ok(v) => {
                lease.give_back();
                Ok(v)
            }
            Err(e) if by_deadline && (e.is_timeout() || Instant::now() >= deadline) => {
                lease.close();
                Err(self.cut(what))
            }
            Err(e) => {
                lease.discard();
                Err(self.err(what, self.explain(&e)))
            }
        }
    }

    /// A new connection, within the store's timeout or until `deadline`, whichever is sooner.
    fn connect(&self, what: &str, deadline: Instant) -> Result<Connection, StoreError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.cut(what));
        }
        let by_deadline = left < self.timeout;
        let conn = self
            .client
            .get_connection_with_timeout(left.min(self.timeout))
            .map_err(|e| {
                if by_deadline && (e.is_timeout() || Instant::now() >= deadline) {
                    self.cut(what)
                } else {
                    self.err(
                        if self.tls { "TLS connect" } else { "connect" },
                        self.explain(&e),
                    )
                }
            })?;
        // Set again before every round trip (`Bounded`); these hold only if one is not.
        conn.set_read_timeout(Some(self.timeout))
            .and_then(|_| conn.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.err("connect", e))?;
        Ok(conn)
    }

    /// The error's text, with a hint where a TLS failure's own words are terse.
    fn explain(&self, e: &redis::RedisError) -> String {
        let text = e.to_string();
        if self.tls && text.contains("certificate") {
            let trusted = if self.custom_ca {
                "the CA given with the store (OFFICERND_REDIS_CA_FILE / with_root_ca)"
            } else {
                "the built-in web PKI roots; set OFFICERND_REDIS_CA_FILE for a private CA"
            };
            format!("{text} (the server's TLS certificate is not trusted: trusting {trusted})")
        } else {
            text
        }
    }
}

/// A connection whose every round trip waits at most the store's timeout or until the
/// caller's deadline, whichever comes first: set before each command, so a script's
/// `EVALSHA`, `SCRIPT LOAD`, `EVALSHA` together still end by the deadline.
struct Bounded<'a> {
    conn: &'a mut Connection,
    deadline: Instant,
    /// The store's timeout.
    limit: Duration,
    /// The last round trip was bounded by the deadline rather than the store's timeout: its
    /// running out is the caller's time running out, not the store failing.
    by_deadline: bool,
}

impl Bounded<'_> {
    fn arm(&mut self) -> redis::RedisResult<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        self.by_deadline = left < self.limit;
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the caller's deadline passed",
            )
            .into());
        }
        let bound = left.min(self.limit);
        self.conn.set_read_timeout(Some(bound))?;
        self.conn.set_write_timeout(Some(bound))
    }
}

impl ConnectionLike for Bounded<'_> {
    fn req_packed_command(&mut self, cmd: &[u8]) -> redis::RedisResult<Value> {
        self.arm()?;
        self.conn.req_packed_command(cmd)
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> redis::RedisResult<Vec<Value>> {
        self.arm()?;
        self.conn.req_packed_commands(cmd, offset, count)
    }

    fn req_command(&mut self, cmd: &Cmd) -> redis::RedisResult<Value> {
        self.arm()?;
        self.conn.req_command(cmd)
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }

    fn supports_pipelining(&self) -> bool {
        self.conn.supports_pipelining()
    }

    fn check_connection(&mut self) -> bool {
        self.arm().is_ok() && self.conn.check_connection()
    }

    fn is_open(&self) -> bool {
        self.conn.is_open()
    }
}

impl TokenStore for RedisStore {
    fn describe(&self) -> String {
        self.conns.shown.clone()
    }

    fn get(
        &self,
        key: &StoreKey,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        let k = self.key("token", key);
        let fields: Option<(String, String, String, String, String)> =
            self.with_conn("get", deadline, |c| {
                Script::new(GET_TOKEN).key(&k).arg("").invoke(c)
            })?;
        let Some((token, left, kind, scopes, lifetime)) = fields else {
            return Ok(None);
        };
        let (Ok(left), Ok(lifetime)) = (left.parse::<i64>(), lifetime.parse::<u64>()) else {
            return Ok(None);
        };
        // Time left on the server's clock, put on the caller's: skewed hosts still agree.
        let expires_at = if left >= 0 {
            now + Duration::from_millis(left as u64)
        } else {
            now.checked_sub(Duration::from_millis(left.unsigned_abs()))
                .unwrap_or(UNIX_EPOCH)
        };
        Ok(Some(StoredToken {
            access_token: token,
            token_type: kind,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            expires_at,
            lifetime: Duration::from_millis(lifetime),
        }))
    }

    fn put_if_newer(
        &self,
        key: &StoreKey,
        token: &StoredToken,
        now: SystemTime,
        deadline: Instant,
    ) -> Result<bool, StoreError> {
        let k = self.key("token", key);
        // The key lives as long as the token; readers decide whether it is still fresh.
        // The script stamps the expiry on the server's clock when it runs, at most one operation
        // timeout from now: counting that time as already gone keeps the stored life no longer
        // than the token's.
        let left = token
            .expires_at
            .duration_since(now)
            .unwrap_or_default()
            .saturating_sub(self.conns.timeout);
        if left.is_zero() {
            return Ok(false);
        }
        let written: i64 = self.with_conn("put", deadline, |c| {
            Script::new(PUT_IF_NEWER)
                .key(&k)
                .arg(&token.access_token)
                .arg(left.as_millis() as u64)
                .arg(&token.token_type)
                .arg(token.scopes.join(" "))
                .arg(token.lifetime.as_millis() as u64)
                .arg("")
                .invoke(c)
        })?;
        Ok(written == 1)
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let k = self.key("lock", key);
        let value = format!(
            "{:016x}{:016x}",
            crate::store::unique_id(),
            crate::store::unique_id()
        );
        let ttl_ms = ttl.as_millis().max(1) as u64;
        // Another holder is waited for until `wait_until`; each attempt's `SET NX` may take
        // until the caller's `deadline` (a short slice must not cut a normal answer short).
        poll_until(
            wait_until.min(deadline),
            LOCK_POLL_MIN,
            LOCK_POLL_MAX,
            || {
                let got: Option<String> = self.with_conn("lock", deadline, |c| {
                    redis::cmd("SET")
                        .arg(&k)
                        .arg(&value)
                        .arg("NX")
                        .arg("PX")
                        .arg(ttl_ms)
                        .query(c)
                })?;
                Ok(got.map(|_| {
                    Box::new(RedisLock {
                        conns: Arc::clone(&self.conns),
                        key: k.clone(),
                        value: value.clone(),
                        deadline,
                        released: false,
                    }) as Box<dyn StoreLock>
                }))
            },
        )
    }

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        deadline: Instant,
    ) -> Result<bool, StoreError> {
        let k = self.key("token", key);
        let n: i64 = self.with_conn("delete", deadline, |c| {
            Script::new(COMPARE_DELETE_FIELD)
                .key(&k)
                .arg(access_token)
                .invoke(c)
        })?;
        Ok(n == 1)
    }
}

/// `governor::Window` in Lua on the Redis server's clock (`TIME`), never the hosts' clocks.
impl SharedBudget for RedisStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        _now: SystemTime,
        deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        let id = crate::store::unique_id();
        self.take_slot_at(credentials, capacity, hold, id, None, deadline)
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        _now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        self.finish_slot_at(credentials, slot, count_for, None, deadline)
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        _now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        self.cool_down_at(credentials, pause, None, deadline)
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        _now: SystemTime,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let k = self.key("refusal", key);
        let json = serde_json::to_string(refusal).map_err(|e| self.err("encode", e))?;
        self.with_conn("remember refusal", deadline, |c| {
            redis::cmd("SET")
                .arg(&k)
                .arg(json)
                .arg("PX")
                .arg(ttl.as_millis().max(1) as u64)
                .query::<()>(c)
        })
    }

    fn remembered_refusal(
        &self,
        key: &StoreKey,
        _now: SystemTime,
        deadline: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let k = self.key("refusal", key);
        let found: Option<(String, i64)> = self.with_conn("refusal", deadline, |c| {
            Script::new(GET_REFUSAL).key(&k).invoke(c)
        })?;
        Ok(found.and_then(|(json, ttl)| {
            let r = serde_json::from_str(&json).ok()?;
            (ttl > 0).then(|| (r, Duration::from_millis(ttl as u64)))
        }))
    }
}

fn now_arg(now_ms: Option<u64>) -> String {
    now_ms.map(|n| n.to_string()).unwrap_or_default()
}

/// A held Redis fetch lock; released by compare-and-delete, over the store's connections, by
/// the deadline of the call that took it (past it, the lock expires by itself).
struct RedisLock {
    conns: Arc<Conns>,
    key: String,
    value: String,
    deadline: Instant,
    released: bool,
}

impl RedisLock {
    fn unlock(&self) -> Result<(), StoreError> {
        let _: i64 = self.conns.with_conn("unlock", self.deadline, |c| {
            Script::new(UNLOCK)
                .key(&self.key)
                .arg(&self.value)
                .invoke(c)
        })?;
        Ok(())
    }
}

impl StoreLock for RedisLock {
    fn release(mut self: Box<Self>) -> Result<(), StoreError> {
        self.released = true;
        // On failure the lock still expires by itself (its TTL).
        self.unlock()
    }
}

impl Drop for RedisLock {
    /// A lock dropped without `release` (an early return, a panic) is released too, so the
    /// other hosts do not wait for its TTL.
    fn drop(&mut self) {
        if !self.released {
            self.released = true;
            if let Err(e) = self.unlock() {
                log::debug!("{e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deadline no test operation comes near.
    #[cfg(unix)] // for the tests that start redis-server
    fn far() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn password_never_shown() {
        let s = RedisStore::new("redis://:hunter2-pass@127.0.0.1:6379/0").unwrap();
        assert!(!s.describe().contains("hunter2-pass"), "{}", s.describe());
        assert!(!format!("{s:?}").contains("hunter2-pass"));
        let e = RedisStore::new("http://127.0.0.1").unwrap_err();
        assert_eq!(e.code(), "config");
    }

    /// The slot Redis Cluster gives `key`: CRC16 (XMODEM) of its hash tag (the part between
    /// the first `{` and the next `}`, when not empty) or of the whole key, mod 16384.
    fn cluster_slot(key: &str) -> u16 {
        let b = key.as_bytes();
        let hashed = match b.iter().position(|&c| c == b'{') {
            Some(open) => match b[open + 1..].iter().position(|&c| c == b'}') {
                Some(len) if len > 0 => &b[open + 1..open + 1 + len],
                _ => b,
            },
            None => b,
        };
        let mut crc: u16 = 0;
        for &byte in hashed {
            crc ^= (byte as u16) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc % 16384
    }

    /// The one script with two keys (the budget's) gets keys of one Cluster slot, for every
    /// credentials; keys of different credentials spread over slots.
    #[test]
    fn budget_keys_share_a_cluster_slot() {
        // The Redis Cluster specification's test vectors.
        assert_eq!(cluster_slot("123456789"), 0x31C3);
        assert_eq!(cluster_slot("foo"), 12182);
        assert_eq!(
            cluster_slot("{user1000}.following"),
            cluster_slot("user1000")
        );
        assert_ne!(cluster_slot("foo{}{bar}"), cluster_slot("bar"));

        let store = RedisStore::new("redis://127.0.0.1:1").unwrap();
        let mut slots = std::collections::HashSet::new();
        for i in 0..50 {
            let credentials =
                super::super::StoreKey::credentials("https://t/oauth/token", &format!("id-{i}"));
            let (budget, cooldown) = store.budget_keys(&credentials);
            assert_ne!(budget, cooldown);
            assert_eq!(
                cluster_slot(&budget),
                cluster_slot(&cooldown),
                "{budget} {cooldown}"
            );
            slots.insert(cluster_slot(&budget));
        }
        assert!(slots.len() > 40, "budgets spread over the cluster");
    }

    /// Every key the store writes for one configuration (token, fetch lock, remembered refusal,
    /// and its credentials' budget and cool-down) is in one Cluster slot; configurations of one
    /// credentials (other secret or scopes) share that slot, with keys of their own.
    #[test]
    fn every_key_of_one_credentials_is_in_one_cluster_slot() {
        use super::super::{ClientSecret, Scopes};
        let store = RedisStore::new("redis://127.0.0.1:1").unwrap();
        let url = "https://identity.officernd.com/oauth/token";
        let configurations = [
            StoreKey::derive(url, "id", &ClientSecret::new("s1"), &Scopes::default()),
            StoreKey::derive(
                url,
                "id",
                &ClientSecret::new("s2"),
                &Scopes::parse("flex.community.members.read").unwrap(),
            ),
        ];
        let every_key = |key: &StoreKey| {
            let (budget, cooldown) = store.budget_keys(key.credentials_hash());
            [
                store.key("token", key),
                store.key("lock", key),
                store.key("refusal", key),
                budget,
                cooldown,
            ]
        };
        let one = cluster_slot(&every_key(&configurations[0])[0]);
        let mut names = std::collections::HashSet::new();
        for key in &configurations {
            for k in every_key(key) {
                assert!(k.starts_with("officernd-auth:v2:"), "{k}");
                assert_eq!(
                    cluster_slot(&k),
                    one,
                    "{k} is not in the slot of the others"
                );
                names.insert(k);
            }
        }
        // The budget and cool-down are one per credentials; the rest one per configuration.
        assert_eq!(names.len(), 2 * 3 + 2, "{names:?}");
        let other = StoreKey::derive(url, "id-2", &ClientSecret::new("s1"), &Scopes::default());
        assert_ne!(cluster_slot(&store.key("token", &other)), one);
    }

    /// The budget script is `governor::Window` in Lua: random sequences of takes, finishes and
    /// cool-downs at explicit times give the same answers from both.
    #[test]
    #[cfg(unix)] // starts the machine's redis-server, which a Windows build under Wine cannot
    fn budget_script_agrees_with_window() {
        use crate::governor::Window;
        let redis = officernd_auth_testkit::RedisServer::start();
        let store = RedisStore::new(&redis.url()).unwrap();
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..20 {
            let cred = format!("c{round}");
            let capacity = rng.u32(1..=5);
            let mut w = Window::default();
            let mut now = 1_700_000_000_000u64;
            let mut ids = vec![];
            for step in 0..60u64 {
                now += rng.u64(0..3_000);
                match rng.u32(..10) {
                    0..=5 => {
                        let id = round * 1000 + step + 1;
                        let hold = rng.u64(1..20_000);
                        let mine = w.take(now, capacity, id, now + hold);
                        let theirs = store
                            .take_slot_at(
                                &cred,
                                capacity,
                                Duration::from_millis(hold),
                                id,
                                Some(now),
                                far(),
                            )
                            .unwrap();
                        let expected = match mine {
                            Ok(()) => {
                                ids.push(id);
                                SlotGrant::Granted(id)
                            }
                            Err(x) => SlotGrant::Wait {
                                wait: Duration::from_millis(x.ms),
                                cooldown: x.cooldown,
                            },
                        };
                        assert_eq!(theirs, expected, "round {round} step {step}");
                    }
                    6..=8 if !ids.is_empty() => {
                        let id = ids[rng.usize(..ids.len())];
                        let after = rng.u64(0..10_000);
                        w.finish(id, now + after);
                        store
                            .finish_slot_at(
                                &cred,
                                id,
                                Duration::from_millis(after),
                                Some(now),
                                far(),
                            )
                            .unwrap();
                    }
                    _ => {
                        let pause = rng.u64(1..5_000);
                        w.cool_down(now + pause);
                        store
                            .cool_down_at(&cred, Duration::from_millis(pause), Some(now), far())
                            .unwrap();
                    }
                }
            }
        }
    }
}
