//! Python bindings of the OfficeRnD token client: thin converters around the core
//! [`officernd_auth::TokenClient`]. Every rule (cache, single-flight, quota, retries, redaction)
//! lives in the core; this crate converts arguments, results and errors, and releases the GIL
//! around anything that may touch the network.
//!
//! Built by maturin into `officernd_auth._native`; the pure-Python package `officernd_auth`
//! (in `python/`) re-exports it and adds the `requests`/`httpx` adapters.

use std::time::{Duration, UNIX_EPOCH};

use officernd_auth::config::defaults;
use officernd_auth::{DEFAULT_TOKEN_URL, Error, Stats, Token, TokenClient, TokenClientBuilder};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyStopIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyString, PyTuple};

// ---- Exceptions: one class per core error code, under one base ----------------------------

create_exception!(
    officernd_auth,
    OfficeRnDAuthError,
    PyException,
    "Base class of every officernd_auth error. Attributes: code, status, error, \
     error_description, error_uri, retry_after, retryable, last_error, setting."
);
create_exception!(
    officernd_auth,
    ConfigError,
    OfficeRnDAuthError,
    "A missing or invalid setting (code 'config'); `setting` names it."
);
create_exception!(
    officernd_auth,
    OAuthError,
    OfficeRnDAuthError,
    "The token endpoint answered an RFC 6749 error (code 'oauth')."
);
create_exception!(
    officernd_auth,
    RateLimitedError,
    OfficeRnDAuthError,
    "No token request may be sent now (code 'rate_limited'); see retry_after and last_error."
);
create_exception!(
    officernd_auth,
    HttpError,
    OfficeRnDAuthError,
    "The token endpoint answered an unexpected HTTP status (code 'http')."
);
create_exception!(
    officernd_auth,
    TransportError,
    OfficeRnDAuthError,
    "DNS, connect, TLS or connection failure (code 'transport')."
);
create_exception!(
    officernd_auth,
    RequestTimeoutError,
    OfficeRnDAuthError,
    "The overall timeout elapsed (code 'timeout')."
);
create_exception!(
    officernd_auth,
    InvalidResponseError,
    OfficeRnDAuthError,
    "A 200 answer that is not a usable token (code 'invalid_response')."
);

/// A core error on its way to Python (a newtype: the orphan rule forbids `From<Error> for PyErr`).
struct AuthError(Error);

impl From<Error> for AuthError {
    fn from(e: Error) -> Self {
        AuthError(e)
    }
}

impl From<AuthError> for PyErr {
    fn from(e: AuthError) -> PyErr {
        Python::attach(|py| match exception(py, &e.0) {
            Ok(value) => PyErr::from_value(value),
            Err(err) => err,
        })
    }
}

/// Makes the exception instance of the subclass matching `e.code()`, with its attributes.
fn exception<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyAny>> {
    let ty = match e {
        Error::Config { .. } => py.get_type::<ConfigError>(),
        Error::OAuth { .. } => py.get_type::<OAuthError>(),
        Error::RateLimited { .. } => py.get_type::<RateLimitedError>(),
        Error::Http { .. } => py.get_type::<HttpError>(),
        Error::Transport { .. } => py.get_type::<TransportError>(),
        Error::Timeout { .. } => py.get_type::<RequestTimeoutError>(),
        Error::InvalidResponse { .. } => py.get_type::<InvalidResponseError>(),
        _ => py.get_type::<OfficeRnDAuthError>(),
    };
    // Display of core errors is the safe one-line message (no secret, no whole token or body).
    let exc = ty.call1((e.to_string(),))?;
    exc.setattr("code", e.code())?;
    exc.setattr("status", e.status())?;
    exc.setattr("error", e.oauth_error())?;
    exc.setattr("error_description", e.error_description())?;
    exc.setattr("error_uri", e.error_uri())?;
    exc.setattr("retry_after", e.retry_after().map(|d| d.as_secs_f64()))?;
    exc.setattr("retryable", e.is_retryable())?;
    let last = e.last_error().map(|l| exception(py, l)).transpose()?;
    exc.setattr("last_error", last)?;
    let setting = match e {
        Error::Config { setting, .. } => Some(setting.as_str()),
        _ => None,
    };
    exc.setattr("setting", setting)?;
    Ok(exc)
}

