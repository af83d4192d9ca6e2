//! Keyword settings → core's settings table. Every keyword of `TokenClient(...)` and
//! `TokenClient.from_env(...)` is a setting of core's [`SETTINGS`], handed by name to
//! [`TokenClientBuilder::set`]; only the conversion of the Python value depends on the
//! setting's [`Kind`]. A new core setting of an existing kind needs no change here: only its
//! keyword in `python/officernd_auth/_native.pyi` (tests/test_stubs.py checks the two agree).
//!
//! Wrong types (and unknown keywords) raise `TypeError`, impossible values `ValueError`;
//! whatever core rejects raises `ConfigError` naming the setting. `None` means "not set".

use std::time::Duration;

use officernd_auth::TokenClientBuilder;
use officernd_auth::settings::{Kind, SETTINGS, Setting, Value};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyString, PyTuple};

use crate::errors::core;

/// Applies every keyword setting in `settings` to `b` (and names the binding in the
/// `User-Agent`). `caller` names the function in `TypeError` messages.
pub(crate) fn apply(
    caller: &str,
    mut b: TokenClientBuilder,
    settings: Option<&Bound<'_, PyDict>>,
) -> PyResult<TokenClientBuilder> {
    b = b.binding("python");
    for (key, value) in settings.into_iter().flat_map(|d| d.iter()) {
        let key = key.cast_into::<PyString>()?;
        let name = key.to_cow()?;
        let setting = SETTINGS.iter().find(|s| s.name == name).ok_or_else(|| {
            PyTypeError::new_err(format!(
                "{caller}() got an unexpected keyword argument '{name}' (settings: {})",
                SETTINGS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if value.is_none() {
            continue;
        }
        b = core(b.set(setting.name, convert(setting, &value)?))?;
    }
    Ok(b)
}

/// The Python value `v` of `setting` as core's [`Value`], by the setting's kind.
fn convert(setting: &Setting, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    let name = setting.name;
    Ok(match setting.kind {
        Kind::Text | Kind::Secret => Value::Text(text(name, v)?),
        Kind::Scopes => scopes(name, v)?,
        Kind::Duration => Value::Duration(seconds(name, v)?),
        Kind::Count => Value::Count(count(name, v)?.into()),
        Kind::Flag => Value::Flag(flag(name, v)?),
        Kind::Path => Value::Text(path(name, v)?),
    })
}

/// How the stubs spell a kind (for `_native._SETTINGS`, read by the suite).
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Secret => "secret",
        Kind::Scopes => "scopes",
        Kind::Duration => "duration",
        Kind::Count => "count",
        Kind::Flag => "flag",
        Kind::Path => "path",
    }
}

/// Core's settings table as `(name, kind)` pairs, for the suite (`_`-private: not API).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let table = SETTINGS
        .iter()
        .map(|s| (s.name, kind_name(s.kind)))
        .collect::<Vec<_>>();
    m.setattr("_SETTINGS", PyTuple::new(m.py(), table)?)
}

/// The name of `v`'s type, for error messages (never the value: it may be the secret).
fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// A `str`.
fn text(name: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a str, not {}",
            type_name(v)
        ))),
    }
}

/// Seconds as an `int`, a `float` or a `datetime.timedelta` → `Duration`.
fn seconds(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let secs: f64 = if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a number of seconds (int or float), not bool"
        )));
    } else if v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>() {
        v.extract()?
    } else if v.is_instance(TIMEDELTA.import(v.py(), "datetime", "timedelta")?)? {
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

/// A non-negative `int` (not `bool`) that fits the builder's counts (`u32`).
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

/// A `bool` (not any truthy value: `"no"` is truthy).
fn flag(name: &str, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    match v.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{name} must be a bool, not {}",
            type_name(v)
        ))),
    }
}

/// Scopes as one space-separated `str` or an iterable of `str` (each may hold several).
fn scopes(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::Text(s.to_cow()?.into_owned()));
    }
    let not_iterable = || {
        PyTypeError::new_err(format!(
            "{name} must be a str or a list of str, not {}",
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
                "{name} must contain only str, found {}",
                type_name(&item)
            ))
        })?;
        out.push(s.to_cow()?.into_owned());
    }
    Ok(Value::List(out))
}

/// A directory as a `str` or an `os.PathLike` whose `__fspath__` gives a `str`. Core's settings
/// take paths as text, so a path that is not valid Unicode (undecodable bytes that Python keeps
/// as surrogate escapes) is refused with `ValueError`.
fn path(name: &str, v: &Bound<'_, PyAny>) -> PyResult<String> {
    static FSPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let wrong = || {
        PyTypeError::new_err(format!(
            "{name} must be a str or an os.PathLike, not {}",
            type_name(v)
        ))
    };
    if v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>() {
        return Err(wrong());
    }
    let fspath = FSPATH.import(v.py(), "os", "fspath")?;
    let p = fspath.call1((v,)).map_err(|_| wrong())?;
    let s = p.cast::<PyString>().map_err(|_| wrong())?;
    match s.to_cow() {
        Ok(s) => Ok(s.into_owned()),
        Err(_) => Err(PyValueError::new_err(format!(
            "{name} must be valid Unicode (a path with undecodable bytes is not supported)"
        ))),
    }
}
