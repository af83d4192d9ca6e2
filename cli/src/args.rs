//! Command-line arguments. clap parses flags only; the `OFFICERND_*` environment variables are
//! read by the library (`TokenClientBuilder::with_env`), with the rule every binding follows: an
//! empty or blank variable is unset. A flag always wins over a variable, silently: the
//! environment only fills what no flag chose, so it never conflicts with a flag.
//! The secret is taken from the environment or a file only: a command-line argument would be
//! visible to every user in `ps`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use officernd_auth::config::env;
use officernd_auth::{Result, TokenClientBuilder};

/// Prints an OfficeRnD OAuth 2.0 access token, cached and quota-aware.
#[derive(Debug, Parser)]
#[command(name = "officernd-auth", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Client id of the OfficeRnD application [default: $OFFICERND_CLIENT_ID].
    #[arg(long, global = true)]
    pub client_id: Option<String>,

    /// Read the client secret from this file [default: $OFFICERND_CLIENT_SECRET]: a regular
    /// file of at most 4096 bytes; one trailing newline is dropped. Warns if others can read it.
    #[arg(long, global = true, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,

    /// Space-separated scopes, e.g. "officernd.api.read officernd.api.write"
    /// [default: $OFFICERND_SCOPES, else the application's default].
    #[arg(long, global = true)]
    pub scopes: Option<String>,

    /// Token endpoint (https://, or http:// to loopback) [default: $OFFICERND_TOKEN_URL, else
    /// https://identity.officernd.com/oauth/token].
    #[arg(long, global = true)]
    pub token_url: Option<String>,

    /// Where runs share the token and the request budget: "file" (this user on this machine),
    /// a redis:// or rediss:// URL (every host), or "memory" (no sharing) [default:
    /// $OFFICERND_STORE, else file]. Give a URL with a password through OFFICERND_STORE, not
    /// this flag: arguments are visible in `ps`.
    #[arg(long, global = true)]
    pub store: Option<String>,

    /// Directory of the file store; implies --store file unless --store is given [default:
    /// $OFFICERND_STORE_PATH, else $XDG_CACHE_HOME/officernd-auth or ~/.cache/officernd-auth;
    /// macOS: ~/Library/Caches/officernd-auth; Windows: %LOCALAPPDATA%\officernd-auth].
    #[arg(
        long = "store-path",
        visible_alias = "cache-dir",
        global = true,
        value_name = "DIR"
    )]
    pub cache_dir: Option<PathBuf>,

    /// Share nothing: every run asks the server (same as --store memory; OFFICERND_STORE and
    /// OFFICERND_STORE_PATH are ignored).
    #[arg(long, global = true, conflicts_with_all = ["store", "cache_dir"])]
    pub no_cache: bool,

    /// Overall timeout in seconds.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<String>,
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Print the access token (the default command).
    Token(TokenArgs),
    /// Validate the configuration and print granted scopes and expiry (never the token).
    Check,
}

impl Default for Command {
    fn default() -> Self {
        Command::Token(TokenArgs::default())
    }
}

#[derive(Args, Clone, Debug, Default)]
#[group(multiple = false)]
pub struct TokenArgs {
    /// Print the whole header line: `Authorization: Bearer …`.
    #[arg(long)]
    pub header: bool,
    /// Print the token as JSON (access_token, token_type, expires_at, expires_in, scope).
    #[arg(long)]
    pub json: bool,
}

pub(crate) const AFTER_HELP: &str =
    "Environment: OFFICERND_CLIENT_ID, OFFICERND_CLIENT_SECRET, OFFICERND_SCOPES,
OFFICERND_TOKEN_URL, OFFICERND_STORE, OFFICERND_STORE_PATH. An empty variable is unset; a flag
wins over its variable.

Exit codes:
  0  success
  2  usage error
  3  config            missing or invalid setting
  4  oauth             the server refused (invalid_client, invalid_scope, …)
  5  rate_limited      request budget spent or 429; retry later
  6  http              unexpected HTTP status
  7  transport         DNS, connect or TLS failure
  8  timeout           the overall timeout elapsed
  9  invalid_response  the answer was not a usable token";

impl Cli {
    /// The client settings: flags first, then the environment.
    pub fn client_builder(&self) -> Result<TokenClientBuilder> {
        let mut b = TokenClientBuilder::new().binding("cli");
        // Settings go through core's table by name: core parses and validates them.
        if let Some(id) = &self.client_id {
            b = b.set("client_id", id.as_str())?;
        }
        if let Some(path) = &self.client_secret_file {
            b = b.client_secret(crate::secret_file::read(path)?);
        }
        if let Some(scopes) = &self.scopes {
            b = b.set("scopes", scopes.as_str())?;
        }
        if let Some(url) = &self.token_url {
            b = b.set("token_url", url.as_str())?;
        }
        if let Some(timeout) = &self.timeout {
            b = b.set("timeout", timeout.as_str())?;
        }
        b = self.with_store(b)?;
        b.with_env()
    }

    /// The store: flags first, then `OFFICERND_STORE` / `OFFICERND_STORE_PATH`, then the CLI's
    /// default, the file store. By default every run shares one token (and one request budget)
    /// through the cache directory, so `$(officernd-auth token)` in a loop or a cron job asks
    /// once per hour. A variable fills only what no flag chose, so it never conflicts with one.
    fn with_store(&self, b: TokenClientBuilder) -> Result<TokenClientBuilder> {
        let env_dir = || env::value(env::STORE_PATH).map(PathBuf::from);
        if self.no_cache {
            return b.store_spec("memory", None);
        }
        if let Some(spec) = &self.store {
            // OFFICERND_STORE_PATH is the file store's directory; any other store ignores it.
            let dir = match &self.cache_dir {
                Some(dir) => Some(dir.clone()),
                None if spec.trim() == "file" => env_dir(),
                None => None,
            };
            return b.store_options(Some(spec), dir.as_deref());
        }
        if let Some(dir) = &self.cache_dir {
            return b.store_options(Some("file"), Some(dir));
        }
        if env::value(env::STORE).is_some() {
            // The library opens it, with OFFICERND_STORE_PATH, as every binding does.
            return Ok(b);
        }
        b.store_options(Some("file"), env_dir().as_deref())
    }
}
