//! The one error type of the bindings: a variant per stable code of the core's `Error`.

use std::fmt;
use std::time::Duration;

use officernd_auth as core;

/// Every error of the core, one variant per stable code (`config`, `oauth`, `rate_limited`,
/// `http`, `transport`, `timeout`, `invalid_response`). Kotlin sees it as the sealed class
/// `OfficeRnDAuthException`. `toString()` is the core's one-line safe message; `code()` the
/// stable code. No variant ever holds the client secret or a whole access token.
#[derive(Debug, Clone, PartialEq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum OfficeRnDAuthError {
    /// `config`: a missing or invalid setting, found when the client is built.
    Config {
        /// The setting at fault, e.g. `client_id`, `token_url`, `OFFICERND_SCOPES`.
        setting: String,
        /// Why it is rejected.
        reason: String,
        /// Always false.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `oauth`: the token endpoint answered with an RFC 6749 error.
    OAuth {
        /// HTTP status of the answer.
        status: i32,
        /// RFC 6749 `error`, e.g. `invalid_client`.
        error: String,
        /// RFC 6749 `error_description`.
        error_description: Option<String>,
        /// RFC 6749 `error_uri`.
        error_uri: Option<String>,
        /// Whether retrying can help.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `rate_limited`: no token request may be sent now (budget spent, 429 cool-down, or a
    /// remembered terminal error).
    RateLimited {
        /// When a new request may be sent.
        retry_after: Duration,
        /// True when the server answered 429; false when the local quota governor refused.
        from_server: bool,
        /// Code of the last real error for these credentials, if any.
        last_error_code: Option<String>,
        /// Message of the last real error for these credentials, if any.
        last_error_message: Option<String>,
        /// Always true (after `retry_after`).
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `http`: an unexpected HTTP status (5xx, a redirect, an unexpected 4xx).
    Http {
        /// HTTP status of the answer.
        status: i32,
        /// A short, safe detail (never the whole body).
        detail: Option<String>,
        /// `Retry-After`, if the server sent one.
        retry_after: Option<Duration>,
        /// Whether retrying can help (5xx).
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `transport`: DNS, connect, TLS or connection errors.
    Transport {
        /// What failed.
        detail: String,
        /// Always true.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `timeout`: the overall timeout elapsed.
    Timeout {
        /// The configured timeout that elapsed.
        after: Duration,
        /// What was being waited for.
        detail: String,
        /// Always true.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// `invalid_response`: a 200 answer that is not a usable token.
    InvalidResponse {
        /// HTTP status of the answer.
        status: i32,
        /// What is wrong with it.
        reason: String,
        /// Always false.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
    /// A code added to core after this binding was built.
    Other {
        /// The core's code.
        raw_code: String,
        /// Whether retrying can help.
        retryable: bool,
        /// The one-line message.
        summary: String,
    },
}

impl OfficeRnDAuthError {
    fn summary(&self) -> &str {
        match self {
            Self::Config { summary, .. }
            | Self::OAuth { summary, .. }
            | Self::RateLimited { summary, .. }
            | Self::Http { summary, .. }
            | Self::Transport { summary, .. }
            | Self::Timeout { summary, .. }
            | Self::InvalidResponse { summary, .. }
            | Self::Other { summary, .. } => summary,
        }
    }
}

#[uniffi::export]
impl OfficeRnDAuthError {
    /// The stable code: `config`, `oauth`, `rate_limited`, `http`, `transport`, `timeout`,
    /// `invalid_response`.
    pub fn code(&self) -> String {
        match self {
            Self::Config { .. } => "config",
            Self::OAuth { .. } => "oauth",
            Self::RateLimited { .. } => "rate_limited",
            Self::Http { .. } => "http",
            Self::Transport { .. } => "transport",
            Self::Timeout { .. } => "timeout",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Other { raw_code, .. } => raw_code,
        }
        .to_owned()
    }

    /// Whether retrying can help (the `retryable` field of every variant).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Config { retryable, .. }
            | Self::OAuth { retryable, .. }
            | Self::RateLimited { retryable, .. }
            | Self::Http { retryable, .. }
            | Self::Transport { retryable, .. }
            | Self::Timeout { retryable, .. }
            | Self::InvalidResponse { retryable, .. }
            | Self::Other { retryable, .. } => *retryable,
        }
    }
}

impl fmt::Display for OfficeRnDAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())
    }
}

impl std::error::Error for OfficeRnDAuthError {}

impl From<core::Error> for OfficeRnDAuthError {
    fn from(e: core::Error) -> Self {
        let retryable = e.is_retryable();
        let summary = e.to_string();
        match e {
            core::Error::Config { setting, reason } => Self::Config {
                setting,
                reason,
                retryable,
                summary,
            },
            core::Error::OAuth { status, body } => Self::OAuth {
                status: status.into(),
                error: body.error,
                error_description: body.error_description,
                error_uri: body.error_uri,
                retryable,
                summary,
            },
            core::Error::RateLimited {
                retry_after,
                from_server,
                last_error,
                // Part of `summary` (the message); not a field of its own in the generated bindings.
                reason: _,
            } => Self::RateLimited {
                retry_after,
                from_server,
                last_error_code: last_error.as_ref().map(|l| l.code().to_owned()),
                last_error_message: last_error.as_ref().map(|l| l.to_string()),
                retryable,
                summary,
            },
            core::Error::Http {
                status,
                detail,
                retry_after,
            } => Self::Http {
                status: status.into(),
                detail,
                retry_after,
                retryable,
                summary,
            },
            core::Error::Transport { message } => Self::Transport {
                detail: message,
                retryable,
                summary,
            },
            core::Error::Timeout { after, message } => Self::Timeout {
                after,
                detail: message,
                retryable,
                summary,
            },
            core::Error::InvalidResponse { status, reason } => Self::InvalidResponse {
                status: status.into(),
                reason,
                retryable,
                summary,
            },
            other => Self::Other {
                raw_code: other.code().to_owned(),
                retryable,
                summary,
            },
        }
    }
}

/// The result of every fallible exported call.
pub type Result<T> = std::result::Result<T, OfficeRnDAuthError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_maps_with_fields() {
        let err: OfficeRnDAuthError = core::Error::Config {
            setting: "client_id".into(),
            reason: "missing".into(),
        }
        .into();
        assert_eq!(err.code(), "config");
        assert!(
            matches!(err, OfficeRnDAuthError::Config { ref setting, retryable: false, .. } if setting == "client_id")
        );
    }
}