fn core<T>(r: Result<T, Error>) -> PyResult<T> {
    r.map_err(|e| AuthError(e).into())
}

// ---- Argument conversion ----------------------------------------------------------------

/// Seconds as an `int`, a `float` or a `datetime.timedelta` → `Duration`.
fn seconds(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let secs: f64 = if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds (int or float), not bool"
        )));
    } else if v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>() {
        v.extract()?
    } else if v.is_instance(TIMEDELTA.import(py, "datetime", "timedelta")?)? {
        v.call_method0("total_seconds")?.extract()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds (int, float or timedelta), not {}",
            v.get_type().name()?
        )));
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(PyValueError::new_err(format!(
            "{name} must be a finite, non-negative number of seconds, got {secs}"
        )));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| PyValueError::new_err(format!("{name} is out of range: {secs}")))
}

fn count(name: &str, v: &Bound<'_, PyAny>) -> PyResult<u32> {
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            v.get_type().name()?
        )));
    }
    let n: i128 = v.extract()?;
    u32::try_from(n).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be between 0 and {}, got {n}",
            u32::MAX
        ))
    })
}

/// Scopes as one space-separated `str` or an iterable of `str` (each may hold several).
fn scopes(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    let not_iterable = || {
        PyTypeError::new_err(format!(
            "scopes must be a str or a list of str, not {}",
            v.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    };
    if v.is_instance_of::<PyBytes>()
        || v.is_instance_of::<PyByteArray>()
        || v.is_instance_of::<PyDict>()
    {
        return Err(not_iterable());
    }
    let items = v.try_iter().map_err(|_| not_iterable())?;
    let mut out = Vec::new();
    for item in items {
        let item = item?;
        let s = item.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "scopes must contain only str, found {}",
                item.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        out.push(s.to_cow()?.into_owned());
    }
    Ok(out)
}

/// The optional settings shared by `TokenClient(...)` and `TokenClient.from_env(...)`.
/// One field and one line in `apply` per setting: a new option (e.g. `store`) goes here.
struct Options<'py> {
    scopes: Option<Bound<'py, PyAny>>,
    token_url: Option<String>,
    timeout: Option<Bound<'py, PyAny>>,
    connect_timeout: Option<Bound<'py, PyAny>>,
    refresh_ahead: Option<Bound<'py, PyAny>>,
    min_validity: Option<Bound<'py, PyAny>>,
    max_requests: Option<Bound<'py, PyAny>>,
    quota_window: Option<Bound<'py, PyAny>>,
    max_retries: Option<Bound<'py, PyAny>>,
    terminal_error_ttl: Option<Bound<'py, PyAny>>,
    share_cache: Option<bool>,
}

impl Options<'_> {
    fn apply(self, py: Python<'_>, mut b: TokenClientBuilder) -> PyResult<TokenClientBuilder> {
        b = b.binding("python");
        if let Some(v) = &self.scopes {
            b = b.scopes(scopes(v)?);
        }
        if let Some(v) = self.token_url {
            b = b.token_url(v);
        }
        if let Some(v) = &self.timeout {
            b = b.timeout(seconds(py, "timeout", v)?);
        }
        if let Some(v) = &self.connect_timeout {
            b = b.connect_timeout(seconds(py, "connect_timeout", v)?);
        }
        if let Some(v) = &self.refresh_ahead {
            b = b.refresh_ahead(seconds(py, "refresh_ahead", v)?);
        }
        if let Some(v) = &self.min_validity {
            b = b.min_validity(seconds(py, "min_validity", v)?);
        }
        if self.max_requests.is_some() || self.quota_window.is_some() {
            let max = match &self.max_requests {
                Some(v) => count("max_requests", v)?,
                None => defaults::MAX_REQUESTS,
            };
            let window = match &self.quota_window {
                Some(v) => seconds(py, "quota_window", v)?,
                None => defaults::QUOTA_WINDOW,
            };
            b = b.request_budget(max, window);
        }
        if let Some(v) = &self.max_retries {
            b = b.max_retries(count("max_retries", v)?);
        }
        if let Some(v) = &self.terminal_error_ttl {
            b = b.terminal_error_ttl(seconds(py, "terminal_error_ttl", v)?);
        }
        if let Some(v) = self.share_cache {
            b = b.share_cache(v);
        }
        Ok(b)
    }
}

