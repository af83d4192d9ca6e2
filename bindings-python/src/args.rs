//! Argument conversion: Python values of the keyword settings → core builder calls. Wrong types
//! raise `TypeError`, impossible numbers `ValueError`; everything else is validated by core
//! (its `config` errors become `ConfigError`).
//!
//! To add a setting: one field in [`Options`], one line in [`Options::apply`], one keyword in
//! both signatures of `client.rs` (`TokenClient(...)`, `TokenClient.from_env(...)`) and in
//! `python/officernd_auth/_native.pyi`.

use std::path::PathBuf;
use std::time::Duration;

use officernd_auth::TokenClientBuilder;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyString};

use crate::errors::core;

/// The name of `v`'s type, for error messages.
fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

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
            type_name(v)
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

/// A non-negative `int` (not `bool`) that fits in `u32`.
fn count(name: &str, v: &Bound<'_, PyAny>) -> PyResult<u32> {
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an int, not {}",
            type_name(v)
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
            type_name(v)
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
                type_name(&item)
            ))
        })?;
        out.push(s.to_cow()?.into_owned());
    }
    Ok(out)
}

/// A `str` (the store spelling: `memory`, `file`, `redis://…`).
fn text(name: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a str, not {}",
            type_name(v)
        ))),
    }
}

/// A directory as a `str` or an `os.PathLike` whose `__fspath__` gives a `str`.
fn path(name: &str, v: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let wrong = || {
        PyTypeError::new_err(format!(
            "{name} must be a str or an os.PathLike, not {}",
            type_name(v)
        ))
    };
    if v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>() {
        return Err(wrong());
    }
    v.extract::<PathBuf>().map_err(|_| wrong())
}

/// The optional settings shared by `TokenClient(...)` and `TokenClient.from_env(...)`.
/// `None` everywhere means "not set": core's default, or (from_env) the environment.
pub(crate) struct Options<'py> {
    pub scopes: Option<Bound<'py, PyAny>>,
    pub token_url: Option<String>,
    pub timeout: Option<Bound<'py, PyAny>>,
    pub connect_timeout: Option<Bound<'py, PyAny>>,
    pub refresh_ahead: Option<Bound<'py, PyAny>>,
    pub min_validity: Option<Bound<'py, PyAny>>,
    pub max_requests: Option<Bound<'py, PyAny>>,
    pub quota_window: Option<Bound<'py, PyAny>>,
    pub max_retries: Option<Bound<'py, PyAny>>,
    pub terminal_error_ttl: Option<Bound<'py, PyAny>>,
    pub share_cache: Option<bool>,
    pub store: Option<Bound<'py, PyAny>>,
    pub store_path: Option<Bound<'py, PyAny>>,
}

impl Options<'_> {
    /// Applies every set option to `b` (and names the binding in the `User-Agent`).
    pub fn apply(self, py: Python<'_>, mut b: TokenClientBuilder) -> PyResult<TokenClientBuilder> {
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
        if let Some(v) = &self.max_requests {
            b = b.max_requests(count("max_requests", v)?);
        }
        if let Some(v) = &self.quota_window {
            b = b.quota_window(seconds(py, "quota_window", v)?);
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
        if self.store.is_some() || self.store_path.is_some() {
            let spec = self.store.as_ref().map(|v| text("store", v)).transpose()?;
            let dir = self
                .store_path
                .as_ref()
                .map(|v| path("store_path", v))
                .transpose()?;
            // Core decides what the pair means (a directory alone is the file store). Opening
            // the store may touch the disk: no GIL held.
            b = core(py.detach(|| b.store_options(spec.as_deref(), dir.as_deref())))?;
        }
        Ok(b)
    }
}
