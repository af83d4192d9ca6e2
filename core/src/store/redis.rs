//! The Redis store: one token per credentials for every host of a fleet (and one request budget).
//!
//! Every time is the Redis server's (`TIME` inside the scripts), so hosts whose clocks disagree
//! still agree on expiries and on the budget window. The token sits under a key that lives as
//! long as the token (with the lifetime it was issued with); a fetch takes a lock
//! with `SET NX PX` and a random value, released by compare-and-delete in Lua, so a lock that
//! expired and was taken by another host is never deleted by the old holder. The fleet-wide quota
//! is `governor::Window` in Lua: a sorted set of slots scored by when each frees, plus a
//! cool-down key, both under one hash tag (Redis Cluster keeps them in one slot).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Client, Connection, Script};

use super::{
    RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey, StoreLock, StoredToken,
    TokenStore, hide_password, poll_until,
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
    conn: Mutex<Option<ConnectionBox>>,
}

/// `redis::Connection` is not `Debug`; this keeps `RedisStore` printable.
struct ConnectionBox(Connection);

impl std::fmt::Debug for ConnectionBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connection")
    }
}

/// The server's clock, in ms; tests pass an explicit `now` as the last argument to compare the
/// scripts with `governor::Window` (production always passes an empty string).
macro_rules! lua_now {
    ($arg:literal) => {
        concat!(
            "local now\nif ARGV[",
            $arg,
            "] ~= '' then now = tonumber(ARGV[",
            $arg,
            "]) else local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end\n"
        )
    };
}

/// KEYS: token. ARGV: token, expires_in ms (from the caller's now), type, scopes, lifetime ms.
const PUT_IF_NEWER: &str = concat!(
    lua_now!("6"),
    r#"
local expires = now + tonumber(ARGV[2])
local cur = redis.call('HGET', KEYS[1], 'expires')
if cur and tonumber(cur) >= expires then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'expires', expires, 'type', ARGV[3], 'scopes', ARGV[4], 'lifetime', ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[2]), 1))
return 1
"#
);

/// KEYS: token. Returns token, ms left (on the server's clock), type, scopes, lifetime ms.
const GET_TOKEN: &str = concat!(
    lua_now!("1"),
    r#"
local f = redis.call('HMGET', KEYS[1], 'token', 'expires', 'type', 'scopes', 'lifetime')
if not f[1] or not f[2] or not f[5] then return false end
return {f[1], tostring(tonumber(f[2]) - now), f[3] or 'Bearer', f[4] or '', f[5]}
"#
);

const COMPARE_DELETE_FIELD: &str = r#"
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// `governor::Window::take` on the server's clock. KEYS: budget (sorted set: slot id → frees at),
/// cool-down (frees at). ARGV: capacity, hold ms, slot id. Returns {granted, wait ms, cooldown}.
const TAKE_SLOT: &str = concat!(
    lua_now!("4"),
    r#"
local cd = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < cd then return {0, cd - now, 1} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.max(tonumber(first[2]) - now, 1), 0}
end
local frees = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], frees, ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(last[2]) - now, 1))
return {1, 0, 0}
"#
);

/// `governor::Window::finish`. KEYS: budget. ARGV: slot id, ms it still counts.
const FINISH_SLOT: &str = concat!(
    lua_now!("3"),
    r#"
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur then return 0 end
local frees = now + tonumber(ARGV[2])
if frees < tonumber(cur) then redis.call('ZADD', KEYS[1], 'XX', frees, ARGV[1]) end
return 1
"#
);

/// `governor::Window::cool_down`. KEYS: cool-down. ARGV: pause ms.
const COOL_DOWN: &str = concat!(
    lua_now!("2"),
    r#"
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], untl, 'PX', math.max(tonumber(ARGV[1]), 1)) end
return 1
"#
);

