//! Retries against a local server (`wiremock`): which answers and methods are retried, how
//! long the client waits (backoff, jitter, `Retry-After`), and the caps on attempts and time.
//!
//! Waits are a few hundred milliseconds at most. Timing assertions check lower bounds, which
//! a busy machine cannot break, and upper bounds only with a wide margin.
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::time::{Duration, Instant, SystemTime};

use phasetwo_client::models::MagicLinkRepresentation;
use phasetwo_client::{Client, Error, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const REALM: &str = "my-realm";

/// A quick policy for tests: 3 attempts, 20 ms then 40 ms of backoff, no jitter.
fn quick() -> RetryPolicy {
    RetryPolicy::new().initial_backoff(Duration::from_millis(20)).jitter(false)
}

fn client(server: &MockServer, policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url(server.uri())
        .bearer_token("t")
        .timeout(Duration::from_secs(30))
        .retry(policy)
        .build()
        .expect("a client")
}

/// A server that answers `first` to the first `times` requests, then `200 []`.
async fn failing_then_ok(first: ResponseTemplate, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(first).up_to_n_times(times).with_priority(1).mount(&server).await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

async fn always(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(answer).mount(&server).await;
    server
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.expect("request recording is on").len()
}

async fn list_orgs(client: &Client) -> Result<(), Error> {
    client.realm_users_user_id_orgs_get(REALM, "u").await.map(drop)
}

fn magic_link() -> MagicLinkRepresentation {
    MagicLinkRepresentation::new("ada@example.com", "app", "https://app.example.com/")
}

fn status_of(error: &Error) -> u16 {
    error.status().map(|s| s.as_u16()).unwrap_or_else(|| panic!("a status error, got {error:?}"))
}

// ---------------------------------------------------------------------------------------------
// What is retried
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_answered_503_then_200_is_retried_and_succeeds() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;

    list_orgs(&client(&server, quick())).await.expect("the retry succeeds");

    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn get_answered_429_twice_is_retried_twice() {
    let server = failing_then_ok(ResponseTemplate::new(429), 2).await;

    list_orgs(&client(&server, quick())).await.expect("the third attempt succeeds");

    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn the_default_policy_retries_too() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;
    let client = Client::builder().base_url(server.uri()).build().expect("a client");

    list_orgs(&client).await.expect("the default policy retries a GET");

    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn delete_is_retried_like_get() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;
    let client = features_client::Client::builder()
        .base_url(server.uri())
        .retry(features_client::RetryPolicy::new().initial_backoff(Duration::from_millis(20)))
        .build()
        .expect("a client");

    // 200 with `[]` is not an Item, but it is an answer: what matters is that it came second.
    let error = client.delete_item(1).await.expect_err("`[]` is not an item");
    assert!(matches!(error, features_client::Error::Decode { .. }), "{error:?}");
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn other_statuses_are_not_retried() {
    for status in [400, 401, 404, 500, 502, 504] {
        let server = always(ResponseTemplate::new(status)).await;

        let error = list_orgs(&client(&server, quick())).await.expect_err("an error status");

        assert_eq!(status_of(&error), status);
        assert_eq!(request_count(&server).await, 1, "{status} is answered at once");
    }
}

#[tokio::test]
async fn a_timeout_is_not_retried() {
    let server = always(ResponseTemplate::new(503).set_delay(Duration::from_millis(600))).await;

    let error = client(&server, quick())
        .realm_users_user_id_orgs_get(REALM, "u")
        .timeout(Duration::from_millis(100))
        .await
        .expect_err("times out");

    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_with_backoff() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let client = Client::builder()
        .base_url(&closed)
        .retry(RetryPolicy::new().initial_backoff(Duration::from_millis(150)).jitter(false))
        .build()
        .expect("a client");

    let started = Instant::now();
    let error = list_orgs(&client).await.expect_err("nothing listens");

    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    // Three attempts: 150 ms, then 300 ms, of waiting in between.
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// POST, and per-call policies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn post_is_not_retried_by_default() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;

    let error = client(&server, quick()).create_magic_link(REALM, &magic_link()).await.expect_err("503");

    assert_eq!(status_of(&error), 503);
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_refused_post_connection_is_not_retried_by_default() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let client = Client::builder()
        .base_url(&closed)
        .retry(RetryPolicy::new().initial_backoff(Duration::from_secs(3)).jitter(false))
        .build()
        .expect("a client");

    let started = Instant::now();
    client.create_magic_link(REALM, &magic_link()).await.expect_err("nothing listens");

    assert!(started.elapsed() < Duration::from_secs(3), "no 3 s backoff: {:?}", started.elapsed());
}

#[tokio::test]
async fn post_is_retried_when_the_call_asks_for_it() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;

    client(&server, RetryPolicy::none())
        .create_magic_link(REALM, &magic_link())
        .retry(quick().retry_non_idempotent(true))
        .await
        .expect("the retry succeeds");

    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body, "the same body both times");
    assert_eq!(requests[0].headers.get("content-type"), requests[1].headers.get("content-type"));
}

#[tokio::test]
async fn post_is_retried_when_the_client_asks_for_it() {
    let server = failing_then_ok(ResponseTemplate::new(429), 1).await;

    client(&server, quick().retry_non_idempotent(true))
        .create_magic_link(REALM, &magic_link())
        .await
        .expect("the retry succeeds");

    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_per_call_policy_replaces_the_clients() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;
    let client = client(&server, quick());

    let error = client.realm_users_user_id_orgs_get(REALM, "u").retry(RetryPolicy::none()).await.expect_err("503");
    assert_eq!(status_of(&error), 503);
    assert_eq!(request_count(&server).await, 1, "no retry for this call");

    list_orgs(&client).await.expect("the client's policy still retries");
    // The 503 was used up by the first call, so this call's first attempt succeeds.
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_client_without_retries_can_retry_one_call() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;
    let client = client(&server, RetryPolicy::none());

    client.realm_users_user_id_orgs_get(REALM, "u").retry(quick()).await.expect("this call retries");

    assert_eq!(request_count(&server).await, 2);
}

// ---------------------------------------------------------------------------------------------
// Caps
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn attempts_are_capped() {
    let server = always(ResponseTemplate::new(503).set_body_string("busy")).await;

    let error = list_orgs(&client(&server, quick().max_attempts(4))).await.expect_err("always 503");

    assert_eq!(status_of(&error), 503);
    assert_eq!(error.body(), Some("busy"), "the last answer is the error");
    assert_eq!(request_count(&server).await, 4);
}

#[tokio::test]
async fn total_time_is_capped() {
    let server = always(ResponseTemplate::new(503)).await;
    // Waits of 200 ms, 400 ms, 800 ms, ...: after the first wait (200 ms) the next (400 ms) would
    // end beyond 500 ms, so two attempts in all, however many are allowed.
    let policy = RetryPolicy::new()
        .max_attempts(10)
        .initial_backoff(Duration::from_millis(200))
        .jitter(false)
        .max_elapsed(Duration::from_millis(500));

    let started = Instant::now();
    list_orgs(&client(&server, policy)).await.expect_err("always 503");

    assert_eq!(request_count(&server).await, 2);
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn backoff_grows_exponentially_and_jitter_stays_within_its_bounds() {
    let policy = RetryPolicy::new().initial_backoff(Duration::from_millis(100)).max_backoff(Duration::from_millis(350));
    assert_eq!(policy.backoff_bounds(1), (Duration::from_millis(50), Duration::from_millis(100)));
    assert_eq!(policy.backoff_bounds(2), (Duration::from_millis(100), Duration::from_millis(200)));
    assert_eq!(policy.backoff_bounds(3), (Duration::from_millis(175), Duration::from_millis(350)), "capped");
    assert_eq!(policy.backoff_bounds(40), (Duration::from_millis(175), Duration::from_millis(350)), "no overflow");
    let steady = policy.clone().jitter(false);
    assert_eq!(steady.backoff_bounds(2), (Duration::from_millis(200), Duration::from_millis(200)));
    assert_eq!(RetryPolicy::new().max_attempts(0).get_max_attempts(), 1);
    assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
    assert_eq!(RetryPolicy::default(), RetryPolicy::new());

    // Over HTTP: two retries wait at least 50 + 100 ms with jitter (at most 100 + 200 ms).
    let server = failing_then_ok(ResponseTemplate::new(503), 2).await;
    let started = Instant::now();
    list_orgs(&client(&server, policy)).await.expect("the third attempt succeeds");
    let elapsed = started.elapsed();
    assert_eq!(request_count(&server).await, 3);
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// Retry-After
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_zero_retries_at_once() {
    let server = failing_then_ok(ResponseTemplate::new(503).insert_header("retry-after", "0"), 1).await;
    // A backoff of 10 s would show if Retry-After were ignored.
    let policy = RetryPolicy::new().initial_backoff(Duration::from_secs(10)).jitter(false);

    let started = Instant::now();
    list_orgs(&client(&server, policy)).await.expect("the retry succeeds");

    assert_eq!(request_count(&server).await, 2);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_seconds_are_waited_for() {
    let server = failing_then_ok(ResponseTemplate::new(429).insert_header("retry-after", "1"), 1).await;

    let started = Instant::now();
    list_orgs(&client(&server, quick())).await.expect("the retry succeeds");

    assert_eq!(request_count(&server).await, 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    let at = SystemTime::now() + Duration::from_secs(2);
    let server =
        failing_then_ok(ResponseTemplate::new(503).insert_header("retry-after", httpdate::fmt_http_date(at)), 1).await;

    let started = Instant::now();
    list_orgs(&client(&server, quick())).await.expect("the retry succeeds");

    assert_eq!(request_count(&server).await, 2);
    // The date has whole seconds, so the wait is between 1 and 2 seconds.
    assert!(started.elapsed() >= Duration::from_millis(900), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_in_the_past_or_unreadable_falls_back_to_no_wait_or_backoff() {
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    for value in [past.as_str(), "soon", "-1", "1.5"] {
        let server = failing_then_ok(ResponseTemplate::new(503).insert_header("retry-after", value), 1).await;

        let started = Instant::now();
        list_orgs(&client(&server, quick())).await.expect("the retry succeeds");

        assert_eq!(request_count(&server).await, 2, "{value}");
        assert!(started.elapsed() < Duration::from_secs(5), "{value}: {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn retry_after_beyond_the_time_cap_ends_the_call_at_once() {
    let server = failing_then_ok(ResponseTemplate::new(503).insert_header("retry-after", "120"), 1).await;

    let started = Instant::now();
    let error = list_orgs(&client(&server, quick())).await.expect_err("the server asks for 2 minutes");

    assert_eq!(status_of(&error), 503);
    assert_eq!(request_count(&server).await, 1);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn retry_after_on_a_post_does_not_make_it_retried() {
    let server = failing_then_ok(ResponseTemplate::new(429).insert_header("retry-after", "0"), 1).await;

    client(&server, quick()).create_magic_link(REALM, &magic_link()).await.expect_err("429");

    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn the_fixture_answers_once_with_the_failure_then_200_to_any_method() {
    // So a POST's single request above is the client's choice, not the server's.
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;
    let http = reqwest::Client::new();
    let first = http.post(server.uri()).send().await.expect("sent");
    let second = http.post(server.uri()).send().await.expect("sent");
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (503, 200));
}
