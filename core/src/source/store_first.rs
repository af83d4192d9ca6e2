//! The store-first source: a fresh token another process left in the shared store is adopted
//! (with the windows of its original lifetime); otherwise one process fetches under the store's
//! lock while the others look in the store between short lock slices instead of queueing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::{CacheEntry, Freshness, Windows};
use crate::clock::TimeSource;
use crate::error::{Error, Result};
use crate::single_flight::Source;
use crate::store::{StoreError, StoreHealth, StoreKey, StoredToken, TokenStore};
use crate::sync::CacheSlot;
use crate::token::Token;

/// Waiting for another process's fetch: first look after this long, then doubling up to the max.
const STORE_WAIT_MIN: Duration = Duration::from_millis(10);
const STORE_WAIT_MAX: Duration = Duration::from_millis(100);

pub(crate) struct StoreFirst<'a> {
    pub store: &'a dyn TokenStore,
    pub key: &'a StoreKey,
    pub health: &'a StoreHealth,
    pub clock: &'a TimeSource,
    pub windows: Windows,
    /// The configured timeout: how long a lock may be held (a crashed holder frees it then).
    pub timeout: Duration,
    /// What to do when the store has nothing fresh.
    pub server: &'a dyn Source,
    /// The token this process last invalidated: not adopted again (see `TokenClient::invalidate`).
    pub dropped: &'a CacheSlot<[u8; 32]>,
}

impl Source for StoreFirst<'_> {
    fn fetch(&self, deadline: Instant) -> Result<Arc<CacheEntry>> {
        let mut stale = None;
        if let Some(e) = self.adopt(&mut stale, deadline)? {
            return Ok(e);
        }
        let lock = self.wait_for_lock(deadline, &mut stale)?;
        let lock = match lock {
            Ok(lock) => lock,
            Err(adopted) => return Ok(adopted),
        };
        if lock.is_some()
            && let Some(e) = self.adopt(&mut stale, deadline)?
        {
            return Ok(e);
        }
        let result = self.server.fetch(deadline);
        if let Ok(e) = &result {
            let now = self.clock.wall();
            let stored = StoredToken {
                access_token: e.token.access_token().to_owned(),
                token_type: e.token.token_type().to_owned(),
                scopes: e.token.scopes().to_vec(),
                // From the monotonic time left, not the wall expiry stamped when the request was
                // sent: a wall clock stepped back meanwhile must not lengthen the stored life.
                expires_at: now
                    + e.token
                        .expires_at_instant()
                        .saturating_duration_since(self.clock.now()),
                lifetime: e.lifetime,
            };
            // Cut short by the deadline, the token may or may not have been stored: either is
            // fine, and it is kept in memory anyway.
            self.health.check_write(
                self.store.put_if_newer(self.key, &stored, now, deadline),
                "token kept in memory only",
                |written| *written,
            );
        }
        if let Some(lock) = lock {
            // No later than the deadline the lock was taken with; past it, the lock expires by
            // itself (its TTL is the timeout, so at most one timeout after it was taken).
            self.health
                .check(lock.release(), "the lock will expire by itself");
        }
        match (result, stale) {
            // A refresh failed, but the stored token is still usable: serve it until it is not.
            (Err(err), Some(e)) if self.clock.now() < e.usable_until => {
                log::warn!(
                    "token refresh failed, serving the stored token until it expires: {err}"
                );
                Ok(e)
            }
            (result, _) => result,
        }
    }
}

