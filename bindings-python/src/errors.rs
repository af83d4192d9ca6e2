//! Exceptions: one class per core [`ErrorCode`] under one base, picked by an exhaustive `match`
//! (a new core code does not compile until it has a class here and in `_native.pyi`), with the
//! class-level `code` and `retryable` taken from core's table; and the conversion of a core
//! [`Error`] into the matching exception instance with its attributes.

use officernd_auth::{Error, ErrorCode};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

create_exception!(
    officernd_auth,
    OfficeRnDAuthError,
    PyException,
    "Base class of every officernd_auth error. Attributes: code, status, error, \
     error_description, error_uri, retry_after, retryable, last_error, setting."
);
// Their docstrings come from core's `ErrorCode::describe` (see `register`).
create_exception!(officernd_auth, ConfigError, OfficeRnDAuthError);
create_exception!(officernd_auth, OAuthError, OfficeRnDAuthError);
create_exception!(officernd_auth, RateLimitedError, OfficeRnDAuthError);
create_exception!(officernd_auth, HttpError, OfficeRnDAuthError);
create_exception!(officernd_auth, TransportError, OfficeRnDAuthError);
create_exception!(officernd_auth, RequestTimeoutError, OfficeRnDAuthError);
create_exception!(officernd_auth, InvalidResponseError, OfficeRnDAuthError);

/// The exception class of `code`: the one place where codes meet Python class names.
fn class(py: Python<'_>, code: ErrorCode) -> Bound<'_, PyType> {
    match code {
        ErrorCode::Config => py.get_type::<ConfigError>(),
        ErrorCode::OAuth => py.get_type::<OAuthError>(),
        ErrorCode::RateLimited => py.get_type::<RateLimitedError>(),
        ErrorCode::Http => py.get_type::<HttpError>(),
        ErrorCode::Transport => py.get_type::<TransportError>(),
        ErrorCode::Timeout => py.get_type::<RequestTimeoutError>(),
        ErrorCode::InvalidResponse => py.get_type::<InvalidResponseError>(),
    }
}

/// A core error on its way to Python (a newtype: the orphan rule forbids `From<Error> for PyErr`).
pub(crate) struct AuthError(Error);

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

/// A core result as a Python result (the error becomes its exception subclass).
pub(crate) fn core<T>(r: Result<T, Error>) -> PyResult<T> {
    r.map_err(|e| AuthError(e).into())
}

/// Makes the exception instance of the class of `e.kind()`, with its attributes.
fn exception<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyAny>> {
    // Display of core errors is the safe one-line message (no secret, no whole token or body).
    let exc = class(py, e.kind()).call1((e.to_string(),))?;
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

/// Adds the exception classes to the module, with class-level defaults so that an exception
/// raised by user code also has every attribute: `code` and `retryable` from core's table,
/// `None` for the rest.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<OfficeRnDAuthError>();
    for name in [
        "status",
        "error",
        "error_description",
        "error_uri",
        "retry_after",
        "last_error",
        "setting",
    ] {
        base.setattr(name, py.None())?;
    }
    base.setattr("code", "error")?;
    base.setattr("retryable", false)?;
    m.add("OfficeRnDAuthError", base)?;
    for code in ErrorCode::ALL {
        let ty = class(py, code);
        ty.setattr("code", code.as_str())?;
        ty.setattr("retryable", code.retryable_by_default())?;
        ty.setattr(
            "__doc__",
            format!("{} (code '{code}').", crate::sentence(code.describe())),
        )?;
        m.add(ty.name()?, ty)?;
    }
    // Core's table as it is, for the suite (`_`-private: not in `__all__`, not API): every
    // code with its class-level retryability.
    let table = ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.retryable_by_default()))
        .collect::<Vec<_>>();
    m.setattr("_ERROR_CODES", PyTuple::new(py, table)?)?;
    Ok(())
}
