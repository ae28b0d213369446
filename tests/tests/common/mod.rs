//! Helpers the HTTP tests of both committed clients share: a wiremock server that answers
//! everything one way, and what it received.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A server that answers every request with `response`.
pub async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(response).mount(&server).await;
    server
}

/// The one request `server` received; fails when it received none or several.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("request recording is on");
    assert_eq!(requests.len(), 1, "expected exactly one request, got {requests:?}");
    requests.remove(0)
}

/// Fails unless `server` received nothing.
pub async fn assert_no_request(server: &MockServer) {
    let requests = server.received_requests().await.expect("request recording is on");
    assert!(requests.is_empty(), "no request should reach the server, got {requests:?}");
}

/// Every value of header `name`, in order (so a duplicated header shows up twice).
pub fn header_values<'r>(request: &'r Request, name: &str) -> Vec<&'r str> {
    request.headers.get_all(name).iter().map(|value| value.to_str().expect("an ASCII header value")).collect()
}

/// The raw (still percent-encoded) path the server received.
pub fn raw_path(request: &Request) -> &str {
    request.url.path()
}
