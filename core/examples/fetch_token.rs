//! Fetches a token from the environment's settings, calls the protected resource with it, and
//! shows that the second call came from the cache. Run by `make demo` against the mock:
//!
//! ```sh
//! OFFICERND_CLIENT_ID=… OFFICERND_CLIENT_SECRET=… OFFICERND_TOKEN_URL=… \
//!   cargo run -p officernd-auth --example fetch_token
//! ```

use officernd_auth::TokenClient;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = TokenClient::from_env()?;
    let token = client.token()?;
    println!(
        "token {} ({}), expires in {} s, scopes: {}",
        token.redacted(),
        token.token_type(),
        token.expires_in().as_secs(),
        token.scopes().join(" ")
    );
    let again = client.token()?;
    println!("second call served from cache: {}", again == token);

    // An authorised call, if a resource URL is known (the mock's protected resource in the demo).
    if let Ok(base) = std::env::var("OFFICERND_MOCK_URL") {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut res = agent
            .get(format!("{base}/api/v2/me"))
            .header("Authorization", client.authorization_header()?)
            .call()?;
        let status = res.status();
        if status == 401 {
            // The application was deleted or the token revoked: drop it so the next call refetches.
            client.invalidate(&token);
        }
        println!(
            "GET /api/v2/me -> {status}: {}",
            res.body_mut().read_to_string()?
        );
    }
    let s = client.stats();
    println!(
        "stats: {} request(s) sent, {} cache hit(s), budget {}/{} left",
        s.requests_sent(),
        s.cache_hits,
        s.budget_remaining,
        s.budget_capacity
    );
    Ok(())
}
