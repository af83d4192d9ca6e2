//! Every spelling of a secret that must never appear in text we produce: raw, as our
//! `application/x-www-form-urlencoded` request body carries it (upper- and lower-case hex),
//! percent-encoded (RFC 3986 unreserved kept, or nothing kept), as Rust's `Debug` escapes it,
//! and hex-encoded (upper and lower case, as a byte dump would show it).
#![allow(dead_code)]

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
