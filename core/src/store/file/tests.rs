//! Unit tests of the file store: one store (or two on one directory) in one process.

use super::*;
use crate::scopes::Scopes;
use crate::secret::ClientSecret;
use crate::store::{RememberedRefusal, SharedBudget, SlotGrant};
use std::cell::RefCell;
use std::fs::File;
use std::rc::Rc;

/// A deadline no test operation comes near.
fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "officernd-filestore-{name}-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = fs::remove_dir_all(&d);
    d
}

fn key() -> StoreKey {
    StoreKey::derive(
        "https://x/t",
        "id",
        &ClientSecret::new("s"),
        &Scopes::default(),
    )
}

fn tok(s: &str, secs: u64) -> StoredToken {
    StoredToken {
        access_token: s.into(),
        token_type: "Bearer".into(),
        scopes: vec!["a".into()],
        expires_at: UNIX_EPOCH + Duration::from_secs(secs),
        lifetime: Duration::from_secs(secs),
    }
}

const NOW: SystemTime = UNIX_EPOCH;

/// Asserts that `take_request_slot(args)` answers `Wait` for `wait` (and `cooldown`). The store
/// stamps a request with the time it is granted: the `now` passed plus the real time the call
/// spent (waiting for the lock, reading the file), so the wait may be shorter by that much,
/// never longer (a few ms on Linux; more under Wine).
fn assert_waits(
    s: &FileStore,
    args: (&str, u32, Duration, SystemTime, Instant),
    wait: Duration,
    cooldown: bool,
) {
    let (credentials, capacity, hold, now, deadline) = args;
    let start = Instant::now();
    let got = s
        .take_request_slot(credentials, capacity, hold, now, deadline)
        .unwrap();
    let took = start.elapsed() + Duration::from_millis(1);
    match got {
        SlotGrant::Wait {
            wait: w,
            cooldown: c,
        } if c == cooldown && w <= wait && w + took >= wait => {}
        other => panic!(
            "expected a wait of {wait:?} (cooldown: {cooldown}) within {took:?}, got {other:?}"
        ),
    }
}

#[cfg(unix)]
#[test]
fn creates_a_private_directory_and_private_files() {
    use std::os::unix::fs::MetadataExt;
    let d = temp_dir("perm");
    let s = FileStore::new(&d).unwrap();
    assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
    s.put_if_newer(&key(), &tok("t1", 100), NOW, soon())
        .unwrap();
    let f = s.token_path(&key());
    assert_eq!(fs::metadata(&f).unwrap().mode() & 0o777, 0o600);
    assert_eq!(s.get(&key(), NOW, soon()).unwrap().unwrap(), tok("t1", 100));
    fs::remove_dir_all(&d).unwrap();
}

#[cfg(unix)]
#[test]
fn refuses_symlinks_and_shared_directories() {
    use std::os::unix::fs::PermissionsExt;
    let d = temp_dir("refuse");
    fs::create_dir_all(&d).unwrap();
    let link = d.with_extension("link");
    std::os::unix::fs::symlink(&d, &link).unwrap();
    let e = FileStore::new(&link).unwrap_err();
    assert!(e.to_string().contains("symlink"), "{e}");
    fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
    let e = FileStore::new(&d).unwrap_err();
    assert!(e.to_string().contains("writable by other users"), "{e}");
    assert_eq!(e.code(), "config");
    fs::remove_file(&link).unwrap();
    fs::remove_dir_all(&d).unwrap();
}

