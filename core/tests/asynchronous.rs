//! The async API (feature `async`) against the mock: a slow fetch never blocks the executor, many
//! tasks still make one request, a dropped waiter cancels nothing, and it works without tokio.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, Token, TokenClient};

fn setup() -> (MockServer, TokenClient) {
    let server = mock();
    let client = client(&server, &ManualClock::new());
    (server, client)
}

/// Polls `future` once, without an executor: `Pending` means it did not run its work in place.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test(flavor = "current_thread")]
async fn a_slow_fetch_leaves_a_current_thread_runtime_free() {
    let (server, client) = setup();
    server.push_fault(Fault::Delay(Duration::from_millis(800)));
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let before = ticks.load(Ordering::SeqCst);
    let token = client.token_async().await.unwrap();
    // Read before this task yields again: had the fetch blocked the runtime's only thread, the
    // ticker could not have run while it lasted (about 80 ticks of 10 ms).
    let during = ticks.load(Ordering::SeqCst) - before;
    ticker.abort();
    assert!(
        during >= 20,
        "the ticker ticked {during} times during an 800 ms fetch"
    );
    assert_eq!(server.token_requests(), 1);
    // Fresh now: answered in place, no request, no thread.
    let mut again = pin!(client.token_async());
    match poll_once(again.as_mut()) {
        Poll::Ready(t) => assert!(t.unwrap().same_token(&token)),
        Poll::Pending => panic!("a fresh token must be answered without a thread hop"),
    }
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_on_an_empty_cache_send_one_request() {
    let (server, client) = setup();
    // A slow answer: every task arrives while the one request is in flight.
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token_async().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(server.token_requests(), 1, "one request for 64 tasks");
    assert!(tokens.windows(2).all(|w| w[0].same_token(&w[1])));
    assert_eq!(client.stats().requests_sent(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_dropped_waiter_neither_cancels_the_fetch_nor_sticks_the_flight() {
    let (server, client) = setup();
    server.push_fault(Fault::Delay(Duration::from_millis(800)));
    // The first caller gives up long before the answer comes: its future is dropped.
    let impatient = tokio::time::timeout(Duration::from_millis(50), client.token_async()).await;
    assert!(
        impatient.is_err(),
        "timed out while the fetch was in flight"
    );
    // The others are served — by the request already in flight, not by a new one.
    let others: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.token_async().await })
        })
        .collect();
    let mut tokens: Vec<Token> = Vec::new();
    for task in others {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(
        server.token_requests(),
        1,
        "the dropped future cancelled nothing"
    );
    assert!(tokens.windows(2).all(|w| w[0].same_token(&w[1])));
    // The flight is not stuck: a later fetch goes out and succeeds.
    assert!(client.invalidate_async(&tokens[0]).await);
    let next = client.token_async().await.unwrap();
    assert!(!next.same_token(&tokens[0]));
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn without_tokio_the_fetch_runs_on_a_thread_of_its_own() {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "no runtime here"
    );
    let (server, client) = setup();
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let mut first = pin!(client.token_async());
    assert!(
        poll_once(first.as_mut()).is_pending(),
        "the fetch does not run on the polling thread"
    );
    let token = futures_executor::block_on(first).unwrap();
    assert_eq!(server.token_requests(), 1);
    // Fresh: answered in place.
    assert!(poll_once(pin!(client.token_async())).is_ready());

    // Concurrent callers, each on its own executor: still one request.
    client.invalidate(&token);
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let tokens: Vec<Token> = std::thread::scope(|s| {
        let callers: Vec<_> = (0..8)
            .map(|_| s.spawn(|| futures_executor::block_on(client.token_async()).unwrap()))
            .collect();
        callers.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert_eq!(server.token_requests(), 2);
    assert!(tokens.windows(2).all(|w| w[0].same_token(&w[1])));
}

#[test]
fn without_tokio_a_dropped_waiter_cancels_nothing() {
    let (server, client) = setup();
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    {
        // Polled once (its thread starts the fetch), then dropped.
        let mut gone = pin!(client.token_async());
        assert!(poll_once(gone.as_mut()).is_pending());
    }
    let token = futures_executor::block_on(client.token_async()).unwrap();
    assert_eq!(
        server.token_requests(),
        1,
        "the dropped caller's fetch was shared"
    );
    let stats = client.stats();
    assert_eq!(stats.requests_ok, 1);
    // And later calls go on normally.
    assert!(futures_executor::block_on(client.invalidate_async(&token)));
    futures_executor::block_on(client.token_async()).unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "current_thread")]
async fn errors_reach_every_async_waiter() {
    let server = mock();
    let client = builder(&server, &ManualClock::new())
        .client_secret("wrong-secret-value")
        .build()
        .unwrap();
    server.push_fault(Fault::Delay(Duration::from_millis(300)));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authorization_header_async().await })
        })
        .collect();
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert_eq!(err.code(), "oauth", "{err}");
    }
    assert_eq!(server.token_requests(), 1);
}
