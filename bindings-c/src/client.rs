//! `officernd_client`: the token client handle. Thread-safe: one handle may be used by any
//! number of threads at once (the core's cache is lock-free on the fresh path and fetches once
//! for all waiters).

use std::ffi::c_char;

use officernd_auth::{TokenClient, TokenClientBuilder};

use crate::config::officernd_config;
use crate::error::{guard, guard_value, officernd_error, officernd_result};
use crate::stats::officernd_stats;
use crate::token::officernd_token;
use crate::util::{OutBuf, out_arg, ref_arg, write_out};

/// The name this binding gives itself in the `User-Agent`, unless a binding built on it names
/// itself (`officernd_config_set_binding`).
const BINDING: &str = "c";

/// A token client. Created by `officernd_client_new` or `officernd_client_from_env`, freed by
/// `officernd_client_free`. Safe to share between threads: every `officernd_client_*` function
/// may be called on the same handle from many threads at the same time (give each thread its own
/// `officernd_error`). Clients with the same token URL, id, secret and scopes share one cache and
/// one request budget in the process, so making many clients does not multiply token requests.
pub struct officernd_client {
    inner: TokenClient,
}

fn build(
    builder: TokenClientBuilder,
    binding: Option<&str>,
    out: *mut *mut officernd_client,
) -> Result<(), crate::error::Failure> {
    let client = builder.binding(binding.unwrap_or(BINDING)).build()?;
    write_out(
        out,
        Box::into_raw(Box::new(officernd_client { inner: client })),
    );
    Ok(())
}

/// Builds a client from `config` (which stays owned by the caller and may be freed or reused
/// right after) and stores it in `*out`. Fails with `OFFICERND_RESULT_CONFIG` naming the bad
/// setting (`officernd_error_setting`); `*out` is written only on success. No network I/O.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_new(
    config: *const officernd_config,
    out: *mut *mut officernd_client,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let cfg = ref_arg(config, "config")?;
        let out = out_arg(out, "out")?;
        build(cfg.builder.clone(), cfg.binding.as_deref(), out)
    })
}

/// Builds a client from the environment (`OFFICERND_CLIENT_ID`, `OFFICERND_CLIENT_SECRET`,
/// `OFFICERND_SCOPES`, `OFFICERND_TOKEN_URL`, `OFFICERND_STORE`, `OFFICERND_STORE_PATH`) with
/// every other setting at its default, and stores it in `*out` (written only on success). No
/// network I/O (a `file` store's directory is created when missing).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_from_env(
    out: *mut *mut officernd_client,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let out = out_arg(out, "out")?;
        build(TokenClientBuilder::new().with_env()?, None, out)
    })
}

/// Frees a client. NULL is ignored. Tokens obtained from it stay valid (free them separately).
/// Must not be called while another thread still uses the client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_free(client: *mut officernd_client) {
    guard_value((), || {
        if !client.is_null() {
            // SAFETY: `client` came from `officernd_client_new`/`_from_env` and is freed once.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

/// Gets a valid token and stores a new token handle in `*out` (free it with
/// `officernd_token_free`). From the cache when fresh (no lock, no I/O); otherwise BLOCKS while
/// one request is sent for all concurrent callers, within the configured timeout. On failure
/// `*out` is untouched and `err` (may be NULL) holds the detail.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_token(
    client: *const officernd_client,
    out: *mut *mut officernd_token,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let out = out_arg(out, "out")?;
        let token = client.inner.token()?;
        write_out(out, officernd_token::boxed(token));
        Ok(())
    })
}

/// The cached token, only when the library's freshness rule lets it be handed out without any
/// I/O (the same rule `officernd_client_token` applies first): `*out` is then a new token handle
/// (free it with `officernd_token_free`), otherwise NULL — nothing cached, or a token due for
/// refresh, which `officernd_client_token` would refresh or serve while another caller does.
/// Never blocks and never sends a request: a binding calls it to answer from the cache on the
/// caller's thread and hands only a miss to a thread that may block. A hit counts as a cache hit
/// in the stats. Fails only on a NULL argument (`*out` untouched).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_cached(
    client: *const officernd_client,
    out: *mut *mut officernd_token,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let out = out_arg(out, "out")?;
        write_out(
            out,
            client
                .inner
                .cached()
                .map_or(std::ptr::null_mut(), officernd_token::boxed),
        );
        Ok(())
    })
}

/// Copies the access token of a valid token (see `officernd_client_token`) into `buf` (`len`
/// bytes), NUL-terminated, and its length without the NUL into `*out_n` (`out_n` may be NULL).
/// `OFFICERND_RESULT_BUFFER_TOO_SMALL` when it does not fit: `officernd_error_required_size`
/// says how many bytes are needed (the token is cached, so asking again is cheap).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_access_token(
    client: *const officernd_client,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let out = OutBuf::new(buf, len, out_n)?;
        let token = client.inner.token()?;
        out.write(token.access_token(), "access token")
    })
}

/// Copies the `Authorization` header value of a valid token, `"Bearer <access token>"`, into
/// `buf` like `officernd_client_access_token` does.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_authorization_header(
    client: *const officernd_client,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let out = OutBuf::new(buf, len, out_n)?;
        let token = client.inner.token()?;
        out.write(&token.authorization_header(), "authorization header")
    })
}

/// After an API call made with `token` answered 401: drops that token from the cache, only if it
/// is still the cached one (another thread may already hold a newer token), so that the next
/// `officernd_client_token` fetches a new one. Stores in `*out_dropped` (may be NULL) whether it
/// was dropped. `officernd_client_token_after_unauthorized` does this and also gives the token to
/// retry the call with (or none), which is what an HTTP client usually wants.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_invalidate(
    client: *const officernd_client,
    token: *const officernd_token,
    out_dropped: *mut bool,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let token = ref_arg(token, "token")?;
        let dropped = client.inner.invalidate(&token.inner);
        if !out_dropped.is_null() {
            write_out(out_dropped, dropped);
        }
        Ok(())
    })
}

/// The 401 rule, the same in every language: after an API call made with `rejected` answered
/// 401, drops that token from the cache (only if it is still the cached one, see
/// `officernd_client_invalidate`) and gets the token to retry the call with, ONCE. On success
/// `*out_next` is a new token handle (free it with `officernd_token_free`), or NULL when there is
/// none: the valid token is the rejected one again (the server reissued it), and resending a
/// refused token cannot help, so the 401 stands. When another thread already replaced the
/// rejected token, `*out_next` is that newer token and no request is sent. May BLOCK like
/// `officernd_client_token` (and fail like it; `*out_next` is then untouched). `rejected` stays
/// owned by the caller.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_token_after_unauthorized(
    client: *const officernd_client,
    rejected: *const officernd_token,
    out_next: *mut *mut officernd_token,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let rejected = ref_arg(rejected, "rejected")?;
        let out_next = out_arg(out_next, "out_next")?;
        let next = client.inner.token_after_unauthorized(&rejected.inner)?;
        write_out(
            out_next,
            next.map_or(std::ptr::null_mut(), officernd_token::boxed),
        );
        Ok(())
    })
}

/// Stores a snapshot of the client's metrics in `*out` (see `officernd_stats`, and
/// `officernd_stats_field_name` / `officernd_stats_field_value` to read it by name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn officernd_client_stats(
    client: *const officernd_client,
    out: *mut officernd_stats,
    err: *mut officernd_error,
) -> officernd_result {
    guard(err, || {
        let client = ref_arg(client, "client")?;
        let out = out_arg(out, "out")?;
        write_out(out, officernd_stats::from_core(&client.inner.stats()));
        Ok(())
    })
}
