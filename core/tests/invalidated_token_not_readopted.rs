//! A token invalidated after an API 401 is never handed out again by the process that dropped
//! it, even when the store cannot delete it (a read-only replica behind a proxy, a directory
//! whose entries cannot be removed): the store still holds it, and adopting it from there would
//! serve the revoked token until it expires. Found by adversarial review.

mod common;
#[path = "common/faulty_store.rs"]
mod faulty_store;

use std::sync::Arc;

use common::*;
use faulty_store::{Failure, FaultyStore, Op};
use officernd_auth::{ManualClock, TokenStore};

#[test]
fn a_token_invalidated_after_a_401_is_not_adopted_back_from_a_store_that_cannot_delete() {
    let server = mock();
    let clock = ManualClock::new();
    // Everything works but deleting a token.
    let no_delete = Arc::new(FaultyStore::new("no-delete"));
    no_delete.set(|op| (op == Op::Delete).then_some(Failure::Failed));
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(no_delete as Arc<dyn TokenStore>)
        .build()
        .unwrap();
    let revoked = client.token().unwrap();
    // The delete fails: the client now counts the store as failing (outage budget), so the
    // replacement may have to wait; what it must never do is hand out the revoked token.
    let next = client.token_after_unauthorized(&revoked);
    let later = client.token();
    if let Ok(Some(t)) = &next {
        assert!(
            !t.same_token(&revoked),
            "the 401 rule handed out the revoked token"
        );
    }
    if let Ok(t) = &later {
        assert!(
            !t.same_token(&revoked),
            "token() handed out the revoked token again"
        );
    }
    // Once the outage budget allows a request, a new token comes (and is not the revoked one).
    clock.advance(2 * MINUTE + MARGIN);
    let fresh = client.token().unwrap();
    assert!(!fresh.same_token(&revoked));
    assert_eq!(server.token_requests(), 2);
}
