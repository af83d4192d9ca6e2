//! [`MockServer`]: the axum app on its own tokio runtime and thread, behind a blocking handle,
//! because `officernd-auth` core is synchronous and its tests have no runtime of their own.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get};
use tokio::sync::watch;

use crate::config::{MockConfig, RateLimit};
use crate::faults::Fault;
use crate::state::SharedState;
use crate::{control, resource, spawn, token_endpoint};

/// After shutdown is asked, how long open requests (a long `Delay` fault, say) may take before
/// the runtime is dropped under them. Keeps `drop(server)` from hanging a test.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(250);

/// A running mock identity server. Dropping it stops the server and joins its thread.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<SharedState>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Binds (synchronously, so a bind error is returned here), then serves on a background
    /// thread with a single-threaded runtime: plenty for tests, and cheap to start many of.
    pub fn start(config: MockConfig) -> io::Result<MockServer> {
        let listener = std::net::TcpListener::bind(config.bind)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let state = Arc::new(SharedState::new(&config));
        let app = router(Arc::clone(&state));
        let (stop, stop_rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name(format!("officernd-mock-{}", addr.port()))
            .spawn(move || runtime.block_on(serve(listener, app, stop_rx)))?;
        log::info!("mock identity server listening on http://{addr}");
        Ok(MockServer {
            addr,
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// [`MockServer::start`] with [`MockConfig::default`]; panics if it cannot (tests only).
    pub fn start_default() -> MockServer {
        MockServer::start(MockConfig::default()).expect("start the mock identity server")
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url())
    }

    pub fn resource_url(&self) -> String {
        format!("{}/api/v2/me", self.url())
    }

    /// Every request that reached `/oauth/token`, counted before faults, rate limit and
    /// validation.
    pub fn token_requests(&self) -> u64 {
        self.state.stats().token_requests
    }

    /// Every request that reached the protected resource (`/api/v2/me`), answered 200 or 401.
    pub fn resource_requests(&self) -> u64 {
        self.state.stats().resource_requests
    }

    /// The most token requests that arrived inside any rolling window `[t, t + window)`: what a
    /// quota promise ("never more than N per window, as the server counts") is checked against.
    /// Counts every request that reached `/oauth/token`, whatever it was answered; a
    /// [`Fault::SlowArrival`] counts from when it arrived, after its sleep.
    pub fn max_in_window(&self, window: Duration) -> u64 {
        self.state.max_in_window(window)
    }

    /// When each token request arrived, as offsets from the server's start, sorted (the newest
    /// 100 000 are kept; [`MockServer::reset`] forgets them).
    pub fn token_request_arrivals(&self) -> Vec<Duration> {
        self.state.arrival_offsets()
    }

    /// Tokens the resource will accept (normal grants plus the success-shaped faults that mint
    /// real tokens).
    pub fn tokens_issued(&self) -> u64 {
        self.state.stats().tokens_issued
    }

    /// The whole access tokens issued so far (normal grants and the success-shaped faults that
    /// mint real ones; [`MockServer::reset`] keeps them), for tests that assert a token never
    /// shows up where it should not.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued_tokens()
    }

    /// Faults pushed but not yet taken by a token request.
    pub fn faults_queued(&self) -> usize {
        self.state.stats().faults_queued
    }

    pub fn push_fault(&self, f: Fault) {
        self.state.push_faults([f]);
    }

    pub fn push_faults(&self, fs: impl IntoIterator<Item = Fault>) {
        self.state.push_faults(fs);
    }

    /// `expires_in` (and resource-side validity) of tokens issued from now on.
    pub fn set_lifetime(&self, secs: i64) {
        self.state.set_lifetime(secs);
    }

    /// Replaces the limit and forgets the request history.
    pub fn set_rate_limit(&self, rl: Option<RateLimit>) {
        self.state.set_rate_limit(rl);
    }

    /// Like deleting the app in OfficeRnD: the resource answers 401 for every token issued so far.
    pub fn revoke_all_tokens(&self) {
        self.state.revoke_all_tokens();
    }

    /// Clears counters, arrivals, queued faults, rate-limit history and the last request, and restores
    /// the lifetime and rate limit the server started with. Issued tokens stay valid.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// The decoded form body of the last token request (`None` before any, or if it was not a
    /// valid form). Contains the client secret: for test assertions only.
    pub fn last_request_form(&self) -> Option<Vec<(String, String)>> {
        self.state.last_form()
    }

    /// Headers of the last token request, names lower-case, in arrival order.
    pub fn last_request_headers(&self) -> Option<Vec<(String, String)>> {
        self.state.last_headers()
    }

    /// Same as dropping the server; reads better at the end of a test.
    pub fn shutdown(self) {}
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // send_replace works even if the server task is already gone.
        self.stop.send_replace(true);
        if let Some(thread) = self.thread.take() {
            // A panic on the server thread was already reported there; don't panic in drop.
            let _ = thread.join();
        }
    }
}

fn router(state: Arc<SharedState>) -> Router {
    Router::new()
        // `any`, not `post`: a GET must still be counted and answered like OfficeRnD does.
        .route("/oauth/token", any(token_endpoint::token))
        // The same endpoint under a prefix: tests tag each mock's URL with one (`/run-7/…`),
        // so that a later mock on a reused port is another endpoint to the client (another
        // cache and budget), as a query string no longer is.
        .route("/{prefix}/oauth/token", any(token_endpoint::token))
        .route("/api/v2/me", get(resource::me).post(resource::me))
        .merge(control::routes())
        .merge(spawn::routes())
        .with_state(state)
}

async fn serve(listener: tokio::net::TcpListener, app: Router, stop: watch::Receiver<bool>) {
    let mut graceful_stop = stop.clone();
    let mut hard_stop = stop;
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        // Err means the handle is gone: stop as well.
        let _ = graceful_stop.wait_for(|s| *s).await;
    });
    tokio::select! {
        result = server => {
            if let Err(e) = result {
                log::error!("mock identity server failed: {e}");
            }
        }
        () = async move {
            let _ = hard_stop.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => log::debug!("mock identity server: dropping connections still open"),
    }
}
