//! `officernd_token`: a valid token handed out by `officernd_client_token`. Read-only, so it may
//! be read from several threads at once; the access token is wiped from memory when the last
//! copy is freed.

use std::ffi::c_char;
use std::time::UNIX_EPOCH;

use officernd_auth::Token;

use crate::error::{guard, guard_value, officernd_error, officernd_result};
use crate::util::{OutBuf, ref_arg};

/// A valid access token with its expiry and granted scopes. Created by `officernd_client_token`,
/// freed by `officernd_token_free`. Immutable: safe to read from several threads at once.
pub struct officernd_token {
    pub(crate) inner: Token,
}

impl officernd_token {
    pub(crate) fn boxed(inner: Token) -> *mut officernd_token {
        Box::into_raw(Box::new(officernd_token { inner }))
    }
}

/// Frees a token handle. NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_free(token: *mut officernd_token) {
    guard_value((), || {
        if !token.is_null() {
            // SAFETY: `token` came from `officernd_client_token` and is freed once.
            drop(unsafe { Box::from_raw(token) });
        }
    })
}

fn copy(
    token: *const officernd_token,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
    what: &'static str,
    get: impl FnOnce(&Token) -> String,
) -> officernd_result {
    guard(err, || {
        let token = ref_arg(token, "token")?;
        let out = OutBuf::new(buf, len, out_n)?;
        out.write(&get(&token.inner), what)
    })
}

/// Copies the access token into `buf` (`len` bytes), NUL-terminated, and its length without the
/// NUL into `*out_n` (`out_n` may be NULL). Needs `officernd_token_access_token_len(token) + 1`
/// bytes; `OFFICERND_RESULT_BUFFER_TOO_SMALL` otherwise. Never log it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_access_token(
    token: *const officernd_token,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    copy(token, buf, len, out_n, err, "access token", |t| {
        t.access_token().to_owned()
    })
}

/// The length in bytes of the access token (without a NUL), 0 when `token` is NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_access_token_len(token: *const officernd_token) -> usize {
    guard_value(0, || {
        ref_arg(token, "token").map_or(0, |t| t.inner.access_token().len())
    })
}

/// Copies `"Bearer <access token>"`, the `Authorization` header value, into `buf` like
/// `officernd_token_access_token` does (it needs 7 more bytes than the access token).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_authorization_header(
    token: *const officernd_token,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    copy(token, buf, len, out_n, err, "authorization header", |t| {
        t.authorization_header()
    })
}

/// Copies the granted scopes, space-separated as the server answered them (the requested ones
/// when it did not say), into `buf` like `officernd_token_access_token` does.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_scopes(
    token: *const officernd_token,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    copy(token, buf, len, out_n, err, "scopes", |t| {
        t.scopes().join(" ")
    })
}

/// Copies a printable hint of the token, safe for logs (its first 6 characters and
/// `"…[redacted]"`), into `buf` like `officernd_token_access_token` does (32 bytes suffice).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_redacted(
    token: *const officernd_token,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    copy(token, buf, len, out_n, err, "redacted token", |t| {
        t.redacted()
    })
}

/// When the token expires, in seconds since the Unix epoch (0 when `token` is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_expires_at(token: *const officernd_token) -> i64 {
    guard_value(0, || {
        ref_arg(token, "token").map_or(0, |t| {
            t.inner
                .expires_at()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    })
}

/// Milliseconds left until the token expires (0 once expired or when `token` is NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_token_expires_in_ms(token: *const officernd_token) -> u64 {
    guard_value(0, || {
        ref_arg(token, "token").map_or(0, |t| {
            u64::try_from(t.inner.expires_in().as_millis()).unwrap_or(u64::MAX)
        })
    })
}
