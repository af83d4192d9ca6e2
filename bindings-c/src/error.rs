//! Result codes, the caller-owned error object, and the panic boundary every exported function
//! runs inside.

use std::ffi::{CStr, CString, c_char, c_uint};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use officernd_auth::{Error, ErrorCode};

/// The result of every fallible function. The numbers are part of the ABI: they are never
/// reused or renumbered. `OFFICERND_RESULT_OK` (0) is success; 1 to 7 are the core error codes
/// (the same codes as every other binding); 100 and up are errors of the C interface itself.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum officernd_result {
    /// Success.
    Ok = 0,
    /// `config`: a missing or invalid setting (see `officernd_error_setting`).
    Config = 1,
    /// `oauth`: the token endpoint's RFC 6749 error (`error`, `error_description`, HTTP status).
    Oauth = 2,
    /// `rate_limited`: no request may be sent now; `officernd_error_retry_after_ms` says when.
    RateLimited = 3,
    /// `http`: an unexpected HTTP status (5xx, a redirect, which is never followed).
    Http = 4,
    /// `transport`: DNS, connect, TLS or connection failure.
    Transport = 5,
    /// `timeout`: the overall timeout elapsed.
    Timeout = 6,
    /// `invalid_response`: a 200 answer that is not a usable token.
    InvalidResponse = 7,
    /// `unknown`: an error kind this version of the C interface does not know yet.
    Unknown = 99,
    /// A required pointer argument was NULL.
    NullParameter = 100,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 101,
    /// The caller's buffer is too small; `officernd_error_required_size` gives the size needed.
    BufferTooSmall = 102,
    /// The library panicked (a bug): the call had no effect that can be relied upon.
    Panic = 103,
}

impl officernd_result {
    /// The result of a core error code: one arm per [`ErrorCode`], so a code added to core does
    /// not compile here until it has its C number (the numbers are the same: see the tests).
    pub(crate) const fn from_kind(kind: ErrorCode) -> officernd_result {
        match kind {
            ErrorCode::Config => officernd_result::Config,
            ErrorCode::OAuth => officernd_result::Oauth,
            ErrorCode::RateLimited => officernd_result::RateLimited,
            ErrorCode::Http => officernd_result::Http,
            ErrorCode::Transport => officernd_result::Transport,
            ErrorCode::Timeout => officernd_result::Timeout,
            ErrorCode::InvalidResponse => officernd_result::InvalidResponse,
        }
    }

    fn from_core(e: &Error) -> officernd_result {
        officernd_result::from_kind(e.kind())
    }

    /// The result of an optional core code string (`Stats::last_error_code`): `Ok` for none,
    /// `Unknown` for a string that is not a code.
    pub(crate) fn from_code_str(code: Option<&str>) -> officernd_result {
        code.map_or(officernd_result::Ok, |s| {
            ErrorCode::parse(s).map_or(officernd_result::Unknown, officernd_result::from_kind)
        })
    }
}

/// The NUL-terminated spelling of a core code: the same text as [`ErrorCode::as_str`] (checked
/// by the tests), one arm per code.
const fn core_name(kind: ErrorCode) -> &'static CStr {
    match kind {
        ErrorCode::Config => c"config",
        ErrorCode::OAuth => c"oauth",
        ErrorCode::RateLimited => c"rate_limited",
        ErrorCode::Http => c"http",
        ErrorCode::Transport => c"transport",
        ErrorCode::Timeout => c"timeout",
        ErrorCode::InvalidResponse => c"invalid_response",
    }
}