// ---- Token ------------------------------------------------------------------------------

/// A valid access token. Immutable and hashable; `repr`/`str` show only a short prefix.
#[pyclass(frozen, eq, hash, module = "officernd_auth", name = "Token")]
#[derive(PartialEq, Eq, Hash)]
struct PyToken {
    inner: Token,
}

#[pymethods]
impl PyToken {
    /// The access token. Send it only in an `Authorization` header; never log it.
    #[getter]
    fn access_token(&self) -> &str {
        self.inner.access_token()
    }

    /// Always "Bearer".
    #[getter]
    fn token_type(&self) -> &str {
        self.inner.token_type()
    }

    /// The granted scopes (the requested ones when the server did not say).
    #[getter]
    fn scopes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.scopes())
    }

    /// Wall-clock expiry, an aware `datetime` in UTC.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        static FROMTIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        static TIMEZONE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let ts = match self.inner.expires_at().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        let from_ts = FROMTIMESTAMP.get_or_try_init(py, || -> PyResult<_> {
            Ok(py
                .import("datetime")?
                .getattr("datetime")?
                .getattr("fromtimestamp")?
                .unbind())
        })?;
        let utc = TIMEZONE
            .import(py, "datetime", "timezone")?
            .getattr("utc")?;
        from_ts.bind(py).call1((ts, utc))
    }

    /// Seconds left until expiry (0.0 once expired).
    #[getter]
    fn expires_in(&self) -> f64 {
        self.inner.expires_in().as_secs_f64()
    }

    /// "Bearer <access_token>", the value of the `Authorization` header.
    fn authorization_header(&self) -> String {
        self.inner.authorization_header()
    }

    fn __repr__(&self) -> String {
        format!(
            "Token(access_token='{}', token_type='{}', scopes={:?}, expires_in={:.0})",
            self.inner.redacted(),
            self.inner.token_type(),
            self.inner.scopes(),
            self.inner.expires_in().as_secs_f64()
        )
    }

    fn __str__(&self) -> String {
        self.inner.redacted()
    }
}

// ---- Stats ------------------------------------------------------------------------------

/// A snapshot of the client's metrics (shared by every client of the same cache).
#[pyclass(frozen, eq, get_all, module = "officernd_auth", name = "Stats")]
#[derive(PartialEq)]
struct PyStats {
    requests_ok: u64,
    requests_oauth_error: u64,
    requests_rate_limited: u64,
    requests_http_error: u64,
    requests_transport_error: u64,
    requests_timeout: u64,
    requests_invalid_response: u64,
    cache_hits: u64,
    stale_served: u64,
    refused_locally: u64,
    budget_remaining: u32,
    budget_capacity: u32,
    expires_in: Option<f64>,
    last_error_code: Option<&'static str>,
    requests_sent: u64,
}

impl From<Stats> for PyStats {
    fn from(s: Stats) -> Self {
        PyStats {
            requests_sent: s.requests_sent(),
            requests_ok: s.requests_ok,
            requests_oauth_error: s.requests_oauth_error,
            requests_rate_limited: s.requests_rate_limited,
            requests_http_error: s.requests_http_error,
            requests_transport_error: s.requests_transport_error,
            requests_timeout: s.requests_timeout,
            requests_invalid_response: s.requests_invalid_response,
            cache_hits: s.cache_hits,
            stale_served: s.stale_served,
            refused_locally: s.refused_locally,
            budget_remaining: s.budget_remaining,
            budget_capacity: s.budget_capacity,
            expires_in: s.expires_in.map(|d| d.as_secs_f64()),
            last_error_code: s.last_error_code,
        }
    }
}