impl StoreFirst<'_> {
    /// Waits for the fetch lock in short slices, looking in the store between them: the
    /// holder's token is usually there before the lock is free. `Ok(Err(entry))`: adopted
    /// meanwhile; `Ok(Ok(None))`: the store failed, fetch without its lock. Each slice bounds
    /// the wait for another holder only; one attempt may take until the caller's deadline, and
    /// one cut short by it ends the call with `timeout` (the lock may have been taken, unknown
    /// to us: it expires by itself; no request is sent without knowing).
    #[allow(clippy::type_complexity)]
    fn wait_for_lock(
        &self,
        deadline: Instant,
        stale: &mut Option<Arc<CacheEntry>>,
    ) -> Result<std::result::Result<Option<Box<dyn crate::store::StoreLock>>, Arc<CacheEntry>>>
    {
        let mut slice = STORE_WAIT_MIN;
        loop {
            let left = deadline.saturating_duration_since(self.clock.now());
            let slice_end = self.clock.now() + slice.min(left);
            let attempt = self.store.lock(self.key, self.timeout, slice_end, deadline);
            if let Err(e) = &attempt
                && let Some(timeout) = e.cut_short(self.timeout, || self.waiting_for_lock())
            {
                return Err(timeout);
            }
            match self.health.check(
                attempt,
                "no shared fetch lock; requests fall under the outage budget",
            ) {
                Some(Some(lock)) => return Ok(Ok(Some(lock))),
                None => return Ok(Ok(None)),
                Some(None) => {
                    if let Some(e) = self.adopt(stale, deadline)? {
                        return Ok(Err(e));
                    }
                    if self.clock.now() >= deadline {
                        return Err(Error::Timeout {
                            after: self.timeout,
                            message: self.waiting_for_lock(),
                        });
                    }
                    slice = (slice * 2).min(STORE_WAIT_MAX);
                }
            }
        }
    }

    fn waiting_for_lock(&self) -> String {
        format!(
            "waiting for the {} store's fetch lock",
            self.store.describe()
        )
    }

    /// A fresh token another client or process left in the store. A stale but usable one is
    /// kept in `stale`, to serve if the refresh fails. A read cut short by `deadline` ends the
    /// call with `timeout`: the store may hold a fresh token, so nothing is fetched.
    fn adopt(
        &self,
        stale: &mut Option<Arc<CacheEntry>>,
        deadline: Instant,
    ) -> Result<Option<Arc<CacheEntry>>> {
        let (now, wall) = (self.clock.now(), self.clock.wall());
        let read = self.store.get(self.key, wall, deadline);
        if let Err(e) = &read
            && let Some(timeout) = e.cut_short(self.timeout, || {
                format!("reading the {} store", self.store.describe())
            })
        {
            return Err(timeout);
        }
        Ok(self.adopt_read(read, now, wall, stale))
    }

    /// [`Self::adopt`] once the store answered (or failed: nothing to adopt).
    fn adopt_read(
        &self,
        read: std::result::Result<Option<StoredToken>, StoreError>,
        now: Instant,
        wall: std::time::SystemTime,
        stale: &mut Option<Arc<CacheEntry>>,
    ) -> Option<Arc<CacheEntry>> {
        let stored = self.health.check(
            read,
            "serving from memory; requests fall under the outage budget",
        )??;
        let digest = StoreKey::token_digest(&stored.access_token);
        if self.dropped.with(|d| d == Some(&digest)) {
            // Invalidated here (an API answered 401), though the store still holds it.
            return None;
        }
        let left = stored.expires_at.duration_since(wall).ok()?;
        if stored.lifetime < left {
            // Written by something that did not know the lifetime: its windows are unknown.
            return None;
        }
        let token = Token::new(
            stored.access_token,
            stored.token_type,
            stored.scopes,
            now + left,
            stored.expires_at,
        );
        let entry = Arc::new(CacheEntry::new(
            token,
            stored.lifetime,
            now,
            self.windows,
            fastrand::f64(),
        ));
        match entry.freshness(now) {
            Freshness::Fresh => {
                log::debug!(
                    "token {} taken from the {} store",
                    entry.token.redacted(),
                    self.store.describe()
                );
                Some(entry)
            }
            Freshness::Stale => {
                *stale = Some(entry);
                None
            }
            Freshness::Expired => None,
        }
    }
}