/// The stable string code of a result, NUL-terminated and static (never free it): `"ok"`,
/// `"config"`, `"oauth"`, `"rate_limited"`, `"http"`, `"transport"`, `"timeout"`,
/// `"invalid_response"`, `"unknown"`, `"null_parameter"`, `"invalid_utf8"`, `"buffer_too_small"`,
/// `"panic"`; `"unknown"` for a number that is not a result.
#[unsafe(no_mangle)]
pub extern "C" fn officernd_result_name(result: c_uint) -> *const c_char {
    let core = ErrorCode::ALL
        .into_iter()
        .find(|k| c_uint::from(k.number()) == result);
    let s: &'static CStr = match (core, result) {
        (Some(kind), _) => core_name(kind),
        (None, 0) => c"ok",
        (None, 100) => c"null_parameter",
        (None, 101) => c"invalid_utf8",
        (None, 102) => c"buffer_too_small",
        (None, 103) => c"panic",
        (None, _) => c"unknown",
    };
    s.as_ptr()
}

/// Why a call failed, before it is written into the caller's error object.
pub(crate) enum Failure {
    Core(Error),
    Null(&'static str),
    Utf8(&'static str),
    TooSmall { what: &'static str, needed: usize },
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

/// Detail of the last failed call it was passed to. Created by `officernd_error_new`, freed by
/// `officernd_error_free`. Owned by the caller; use one per thread (it is not safe to pass the
/// same error object to calls running at the same time on different threads). The strings its
/// accessors return are borrowed from it: each is valid until the object is passed to another
/// call or freed (see each accessor).
pub struct officernd_error {
    code: officernd_result,
    message: CString,
    oauth_error: Option<CString>,
    error_description: Option<CString>,
    error_uri: Option<CString>,
    setting: Option<CString>,
    status: u16,
    retry_after: Option<Duration>,
    retryable: bool,
    required_size: usize,
    last_error_code: officernd_result,
}

impl Default for officernd_error {
    fn default() -> Self {
        officernd_error {
            code: officernd_result::Ok,
            message: CString::default(),
            oauth_error: None,
            error_description: None,
            error_uri: None,
            setting: None,
            status: 0,
            retry_after: None,
            retryable: false,
            required_size: 0,
            last_error_code: officernd_result::Ok,
        }
    }
}

/// A C string from Rust text; core messages never hold NUL, but never fail on one either.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl officernd_error {
    fn fill(&mut self, failure: &Failure) -> officernd_result {
        *self = officernd_error::default();
        let (code, message) = match failure {
            Failure::Core(e) => {
                self.oauth_error = e.oauth_error().map(c_string);
                self.error_description = e.error_description().map(c_string);
                self.error_uri = e.error_uri().map(c_string);
                self.status = e.status().unwrap_or(0);
                self.retry_after = e.retry_after();
                self.retryable = e.is_retryable();
                self.last_error_code = e
                    .last_error()
                    .map_or(officernd_result::Ok, officernd_result::from_core);
                if let Error::Config { setting, .. } = e {
                    self.setting = Some(c_string(setting));
                }
                (officernd_result::from_core(e), e.to_string())
            }
            Failure::Null(arg) => (
                officernd_result::NullParameter,
                format!("argument `{arg}` must not be NULL"),
            ),
            Failure::Utf8(arg) => (
                officernd_result::InvalidUtf8,
                format!("argument `{arg}` is not valid UTF-8"),
            ),
            Failure::TooSmall { what, needed } => {
                self.required_size = *needed;
                (
                    officernd_result::BufferTooSmall,
                    format!("buffer too small for the {what}: {needed} bytes needed"),
                )
            }
        };
        self.code = code;
        self.message = c_string(&message);
        code
    }
}

/// Runs `body` inside the panic boundary and reports its outcome: success clears `err`, a failure
/// fills it (when `err` is not NULL), a panic becomes `OFFICERND_RESULT_PANIC`.
pub(crate) fn guard(
    err: *mut officernd_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> officernd_result {
    let outcome = catch_unwind(AssertUnwindSafe(body));
    // SAFETY: the caller passes NULL or a pointer from `officernd_error_new` that no other
    // thread uses during this call (documented on every function taking `err`).
    let err = unsafe { err.as_mut() };
    match outcome {
        Ok(Ok(())) => {
            if let Some(e) = err {
                *e = officernd_error::default();
            }
            officernd_result::Ok
        }
        Ok(Err(failure)) => match err {
            Some(e) => e.fill(&failure),
            None => officernd_error::default().fill(&failure),
        },
        Err(_) => {
            if let Some(e) = err {
                *e = officernd_error::default();
                e.code = officernd_result::Panic;
                e.message = c_string("internal error: the library panicked (please report it)");
            }
            officernd_result::Panic
        }
    }
}

/// Runs a function that returns a plain value inside the panic boundary (`fallback` on panic).
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Creates an empty error object (code `OFFICERND_RESULT_OK`) and stores it in `*out`.
///
/// Pass it as the last argument of calls to learn why they failed; it is reset by each call it is
/// passed to (cleared on success, filled on failure). Free it with `officernd_error_free`.
/// Returns `OFFICERND_RESULT_NULL_PARAMETER` when `out` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_new(out: *mut *mut officernd_error) -> officernd_result {
    guard(std::ptr::null_mut(), || {
        if out.is_null() {
            return Err(Failure::Null("out"));
        }
        let e = Box::into_raw(Box::default());
        // SAFETY: checked non-NULL; the caller provides a writable pointer.
        unsafe { *out = e };
        Ok(())
    })
}

/// Frees an error object; every string borrowed from it (`officernd_error_message`…) becomes
/// invalid. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_free(err: *mut officernd_error) {
    guard_value((), || {
        if !err.is_null() {
            // SAFETY: `err` came from `officernd_error_new` and is freed once.
            drop(unsafe { Box::from_raw(err) });
        }
    })
}

fn with_err<T: Copy>(
    err: *const officernd_error,
    fallback: T,
    f: impl FnOnce(&officernd_error) -> T,
) -> T {
    guard_value(fallback, || {
        // SAFETY: NULL or a live error object (documented on each accessor).
        match unsafe { err.as_ref() } {
            Some(e) => f(e),
            None => fallback,
        }
    })
}

const EMPTY: *const c_char = c"".as_ptr();

fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// The result code of the last call this error object was passed to (`OFFICERND_RESULT_OK`
/// after a success, or when `err` is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_code(err: *const officernd_error) -> officernd_result {
    with_err(err, officernd_result::Ok, |e| e.code)
}

/// A one-line, human-readable message for the failure (`""` after a success). It never contains
/// the client secret, a Redis password or a whole access token. Never NULL: when `err` is NULL it
/// is a static `""`.
///
/// Lifetime: the string is borrowed from `err`; never free or modify it. It stays valid and
/// unchanged until `err` is passed as the `err` argument of another call (which resets it,
/// whether that call succeeds or fails) or freed with `officernd_error_free`; reading it with the
/// `officernd_error_*` accessors does not reset it. Copy it to keep it longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_message(err: *const officernd_error) -> *const c_char {
    with_err(err, EMPTY, |e| e.message.as_ptr())
}

