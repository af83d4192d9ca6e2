//! What the commands print.

use std::time::UNIX_EPOCH;

use officernd_auth::{Token, TokenClient};

pub fn header_line(token: &Token) -> String {
    format!("Authorization: {}", token.authorization_header())
}

pub fn json(token: &Token) -> String {
    serde_json::json!({
        "access_token": token.access_token(),
        "token_type": token.token_type(),
        "expires_at": unix_seconds(token),
        "expires_in": token.expires_in().as_secs(),
        "scope": token.scopes().join(" "),
    })
    .to_string()
}

/// The configuration works: say what was granted, never the token itself.
pub fn check(client: &TokenClient, token: &Token) -> String {
    let c = client.config();
    format!(
        "ok: client {} at {}\ngranted scopes: {}\ntoken expires in {} s (at unix {})",
        c.client_id(),
        c.token_url(),
        if token.scopes().is_empty() {
            "(none reported)".to_owned()
        } else {
            token.scopes().join(" ")
        },
        token.expires_in().as_secs(),
        unix_seconds(token),
    )
}

fn unix_seconds(token: &Token) -> u64 {
    token
        .expires_at()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
