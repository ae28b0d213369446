//! Tokens that renew themselves, against a local Keycloak-shaped token endpoint (`wiremock`).
//!
//! Sections, in order:
//!
//! 1. the client-credentials request: URL, form, headers; the token sent to the API;
//! 2. caching and expiry: one fetch while the token is usable, a new one after;
//! 3. concurrency: many callers, one fetch in flight (and one failure shared);
//! 4. `401` from the API: one new token and one resend;
//! 5. failures of the token endpoint as clear errors, without the secret;
//! 6. the spec's `tokenUrl` as the default, and token URLs that are refused;
//! 7. providers of your own (closures), and per-call `Authorization`.
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::error::Error as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use phasetwo_client::{AccessToken, Client, ClientCredentials, Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const REALM: &str = "my-realm";
const CLIENT_ID: &str = "svc-admin";
/// The client secret: it must never show up in an error, a `Debug` text or a log.
const SECRET: &str = "cl13nt-S3CRET-xyz";
const TOKEN_PATH: &str = "/auth/realms/my-realm/protocol/openid-connect/token";
const ORGS_PATH: &str = "/auth/realms/my-realm/users/u-1/orgs";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A token endpoint that issues `tok-1`, `tok-2`, … valid for `expires_in` seconds, each
/// answer after `delay`.
struct Issuer {
    issued: AtomicUsize,
    expires_in: u64,
    delay: Duration,
}

impl Respond for Issuer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let number = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "access_token": format!("tok-{number}"),
                "expires_in": self.expires_in,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email"
            }))
            .set_delay(self.delay)
    }
}

/// A Keycloak-shaped server: the realm's token endpoint, and the admin API's orgs listing.
async fn keycloak(expires_in: u64, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(Issuer { issued: AtomicUsize::new(0), expires_in, delay })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORGS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    server
}

fn realms_url(server: &MockServer) -> String {
    format!("{}/auth/realms", server.uri())
}

fn credentials(server: &MockServer) -> ClientCredentials {
    ClientCredentials::keycloak(realms_url(server), REALM, CLIENT_ID, SECRET)
}

fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .base_url(realms_url(server))
        .client_credentials(credentials(server))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

async fn requests_to(server: &MockServer, wanted: &str) -> Vec<Request> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests.into_iter().filter(|request| request.url.path() == wanted).collect()
}

/// The `Authorization` header of every API request (not token requests), in order.
async fn api_authorizations(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests
        .iter()
        .filter(|request| request.url.path() != TOKEN_PATH)
        .map(|request| {
            request.headers.get("authorization").map(|v| v.to_str().expect("ASCII").to_owned()).unwrap_or_default()
        })
        .collect()
}

fn form(request: &Request) -> Vec<(String, String)> {
    url_pairs(&String::from_utf8_lossy(&request.body))
}

fn url_pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .expect("a query")
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// `Display`, `Debug` and alternate `Debug` of `error` and of every error in its source chain.
fn error_texts(error: &Error) -> String {
    let mut text = format!("{error} {error:?} {error:#?}");
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    text
}