/// The RFC 6749 `error` of an `OFFICERND_RESULT_OAUTH` failure (e.g. `"invalid_client"`), or NULL
/// when there is none (other failures, a success, `err` NULL).
///
/// Lifetime: the string is borrowed from `err`; never free or modify it. It stays valid and
/// unchanged until `err` is passed as the `err` argument of another call (which resets it,
/// whether that call succeeds or fails) or freed with `officernd_error_free`; reading it with the
/// `officernd_error_*` accessors does not reset it. Copy it to keep it longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_oauth_error(err: *const officernd_error) -> *const c_char {
    with_err(err, std::ptr::null(), |e| opt_ptr(&e.oauth_error))
}

/// The RFC 6749 `error_description` of an `OFFICERND_RESULT_OAUTH` failure, or NULL when the
/// server sent none (and for other failures, a success, `err` NULL).
///
/// Lifetime: the string is borrowed from `err`; never free or modify it. It stays valid and
/// unchanged until `err` is passed as the `err` argument of another call (which resets it,
/// whether that call succeeds or fails) or freed with `officernd_error_free`; reading it with the
/// `officernd_error_*` accessors does not reset it. Copy it to keep it longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_description(err: *const officernd_error) -> *const c_char {
    with_err(err, std::ptr::null(), |e| opt_ptr(&e.error_description))
}

