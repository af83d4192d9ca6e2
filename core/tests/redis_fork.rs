//! The Redis store across `fork()`, gunicorn-style: a client and its Redis store made in the
//! parent, a parent thread busy inside Redis calls the whole time, and 40 children forked from
//! the main thread. Every child must get its answers within the store's timeout (plus slack) —
//! none may wait on a lock held by a parent thread that does not exist in the child — and no
//! child may talk over the parent's socket (the parent's thread, checking every answer it gets,
//! would see a reply meant for a child).
//! (One file, so this test binary has no other test threads running while it forks.)
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::io::Read;
use std::os::fd::FromRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{
    ClientSecret, ManualClock, RedisStore, Scopes, StoreKey, StoredToken, Token, TokenClient,
    TokenStore,
};
use officernd_auth_testkit::RedisServer;

const CHILDREN: usize = 40;
/// The store's operation timeout, as in production.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// A child's first call may take a connect and an operation (each bounded by the timeout)
/// plus this before it counts as stuck.
const SLACK: Duration = Duration::from_secs(1);
/// A child that has not answered this long after its fork is killed and counted as hung.
const HANG_BOUND: Duration = Duration::from_secs(4);

/// What a child reports through its pipe: `code first_ms second_ms`.
struct Report {
    code: i32,
    first: Duration,
    second: Duration,
}

/// Forks; the child runs `child` (which returns an exit code and its two call times), writes
/// its report to a pipe and `_exit`s. The parent waits for the report at most `HANG_BOUND`
/// (poll on the pipe, no sleep), then reaps the child; `None` if it hung (then killed).
fn fork_child(child: impl FnOnce() -> (i32, Duration, Duration)) -> Option<Report> {
    let mut fds = [0; 2];
    // SAFETY: plain POSIX calls; the child only runs `child` and leaves with `_exit`, skipping
    // the parent's destructors.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe");
        match libc::fork() {
            -1 => panic!("fork failed"),
            0 => {
                libc::close(fds[0]);
                let (code, first, second) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                    child,
                ))
                .unwrap_or((101, Duration::ZERO, Duration::ZERO));
                let line = format!("{code} {} {}\n", first.as_millis(), second.as_millis());
                libc::write(fds[1], line.as_ptr().cast(), line.len());
                libc::_exit(code)
            }
            pid => {
                libc::close(fds[1]);
                let mut pfd = libc::pollfd {
                    fd: fds[0],
                    events: libc::POLLIN,
                    revents: 0,
                };
                let ready = libc::poll(&mut pfd, 1, HANG_BOUND.as_millis() as libc::c_int);
                if ready != 1 {
                    libc::kill(pid, libc::SIGKILL);
                }
                let mut status = 0;
                assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                let mut text = String::new();
                std::fs::File::from_raw_fd(fds[0])
                    .read_to_string(&mut text)
                    .unwrap();
                if ready != 1 {
                    return None;
                }
                assert!(libc::WIFEXITED(status), "child crashed: {text:?}");
                let mut parts = text.split_whitespace().map(|p| p.parse::<u64>().unwrap());
                let (code, first, second) = (
                    parts.next().unwrap() as i32,
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                assert_eq!(libc::WEXITSTATUS(status), code);
                Some(Report {
                    code,
                    first: Duration::from_millis(first),
                    second: Duration::from_millis(second),
                })
            }
        }
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn stored(token: &str) -> StoredToken {
    StoredToken {
        access_token: token.into(),
        token_type: "Bearer".into(),
        scopes: vec![],
        expires_at: SystemTime::now() + HOUR,
        lifetime: HOUR,
    }
}

