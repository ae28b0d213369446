//! The `middleware` feature: requests sent through a `reqwest_middleware::ClientWithMiddleware`
//! with layers of the caller's own, against a local server (`wiremock`).
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use phasetwo_client::reqwest_middleware::{self, ClientWithMiddleware, Middleware, Next};
use phasetwo_client::{Client, ClientCredentials, Error, RetryPolicy};
use reqwest::{Request, Response};
use serde_json::json;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts the requests it passes on and marks each with a header.
struct Counting {
    seen: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Middleware for Counting {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let number = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        request.headers_mut().insert("x-layer", number.to_string().parse().expect("a header value"));
        next.run(request, extensions).await
    }
}

/// Refuses every request without sending it.
struct Refusing;

#[async_trait::async_trait]
impl Middleware for Refusing {
    async fn handle(&self, _: Request, _: &mut http::Extensions, _: Next<'_>) -> reqwest_middleware::Result<Response> {
        Err(reqwest_middleware::Error::middleware(std::io::Error::other("circuit open")))
    }
}

fn stack(layer: impl Middleware) -> ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).with(layer).build()
}

#[tokio::test]
async fn every_attempt_passes_through_the_callers_layers() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).with_priority(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(header("x-layer", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .with_priority(2)
        .mount(&server)
        .await;
    let seen = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .base_url(server.uri())
        .bearer_token("t")
        .middleware_client(stack(Counting { seen: seen.clone() }))
        .retry(RetryPolicy::new().initial_backoff(Duration::from_millis(10)))
        .build()
        .expect("a client");

    let orgs = client.realm_users_user_id_orgs_get("r", "u").await.expect("the retry succeeds");

    assert!(orgs.is_empty());
    assert_eq!(seen.load(Ordering::SeqCst), 2, "the first attempt and the retry");
    let requests = server.received_requests().await.expect("recorded");
    let marks: Vec<&str> = requests.iter().map(|r| r.headers["x-layer"].to_str().expect("ASCII")).collect();
    assert_eq!(marks, ["1", "2"]);
    assert_eq!(requests[1].headers["authorization"], "Bearer t", "the client's own headers are kept");
}

#[tokio::test]
async fn token_requests_do_not_pass_through_the_layers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/realms/r/protocol/openid-connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "tok", "expires_in": 60})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let seen = Arc::new(AtomicUsize::new(0));
    let realms = format!("{}/realms", server.uri());
    let client = Client::builder()
        .base_url(&realms)
        .client_credentials(ClientCredentials::keycloak(&realms, "r", "svc", "secret"))
        .middleware_client(stack(Counting { seen: seen.clone() }))
        .build()
        .expect("a client");

    client.realm_users_user_id_orgs_get("r", "u").await.expect("the call succeeds");

    assert_eq!(seen.load(Ordering::SeqCst), 1, "only the API request");
    let requests = server.received_requests().await.expect("recorded");
    assert!(requests[0].headers.get("x-layer").is_none(), "the token request bypassed the layer");
    assert!(requests[1].headers.get("x-layer").is_some());
}

#[tokio::test]
async fn a_failing_layer_is_a_middleware_error_with_its_source() {
    let server = MockServer::start().await;
    let client = Client::builder().base_url(server.uri()).middleware_client(stack(Refusing)).build().expect("a client");

    let error = client.realm_users_user_id_orgs_get("r", "u").await.expect_err("refused");

    match &error {
        Error::Middleware { operation, .. } => assert_eq!(*operation, "realm_users_user_id_orgs_get"),
        other => panic!("expected Middleware, got {other:?}"),
    }
    assert_eq!(error.to_string(), "realm_users_user_id_orgs_get: a middleware failed");
    assert_eq!(error.source().expect("a source").to_string(), "circuit open");
    assert!(server.received_requests().await.expect("recorded").is_empty());
}

#[tokio::test]
async fn transport_errors_through_the_layers_are_still_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let seen = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .base_url(&closed)
        .middleware_client(stack(Counting { seen: seen.clone() }))
        .retry(RetryPolicy::new().initial_backoff(Duration::from_millis(10)))
        .build()
        .expect("a client");

    let error = client.realm_users_user_id_orgs_get("r", "u").await.expect_err("nothing listens");

    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 3, "connect errors are retried through the layers too");
}
