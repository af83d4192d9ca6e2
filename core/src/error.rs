//! The one error model of the project. Every binding maps these variants one-to-one, keyed by
//! [`Error::code`], so the codes are a stable public contract: never rename one.

use std::fmt;
use std::time::Duration;

/// The error codes: the one table every binding maps, by exhaustive `match`, onto its own
/// spelling (C result numbers, CLI exit codes, Python exception classes, Node `OFFICERND_*`
/// codes, UniFFI variants). The numbers are the C ABI's result numbers: never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ErrorCode {
    /// A missing or invalid setting.
    Config = 1,
    /// The token endpoint's RFC 6749 error answer.
    OAuth = 2,
    /// No request may be sent now (budget spent, cool-down, store outage).
    RateLimited = 3,
    /// An unexpected HTTP status.
    Http = 4,
    /// DNS, connect, TLS or connection failure.
    Transport = 5,
    /// The overall timeout elapsed.
    Timeout = 6,
    /// A 200 answer that is not a usable token.
    InvalidResponse = 7,
}

impl ErrorCode {
    /// Every code, in number order.
    pub const ALL: [ErrorCode; 7] = [
        ErrorCode::Config,
        ErrorCode::OAuth,
        ErrorCode::RateLimited,
        ErrorCode::Http,
        ErrorCode::Transport,
        ErrorCode::Timeout,
        ErrorCode::InvalidResponse,
    ];

    /// The stable string code (`config`, `oauth`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Config => "config",
            ErrorCode::OAuth => "oauth",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Http => "http",
            ErrorCode::Transport => "transport",
            ErrorCode::Timeout => "timeout",
            ErrorCode::InvalidResponse => "invalid_response",
        }
    }

    /// The code spelled `s`, if there is one.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The number (the C result code).
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// Whether retrying later can help an error of this code *by default*: what a class-level
    /// attribute should say. Instances decide for themselves ([`Error::is_retryable`]): a 5xx
    /// `http` error is retryable, a 4xx one is not; an `oauth` error is, unless terminal.
    pub const fn retryable_by_default(self) -> bool {
        match self {
            ErrorCode::Config | ErrorCode::OAuth | ErrorCode::InvalidResponse => false,
            ErrorCode::RateLimited
            | ErrorCode::Http
            | ErrorCode::Transport
            | ErrorCode::Timeout => true,
        }
    }

    /// One line on what the code means, for generated docs and help texts.
    pub const fn describe(self) -> &'static str {
        match self {
            ErrorCode::Config => "missing or invalid setting",
            ErrorCode::OAuth => "the token endpoint's RFC 6749 error answer",
            ErrorCode::RateLimited => {
                "no request may be sent now (budget spent, cool-down, store outage); see retry_after"
            }
            ErrorCode::Http => "unexpected HTTP status (5xx, a redirect, which is never followed)",
            ErrorCode::Transport => "DNS, connect, TLS or connection failure",
            ErrorCode::Timeout => "the overall timeout elapsed",
            ErrorCode::InvalidResponse => "a 200 answer that is not a usable token",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fields of an RFC 6749 §5.2 error answer (`error`, `error_description`, `error_uri`).
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthErrorBody {
    /// The RFC 6749 `error` code, e.g. `invalid_client`.
    pub error: String,
    /// The server's human-readable `error_description`, if any (scrubbed of the client secret).
    pub error_description: Option<String>,
    /// The server's `error_uri`, if any.
    pub error_uri: Option<String>,
}

impl fmt::Debug for OAuthErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthErrorBody")
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("error_uri", &self.error_uri)
            .finish()
    }
}

