//! Regression test for a bug found by adversarial review. The bug: the Redis store takes its times from the Redis server, but the token's
//! remaining life it stores is computed from the *client's* wall clock (`put_if_newer`:
//! `left = token.expires_at − now`, both wall times, `expires_at` stamped when the request was
//! sent). A wall-clock step back during the fetch (NTP) lengthens the stored life by the step:
//! every host of the fleet then believes the token lives that much longer (once its apparent
//! life drops below its lifetime they adopt it, and hand it out past its real expiry).
//! Fixed: the stored expiry is derived from the monotonic time left when it is stored.
// Unix only: these start the machine's redis-server, which a Windows build under Wine cannot.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{Clock, RedisStore, TokenClient, TokenStore};
use officernd_auth_testkit::RedisServer;

/// Real monotonic time; a wall clock that can be stepped.
#[derive(Debug)]
struct SteppableWall {
    step_ms: AtomicI64,
}

impl Clock for SteppableWall {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        let step = self.step_ms.load(Ordering::SeqCst);
        let t = SystemTime::now();
        if step >= 0 {
            t + Duration::from_millis(step as u64)
        } else {
            t - Duration::from_millis(step.unsigned_abs())
        }
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

#[test]
fn a_wall_clock_step_during_a_fetch_never_lengthens_the_token_in_redis() {
    let redis = RedisServer::start();
    let server = mock();
    let store: Arc<dyn TokenStore> = Arc::new(RedisStore::new(&redis.url()).unwrap());
    let clock = Arc::new(SteppableWall {
        step_ms: AtomicI64::new(0),
    });
    let client = TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .token_url(server.token_url())
        .clock(clock.clone() as Arc<dyn Clock>)
        .share_cache(false)
        .store(store)
        .build()
        .unwrap();
    server.push_fault(Fault::Delay(Duration::from_millis(800)));
    let stepper = {
        let clock = clock.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            clock.step_ms.store(-400_000, Ordering::SeqCst);
        })
    };
    client.token().unwrap();
    stepper.join().unwrap();
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut conn).unwrap();
    let mut checked = 0;
    for k in keys {
        let kind: String = redis::cmd("TYPE").arg(&k).query(&mut conn).unwrap();
        if kind != "hash" {
            continue;
        }
        let pttl: i64 = redis::cmd("PTTL").arg(&k).query(&mut conn).unwrap();
        checked += 1;
        assert!(
            pttl <= 3_599_000,
            "the token's key {k} lives {} s in Redis; the token lives at most 3599 s",
            pttl / 1000
        );
    }
    assert_eq!(checked, 1, "one token in Redis");
}