/// The RFC 6749 `error_uri` of an `OFFICERND_RESULT_OAUTH` failure, or NULL when the server sent
/// none (and for other failures, a success, `err` NULL).
///
/// Lifetime: the string is borrowed from `err`; never free or modify it. It stays valid and
/// unchanged until `err` is passed as the `err` argument of another call (which resets it,
/// whether that call succeeds or fails) or freed with `officernd_error_free`; reading it with the
/// `officernd_error_*` accessors does not reset it. Copy it to keep it longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_uri(err: *const officernd_error) -> *const c_char {
    with_err(err, std::ptr::null(), |e| opt_ptr(&e.error_uri))
}

/// The setting at fault for an `OFFICERND_RESULT_CONFIG` failure (e.g. `"client_id"`,
/// `"token_url"`, `"store"`, `"OFFICERND_CLIENT_SECRET"`), or NULL for other failures, a success
/// or `err` NULL.
///
/// Lifetime: the string is borrowed from `err`; never free or modify it. It stays valid and
/// unchanged until `err` is passed as the `err` argument of another call (which resets it,
/// whether that call succeeds or fails) or freed with `officernd_error_free`; reading it with the
/// `officernd_error_*` accessors does not reset it. Copy it to keep it longer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_setting(err: *const officernd_error) -> *const c_char {
    with_err(err, std::ptr::null(), |e| opt_ptr(&e.setting))
}

/// The HTTP status of the answer the failure comes from (401, 429, 503…), or 0 when there was
/// no answer (transport errors, timeouts, local refusals) or `err` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_http_status(err: *const officernd_error) -> u16 {
    with_err(err, 0, |e| e.status)
}

/// How long to wait before a new token request can be sent, in milliseconds, or -1 when
/// unknown (always known for `OFFICERND_RESULT_RATE_LIMITED`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_retry_after_ms(err: *const officernd_error) -> i64 {
    with_err(err, -1, |e| {
        e.retry_after
            .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// Whether trying again later can help (false for bad settings, refused credentials or scopes,
/// unusable answers, and when `err` is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_is_retryable(err: *const officernd_error) -> bool {
    with_err(err, false, |e| e.retryable)
}

/// For `OFFICERND_RESULT_BUFFER_TOO_SMALL`: the buffer size in bytes (terminating NUL included)
/// that the call needs; 0 otherwise.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_required_size(err: *const officernd_error) -> usize {
    with_err(err, 0, |e| e.required_size)
}

