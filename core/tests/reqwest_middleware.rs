//! `officernd_auth::reqwest::AuthMiddleware` against the mock's protected resource
//! (`/api/v2/me`): the Bearer header, the 401 rule applied once — resent with a new token and the
//! same body, never twice, never with the refused token, never with a streaming body — and token
//! errors.

mod common;

use common::*;
use officernd_auth::reqwest::AuthMiddleware;
use officernd_auth::{ManualClock, TokenClient};
use reqwest::StatusCode;
use reqwest_middleware::ClientWithMiddleware;

fn setup() -> (MockServer, TokenClient, ClientWithMiddleware) {
    let server = mock();
    let client = client(&server, &ManualClock::new());
    let api = api(&client);
    (server, client, api)
}

fn api(client: &TokenClient) -> ClientWithMiddleware {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    reqwest_middleware::ClientBuilder::new(http)
        .with(AuthMiddleware::new(client.clone()))
        .build()
}

/// The next token request is answered with a well-formed token the resource does not know.
fn next_token_is_refused_too(server: &MockServer, access_token: &str) {
    let body =
        format!(r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":3599}}"#);
    server.push_fault(Fault::RawBody {
        status: 200,
        content_type: Some("application/json".into()),
        headers: vec![],
        body: body.into_bytes(),
    });
}

#[tokio::test]
async fn every_request_carries_the_cached_token() {
    let (server, client, api) = setup();
    for _ in 0..3 {
        let res = api.get(server.resource_url()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(server.resource_requests(), 3);
    assert_eq!(server.token_requests(), 1, "one token for all three");
    assert_eq!(client.stats().requests_sent(), 1);
}

#[tokio::test]
async fn a_401_is_resent_once_with_a_new_token() {
    let (server, _client, api) = setup();
    assert!(
        api.get(server.resource_url())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    server.revoke_all_tokens(); // the cached token is now refused; the next one is issued anew
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "resent with the new token");
    assert_eq!(
        server.resource_requests(),
        3,
        "200, then 401 and its one resend"
    );
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn a_resent_post_keeps_its_body_and_the_callers_authorization_is_replaced() {
    let (server, _client, api) = setup();
    // The mock reads the first `Authorization` header: were the caller's kept beside the
    // middleware's, every request below would be refused.
    let res = api
        .get(server.resource_url())
        .bearer_auth("set-by-the-caller")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    server.revoke_all_tokens();
    let body = r#"{"name": "Desk 7"}"#;
    let res = api
        .post(server.resource_url())
        .bearer_auth("set-by-the-caller")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "resent with the new token");
    assert_eq!(
        server.resource_requests(),
        3,
        "200, then 401 and its resend"
    );
    let answer: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(answer["body"], body, "the resend carried the body");
}

#[tokio::test]
async fn a_second_401_is_returned_never_resent_twice() {
    let (server, _client, api) = setup();
    assert!(
        api.get(server.resource_url())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    server.revoke_all_tokens();
    next_token_is_refused_too(&server, "not-issued-by-the-mock");
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the caller gets the 401"
    );
    assert_eq!(
        server.resource_requests(),
        3,
        "200, then 401 and one resend: never a third"
    );
    assert_eq!(server.token_requests(), 2);
    // The next request starts over with the rule: the refused token is dropped, a new one works.
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(server.token_requests(), 3);
}

#[tokio::test]
async fn the_same_token_again_is_not_resent() {
    let (server, client, api) = setup();
    let refused = client.token_async().await.unwrap();
    server.revoke_all_tokens();
    // The server answers the refused token again: resending it cannot help.
    next_token_is_refused_too(&server, refused.access_token());
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.resource_requests(), 1, "not resent");
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn a_streaming_body_is_not_resent() {
    let (server, client, api) = setup();
    assert!(
        api.get(server.resource_url())
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    server.revoke_all_tokens();
    // A body that can be read once: `Request::try_clone` gives nothing to resend.
    let stream = reqwest::Body::wrap(String::from("read once"));
    let res = api
        .get(server.resource_url())
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.resource_requests(), 2, "the 401 was not resent");
    assert_eq!(
        server.token_requests(),
        1,
        "no new token for a request not resent"
    );
    // The refused token was still dropped: the next request fetches a new one and succeeds.
    assert!(client.cached().is_none());
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn no_token_means_no_request_and_the_core_error() {
    let server = mock();
    let client = builder(&server, &ManualClock::new())
        .client_secret("wrong-secret-value")
        .build()
        .unwrap();
    let err = api(&client)
        .get(server.resource_url())
        .send()
        .await
        .unwrap_err();
    let reqwest_middleware::Error::Middleware(inner) = &err else {
        panic!("expected a middleware error, got {err:?}");
    };
    let core = inner
        .downcast_ref::<officernd_auth::Error>()
        .expect("the core's error inside");
    assert_eq!(core.code(), "oauth", "{core}");
    assert_eq!(
        server.resource_requests(),
        0,
        "nothing sent without a token"
    );
}

/// After a 401, a replacement token that cannot be had fails the request with the token error
/// (here: the application was deleted), as every language's adapter does; nothing is resent.
#[tokio::test]
async fn a_token_error_after_a_401_is_what_the_caller_gets() {
    let (server, _client, api) = setup();
    let res = api.get(server.resource_url()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    server.revoke_all_tokens();
    server.push_fault(Fault::OAuthError {
        status: 401,
        error: "invalid_client".into(),
        description: Some("the application was deleted".into()),
    });
    let err = api.get(server.resource_url()).send().await.unwrap_err();
    let reqwest_middleware::Error::Middleware(inner) = &err else {
        panic!("expected a middleware error, got {err:?}");
    };
    let core = inner.downcast_ref::<officernd_auth::Error>().unwrap();
    assert_eq!(core.oauth_error(), Some("invalid_client"), "{core}");
    assert_eq!(server.resource_requests(), 2, "sent once, not resent");
    assert_eq!(server.token_requests(), 2);
}