#[pymethods]
impl PyStats {
    /// The snapshot as a plain `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("requests_sent", self.requests_sent)?;
        d.set_item("requests_ok", self.requests_ok)?;
        d.set_item("requests_oauth_error", self.requests_oauth_error)?;
        d.set_item("requests_rate_limited", self.requests_rate_limited)?;
        d.set_item("requests_http_error", self.requests_http_error)?;
        d.set_item("requests_transport_error", self.requests_transport_error)?;
        d.set_item("requests_timeout", self.requests_timeout)?;
        d.set_item("requests_invalid_response", self.requests_invalid_response)?;
        d.set_item("cache_hits", self.cache_hits)?;
        d.set_item("stale_served", self.stale_served)?;
        d.set_item("refused_locally", self.refused_locally)?;
        d.set_item("budget_remaining", self.budget_remaining)?;
        d.set_item("budget_capacity", self.budget_capacity)?;
        d.set_item("expires_in", self.expires_in)?;
        d.set_item("last_error_code", self.last_error_code)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let parts: Vec<String> = d
            .iter()
            .map(|(k, v)| Ok(format!("{k}={}", v.repr()?)))
            .collect::<PyResult<_>>()?;
        Ok(format!("Stats({})", parts.join(", ")))
    }
}

// ---- An awaitable that is already done (cached token, no thread hop) -------------------------

#[pyclass(frozen, module = "officernd_auth")]
struct Ready {
    value: Py<PyAny>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(PyStopIteration::new_err((self.value.clone_ref(py),)))
    }
}

// ---- TokenClient ------------------------------------------------------------------------

