//! Regression test for a bug found by adversarial review. The bug: after `fork()`, children share the parent's `fastrand` thread-local RNG
//! state, so sibling workers (gunicorn `--preload`, a Node cluster) draw the *same* Redis budget
//! slot ids (`RedisStore::take_request_slot`: `fastrand::u64(1..)`) and the same lock values.
//! The budget is a sorted set keyed by slot id: the second `ZADD` of an id overwrites the first,
//! so two requests count as one and the fleet exceeds `max_requests`.
//! (One test in this binary, so no other test threads run while it forks.)
//! Fixed: slot ids and lock values come from `store::unique_id` (process id, counter, time), and
//! a child reseeds its generator.
#![cfg(all(unix, feature = "redis"))]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use officernd_auth::{RedisStore, TokenClient, TokenStore};
use officernd_auth_testkit::RedisServer;

#[test]
fn forked_workers_never_share_a_budget_slot() {
    let redis = RedisServer::start();
    let server = mock();
    let store: Arc<dyn TokenStore> = Arc::new(RedisStore::new(&redis.url()).unwrap());
    let make = |scopes: &str| {
        TokenClient::builder()
            .client_id(DEMO_CLIENT_ID)
            .client_secret(DEMO_CLIENT_SECRET)
            .scopes([scopes])
            .token_url(server.token_url())
            .max_requests(3)
            .share_cache(false)
            .store(store.clone())
            .build()
            .unwrap()
    };
    // The master (gunicorn --preload) warms up: one request, and fastrand is now seeded.
    make("officernd.api.read officernd.api.write")
        .token()
        .unwrap();
    // Three workers, forked from it, each need a token for their own scopes (so none can
    // adopt another's): with a budget of 3, the third must be refused.
    let mut codes = vec![];
    for scopes in [
        "officernd.api.read",
        "officernd.api.write",
        "flex.community.members.read",
    ] {
        // SAFETY: plain POSIX calls; the child leaves with `_exit`.
        unsafe {
            match libc::fork() {
                -1 => panic!("fork"),
                0 => {
                    let code = match make(scopes).token() {
                        Ok(_) => 0,
                        Err(e) if e.code() == "rate_limited" => 1,
                        Err(_) => 2,
                    };
                    libc::_exit(code)
                }
                pid => {
                    let mut status = 0;
                    libc::waitpid(pid, &mut status, 0);
                    codes.push(libc::WEXITSTATUS(status));
                }
            }
        }
    }
    let arrivals = server.max_in_window(Duration::from_secs(60));
    eprintln!(
        "codes {codes:?} arrivals {arrivals} total {}",
        server.token_requests()
    );
    assert!(
        arrivals <= 3,
        "{arrivals} token requests in one window with max_requests 3 (workers' outcomes: {codes:?}; 0 = token, 1 = rate_limited)"
    );
}
