//! `Token`: a read-only view of a core token. The access token is readable (`accessToken`) but
//! never printed: `toString()` (here) and `util.inspect` / `toJSON` (lib/main.js) show only the
//! redacted prefix from core.

use std::time::UNIX_EPOCH;

use napi::JsDate;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A valid access token with its type, expiry and granted scopes. Made only by `TokenClient`.
///
/// `toString()`, `util.inspect()` and `JSON.stringify()` never show the whole token.
#[napi]
pub struct Token {
    pub(crate) inner: officernd_auth::Token,
}

#[napi]
impl Token {
    /// The access token. Send it only in an `Authorization` header; never log it.
    #[napi(getter)]
    pub fn access_token(&self) -> &str {
        self.inner.access_token()
    }

    /// The token type, always `"Bearer"`.
    #[napi(getter)]
    pub fn token_type(&self) -> &str {
        self.inner.token_type()
    }

    /// When the token expires (wall clock).
    #[napi(getter, ts_return_type = "Date")]
    pub fn expires_at<'e>(&self, env: &'e Env) -> Result<JsDate<'e>> {
        let ms = self
            .inner
            .expires_at()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0);
        env.create_date(ms.floor())
    }

    /// Seconds left until expiry (fractional; 0 once expired), like OAuth's `expires_in`.
    #[napi(getter)]
    pub fn expires_in(&self) -> f64 {
        self.inner.expires_in().as_secs_f64()
    }

    /// The granted scopes as the server answered them (the requested ones if it did not say).
    #[napi(getter)]
    pub fn scopes(&self) -> Vec<String> {
        self.inner.scopes().to_vec()
    }

    /// `"Bearer <access token>"`, the value of the `Authorization` header (core's spelling).
    #[napi]
    pub fn authorization_header(&self) -> String {
        self.inner.authorization_header()
    }

    /// The first characters of the token and `…[redacted]`: enough to tell two tokens apart in a log.
    #[napi(getter)]
    pub fn redacted(&self) -> String {
        self.inner.redacted()
    }

    /// `Token(<redacted>, Bearer, expires in <n>s)`: never the whole token.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "Token({}, {}, expires in {}s)",
            self.inner.redacted(),
            self.inner.token_type(),
            self.inner.expires_in().as_secs()
        )
    }
}
