//! Errors: every core error becomes a JS `Error` whose `code` is `OFFICERND_<CORE CODE>`, with
//! the properties of DESIGN.md (`status`, `error`, `errorDescription`, `errorUri`, `retryAfter`,
//! `retryable`, and `setting` / `lastError` where they apply). Bad arguments become `TypeError`
//! (`ERR_INVALID_ARG_TYPE`) or `RangeError` (`ERR_OUT_OF_RANGE`) before any network work.

use napi::bindgen_prelude::*;
use napi::{JsError, JsRangeError, JsTypeError};
use officernd_auth::Error as CoreError;

/// The JS `code` of a core error: `config` → `OFFICERND_CONFIG`, and so on.
pub(crate) fn js_code(err: &CoreError) -> String {
    js_code_of(err.code())
}

pub(crate) fn js_code_of(core_code: &str) -> String {
    format!("OFFICERND_{}", core_code.to_ascii_uppercase())
}

/// A `TypeError` with `code: 'ERR_INVALID_ARG_TYPE'`, ready to be returned as `Err`.
pub(crate) fn type_error(env: &Env, msg: impl Into<String>) -> Error {
    let e = JsTypeError::from(Error::new("ERR_INVALID_ARG_TYPE", msg.into()));
    Error::from(e.into_unknown(*env))
}

/// A `RangeError` with `code: 'ERR_OUT_OF_RANGE'`, ready to be returned as `Err`.
pub(crate) fn range_error(env: &Env, msg: impl Into<String>) -> Error {
    let e = JsRangeError::from(Error::new("ERR_OUT_OF_RANGE", msg.into()));
    Error::from(e.into_unknown(*env))
}

/// The JS error object of a core error.
pub(crate) fn to_js<'e>(env: &'e Env, err: &CoreError) -> Result<Object<'e>> {
    let base = JsError::from(Error::new(js_code(err), err.to_string()));
    let mut obj = base.into_unknown(*env).coerce_to_object()?;
    if let Some(status) = err.status() {
        obj.set_named_property("status", status as u32)?;
    }
    if let Some(v) = err.oauth_error() {
        obj.set_named_property("error", v)?;
    }
    if let Some(v) = err.error_description() {
        obj.set_named_property("errorDescription", v)?;
    }
    if let Some(v) = err.error_uri() {
        obj.set_named_property("errorUri", v)?;
    }
    if let Some(v) = err.retry_after() {
        obj.set_named_property("retryAfter", v.as_secs_f64())?;
    }
    obj.set_named_property("retryable", err.is_retryable())?;
    if let CoreError::Config { setting, .. } = err {
        obj.set_named_property("setting", setting.as_str())?;
    }
    if let Some(last) = err.last_error() {
        let last = to_js(env, last)?;
        obj.set_named_property("lastError", last)?;
    }
    Ok(obj)
}

/// A core error as a napi `Err` that throws (or rejects with) the JS error object of [`to_js`].
pub(crate) fn throwable(env: &Env, err: &CoreError) -> Error {
    match to_js(env, err) {
        Ok(obj) => Error::from(obj.to_unknown()),
        Err(e) => e,
    }
}
