//! `Token`: a valid access token as a frozen, hashable Python object whose `repr`/`str` show
//! only a short prefix.

use std::time::UNIX_EPOCH;

use officernd_auth::Token;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;

/// A valid access token. Immutable and hashable; `repr`/`str` show only a short prefix.
#[pyclass(frozen, eq, hash, module = "officernd_auth", name = "Token")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyToken {
    pub(crate) inner: Token,
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