/// For `OFFICERND_RESULT_RATE_LIMITED`: the code of the last real error seen for these
/// credentials (e.g. `OFFICERND_RESULT_OAUTH` for a remembered `invalid_client`), or
/// `OFFICERND_RESULT_OK` when there was none. Its text is part of `officernd_error_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_error_last_error_code(
    err: *const officernd_error,
) -> officernd_result {
    with_err(err, officernd_result::Ok, |e| e.last_error_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: the accessors return NULL or a NUL-terminated string owned by the error object.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    #[test]
    fn a_panic_becomes_the_panic_code() {
        let mut err = officernd_error::default();
        let r = guard(&mut err, || panic!("boom"));
        assert_eq!(r, officernd_result::Panic);
        assert_eq!(err.code, officernd_result::Panic);
        assert!(err.message.to_str().unwrap().contains("panicked"));
        assert_eq!(
            guard(std::ptr::null_mut(), || panic!("boom")),
            officernd_result::Panic
        );
        assert_eq!(guard_value(7, || panic!("boom")), 7);
    }

    #[test]
    fn core_errors_fill_every_field_and_success_clears_them() {
        let mut err = officernd_error::default();
        let e = Error::OAuth {
            status: 400,
            body: officernd_auth::OAuthErrorBody {
                error: "invalid_scope".into(),
                error_description: Some("not allowed".into()),
                error_uri: Some("https://example.com/e".into()),
            },
        };
        assert_eq!(guard(&mut err, || Err(e.into())), officernd_result::Oauth);
        let p: *const officernd_error = &err;
        unsafe {
            assert_eq!(officernd_error_code(p), officernd_result::Oauth);
            assert_eq!(
                text(officernd_error_oauth_error(p)).as_deref(),
                Some("invalid_scope")
            );
            assert_eq!(
                text(officernd_error_description(p)).as_deref(),
                Some("not allowed")
            );
            assert_eq!(
                text(officernd_error_uri(p)).as_deref(),
                Some("https://example.com/e")
            );
            assert_eq!(officernd_error_http_status(p), 400);
            assert!(!officernd_error_is_retryable(p));
            assert!(
                text(officernd_error_message(p))
                    .unwrap()
                    .contains("invalid_scope")
            );
        }
        assert_eq!(guard(&mut err, || Ok(())), officernd_result::Ok);
        unsafe {
            assert_eq!(officernd_error_code(p), officernd_result::Ok);
            assert_eq!(officernd_error_oauth_error(p), std::ptr::null());
            assert_eq!(text(officernd_error_message(p)).as_deref(), Some(""));
        }
    }

    #[test]
    fn rate_limited_keeps_retry_after_and_the_last_error() {
        let mut err = officernd_error::default();
        let e = Error::RateLimited {
            retry_after: Duration::from_millis(1500),
            from_server: false,
            reason: None,
            last_error: Some(Box::new(Error::Transport {
                message: "refused".into(),
            })),
        };
        assert_eq!(
            guard(&mut err, || Err(e.into())),
            officernd_result::RateLimited
        );
        let p: *const officernd_error = &err;
        unsafe {
            assert_eq!(officernd_error_retry_after_ms(p), 1500);
            assert_eq!(
                officernd_error_last_error_code(p),
                officernd_result::Transport
            );
            assert_eq!(officernd_error_http_status(p), 0);
        }
    }

    #[test]
    fn every_core_code_has_its_number_and_name() {
        for kind in ErrorCode::ALL {
            let r = officernd_result::from_kind(kind);
            assert_eq!(r as c_uint, c_uint::from(kind.number()), "{kind}");
            assert_eq!(
                text(officernd_result_name(r as c_uint)).as_deref(),
                Some(kind.as_str())
            );
            assert_eq!(officernd_result::from_code_str(Some(kind.as_str())), r);
        }
        assert_eq!(officernd_result::from_code_str(None), officernd_result::Ok);
        assert_eq!(
            officernd_result::from_code_str(Some("nope")),
            officernd_result::Unknown
        );
    }

    #[test]
    fn result_names_are_stable() {
        for (code, name) in [
            (officernd_result::Ok, "ok"),
            (officernd_result::Config, "config"),
            (officernd_result::Oauth, "oauth"),
            (officernd_result::RateLimited, "rate_limited"),
            (officernd_result::Http, "http"),
            (officernd_result::Transport, "transport"),
            (officernd_result::Timeout, "timeout"),
            (officernd_result::InvalidResponse, "invalid_response"),
            (officernd_result::Unknown, "unknown"),
            (officernd_result::NullParameter, "null_parameter"),
            (officernd_result::InvalidUtf8, "invalid_utf8"),
            (officernd_result::BufferTooSmall, "buffer_too_small"),
            (officernd_result::Panic, "panic"),
        ] {
            assert_eq!(
                text(officernd_result_name(code as c_uint)).as_deref(),
                Some(name)
            );
        }
    }
}
