//! Benchmarks (numbers in BENCHMARKS.md): the fresh-token path on 1 and 2 threads, a stampede of
//! 64 threads on an empty cache, and a full fetch from the mock on loopback; with the `async`
//! feature, a fresh `token_async().await` next to a fresh `token()`.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use officernd_auth::{TokenClient, TokenClientBuilder};
use officernd_auth_testkit::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, MockConfig, MockServer};

fn builder(server: &MockServer) -> TokenClientBuilder {
    TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes(["officernd.api.read"])
        .token_url(server.token_url())
        // Benchmarks fetch far more than a real client may: the highest budget (1000 a minute, per
        // client: each fetch benchmark builds a client per fetch), caches isolated.
        .request_budget(1000, Duration::from_secs(60))
        .share_cache(false)
}

/// Per-call time of `f` when `threads` threads call it at once.
fn on_threads(threads: usize, iters: u64, f: impl Fn() + Send + Sync + 'static) -> Duration {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (f, b) = (f.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    f();
                }
                start.elapsed()
            })
        })
        .collect();
    let total: Duration = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total / threads as u32
}

fn fresh_path(c: &mut Criterion) {
    let server = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let client = builder(&server).build().unwrap();
    client.token().unwrap();

    let mut g = c.benchmark_group("fresh");
    g.bench_function("token/1-thread", |b| {
        b.iter(|| black_box(client.token().unwrap()))
    });
    g.bench_function("authorization_header/1-thread", |b| {
        b.iter(|| black_box(client.authorization_header().unwrap()))
    });
    for threads in [1, 2] {
        let c2 = client.clone();
        g.bench_function(format!("token/{threads}-threads-concurrent"), move |b| {
            let c3 = c2.clone();
            b.iter_custom(move |iters| {
                let c4 = c3.clone();
                on_threads(threads, iters, move || {
                    black_box(c4.token().unwrap());
                })
            })
        });
    }
    g.finish();
}

/// The memory cache stays in front of every store: a fresh token never touches a file or Redis.
fn stores(c: &mut Criterion) {
    let server = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let dir = std::env::temp_dir().join(format!("officernd-bench-{}", std::process::id()));
    let mut specs = vec![("memory", None), ("file", Some(dir.clone()))];
    // A Redis to measure against, if the caller started one.
    let redis = std::env::var("OFFICERND_BENCH_REDIS").ok();
    if let Some(url) = &redis {
        specs.push((url.as_str(), None));
    }
    let mut g = c.benchmark_group("fresh-with-store");
    for (spec, path) in specs {
        let client = builder(&server)
            .store_spec(spec, path.as_deref())
            .unwrap()
            .build()
            .unwrap();
        client.token().unwrap();
        let name = spec.split(':').next().unwrap_or(spec);
        g.bench_function(format!("token/{name}"), |b| {
            b.iter(|| black_box(client.token().unwrap()))
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn fetches(c: &mut Criterion) {
    let server = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let mut g = c.benchmark_group("fetch");
    g.sample_size(20);
    g.bench_function("full-fetch-loopback", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let client = builder(&server).build().unwrap();
                let start = Instant::now();
                black_box(client.token().unwrap());
                total += start.elapsed();
            }
            total
        })
    });
    g.bench_function("stampede-64-threads-empty-cache", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let client = builder(&server).build().unwrap();
                let before = server.token_requests();
                let barrier = Arc::new(Barrier::new(65));
                let handles: Vec<_> = (0..64)
                    .map(|_| {
                        let (c, b) = (client.clone(), barrier.clone());
                        std::thread::spawn(move || {
                            b.wait();
                            black_box(c.token().unwrap());
                        })
                    })
                    .collect();
                let start = Instant::now();
                barrier.wait();
                for h in handles {
                    h.join().unwrap();
                }
                total += start.elapsed();
                assert_eq!(server.token_requests() - before, 1, "single-flight");
            }
            total
        })
    });
    g.finish();
}

/// A fresh token through the async API: answered in place (no thread hop), so it should cost
/// what `token()` does plus a future's state machine. Measured polled once by hand (the future
/// alone) and awaited in a loop on a current-thread tokio runtime (what an application sees).
#[cfg(feature = "async")]
fn fresh_async(c: &mut Criterion) {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    let server = MockServer::start(MockConfig::default().without_rate_limit()).unwrap();
    let client = builder(&server).build().unwrap();
    client.token().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let mut g = c.benchmark_group("fresh-async");
    g.bench_function("token", |b| b.iter(|| black_box(client.token().unwrap())));
    g.bench_function("token_async/polled-once", |b| {
        b.iter(|| {
            let future = pin!(client.token_async());
            match future.poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(token) => black_box(token.unwrap()),
                Poll::Pending => panic!("a fresh token must not leave the calling task"),
            }
        })
    });
    g.bench_function("token_async/awaited-on-tokio", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(client.token_async().await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

#[cfg(not(feature = "async"))]
criterion_group!(benches, fresh_path, stores, fetches);
#[cfg(feature = "async")]
criterion_group!(benches, fresh_path, fresh_async, stores, fetches);
criterion_main!(benches);