async fn list_orgs(client: &Client) -> Result<(), Error> {
    let orgs = client.realm_users_user_id_orgs_get(REALM, "u-1").await?;
    assert!(orgs.is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. The client-credentials request
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_credentials_posts_the_form_to_the_realm_token_endpoint_and_sends_the_token() {
    let server = keycloak(300, Duration::ZERO).await;
    let client = client_for(&server);

    list_orgs(&client).await.expect("the call succeeds");

    let token_requests = requests_to(&server, TOKEN_PATH).await;
    assert_eq!(token_requests.len(), 1);
    let request = &token_requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        request.headers.get("content-type").expect("a content type").to_str().expect("ASCII"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.headers.get("accept").expect("accept").to_str().expect("ASCII"), "application/json");
    assert_eq!(
        form(request),
        [
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("client_id".to_owned(), CLIENT_ID.to_owned()),
            ("client_secret".to_owned(), SECRET.to_owned()),
        ]
    );
    assert!(request.headers.get("authorization").is_none(), "the token request carries no bearer token");
    assert_eq!(api_authorizations(&server).await, ["Bearer tok-1"]);
}

#[tokio::test]
async fn scope_is_sent_when_asked_for() {
    let server = keycloak(300, Duration::ZERO).await;
    let client = Client::builder()
        .base_url(realms_url(&server))
        .client_credentials(credentials(&server).scope("orgs:read roles"))
        .build()
        .expect("a client");

    list_orgs(&client).await.expect("the call succeeds");

    let request = &requests_to(&server, TOKEN_PATH).await[0];
    assert!(form(request).contains(&("scope".to_owned(), "orgs:read roles".to_owned())), "{:?}", form(request));
}

#[tokio::test]
async fn keycloak_token_url_keeps_the_realm_in_one_segment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "t", "expires_in": 60})))
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&server).await;
    let realms = format!("{}/auth/realms/", server.uri()); // a trailing slash is not doubled
    let client = Client::builder()
        .base_url(&realms)
        .client_credentials(ClientCredentials::keycloak(&realms, "a/b c", CLIENT_ID, SECRET))
        .build()
        .expect("a client");

    client.realm_users_user_id_orgs_get("r", "u").await.expect("the call succeeds");

    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests[0].url.path(), "/auth/realms/a%2Fb%20c/protocol/openid-connect/token");
}

