//! The file store's files when they are not what they should be. At every path the store uses
//! (token, refusal, fetch lock, guard, budget, budget lock) a test puts a FIFO, a symlink to
//! `/dev/zero` (those two on Unix only), a symlink to a file outside the store, a directory or
//! an oversized file, then
//! checks that `token()` answers promptly, that the file is replaced by a proper one (the store
//! recovers), and that nothing outside the store is read or written through a link.
//!
//! An unreadable budget counts as spent for one window: the quota must hold even when the file
//! that counts it is lost.

mod common;
#[path = "common/store_files.rs"]
mod store_files;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use common::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, MARGIN, MINUTE, MockServer};
use officernd_auth::{FileStore, ManualClock, TokenClient, TokenStore};
use store_files::{Bad, OUTSIDE_CONTENT, Paths, StoreDir, bad_kinds, bounded, put_bad};

const SCOPES: &str = "officernd.api.read officernd.api.write";
/// Not among the demo application's scopes: the mock answers `invalid_scope`.
const BAD_SCOPES: &str = "officernd.api.read officernd.api.nope";
const TIMEOUT: Duration = Duration::from_secs(2);
/// The largest a store file the store itself wrote may be.
const SMALL: u64 = 10 * 1024;
/// The file store stamps a request slot with the (manual) time asked plus the real time its
/// call took, so a wait it reports can fall short of the manual clock's by that real time: a
/// few microseconds on Linux, milliseconds under Wine. Tests move the clock that much further.
const CALL_SLACK: Duration = Duration::from_secs(1);

/// One scenario's world: a mock, a clock, a store directory and the paths of one configuration.
struct World {
    server: MockServer,
    clock: ManualClock,
    dir: StoreDir,
    store: Arc<dyn TokenStore>,
    paths: Paths,
    bad_paths: Paths,
}

impl World {
    fn new(name: &str) -> World {
        let server = common::mock();
        let dir = StoreDir::new(name);
        let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&dir.path).expect("store"));
        let url = common::token_url(&server);
        let paths = Paths::new(&dir.path, &url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SCOPES);
        let bad_paths = Paths::new(
            &dir.path,
            &url,
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            BAD_SCOPES,
        );
        World {
            server,
            clock: ManualClock::new(),
            dir,
            store,
            paths,
            bad_paths,
        }
    }

    /// A client of its own (what another process would be) on the shared store.
    fn client(&self, scopes: &str) -> TokenClient {
        common::builder(&self.server, &self.clock)
            .scopes([scopes])
            .timeout(TIMEOUT)
            .share_cache(false)
            .store(Arc::clone(&self.store))
            .build()
            .expect("client settings")
    }

    /// `token()` of a new client, bounded: a hang fails the test.
    fn token(&self, scopes: &str, what: &str) -> officernd_auth::Result<officernd_auth::Token> {
        let c = self.client(scopes);
        let (r, took) = bounded(TIMEOUT + Duration::from_secs(3), what, move || c.token());
        assert!(took < TIMEOUT, "{what}: token() took {took:?}");
        r
    }

    fn wall_ms(&self) -> u64 {
        officernd_auth::Clock::wall(&self.clock)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    /// A file outside the store directory, for symlinks to point at.
    fn outside(&self, what: &str) -> std::path::PathBuf {
        let name = self.dir.path.file_name().unwrap().to_string_lossy();
        self.dir
            .path
            .with_file_name(format!("{name}-outside-{}", what.replace(' ', "-")))
    }
}

/// Valid content for each kind of file (what an oversized file is padded from).
fn token_record(w: &World) -> String {
    format!(
        r#"{{"version":2,"access_token":"from-an-oversized-file","token_type":"Bearer","scopes":["officernd.api.read","officernd.api.write"],"expires_at_unix_ms":{},"lifetime_ms":3600000}}"#,
        w.wall_ms() + 3_000_000
    )
}

fn refusal_record(w: &World) -> String {
    format!(
        r#"{{"version":2,"refusal":{{"status":400,"error":"invalid_scope","error_description":"from an oversized file","error_uri":null}},"until_unix_ms":{}}}"#,
        w.wall_ms() + 60_000
    )
}

const BUDGET_RECORD: &str = r#"{"version":2,"window":{"slots":[],"cooldown_until":0}}"#;

/// Checks after a scenario: the symlink's target is untouched, and the path holds a proper
/// file again (`max`: its largest size; lock files that are never read keep their content).
fn recovered(path: &Path, outside: Option<&Path>, max: u64, what: &str) {
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        m.file_type().is_file() && m.len() <= max,
        "{what}: {} is not a regular file of at most {max} bytes now ({:?}, {} bytes)",
        path.display(),
        m.file_type(),
        m.len()
    );
    if let Some(o) = outside {
        assert_eq!(
            std::fs::read_to_string(o).unwrap(),
            OUTSIDE_CONTENT,
            "{what}: a file outside the store was written through a link"
        );
        std::fs::remove_file(o).unwrap();
    }
}

