//! The core client behind a JS client, built at once when that does no I/O, or on first use
//! when a store must be opened (the file store checks and creates its directory; a Redis store
//! may read a CA file): the Promise methods then open it on the libuv pool, never on the JS
//! thread. Store settings are checked when the store is opened — their errors (a misspelt
//! store, an unsafe directory, a bad Redis URL) reject the first call, and every later one.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock};

use officernd_auth::{Error as CoreError, TokenClient as CoreClient, TokenClientBuilder};

use crate::logsink::{self, Sink};

/// A built core client and its change counter.
pub(crate) struct Built {
    pub(crate) client: CoreClient,
    pub(crate) changes: Arc<AtomicU64>,
}

impl Built {
    fn new(client: CoreClient) -> Built {
        Built {
            changes: client.change_counter(),
            client,
        }
    }
}

/// What is left to do on first use.
struct Pending {
    builder: TokenClientBuilder,
    /// For `fromEnv`: the variables core read (or will read) when the client was made, so that
    /// building later sees the environment of that moment.
    env: Option<HashMap<String, Option<String>>>,
}

impl Pending {
    fn build(self) -> Result<CoreClient, CoreError> {
        let builder = match self.env {
            Some(vars) => self.builder.with_env_from(|name| match vars.get(name) {
                Some(v) => v.clone(),
                None => std::env::var(name).ok(),
            })?,
            None => self.builder,
        };
        builder.build()
    }
}

pub(crate) struct Lazy {
    cell: OnceLock<Result<Built, CoreError>>,
    pending: Mutex<Option<Pending>>,
    /// Where core's log records of this client's calls go (see `logsink`).
    pub(crate) sink: Option<Arc<Sink>>,
}

impl Lazy {
    pub(crate) fn ready(client: CoreClient, sink: Option<Arc<Sink>>) -> Lazy {
        Lazy {
            cell: OnceLock::from(Ok(Built::new(client))),
            pending: Mutex::new(None),
            sink,
        }
    }

    pub(crate) fn pending(
        builder: TokenClientBuilder,
        env: Option<HashMap<String, Option<String>>>,
        sink: Option<Arc<Sink>>,
    ) -> Lazy {
        Lazy {
            cell: OnceLock::new(),
            pending: Mutex::new(Some(Pending { builder, env })),
            sink,
        }
    }

    /// The client if it is built (never blocks, never does I/O).
    pub(crate) fn built(&self) -> Option<&Built> {
        self.cell.get()?.as_ref().ok()
    }

    /// The client, built here if needed: may open the store, and waits for another thread
    /// that is building it. Call only where blocking is allowed (a pool thread, a `…Sync`).
    pub(crate) fn get(&self) -> Result<&Built, CoreError> {
        self.cell
            .get_or_init(|| {
                let pending = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .expect("a lazy client is built once");
                logsink::scoped(self.sink.as_ref(), || pending.build().map(Built::new))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Runs `f` on the client (built first if needed), its log records going to this client's
    /// JS thread.
    pub(crate) fn run<R>(
        &self,
        f: impl FnOnce(&CoreClient) -> Result<R, CoreError>,
    ) -> Result<R, CoreError> {
        logsink::scoped(self.sink.as_ref(), || f(&self.get()?.client))
    }
}