// ---------------------------------------------------------------------------------------------
// 2. Caching and expiry
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_usable_token_is_fetched_once_for_many_calls() {
    let server = keycloak(3600, Duration::ZERO).await;
    let client = client_for(&server);

    for _ in 0..5 {
        list_orgs(&client).await.expect("the call succeeds");
    }
    // Clones share the token.
    list_orgs(&client.clone()).await.expect("the call succeeds");

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1);
    assert_eq!(api_authorizations(&server).await, vec!["Bearer tok-1"; 6]);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_before_it_expires() {
    // `expires_in: 4` with the default 30 s margin: the margin is capped at half the lifetime,
    // so the token is used for 2 s, then a new one is fetched.
    let server = keycloak(4, Duration::ZERO).await;
    let client = client_for(&server);

    list_orgs(&client).await.expect("first call");
    list_orgs(&client).await.expect("second call, same token");
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1, "the token is still usable");

    tokio::time::sleep(Duration::from_millis(2300)).await;
    list_orgs(&client).await.expect("third call, new token");

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(api_authorizations(&server).await, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn refresh_before_sets_the_margin() {
    // 4 s tokens: the default margin (30 s, capped at half) uses each for 2 s; a margin of 1 s
    // uses each for 3 s.
    let server = keycloak(4, Duration::ZERO).await;
    let client = Client::builder()
        .base_url(realms_url(&server))
        .client_credentials(credentials(&server).refresh_before(Duration::from_secs(1)))
        .build()
        .expect("a client");

    list_orgs(&client).await.expect("first call");
    tokio::time::sleep(Duration::from_millis(2400)).await;
    list_orgs(&client).await.expect("second call, still within 3 s");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    list_orgs(&client).await.expect("third call, after 3 s");

    assert_eq!(api_authorizations(&server).await, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_token_without_expires_in_is_kept_until_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "forever"})))
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&server).await;
    let client = client_for(&server);

    for _ in 0..3 {
        list_orgs(&client).await.expect("the call succeeds");
    }

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1);
    assert_eq!(api_authorizations(&server).await, vec!["Bearer forever"; 3]);
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_fetch_then_one_refresh() {
    // A slow token endpoint, so that every caller arrives while the fetch is under way.
    let server = keycloak(2, Duration::from_millis(300)).await;
    let client = client_for(&server);

    let wave = |client: Client| async move {
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let client = client.clone();
            calls.spawn(async move { list_orgs(&client).await });
        }
        while let Some(result) = calls.join_next().await {
            result.expect("the task finishes").expect("the call succeeds");
        }
    };

    wave(client.clone()).await;
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1, "20 callers, one fetch");
    assert_eq!(api_authorizations(&server).await, vec!["Bearer tok-1"; 20]);

    // The token (2 s, used for 1 s) expires; the next wave shares one refresh.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    wave(client).await;
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2, "20 more callers, one refresh");
    let authorizations = api_authorizations(&server).await;
    assert_eq!(authorizations[20..], vec!["Bearer tok-2".to_owned(); 20]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_failed_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(503).set_body_string("keycloak is starting").set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let client = client_for(&server);

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = client.clone();
        calls.spawn(async move { list_orgs(&client).await });
    }
    let mut errors = Vec::new();
    while let Some(result) = calls.join_next().await {
        errors.push(result.expect("the task finishes").expect_err("no token, no call"));
    }

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1, "one fetch for all ten callers");
    assert!(api_authorizations(&server).await.is_empty(), "no API request without a token");
    for error in &errors {
        match error {
            Error::TokenEndpoint { status, body, .. } => {
                assert_eq!(status.as_u16(), 503);
                assert_eq!(body, "keycloak is starting");
            }
            other => panic!("expected TokenEndpoint, got {other:?}"),
        }
    }

    // A later call tries again (and fails again, at the endpoint, not from a stale copy).
    list_orgs(&client).await.expect_err("still failing");
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 4. 401 from the API
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_token_is_replaced_and_the_call_sent_once_more() {
    let server = keycloak(3600, Duration::ZERO).await;
    // The API has revoked tok-1 (a server restart, a key rotation): it answers 401 to it.
    Mock::given(method("GET"))
        .and(path(ORGS_PATH))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_string("token revoked"))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    list_orgs(&client).await.expect("the second attempt succeeds");
    list_orgs(&client).await.expect("and the new token is kept");

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    assert_eq!(api_authorizations(&server).await, ["Bearer tok-1", "Bearer tok-2", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_second_401_is_the_callers_error_after_one_renewal() {
    let server = keycloak(3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("this client may not list orgs"))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = client_for(&server);

    let error = list_orgs(&client).await.expect_err("401 twice");

    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.body(), Some("this client may not list orgs"));
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2, "one renewal, not a loop");
    assert_eq!(api_authorizations(&server).await, ["Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_fixed_token_is_not_resent_after_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let client = Client::builder().base_url(server.uri()).bearer_token("fixed").build().expect("a client");

    client.realm_users_user_id_orgs_get("r", "u").await.expect_err("401");

    assert_eq!(server.received_requests().await.expect("recorded").len(), 1);
}

#[tokio::test]
async fn a_post_refused_with_401_is_also_resent_once_with_a_new_token() {
    let server = keycloak(3600, Duration::ZERO).await;
    Mock::given(method("POST"))
        .and(path("/auth/realms/my-realm/magic-link"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/realms/my-realm/magic-link"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&server)
        .await;
    let client = client_for(&server);
    let link = phasetwo_client::models::MagicLinkRepresentation::new("ada@example.com", "app", "https://app/");

    client.create_magic_link(REALM, &link).await.expect("the resend succeeds");

    // A 401 means the request was refused before it had any effect, so a POST is resent too.
    let posts = requests_to(&server, "/auth/realms/my-realm/magic-link").await;
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].body, posts[1].body, "the same body both times");
}

// ---------------------------------------------------------------------------------------------
// 5. Failures of the token endpoint
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_client_is_a_token_endpoint_error_with_status_and_body_but_no_secret() {
    let server = MockServer::start().await;
    // Keycloak's answer to a wrong secret; this one also echoes the secret back, which must be
    // masked.
    let body = json!({
        "error": "unauthorized_client",
        "error_description": "Invalid client or Invalid client credentials",
        "echo": format!("client_secret={SECRET}")
    });
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(&body))
        .mount(&server)
        .await;
    let client = client_for(&server);

    let error = list_orgs(&client).await.expect_err("no token");

    match &error {
        Error::TokenEndpoint { url, status, body } => {
            assert_eq!(url, &format!("{}{TOKEN_PATH}", server.uri()));
            assert_eq!(status.as_u16(), 401);
            assert!(body.contains("unauthorized_client") && body.contains("client_secret=<redacted>"), "{body}");
        }
        other => panic!("expected TokenEndpoint, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "the token endpoint {}{TOKEN_PATH} answered 401 Unauthorized: unauthorized_client \
             (Invalid client or Invalid client credentials)",
            server.uri()
        )
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(!error_texts(&error).contains(SECRET), "{}", error_texts(&error));
    assert!(api_authorizations(&server).await.is_empty(), "the API was not called");
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_a_token_error_naming_it() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}/token", listener.local_addr().expect("address"));
    drop(listener);
    let api = MockServer::start().await;
    let client = Client::builder()
        .base_url(api.uri())
        .client_credentials(ClientCredentials::new(CLIENT_ID, SECRET).token_url(&closed))
        .build()
        .expect("a client");

    let error = client.realm_users_user_id_orgs_get("r", "u").await.expect_err("no token");

    match &error {
        Error::Token { reason, source } => {
            assert_eq!(reason, &format!("the token endpoint {closed} could not be reached"));
            assert!(source.is_some(), "the transport error is the source");
        }
        other => panic!("expected Token, got {other:?}"),
    }
    assert!(!error_texts(&error).contains(SECRET));
    assert!(api.received_requests().await.expect("recorded").is_empty());
}

#[tokio::test]
async fn an_answer_without_a_bearer_token_is_a_token_error_that_does_not_repeat_the_body() {
    for (answer, missing) in [
        (json!({"token": "tok-in-the-wrong-field"}), "without an `access_token`"),
        (json!({"access_token": "tok-of-another-type", "token_type": "mac"}), "without a bearer token"),
        (json!(["tok-in-a-list"]), "without an `access_token`"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
            .mount(&server)
            .await;
        let client = client_for(&server);

        let error = list_orgs(&client).await.expect_err("no usable token");

        let text = error_texts(&error);
        assert!(matches!(error, Error::Token { .. }), "{text}");
        assert!(text.contains(missing), "{text}");
        assert!(!text.contains("tok-"), "whatever looked like a token is not repeated: {text}");
    }
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_string("<html>")).mount(&server).await;
    let error = list_orgs(&client_for(&server)).await.expect_err("not JSON");
    assert!(error.to_string().contains("without a JSON object"), "{error}");
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let server = keycloak(300, Duration::ZERO).await;
    let credentials = credentials(&server);
    let builder = Client::builder().base_url(realms_url(&server)).client_credentials(credentials.clone());
    let fixed = Client::builder().bearer_token("fixed-T0KEN-value");
    let token = AccessToken::new("tok-secret-value").valid_for(Duration::from_secs(5));

    let client = client_for(&server);
    list_orgs(&client).await.expect("a token is cached now");

    let texts = [
        format!("{credentials:?}"),
        format!("{builder:?}"),
        format!("{fixed:?}"),
        format!("{token:?}"),
        format!("{client:?} {client:#?}"),
    ];
    for text in &texts {
        for secret in [SECRET, "fixed-T0KEN-value", "tok-secret-value", "tok-1"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(texts[0].contains(CLIENT_ID) && texts[0].contains("<redacted>"), "{}", texts[0]);
    assert_eq!(token.secret(), "tok-secret-value");
    assert_eq!(token.lifetime(), Some(Duration::from_secs(5)));
}

// ---------------------------------------------------------------------------------------------
// 6. The spec's tokenUrl, and refused token URLs
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_specs_token_url_is_the_default_resolved_against_the_base_url() {
    // features.yaml declares `tokenUrl: /oauth/token` for its clientCredentials flow.
    assert_eq!(features_client::OAUTH2_TOKEN_URL, "/oauth/token");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "spec-tok", "expires_in": 60})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/items/7"))
        .and(header("authorization", "Bearer spec-tok"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = features_client::Client::builder()
        .base_url(format!("{}/v1", server.uri()))
        .client_credentials(features_client::ClientCredentials::new(CLIENT_ID, SECRET))
        .build()
        .expect("a client");

    let deleted = client.delete_item(7).await.expect("the call succeeds with the token from /oauth/token");

    assert!(deleted.is_none());
    let requests = server.received_requests().await.expect("recorded");
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/oauth/token", "/v1/items/7"]);
}

#[test]
fn without_a_token_url_in_the_spec_or_the_credentials_building_fails() {
    // Phase Two's spec declares a bearer scheme only.
    let error = Client::builder()
        .base_url("http://127.0.0.1:9/auth/realms")
        .client_credentials(ClientCredentials::new(CLIENT_ID, SECRET))
        .build()
        .expect_err("no token URL");
    match &error {
        Error::InvalidTokenUrl { url, reason } => {
            assert!(url.is_empty());
            assert!(reason.contains("ClientCredentials::keycloak"), "{reason}");
        }
        other => panic!("expected InvalidTokenUrl, got {other:?}"),
    }
}

#[test]
fn token_urls_with_credentials_or_other_schemes_are_refused() {
    for (url, reason) in [
        ("https://user:pw@id.example.com/token", "credentials in the URL"),
        ("ftp://id.example.com/token", "http or https"),
    ] {
        let error = Client::builder()
            .base_url("http://127.0.0.1:9")
            .client_credentials(ClientCredentials::new(CLIENT_ID, SECRET).token_url(url))
            .build()
            .expect_err(url);
        let text = error_texts(&error);
        assert!(matches!(error, Error::InvalidTokenUrl { .. }) && text.contains(reason), "{text}");
        assert!(!text.contains("pw@"), "the URL's password is masked: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Providers of your own, and per-call Authorization
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_closure_provider_is_called_only_when_its_token_is_no_longer_usable() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string("[]")).mount(&server).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let client = Client::builder()
        .base_url(server.uri())
        .token_provider(move || {
            let number = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Ok(AccessToken::new(format!("own-{number}")).valid_for(Duration::from_millis(400))) }
        })
        .build()
        .expect("a client");

    client.realm_users_user_id_orgs_get("r", "u").await.expect("first");
    client.realm_users_user_id_orgs_get("r", "u").await.expect("second");
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.realm_users_user_id_orgs_get("r", "u").await.expect("third");

    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(api_authorizations(&server).await, ["Bearer own-1", "Bearer own-1", "Bearer own-2"]);
}

#[tokio::test]
async fn a_failing_provider_is_a_token_error_with_its_source() {
    let server = MockServer::start().await;
    let client = Client::builder()
        .base_url(server.uri())
        .token_provider(|| async {
            Err(Error::token_provider(std::io::Error::new(std::io::ErrorKind::NotFound, "vault entry missing")))
        })
        .build()
        .expect("a client");

    let error = client.realm_users_user_id_orgs_get("r", "u").await.expect_err("no token");

    assert_eq!(error.to_string(), "could not get an access token: the token provider failed: vault entry missing");
    let source = error.source().expect("the provider's error is the source");
    assert_eq!(source.to_string(), "vault entry missing");
    assert!(server.received_requests().await.expect("recorded").is_empty());
}

#[tokio::test]
async fn a_per_call_authorization_header_wins_and_no_token_is_fetched() {
    let server = keycloak(300, Duration::ZERO).await;
    let client = client_for(&server);

    client
        .realm_users_user_id_orgs_get(REALM, "u-1")
        .header("Authorization", "Bearer for-this-call")
        .await
        .expect("the call succeeds");

    assert!(requests_to(&server, TOKEN_PATH).await.is_empty());
    assert_eq!(api_authorizations(&server).await, ["Bearer for-this-call"]);
}

#[tokio::test]
async fn the_last_authentication_setting_wins() {
    let server = keycloak(300, Duration::ZERO).await;
    let client = Client::builder()
        .base_url(realms_url(&server))
        .client_credentials(credentials(&server))
        .bearer_token("fixed-after-all")
        .retry(RetryPolicy::none())
        .build()
        .expect("a client");

    list_orgs(&client).await.expect("the call succeeds");

    assert!(requests_to(&server, TOKEN_PATH).await.is_empty());
    assert_eq!(api_authorizations(&server).await, ["Bearer fixed-after-all"]);
}
