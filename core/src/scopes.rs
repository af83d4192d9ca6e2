//! Scope lists: parsed from a space-separated string or a list, validated against RFC 6749 §3.3,
//! and normalised (sorted, deduplicated) so that order and duplicates never make a new cache key.

use crate::error::{Error, Result};

/// A normalised, validated set of OAuth scopes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(Vec<String>);

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn valid_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

impl Scopes {
    /// Parses scopes given one by one; each item may itself hold several space-separated scopes.
    pub fn from_items<I, S>(items: I) -> Result<Scopes>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out: Vec<String> = Vec::new();
        for item in items {
            for scope in item.as_ref().split([' ', '\t', '\n', '\r']) {
                if scope.is_empty() {
                    continue;
                }
                if let Some(bad) = scope.chars().find(|c| !valid_scope_char(*c)) {
                    return Err(Error::config(
                        "scopes",
                        format!(
                            "scope {scope:?} contains the character {bad:?}, not allowed by RFC 6749"
                        ),
                    ));
                }
                out.push(scope.to_owned());
            }
        }
        out.sort();
        out.dedup();
        Ok(Scopes(out))
    }

    /// Parses a space-separated scope string, e.g. `officernd.api.read officernd.api.write`.
    pub fn parse(s: &str) -> Result<Scopes> {
        Scopes::from_items([s])
    }

    /// The scopes, sorted and deduplicated.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether no scope was given (the server then grants the application's default).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The space-joined form sent in the `scope` field.
    pub fn joined(&self) -> String {
        self.0.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_duplicates_normalise() {
        let a =
            Scopes::parse("officernd.api.write officernd.api.read  officernd.api.read").unwrap();
        let b = Scopes::from_items(["officernd.api.read", "officernd.api.write"]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.joined(), "officernd.api.read officernd.api.write");
    }

    #[test]
    fn bad_characters_are_config_errors() {
        for bad in ["a\"b", "a\\b", "caf\u{e9}", "x\u{7f}"] {
            let e = Scopes::parse(bad).unwrap_err();
            assert_eq!(e.code(), "config", "{bad:?}");
            assert!(e.to_string().contains("scopes"), "{e}");
        }
    }

    #[test]
    fn empty_is_allowed() {
        assert!(Scopes::parse("  ").unwrap().is_empty());
    }
}
