//! The Redis store: one token per credentials for every host of a fleet (and one request budget).
//!
//! The token sits under a key whose TTL ends at its minimum-validity point; a fetch takes a lock
//! with `SET NX PX` and a random value, released by compare-and-delete in Lua, so a lock that
//! expired and was taken by another host is never deleted by the old holder. The fleet-wide quota
//! is a sorted set of send times, trimmed and checked atomically in Lua.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Client, Connection, Script};

use super::{
    SharedBudget, StoreError, StoreKey, StoreLock, StoredToken, TokenStore, hide_password,
    poll_until, unix_ms,
};
use crate::error::Error;

/// Tokens shared through a Redis server (`redis://` or `rediss://`).
#[derive(Debug)]
pub struct RedisStore {
    client: Client,
    /// The URL without its password, for messages.
    shown: String,
    prefix: String,
    timeout: Duration,
    ttl_margin: Duration,
    conn: Mutex<Option<ConnectionBox>>,
}

/// `redis::Connection` is not `Debug`; this keeps `RedisStore` printable.
struct ConnectionBox(Connection);

impl std::fmt::Debug for ConnectionBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connection")
    }
}

const PUT_IF_NEWER: &str = r#"
local cur = redis.call('HGET', KEYS[1], 'expires')
if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'expires', ARGV[2], 'type', ARGV[3], 'scopes', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"#;

const COMPARE_DELETE_FIELD: &str = r#"
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// Returns -1 when a slot was taken, else milliseconds until the oldest slot frees.
const TAKE_SLOT: &str = r#"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= cap then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"#;

const LOCK_POLL_MIN: Duration = Duration::from_millis(10);
const LOCK_POLL_MAX: Duration = Duration::from_millis(200);

impl RedisStore {
    /// Connects lazily to `url` (`redis://[:password@]host[:port][/db]` or `rediss://…`).
    pub fn new(url: &str) -> Result<RedisStore, Error> {
        let shown = hide_password(url);
        let client = Client::open(url).map_err(|e| Error::Config {
            setting: "store".into(),
            reason: format!("invalid Redis URL {shown}: {:?}", e.kind()),
        })?;
        Ok(RedisStore {
            client,
            shown,
            prefix: "officernd-auth:v1:".into(),
            timeout: Duration::from_millis(500),
            ttl_margin: Duration::from_secs(60),
            conn: Mutex::new(None),
        })
    }

    /// Timeout of each Redis operation (default 500 ms): a slow Redis must not slow `token()`
    /// beyond this before the client falls back to a direct fetch.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn err(&self, what: &str, e: impl std::fmt::Display) -> StoreError {
        StoreError {
            store: self.shown.clone(),
            message: format!("{what}: {e}"),
        }
    }

    /// Runs `f` on the (re)connected connection; a failed connection is dropped so the next
    /// call reconnects (Redis coming back is noticed without a restart).
    fn with_conn<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|e| self.err("connect", e))?;
            conn.set_read_timeout(Some(self.timeout))
                .and_then(|_| conn.set_write_timeout(Some(self.timeout)))
                .map_err(|e| self.err("connect", e))?;
            *slot = Some(ConnectionBox(conn));
        }
        let conn = &mut slot.as_mut().expect("connected above").0;
        f(conn).map_err(|e| {
            *slot = None;
            self.err(what, e)
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }
}

impl TokenStore for RedisStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn get(&self, key: &StoreKey) -> Result<Option<StoredToken>, StoreError> {
        let k = self.key("token", key.as_str());
        let fields: Vec<Option<String>> = self.with_conn("get", |c| {
            redis::cmd("HMGET")
                .arg(&k)
                .arg("token")
                .arg("expires")
                .arg("type")
                .arg("scopes")
                .query(c)
        })?;
        let [Some(token), Some(expires), Some(kind), Some(scopes)] = fields.as_slice() else {
            return Ok(None);
        };
        let Ok(ms) = expires.parse::<u64>() else {
            return Ok(None);
        };
        Ok(Some(StoredToken {
            access_token: token.clone(),
            token_type: kind.clone(),
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            expires_at: UNIX_EPOCH + Duration::from_millis(ms),
        }))
    }

    fn put_if_newer(&self, key: &StoreKey, token: &StoredToken) -> Result<bool, StoreError> {
        let k = self.key("token", key.as_str());
        // The key lives until the token's minimum-validity point, never less than a second.
        let left = token
            .expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .saturating_sub(self.ttl_margin)
            .max(Duration::from_secs(1));
        let written: i64 = self.with_conn("put", |c| {
            Script::new(PUT_IF_NEWER)
                .key(&k)
                .arg(&token.access_token)
                .arg(unix_ms(token.expires_at))
                .arg(&token.token_type)
                .arg(token.scopes.join(" "))
                .arg(left.as_millis() as u64)
                .invoke(c)
        })?;
        Ok(written == 1)
    }

    fn lock(
        &self,
        key: &StoreKey,
        ttl: Duration,
        deadline: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        let k = self.key("lock", key.as_str());
        let value = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let ttl_ms = ttl.as_millis().max(1) as u64;
        poll_until(deadline, LOCK_POLL_MIN, LOCK_POLL_MAX, || {
            let got: Option<String> = self.with_conn("lock", |c| {
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
                    store: self.client.clone(),
                    shown: self.shown.clone(),
                    timeout: self.timeout,
                    key: k.clone(),
                    value: value.clone(),
                    released: false,
                }) as Box<dyn StoreLock>
            }))
        })
    }

    fn compare_delete(&self, key: &StoreKey, access_token: &str) -> Result<bool, StoreError> {
        let k = self.key("token", key.as_str());
        let n: i64 = self.with_conn("delete", |c| {
            Script::new(COMPARE_DELETE_FIELD)
                .key(&k)
                .arg(access_token)
                .invoke(c)
        })?;
        Ok(n == 1)
    }
}

impl SharedBudget for RedisStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        window: Duration,
        now: SystemTime,
    ) -> Result<Option<Duration>, StoreError> {
        let k = self.key("budget", credentials);
        let member = format!("{}-{:016x}", unix_ms(now), fastrand::u64(..));
        let wait_ms: i64 = self.with_conn("budget", |c| {
            Script::new(TAKE_SLOT)
                .key(&k)
                .arg(unix_ms(now))
                .arg(window.as_millis() as u64)
                .arg(capacity)
                .arg(member)
                .invoke(c)
        })?;
        Ok((wait_ms >= 0).then(|| Duration::from_millis(wait_ms as u64)))
    }
}

/// A held Redis fetch lock; released by compare-and-delete.
struct RedisLock {
    store: Client,
    shown: String,
    timeout: Duration,
    key: String,
    value: String,
    released: bool,
}

impl RedisLock {
    fn unlock(&self) -> Result<(), StoreError> {
        let err = |e: redis::RedisError| StoreError {
            store: self.shown.clone(),
            message: format!("unlock: {e}"),
        };
        let mut c = self
            .store
            .get_connection_with_timeout(self.timeout)
            .map_err(err)?;
        let _: i64 = Script::new(UNLOCK)
            .key(&self.key)
            .arg(&self.value)
            .invoke(&mut c)
            .map_err(err)?;
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

    #[test]
    fn password_never_shown() {
        let s = RedisStore::new("redis://:hunter2-pass@127.0.0.1:6379/0").unwrap();
        assert!(!s.describe().contains("hunter2-pass"), "{}", s.describe());
        assert!(!format!("{s:?}").contains("hunter2-pass"));
        let e = RedisStore::new("http://127.0.0.1").unwrap_err();
        assert_eq!(e.code(), "config");
    }
}
