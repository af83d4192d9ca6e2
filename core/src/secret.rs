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

/// What a scrubbed spelling is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Replaces every spelling of `secret` in server-provided text, so an endpoint that echoes the
/// request cannot leak it into an error message: see [`redact`].
///
/// Scrubbing applies whatever the secret's length (only an empty secret, which the
/// configuration refuses, scrubs nothing): a very short secret just redacts more of the text.
pub(crate) fn scrub(text: &str, secret: &ClientSecret) -> String {
    redact(text, secret.expose_secret())
}

/// Replaces every occurrence of `needle` in `text` with `[redacted]`, in each spelling a server
/// may echo it back in: raw, `application/x-www-form-urlencoded` (a space as `+`, other bytes
/// `%XX`, as our request body carries it) and percent-encoded, with upper- or lower-case hex
/// digits — each byte of the needle independently, so every encoder's choice of which
/// characters to escape (and mixes of them) is covered — and its bytes as one run of hex digits
/// (either case, as a byte dump shows them). Non-ASCII needles are matched byte by byte of
/// their UTF-8 form (`é` is also `%C3%A9` and `c3a9`).
pub(crate) fn redact(text: &str, needle: &str) -> String {
    let needle = needle.as_bytes();
    let bytes = text.as_bytes();
    if needle.is_empty() {
        return text.to_owned();
    }
    let hex_spelling: Vec<u8> = needle
        .iter()
        .flat_map(|b| {
            let digit = |d: u8| b"0123456789abcdef"[d as usize];
            [digit(b >> 4), digit(b & 15)]
        })
        .collect();
    let as_hex = |i: usize| {
        bytes
            .get(i..i + hex_spelling.len())
            .filter(|run| run.eq_ignore_ascii_case(&hex_spelling))
            .map(|_| i + hex_spelling.len())
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match match_at(bytes, i, needle).or_else(|| as_hex(i)) {
            Some(end) => {
                // Matches begin on a raw byte equal to the needle's first byte (a UTF-8 lead
                // byte or ASCII) or on ASCII (`%`, `+`, a hex digit), and end after a whole raw
                // character or ASCII: always on character boundaries.
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED);
                i = end;
                copied = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// If `needle` is spelled at `text[start..]` (each byte raw, `%XX` in either case, or a space as
/// `+`), the end of that spelling.
fn match_at(text: &[u8], start: usize, needle: &[u8]) -> Option<usize> {
    let Some((&want, rest)) = needle.split_first() else {
        return Some(start);
    };
    let at = |k: usize| text.get(start + k).copied();
    // `%XX` first: a raw `%` in the needle may also be the start of its own escape `%25`.
    if at(0) == Some(b'%')
        && let (Some(h), Some(l)) = (at(1).and_then(hex), at(2).and_then(hex))
        && h << 4 | l == want
        && let Some(end) = match_at(text, start + 3, rest)
    {
        return Some(end);
    }
    if at(0) == Some(want) || (want == b' ' && at(0) == Some(b'+')) {
        return match_at(text, start + 1, rest);
    }
    None
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = ClientSecret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:#?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2-very-secret");
    }

    /// The spellings a server may echo: raw, as our form body carries it (form-urlencoded,
    /// upper and lower hex), percent-encoded (RFC 3986 unreserved kept, `encodeURIComponent`'s
    /// set kept, nothing kept), and as Rust's `Debug` escapes it.
    pub(crate) fn spellings(s: &str) -> Vec<String> {
        let pct = |upper: bool, keep: &dyn Fn(u8) -> bool, space_plus: bool| {
            s.bytes()
                .map(|b| match b {
                    b' ' if space_plus => "+".to_owned(),
                    b if keep(b) => (b as char).to_string(),
                    b if upper => format!("%{b:02X}"),
                    b => format!("%{b:02x}"),
                })
                .collect::<String>()
        };
        let form = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
        let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let js = |b: u8| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
        let nothing = |_: u8| false;
        vec![
            s.to_owned(),
            pct(true, &form, true),
            pct(false, &form, true),
            pct(true, &unreserved, false),
            pct(false, &unreserved, false),
            pct(true, &js, false),
            pct(false, &nothing, false),
            s.escape_debug().to_string(),
            s.bytes().map(|b| format!("{b:02x}")).collect(),
            s.bytes().map(|b| format!("{b:02X}")).collect(),
        ]
    }

    #[test]
    fn every_spelling_of_every_kind_of_secret_is_scrubbed() {
        let secrets = [
            "Zq+8/x=y z%2&k",
            "plain-secret-value",
            "100%+ spaces  and & ampersands=",
            "caf\u{e9}-\u{1F511}-\u{5BC6}\u{94A5}",
            "%2B%2b+ %%25",
            "é",
            "ab",
            "a",
            "+",
            "%",
        ];
        for secret in secrets {
            let s = ClientSecret::new(secret);
            for spelled in spellings(secret) {
                // Around it, only characters no secret here contains.
                let text = format!("<{spelled}> <{spelled}>");
                let got = scrub(&text, &s);
                assert_eq!(
                    got, "<[redacted]> <[redacted]>",
                    "{secret:?} spelled {spelled:?}"
                );
            }
        }
    }

    #[test]
    fn scrubbing_leaves_other_text_alone() {
        let s = ClientSecret::new("Zq+8/x=y z%");
        let text = "Zq+8/x=y z (one byte short), Zq 8/x=y+z% is another secret, caf\u{e9} %zz %";
        assert_eq!(scrub(text, &s), text);
        // A lone `%` secret still matches a raw `%` next to something that is not an escape.
        assert_eq!(
            scrub("50% off, %2x", &ClientSecret::new("%")),
            "50[redacted] off, [redacted]2x"
        );
        assert_eq!(scrub("", &s), "");
        assert_eq!(redact("abc", ""), "abc");
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