/// KEYS: refusal. Returns {json, ms left} or nil.
const GET_REFUSAL: &str = r#"
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
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
            prefix: "officernd-auth:v2:".into(),
            timeout: Duration::from_millis(500),
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

    /// Budget keys of one credentials share a hash tag, so the budget script's two keys sit in
    /// one slot of a Redis Cluster.
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
    ) -> Result<SlotGrant, StoreError> {
        let (budget, cooldown) = self.budget_keys(credentials);
        let (granted, wait, cd): (i64, i64, i64) = self.with_conn("budget", |c| {
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
    ) -> Result<(), StoreError> {
        let (budget, _) = self.budget_keys(credentials);
        let _: i64 = self.with_conn("budget", |c| {
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
    ) -> Result<(), StoreError> {
        let (_, cooldown) = self.budget_keys(credentials);
        let _: i64 = self.with_conn("cool-down", |c| {
            Script::new(COOL_DOWN)
                .key(&cooldown)
                .arg(pause.as_millis() as u64)
                .arg(now_arg(now_ms))
                .invoke(c)
        })?;
        Ok(())
    }
}

impl TokenStore for RedisStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn get(&self, key: &StoreKey, now: SystemTime) -> Result<Option<StoredToken>, StoreError> {
        let k = self.key("token", key.as_str());
        let fields: Option<(String, String, String, String, String)> =
            self.with_conn("get", |c| Script::new(GET_TOKEN).key(&k).arg("").invoke(c))?;
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
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
        let k = self.key("token", key.as_str());
        // The key lives as long as the token; readers decide whether it is still fresh.
        let left = token.expires_at.duration_since(now).unwrap_or_default();
        if left.is_zero() {
            return Ok(false);
        }
        let written: i64 = self.with_conn("put", |c| {
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

    fn compare_delete(
        &self,
        key: &StoreKey,
        access_token: &str,
        _deadline: Instant,
    ) -> Result<bool, StoreError> {
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

/// `governor::Window` in Lua on the Redis server's clock (`TIME`), never the hosts' clocks.
impl SharedBudget for RedisStore {
    fn take_request_slot(
        &self,
        credentials: &str,
        capacity: u32,
        hold: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<SlotGrant, StoreError> {
        self.take_slot_at(credentials, capacity, hold, fastrand::u64(1..), None)
    }

    fn finish_request_slot(
        &self,
        credentials: &str,
        slot: u64,
        count_for: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        self.finish_slot_at(credentials, slot, count_for, None)
    }

    fn start_cooldown(
        &self,
        credentials: &str,
        pause: Duration,
        _now: SystemTime,
        _deadline: Instant,
    ) -> Result<(), StoreError> {
        self.cool_down_at(credentials, pause, None)
    }

    fn remember_refusal(
        &self,
        key: &StoreKey,
        refusal: &RememberedRefusal,
        ttl: Duration,
        _now: SystemTime,
    ) -> Result<(), StoreError> {
        let k = self.key("refusal", key.as_str());
        let json = serde_json::to_string(refusal).map_err(|e| self.err("encode", e))?;
        self.with_conn("remember refusal", |c| {
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
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        let k = self.key("refusal", key.as_str());
        let found: Option<(String, i64)> =
            self.with_conn("refusal", |c| Script::new(GET_REFUSAL).key(&k).invoke(c))?;
        Ok(found.and_then(|(json, ttl)| {
            let r = serde_json::from_str(&json).ok()?;
            (ttl > 0).then(|| (r, Duration::from_millis(ttl as u64)))
        }))
    }
}

fn now_arg(now_ms: Option<u64>) -> String {
    now_ms.map(|n| n.to_string()).unwrap_or_default()
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

    /// The budget script is `governor::Window` in Lua: random sequences of takes, finishes and
    /// cool-downs at explicit times give the same answers from both.
    #[test]
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
                            .finish_slot_at(&cred, id, Duration::from_millis(after), Some(now))
                            .unwrap();
                    }
                    _ => {
                        let pause = rng.u64(1..5_000);
                        w.cool_down(now + pause);
                        store
                            .cool_down_at(&cred, Duration::from_millis(pause), Some(now))
                            .unwrap();
                    }
                }
            }
        }
    }
}