/// A cached, single-flight, quota-aware OfficeRnD token client; safe to share across threads.
/// Clients with the same token URL, client id, secret and scopes share one cache in a process.
#[pyclass(frozen, module = "officernd_auth", name = "TokenClient")]
struct PyTokenClient {
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
    #[new]
    #[pyo3(signature = (
        client_id, client_secret, *, scopes=None, token_url=None, timeout=None,
        connect_timeout=None, refresh_ahead=None, min_validity=None, max_requests=None,
        quota_window=None, max_retries=None, terminal_error_ttl=None, share_cache=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        client_id: String,
        client_secret: String,
        scopes: Option<Bound<'py, PyAny>>,
        token_url: Option<String>,
        timeout: Option<Bound<'py, PyAny>>,
        connect_timeout: Option<Bound<'py, PyAny>>,
        refresh_ahead: Option<Bound<'py, PyAny>>,
        min_validity: Option<Bound<'py, PyAny>>,
        max_requests: Option<Bound<'py, PyAny>>,
        quota_window: Option<Bound<'py, PyAny>>,
        max_retries: Option<Bound<'py, PyAny>>,
        terminal_error_ttl: Option<Bound<'py, PyAny>>,
        share_cache: Option<bool>,
    ) -> PyResult<Self> {
        let options = Options {
            scopes,
            token_url,
            timeout,
            connect_timeout,
            refresh_ahead,
            min_validity,
            max_requests,
            quota_window,
            max_retries,
            terminal_error_ttl,
            share_cache,
        };
        let b = TokenClient::builder()
            .client_id(client_id)
            .client_secret(client_secret);
        let b = options.apply(py, b)?;
        Ok(PyTokenClient {
            inner: core(b.build())?,
        })
    }

    /// A client from `OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`, `OFFICERND_SCOPES` and
    /// `OFFICERND_TOKEN_URL`; keyword arguments override the environment.
    #[staticmethod]
    #[pyo3(signature = (
        *, client_id=None, client_secret=None, scopes=None, token_url=None, timeout=None,
        connect_timeout=None, refresh_ahead=None, min_validity=None, max_requests=None,
        quota_window=None, max_retries=None, terminal_error_ttl=None, share_cache=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn from_env<'py>(
        py: Python<'py>,
        client_id: Option<String>,
        client_secret: Option<String>,
        scopes: Option<Bound<'py, PyAny>>,
        token_url: Option<String>,
        timeout: Option<Bound<'py, PyAny>>,
        connect_timeout: Option<Bound<'py, PyAny>>,
        refresh_ahead: Option<Bound<'py, PyAny>>,
        min_validity: Option<Bound<'py, PyAny>>,
        max_requests: Option<Bound<'py, PyAny>>,
        quota_window: Option<Bound<'py, PyAny>>,
        max_retries: Option<Bound<'py, PyAny>>,
        terminal_error_ttl: Option<Bound<'py, PyAny>>,
        share_cache: Option<bool>,
    ) -> PyResult<Self> {
        let options = Options {
            scopes,
            token_url,
            timeout,
            connect_timeout,
            refresh_ahead,
            min_validity,
            max_requests,
            quota_window,
            max_retries,
            terminal_error_ttl,
            share_cache,
        };
        let mut b = TokenClient::builder();
        if let Some(v) = client_id {
            b = b.client_id(v);
        }
        if let Some(v) = client_secret {
            b = b.client_secret(v);
        }
        let b = core(options.apply(py, b)?.with_env())?;
        Ok(PyTokenClient {
            inner: core(b.build())?,
        })
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

    /// Drops `token` from the cache if it is still the cached one (call it after an API 401).
    /// Returns whether it was dropped.
    fn invalidate(&self, py: Python<'_>, token: PyRef<'_, PyToken>) -> bool {
        let t = token.inner.clone();
        py.detach(|| self.inner.invalidate(&t))
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

// ---- Module -----------------------------------------------------------------------------

/// Class-level defaults, so that an exception raised by user code also has every attribute.
fn exception_defaults(py: Python<'_>) -> PyResult<()> {
    let base = py.get_type::<OfficeRnDAuthError>();
    for (name, value) in [
        ("status", py.None()),
        ("error", py.None()),
        ("error_description", py.None()),
        ("error_uri", py.None()),
        ("retry_after", py.None()),
        ("last_error", py.None()),
        ("setting", py.None()),
    ] {
        base.setattr(name, value)?;
    }
    base.setattr("code", "error")?;
    base.setattr("retryable", false)?;
    for (ty, code, retryable) in [
        (py.get_type::<ConfigError>(), "config", false),
        (py.get_type::<OAuthError>(), "oauth", false),
        (py.get_type::<RateLimitedError>(), "rate_limited", true),
        (py.get_type::<HttpError>(), "http", false),
        (py.get_type::<TransportError>(), "transport", true),
        (py.get_type::<RequestTimeoutError>(), "timeout", true),
        (
            py.get_type::<InvalidResponseError>(),
            "invalid_response",
            false,
        ),
    ] {
        ty.setattr("code", code)?;
        ty.setattr("retryable", retryable)?;
    }
    Ok(())
}

#[pymodule(name = "_native", gil_used = true)]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Core log records go to Python's `logging` under `officernd_auth.*` (levels read live).
    let _ = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Debug)
        .install();
    exception_defaults(py)?;
    m.add_class::<PyTokenClient>()?;
    m.add_class::<PyToken>()?;
    m.add_class::<PyStats>()?;
    m.add("OfficeRnDAuthError", py.get_type::<OfficeRnDAuthError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("OAuthError", py.get_type::<OAuthError>())?;
    m.add("RateLimitedError", py.get_type::<RateLimitedError>())?;
    m.add("HttpError", py.get_type::<HttpError>())?;
    m.add("TransportError", py.get_type::<TransportError>())?;
    m.add("RequestTimeoutError", py.get_type::<RequestTimeoutError>())?;
    m.add(
        "InvalidResponseError",
        py.get_type::<InvalidResponseError>(),
    )?;
    m.add("DEFAULT_TOKEN_URL", DEFAULT_TOKEN_URL)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
