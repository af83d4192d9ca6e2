//! One HTTP attempt at the token endpoint, over ureq with rustls. The only place that reads the
//! client secret. Retries, budget and caching are decided elsewhere.

use std::io;
use std::time::Duration;

use ureq::Agent;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::response::{MAX_BODY_BYTES, Reply};

/// Sends one token request; [`Exchange`] over HTTP, or a simulated server in tests.
pub(crate) trait Transport: Send + Sync + std::fmt::Debug {
    /// One attempt with at most `timeout` for the whole exchange.
    fn send(&self, config: &Config, timeout: Duration) -> Result<Reply>;
}

/// A connection-pooling HTTP agent, reused across requests. One per process per client
/// (recreated after `fork()`: pooled sockets must not be shared with the parent).
#[derive(Debug)]
pub(crate) struct Exchange {
    agent: Agent,
}

impl Exchange {
    pub(crate) fn new(config: &Config) -> Exchange {
        let agent: Agent = Agent::config_builder()
            // Status codes are answers to interpret, not transport failures.
            .http_status_as_error(false)
            // A redirect would resend the client secret to wherever it points.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(config.user_agent.as_str())
            .accept("application/json")
            // A token answer is a few hundred bytes: no compression, so no decoder between the
            // bytes and their classification (a body is capped at 64 KiB either way).
            .accept_encoding("identity")
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            // Proxy settings from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY.
            .proxy(ureq::Proxy::try_from_env())
            .build()
            .into();
        Exchange { agent }
    }
}

impl Transport for Exchange {
    fn send(&self, config: &Config, timeout: Duration) -> Result<Reply> {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", &config.client_id),
            ("client_secret", config.client_secret.expose_secret()),
        ];
        let scope = config.scopes.joined();
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        let result = self
            .agent
            .post(&config.token_url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .send_form(form);
        let mut response = result.map_err(|e| transport_error(e, config.timeout))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        // Bytes, not text: what the bytes mean is decided from the status (`response::interpret`).
        // ureq's `read_to_string` would fail with an I/O error on a body that is not UTF-8
        // (its `lossy_utf8` only applies to `text/*`), and an I/O error reads as a transport
        // failure, which is retried: a whole but malformed answer must never be.
        let body = match response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
        {
            Ok(b) => Ok(b),
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                Err(format!("answer larger than {MAX_BODY_BYTES} bytes"))
            }
            // The answer's `Content-Encoding` does not decode (we ask for none: a server that
            // sends one anyway misbehaves). A short or empty stream looks the same as a
            // connection closed mid-body (both end early), and retrying the first would spend
            // the budget on a server that answers that way every time: only unambiguous socket
            // failures count as transport.
            Err(ureq::Error::Decompress(encoding, io)) if !is_socket_failure(&io) => Err(format!(
                "body does not decode as its Content-Encoding ({encoding}) says, or ends early"
            )),
            Err(e) => return Err(transport_error(e, config.timeout)),
        };
        Ok(Reply {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

/// Whether an I/O error is the socket failing (not a stream that merely ended early).
fn is_socket_failure(io: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        io.kind(),
        ConnectionReset | ConnectionAborted | BrokenPipe | TimedOut | NotConnected
    )
}

/// Maps ureq's failures onto `transport` and `timeout`. Messages name what failed, never the
/// request body (which holds the secret).
fn transport_error(e: ureq::Error, timeout: Duration) -> Error {
    match e {
        ureq::Error::Timeout(which) => Error::Timeout {
            after: timeout,
            message: format!("token request ({which})"),
        },
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => Error::Timeout {
            after: timeout,
            message: format!("token request: {io}"),
        },
        ureq::Error::HostNotFound => Error::Transport {
            message: "host not found (DNS)".into(),
        },
        ureq::Error::ConnectionFailed => Error::Transport {
            message: "connection failed".into(),
        },
        other => Error::Transport {
            message: other.to_string(),
        },
    }
}
