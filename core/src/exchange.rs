//! One HTTP attempt at the token endpoint, over ureq with rustls. The only place that reads the
//! client secret. Retries, budget and caching are decided elsewhere.
//!
//! ureq's protocol layer (`ureq_proto`) logs every byte it writes and reads at TRACE, as hex
//! dumps, whatever the application's logger lets through — no feature or setting turns it off.
//! So the secret and the answer never pass through it in the clear: ureq writes a request whose
//! `client_secret` is a random placeholder of the same length, which the connection ([`quiet`])
//! swaps for the real value on its way to the socket; and the connection reads the answer
//! itself, keeps its body and the two headers we read (`Content-Type`, `Retry-After`) for
//! [`Exchange::send`], and hands ureq only the status code: no reason phrase and no header of
//! the server's, since ureq logs those too (at DEBUG) and a server may echo the secret in any of
//! them (a `Location`, a `Retry-After`…). ureq still does everything else: DNS, proxies, TLS,
//! timeouts, refusing redirects.

use std::io;
use std::time::Duration;

use ureq::Agent;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{Connector, DefaultConnector};

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
        let agent = Agent::config_builder()
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
            // Proxy settings from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY, for `https://`
            // only. Plain `http://` is allowed to loopback alone, so that the secret never
            // crosses a network in clear: a proxy (another host, or a tunnel it relays in clear)
            // would carry it there.
            .proxy(if plain_http(&config.token_url) {
                None
            } else {
                ureq::Proxy::try_from_env()
            })
            .build();
        let connector =
            DefaultConnector::new().chain(quiet::QuietConnector::new(&config.token_url));
        let agent = Agent::with_parts(agent, connector, DefaultResolver::default());
        Exchange { agent }
    }
}

/// `http://…` (validated to be loopback) rather than `https://…`.
fn plain_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

impl Transport for Exchange {
    fn send(&self, config: &Config, timeout: Duration) -> Result<Reply> {
        let secret = quiet::form_encode(config.client_secret.expose_secret());
        let placeholder = quiet::placeholder(secret.len());
        let mut body = format!(
            "grant_type=client_credentials&client_id={}&client_secret=",
            quiet::form_encode(&config.client_id)
        );
        body.push_str(&placeholder);
        let scope = config.scopes.joined();
        if !scope.is_empty() {
            body.push_str("&scope=");
            body.push_str(&quiet::form_encode(&scope));
        }
        let _request = quiet::Request::begin(&placeholder, secret);
        let result = self
            .agent
            .post(&config.token_url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .content_type("application/x-www-form-urlencoded")
            .send(body.as_bytes());
        let answer = quiet::take_answer();
        let mut response = result.map_err(|e| transport_error(e, config.timeout))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_type, retry_after, body) = match answer {
            // The usual path: the connection read the answer (see the module doc).
            Some(answer) => (answer.content_type, answer.retry_after, answer.body.body()),
            // Only if the connection was not ours (it always is for the token URL).
            None => (
                header("content-type"),
                header("retry-after"),
                read_body(&mut response).map_err(|e| transport_error(e, config.timeout))?,
            ),
        };
        Ok(Reply {
            status,
            content_type,
            retry_after,
            body,
        })
    }
}

