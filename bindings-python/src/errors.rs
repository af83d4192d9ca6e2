//! Exceptions: one class per core error code under one base, and the conversion of a core
//! [`Error`] into the matching exception instance with its attributes.

use officernd_auth::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

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

/// Adds the exception classes to the module, with class-level defaults so that an exception
/// raised by user code also has every attribute.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
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
    m.add("OfficeRnDAuthError", base)?;
    for (name, ty, code, retryable) in [
        ("ConfigError", py.get_type::<ConfigError>(), "config", false),
        ("OAuthError", py.get_type::<OAuthError>(), "oauth", false),
        (
            "RateLimitedError",
            py.get_type::<RateLimitedError>(),
            "rate_limited",
            true,
        ),
        ("HttpError", py.get_type::<HttpError>(), "http", false),
        (
            "TransportError",
            py.get_type::<TransportError>(),
            "transport",
            true,
        ),
        (
            "RequestTimeoutError",
            py.get_type::<RequestTimeoutError>(),
            "timeout",
            true,
        ),
        (
            "InvalidResponseError",
            py.get_type::<InvalidResponseError>(),
            "invalid_response",
            false,
        ),
    ] {
        ty.setattr("code", code)?;
        ty.setattr("retryable", retryable)?;
        m.add(name, ty)?;
    }
    Ok(())
}
