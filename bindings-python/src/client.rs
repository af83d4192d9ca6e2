//! `TokenClient`: construction from keyword settings (or the environment) and the calls, which
//! answer from core's cache without releasing the GIL and release it around anything that may
//! touch the network (or a shared store).

use officernd_auth::{Token, TokenClient, TokenClientBuilder};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::args;
use crate::awaitable::Ready;
use crate::errors::core;
use crate::stats::PyStats;
use crate::token::PyToken;

/// Builds the client without the GIL: a `store` or `store_path` setting is opened here (a
/// directory created, a Redis URL parsed).
fn build(py: Python<'_>, b: TokenClientBuilder) -> PyResult<PyTokenClient> {
    let inner = core(py.detach(|| b.build()))?;
    Ok(PyTokenClient { inner })
}

/// A cached, single-flight, quota-aware OfficeRnD token client; safe to share across threads.
/// Clients with the same token URL, client id, secret, scopes and store share one cache in a
/// process; a `file` or `redis://` store shares the token between processes and hosts.
#[pyclass(frozen, module = "officernd_auth", name = "TokenClient")]
pub(crate) struct PyTokenClient {
    inner: TokenClient,
}

impl PyTokenClient {
    /// The token, from the cache (no GIL release: nanoseconds) or fetched with the GIL released.
    #[inline]
    fn get(&self, py: Python<'_>) -> PyResult<Token> {
        match self.inner.cached() {
            Some(t) => Ok(t),
            None => core(py.detach(|| self.inner.token())),
        }
    }

    /// `await`-able: done at once when cached, else `asyncio.to_thread(method)`.
    fn awaitable<'py>(
        slf: &Bound<'py, Self>,
        method: &str,
        ready: impl FnOnce(Token) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        static TO_THREAD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let py = slf.py();
        if let Some(t) = slf.get().inner.cached() {
            let value = ready(t)?.unbind();
            return Ok(Bound::new(py, Ready { value })?.into_any());
        }
        let to_thread = TO_THREAD.import(py, "asyncio", "to_thread")?;
        to_thread.call1((slf.getattr(method)?,))
    }
}

#[pymethods]
impl PyTokenClient {
    /// `TokenClient(client_id, client_secret, **settings)`: every keyword is a setting of
    /// core's table (`scopes`, `token_url`, `timeout`, …; see `_native.pyi`).
    #[new]
    #[pyo3(signature = (client_id, client_secret, **settings))]
    fn new(
        py: Python<'_>,
        client_id: String,
        client_secret: String,
        settings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let b = TokenClient::builder()
            .client_id(client_id)
            .client_secret(client_secret);
        build(py, args::apply("TokenClient", b, settings)?)
    }

    /// A client from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`, `OFFICERND_SCOPES`,
    /// `OFFICERND_TOKEN_URL`, `OFFICERND_STORE` and `OFFICERND_STORE_PATH`; keyword settings
    /// (the same as `TokenClient(...)`'s, plus `client_id` and `client_secret`) override the
    /// environment.
    #[staticmethod]
    #[pyo3(signature = (**settings))]
    fn from_env(py: Python<'_>, settings: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let b = args::apply("from_env", TokenClient::builder(), settings)?;
        // `OFFICERND_STORE` may name a file store: opening it touches the disk, without the GIL.
        let b = core(py.detach(|| b.with_env()))?;
        build(py, b)
    }

    /// A valid token: from the cache when fresh, otherwise fetched (once, however many threads
    /// ask) with the GIL released.
    fn token(&self, py: Python<'_>) -> PyResult<PyToken> {
        self.get(py).map(|inner| PyToken { inner })
    }

    /// The access token string.
    fn access_token<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        Ok(PyString::new(py, self.get(py)?.access_token()))
    }

    /// "Bearer <access_token>", the value of the `Authorization` header.
    fn authorization_header(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.get(py)?.authorization_header())
    }

    /// The fresh cached token, or None (never any I/O).
    fn cached(&self) -> Option<PyToken> {
        self.inner.cached().map(|inner| PyToken { inner })
    }

    /// `await client.token_async()`: at once when cached, else fetched in a worker thread
    /// (`asyncio.to_thread`) so the event loop keeps running.
    fn token_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        Self::awaitable(slf, "token", |inner| {
            Ok(Bound::new(py, PyToken { inner })?.into_any())
        })
    }

    /// `await client.authorization_header_async()`: like `token_async`, for the header value.
    fn authorization_header_async<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        Self::awaitable(slf, "authorization_header", |t| {
            Ok(PyString::new(py, &t.authorization_header()).into_any())
        })
    }

    /// Drops `token` from the cache (and the store) if it is still the cached one (call it
    /// after an API 401). Returns whether it was dropped.
    fn invalidate(&self, py: Python<'_>, token: PyRef<'_, PyToken>) -> bool {
        let t = token.inner.clone();
        py.detach(|| self.inner.invalidate(&t))
    }

    /// After an API call answered 401 with `token`: drops it and returns the token to retry
    /// with once, or None when that would be the same token again (core's 401 rule).
    fn token_after_unauthorized(
        &self,
        py: Python<'_>,
        token: PyRef<'_, PyToken>,
    ) -> PyResult<Option<PyToken>> {
        let rejected = token.inner.clone();
        let next = core(py.detach(|| self.inner.token_after_unauthorized(&rejected)))?;
        Ok(next.map(|inner| PyToken { inner }))
    }

    /// Metrics: requests by outcome, cache hits, budget left, time to expiry.
    fn stats(&self, py: Python<'_>) -> PyStats {
        py.detach(|| self.inner.stats()).into()
    }

    /// The token endpoint URL.
    #[getter]
    fn token_url(&self) -> &str {
        self.inner.config().token_url()
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> &str {
        self.inner.config().client_id()
    }

    /// The requested scopes, normalised.
    #[getter]
    fn scopes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.config().scopes().as_slice())
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "TokenClient(client_id={:?}, token_url={:?}, scopes={:?})",
            c.client_id(),
            c.token_url(),
            c.scopes().as_slice()
        )
    }
}
