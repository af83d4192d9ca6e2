//! Configuration of the mock: which applications exist, how long tokens live, how strict the
//! rate limit is and where to listen. Plain data so tests can build it with struct syntax.

use std::net::{Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// Client id of the application the mock knows by default.
pub const DEMO_CLIENT_ID: &str = "demo-client-id";
/// Client secret of the default application. Only ever meant for local tests and demos.
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret-s3cr3t";
/// Scopes the default application may ask for: the two legacy ones and one fine-grained one.
pub const DEMO_SCOPES: &[&str] = &[
    "officernd.api.read",
    "officernd.api.write",
    "flex.community.members.read",
];

/// Token lifetime the real endpoint reports (`expires_in` is remaining seconds of a 3600 s token).
pub const DEFAULT_LIFETIME_SECS: i64 = 3599;

/// An OfficeRnD application: credentials plus the scopes its permissions allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
}

impl App {
    /// The demo application ([`DEMO_CLIENT_ID`], [`DEMO_CLIENT_SECRET`], [`DEMO_SCOPES`]).
    pub fn demo() -> App {
        App {
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            scopes: DEMO_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// Parses `ID:SECRET:SCOPE1,SCOPE2` (the binary's `--app` syntax). The id is everything before
/// the first `:` and the scopes everything after the last one, so a secret may itself contain `:`.
/// Scopes may be separated by commas or spaces.
impl FromStr for App {
    type Err = String;

    fn from_str(s: &str) -> Result<App, String> {
        let (client_id, rest) = s
            .split_once(':')
            .ok_or_else(|| "expected ID:SECRET:SCOPE1,SCOPE2".to_owned())?;
        let (client_secret, scopes) = rest
            .rsplit_once(':')
            .ok_or_else(|| "expected ID:SECRET:SCOPE1,SCOPE2".to_owned())?;
        if client_id.is_empty() {
            return Err("the client id is empty".to_owned());
        }
        if client_secret.is_empty() {
            return Err("the client secret is empty".to_owned());
        }
        let scopes = scopes
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(App {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            scopes,
        })
    }
}

/// Rolling-window limit on token requests per client id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max_requests: u32,
    pub window: Duration,
}

impl Default for RateLimit {
    /// OfficeRnD's documented limit: 5 token requests per minute, failed or successful.
    fn default() -> RateLimit {
        RateLimit {
            max_requests: 5,
            window: Duration::from_secs(60),
        }
    }
}

/// Everything [`crate::MockServer::start`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    pub apps: Vec<App>,
    /// `expires_in` of issued tokens, and how long the protected resource accepts them.
    /// Zero or negative makes tokens that are already expired (for client edge cases).
    pub token_lifetime_secs: i64,
    /// `None` disables rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// Port 0 picks a free port; read it back with [`crate::MockServer::addr`].
    pub bind: SocketAddr,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            apps: vec![App::demo()],
            token_lifetime_secs: DEFAULT_LIFETIME_SECS,
            rate_limit: Some(RateLimit::default()),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl MockConfig {
    /// Most tests exercise something other than the quota; this keeps them from tripping it.
    pub fn without_rate_limit(mut self) -> MockConfig {
        self.rate_limit = None;
        self
    }

    pub fn with_lifetime(mut self, secs: i64) -> MockConfig {
        self.token_lifetime_secs = secs;
        self
    }

    /// Adds an application (the demo one stays).
    pub fn with_app(mut self, app: App) -> MockConfig {
        self.apps.push(app);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_parses_secret_with_colons_and_mixed_separators() {
        let app: App = "id:se:cret:a.b,c d".parse().unwrap();
        assert_eq!(app.client_id, "id");
        assert_eq!(app.client_secret, "se:cret");
        assert_eq!(app.scopes, ["a.b", "c", "d"]);
    }

    #[test]
    fn app_rejects_missing_parts() {
        assert!("id".parse::<App>().is_err());
        assert!("id:secret".parse::<App>().is_err());
        assert!(":secret:scope".parse::<App>().is_err());
        assert!("id::scope".parse::<App>().is_err());
    }

    #[test]
    fn default_config_has_demo_app_and_official_limit() {
        let c = MockConfig::default();
        assert_eq!(c.apps, vec![App::demo()]);
        assert_eq!(c.token_lifetime_secs, 3599);
        assert_eq!(c.rate_limit, Some(RateLimit::default()));
        assert!(c.bind.ip().is_loopback());
        assert_eq!(c.bind.port(), 0);
    }
}
