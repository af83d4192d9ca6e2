//! The Lua scripts of the Redis store. Each touches only the keys it is given in `KEYS` (never
//! a key it builds itself), and the keys one script is given always share a hash slot: a single
//! key, or the budget and cool-down keys of one credentials — and every key of one credentials
//! is under its hash tag `{…}` anyway. So each script is legal on Redis Cluster (checked by
//! `core/tests/redis_cluster.rs` against a one-node cluster, where Redis itself refuses
//! cross-slot scripts).

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
pub(super) const PUT_IF_NEWER: &str = concat!(
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
pub(super) const GET_TOKEN: &str = concat!(
    lua_now!("1"),
    r#"
local f = redis.call('HMGET', KEYS[1], 'token', 'expires', 'type', 'scopes', 'lifetime')
if not f[1] or not f[2] or not f[5] then return false end
return {f[1], tostring(tonumber(f[2]) - now), f[3] or 'Bearer', f[4] or '', f[5]}
"#
);

pub(super) const COMPARE_DELETE_FIELD: &str = r#"
if redis.call('HGET', KEYS[1], 'token') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

pub(super) const UNLOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// `governor::Window::take` on the server's clock. KEYS: budget (sorted set: slot id → frees at),
/// cool-down (frees at). ARGV: capacity, hold ms, slot id. Returns {granted, wait ms, cooldown}.
pub(super) const TAKE_SLOT: &str = concat!(
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

/// `governor::Window::finish`: the slot counts from now for the given ms, shorter or longer
/// than it was held, and again if it was dropped. KEYS: budget. ARGV: slot id, ms it still
/// counts.
pub(super) const FINISH_SLOT: &str = concat!(
    lua_now!("3"),
    r#"
local frees = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], frees, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(last[2]) - now, 1))
return 1
"#
);

/// `governor::Window::cool_down`. KEYS: cool-down. ARGV: pause ms.
pub(super) const COOL_DOWN: &str = concat!(
    lua_now!("2"),
    r#"
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], untl, 'PX', math.max(tonumber(ARGV[1]), 1)) end
return 1
"#
);

/// KEYS: refusal. Returns {json, ms left} or nil.
pub(super) const GET_REFUSAL: &str = r#"
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(&str, &str); 8] = [
        ("PUT_IF_NEWER", PUT_IF_NEWER),
        ("GET_TOKEN", GET_TOKEN),
        ("COMPARE_DELETE_FIELD", COMPARE_DELETE_FIELD),
        ("UNLOCK", UNLOCK),
        ("TAKE_SLOT", TAKE_SLOT),
        ("FINISH_SLOT", FINISH_SLOT),
        ("COOL_DOWN", COOL_DOWN),
        ("GET_REFUSAL", GET_REFUSAL),
    ];

    /// Redis Cluster checks the keys a script is *given*; the keys it touches are our promise:
    /// every command a script runs works on one of its `KEYS` (or on none: `TIME`), so a
    /// script never reaches a key of another slot.
    #[test]
    fn scripts_touch_only_the_keys_they_are_given() {
        for (name, src) in ALL {
            let mut calls = 0;
            for call in src.split("redis.call(").skip(1) {
                calls += 1;
                let args = call.split(')').next().unwrap();
                let mut parts = args.split(',').map(str::trim);
                let command = parts.next().unwrap().trim_matches('\'');
                if command == "TIME" {
                    assert_eq!(parts.next(), None, "{name}: {args}");
                    continue;
                }
                let key = parts.next().unwrap_or_default();
                assert!(
                    key == "KEYS[1]" || key == "KEYS[2]",
                    "{name}: {command} on {key:?}, not one of its KEYS"
                );
                assert!(
                    key == "KEYS[1]" || name == "TAKE_SLOT",
                    "{name}: only the budget script takes two keys"
                );
            }
            assert!(calls > 0, "{name}");
            assert!(!src.contains("pcall"), "{name}: every call is a redis.call");
        }
    }
}
