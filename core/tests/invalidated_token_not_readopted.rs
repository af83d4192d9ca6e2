//! A token invalidated after an API 401 is never handed out again by the process that dropped
//! it, even when the store cannot delete it (a read-only replica behind a proxy, a directory
//! whose entries cannot be removed): the store still holds it, and adopting it from there would
//! serve the revoked token until it expires. Found by adversarial review.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use officernd_auth::{
    ManualClock, MemoryStore, RememberedRefusal, SharedBudget, SlotGrant, StoreError, StoreKey,
    StoreLock, StoredToken, TokenStore,
};

/// Everything works but deleting a token.
#[derive(Debug, Default)]
struct NoDelete(MemoryStore);

impl SharedBudget for NoDelete {
    fn take_request_slot(
        &self,
        c: &str,
        cap: u32,
        hold: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<SlotGrant, StoreError> {
        self.0.take_request_slot(c, cap, hold, now, d)
    }
    fn finish_request_slot(
        &self,
        c: &str,
        s: u64,
        f: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.0.finish_request_slot(c, s, f, now, d)
    }
    fn start_cooldown(
        &self,
        c: &str,
        p: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.0.start_cooldown(c, p, now, d)
    }
    fn remember_refusal(
        &self,
        k: &StoreKey,
        r: &RememberedRefusal,
        ttl: Duration,
        now: SystemTime,
        d: Instant,
    ) -> Result<(), StoreError> {
        self.0.remember_refusal(k, r, ttl, now, d)
    }
    fn remembered_refusal(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<(RememberedRefusal, Duration)>, StoreError> {
        self.0.remembered_refusal(k, now, d)
    }
}

impl TokenStore for NoDelete {
    fn describe(&self) -> String {
        "no-delete".into()
    }
    fn get(
        &self,
        k: &StoreKey,
        now: SystemTime,
        d: Instant,
    ) -> Result<Option<StoredToken>, StoreError> {
        self.0.get(k, now, d)
    }
    fn put_if_newer(
        &self,
        k: &StoreKey,
        t: &StoredToken,
        now: SystemTime,
        d: Instant,
    ) -> Result<bool, StoreError> {
        self.0.put_if_newer(k, t, now, d)
    }
    fn lock(
        &self,
        k: &StoreKey,
        ttl: Duration,
        wait_until: Instant,
        d: Instant,
    ) -> Result<Option<Box<dyn StoreLock>>, StoreError> {
        self.0.lock(k, ttl, wait_until, d)
    }
    fn compare_delete(&self, _: &StoreKey, _: &str, _: Instant) -> Result<bool, StoreError> {
        Err(StoreError::new("no-delete", "delete refused"))
    }
}

#[test]
fn a_token_invalidated_after_a_401_is_not_adopted_back_from_a_store_that_cannot_delete() {
    let server = mock();
    let clock = ManualClock::new();
    let client = builder(&server, &clock)
        .share_cache(false)
        .store(Arc::new(NoDelete::default()) as Arc<dyn TokenStore>)
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
