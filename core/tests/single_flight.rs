//! Many callers, one request: an empty cache under a stampede, and every waiter gets the outcome.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, TokenClient};

fn stampede<T: Send + 'static>(
    threads: usize,
    client: &TokenClient,
    f: impl Fn(&TokenClient) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(threads));
    let f = Arc::new(f);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (c, b, f) = (client.clone(), barrier.clone(), f.clone());
            std::thread::spawn(move || {
                b.wait();
                f(&c)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn sixty_four_threads_on_an_empty_cache_send_one_request() {
    let server = mock();
    let clock = ManualClock::new();
    // A slow answer makes sure every thread arrives while the one request is in flight.
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let client = client(&server, &clock);
    let tokens = stampede(64, &client, |c| c.access_token().unwrap());
    assert_eq!(server.token_requests(), 1);
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "everyone got the same token"
    );
    let stats = client.stats();
    assert_eq!(stats.requests_sent(), 1);
    assert_eq!(stats.requests_ok, 1);
}

#[test]
fn every_waiter_gets_the_leaders_error() {
    let server = mock();
    let clock = ManualClock::new();
    // Delayed, then refused (wrong secret): all callers pile up behind the one slow request.
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let client = builder(&server, &clock)
        .client_secret("wrong-secret-value")
        .build()
        .unwrap();
    let errors = stampede(32, &client, |c| c.token().unwrap_err());
    assert_eq!(server.token_requests(), 1, "one request for 32 callers");
    for e in errors {
        assert_eq!(e.oauth_error(), Some("invalid_client"), "{e}");
    }
}

#[test]
fn clients_with_the_same_settings_share_one_cache() {
    let server = mock();
    let clock = ManualClock::new();
    let a = client(&server, &clock);
    let b = builder(&server, &clock)
        .scopes([
            "officernd.api.write",
            "officernd.api.read",
            "officernd.api.read",
        ])
        .build()
        .unwrap();
    assert_eq!(a.access_token().unwrap(), b.access_token().unwrap());
    assert_eq!(
        server.token_requests(),
        1,
        "scope order and duplicates make no new key"
    );

    let other_scopes = builder(&server, &clock)
        .scopes(["officernd.api.read"])
        .build()
        .unwrap();
    other_scopes.token().unwrap();
    assert_eq!(server.token_requests(), 2);

    let isolated = builder(&server, &clock).share_cache(false).build().unwrap();
    isolated.token().unwrap();
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn a_throwaway_client_per_request_reuses_the_cache_and_the_budget() {
    let server = mock();
    let clock = ManualClock::new();
    for _ in 0..20 {
        // Built and dropped per "request", as web handlers often do.
        client(&server, &clock).token().unwrap();
    }
    assert_eq!(server.token_requests(), 1);
}

/// What a binding needs to keep the token on its side of an FFI boundary: how long it stays
/// fresh, and a counter that moves on every change of the shared cache, by any client.
#[test]
fn fresh_for_and_the_change_counter_track_the_shared_cache() {
    use std::sync::atomic::Ordering::SeqCst;
    let server = mock();
    let clock = officernd_auth::ManualClock::new();
    let a = client(&server, &clock);
    let b = client(&server, &clock);
    let counter = a.change_counter();
    let before = counter.load(SeqCst);
    assert!(a.fresh_for().is_none());
    let t = a.token().unwrap();
    assert_eq!(counter.load(SeqCst), before + 1);
    let (same, fresh) = a.fresh_for().unwrap();
    assert_eq!(same, t);
    // Refresh point: 300 s (+ up to 10 % jitter) before the 3599 s expiry.
    assert!(
        fresh <= Duration::from_secs(3299) && fresh >= Duration::from_secs(3268),
        "{fresh:?}"
    );
    b.invalidate(&t);
    assert_eq!(
        counter.load(SeqCst),
        before + 2,
        "another client's invalidation counts"
    );
    assert!(a.fresh_for().is_none());
}
