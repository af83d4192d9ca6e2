//! Every spelling of a secret that must never appear in text we produce: raw, as our
//! `application/x-www-form-urlencoded` request body carries it (upper- and lower-case hex),
//! percent-encoded (RFC 3986 unreserved kept, or nothing kept), as Rust's `Debug` escapes it,
//! and hex-encoded (upper and lower case, as a byte dump would show it).
//!
//! [`spellings`] are those a server can echo back (what our request carries, and its obvious
//! re-encodings); [`encodings`] adds those only a careless line of ours could produce.
#![allow(dead_code)]

/// `application/x-www-form-urlencoded`, as our request body carries it (and browsers send it).
pub fn form(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

pub fn spellings(s: &str) -> Vec<String> {
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
    let nothing = |_: u8| false;
    let mut all = vec![
        s.to_owned(),
        pct(true, &form, true),
        pct(false, &form, true),
        pct(true, &unreserved, false),
        pct(false, &unreserved, false),
        pct(true, &nothing, false),
        s.escape_debug().to_string(),
        hex(s.as_bytes(), false),
        hex(s.as_bytes(), true),
    ];
    all.sort();
    all.dedup();
    all
}

/// [`spellings`], plus: base64 in the standard and URL-safe alphabets wherever it sits in a
/// longer base64 text (the characters that depend on it alone, at each of the three byte
/// alignments: this also catches `base64("id:" + secret)`, HTTP Basic's credentials), and JSON
/// strings that escape every non-ASCII character (`\u00e9`), with or without `\/`.
pub fn encodings(s: &str) -> Vec<String> {
    let mut all = spellings(s);
    for alphabet in [STANDARD, URL_SAFE] {
        for align in 0..3 {
            let core = base64_core(s.as_bytes(), align, alphabet);
            if !core.is_empty() {
                all.push(core);
            }
        }
    }
    let json = json_ascii(s);
    all.push(json.replace('/', "\\/"));
    all.push(json);
    all.sort();
    all.dedup();
    all
}

/// Which of [`encodings`] of `secret` `text` contains, if any (never the text itself).
pub fn leaked_encoding(text: &str, secret: &str) -> Option<usize> {
    encodings(secret)
        .iter()
        .position(|s| text.contains(s.as_str()))
}

pub const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that `bytes` alone decide when they start `align` bytes into a
/// longer text: character `i` covers bits `6i..6i+6` of the text.
pub fn base64_core(bytes: &[u8], align: usize, alphabet: &[u8; 64]) -> String {
    let mut text = vec![0u8; align];
    text.extend_from_slice(bytes);
    let bits = |i: usize| (text[i / 8] >> (7 - i % 8)) & 1;
    let first = (8 * align).div_ceil(6);
    let end = 8 * text.len() / 6;
    (first..end)
        .map(|c| {
            let v = (0..6).fold(0usize, |v, b| v << 1 | bits(6 * c + b) as usize);
            alphabet[v] as char
        })
        .collect()
}

/// A JSON string's contents with every non-ASCII character escaped (UTF-16, as `\uXXXX`).
fn json_ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

pub fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|b| {
            if upper {
                format!("{b:02X}")
            } else {
                format!("{b:02x}")
            }
        })
        .collect()
}

/// Which spelling of `secret` `text` contains, if any (never the text itself: a failing
/// assertion must not print the secret it found).
pub fn leaked_spelling(text: &str, secret: &str) -> Option<usize> {
    spellings(secret)
        .iter()
        .position(|s| text.contains(s.as_str()))
}
