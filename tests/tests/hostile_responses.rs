//! Hostile and unusual responses, and servers that misbehave at the TCP level, against the
//! generated `phasetwo-client`. `client_http.rs` covers requests, statuses and ordinary decode
//! errors; this file covers what a broken or malicious server can send:
//!
//! 1. huge bodies: errors keep at most 64 KiB of the body, cut at a character boundary and
//!    marked, and an error body is not even read past that; a huge success still decodes;
//! 2. a wrong content type and non-UTF-8 bytes where JSON was expected;
//! 3. servers that never answer, or stop half-way through a response: a timeout error within
//!    the configured time.
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::time::{Duration, Instant};

use phasetwo_client::models::MagicLinkRepresentation;
use phasetwo_client::{Client, Error};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-hostile-SECRET-7";
const REALM: &str = "my-realm";
/// The documented cap on the body text an error keeps (see `Error::UnexpectedStatus::body`).
const CAP: usize = 64 * 1024;
/// The documented end of a body text that was cut.
const MARK: &str = "\u{2026} [truncated]";
const GENEROUS: Duration = Duration::from_secs(30);

fn client(base_url: &str, timeout: Duration) -> Client {
    Client::builder().base_url(base_url).bearer_token(TOKEN).timeout(timeout).build().expect("a client")
}

async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(response).mount(&server).await;
    server
}

fn magic_link() -> MagicLinkRepresentation {
    MagicLinkRepresentation::new("ada@example.com", "account-console", "https://app.example.com/welcome")
}

/// Checks that `kept` is `original` cut at most `CAP` bytes in, on a character boundary, and
/// marked as cut.
fn assert_truncated(kept: &str, original: &str) {
    let prefix =
        kept.strip_suffix(MARK).unwrap_or_else(|| panic!("no truncation mark at the end of {} bytes", kept.len()));
    assert!(prefix.len() <= CAP, "{} bytes kept, more than the cap", prefix.len());
    assert!(prefix.len() > CAP - 4, "only {} bytes kept, the cap is {CAP}", prefix.len());
    assert!(original.starts_with(prefix), "the kept text is not the start of the body");
    assert!(!prefix.contains('\u{fffd}'), "a character was cut in two");
}

