//! Errors: every core error becomes a JS `Error` whose `code` is `OFFICERND_<CODE>`, with the
//! properties of DESIGN.md (`status`, `error`, `errorDescription`, `errorUri`, `retryAfter`,
//! `retryable`, and `setting` / `lastError` where they apply). Bad arguments become `TypeError`
//! (`ERR_INVALID_ARG_TYPE`) or `RangeError` (`ERR_OUT_OF_RANGE`) before any network work.
//!
//! The codes come from core's [`ErrorCode`] table by exhaustive `match` (a new core code does not
//! compile until it is named here) and reach JS through [`error_codes`]: `lib/main.js` builds
//! `ErrorCode` from it instead of restating the list.

use napi::bindgen_prelude::*;
use napi::{JsError, JsRangeError, JsTypeError};
use napi_derive::napi;
use officernd_auth::{Error as CoreError, ErrorCode};

/// The key of a code in the JS `ErrorCode` object (`ErrorCode.RATE_LIMITED`).
pub(crate) const fn js_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Config => "CONFIG",
        ErrorCode::OAuth => "OAUTH",
        ErrorCode::RateLimited => "RATE_LIMITED",
        ErrorCode::Http => "HTTP",
        ErrorCode::Transport => "TRANSPORT",
        ErrorCode::Timeout => "TIMEOUT",
        ErrorCode::InvalidResponse => "INVALID_RESPONSE",
    }
}

/// The `code` of a JS error (`err.code === 'OFFICERND_RATE_LIMITED'`).
pub(crate) const fn js_code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Config => "OFFICERND_CONFIG",
        ErrorCode::OAuth => "OFFICERND_OAUTH",
        ErrorCode::RateLimited => "OFFICERND_RATE_LIMITED",
        ErrorCode::Http => "OFFICERND_HTTP",
        ErrorCode::Transport => "OFFICERND_TRANSPORT",
        ErrorCode::Timeout => "OFFICERND_TIMEOUT",
        ErrorCode::InvalidResponse => "OFFICERND_INVALID_RESPONSE",
    }
}

/// One error code as JS sees it.
#[napi(object)]
pub struct ErrorCodeInfo {
    /// Key in `ErrorCode` (`RATE_LIMITED`).
    pub name: String,
    /// Value of `err.code` (`OFFICERND_RATE_LIMITED`).
    pub code: String,
    /// Core's stable string code (`rate_limited`).
    pub core: String,
    /// The C ABI's result number (never reused).
    pub number: u32,
    /// Whether retrying can help an error of this code by default.
    pub retryable: bool,
    /// What it means.
    pub description: String,
}

/// Every error code, in core's order (`ErrorCode.ALL`).
#[napi]
pub fn error_codes() -> Vec<ErrorCodeInfo> {
    ErrorCode::ALL
        .into_iter()
        .map(|c| ErrorCodeInfo {
            name: js_name(c).to_owned(),
            code: js_code(c).to_owned(),
            core: c.as_str().to_owned(),
            number: c.number().into(),
            retryable: c.retryable_by_default(),
            description: c.describe().to_owned(),
        })
        .collect()
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
    let base = JsError::from(Error::new(js_code(err.kind()), err.to_string()));
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
