//! The token handed to callers. Cheap to clone (one shared allocation); its `Debug` never shows
//! more than a short prefix of the access token, and the token is wiped from memory on drop.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use zeroize::Zeroize;

/// A valid access token with its type, expiry and granted scopes.
#[derive(Clone)]
pub struct Token {
    inner: Arc<TokenData>,
}

struct TokenData {
    access_token: String,
    token_type: String,
    scopes: Vec<String>,
    expires_at: Instant,
    expires_at_wall: SystemTime,
}

impl Drop for TokenData {
    fn drop(&mut self) {
        self.access_token.zeroize();
    }
}

impl Token {
    pub(crate) fn new(
        access_token: String,
        token_type: String,
        scopes: Vec<String>,
        expires_at: Instant,
        expires_at_wall: SystemTime,
    ) -> Token {
        Token {
            inner: Arc::new(TokenData {
                access_token,
                token_type,
                scopes,
                expires_at,
                expires_at_wall,
            }),
        }
    }

    /// The access token. Send it only in an `Authorization` header; never log it.
    pub fn access_token(&self) -> &str {
        &self.inner.access_token
    }

    /// The token type, always `Bearer` (normalised from the server's spelling).
    pub fn token_type(&self) -> &str {
        &self.inner.token_type
    }

    /// The granted scopes as the server answered them (the requested ones if it did not say).
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Wall-clock expiry.
    pub fn expires_at(&self) -> SystemTime {
        self.inner.expires_at_wall
    }

    /// Monotonic expiry.
    pub fn expires_at_instant(&self) -> Instant {
        self.inner.expires_at
    }

    /// Time left until expiry, zero once expired.
    pub fn expires_in(&self) -> Duration {
        self.expires_in_at(Instant::now())
    }

    /// Time left until expiry as seen at `now`.
    pub fn expires_in_at(&self, now: Instant) -> Duration {
        self.inner.expires_at.saturating_duration_since(now)
    }

    /// `Bearer <access_token>`, the value of the `Authorization` header.
    pub fn authorization_header(&self) -> String {
        let mut s = String::with_capacity(7 + self.inner.access_token.len());
        s.push_str("Bearer ");
        s.push_str(&self.inner.access_token);
        s
    }

    /// A printable hint of the token: its first characters only, enough to tell two tokens apart
    /// in a log without revealing a usable credential.
    pub fn redacted(&self) -> String {
        redact(&self.inner.access_token)
    }

    /// A copy with its own allocation (see `cache::CacheEntry::token_for_this_thread`).
    pub(crate) fn deep_copy(&self) -> Token {
        let d = &self.inner;
        Token::new(
            d.access_token.clone(),
            d.token_type.clone(),
            d.scopes.clone(),
            d.expires_at,
            d.expires_at_wall,
        )
    }

    #[cfg(test)]
    pub(crate) fn shares_allocation(&self, other: &Token) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether two handles carry the same access token.
    pub fn same_token(&self, other: &Token) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.access_token() == other.access_token()
    }
}

/// At most 6 leading characters, and none for short tokens.
pub(crate) fn redact(token: &str) -> String {
    if token.len() < 24 {
        return "[redacted]".to_owned();
    }
    let prefix: String = token.chars().take(6).collect();
    format!("{prefix}…[redacted]")
}

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        self.same_token(other)
    }
}

impl Eq for Token {}

impl std::hash::Hash for Token {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.access_token.hash(state)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.redacted())
            .field("token_type", &self.inner.token_type)
            .field("scopes", &self.inner.scopes)
            .field("expires_in", &self.expires_in())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_a_prefix() {
        let secret_token = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
        let t = Token::new(
            secret_token.into(),
            "Bearer".into(),
            vec!["officernd.api.read".into()],
            Instant::now() + Duration::from_secs(100),
            SystemTime::now(),
        );
        let dbg = format!("{t:?} {t:#?}");
        assert!(!dbg.contains(secret_token), "{dbg}");
        assert!(!dbg.contains("ghijkl"), "{dbg}");
        assert!(dbg.contains("abcdef"), "{dbg}");
        assert_eq!(t.authorization_header(), format!("Bearer {secret_token}"));
    }

    #[test]
    fn short_tokens_show_nothing() {
        assert_eq!(redact("short-token"), "[redacted]");
    }
}
