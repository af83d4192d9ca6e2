//! A corrupt store file is reported once per incident: once per file while it stays corrupt,
//! and again when a file that was read (or written) fine since goes bad again — not once per
//! process forever, and not on every read.

mod common;
#[path = "common/store_files.rs"]
mod store_files;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// A deadline no store operation here comes near.
fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

use common::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use officernd_auth::{FileStore, ManualClock, SharedBudget, TokenStore};
use store_files::{Paths, StoreDir};

const SCOPES: &str = "officernd.api.read";

/// Keeps every warning; each test counts those that name its own store directory (the tests
/// of this binary run in parallel and share the logger).
struct Warnings(Mutex<Vec<String>>);

impl log::Log for Warnings {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record) {
        if r.level() <= log::Level::Warn {
            self.0.lock().unwrap().push(r.args().to_string());
        }
    }
    fn flush(&self) {}
}

static WARNINGS: Warnings = Warnings(Mutex::new(Vec::new()));

/// Warnings about a corrupt file in `dir` so far.
fn corrupt_warnings(dir: &Path) -> Vec<String> {
    let _ = log::set_logger(&WARNINGS);
    log::set_max_level(log::LevelFilter::Warn);
    let dir = dir.display().to_string();
    WARNINGS
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(&dir) && l.contains("unreadable"))
        .cloned()
        .collect()
}

fn setup(name: &str) -> (StoreDir, FileStore, Paths) {
    corrupt_warnings(Path::new("/")); // installs the logger
    let dir = StoreDir::new(name);
    let store = FileStore::new(&dir.path).unwrap();
    let paths = Paths::new(
        &dir.path,
        "https://identity.example/oauth/token",
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        SCOPES,
    );
    (dir, store, paths)
}

fn valid_token() -> String {
    let in_an_hour = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 3_600_000;
    format!(
        r#"{{"version":2,"access_token":"tok","token_type":"Bearer","scopes":["officernd.api.read"],"expires_at_unix_ms":{in_an_hour},"lifetime_ms":3600000}}"#
    )
}

#[test]
fn two_different_corrupt_files_are_two_warnings() {
    let (dir, store, p) = setup("warn-two-files");
    std::fs::write(&p.token, "{corrupt").unwrap();
    std::fs::write(&p.refusal, "[1,2").unwrap();
    assert_eq!(store.get(&p.key, SystemTime::now(), soon()).unwrap(), None);
    assert_eq!(
        store
            .remembered_refusal(&p.key, SystemTime::now(), soon())
            .unwrap(),
        None
    );
    let w = corrupt_warnings(&dir.path);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(
        w[0].contains(".token") && w[1].contains(".refusal"),
        "{w:#?}"
    );
}

#[test]
fn the_same_file_corrupt_on_every_read_is_one_warning() {
    let (dir, store, p) = setup("warn-same-file");
    std::fs::write(&p.token, "{corrupt").unwrap();
    for _ in 0..5 {
        assert_eq!(store.get(&p.key, SystemTime::now(), soon()).unwrap(), None);
    }
    let w = corrupt_warnings(&dir.path);
    assert_eq!(w.len(), 1, "{w:#?}");
}

#[test]
fn corrupt_then_read_fine_then_corrupt_again_is_two_warnings() {
    let (dir, store, p) = setup("warn-again");
    std::fs::write(&p.token, "{corrupt").unwrap();
    assert_eq!(store.get(&p.key, SystemTime::now(), soon()).unwrap(), None);
    std::fs::write(&p.token, valid_token()).unwrap();
    assert!(
        store
            .get(&p.key, SystemTime::now(), soon())
            .unwrap()
            .is_some()
    );
    std::fs::write(&p.token, "{corrupt again").unwrap();
    assert_eq!(store.get(&p.key, SystemTime::now(), soon()).unwrap(), None);
    assert_eq!(store.get(&p.key, SystemTime::now(), soon()).unwrap(), None);
    let w = corrupt_warnings(&dir.path);
    assert_eq!(w.len(), 2, "{w:#?}");
}

/// Rewritten by the store itself (a client fetched and stored a new token) also counts as
/// fixed: the next corruption is a new incident.
#[test]
fn corrupt_then_rewritten_then_corrupt_again_is_two_warnings() {
    let (dir, store, _) = setup("warn-rewritten");
    let server = common::mock();
    let clock = ManualClock::new();
    let store: Arc<dyn TokenStore> = Arc::new(store);
    let p = Paths::new(
        &dir.path,
        &common::token_url(&server),
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        SCOPES,
    );
    let client = || {
        common::builder(&server, &clock)
            .scopes([SCOPES])
            .share_cache(false)
            .store(Arc::clone(&store))
            .build()
            .unwrap()
    };
    std::fs::write(&p.token, "{corrupt").unwrap();
    let t = client().token().unwrap();
    assert_eq!(corrupt_warnings(&dir.path).len(), 1);
    assert_eq!(client().token().unwrap(), t, "rewritten, then adopted");
    std::fs::write(&p.token, "{corrupt again").unwrap();
    client().token().unwrap();
    let w = corrupt_warnings(&dir.path);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert_eq!(server.token_requests(), 2);
}