/// Reads the body through ureq, as bytes: what the bytes mean is decided from the status
/// (`response::interpret`). (ureq's `read_to_string` fails with an I/O error on a body that is
/// not UTF-8 — its `lossy_utf8` only applies to `text/*` — and an I/O error reads as a transport
/// failure, which is retried: a whole but malformed answer must never be.)
fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
) -> std::result::Result<std::result::Result<Vec<u8>, String>, ureq::Error> {
    match response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
    {
        Ok(b) => Ok(Ok(b)),
        Err(ureq::Error::BodyExceedsLimit(_)) => {
            Ok(Err(format!("answer larger than {MAX_BODY_BYTES} bytes")))
        }
        // The answer's `Content-Encoding` does not decode (we ask for none: a server that sends
        // one anyway misbehaves). A short or empty stream looks the same as a connection closed
        // mid-body (both end early), and retrying the first would spend the budget on a server
        // that answers that way every time: only unambiguous socket failures count as transport.
        Err(ureq::Error::Decompress(encoding, io)) if !is_socket_failure(&io) => Ok(Err(format!(
            "body does not decode as its Content-Encoding ({encoding}) says, or ends early"
        ))),
        Err(e) => Err(e),
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

/// The connection to the token endpoint that keeps the secret and the answer out of ureq's
/// byte dumps (see the module doc). State travels in thread-locals: ureq is synchronous, so a
/// request's connection work runs on the thread that sent it, between [`Request::begin`] and
/// [`take_answer`].
mod quiet {
    use std::cell::RefCell;
    use std::fmt;
    use std::time::Instant;

    use ureq::http::Uri;
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    use ureq::unversioned::transport::{
        Buffers, ConnectionDetails, Connector, NextTimeout, Transport,
    };
    use zeroize::Zeroizing;

    use crate::response::MAX_BODY_BYTES;

    /// Status line and headers larger than this are not an answer we can use.
    const MAX_HEAD_BYTES: usize = 64 * 1024;

    /// `client_secret=<placeholder>` as ureq writes it, and `client_secret=<secret>` as sent.
    struct Swap {
        written: Vec<u8>,
        sent: Zeroizing<Vec<u8>>,
    }

    thread_local! {
        /// The swap for this thread's request.
        static SWAP: RefCell<Option<Swap>> = const { RefCell::new(None) };
        /// The answer this thread's request got.
        static ANSWER: RefCell<Option<Answer>> = const { RefCell::new(None) };
    }

    /// `application/x-www-form-urlencoded`, byte for byte as browsers and ureq's `send_form`
    /// encode: alphanumerics and `*-._` kept, a space as `+`, every other byte `%XX`.
    pub(super) fn form_encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len() * 3);
        for b in s.bytes() {
            match b {
                b' ' => out.push('+'),
                b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => out.push(b as char),
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    /// Random letters and digits, as long as the encoded secret it stands for.
    pub(super) fn placeholder(len: usize) -> String {
        std::iter::repeat_with(fastrand::alphanumeric)
            .take(len)
            .collect()
    }

    /// Arms this thread's connection for one request: `client_secret=<placeholder>` on the way
    /// out becomes `client_secret=<secret>`. Dropping it disarms.
    pub(super) struct Request;

    impl Request {
        pub(super) fn begin(placeholder: &str, secret: String) -> Request {
            let mut needle = b"client_secret=".to_vec();
            needle.extend_from_slice(placeholder.as_bytes());
            let mut real = Zeroizing::new(b"client_secret=".to_vec());
            real.extend_from_slice(secret.as_bytes());
            drop(Zeroizing::new(secret));
            SWAP.with(|s| {
                *s.borrow_mut() = Some(Swap {
                    written: needle,
                    sent: real,
                })
            });
            ANSWER.with(|a| a.borrow_mut().take());
            Request
        }
    }

    impl Drop for Request {
        fn drop(&mut self) {
            SWAP.with(|s| s.borrow_mut().take());
            ANSWER.with(|a| a.borrow_mut().take());
        }
    }

    /// The answer the connection read for this thread's request, if it read one.
    pub(super) fn take_answer() -> Option<Answer> {
        ANSWER.with(|a| a.borrow_mut().take())
    }

    /// What the client reads of an answer: two headers (the first of each, if it is text as
    /// ureq's `to_str` would have it) and the body. ureq never sees any of them.
    pub(super) struct Answer {
        pub(super) content_type: Option<String>,
        pub(super) retry_after: Option<String>,
        pub(super) body: Body,
    }

    /// A body as it arrived, or why it is unusable.
    pub(super) enum Body {
        Bytes(Vec<u8>),
        TooLarge,
        Encoded(String),
    }

    impl Body {
        pub(super) fn body(self) -> Result<Vec<u8>, String> {
            match self {
                Body::Bytes(b) => Ok(b),
                Body::TooLarge => Err(format!("answer larger than {MAX_BODY_BYTES} bytes")),
                Body::Encoded(enc) => Err(format!(
                    "body is compressed (Content-Encoding {}), though none was asked for",
                    enc.chars().take(40).collect::<String>()
                )),
            }
        }
    }

    /// Puts a [`QuietTransport`] on top of (TLS over) every connection to the token endpoint's
    /// origin; connections elsewhere (a CONNECT proxy) are left as they are.
    #[derive(Debug)]
    pub(super) struct QuietConnector {
        origin: Option<(String, String, u16)>,
    }

    fn origin(uri: &Uri) -> Option<(String, String, u16)> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some((scheme, uri.host()?.to_ascii_lowercase(), port))
    }

    impl QuietConnector {
        pub(super) fn new(token_url: &str) -> QuietConnector {
            QuietConnector {
                origin: token_url.parse::<Uri>().ok().as_ref().and_then(origin),
            }
        }
    }

    impl Connector<Box<dyn Transport>> for QuietConnector {
        type Out = Box<dyn Transport>;

        fn connect(
            &self,
            details: &ConnectionDetails,
            chained: Option<Box<dyn Transport>>,
        ) -> Result<Option<Self::Out>, ureq::Error> {
            let Some(transport) = chained else {
                return Ok(None);
            };
            if self.origin.is_some() && origin(details.uri) == self.origin {
                Ok(Some(Box::new(QuietTransport::new(transport))))
            } else {
                Ok(Some(transport))
            }
        }
    }

    /// Sends what ureq writes (with the placeholder swapped); reads the whole answer itself and
    /// shows ureq only its status code, with `content-length: 0` and `connection: close` (so
    /// the connection is never pooled half-read).
    pub(super) struct QuietTransport {
        inner: Box<dyn Transport>,
        /// Bytes read from `inner`, not yet a whole answer.
        raw: Vec<u8>,
        /// What ureq reads: the answer's head, rewritten.
        head: Vec<u8>,
        head_read: usize,
        progress: bool,
        answered: bool,
    }

    impl fmt::Debug for QuietTransport {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("QuietTransport")
                .field("inner", &self.inner)
                .finish_non_exhaustive()
        }
    }

    impl QuietTransport {
        fn new(inner: Box<dyn Transport>) -> QuietTransport {
            QuietTransport {
                inner,
                raw: Vec::new(),
                head: Vec::new(),
                head_read: 0,
                progress: false,
                answered: false,
            }
        }
    }

    impl Buffers for QuietTransport {
        fn output(&mut self) -> &mut [u8] {
            self.inner.buffers().output()
        }

        fn input(&self) -> &[u8] {
            &self.head[self.head_read..]
        }

        fn input_append_buf(&mut self) -> &mut [u8] {
            // Only a transport fills its input; this one fills `head` itself.
            &mut []
        }

        fn input_appended(&mut self, _amount: usize) {}

        fn input_consume(&mut self, amount: usize) {
            self.progress = amount > 0;
            self.head_read = (self.head_read + amount).min(self.head.len());
        }

        fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
            self.inner.buffers().tmp_and_output()
        }

        fn can_use_input(&self) -> bool {
            self.progress && !self.input().is_empty()
        }
    }

    impl Transport for QuietTransport {
        fn buffers(&mut self) -> &mut dyn Buffers {
            self
        }

        fn transmit_output(
            &mut self,
            amount: usize,
            timeout: NextTimeout,
        ) -> Result<(), ureq::Error> {
            SWAP.with(|swap| {
                if let Some(Swap { written, sent }) = swap.borrow().as_ref() {
                    let out = &mut self.inner.buffers().output()[..amount];
                    if let Some(at) = out.windows(written.len()).position(|w| w == &written[..]) {
                        out[at..at + sent.len()].copy_from_slice(sent);
                    }
                }
            });
            self.inner.transmit_output(amount, timeout)
        }

        fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
            if self.answered {
                // ureq was told the body is empty: nothing more to read.
                return Ok(false);
            }
            let deadline = (!timeout.after.is_not_happening())
                .then(|| Instant::now().checked_add(*timeout.after))
                .flatten();
            loop {
                if let Some((head, answer)) = whole_answer(&self.raw, false)? {
                    self.finish(head, answer);
                    return Ok(true);
                }
                let mut next = timeout;
                if let Some(deadline) = deadline {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ureq::Error::Timeout(timeout.reason));
                    }
                    next.after = UreqDuration::Exact(left);
                }
                let more = self.inner.await_input(next)?;
                let input = self.inner.buffers().input();
                let n = input.len();
                self.raw.extend_from_slice(input);
                self.inner.buffers().input_consume(n);
                if !more && n == 0 {
                    // The peer closed: a body delimited by the close is whole now; anything
                    // else ended early.
                    return match whole_answer(&self.raw, true)? {
                        Some((head, answer)) => {
                            self.finish(head, answer);
                            Ok(true)
                        }
                        None => Err(ureq::Error::Io(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the connection closed before the answer was whole",
                        ))),
                    };
                }
            }
        }

        fn is_open(&mut self) -> bool {
            !self.answered && self.inner.is_open()
        }

        fn is_tls(&self) -> bool {
            self.inner.is_tls()
        }
    }

    impl QuietTransport {
        fn finish(&mut self, head: Vec<u8>, answer: Answer) {
            self.raw = Vec::new();
            self.head = head;
            self.head_read = 0;
            self.progress = true;
            self.answered = true;
            ANSWER.with(|a| *a.borrow_mut() = Some(answer));
        }
    }

    fn malformed(what: &str) -> ureq::Error {
        ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("malformed HTTP answer: {what}"),
        ))
    }

    /// If `raw` holds a whole answer (`closed`: the peer has closed the connection), the head
    /// to show ureq — the status code and nothing the server wrote, so nothing it echoed — and
    /// the answer. Informational (1xx) heads are skipped.
    fn whole_answer(raw: &[u8], closed: bool) -> Result<Option<(Vec<u8>, Answer)>, ureq::Error> {
        let mut start = 0;
        loop {
            let rest = &raw[start..];
            let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
                if rest.len() > MAX_HEAD_BYTES {
                    return Err(malformed("status line and headers too large"));
                }
                return Ok(None);
            };
            let head =
                std::str::from_utf8(&rest[..end]).map_err(|_| malformed("headers are not text"))?;
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or_default();
            let status: u16 = status_line
                .strip_prefix("HTTP/1.")
                .and_then(|r| r.get(2..5))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| malformed("no status line"))?;
            let body_at = start + end + 4;
            if (100..200).contains(&status) {
                start = body_at;
                continue;
            }
            let version = if status_line.starts_with("HTTP/1.0") {
                "HTTP/1.0"
            } else {
                "HTTP/1.1"
            };
            let reason = ureq::http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Unknown");
            let shown = format!(
                "{version} {status:03} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let (mut content_type, mut retry_after) = (None, None);
            let mut length: Option<u64> = None;
            let mut chunked = false;
            let mut encoding: Option<String> = None;
            for line in lines {
                let (name, value) = line
                    .split_once(':')
                    .ok_or_else(|| malformed("a header line without a colon"))?;
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => {
                        let n = value
                            .parse()
                            .map_err(|_| malformed("Content-Length is not a number"))?;
                        if length.is_some_and(|l| l != n) {
                            return Err(malformed("two different Content-Length headers"));
                        }
                        length = Some(n);
                    }
                    "transfer-encoding" => {
                        chunked = value
                            .rsplit(',')
                            .next()
                            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
                    }
                    "content-encoding" if !value.eq_ignore_ascii_case("identity") => {
                        encoding = Some(value.to_owned());
                    }
                    "content-type" => first_text(&mut content_type, value),
                    "retry-after" => first_text(&mut retry_after, value),
                    _ => {}
                }
            }
            let body = &raw[body_at..];
            let cap = MAX_BODY_BYTES as usize;
            let whole = if status == 204 || status == 304 {
                Some(Body::Bytes(Vec::new()))
            } else if chunked {
                dechunk(body, cap)?
            } else if let Some(n) = length {
                if n > cap as u64 {
                    Some(Body::TooLarge)
                } else if body.len() as u64 >= n {
                    Some(Body::Bytes(body[..n as usize].to_vec()))
                } else {
                    None
                }
            } else if body.len() > cap {
                Some(Body::TooLarge)
            } else {
                closed.then(|| Body::Bytes(body.to_vec()))
            };
            return Ok(whole.map(|body| {
                // We ask for no encoding and decode none: an encoded body is unusable.
                let body = match (body, encoding) {
                    (Body::Bytes(_), Some(enc)) if status != 204 && status != 304 => {
                        Body::Encoded(enc)
                    }
                    (body, _) => body,
                };
                let answer = Answer {
                    content_type,
                    retry_after,
                    body,
                };
                (shown.into_bytes(), answer)
            }));
        }
    }

    /// Keeps the first value of a header, if it is text as ureq's `HeaderValue::to_str` would
    /// have it (visible ASCII and tabs): what reading it through ureq gave.
    fn first_text(kept: &mut Option<String>, value: &str) {
        if kept.is_none() && value.bytes().all(|b| b == b'\t' || (32..127).contains(&b)) {
            *kept = Some(value.to_owned());
        }
    }

    /// A chunked body (RFC 9112 §7.1), decoded, once its last chunk and trailers are in.
    fn dechunk(mut raw: &[u8], cap: usize) -> Result<Option<Body>, ureq::Error> {
        let mut body = Vec::new();
        loop {
            let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
                return Ok(None);
            };
            let size_text =
                std::str::from_utf8(&raw[..eol]).map_err(|_| malformed("chunk size"))?;
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| malformed("chunk size is not hex"))?;
            raw = &raw[eol + 2..];
            if size == 0 {
                // Trailers, then an empty line.
                loop {
                    let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
                        return Ok(None);
                    };
                    if eol == 0 {
                        return Ok(Some(Body::Bytes(body)));
                    }
                    raw = &raw[eol + 2..];
                }
            }
            if body.len().saturating_add(size) > cap {
                return Ok(Some(Body::TooLarge));
            }
            if raw.len() < size + 2 {
                return Ok(None);
            }
            if &raw[size..size + 2] != b"\r\n" {
                return Err(malformed("chunk not followed by CRLF"));
            }
            body.extend_from_slice(&raw[..size]);
            raw = &raw[size + 2..];
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn body(a: Option<Answer>) -> Vec<u8> {
            match a.map(|a| a.body) {
                Some(Body::Bytes(b)) => b,
                Some(other) => panic!("{:?}", other.body()),
                None => panic!("not whole"),
            }
        }

        fn is_too_large(a: Option<(Vec<u8>, Answer)>) -> bool {
            matches!(
                a,
                Some((
                    _,
                    Answer {
                        body: Body::TooLarge,
                        ..
                    }
                ))
            )
        }

        #[test]
        fn content_length_chunked_and_close_delimited_bodies() {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
            let answer = |rest: &[u8], closed| {
                let mut raw = head.to_vec();
                raw.extend_from_slice(rest);
                whole_answer(&raw, closed).unwrap()
            };
            // Content-Length: whole only once every byte is in.
            assert!(answer(b"Content-Length: 5\r\n\r\nabc", false).is_none());
            let (shown, a) = answer(b"Content-Length: 5\r\n\r\nabcde", false).unwrap();
            assert_eq!(a.content_type.as_deref(), Some("application/json"));
            assert_eq!(body(Some(a)), b"abcde");
            assert_eq!(
                String::from_utf8(shown).unwrap(),
                "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                "ureq sees the status, no header and no body"
            );
            // Chunked, with an extension and a trailer; not whole before its last chunk.
            let chunked = b"Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n";
            assert!(answer(chunked, false).is_none());
            let mut done = chunked.to_vec();
            done.extend_from_slice(b"0\r\nX-Trailer: 1\r\n\r\n");
            assert_eq!(body(answer(&done, false).map(|(_, a)| a)), b"abcde");
            // Neither: the body ends when the connection closes.
            assert!(answer(b"\r\nabc", false).is_none());
            assert_eq!(body(answer(b"\r\nabc", true).map(|(_, a)| a)), b"abc");
            // A Content-Length over the cap, a chunk over the cap, a close-delimited body over it.
            let cap = MAX_BODY_BYTES as usize;
            let over = format!("Content-Length: {}\r\n\r\n", cap + 1);
            assert!(is_too_large(answer(over.as_bytes(), false)));
            let over = format!("Transfer-Encoding: chunked\r\n\r\n{:x}\r\n", cap + 1);
            assert!(is_too_large(answer(over.as_bytes(), false)));
            let mut over = b"\r\n".to_vec();
            over.resize(cap + 3, b'x');
            assert!(is_too_large(answer(&over, false)));
            // An encoded body is unusable (we ask for none and decode none).
            assert!(matches!(
                answer(
                    b"Content-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx",
                    false
                ),
                Some((
                    _,
                    Answer {
                        body: Body::Encoded(_),
                        ..
                    }
                ))
            ));
        }

        /// ureq logs the head it is shown (at DEBUG, and as a byte dump at TRACE): a server that
        /// echoes the request in its reason phrase or any header must not get it there.
        #[test]
        fn ureq_is_shown_nothing_the_server_wrote_but_the_status() {
            let echo = "client_secret=Zq%2B8%2Fx%3Dy+z%25";
            let raw = format!(
                "HTTP/1.1 307 {echo}\r\nLocation: https://evil.example/?{echo}\r\n\
                 Content-Type: text/plain; {echo}\r\nRetry-After: {echo}\r\n\
                 Retry-After: 7\r\nX-Echo: {echo}\r\nWWW-Authenticate: Basic {echo}\r\n\
                 Content-Length: 2\r\n\r\n{{}}"
            );
            let (shown, a) = whole_answer(raw.as_bytes(), false).unwrap().unwrap();
            assert_eq!(
                String::from_utf8(shown).unwrap(),
                "HTTP/1.1 307 Temporary Redirect\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            // The client's own reading keeps the first of each (and scrubs what it quotes).
            assert_eq!(
                a.content_type.as_deref(),
                Some(&*format!("text/plain; {echo}"))
            );
            assert_eq!(a.retry_after.as_deref(), Some(echo));
            // HTTP/1.0 stays 1.0; a status no one registered gets a neutral reason.
            let (shown, a) = whole_answer(
                b"HTTP/1.0 599 Sup3r\r\nRetry-After: caf\xc3\xa9\r\n\r\n",
                true,
            )
            .unwrap()
            .unwrap();
            assert_eq!(
                String::from_utf8(shown).unwrap(),
                "HTTP/1.0 599 Unknown\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            assert_eq!(
                a.retry_after, None,
                "not text as ureq's to_str would have it"
            );
        }

        #[test]
        fn informational_heads_are_skipped_and_malformed_ones_refused() {
            let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}";
            let (shown, a) = whole_answer(raw, false).unwrap().unwrap();
            assert!(shown.starts_with(b"HTTP/1.1 401 Unauthorized\r\n"));
            assert_eq!(body(Some(a)), b"{}");
            for bad in [
                &b"garbage\r\n\r\n"[..],
                b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
            ] {
                assert!(
                    whole_answer(bad, false).is_err(),
                    "{}",
                    String::from_utf8_lossy(bad)
                );
            }
        }

        #[test]
        fn form_encoding_matches_the_wire_spelling() {
            assert_eq!(
                form_encode("Zq+8/x=y z%&k-caf\u{e9}*._~"),
                "Zq%2B8%2Fx%3Dy+z%25%26k-caf%C3%A9*._%7E"
            );
            assert_eq!(placeholder(12).len(), 12);
            assert!(placeholder(40).bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }
}
