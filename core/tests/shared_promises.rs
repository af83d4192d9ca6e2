//! The quota and freshness promises across processes that share a store (each "process" here is
//! a client that shares nothing in memory: `share_cache(false)`, its own governor): tokens adopted
//! from a store keep the windows of their original lifetime; a 429 cool-down, a `Retry-After`
//! and a terminal answer hold for everyone sharing the store (memory, file and Redis alike); retries honour `Retry-After` on a
//! 5xx; spellings of one token URL share one budget.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, MemoryStore, TokenClient, TokenClientBuilder, TokenStore};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "officernd-shared-{name}-{}-{:x}",
        std::process::id(),
        fastrand_u64()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8)
}

/// A store the "processes" of a test share: the memory store, the file store and, with the
/// `redis` feature, a real Redis. What the store keeps (a cool-down, a refusal) must hold for
/// each of them alike.
struct Shared {
    name: &'static str,
    store: Arc<dyn TokenStore>,
    /// The store times its cool-downs on the client's clock (`ManualClock` can end them); Redis
    /// takes time from its server.
    client_clock: bool,
    _keep: Box<dyn std::any::Any>,
}

fn shared_stores(test: &str) -> Vec<Shared> {
    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = temp_dir(test);
    let file = officernd_auth::FileStore::new(&dir).unwrap();
    #[allow(unused_mut)]
    let mut stores = vec![
        Shared {
            name: "memory",
            store: Arc::new(MemoryStore::new()),
            client_clock: true,
            _keep: Box::new(()),
        },
        Shared {
            name: "file",
            store: Arc::new(file),
            client_clock: true,
            _keep: Box::new(Dir(dir)),
        },
    ];
    // Redis where the machine's redis-server can run (not under Wine).
    #[cfg(all(feature = "redis", unix))]
    {
        let redis = officernd_auth_testkit::RedisServer::start();
        stores.push(Shared {
            name: "redis",
            store: Arc::new(officernd_auth::RedisStore::new(&redis.url()).unwrap()),
            client_clock: false,
            _keep: Box::new(redis),
        });
    }
    stores
}

/// A client of its own (nothing shared in memory) on `store`.
fn process(b: TokenClientBuilder, store: &Arc<dyn TokenStore>) -> TokenClient {
    b.share_cache(false)
        .store(Arc::clone(store))
        .build()
        .unwrap()
}

