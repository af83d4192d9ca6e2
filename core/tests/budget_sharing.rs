//! The process-wide request budget of one application (token URL + client id), shared by every
//! client that shares the cache (the default): it is never forgotten while it still counts, and
//! it follows the strictest rule any of those clients was configured with. Found by adversarial
//! review; each test failed before the fix.

mod common;

use std::time::Duration;

use common::*;
use officernd_auth::TokenClient;

/// A multi-tenant process builds a client per request for hundreds of applications (the
/// supported pattern). The registry of budgets evicts entries no client holds past 256 of them;
/// it used to evict a spent one too, so the next client of that application started with a
/// fresh budget in the middle of its window.
#[test]
fn a_spent_budget_survives_hundreds_of_other_applications_clients() {
    let server = mock();
    let url = token_url(&server);
    let make = |id: &str| {
        TokenClient::builder()
            .client_id(id)
            .client_secret(DEMO_CLIENT_SECRET)
            .token_url(&url)
            .build()
            .unwrap()
    };
    {
        let c = make(DEMO_CLIENT_ID);
        for _ in 0..5 {
            let t = c.token().unwrap();
            c.invalidate(&t);
        }
        assert_eq!(
            c.token().unwrap_err().code(),
            "rate_limited",
            "budget spent"
        );
    } // the per-request client is dropped
    for i in 0..300 {
        drop(make(&format!("tenant-{i}"))); // other applications' clients; nothing sent
    }
    let again = make(DEMO_CLIENT_ID).token().unwrap_err();
    assert_eq!(again.code(), "rate_limited", "{again}");
    assert_eq!(server.token_requests(), 5);
    assert!(server.max_in_window(MINUTE) <= 5);
}

/// Two clients of one application in one process, one configured for 1 request per minute:
/// both follow 1 per minute, whichever was built first.
#[test]
fn clients_of_one_application_follow_the_strictest_budget() {
    let server = mock();
    let url = token_url(&server);
    let lenient = TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .token_url(&url)
        .build()
        .unwrap();
    let strict = TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .scopes(["officernd.api.read"])
        .token_url(&url)
        .request_budget(1, MINUTE)
        .build()
        .unwrap();
    let t = strict.token().unwrap();
    strict.invalidate(&t);
    assert_eq!(strict.token().unwrap_err().code(), "rate_limited");
    assert_eq!(
        lenient.token().unwrap_err().code(),
        "rate_limited",
        "the lenient client shares the strict budget"
    );
    assert_eq!(server.token_requests(), 1);
    assert_eq!(lenient.stats().budget_capacity, 1);
}

/// A `Retry-After` too large for u64 on a 503 is the 24 h cap, not dropped: no retry at once.
#[test]
fn an_overflowing_retry_after_is_honoured_not_retried_at_once() {
    let server = mock();
    server.push_fault(Fault::StatusWithRetryAfter {
        status: 503,
        retry_after: "99999999999999999999".into(),
    });
    let c = TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .token_url(token_url(&server))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = c.token().unwrap_err();
    assert_eq!(server.token_requests(), 1, "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(24 * 3600)), "{e}");
}

/// `…/token?a` and `…/token?b` are one endpoint to the server, so one budget (the query used
/// to make two: 10 requests in a minute for one application).
#[test]
fn a_query_string_does_not_split_the_budget() {
    let server = mock();
    let base = token_url(&server);
    for url in [format!("{base}?a"), format!("{base}?b")] {
        let c = TokenClient::builder()
            .client_id(DEMO_CLIENT_ID)
            .client_secret(DEMO_CLIENT_SECRET)
            .token_url(url)
            .build()
            .unwrap();
        for _ in 0..5 {
            if let Ok(t) = c.token() {
                c.invalidate(&t);
            }
        }
    }
    assert_eq!(server.token_requests(), 5);
    assert!(server.max_in_window(MINUTE) <= 5);
}