/// Token, fetch lock, guard or budget lock broken: the first process still gets a token
/// promptly with one request, stores it, and a second process adopts it.
fn a_token_is_fetched_and_shared_despite(which: &str, pick: fn(&Paths) -> &Path, read: bool) {
    for bad in bad_kinds() {
        let w = World::new("bad-file");
        let path = pick(&w.paths).to_path_buf();
        let what = format!("{bad:?} at the {which} path");
        let outside = put_bad(&path, bad, &token_record(&w), &w.outside(which));
        let t = w
            .token(SCOPES, &what)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_ne!(
            t.access_token(),
            "from-an-oversized-file",
            "{what}: read past the size cap"
        );
        assert_eq!(w.server.token_requests(), 1, "{what}");
        let again = w.token(SCOPES, &what).unwrap();
        assert_eq!(again, t, "{what}: the next process adopts it");
        assert_eq!(
            w.server.token_requests(),
            1,
            "{what}: the store works again"
        );
        let max = if read || bad != Bad::Oversized {
            SMALL
        } else {
            u64::MAX
        };
        recovered(&path, outside.as_deref(), max, &what);
    }
}

#[test]
fn a_broken_token_file_is_ignored_and_replaced() {
    a_token_is_fetched_and_shared_despite("token", |p| &p.token, true);
}

/// On Unix the fetch lock file holds its holder's expiry (read, so it ends up small again); on
/// Windows the expiry is in a file of its own and the lock file is never read.
#[test]
fn a_broken_fetch_lock_file_is_replaced() {
    a_token_is_fetched_and_shared_despite("fetch lock", |p| &p.fetch_lock, cfg!(unix));
}

/// Windows keeps the fetch lock holder's expiry in a file of its own (it is read).
#[cfg(windows)]
#[test]
fn a_broken_expiry_file_is_replaced() {
    a_token_is_fetched_and_shared_despite("fetch lock expiry", |p| &p.expiry, true);
}

#[test]
fn a_broken_guard_file_is_replaced() {
    a_token_is_fetched_and_shared_despite("guard", |p| &p.guard, false);
}

#[test]
fn a_broken_budget_lock_file_is_replaced() {
    a_token_is_fetched_and_shared_despite("budget lock", |p| &p.budget_lock, false);
}

/// The refusal file of a configuration the server refuses: ignored when read (the request is
/// sent), replaced by the answer, which the next process then replays without a request.
#[test]
fn a_broken_refusal_file_is_ignored_and_replaced() {
    for bad in bad_kinds() {
        let w = World::new("bad-refusal");
        let path = w.bad_paths.refusal.clone();
        let what = format!("{bad:?} at the refusal path");
        let outside = put_bad(&path, bad, &refusal_record(&w), &w.outside("refusal"));
        let e = w.token(BAD_SCOPES, &what).unwrap_err();
        assert_eq!(e.oauth_error(), Some("invalid_scope"), "{what}: {e}");
        assert_eq!(
            w.server.token_requests(),
            1,
            "{what}: the broken file was ignored"
        );
        let replayed = w.token(BAD_SCOPES, &what).unwrap_err();
        assert_eq!(replayed, e, "{what}");
        assert_eq!(
            w.server.token_requests(),
            1,
            "{what}: remembered through the store"
        );
        recovered(&path, outside.as_deref(), SMALL, &what);
    }
}

/// A broken budget file counts as spent: nothing is sent for one window, then it is replaced.
#[test]
fn a_broken_budget_file_counts_as_spent_for_one_window() {
    for bad in bad_kinds() {
        let w = World::new("bad-budget");
        let path = w.paths.budget.clone();
        let what = format!("{bad:?} at the budget path");
        let outside = put_bad(&path, bad, BUDGET_RECORD, &w.outside("budget"));
        let e = w.token(SCOPES, &what).unwrap_err();
        assert_eq!(e.code(), "rate_limited", "{what}: {e}");
        let wait = e.retry_after().unwrap();
        assert!(wait >= MINUTE + MARGIN, "{what}: spent for {wait:?} only");
        assert_eq!(w.server.token_requests(), 0, "{what}: nothing sent");
        w.clock.advance(wait + CALL_SLACK);
        w.token(SCOPES, &what)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(w.server.token_requests(), 1, "{what}");
        recovered(&path, outside.as_deref(), SMALL, &what);
    }
}

/// The budget file corrupted between two requests: the next request is refused with
/// `rate_limited` and nothing is sent, for every process, until one window has passed.
#[test]
fn a_budget_corrupted_between_two_requests_refuses_the_next_for_one_window() {
    let w = World::new("corrupt-budget");
    let first = w.client(SCOPES);
    let t = first.token().unwrap();
    assert_eq!(w.server.token_requests(), 1);
    std::fs::write(&w.paths.budget, "{\"version\":2,\"window\":{\"slo").unwrap();
    first.invalidate(&t);

    let e = w.token(SCOPES, "after the corruption").unwrap_err();
    assert_eq!(e.code(), "rate_limited", "{e}");
    let wait = e.retry_after().unwrap();
    assert!(wait >= MINUTE + MARGIN, "spent for {wait:?} only");
    assert_eq!(w.server.token_requests(), 1, "nothing sent");

    // Another process half a window later: still spent, and not for longer than before (the
    // file now says spent until a fixed time; it is not re-read as corrupt).
    w.clock.advance(MINUTE / 2);
    let later = w.token(SCOPES, "half a window later").unwrap_err();
    assert_eq!(later.code(), "rate_limited");
    assert!(
        later.retry_after().unwrap() <= wait - MINUTE / 2 + CALL_SLACK,
        "{later:?} after {wait:?}"
    );
    assert_eq!(w.server.token_requests(), 1);

    w.clock.advance(wait - MINUTE / 2 + CALL_SLACK);
    w.token(SCOPES, "after the window").unwrap();
    assert_eq!(w.server.token_requests(), 2);
}
