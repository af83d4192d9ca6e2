//! `http://` is allowed only to loopback, so that the client secret never crosses a network in
//! clear. The environment's proxy must not undo that: a request to a loopback `http://` token
//! URL goes straight to it, never through `HTTP(S)_PROXY`/`ALL_PROXY` (a proxy on another host
//! would receive the form, secret included, in clear). Its own test binary: it sets the
//! process's environment.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::*;
use officernd_auth::TokenClient;

#[test]
fn a_loopback_http_token_url_never_goes_through_the_environment_proxy() {
    let server = mock();
    // Stands in for a proxy on another machine: if the client used it, it would connect here.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let addr = proxy.local_addr().unwrap();
    // SAFETY: the only test of this binary; nothing else reads the environment meanwhile.
    unsafe {
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
        for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
            std::env::set_var(var, format!("http://{addr}"));
        }
    }
    let client = TokenClient::builder()
        .client_id(DEMO_CLIENT_ID)
        .client_secret(DEMO_CLIENT_SECRET)
        .token_url(token_url(&server))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let token = client.token();
    assert!(token.is_ok(), "{:?}", token.map(|t| t.redacted()));
    assert_eq!(
        server.token_requests(),
        1,
        "the mock got the request itself"
    );
    assert!(
        proxy.accept().is_err(),
        "the client connected to the proxy at {addr}"
    );
}
