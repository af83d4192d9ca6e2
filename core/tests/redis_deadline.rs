//! Every Redis call of `token()` ends by the caller's deadline, and a call cut short by that
//! deadline is not a store outage. Against real sockets and a real Redis, on the real clock (the
//! deadline is the property under test, so these measure elapsed time, with a generous margin):
//! a "Redis" that accepts connections and never answers, and a proxy in front of a real Redis
//! that holds back or delays its replies.
// Unix only: these start the machine's redis-server, which a Windows build under Wine cannot.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use officernd_auth::{RedisStore, TokenClient, TokenStore};
use officernd_auth_testkit::RedisServer;

/// What a call may take past its deadline: thread scheduling on a loaded machine, not I/O.
const MARGIN_OF_ELAPSED: Duration = Duration::from_millis(400);

/// Every log line of the crate, to find warnings about one store (by its port).
struct Lines(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Lines {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, r: &log::Record) {
        if r.target().starts_with("officernd_auth") {
            let line = r.args().to_string();
            self.0.lock().unwrap().push((r.level(), line));
        }
    }
    fn flush(&self) {}
}

static LINES: Lines = Lines(Mutex::new(Vec::new()));

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&LINES).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
    });
}

/// Warnings that name the store on `port` (a store outage is announced with one).
fn warnings_about(port: u16) -> Vec<String> {
    let needle = format!("127.0.0.1:{port}");
    LINES
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, line)| *level <= log::Level::Warn && line.contains(&needle))
        .map(|(_, line)| line.clone())
        .collect()
}

/// A client of the mock's demo app on the real clock, with its own cache and budget (as a
/// process of its own would have), sharing `store`.
fn client(server: &MockServer, store: &Arc<RedisStore>, timeout: Duration) -> TokenClient {
    TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes(["officernd.api.read officernd.api.write"])
        .token_url(token_url(server))
        .timeout(timeout)
        .share_cache(false)
        .store(store.clone() as Arc<dyn TokenStore>)
        .build()
        .unwrap()
}

/// A listener on loopback that accepts every connection and never answers (nor closes).
fn black_hole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    addr
}

/// Forwards connections to a real Redis; its replies pass at once, are held back while
/// `stall` is set, or one in three is delayed by up to `delay_ms`.
struct Proxy {
    addr: SocketAddr,
    stall: Arc<AtomicU64>,
    delay_ms: Arc<AtomicU64>,
}

impl Proxy {
    fn start(redis: &RedisServer) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let target: SocketAddr = format!("127.0.0.1:{}", redis.port()).parse().unwrap();
        let stall = Arc::new(AtomicU64::new(0));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (s, d) = (stall.clone(), delay_ms.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(upstream) = TcpStream::connect(target) else {
                    continue;
                };
                let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || pump(c2, u2, None));
                let (s, d) = (s.clone(), d.clone());
                std::thread::spawn(move || pump(upstream, client, Some((s, d))));
            }
        });
        Proxy {
            addr,
            stall,
            delay_ms,
        }
    }

    fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }
}

