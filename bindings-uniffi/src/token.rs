//! The [`Token`] object: a valid access token that prints redacted.

use std::fmt;
use std::time::{Duration, SystemTime};

use officernd_auth as core;

/// A valid access token. An object rather than a record so that its `toString` (the Rust
/// `Display`) shows only a short prefix of the token.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug, Eq, Hash)]
pub struct Token(pub(crate) core::Token);

#[uniffi::export]
impl Token {
    /// The access token. Send it only in an `Authorization` header; never log it.
    pub fn access_token(&self) -> String {
        self.0.access_token().to_owned()
    }

    /// The token type, always `Bearer`.
    pub fn token_type(&self) -> String {
        self.0.token_type().to_owned()
    }

    /// The granted scopes as the server answered them (the requested ones if it did not say).
    pub fn scopes(&self) -> Vec<String> {
        self.0.scopes().to_vec()
    }

    /// Wall-clock expiry.
    pub fn expires_at(&self) -> SystemTime {
        self.0.expires_at()
    }

    /// Time left until expiry, zero once expired.
    pub fn expires_in(&self) -> Duration {
        self.0.expires_in()
    }

    /// `Bearer <access_token>`, the value of the `Authorization` header.
    pub fn authorization_header(&self) -> String {
        self.0.authorization_header()
    }

    /// A printable hint of the token (a short prefix + `…[redacted]`).
    pub fn redacted(&self) -> String {
        self.0.redacted()
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Token(token_type={}, access_token={}, expires_in={}s, scopes={:?})",
            self.0.token_type(),
            self.0.redacted(),
            self.0.expires_in().as_secs(),
            self.0.scopes()
        )
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Token {}

impl std::hash::Hash for Token {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