impl fmt::Display for OAuthErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)?;
        if let Some(d) = &self.error_description {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong getting a token. Cloneable so that every waiter of a
/// single-flight fetch receives the same error.
///
/// No variant ever holds the client secret or a whole access token: server-provided text is
/// scrubbed before it gets here and response bodies are never stored whole.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A missing or invalid setting, found when the client is built.
    #[error("invalid configuration: {setting}: {reason}")]
    Config {
        /// The setting at fault, e.g. `client_id`, `token_url`, `OFFICERND_SCOPES`.
        setting: String,
        /// Why it is rejected.
        reason: String,
    },

    /// The token endpoint answered with an RFC 6749 error (`invalid_client`, `invalid_scope`…).
    #[error("token endpoint refused the request: {body} (HTTP {status})")]
    OAuth {
        /// HTTP status of the answer.
        status: u16,
        /// The RFC 6749 fields.
        body: OAuthErrorBody,
    },

    /// No token request may be sent now: the request budget is spent, the server asked to wait
    /// (429, or `Retry-After` on a 5xx), or the shared store is down (see `governor`). A
    /// remembered terminal answer is replayed as itself (`OAuth`), not as this.
    #[error("{}", rate_limited_message(*.retry_after, *.from_server, .reason.as_deref(), .last_error.as_deref()))]
    RateLimited {
        /// When a new request may be sent.
        retry_after: Duration,
        /// True when the server itself answered 429; false when the local quota governor refused.
        from_server: bool,
        /// Why no request may be sent, when it is not the spent budget or a 429 (a server's
        /// `Retry-After`, the shared store's outage).
        reason: Option<String>,
        /// The last real error seen for these credentials, for diagnostics.
        last_error: Option<Box<Error>>,
    },

    /// An HTTP status the token endpoint should not answer (5xx, 3xx redirects, unexpected 4xx).
    #[error("token endpoint answered HTTP {status}{}", http_detail(.detail))]
    Http {
        /// HTTP status of the answer.
        status: u16,
        /// A short, safe detail (never the whole body).
        detail: Option<String>,
        /// `Retry-After` if the server sent one.
        retry_after: Option<Duration>,
    },

    /// DNS, connect, TLS or connection errors.
    #[error("could not reach the token endpoint: {message}")]
    Transport {
        /// What failed.
        message: String,
    },

    /// The overall timeout elapsed (connect, request, or waiting for another caller's fetch).
    #[error("timed out after {after:?}: {message}")]
    Timeout {
        /// The configured timeout that elapsed.
        after: Duration,
        /// What was being waited for.
        message: String,
    },

    /// A 200 answer that is not a usable token (not JSON, no `access_token`, wrong `token_type`,
    /// bad `expires_in`, a token that cannot go in a header, a body over the size cap).
    #[error("invalid token response: {reason}")]
    InvalidResponse {
        /// HTTP status of the answer.
        status: u16,
        /// What is wrong with it.
        reason: String,
    },
}

