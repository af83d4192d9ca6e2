//! The one error type of the bindings: a variant per stable code of the core's `Error`.

use std::fmt;
use std::time::Duration;

use officernd_auth as core;
use officernd_auth::ErrorCode;

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
            | Self::InvalidResponse { summary, .. } => summary,
        }
    }

    /// The core code of this variant (the inverse of the mapping in `From<core::Error>`).
    pub(crate) fn kind(&self) -> ErrorCode {
        match self {
            Self::Config { .. } => ErrorCode::Config,
            Self::OAuth { .. } => ErrorCode::OAuth,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Http { .. } => ErrorCode::Http,
            Self::Transport { .. } => ErrorCode::Transport,
            Self::Timeout { .. } => ErrorCode::Timeout,
            Self::InvalidResponse { .. } => ErrorCode::InvalidResponse,
        }
    }
}

#[uniffi::export]
impl OfficeRnDAuthError {
    /// The stable code: `config`, `oauth`, `rate_limited`, `http`, `transport`, `timeout`,
    /// `invalid_response` (core's `ErrorCode` table).
    pub fn code(&self) -> String {
        self.kind().as_str().to_owned()
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
            | Self::InvalidResponse { retryable, .. } => *retryable,
        }
    }
}

impl fmt::Display for OfficeRnDAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.summary())
    }
}

impl std::error::Error for OfficeRnDAuthError {}

/// The variant is chosen by an exhaustive `match` on core's [`ErrorCode`] (a code core adds
/// does not compile here until it has a variant); the fields come from core's accessors, or from
/// the core variant of that code. Core's `Error` is `#[non_exhaustive]`: should it ever add a
/// variant under an existing code, that variant still maps to its code's subclass, with the
/// one-line message standing in for the fields only a known variant carries.
impl From<core::Error> for OfficeRnDAuthError {
    fn from(e: core::Error) -> Self {
        let retryable = e.is_retryable();
        let summary = e.to_string();
        let status = e.status().map(i32::from).unwrap_or_default();
        match e.kind() {
            ErrorCode::Config => {
                let (setting, reason) = match e {
                    core::Error::Config { setting, reason } => (setting, reason),
                    _ => (String::new(), summary.clone()),
                };
                Self::Config {
                    setting,
                    reason,
                    retryable,
                    summary,
                }
            }
            ErrorCode::OAuth => Self::OAuth {
                status,
                error: e.oauth_error().unwrap_or_default().to_owned(),
                error_description: e.error_description().map(str::to_owned),
                error_uri: e.error_uri().map(str::to_owned),
                retryable,
                summary,
            },
            ErrorCode::RateLimited => Self::RateLimited {
                retry_after: e.retry_after().unwrap_or_default(),
                // Core's `status()` is 429 exactly when the server itself refused.
                from_server: e.status() == Some(429),
                last_error_code: e.last_error().map(|l| l.code().to_owned()),
                last_error_message: e.last_error().map(ToString::to_string),
                retryable,
                summary,
            },
            ErrorCode::Http => Self::Http {
                status,
                retry_after: e.retry_after(),
                detail: match e {
                    core::Error::Http { detail, .. } => detail,
                    _ => None,
                },
                retryable,
                summary,
            },
            ErrorCode::Transport => Self::Transport {
                detail: match e {
                    core::Error::Transport { message } => message,
                    _ => summary.clone(),
                },
                retryable,
                summary,
            },
            ErrorCode::Timeout => {
                let (after, detail) = match e {
                    core::Error::Timeout { after, message } => (after, message),
                    _ => (Duration::ZERO, summary.clone()),
                };
                Self::Timeout {
                    after,
                    detail,
                    retryable,
                    summary,
                }
            }
            ErrorCode::InvalidResponse => Self::InvalidResponse {
                status,
                reason: match e {
                    core::Error::InvalidResponse { reason, .. } => reason,
                    _ => summary.clone(),
                },
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

    /// One core error of each code, with every field set (exhaustive: a new code needs one).
    fn sample(code: ErrorCode) -> core::Error {
        match code {
            ErrorCode::Config => core::Error::Config {
                setting: "client_id".into(),
                reason: "missing".into(),
            },
            ErrorCode::OAuth => core::Error::OAuth {
                status: 401,
                body: core::OAuthErrorBody {
                    error: "invalid_client".into(),
                    error_description: Some("unknown client".into()),
                    error_uri: Some("https://example.test/e".into()),
                },
            },
            ErrorCode::RateLimited => core::Error::RateLimited {
                retry_after: Duration::from_secs(7),
                from_server: true,
                reason: None,
                last_error: Some(Box::new(sample(ErrorCode::Http))),
            },
            ErrorCode::Http => core::Error::Http {
                status: 503,
                detail: Some("maintenance".into()),
                retry_after: Some(Duration::from_secs(30)),
            },
            ErrorCode::Transport => core::Error::Transport {
                message: "connection refused".into(),
            },
            ErrorCode::Timeout => core::Error::Timeout {
                after: Duration::from_millis(300),
                message: "waiting for the answer".into(),
            },
            ErrorCode::InvalidResponse => core::Error::InvalidResponse {
                status: 200,
                reason: "not JSON".into(),
            },
        }
    }

    #[test]
    fn every_core_code_maps_to_its_variant_with_code_retryable_and_message() {
        for code in ErrorCode::ALL {
            let core_err = sample(code);
            let (retryable, message) = (core_err.is_retryable(), core_err.to_string());
            let err = OfficeRnDAuthError::from(core_err);
            assert_eq!(err.kind(), code);
            assert_eq!(err.code(), code.as_str());
            assert_eq!(err.is_retryable(), retryable, "{code}");
            assert_eq!(err.to_string(), message, "{code}");
        }
    }

    #[test]
    fn fields_are_carried() {
        use OfficeRnDAuthError as E;
        let got: Vec<E> = ErrorCode::ALL
            .into_iter()
            .map(|c| sample(c).into())
            .collect();
        assert!(
            matches!(&got[0], E::Config { setting, reason, retryable: false, .. }
                if setting == "client_id" && reason == "missing")
        );
        assert!(
            matches!(&got[1], E::OAuth { status: 401, error, error_description: Some(d),
                error_uri: Some(u), retryable: false, .. }
            if error == "invalid_client" && d == "unknown client" && u == "https://example.test/e")
        );
        assert!(
            matches!(&got[2], E::RateLimited { retry_after, from_server: true,
                last_error_code: Some(c), last_error_message: Some(m), retryable: true, .. }
            if *retry_after == Duration::from_secs(7) && c == "http" && m.contains("503"))
        );
        assert!(
            matches!(&got[3], E::Http { status: 503, detail: Some(d), retry_after: Some(r),
                retryable: true, .. }
            if d == "maintenance" && *r == Duration::from_secs(30))
        );
        assert!(
            matches!(&got[4], E::Transport { detail, retryable: true, .. }
            if detail == "connection refused")
        );
        assert!(
            matches!(&got[5], E::Timeout { after, detail, retryable: true, .. }
            if *after == Duration::from_millis(300) && detail == "waiting for the answer")
        );
        assert!(
            matches!(&got[6], E::InvalidResponse { status: 200, reason, retryable: false, .. }
            if reason == "not JSON")
        );

        // A local refusal is not from the server.
        let local: E = core::Error::RateLimited {
            retry_after: Duration::from_secs(1),
            from_server: false,
            reason: None,
            last_error: None,
        }
        .into();
        assert!(matches!(
            local,
            E::RateLimited {
                from_server: false,
                last_error_code: None,
                ..
            }
        ));
    }
}