/// On Windows: a directory that is a symlink (a reparse point) is refused; one under the
/// user's profile is used as its ACL has it.
#[cfg(windows)]
#[test]
fn refuses_a_directory_that_is_a_symlink() {
    let d = temp_dir("refuse");
    let s = FileStore::new(&d).unwrap();
    s.put_if_newer(&key(), &tok("t1", 100), NOW, soon())
        .unwrap();
    assert_eq!(s.get(&key(), NOW, soon()).unwrap().unwrap(), tok("t1", 100));
    let link = d.with_extension("link");
    std::os::windows::fs::symlink_dir(&d, &link).expect("create a directory symlink");
    assert!(
        fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()),
        "no symlink at {} although creating it succeeded (Wine 8 cannot make them)",
        link.display()
    );
    let e = FileStore::new(&link).unwrap_err();
    assert!(e.to_string().contains("reparse point"), "{e}");
    assert_eq!(e.code(), "config");
    fs::remove_dir(&link).unwrap();
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn corrupt_and_foreign_files_are_ignored_then_replaced() {
    let d = temp_dir("corrupt");
    let s = FileStore::new(&d).unwrap();
    for junk in [
        "",
        "{\"access_tok",
        "[1,2,3]",
        "{\"version\":99,\"access_token\":\"x\",\"token_type\":\"Bearer\",\"scopes\":[],\"expires_at_unix_ms\":1}",
    ] {
        fs::write(s.token_path(&key()), junk).unwrap();
        assert_eq!(s.get(&key(), NOW, soon()).unwrap(), None, "{junk}");
    }
    assert!(s.put_if_newer(&key(), &tok("t", 5), NOW, soon()).unwrap());
    assert_eq!(
        s.get(&key(), NOW, soon()).unwrap().unwrap().access_token,
        "t"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn put_if_newer_and_compare_delete() {
    let d = temp_dir("cas");
    let s = FileStore::new(&d).unwrap();
    assert!(
        s.put_if_newer(&key(), &tok("new", 200), NOW, soon())
            .unwrap()
    );
    assert!(
        !s.put_if_newer(&key(), &tok("old", 100), NOW, soon())
            .unwrap()
    );
    assert!(!s.compare_delete(&key(), "old", soon()).unwrap());
    assert!(s.compare_delete(&key(), "new", soon()).unwrap());
    assert_eq!(s.get(&key(), NOW, soon()).unwrap(), None);
    fs::remove_dir_all(&d).unwrap();
}

/// Runs `f` (another process's store call) the next time this thread's store call has read
/// the token file and not yet written it; what `f` returned comes back through the slot.
fn between_read_and_write<T: 'static>(f: impl FnOnce() -> T + 'static) -> Rc<RefCell<Option<T>>> {
    let slot = Rc::new(RefCell::new(None));
    let out = Rc::clone(&slot);
    BETWEEN_READ_AND_WRITE.with(|h| {
        *h.borrow_mut() = Some(Box::new(move || *out.borrow_mut() = Some(f())));
    });
    slot
}

/// Another process stores a newer token between compare_delete's read (which still finds the
/// refused one) and its delete: the newer token must survive. With the guard, the other
/// process's write cannot happen in between (it finds the guard held; here it tries once and
/// fails), and it succeeds afterwards.
#[test]
fn compare_delete_never_deletes_a_token_stored_after_its_read() {
    let d = temp_dir("cas-delete");
    let a = FileStore::new(&d).unwrap();
    let b = Rc::new(FileStore::new(&d).unwrap());
    a.put_if_newer(&key(), &tok("refused", 100), NOW, soon())
        .unwrap();
    let other = Rc::clone(&b);
    let newer = between_read_and_write(move || {
        other.put_if_newer(&key(), &tok("newer", 200), NOW, Instant::now())
    });
    assert!(a.compare_delete(&key(), "refused", soon()).unwrap());
    let newer = newer
        .borrow_mut()
        .take()
        .expect("the other write ran in between");
    if let Ok(true) = newer {
        assert_eq!(
            a.get(&key(), NOW, soon()).unwrap().map(|t| t.access_token),
            Some("newer".into()),
            "a token stored after compare_delete's read was deleted"
        );
    }
    assert!(newer.is_err(), "the other write waited for the guard");
    assert!(
        b.put_if_newer(&key(), &tok("newer", 200), NOW, soon())
            .unwrap()
    );
    assert_eq!(
        a.get(&key(), NOW, soon()).unwrap().unwrap().access_token,
        "newer"
    );
    fs::remove_dir_all(&d).unwrap();
}

/// Another process stores a newer token between put_if_newer's read (which finds an older
/// one) and its write: the newer token must not be overwritten by the older.
#[test]
fn put_if_newer_never_overwrites_a_newer_token_stored_after_its_read() {
    let d = temp_dir("cas-put");
    let a = FileStore::new(&d).unwrap();
    let b = Rc::new(FileStore::new(&d).unwrap());
    a.put_if_newer(&key(), &tok("t100", 100), NOW, soon())
        .unwrap();
    let other = Rc::clone(&b);
    let newest = between_read_and_write(move || {
        other.put_if_newer(&key(), &tok("t300", 300), NOW, Instant::now())
    });
    assert!(
        a.put_if_newer(&key(), &tok("t200", 200), NOW, soon())
            .unwrap()
    );
    let newest = newest
        .borrow_mut()
        .take()
        .expect("the other write ran in between");
    if let Ok(true) = newest {
        assert_eq!(
            a.get(&key(), NOW, soon()).unwrap().unwrap().access_token,
            "t300",
            "a newer token was overwritten by an older one"
        );
    }
    assert!(newest.is_err(), "the other write waited for the guard");
    assert!(
        b.put_if_newer(&key(), &tok("t300", 300), NOW, soon())
            .unwrap()
    );
    assert!(
        !a.put_if_newer(&key(), &tok("t200", 200), NOW, soon())
            .unwrap()
    );
    assert_eq!(
        a.get(&key(), NOW, soon()).unwrap().unwrap().access_token,
        "t300"
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn lock_excludes_a_second_holder_until_released() {
    let d = temp_dir("lock");
    let s = FileStore::new(&d).unwrap();
    let now = Instant::now();
    let held = s
        .lock(&key(), Duration::from_secs(10), now, now)
        .unwrap()
        .unwrap();
    assert!(
        s.lock(&key(), Duration::from_secs(10), now, now)
            .unwrap()
            .is_none()
    );
    held.release().unwrap();
    assert!(
        s.lock(&key(), Duration::from_secs(10), now, now)
            .unwrap()
            .is_some()
    );
    fs::remove_dir_all(&d).unwrap();
}

/// A fetch lock whose holder outlived its TTL is taken over by one waiter (whose expiry then
/// holds the others off); the takeover never releases the stuck holder's flock.
#[test]
fn a_fetch_lock_held_past_its_ttl_is_outlived_by_one_waiter() {
    let d = temp_dir("lock-ttl");
    let (stuck, a, b) = (
        FileStore::new(&d).unwrap(),
        FileStore::new(&d).unwrap(),
        FileStore::new(&d).unwrap(),
    );
    let now = Instant::now();
    let ten = Duration::from_secs(10);
    let held = stuck
        .lock(&key(), Duration::from_secs(60), now, now)
        .unwrap()
        .unwrap();
    assert!(
        a.lock(&key(), ten, now, now).unwrap().is_none(),
        "not expired yet"
    );
    drop(held);

    // A holder that took it with no time at all: expired at once.
    let held = stuck
        .lock(&key(), Duration::ZERO, now, now)
        .unwrap()
        .unwrap();
    let outlived = a.lock(&key(), ten, now, now).unwrap().expect("taken over");
    assert!(
        b.lock(&key(), ten, now, now).unwrap().is_none(),
        "the one who took over holds the others off for its own TTL"
    );
    outlived.release().unwrap();
    let raw = File::open(d.join(format!("{}.lock", key().as_str()))).unwrap();
    assert!(
        matches!(raw.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        "the stuck holder still has its flock"
    );
    // Windows removes no open file's name: close them first.
    drop((held, raw));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn budget_is_shared_through_the_directory() {
    let d = temp_dir("budget");
    let a = FileStore::new(&d).unwrap();
    let b = FileStore::new(&d).unwrap();
    let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let hold = Duration::from_secs(70);
    let after = Duration::from_secs(61);
    let mut ids = vec![];
    for i in 0..5 {
        let s = if i % 2 == 0 { &a } else { &b };
        let SlotGrant::Granted(id) = s.take_request_slot("c", 5, hold, t0, soon()).unwrap() else {
            panic!("slot {i} granted")
        };
        ids.push(id);
    }
    for id in ids {
        a.finish_request_slot("c", id, after, t0, soon()).unwrap();
    }
    assert_waits(
        &a,
        ("c", 5, hold, t0 + Duration::from_secs(10), soon()),
        Duration::from_secs(51),
        false,
    );
    assert!(matches!(
        b.take_request_slot("c", 5, hold, t0 + after, soon())
            .unwrap(),
        SlotGrant::Granted(_)
    ));
    assert!(matches!(
        a.take_request_slot("other", 5, hold, t0, soon()).unwrap(),
        SlotGrant::Granted(_)
    ));
    b.start_cooldown("other", Duration::from_secs(7), t0, soon())
        .unwrap();
    assert_waits(
        &a,
        ("other", 5, hold, t0, soon()),
        Duration::from_secs(7),
        true,
    );
    fs::remove_dir_all(&d).unwrap();
}

/// An unreadable budget counts as spent from when it was found: a take then waits one hold,
/// a finish marks it spent for the time its slot would count, a cool-down (which cannot tell
/// how long a window is) fails and leaves it for them.
#[test]
fn an_unreadable_budget_counts_as_spent() {
    let d = temp_dir("budget-corrupt");
    let s = FileStore::new(&d).unwrap();
    let path = d.join("budget-c.json");
    let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let hold = Duration::from_secs(70);
    fs::write(&path, "{\"version\":2,\"win").unwrap();
    assert!(s.start_cooldown("c", hold, t0, soon()).is_err());
    assert_eq!(fs::read_to_string(&path).unwrap(), "{\"version\":2,\"win");
    assert_waits(&s, ("c", 5, hold, t0, soon()), hold, false);
    let later = t0 + Duration::from_secs(10);
    assert_waits(
        &s,
        ("c", 5, hold, later, soon()),
        hold - Duration::from_secs(10),
        false,
    );
    assert!(matches!(
        s.take_request_slot("c", 5, hold, t0 + hold, soon())
            .unwrap(),
        SlotGrant::Granted(_)
    ));

    fs::write(&path, "[]").unwrap();
    s.finish_request_slot("c", 1, Duration::from_secs(61), t0, soon())
        .unwrap();
    assert_waits(
        &s,
        ("c", 5, hold, t0, soon()),
        Duration::from_secs(61),
        false,
    );
    fs::remove_dir_all(&d).unwrap();
}

/// A budget lock somebody else holds is waited for until the caller's deadline, not longer:
/// then the store fails (and the caller uses its outage budget).
#[test]
fn a_held_budget_lock_is_waited_for_until_the_deadline_only() {
    let d = temp_dir("budget-held");
    let s = FileStore::new(&d).unwrap();
    let held = File::create(d.join("budget-c.lock")).unwrap();
    held.lock().unwrap();
    let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let hold = Duration::from_secs(70);
    let start = Instant::now();
    let deadline = start + Duration::from_millis(200);
    let e = s.take_request_slot("c", 5, hold, t0, deadline).unwrap_err();
    assert!(e.message.contains("budget lock"), "{e}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(1),
        "{took:?}"
    );
    assert!(
        s.finish_request_slot("c", 1, hold, t0, Instant::now())
            .is_err()
    );
    // Unlocked, not just closed: a child another test forks meanwhile shares the open file.
    // (Unix only: there is no fork on Windows, and Wine answers this unlock with a lock
    // violation; closing the handle releases it there.)
    #[cfg(unix)]
    held.unlock().unwrap();
    drop(held);
    assert!(matches!(
        s.take_request_slot("c", 5, hold, t0, Instant::now())
            .unwrap(),
        SlotGrant::Granted(_)
    ));
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn refusals_are_shared_through_the_directory() {
    let d = temp_dir("refusal");
    let a = FileStore::new(&d).unwrap();
    let b = FileStore::new(&d).unwrap();
    let r = RememberedRefusal {
        status: 400,
        error: "invalid_scope".into(),
        error_description: Some("no".into()),
        error_uri: None,
    };
    let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
    a.remember_refusal(&key(), &r, Duration::from_secs(60), t0, soon())
        .unwrap();
    assert_eq!(
        b.remembered_refusal(&key(), t0 + Duration::from_secs(20), soon())
            .unwrap(),
        Some((r, Duration::from_secs(40)))
    );
    assert_eq!(
        b.remembered_refusal(&key(), t0 + Duration::from_secs(60), soon())
            .unwrap(),
        None
    );
    fs::remove_dir_all(&d).unwrap();
}

/// A child forked while a parent thread is inside the store's bookkeeping of corrupt files
/// reads the store: that thread does not exist in the child, so nothing it held may be waited for.
#[cfg(all(unix, not(loom)))]
#[test]
fn a_child_forked_while_a_thread_holds_the_incidents_lock_reads_the_store() {
    let dir = temp_dir("fork-incidents");
    let s = FileStore::new(&dir).unwrap();
    s.put_if_newer(&key(), &tok("t", 4_000_000_000), NOW, soon())
        .unwrap();
    let code = crate::fork::testing::fork_while_held(
        |held| s.incidents.hold_while(held),
        || match s.get(&key(), NOW, soon()) {
            Ok(Some(t)) if t.access_token == "t" => 0,
            _ => 1,
        },
    );
    assert_eq!(code, Some(0), "the child hung or failed");
    let _ = fs::remove_dir_all(&dir);
}
