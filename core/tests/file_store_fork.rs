//! The file store's `flock`s across `fork()`, gunicorn-style: a store made in the parent, a
//! parent thread busy with store calls (each under the budget lock or a key's guard) the whole
//! time, and children forked from the main thread that stay alive without touching the store.
//! A `flock` belongs to the open file, which a child forked while the lock is held shares: if
//! closing its descriptor were all that released it, the lock would stay held for as long as
//! such a child lives, and every process on the machine would fail at its deadline. And a child
//! that drops a fetch lock it inherited must not release its parent's.
//! (One file, its tests one at a time: no other test's threads run while one forks.)
#![cfg(unix)]

#[path = "common/store_files.rs"]
mod store_files;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use officernd_auth::{
    ClientSecret, FileStore, Scopes, SharedBudget, SlotGrant, StoreKey, StoredToken, TokenStore,
};
use store_files::StoreDir;

const CHILDREN: usize = 20;
/// Every store call's deadline: a lock held by nobody alive is never waited for this long.
const DEADLINE: Duration = Duration::from_secs(2);
const CREDENTIALS: &str = "fork-credentials";
const HOUR: Duration = Duration::from_secs(3600);

/// Held by each test for its whole run.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn key(name: &str) -> StoreKey {
    StoreKey::derive(
        "https://x/t",
        name,
        &ClientSecret::new("s"),
        &Scopes::parse("a").unwrap(),
    )
}

fn stored(token: &str, expires_at: SystemTime) -> StoredToken {
    StoredToken {
        access_token: token.into(),
        token_type: "Bearer".into(),
        scopes: vec![],
        expires_at,
        lifetime: HOUR,
    }
}

fn deadline() -> Instant {
    Instant::now() + DEADLINE
}

/// A child that stays alive, doing nothing, until the parent closes `release` (its write end):
/// a worker that never touches the store. Returns its pid.
fn idle_child(release: &[libc::c_int; 2]) -> libc::pid_t {
    // SAFETY: the child makes only async-signal-safe calls (close, read, _exit).
    unsafe {
        match libc::fork() {
            -1 => panic!("fork failed"),
            0 => {
                libc::close(release[1]);
                let mut b = 0u8;
                while libc::read(release[0], (&raw mut b).cast(), 1) != 0 {}
                libc::_exit(0)
            }
            pid => pid,
        }
    }
}

/// Runs `child` in a forked process and returns its exit code.
fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs `child` and leaves with `_exit`, skipping the parent's destructors.
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

/// A budget slot, a put and a compare-delete on `store`, each within its deadline; 0 or which
/// one failed.
fn store_calls(store: &FileStore, key: &StoreKey, token: &str) -> i32 {
    let now = SystemTime::now();
    match store.take_request_slot(CREDENTIALS, 1000, Duration::from_millis(1), now, deadline()) {
        Ok(SlotGrant::Granted(slot)) => {
            if store
                .finish_request_slot(CREDENTIALS, slot, Duration::ZERO, now, deadline())
                .is_err()
            {
                return 11;
            }
        }
        _ => return 10,
    }
    match store.put_if_newer(key, &stored(token, now + HOUR), now, deadline()) {
        Ok(true) => {}
        _ => return 12,
    }
    match store.compare_delete(key, token, deadline()) {
        Ok(true) => 0,
        _ => 13,
    }
}

#[test]
fn children_forked_while_a_thread_holds_file_locks_never_keep_them() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = StoreDir::new("file-fork");
    let store = Arc::new(FileStore::new(&dir.path).unwrap());

    // A parent thread inside the budget lock and a key's guard the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let hammer = {
        let (store, stop, calls, failed) =
            (store.clone(), stop.clone(), calls.clone(), failed.clone());
        std::thread::spawn(move || {
            let key = key("hammer");
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let now = SystemTime::now();
                let ok = store
                    .start_cooldown(CREDENTIALS, Duration::ZERO, now, deadline())
                    .is_ok()
                    && store
                        .put_if_newer(&key, &stored("hammer", now + HOUR), now, deadline())
                        .is_ok()
                    && store.compare_delete(&key, "hammer", deadline()).is_ok();
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                calls.store(n, Ordering::Relaxed);
            }
        })
    };
    while calls.load(Ordering::Relaxed) < 20 {
        std::thread::yield_now();
    }

    let mut release = [0; 2];
    // SAFETY: a plain pipe; its ends are closed below.
    assert_eq!(unsafe { libc::pipe(release.as_mut_ptr()) }, 0);
    let mut children = vec![];
    for _ in 0..CHILDREN {
        let before = calls.load(Ordering::Relaxed);
        children.push(idle_child(&release));
        // Forks spread over the parent thread's calls.
        while calls.load(Ordering::Relaxed) < before + 2 {
            std::thread::yield_now();
        }
    }

    // With every child still alive: the parent's other threads, and a process of its own
    // (another store on the directory: no open file shared with the parent), get every lock.
    let in_parent = store_calls(&store, &key("parent"), "parent");
    let in_fresh = in_child(|| {
        let store = FileStore::new(&dir.path).unwrap();
        store_calls(&store, &key("fresh"), "fresh")
    });
    stop.store(true, Ordering::Relaxed);
    hammer.join().unwrap();

    // SAFETY: closing the write end lets every child's read end; then each is reaped.
    unsafe {
        libc::close(release[0]);
        libc::close(release[1]);
        for pid in children {
            assert_eq!(libc::waitpid(pid, std::ptr::null_mut(), 0), pid);
        }
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "the parent thread's store calls failed while children lived (of {})",
        calls.load(Ordering::Relaxed)
    );
    assert_eq!(in_parent, 0, "the parent's main thread");
    assert_eq!(in_fresh, 0, "another process");
}

#[test]
fn a_child_dropping_an_inherited_fetch_lock_leaves_the_parents_held() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = StoreDir::new("file-fork-lock");
    let store = FileStore::new(&dir.path).unwrap();
    let other = FileStore::new(&dir.path).unwrap();
    let key = key("fetch");
    let mut held = store.lock(&key, HOUR, deadline(), deadline()).unwrap();
    assert!(held.is_some());

    // One child releases its copy, another drops it.
    assert_eq!(
        in_child(|| i32::from(held.take().unwrap().release().is_err())),
        0
    );
    assert_eq!(
        in_child(|| {
            drop(held.take());
            0
        }),
        0
    );

    let soon = Instant::now() + Duration::from_millis(200);
    assert!(
        other.lock(&key, HOUR, soon, soon).unwrap().is_none(),
        "a child released the parent's fetch lock"
    );
    held.unwrap().release().unwrap();
    assert!(
        other
            .lock(&key, HOUR, deadline(), deadline())
            .unwrap()
            .is_some()
    );
}
