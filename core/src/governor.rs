//! The quota governor: whether a token request may be sent now. This is where the
//! "5 requests per rolling minute, failed or successful" rule lives, together with the 429
//! cool-down and the memory of terminal answers — everything that stops a loop from locking
//! the application out of OfficeRnD.
//!
//! The budget and the cool-down belong to the credentials (token URL + client id: what OfficeRnD
//! counts); terminal answers belong to one exact configuration (a fixed secret or narrower scopes
//! must not be refused because of another client's `invalid_client` or `invalid_scope`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::Error;

/// Admission state for one set of credentials (token URL + client id) in this process.
#[derive(Clone, Debug)]
pub(crate) struct Governor {
    capacity: u32,
    window: Duration,
    /// Send times of requests inside the current window, oldest first.
    sent: VecDeque<Instant>,
    /// No request before this instant (the server answered 429).
    cooldown_until: Option<Instant>,
    /// The last real error, quoted by `rate_limited` errors.
    last_error: Option<Error>,
}

impl Governor {
    pub(crate) fn new(capacity: u32, window: Duration) -> Governor {
        Governor {
            capacity,
            window,
            sent: VecDeque::with_capacity(capacity as usize),
            cooldown_until: None,
            last_error: None,
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(first) = self.sent.front() {
            if now.saturating_duration_since(*first) >= self.window {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }

    /// Takes one request from the budget, or says why not (a `rate_limited` error with when to
    /// retry). Every attempt — first fetch, refresh, retry — goes through here.
    pub(crate) fn acquire(&mut self, now: Instant) -> Result<(), Error> {
        if let Some(until) = self.cooldown_until {
            if now < until {
                return Err(self.refusal(until - now, true));
            }
            self.cooldown_until = None;
        }
        self.expire(now);
        if self.sent.len() as u32 >= self.capacity {
            let oldest = *self.sent.front().expect("capacity is at least 1");
            let wait = (oldest + self.window).saturating_duration_since(now);
            return Err(self.refusal(wait, false));
        }
        self.sent.push_back(now);
        Ok(())
    }

    /// Gives back the slot just taken (a shared budget refused the request after all).
    pub(crate) fn refund(&mut self) {
        self.sent.pop_back();
    }

    /// A local refusal quoting the last real error.
    pub(crate) fn refusal(&self, retry_after: Duration, from_server: bool) -> Error {
        Error::RateLimited {
            retry_after,
            from_server,
            last_error: self.last_error.clone().map(Box::new),
        }
    }

    /// Records the outcome of an attempt that was sent.
    pub(crate) fn record_failure(&mut self, now: Instant, err: &Error) {
        if let Error::RateLimited {
            retry_after,
            from_server: true,
            ..
        } = err
        {
            self.cooldown_until = Some(now + *retry_after);
        }
        if !matches!(
            err,
            Error::RateLimited {
                from_server: false,
                ..
            }
        ) {
            self.last_error = Some(strip_nested(err));
        }
    }

    /// A success clears the remembered error.
    pub(crate) fn record_success(&mut self) {
        self.last_error = None;
    }

    /// Requests left in the current window.
    pub(crate) fn remaining(&mut self, now: Instant) -> u32 {
        self.expire(now);
        if self.cooldown_until.is_some_and(|u| now < u) {
            return 0;
        }
        self.capacity.saturating_sub(self.sent.len() as u32)
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.capacity
    }

    pub(crate) fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }
}

/// Terminal answers of one configuration, replayed for a while instead of re-sent: resending
/// `invalid_client` only burns the quota.
#[derive(Clone, Debug, Default)]
pub(crate) struct TerminalMemory {
    remembered: Option<(Error, Instant)>,
}

impl TerminalMemory {
    /// The remembered answer, if still in force.
    pub(crate) fn check(&mut self, now: Instant) -> Result<(), Error> {
        match &self.remembered {
            Some((err, until)) if now < *until => Err(err.clone()),
            Some(_) => {
                self.remembered = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Remembers `err` for `ttl` if it is terminal; any other outcome forgets.
    pub(crate) fn record(&mut self, now: Instant, outcome: Result<(), &Error>, ttl: Duration) {
        self.remembered = match outcome {
            Err(e) if e.is_terminal_oauth() => Some((e.clone(), now + ttl)),
            _ => None,
        };
    }
}

/// `last_error` is kept one level deep so errors never nest without bound.
fn strip_nested(err: &Error) -> Error {
    match err {
        Error::RateLimited {
            retry_after,
            from_server,
            ..
        } => Error::RateLimited {
            retry_after: *retry_after,
            from_server: *from_server,
            last_error: None,
        },
        e => e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OAuthErrorBody;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn five_per_rolling_minute() {
        let t0 = Instant::now();
        let mut g = Governor::new(5, MIN);
        for i in 0..5 {
            g.acquire(t0 + Duration::from_secs(i)).unwrap();
        }
        let e = g.acquire(t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(e.code(), "rate_limited");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(50)));
        assert_eq!(g.remaining(t0 + Duration::from_secs(10)), 0);
        // The first slot frees exactly one window after it was used.
        g.acquire(t0 + MIN).unwrap();
        assert!(g.acquire(t0 + MIN).is_err());
        assert_eq!(g.remaining(t0 + MIN + Duration::from_secs(1)), 1);
    }

    #[test]
    fn server_429_starts_a_cooldown() {
        let t0 = Instant::now();
        let mut g = Governor::new(5, MIN);
        g.acquire(t0).unwrap();
        g.record_failure(
            t0,
            &Error::RateLimited {
                retry_after: Duration::from_secs(30),
                from_server: true,
                last_error: None,
            },
        );
        let e = g.acquire(t0 + Duration::from_secs(29)).unwrap_err();
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(e.status(), Some(429));
        g.acquire(t0 + Duration::from_secs(30)).unwrap();
    }

    #[test]
    fn terminal_errors_are_replayed_then_forgotten() {
        let t0 = Instant::now();
        let mut m = TerminalMemory::default();
        let bad = Error::OAuth {
            status: 401,
            body: OAuthErrorBody {
                error: "invalid_client".into(),
                error_description: None,
                error_uri: None,
            },
        };
        m.record(t0, Err(&bad), MIN);
        assert_eq!(m.check(t0 + Duration::from_secs(59)).unwrap_err(), bad);
        assert!(m.check(t0 + MIN).is_ok());
        let transient = Error::Transport {
            message: "x".into(),
        };
        m.record(t0, Err(&transient), MIN);
        assert!(m.check(t0).is_ok(), "only terminal answers are remembered");
    }

    #[test]
    fn refusals_quote_the_last_real_error() {
        let t0 = Instant::now();
        let mut g = Governor::new(1, MIN);
        g.acquire(t0).unwrap();
        g.record_failure(
            t0,
            &Error::Http {
                status: 503,
                detail: None,
                retry_after: None,
            },
        );
        let e = g.acquire(t0).unwrap_err();
        assert_eq!(e.last_error().and_then(Error::status), Some(503));
    }
}
