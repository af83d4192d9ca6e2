//! The client secret: a type that cannot be printed by accident and is wiped from memory on drop.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// An OAuth client secret. `Debug` and `Display` print `[redacted]`; the bytes are zeroized when
/// the value is dropped. Read it only with [`ClientSecret::expose_secret`], at the one place that
/// builds the request body.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        ClientSecret(secret.into())
    }

    /// The secret itself. Never log or format the result.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl From<String> for ClientSecret {
    fn from(s: String) -> Self {
        ClientSecret(s)
    }
}

impl From<&str> for ClientSecret {
    fn from(s: &str) -> Self {
        ClientSecret(s.to_owned())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

impl fmt::Display for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Replaces every occurrence of `secret` in server-provided text, so an endpoint that echoes the
/// request cannot leak it into an error message.
pub(crate) fn scrub(text: &str, secret: &ClientSecret) -> String {
    let s = secret.expose_secret();
    if s.len() < 4 || !text.contains(s) {
        return text.to_owned();
    }
    text.replace(s, "[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = ClientSecret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:#?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2-very-secret");
    }

    #[test]
    fn scrub_removes_echoed_secret() {
        let s = ClientSecret::new("hunter2-very-secret");
        assert_eq!(
            scrub("bad secret hunter2-very-secret given", &s),
            "bad secret [redacted] given"
        );
    }
}
