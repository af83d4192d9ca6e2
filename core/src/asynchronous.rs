//! The async API (feature `async`): the synchronous client, awaited without blocking an executor.
//!
//! A fresh cached token is answered in place ([`TokenClient::cached`]: no lock, no I/O, no thread
//! hop). Anything that may wait — a fetch, waiting for another caller's fetch, a store — runs the
//! synchronous call on a blocking thread and awaits its result there:
//!
//! - inside a tokio runtime (`tokio::runtime::Handle::try_current()`), on tokio's blocking pool
//!   (`spawn_blocking`): threads are reused and the runtime knows about them;
//! - anywhere else (async-std, smol, `futures::executor::block_on`, …), on a thread of its own,
//!   its result sent back through a `futures-channel` oneshot, which any executor can await.
//!   A new thread per fetch is cheap next to the HTTP exchange it runs, and fetches are rare (one per
//!   token lifetime, rarer still with a shared store); a pool (the `blocking` crate) would bring
//!   more dependencies and nothing a caller would notice.
//!
//! Every single-flight rule stays in the synchronous core: tasks that find no fresh token each
//! call the core's `token()` from their blocking thread, and the core lets exactly one of them
//! fetch while the others wait for its result. Cancellation: dropping a waiting future only stops
//! waiting. The blocking thread runs the core call to completion regardless, so the fetch goes on
//! for the other waiters, its token is cached, and the flight is never left in progress.

use std::panic::{self, AssertUnwindSafe};

use crate::client::TokenClient;
use crate::error::{Error, Result};
use crate::token::Token;

impl TokenClient {
    /// A valid token, without blocking the executor: [`Self::token`] for async code.
    ///
    /// A fresh cached token is returned at once, on the calling task. Otherwise the synchronous
    /// [`Self::token`] runs on a blocking thread (tokio's blocking pool in a tokio runtime, a
    /// thread of its own elsewhere) — still one request however many tasks and threads ask at
    /// once. Dropping the future does not cancel the request: the others waiting for it get its
    /// token, and it is cached.
    ///
    /// ```no_run
    /// # async fn example() -> officernd_auth::Result<()> {
    /// let client = officernd_auth::TokenClient::from_env()?;
    /// let token = client.token_async().await?;
    /// println!("expires in {:?}", token.expires_in());
    /// # Ok(()) }
    /// ```
    pub async fn token_async(&self) -> Result<Token> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let client = self.clone();
        blocking(move || client.token()).await
    }

    /// `Bearer <access_token>`, for the `Authorization` header: [`Self::authorization_header`]
    /// for async code (see [`Self::token_async`]).
    pub async fn authorization_header_async(&self) -> Result<String> {
        Ok(self.token_async().await?.authorization_header())
    }

    /// After an API call answered 401 with `rejected`: [`Self::token_after_unauthorized`] for
    /// async code, on a blocking thread (it drops the token from the store, then fetches). The
    /// token to retry the call with once, or `None` when that would be the same token again.
    pub async fn token_after_unauthorized_async(&self, rejected: &Token) -> Result<Option<Token>> {
        let (client, rejected) = (self.clone(), rejected.clone());
        blocking(move || client.token_after_unauthorized(&rejected)).await
    }

    /// [`Self::invalidate`] for async code: in place when the cache is memory only, on a blocking
    /// thread when a shared store must be told too. Returns whether `token` was dropped (from
    /// this process's cache).
    pub async fn invalidate_async(&self, token: &Token) -> bool {
        if self.config().store.is_none() {
            return self.invalidate(token);
        }
        let (client, token) = (self.clone(), token.clone());
        // `invalidate` never fails (a store error is logged and the memory cache still drops
        // the token); only the blocking thread can, in which case nothing was dropped.
        blocking(move || Ok(client.invalidate(&token)))
            .await
            .unwrap_or(false)
    }
}

/// Runs `call` on a blocking thread and awaits its result: tokio's blocking pool inside a tokio
/// runtime, a thread of its own elsewhere. `call` runs to completion even if the returned future
/// is dropped. A panic in `call` resumes in the awaiting task, as it would have in a sync call.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        return match runtime.spawn_blocking(call).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down before the thread started: `call` never ran.
            Err(_) => Err(Error::Transport {
                message: "the tokio runtime shut down before the token request could start".into(),
            }),
        };
    }
    let (answer, answered) = futures_channel::oneshot::channel();
    std::thread::Builder::new()
        .name("officernd-auth-token".into())
        .spawn(move || {
            // The receiver may be gone (the future was dropped): the call's work is done anyway.
            let _ = answer.send(panic::catch_unwind(AssertUnwindSafe(call)));
        })
        .map_err(|e| Error::Transport {
            message: format!("could not start a thread for the token request: {e}"),
        })?;
    match answered.await {
        Ok(Ok(result)) => result,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        // The thread always sends (a panic is caught); unless the process aborts it.
        Err(_) => Err(Error::Transport {
            message: "the token request's thread ended without an answer".into(),
        }),
    }
}
