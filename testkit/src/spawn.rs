//! Fresh mock servers on demand, for test suites whose tests each need their own (fresh counters,
//! and a fresh port, so a fresh token URL and cache key in the client under test).
//!
//! `POST /_mock/servers` with `{"args": ["--no-rate-limit"]}` starts one more [`MockServer`] in
//! the same process, configured by the binary's own flags ([`MockFlags`]), and answers
//! `201 {"url": "http://127.0.0.1:PORT", "port": PORT}` once it accepts connections;
//! `DELETE /_mock/servers/PORT` stops it. A suite in another language thus needs no process
//! handling of its own: `scripts/with-mock.sh` starts the one mock process of the run, and the
//! suite asks that mock for fresh ones over HTTP. Servers still running when the parent stops
//! stop with it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;

use crate::config::{App, DEFAULT_LIFETIME_SECS, MockConfig, RateLimit};
use crate::server::MockServer;
use crate::state::SharedState;

/// How a mock is configured from a command line: the `officernd-mock-identity` binary's flags,
/// and the `args` of `POST /_mock/servers`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct MockFlags {
    /// Address to listen on; loopback only (the mock hands out tokens to anyone who asks).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), value_parser = loopback)]
    pub bind: IpAddr,

    /// Port to listen on; 0 picks a free one (read it from stdout or --url-file).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// An application as ID:SECRET:SCOPE1,SCOPE2; repeatable. Default: the demo app.
    #[arg(long = "app", value_name = "ID:SECRET:SCOPES")]
    pub apps: Vec<App>,

    /// expires_in of issued tokens, in seconds.
    #[arg(long, default_value_t = DEFAULT_LIFETIME_SECS, allow_negative_numbers = true)]
    pub lifetime: i64,

    /// Token requests allowed per client id per window.
    #[arg(long, default_value_t = 5)]
    pub rate_limit: u32,

    /// Rate-limit window, in seconds.
    #[arg(long, default_value_t = 60)]
    pub rate_window: u64,

    /// Disable the rate limit.
    #[arg(long, conflicts_with_all = ["rate_limit", "rate_window"])]
    pub no_rate_limit: bool,
}

impl MockFlags {
    /// Parses flags alone (no program name), as `POST /_mock/servers` receives them.
    pub fn parse_flags<I, S>(args: I) -> Result<MockFlags, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        #[derive(Parser)]
        #[command(
            name = "officernd-mock-identity",
            no_binary_name = true,
            color = clap::ColorChoice::Never
        )]
        struct OnlyFlags {
            #[command(flatten)]
            flags: MockFlags,
        }
        OnlyFlags::try_parse_from(args)
            .map(|o| o.flags)
            .map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// The [`MockConfig`] these flags describe.
    pub fn config(&self) -> MockConfig {
        let mut config = MockConfig {
            bind: SocketAddr::new(self.bind, self.port),
            token_lifetime_secs: self.lifetime,
            rate_limit: (!self.no_rate_limit).then_some(RateLimit {
                max_requests: self.rate_limit,
                window: Duration::from_secs(self.rate_window),
            }),
            ..MockConfig::default()
        };
        if !self.apps.is_empty() {
            config.apps.clone_from(&self.apps);
        }
        config
    }
}

fn loopback(s: &str) -> Result<IpAddr, String> {
    let ip: IpAddr = s
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address (use 127.0.0.1 or ::1)"))?;
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(format!(
            "{ip} is not a loopback address; the mock only listens on loopback (127.0.0.0/8 or ::1)"
        ))
    }
}

/// The servers one mock started through `POST /_mock/servers`, by port.
#[derive(Default)]
pub(crate) struct Children(Mutex<HashMap<u16, MockServer>>);

impl Children {
    /// A panicking handler must not make every later request fail with a poisoned lock.
    fn lock(&self) -> MutexGuard<'_, HashMap<u16, MockServer>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn routes() -> Router<Arc<SharedState>> {
    Router::new()
        .route("/_mock/servers", post(start))
        .route("/_mock/servers/{port}", delete(stop))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StartRequest {
    #[serde(default)]
    args: Vec<String>,
}

/// Body: `{"args": [FLAG, ...]}` (or nothing, for the defaults). Answers once the new server
/// accepts connections.
async fn start(State(state): State<Arc<SharedState>>, body: Bytes) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        StartRequest::default()
    } else {
        match serde_json::from_slice::<StartRequest>(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(&e.to_string()),
        }
    };
    let config = match MockFlags::parse_flags(&request.args) {
        Ok(flags) => flags.config(),
        Err(e) => return bad_request(&e),
    };
    // Binding and building a runtime block briefly: off this server's own (single) thread.
    let server = match tokio::task::spawn_blocking(move || MockServer::start(config)).await {
        Ok(Ok(server)) => server,
        Ok(Err(e)) => return server_error(&format!("cannot start a mock: {e}")),
        Err(e) => return server_error(&format!("cannot start a mock: {e}")),
    };
    let (url, port) = (server.url(), server.addr().port());
    state.children.lock().insert(port, server);
    (
        StatusCode::CREATED,
        Json(json!({ "url": url, "port": port })),
    )
        .into_response()
}

/// Stops a server this one started; answers once it has stopped (its port is closed).
async fn stop(State(state): State<Arc<SharedState>>, Path(port): Path<u16>) -> Response {
    let Some(server) = state.children.lock().remove(&port) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({
                "error": "not_found",
                "error_description": format!("no mock on port {port} was started here"),
            })),
        )
            .into_response();
    };
    // Dropping joins the server's thread (up to its shutdown grace): off this thread too.
    match tokio::task::spawn_blocking(move || server.shutdown()).await {
        Ok(()) => Json(json!({ "stopped": port })).into_response(),
        Err(e) => server_error(&format!("stopping the mock on port {port} failed: {e}")),
    }
}

fn bad_request(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "bad_request", "error_description": description })),
    )
        .into_response()
}

fn server_error(description: &str) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "server_error", "error_description": description })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_default_to_the_default_config() {
        let none: [&str; 0] = [];
        assert_eq!(
            MockFlags::parse_flags(none).unwrap().config(),
            MockConfig::default()
        );
    }

    #[test]
    fn flags_map_to_config() {
        let c = MockFlags::parse_flags(["--no-rate-limit", "--lifetime", "-5", "--app", "a:b:c,d"])
            .unwrap()
            .config();
        assert_eq!(c.rate_limit, None);
        assert_eq!(c.token_lifetime_secs, -5);
        assert_eq!(c.apps, vec!["a:b:c,d".parse::<App>().unwrap()]);
        let c = MockFlags::parse_flags(["--rate-limit", "2", "--rate-window", "9"])
            .unwrap()
            .config();
        assert_eq!(
            c.rate_limit,
            Some(RateLimit {
                max_requests: 2,
                window: Duration::from_secs(9)
            })
        );
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!(
            MockFlags::parse_flags(["--bind", "0.0.0.0"])
                .unwrap_err()
                .contains("loopback")
        );
        assert!(MockFlags::parse_flags(["--no-rate-limit", "--rate-limit", "3"]).is_err());
        assert!(MockFlags::parse_flags(["--frobnicate"]).is_err());
    }
}
