//! An axum web app whose handlers call the OfficeRnD API through reqwest with
//! `officernd_auth::reqwest::AuthMiddleware`: one `ClientWithMiddleware` in the app's state, so
//! every handler shares one token (fetched once, on a blocking thread; served from memory after).
//! The example then plays its own visitors — eight at once — prints what they got, and stops:
//! with exit status 1 unless every visitor got the API's 2xx answer.
//!
//! Against the mock (`make demo` runs it; the protected resource is `$OFFICERND_MOCK_URL/api/v2/me`):
//!
//! ```sh
//! OFFICERND_CLIENT_ID=… OFFICERND_CLIENT_SECRET=… OFFICERND_TOKEN_URL=… OFFICERND_MOCK_URL=… \
//!   cargo run -p officernd-auth --features reqwest-middleware --example rust_async
//! ```

use std::process::ExitCode;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use officernd_auth::TokenClient;
use officernd_auth::reqwest::AuthMiddleware;
use reqwest_middleware::ClientWithMiddleware;

/// What every handler needs: the authenticated API client and where the API is.
#[derive(Clone)]
struct App {
    api: ClientWithMiddleware,
    me_url: String,
}

/// `GET /whoami`: asks the OfficeRnD API who we are, with the token the middleware adds. When
/// the API fails (a 401 included: the app's credentials, not the visitor's), the visitor gets 502.
async fn whoami(State(app): State<App>) -> Result<String, (StatusCode, String)> {
    let res = app.api.get(&app.me_url).send().await.map_err(bad_gateway)?;
    let status = res.status();
    let body = res.text().await.map_err(bad_gateway)?;
    if !status.is_success() {
        return Err(bad_gateway(format!("the API answered {status}: {body}")));
    }
    Ok(body)
}

fn bad_gateway(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_GATEWAY, e.to_string())
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let base = std::env::var("OFFICERND_MOCK_URL")
        .map_err(|_| "set OFFICERND_MOCK_URL to the mock identity server's URL")?;
    // Honours OFFICERND_STORE too: in the demo the token comes from the shared file store.
    let tokens = TokenClient::from_env()?;
    // Every call here is to loopback (the mock, this app): no proxy, or HTTP(S)_PROXY would take
    // them too (reqwest bypasses only what NO_PROXY lists). For the real API use
    // `reqwest::Client::new()`, which honours the environment's proxy.
    let http = reqwest::Client::builder().no_proxy().build()?;
    let api = reqwest_middleware::ClientBuilder::new(http.clone())
        .with(AuthMiddleware::new(tokens.clone()))
        .build();
    let app = Router::new().route("/whoami", get(whoami)).with_state(App {
        api,
        me_url: format!("{base}/api/v2/me"),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("axum app on http://{addr}");

    // Eight visitors at once: each handler awaits a token; one fetch (or store read) serves all.
    let visitors: Vec<_> = (0..8)
        .map(|_| {
            let (http, url) = (http.clone(), format!("http://{addr}/whoami"));
            tokio::spawn(async move {
                let res = http.get(url).send().await?;
                Ok::<_, reqwest::Error>((res.status(), res.text().await?))
            })
        })
        .collect();
    let mut failed = 0;
    for (i, visitor) in visitors.into_iter().enumerate() {
        let (status, body) = visitor.await??;
        println!("visitor {i}: {status} {body}");
        failed += usize::from(!status.is_success());
    }
    server.abort();

    let s = tokens.stats();
    println!(
        "stats: {} token request(s) sent by this process, {} cache hit(s), budget {}/{} left",
        s.requests_sent(),
        s.cache_hits,
        s.budget_remaining,
        s.budget_capacity
    );
    if failed > 0 {
        eprintln!("rust_async: the API did not answer 2xx for {failed} of 8 visitors");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
