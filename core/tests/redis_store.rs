//! The Redis store inside one process: clients that share no memory share Redis; an outage
//! degrades to direct fetches with one warning, and Redis is used again once it is back.
// Unix only: these start the machine's redis-server, which a Windows build under Wine cannot.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, RedisStore, TokenClient, TokenStore};
use officernd_auth_testkit::RedisServer;

/// Counts warnings that mention the store, for "one warning per outage".
struct CountingLogger {
    store_warnings: AtomicUsize,
    lines: Mutex<Vec<String>>,
}

impl log::Log for CountingLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        let line = r.args().to_string();
        if r.level() == log::Level::Warn && line.contains("redis://") {
            self.store_warnings.fetch_add(1, Ordering::SeqCst);
        }
        self.lines.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static LOGGER: CountingLogger = CountingLogger {
    store_warnings: AtomicUsize::new(0),
    lines: Mutex::new(Vec::new()),
};

fn isolated(server: &MockServer, clock: &ManualClock, store: &Arc<RedisStore>) -> TokenClient {
    builder(server, clock)
        .share_cache(false)
        .store(store.clone() as Arc<dyn TokenStore>)
        .build()
        .unwrap()
}

#[test]
fn shared_through_redis_degrades_during_an_outage_and_recovers() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let server = mock();
    let clock = ManualClock::new();
    let mut redis = RedisServer::start();
    let store = Arc::new(RedisStore::new(&redis.url()).unwrap());

    let t = isolated(&server, &clock, &store).token().unwrap();
    assert_eq!(isolated(&server, &clock, &store).token().unwrap(), t);
    assert_eq!(
        server.token_requests(),
        1,
        "the second client adopted the token from Redis"
    );

    // Outage: this process no longer knows what the fleet sent, so it waits one window (plus a
    // jitter) before its first request, then sends at most one per window. Reported once.
    redis.stop();
    let during = isolated(&server, &clock, &store);
    let held = during.token().unwrap_err();
    assert_eq!(held.code(), "rate_limited", "{held}");
    let wait = held.retry_after().unwrap();
    assert!(
        wait > MINUTE + MARGIN && wait <= MINUTE + MARGIN + MINUTE / 5,
        "{wait:?}"
    );
    assert_eq!(server.token_requests(), 1, "nothing sent");
    clock.advance(wait);
    let t = during.token().unwrap();
    assert_eq!(server.token_requests(), 2);
    during.invalidate(&t);
    assert_eq!(during.token().unwrap_err().code(), "rate_limited");
    assert_eq!(server.token_requests(), 2, "one request per window");
    assert_eq!(
        LOGGER.store_warnings.load(Ordering::SeqCst),
        1,
        "{:?}",
        LOGGER.lines.lock()
    );
    clock.advance(MINUTE + MARGIN);

    // Redis is back (empty): the next fetch is stored there and adopted by a new client.
    redis.restart();
    let fresh = during.token().unwrap();
    assert_eq!(server.token_requests(), 3);
    assert_eq!(isolated(&server, &clock, &store).token().unwrap(), fresh);
    assert_eq!(server.token_requests(), 3, "Redis is used again");
    assert!(
        LOGGER
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("answering again")),
        "recovery is logged"
    );
}

/// The fleet's budget runs on the Redis server's clock: a host whose clock is ahead gets no
/// extra slot.
#[test]
fn the_redis_budget_ignores_the_hosts_clocks() {
    use officernd_auth::{SharedBudget, SlotGrant};
    use std::time::{Instant, SystemTime};
    let redis = RedisServer::start();
    let deadline = Instant::now() + Duration::from_secs(5);
    let store = RedisStore::new(&redis.url()).unwrap();
    let hold = Duration::from_secs(70);
    for _ in 0..5 {
        let g = store
            .take_request_slot("skew", 5, hold, SystemTime::now(), deadline)
            .unwrap();
        assert!(matches!(g, SlotGrant::Granted(_)));
    }
    for ahead in [3, 61, 3600] {
        let host = SystemTime::now() + Duration::from_secs(ahead);
        let g = store
            .take_request_slot("skew", 5, hold, host, deadline)
            .unwrap();
        assert!(
            matches!(g, SlotGrant::Wait { .. }),
            "{ahead} s ahead: {g:?}"
        );
    }
}
