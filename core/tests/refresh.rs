//! Fresh, stale and expired: refresh ahead of expiry by one caller, stale tokens served while it
//! runs or after it fails, never a token with less than `min_validity` left.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use officernd_auth::ManualClock;

#[test]
fn fresh_tokens_come_from_cache() {
    let server = mock();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let t1 = client.token().unwrap();
    clock.advance(Duration::from_secs(3000)); // still before the refresh point (≥ 3269 s)
    for _ in 0..100 {
        assert_eq!(client.token().unwrap(), t1);
    }
    assert_eq!(server.token_requests(), 1);
    assert_eq!(client.stats().cache_hits, 100);
}

#[test]
fn stale_window_serves_old_token_while_one_caller_refreshes() {
    let server = mock();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let old = client.token().unwrap();
    clock.advance(Duration::from_secs(3400)); // stale: past refresh point, > 60 s left

    // The refresh answer is slow; the refresher blocks on it, nobody else does.
    server.push_fault(Fault::Delay(Duration::from_secs(2)));
    let (tx, rx) = mpsc::channel();
    let refresher = {
        let c = client.clone();
        std::thread::spawn(move || {
            let t = c.token().unwrap();
            tx.send(()).unwrap();
            t
        })
    };
    // Wait until the refresh request has reached the server.
    while server.token_requests() < 2 {
        std::thread::yield_now();
    }
    for _ in 0..10 {
        assert_eq!(
            client.token().unwrap(),
            old,
            "stale token served during the refresh"
        );
    }
    assert!(
        rx.try_recv().is_err(),
        "callers were answered while the refresh was still running"
    );
    let new = refresher.join().unwrap();
    assert_ne!(new, old);
    assert_eq!(client.token().unwrap(), new);
    assert_eq!(server.token_requests(), 2);
    assert!(client.stats().stale_served >= 10);
}

#[test]
fn failed_refresh_keeps_serving_the_stale_token_then_backs_off() {
    let server = mock();
    let clock = ManualClock::new();
    let client = builder(&server, &clock).max_retries(0).build().unwrap();
    let old = client.token().unwrap();
    clock.advance(Duration::from_secs(3400));
    server.push_fault(Fault::Status(503));
    assert_eq!(
        client.token().unwrap(),
        old,
        "refresh failed: stale token still served"
    );
    assert_eq!(server.token_requests(), 2);
    // Backing off: the next calls do not hammer the server.
    for _ in 0..20 {
        assert_eq!(client.token().unwrap(), old);
    }
    assert_eq!(server.token_requests(), 2);
    assert_eq!(client.stats().last_error_code, Some("http"));
    // After the backoff (at most 5 s for the first failure) one more refresh, which succeeds.
    clock.advance(Duration::from_secs(6));
    let new = client.token().unwrap();
    assert_ne!(new, old);
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn expired_token_is_never_handed_out() {
    let server = mock();
    let clock = ManualClock::new();
    let client = builder(&server, &clock).max_retries(0).build().unwrap();
    let old = client.token().unwrap();
    clock.advance(Duration::from_secs(3540)); // 59 s left < min_validity 60 s
    server.push_fault(Fault::Status(503));
    let e = client.token().unwrap_err();
    assert_eq!(e.code(), "http");
    let new = client.token().unwrap();
    assert_ne!(new, old);
}

#[test]
fn short_lived_tokens_are_usable() {
    let server =
        MockServer::start(MockConfig::default().without_rate_limit().with_lifetime(30)).unwrap();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let t = client.token().unwrap();
    assert_eq!(
        client.token().unwrap(),
        t,
        "a 30 s token is cached, not born expired"
    );
    assert_eq!(server.token_requests(), 1);
    clock.advance(Duration::from_secs(16)); // past half its life: refresh
    assert_ne!(client.token().unwrap(), t);
}

#[test]
fn invalidate_drops_only_the_current_token() {
    let server = mock();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let first = client.token().unwrap();
    assert!(client.invalidate(&first));
    let second = client.token().unwrap();
    assert_ne!(first, second);
    // A late 401 for the old token must not throw away the newer one.
    assert!(!client.invalidate(&first));
    assert_eq!(client.token().unwrap(), second);
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn after_a_401_the_retry_token_is_a_new_one() {
    let server = mock();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let refused = client.token().unwrap();
    let next = client
        .token_after_unauthorized(&refused)
        .unwrap()
        .expect("a new token");
    assert_ne!(next, refused);
    assert_eq!(server.token_requests(), 2);
    // A late 401 for the old token: the current one is already different, no new request.
    let again = client
        .token_after_unauthorized(&refused)
        .unwrap()
        .expect("the newer token");
    assert_eq!(again, next);
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn a_store_shares_tokens_between_clients_that_do_not_share_memory() {
    let server = mock();
    let clock = ManualClock::new();
    let store = Arc::new(officernd_auth::MemoryStore::new());
    let make = || {
        builder(&server, &clock)
            .share_cache(false)
            .store(store.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    let t = a.token().unwrap();
    assert_eq!(b.token().unwrap(), t, "b adopted a's token from the store");
    assert_eq!(server.token_requests(), 1);
    // Invalidation reaches the store too: c must not adopt the revoked token.
    assert!(a.invalidate(&t));
    let c = make();
    assert_ne!(c.token().unwrap(), t);
    assert_eq!(server.token_requests(), 2);
}