/// Copies `from` to `to` until either closes; replies (`hold` set) wait as the proxy says.
fn pump(mut from: TcpStream, mut to: TcpStream, hold: Option<(Arc<AtomicU64>, Arc<AtomicU64>)>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((stall, delay_ms)) = &hold {
            while stall.load(Ordering::SeqCst) != 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            let max = delay_ms.load(Ordering::SeqCst);
            if max > 0 && fastrand::u32(..3) == 0 {
                std::thread::sleep(Duration::from_millis(fastrand::u64(0..=max)));
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// A Redis that accepts connections and never answers holds `token()` to the caller's deadline,
/// not to the store's own timeout (500 ms) once per store call. With a deadline shorter than
/// that timeout nothing tells an outage from a slow answer, so it is not called an outage: the
/// call fails with `timeout`, having sent nothing (the store may have held a fresh token, or
/// the fleet's budget may be spent).
#[test]
fn a_redis_that_never_answers_cannot_hold_token_past_its_deadline() {
    capture_logs();
    let server = mock();
    let hole = black_hole();
    let store = Arc::new(RedisStore::new(&format!("redis://{hole}")).unwrap());
    let timeout = Duration::from_millis(300);
    let c = client(&server, &store, timeout);
    for call in 0..2 {
        let t0 = Instant::now();
        let result = c.token();
        let took = t0.elapsed();
        assert!(
            took < timeout + MARGIN_OF_ELAPSED,
            "call {call} took {took:?} with a {timeout:?} timeout ({result:?})"
        );
        let err = result.unwrap_err();
        assert_eq!(err.code(), "timeout", "call {call}: {err}");
    }
    assert_eq!(server.token_requests(), 0, "nothing sent without the store");
    assert_eq!(warnings_about(hole.port()), Vec::<String>::new());
}

/// The fetch took most of the deadline and Redis stalled meanwhile: storing the token and
/// releasing the lock end at the deadline (the token is still returned), and that is not an
/// outage — no warning, and the next fetch is not held back by the outage budget (which would
/// make it wait a whole window).
#[test]
fn a_store_write_cut_by_the_deadline_is_not_an_outage() {
    capture_logs();
    let server = mock();
    let redis = RedisServer::start();
    let proxy = Proxy::start(&redis);
    let store = Arc::new(RedisStore::new(&proxy.url()).unwrap());
    let timeout = Duration::from_millis(1000);
    let c = client(&server, &store, timeout);

    server.push_fault(Fault::Delay(Duration::from_millis(600)));
    let stall = proxy.stall.clone();
    let staller = std::thread::spawn(move || {
        // Into the fetch (the store calls before it answered at once).
        std::thread::sleep(Duration::from_millis(300));
        stall.store(1, Ordering::SeqCst);
    });
    let t0 = Instant::now();
    let result = c.token();
    let took = t0.elapsed();
    staller.join().unwrap();
    proxy.stall.store(0, Ordering::SeqCst);
    assert!(
        took < timeout + MARGIN_OF_ELAPSED,
        "took {took:?} with a {timeout:?} timeout ({result:?})"
    );
    let first = result.expect("the token fetched is returned though it could not be stored");
    assert_eq!(server.token_requests(), 1);
    assert_eq!(warnings_about(proxy.addr.port()), Vec::<String>::new());

    // Not an outage: the next fetch goes out at once (the store's budget allows it).
    c.invalidate(&first);
    let second = c.token().expect("no outage budget in force");
    assert_ne!(second.access_token(), first.access_token());
    assert_eq!(server.token_requests(), 2);
    assert_eq!(warnings_about(proxy.addr.port()), Vec::<String>::new());
}

/// A fleet on a Redis whose replies come late at random: calls are cut at every step (a slot
/// granted whose answer never arrived, a finish that never landed, a lock taken unawares). Each
/// call still ends by its deadline, nothing of it is taken for an outage, and the server never
/// sees more than the budget in any window: a slot request cut short counts as granted.
#[test]
fn a_fleet_on_a_slow_redis_keeps_its_deadlines_and_the_budget() {
    capture_logs();
    let server = mock();
    let redis = RedisServer::start();
    let proxy = Proxy::start(&redis);
    proxy.delay_ms.store(450, Ordering::SeqCst);
    let store = Arc::new(RedisStore::new(&proxy.url()).unwrap());
    let timeout = Duration::from_millis(300);
    let run_until = Instant::now() + Duration::from_secs(3);
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let c = client(&server, &store, timeout);
            std::thread::spawn(move || {
                let (mut slowest, mut ok) = (Duration::ZERO, 0);
                while Instant::now() < run_until {
                    let t0 = Instant::now();
                    let result = c.token();
                    slowest = slowest.max(t0.elapsed());
                    if let Ok(t) = result {
                        ok += 1;
                        let t0 = Instant::now();
                        c.invalidate(&t);
                        slowest = slowest.max(t0.elapsed());
                    }
                }
                (slowest, ok)
            })
        })
        .collect();
    let mut tokens = 0;
    for w in workers {
        let (slowest, ok) = w.join().unwrap();
        tokens += ok;
        assert!(
            slowest < timeout + MARGIN_OF_ELAPSED,
            "a call took {slowest:?} with a {timeout:?} timeout"
        );
    }
    let sent = server.max_in_window(MINUTE);
    assert!(sent <= 5, "{sent} token requests in one window");
    assert_eq!(warnings_about(proxy.addr.port()), Vec::<String>::new());
    eprintln!("{tokens} tokens, {} requests sent", server.token_requests());
}