/// The child's work. Even children call the store directly first, odd ones go through a client
/// that has nothing in memory (so its first call reads the store); both then do the other, and
/// a client with the token cached before the fork must still answer from memory.
fn child_work(
    i: usize,
    store: &RedisStore,
    probe: &StoreKey,
    cold: &TokenClient,
    warm: &TokenClient,
    shared: &Token,
) -> (i32, Duration, Duration) {
    let direct = || {
        timed(
            || match store.get(probe, SystemTime::now(), Instant::now() + REDIS_TIMEOUT * 4) {
                Ok(Some(t)) if t.access_token == "probe-token" => 0,
                Ok(_) => 20, // someone else's reply
                Err(_) => 21,
            },
        )
    };
    let through_client = || {
        timed(|| match cold.token() {
            Ok(t) if t == *shared => 0,
            Ok(_) => 30, // fetched its own instead of adopting the fleet's
            Err(_) => 31,
        })
    };
    let ((a, first), (b, second)) = if i.is_multiple_of(2) {
        let d = direct();
        (d, through_client())
    } else {
        let c = through_client();
        (c, direct())
    };
    let c = match warm.token() {
        Ok(t) if t == *shared => 0,
        _ => 40,
    };
    (
        [a, b, c].into_iter().find(|&x| x != 0).unwrap_or(0),
        first,
        second,
    )
}

#[test]
fn forty_children_forked_during_redis_calls_each_use_their_own_connection() {
    let server = mock();
    let clock = ManualClock::new();
    let redis = RedisServer::start();
    let store = Arc::new(
        RedisStore::new(&redis.url())
            .unwrap()
            .with_timeout(REDIS_TIMEOUT),
    );
    let with_store = || {
        builder(&server, &clock)
            .share_cache(false)
            .store(store.clone() as Arc<dyn TokenStore>)
            .build()
            .unwrap()
    };
    // The token is fetched once, in the parent, and stored in Redis; `warm` keeps it in
    // memory, `cold` (same settings) has never been used.
    let warm = with_store();
    let shared = warm.token().unwrap();
    let cold = with_store();

    let secret = ClientSecret::new("x");
    let scopes = Scopes::parse("a").unwrap();
    let hammered = StoreKey::derive("hammer", "parent", &secret, &scopes);
    let probe = StoreKey::derive("probe", "child", &secret, &scopes);
    let now = SystemTime::now();
    assert!(
        store
            .put_if_newer(
                &hammered,
                &stored("hammer-token"),
                now,
                std::time::Instant::now() + std::time::Duration::from_secs(5)
            )
            .unwrap()
    );
    assert!(
        store
            .put_if_newer(
                &probe,
                &stored("probe-token"),
                now,
                std::time::Instant::now() + std::time::Duration::from_secs(5)
            )
            .unwrap()
    );

    // A parent thread inside Redis calls the whole time, checking every answer.
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, wrong, failed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let hammer = {
        let (store, stop) = (store.clone(), stop.clone());
        let (calls, wrong, failed) = (calls.clone(), wrong.clone(), failed.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match store.get(
                    &hammered,
                    SystemTime::now(),
                    Instant::now() + REDIS_TIMEOUT * 4,
                ) {
                    Ok(Some(t)) if t.access_token == "hammer-token" => {}
                    Ok(_) => {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                calls.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while calls.load(Ordering::Relaxed) < 100 {
        std::thread::yield_now();
    }

    let started = Instant::now();
    let mut problems = vec![];
    for i in 0..CHILDREN {
        let before = calls.load(Ordering::Relaxed);
        match fork_child(|| child_work(i, &store, &probe, &cold, &warm, &shared)) {
            None => problems.push(format!("child {i}: hung (killed after {HANG_BOUND:?})")),
            Some(r) => {
                if r.code != 0 {
                    problems.push(format!("child {i}: exit code {}", r.code));
                }
                for (name, d) in [("first", r.first), ("second", r.second)] {
                    if d > 2 * REDIS_TIMEOUT + SLACK {
                        problems.push(format!("child {i}: {name} call took {d:?}"));
                    }
                }
            }
        }
        // The parent thread must still be making progress between forks.
        while calls.load(Ordering::Relaxed) < before + 5 {
            std::thread::yield_now();
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    hammer.join().unwrap();

    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        wrong.load(Ordering::Relaxed),
        0,
        "the parent got replies meant for a child: a socket shared across fork()"
    );
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "parent calls failed while children ran"
    );
    assert_eq!(
        server.token_requests(),
        1,
        "every child adopted the token stored in Redis"
    );
    eprintln!(
        "{CHILDREN} children in {elapsed:?}; parent thread made {} Redis calls",
        calls.load(Ordering::Relaxed)
    );
}