#[test]
fn a_token_adopted_late_from_the_file_store_is_not_handed_out_below_min_validity() {
    let server = mock();
    server.set_lifetime(20);
    let clock = ManualClock::new();
    let dir = temp_dir("fresh");
    let store: Arc<dyn TokenStore> = Arc::new(officernd_auth::FileStore::new(&dir).unwrap());
    let b = || {
        builder(&server, &clock)
            .min_validity(Duration::from_secs(5))
            .refresh_ahead(Duration::from_secs(8))
    };
    let first = process(b(), &store).token().unwrap();
    assert_eq!(server.token_requests(), 1);

    // 9 s in: 11 s left, before the refresh point (12 s − jitter): adopted.
    clock.advance(Duration::from_secs(9));
    let adopted = process(b(), &store).token().unwrap();
    assert_eq!(adopted, first);
    assert_eq!(server.token_requests(), 1);

    // 16 s in: 4 s left, below min_validity: a new process must not take it from the store.
    clock.advance(Duration::from_secs(7));
    let late = process(b(), &store).token().unwrap();
    assert_ne!(
        late, first,
        "a token with 4 s left was handed out (min_validity 5 s)"
    );
    assert!(late.expires_in_at(officernd_auth::Clock::now(&clock)) >= Duration::from_secs(5));
    assert_eq!(server.token_requests(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_429_without_retry_after_holds_every_process_sharing_the_store() {
    for Shared {
        name,
        store,
        client_clock,
        _keep,
    } in shared_stores("429")
    {
        let server = mock();
        let clock = ManualClock::new();
        server.push_fault(Fault::TooManyRequests { retry_after: None });
        let a = process(builder(&server, &clock), &store);
        assert_eq!(a.token().unwrap_err().retry_after(), Some(MINUTE), "{name}");
        let b = process(builder(&server, &clock), &store);
        let e = b.token().unwrap_err();
        // Held by the shared cool-down; the 429 was answered to the other process, not this one.
        assert_eq!(
            (e.code(), e.status()),
            ("rate_limited", None),
            "{name}: {e}"
        );
        assert!(e.to_string().contains("asked to wait"), "{name}: {e}");
        assert!(e.retry_after().unwrap() > MINUTE / 2, "{name}: {e:?}");
        assert_eq!(server.token_requests(), 1, "{name}: the other process sent");
        if client_clock {
            clock.advance(MINUTE);
            b.token().unwrap();
            assert_eq!(server.token_requests(), 2, "{name}");
        }
    }
}

/// A 503 with `Retry-After` holds the processes sharing the store too, and none of them claims
/// a 429 that was never answered (the store keeps the pause, not the answer that asked for it).
#[test]
fn a_503_retry_after_holds_every_process_without_claiming_a_429() {
    let server = mock();
    let clock = ManualClock::new();
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    server.push_fault(Fault::StatusWithRetryAfter {
        status: 503,
        retry_after: "30".into(),
    });
    let a = process(builder(&server, &clock).max_retries(0), &store);
    let e = a.token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("http", Some(503)), "{e}");
    let b = process(builder(&server, &clock), &store);
    let e = b.token().unwrap_err();
    assert_eq!((e.code(), e.status()), ("rate_limited", None), "{e}");
    assert!(e.retry_after().unwrap() <= Duration::from_secs(30), "{e:?}");
    assert_eq!(server.token_requests(), 1, "the other process did not send");
}

#[test]
fn a_terminal_answer_is_remembered_for_every_process_sharing_the_store() {
    for Shared { name, store, .. } in shared_stores("terminal") {
        let server = mock();
        let clock = ManualClock::new();
        let wrong = || builder(&server, &clock).client_secret("not-the-secret");
        let first = process(wrong(), &store).token().unwrap_err();
        assert_eq!(first.oauth_error(), Some("invalid_client"), "{name}");
        for _ in 0..5 {
            assert_eq!(
                process(wrong(), &store).token().unwrap_err(),
                first,
                "{name}"
            );
        }
        assert_eq!(
            server.token_requests(),
            1,
            "{name}: not remembered through the store"
        );
        // The right secret is another configuration: not refused.
        process(builder(&server, &clock), &store).token().unwrap();
    }
}

#[test]
fn retry_after_on_a_503_is_honoured_by_the_retry_loop() {
    let server = mock();
    let clock = ManualClock::new();
    let t0 = officernd_auth::Clock::now(&clock);
    server.push_fault(Fault::StatusWithRetryAfter {
        status: 503,
        retry_after: "2".into(),
    });
    let client = builder(&server, &clock).share_cache(false).build().unwrap();
    client.token().unwrap();
    assert_eq!(server.token_requests(), 2);
    let waited = officernd_auth::Clock::now(&clock) - t0;
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");

    // A Retry-After past the caller's deadline (5 s): fail at once, saying when.
    server.push_fault(Fault::StatusWithRetryAfter {
        status: 503,
        retry_after: "30".into(),
    });
    let client = builder(&server, &clock)
        .scopes(["officernd.api.read"])
        .share_cache(false)
        .build()
        .unwrap();
    let e = client.token().unwrap_err();
    assert_eq!(
        (e.status(), e.retry_after()),
        (Some(503), Some(Duration::from_secs(30)))
    );
    assert_eq!(server.token_requests(), 3, "no retry before Retry-After");
    let e = client.token().unwrap_err();
    assert_eq!(e.code(), "rate_limited", "the next call waits too: {e}");
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn spellings_of_one_token_url_share_one_budget() {
    let server = mock();
    let clock = ManualClock::new();
    server.push_faults((0..10).map(|_| Fault::Status(500)));
    let plain = format!("http://localhost:{}/oauth/token", server.addr().port());
    let shouted = format!("HTTP://LocalHost:{}/oauth/token", server.addr().port());
    let a = builder(&server, &clock)
        .token_url(plain)
        .max_retries(0)
        .build()
        .unwrap();
    for _ in 0..5 {
        assert_eq!(a.token().unwrap_err().status(), Some(500));
    }
    let b = builder(&server, &clock)
        .token_url(shouted)
        .scopes(["officernd.api.read"])
        .max_retries(0)
        .build()
        .unwrap();
    assert_eq!(b.token().unwrap_err().code(), "rate_limited");
    assert_eq!(server.token_requests(), 5);
}