fn http_detail(detail: &Option<String>) -> String {
    detail
        .as_ref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

fn rate_limited_message(
    retry_after: Duration,
    from_server: bool,
    reason: Option<&str>,
    last: Option<&Error>,
) -> String {
    let who = match (from_server, reason) {
        (true, _) => "token endpoint answered 429 Too Many Requests",
        (false, Some(reason)) => reason,
        (false, None) => {
            "token request budget spent (OfficeRnD allows 5 token requests per minute)"
        }
    };
    let mut msg = format!(
        "{who}; retry after {}s",
        retry_after.as_secs_f64().ceil() as u64
    );
    if let Some(last) = last {
        msg.push_str(&format!("; last error: {last}"));
    }
    msg
}

/// RFC 6749 errors that no retry can fix: remembered for a while instead of re-sent.
pub(crate) const TERMINAL_OAUTH_ERRORS: &[&str] = &[
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "unsupported_grant_type",
    "invalid_grant",
    "invalid_request",
];

impl Error {
    /// The code of this error (see [`ErrorCode`], the table every binding maps).
    pub fn kind(&self) -> ErrorCode {
        match self {
            Error::Config { .. } => ErrorCode::Config,
            Error::OAuth { .. } => ErrorCode::OAuth,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Http { .. } => ErrorCode::Http,
            Error::Transport { .. } => ErrorCode::Transport,
            Error::Timeout { .. } => ErrorCode::Timeout,
            Error::InvalidResponse { .. } => ErrorCode::InvalidResponse,
        }
    }

    /// The stable string code of this error: `config`, `oauth`, `rate_limited`, `http`,
    /// `transport`, `timeout` or `invalid_response` ([`ErrorCode::as_str`]).
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The HTTP status of the answer this error comes from, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::OAuth { status, .. }
            | Error::Http { status, .. }
            | Error::InvalidResponse { status, .. } => Some(*status),
            Error::RateLimited {
                from_server: true, ..
            } => Some(429),
            _ => None,
        }
    }

    /// The RFC 6749 `error` code, for `oauth` errors.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::OAuth { body, .. } => Some(&body.error),
            _ => None,
        }
    }

    /// The RFC 6749 `error_description`, for `oauth` errors.
    pub fn error_description(&self) -> Option<&str> {
        match self {
            Error::OAuth { body, .. } => body.error_description.as_deref(),
            _ => None,
        }
    }

    /// The RFC 6749 `error_uri`, for `oauth` errors.
    pub fn error_uri(&self) -> Option<&str> {
        match self {
            Error::OAuth { body, .. } => body.error_uri.as_deref(),
            _ => None,
        }
    }

    /// How long to wait before a new request can be sent, when known.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            Error::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The last real error behind a `rate_limited` error.
    pub fn last_error(&self) -> Option<&Error> {
        match self {
            Error::RateLimited { last_error, .. } => last_error.as_deref(),
            _ => None,
        }
    }

    /// Whether trying again later can help (it cannot for bad configuration or a refused client).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Config { .. } | Error::InvalidResponse { .. } => false,
            Error::OAuth { body, .. } => !self.is_terminal_oauth() && body.error != "access_denied",
            Error::RateLimited { .. } | Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Http { status, .. } => *status >= 500 || *status == 408,
        }
    }

    /// Terminal answers are remembered for a while: resending them only burns the quota.
    pub(crate) fn is_terminal_oauth(&self) -> bool {
        matches!(self, Error::OAuth { body, .. } if TERMINAL_OAUTH_ERRORS.contains(&body.error.as_str()))
    }

    pub(crate) fn config(setting: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Config {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_table_is_complete_and_stable() {
        let spelled: Vec<_> = ErrorCode::ALL
            .iter()
            .map(|c| (c.number(), c.as_str()))
            .collect();
        assert_eq!(
            spelled,
            [
                (1, "config"),
                (2, "oauth"),
                (3, "rate_limited"),
                (4, "http"),
                (5, "transport"),
                (6, "timeout"),
                (7, "invalid_response"),
            ]
        );
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
        // Class-level defaults agree with instances where the code alone decides.
        let e503 = Error::Http {
            status: 503,
            detail: None,
            retry_after: None,
        };
        assert_eq!(e503.is_retryable(), ErrorCode::Http.retryable_by_default());
    }

    #[test]
    fn codes_are_stable() {
        let cases: Vec<(Error, &str)> = vec![
            (Error::config("client_id", "empty"), "config"),
            (
                Error::OAuth {
                    status: 401,
                    body: OAuthErrorBody {
                        error: "invalid_client".into(),
                        error_description: None,
                        error_uri: None,
                    },
                },
                "oauth",
            ),
            (
                Error::RateLimited {
                    retry_after: Duration::from_secs(3),
                    from_server: false,
                    reason: None,
                    last_error: None,
                },
                "rate_limited",
            ),
            (
                Error::Http {
                    status: 503,
                    detail: None,
                    retry_after: None,
                },
                "http",
            ),
            (
                Error::Transport {
                    message: "x".into(),
                },
                "transport",
            ),
            (
                Error::Timeout {
                    after: Duration::from_secs(1),
                    message: "x".into(),
                },
                "timeout",
            ),
            (
                Error::InvalidResponse {
                    status: 200,
                    reason: "x".into(),
                },
                "invalid_response",
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn rate_limited_message_names_retry_and_last_error() {
        let e = Error::RateLimited {
            retry_after: Duration::from_millis(12_300),
            from_server: false,
            reason: None,
            last_error: Some(Box::new(Error::Http {
                status: 503,
                detail: None,
                retry_after: None,
            })),
        };
        let s = e.to_string();
        assert!(s.contains("retry after 13s"), "{s}");
        assert!(s.contains("HTTP 503"), "{s}");
        assert!(e.is_retryable());
        assert_eq!(e.last_error().and_then(Error::status), Some(503));
    }

    #[test]
    fn terminal_oauth_errors_are_not_retryable() {
        let e = Error::OAuth {
            status: 400,
            body: OAuthErrorBody {
                error: "invalid_scope".into(),
                error_description: Some("too much".into()),
                error_uri: None,
            },
        };
        assert!(e.is_terminal_oauth());
        assert!(!e.is_retryable());
        assert!(!e.may_retry_now());
        assert_eq!(e.oauth_error(), Some("invalid_scope"));
        assert_eq!(e.error_description(), Some("too much"));
    }
}
