//! The server source: attempts at the token endpoint. Before any, a terminal answer remembered
//! by this process or by anyone sharing the store is replayed instead; each attempt is drawn from
//! the budget (`governor::Quota`) and counted from when it ends; failures are retried as
//! `retry::after_failure` says, all inside the caller's deadline.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use crate::cache::{CacheEntry, Windows};
use crate::clock::TimeSource;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::exchange::{Exchange, Transport};
use crate::fork::PerProcess;
use crate::governor::{Quota, TerminalMemory};
use crate::response::{Grant, interpret};
use crate::retry;
use crate::single_flight::Source;
use crate::stats::Counters;
use crate::store::{RememberedRefusal, StoreHealth, StoreKey, TokenStore};
use crate::token::Token;

/// Per-process state of the server source (rebuilt after a fork).
#[derive(Default)]
pub(crate) struct ServerLocal {
    /// Terminal answers of this exact configuration.
    terminal: TerminalMemory,
    /// The HTTP agent of this process (never shared across a fork: pooled sockets).
    exchange: Option<Arc<dyn Transport>>,
}

impl ServerLocal {
    pub(crate) fn after_fork(parent: Option<&ServerLocal>) -> ServerLocal {
        ServerLocal {
            terminal: parent.map(|p| p.terminal.clone()).unwrap_or_default(),
            exchange: None,
        }
    }
}

pub(crate) struct Server<'a> {
    pub config: &'a Config,
    pub key: &'a StoreKey,
    pub local: &'a PerProcess<ServerLocal>,
    pub quota: Quota<'a>,
    pub store: Option<&'a dyn TokenStore>,
    pub health: &'a StoreHealth,
    pub counters: &'a Counters,
    /// A transport to use instead of HTTP (tests).
    pub transport: Option<&'a Arc<dyn Transport>>,
}

impl Source for Server<'_> {
    fn fetch(&self, deadline: Instant) -> Result<Arc<CacheEntry>> {
        let clock = &self.config.clock;
        let local = self.local.get(ServerLocal::after_fork);
        if let Err(remembered) = self.remembered(&mut local.lock().terminal, clock, deadline) {
            if !matches!(remembered, Error::Timeout { .. }) {
                self.counters.refused_locally.fetch_add(1, Relaxed);
            }
            return Err(remembered);
        }
        let transport =
            match self.transport {
                Some(t) => Arc::clone(t),
                None => Arc::clone(local.lock().exchange.get_or_insert_with(|| {
                    Arc::new(Exchange::new(self.config)) as Arc<dyn Transport>
                })),
            };
        let result = self.send_with_retries(transport.as_ref(), deadline);
        let err = result.as_ref().err();
        let ttl = self.config.terminal_error_ttl;
        local
            .lock()
            .terminal
            .record(clock.now(), err.map_or(Ok(()), Err), ttl);
        if let (Some(store), Some(refusal)) = (
            self.store,
            err.filter(|e| e.is_terminal_oauth())
                .and_then(RememberedRefusal::from_error),
        ) {
            self.health.check_write(
                store.remember_refusal(self.key, &refusal, ttl, clock.wall(), deadline),
                "the answer is remembered by this process only",
                |_| true,
            );
        }
        result
    }
}

impl Server<'_> {
    /// A terminal answer remembered here or, through the store, by another process or host.
    /// A look cut short by the deadline is a `timeout`: not knowing, nothing is sent.
    fn remembered(
        &self,
        memory: &mut TerminalMemory,
        clock: &TimeSource,
        deadline: Instant,
    ) -> Result<()> {
        memory.check(clock.now())?;
        let Some(store) = self.store else {
            return Ok(());
        };
        let answer = store.remembered_refusal(self.key, clock.wall(), deadline);
        if let Err(e) = &answer
            && let Some(timeout) = e.cut_short(self.config.timeout, || {
                "looking in the store for a remembered refusal".into()
            })
        {
            return Err(timeout);
        }
        let found = self.health.check(
            answer,
            "terminal answers are remembered by this process only",
        );
        match found.flatten() {
            Some((refusal, left)) => {
                let err = refusal.into_error();
                memory.record(clock.now(), Err(&err), left);
                Err(err)
            }
            None => Ok(()),
        }
    }

    fn send_with_retries(
        &self,
        transport: &dyn Transport,
        deadline: Instant,
    ) -> Result<Arc<CacheEntry>> {
        let config = self.config;
        let clock = &config.clock;
        let mut retries = 0;
        loop {
            let left = deadline.saturating_duration_since(clock.now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    after: config.timeout,
                    message: "no time left for another attempt".into(),
                });
            }
            let permit = match self.quota.acquire(clock.now(), clock.wall(), left) {
                Ok(p) => p,
                // The store's budget did not answer by the deadline (nothing was sent).
                Err(e @ Error::Timeout { .. }) => return Err(e),
                Err(refusal) if retries == 0 => {
                    self.counters.refused_locally.fetch_add(1, Relaxed);
                    return Err(refusal);
                }
                // Out of budget for another retry: the real error is the informative one.
                Err(refusal) => return Err(refusal.last_error().cloned().unwrap_or(refusal)),
            };
            // Taking the slot may have waited (a store's lock): the attempt gets only what is
            // left now, never more than the slot was taken for.
            let left = deadline.saturating_duration_since(clock.now());
            if left.is_zero() {
                let abandoned = Error::Timeout {
                    after: config.timeout,
                    message: "no time left after taking a request slot".into(),
                };
                let outcome: Result<()> = Err(abandoned.clone());
                self.quota
                    .finish(permit, clock.now(), &outcome, clock.wall());
                return Err(abandoned);
            }
            let (sent_at, sent_wall) = (clock.now(), clock.wall());
            log::debug!(
                "requesting a token for client {} from {}",
                config.client_id,
                config.token_url
            );
            let result = transport
                .send(config, left)
                .and_then(|reply| interpret(reply, &config.client_secret, sent_wall));
            self.quota
                .finish(permit, clock.now(), &result, clock.wall());
            self.counters.record(&result);
            match result {
                Ok(grant) => return Ok(Arc::new(self.publish(grant, sent_at, sent_wall))),
                Err(err) => {
                    log::debug!("token request failed: {err}");
                    let left = deadline.saturating_duration_since(clock.now());
                    let pause = retry::after_failure(err, retries, config.max_retries, left)?;
                    retries += 1;
                    clock.sleep(pause);
                }
            }
        }
    }

    fn publish(
        &self,
        grant: Grant,
        sent_at: Instant,
        sent_wall: std::time::SystemTime,
    ) -> CacheEntry {
        let config = self.config;
        let scopes = grant
            .scopes
            .unwrap_or_else(|| config.scopes.as_slice().to_vec());
        let token = Token::new(
            grant.access_token,
            "Bearer".to_owned(),
            scopes,
            sent_at + grant.expires_in,
            sent_wall + grant.expires_in,
        );
        log::info!(
            "token {} obtained, expires in {}s",
            token.redacted(),
            grant.expires_in.as_secs()
        );
        CacheEntry::new(
            token,
            grant.expires_in,
            sent_at,
            windows(config),
            fastrand::f64(),
        )
    }
}

/// The cache windows as configured.
pub(crate) fn windows(config: &Config) -> Windows {
    Windows {
        refresh_ahead: config.refresh_ahead,
        min_validity: config.min_validity,
    }
}
