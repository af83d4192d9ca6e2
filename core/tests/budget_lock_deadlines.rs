//! Regression test for a bug found by adversarial review. The bug: "no caller waits past its deadline" with the file store. In
//! `source/server.rs` `send_with_retries`, `left` is computed *before* `Quota::acquire`, whose
//! store call may itself wait (here: the budget `flock`, polled until the deadline), and the
//! same stale `left` is then given to the HTTP attempt. A budget lock held by another process
//! for 700 ms of a 1 s timeout makes `token()` return after ~1.7 s.
//! Fixed: the attempt gets the time left *after* the slot is taken, and the file store stamps a
//! slot with the time it is granted.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use officernd_auth::{FileStore, TokenClient, TokenStore};

#[test]
fn a_busy_budget_lock_never_holds_a_caller_past_its_deadline() {
    let dir = std::env::temp_dir().join(format!("officernd-review-fdl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&dir).unwrap());
    let server = mock();
    let make = |scopes: &str| {
        TokenClient::builder()
            .client_id(DEMO_CLIENT_ID)
            .client_secret(DEMO_CLIENT_SECRET)
            .scopes([scopes])
            .token_url(server.token_url())
            .timeout(Duration::from_secs(1))
            .share_cache(false)
            .store(store.clone())
            .build()
            .unwrap()
    };
    make("officernd.api.read officernd.api.write")
        .token()
        .unwrap();
    let lock_path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("budget-") && n.ends_with(".lock")
        })
        .expect("the budget lock file");
    // Another process holds the budget lock for 700 ms (a short stall: swapped out, SIGSTOPped
    // by a debugger, a slow disk).
    let (tx, rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .unwrap();
        f.lock().unwrap();
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(700));
        drop(f); // closing the file releases its lock (under Wine, unlock() reports an error)
    });
    rx.recv().unwrap();
    // The identity server is slow to answer.
    server.push_fault(Fault::Delay(Duration::from_secs(3)));
    let other = make("officernd.api.read");
    let start = Instant::now();
    let result = other.token();
    let took = start.elapsed();
    holder.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        took <= Duration::from_millis(1_100),
        "token() with a 1 s timeout took {took:?} ({:?})",
        result.map(|_| "ok")
    );
}

/// The same stale `left`, as a quota violation: the slot is taken for an attempt of `left`
/// (its hold: `left` + window + margin, from the wall time read *before* the budget lock wait),
/// the attempt then runs for `left` from *after* the wait, and `finish` never lengthens a slot.
/// A request that arrives late in that longer attempt is still counted by the server when the
/// slot has already been freed: two arrivals in one window with `max_requests` 1.
#[test]
fn an_attempt_never_outlives_the_slot_it_was_granted() {
    let dir = std::env::temp_dir().join(format!("officernd-review-fdq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&dir).unwrap());
    let server = mock();
    let window = Duration::from_secs(2);
    let make = |scopes: &str| {
        TokenClient::builder()
            .client_id(DEMO_CLIENT_ID)
            .client_secret(DEMO_CLIENT_SECRET)
            .scopes([scopes])
            .token_url(server.token_url())
            .timeout(Duration::from_secs(3))
            .max_requests(1)
            .quota_window(window)
            .share_cache(false)
            .store(store.clone())
            .build()
            .unwrap()
    };
    // Warm-up (creates the budget lock file), then let its slot expire.
    make("officernd.api.read officernd.api.write")
        .token()
        .unwrap();
    std::thread::sleep(window + Duration::from_millis(1_500));
    let lock_path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("budget-") && n.ends_with(".lock")
        })
        .expect("the budget lock file");
    let (tx, rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .unwrap();
        f.lock().unwrap();
        tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(2_500));
        drop(f); // closing the file releases its lock (under Wine, unlock() reports an error)
    });
    rx.recv().unwrap();
    // Its request reaches the server 2 s after it was sent (a slow proxy), and the answer comes
    // back at once: the attempt *ends* then (~8 s after its call began, 5 s past the caller's
    // 3 s timeout), so by the rule its slot counts until end + window + margin. It is freed
    // earlier, at start + timeout + window + margin (start = before the budget lock wait).
    server.push_fault(Fault::SlowArrival(Duration::from_millis(2_000)));
    let slow = make("officernd.api.read").token();
    eprintln!("the slow attempt: {:?}", slow.map(|_| "token"));
    holder.join().unwrap();
    // Another process asks as soon as the shared budget lets it.
    let start = Instant::now();
    while make("officernd.api.write").token().is_err() && start.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let worst = server.max_in_window(window);
    assert!(
        worst <= 1,
        "{worst} arrivals within one {window:?} window with max_requests 1: {:?}",
        server.token_request_arrivals()
    );
}