// ---------------------------------------------------------------------------------------------
// 1. Huge bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn huge_undocumented_error_body_is_kept_truncated_at_a_character_boundary() {
    // Two-byte characters, so a cut at exactly 64 KiB would fall inside one unless handled.
    let body = format!("x{}", "é".repeat(3 * 1024 * 1024));
    let server =
        server_answering(ResponseTemplate::new(500).set_body_raw(body.clone().into_bytes(), "text/plain")).await;

    let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("500");

    match &error {
        Error::UnexpectedStatus { operation, status, body: kept } => {
            assert_eq!(*operation, "realm_users_user_id_orgs_get");
            assert_eq!(status.as_u16(), 500);
            assert_truncated(kept, &body);
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(error.body().is_some_and(|b| b.ends_with(MARK)));
}

#[tokio::test]
async fn huge_documented_error_body_is_kept_truncated() {
    let body = "Malformed! ".repeat(200_000);
    let server = server_answering(ResponseTemplate::new(400).set_body_string(body.clone())).await;

    let error = client(&server.uri(), GENEROUS).create_magic_link(REALM, &magic_link()).await.expect_err("400");

    match &error {
        Error::Documented { status, description, body: kept, .. } => {
            assert_eq!(status.as_u16(), 400);
            assert_eq!(*description, "Malformed request");
            assert_truncated(kept, &body);
        }
        other => panic!("expected Documented, got {other:?}"),
    }
}

#[tokio::test]
async fn error_bodies_up_to_the_cap_are_kept_whole_and_one_byte_more_is_cut() {
    for (length, cut) in [(CAP - 1, false), (CAP, false), (CAP + 1, true)] {
        let body = "a".repeat(length);
        let server = server_answering(ResponseTemplate::new(503).set_body_string(body.clone())).await;

        let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("503");

        let kept = error.body().expect("a body");
        if cut {
            assert_eq!(kept, format!("{}{MARK}", &body[..CAP]), "{length} bytes");
        } else {
            assert_eq!(kept, body, "{length} bytes are kept whole");
        }
    }
}

#[tokio::test]
async fn huge_undecodable_success_body_is_a_decode_error_with_a_truncated_body() {
    let body = format!("[{}", "{\"id\": \"org\"}, ".repeat(100_000)); // about 1.5 MB, never closed
    let server =
        server_answering(ResponseTemplate::new(200).set_body_raw(body.clone().into_bytes(), "application/json")).await;

    let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("bad JSON");

    match &error {
        Error::Decode { status, body: kept, source, .. } => {
            assert_eq!(status.as_u16(), 200);
            assert!(source.is_eof(), "{source}");
            assert_truncated(kept, &body);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn huge_valid_success_body_decodes_in_full() {
    let orgs: Vec<_> = (0..30_000).map(|i| json!({"id": format!("org-{i}"), "name": "n".repeat(40)})).collect();
    let server = server_answering(ResponseTemplate::new(200).set_body_json(&orgs)).await;

    let decoded = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect("decodes");

    assert_eq!(decoded.len(), orgs.len(), "the cap applies to errors only");
    assert_eq!(decoded.last().and_then(|o| o.id.as_deref()), Some("org-29999"));
}

/// A server that sends an error status announcing 100 MB, sends 256 KiB, then stalls. The
/// client keeps what an error needs and does not wait for (or buffer) the rest.
#[tokio::test]
async fn an_error_body_is_not_read_beyond_the_cap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        read_request_head(&mut socket).await;
        let head = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 100000000\r\n\r\n";
        socket.write_all(head.as_bytes()).await.expect("head");
        socket.write_all(&vec![b'z'; 256 * 1024]).await.expect("some body");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(socket);
    });
    let timeout = Duration::from_secs(20);
    let started = Instant::now();

    let error =
        client(&format!("http://{address}"), timeout).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("502");

    assert!(started.elapsed() < timeout / 2, "waited {:?} for a body it does not need", started.elapsed());
    match &error {
        Error::UnexpectedStatus { status, body, .. } => {
            assert_eq!(status.as_u16(), 502);
            assert_eq!(*body, format!("{}{MARK}", "z".repeat(CAP)));
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Wrong content type, non-UTF-8 bytes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn html_login_page_instead_of_json_is_a_decode_error_keeping_status_and_body() {
    let page = "<!DOCTYPE html><html><body><form action=\"/login\">Sign in</form></body></html>";
    let server = server_answering(ResponseTemplate::new(200).set_body_raw(page.as_bytes().to_vec(), "text/html")).await;

    let error = client(&server.uri(), GENEROUS)
        .realm_users_user_id_orgs_org_id_roles_get(REALM, "u", "o")
        .await
        .expect_err("HTML is not JSON");

    match &error {
        Error::Decode { operation, status, body, source } => {
            assert_eq!(*operation, "realm_users_user_id_orgs_org_id_roles_get");
            assert_eq!(status.as_u16(), 200);
            assert_eq!(body, page);
            assert!(source.is_syntax(), "{source}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert!(error.to_string().contains("could not decode the 200 OK response body"), "{error}");
}

#[tokio::test]
async fn proxy_error_page_with_html_content_type_is_an_unexpected_status() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = server_answering(ResponseTemplate::new(502).set_body_raw(page.as_bytes().to_vec(), "text/html")).await;

    let error = client(&server.uri(), GENEROUS).create_magic_link(REALM, &magic_link()).await.expect_err("502");

    assert!(
        matches!(&error, Error::UnexpectedStatus { status, body, .. } if status.as_u16() == 502 && body == page),
        "{error:?}"
    );
}

#[tokio::test]
async fn json_shaped_like_another_type_is_a_decode_error() {
    // Valid JSON, declared as JSON, but a role list where an organization list was expected
    // would decode (all fields are optional); a list of strings would not.
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!(["org-1", "org-2"]))).await;

    let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("strings");

    match &error {
        Error::Decode { body, source, .. } => {
            assert_eq!(body, r#"["org-1","org-2"]"#);
            assert!(source.is_data(), "{source}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn non_utf8_success_body_is_a_decode_error_with_the_bytes_replaced() {
    let bytes = b"[{\"name\": \"caf\xe9\"}]".to_vec(); // Latin-1, not UTF-8
    let server = server_answering(ResponseTemplate::new(200).set_body_raw(bytes, "application/json")).await;

    let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("not UTF-8");

    match &error {
        Error::Decode { status, body, .. } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(body, "[{\"name\": \"caf\u{fffd}\"}]");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn no_content_where_json_was_expected_is_a_decode_error() {
    let server = server_answering(ResponseTemplate::new(204)).await;

    let error = client(&server.uri(), GENEROUS).realm_users_user_id_orgs_get(REALM, "u").await.expect_err("no body");

    match &error {
        Error::Decode { status, body, source, .. } => {
            assert_eq!(status.as_u16(), 204);
            assert_eq!(body, "");
            assert!(source.is_eof(), "{source}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Servers that never answer
// ---------------------------------------------------------------------------------------------

/// Reads until the end of the request head, so the client has finished sending.
async fn read_request_head(socket: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = socket.read(&mut buffer).await.expect("read");
        if read == 0 {
            return;
        }
        head.extend_from_slice(&buffer[..read]);
    }
}

/// A loopback server that accepts connections, reads each request head, sends `reply` (maybe
/// nothing) and then holds the connection open without another byte.
async fn stalling_server(reply: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            read_request_head(&mut socket).await;
            socket.write_all(reply).await.expect("write");
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// Runs `call` and checks it ends in a timeout no sooner than `timeout` and well before the
/// test's own limit.
async fn assert_times_out<F>(timeout: Duration, call: F)
where
    F: std::future::Future<Output = Result<(), Error>>,
{
    let started = Instant::now();
    let outcome = tokio::time::timeout(timeout * 20, call).await.expect("the client gave up by itself");
    let elapsed = started.elapsed();
    let error = outcome.expect_err("a server that never answers");
    assert!(matches!(error, Error::Timeout { .. }), "expected Timeout, got {error:?}");
    assert!(elapsed >= timeout, "gave up after {elapsed:?}, before the {timeout:?} timeout");
    assert!(elapsed < timeout + Duration::from_secs(3), "took {elapsed:?} for a {timeout:?} timeout");
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test]
async fn server_that_never_answers_times_out_within_the_client_timeout() {
    let base_url = stalling_server(b"").await;
    let timeout = Duration::from_millis(400);
    let client = client(&base_url, timeout);

    assert_times_out(timeout, async { client.realm_users_user_id_orgs_get(REALM, "u").await.map(drop) }).await;
}

#[tokio::test]
async fn server_that_never_answers_times_out_within_the_per_call_timeout() {
    let base_url = stalling_server(b"").await;
    let timeout = Duration::from_millis(300);
    let client = client(&base_url, GENEROUS);

    assert_times_out(timeout, async { client.create_magic_link(REALM, &magic_link()).timeout(timeout).await }).await;
}

#[tokio::test]
async fn server_that_stops_in_the_middle_of_a_success_body_times_out() {
    let base_url =
        stalling_server(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[{\"id\":")
            .await;
    let timeout = Duration::from_millis(400);
    let client = client(&base_url, timeout);

    assert_times_out(timeout, async { client.realm_users_user_id_orgs_get(REALM, "u").await.map(drop) }).await;
    assert_times_out(timeout, async { client.realm_users_user_id_orgs_get(REALM, "u").send_raw().await.map(drop) })
        .await;
}

#[tokio::test]
async fn server_that_stops_in_the_middle_of_an_error_body_times_out() {
    let base_url = stalling_server(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 1000\r\n\r\nbo").await;
    let timeout = Duration::from_millis(400);
    let client = client(&base_url, timeout);

    assert_times_out(timeout, async { client.realm_users_user_id_orgs_get(REALM, "u").await.map(drop) }).await;
}
