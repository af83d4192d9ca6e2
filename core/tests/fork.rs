//! Fork safety with a real `fork()`: a client made in the parent works in the child, reuses the
//! token cached before the fork, and inherits no lock held by a parent thread.
//! (One file, so this test binary has no other test threads running while it forks.)
//! Unix only: Windows has no `fork()`.
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::*;
use officernd_auth::{ManualClock, TokenClient};

/// Runs `child` in a forked process and returns its exit code.
fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs the client (no locks held by other threads are needed: that
    // is what is under test) and leaves with `_exit`, skipping the parent's destructors.
    unsafe {
        match libc::fork() {
            -1 => panic!("fork failed"),
            0 => {
                let code =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(101);
                libc::_exit(code)
            }
            pid => {
                let mut status = 0;
                assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                assert!(libc::WIFEXITED(status), "child crashed");
                libc::WEXITSTATUS(status)
            }
        }
    }
}

fn check(client: &TokenClient, before: &officernd_auth::Token) -> i32 {
    match client.token() {
        Ok(t) if t == *before => {}
        Ok(_) => return 2, // refetched instead of reusing the cached token
        Err(_) => return 3,
    }
    // A fetch of its own works too (new HTTP agent, no inherited lock).
    client.invalidate(before);
    match client.token() {
        Ok(t) if t != *before => 0,
        Ok(_) => 4,
        Err(_) => 5,
    }
}

#[test]
fn child_reuses_the_cached_token_and_can_fetch() {
    let server = mock();
    let clock = ManualClock::new();
    let client = client(&server, &clock);
    let before = client.token().unwrap();

    assert_eq!(in_child(|| check(&client, &before)), 0);
    assert_eq!(
        server.token_requests(),
        2,
        "one fetch in the parent, one in the child"
    );

    // Meanwhile a parent thread is in the middle of a fetch when the process forks: the child
    // must not wait on that flight (its thread does not exist there).
    let other = builder(&server, &clock)
        .scopes(["officernd.api.read"])
        .build()
        .unwrap();
    server.push_fault(Fault::Delay(Duration::from_secs(2)));
    let fetching = {
        let c = other.clone();
        std::thread::spawn(move || c.token().unwrap())
    };
    while server.token_requests() < 3 {
        std::thread::yield_now();
    }
    let code = in_child(|| match other.token() {
        Ok(_) => 0,
        Err(_) => 6,
    });
    assert_eq!(code, 0);
    fetching.join().unwrap();
}
