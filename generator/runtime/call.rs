//! One call in the making: what every operation method returns, and the one place where
//! requests are sent and responses read.

use crate::client::{header, without_credentials, SendError};
use crate::retry::retry_after;
use crate::{Client, Error, RetryPolicy};
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use reqwest::{Method, StatusCode};
use std::borrow::Cow;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// Characters a path parameter keeps as they are: RFC 3986's unreserved set. Everything else,
/// `/`, `?` and `#` included, is percent-encoded, so a value stays within its own segment.
pub(crate) const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Characters a cookie value cannot carry as they are (RFC 6265 `cookie-octet`), plus `%`.
const COOKIE_VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\').add(b'%');

/// The most bytes of a response body an [`Error`] keeps. A longer error body is not read past
/// this point; a longer success body that fails to decode is cut here. Either way the text kept
/// ends with [`TRUNCATED`].
pub(crate) const MAX_ERROR_BODY: usize = 64 * 1024;

/// Appended to a body text that was cut at [`MAX_ERROR_BODY`] bytes.
pub(crate) const TRUNCATED: &str = "\u{2026} [truncated]";

/// What the spec says about one operation; each operation method holds one in a `static`.
pub(crate) struct Operation {
    pub(crate) name: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) errors: &'static [(Documented, &'static str)],
}

/// The statuses one documented error response covers.
#[derive(Clone, Copy)]
#[allow(dead_code)] // Which kinds a crate uses depends on its spec.
pub(crate) enum Documented {
    Code(u16),
    Range(u16),
    Default,
}

/// A response as it arrived, not decoded (like the Python client's `skip_deserialization`).
///
/// Statuses the spec calls errors, and undocumented ones, are still returned as [`Error`]s.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as received.
    pub body: Bytes,
}

impl RawResponse {
    /// The body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// A call to one operation, ready to be sent.
///
/// `.await` it to send the request and decode the response, or adjust it first:
/// [`timeout`](Self::timeout), [`header`](Self::header) and [`retry`](Self::retry) apply to
/// this call only, and [`send_raw`](Self::send_raw) returns the response without decoding its
/// body.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, T> {
    request: Request<'a>,
    decode: Decoder<T>,
}

/// Reads a success's body, given its status.
type Decoder<T> = fn(u16, &[u8]) -> Result<T, serde_json::Error>;

/// A decoded response with its status and headers, from [`Call::send_full`].
#[derive(Debug, Clone)]
pub struct Response<T> {
    /// The status.
    pub status: StatusCode,
    /// The headers (for example `Location`).
    pub headers: HeaderMap,
    /// The decoded body.
    pub body: T,
}

/// The parts of a call that do not depend on its result type, so the sending code is compiled
/// once, not once per operation.
struct Request<'a> {
    client: &'a Client,
    operation: &'static Operation,
    path: String,
    query: Vec<(&'static str, String)>,
    headers: HeaderMap,
    cookies: Vec<String>,
    body: Option<(HeaderValue, Vec<u8>)>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    /// The first problem found while building; reported when the call is sent.
    error: Option<Error>,
}

impl<'a, T> Call<'a, T> {
    pub(crate) fn new(
        client: &'a Client,
        operation: &'static Operation,
        path_parameters: &[(&'static str, &str)],
        decode: Decoder<T>,
    ) -> Self {
        let (path, error) = match fill_path(operation.path, path_parameters) {
            Ok(path) => (path, None),
            Err(error) => (String::new(), Some(error)),
        };
        let request = Request {
            client,
            operation,
            path,
            query: Vec::new(),
            headers: HeaderMap::new(),
            cookies: Vec::new(),
            body: None,
            timeout: None,
            retry: None,
            error,
        };
        Self { request, decode }
    }

    /// Waits at most `timeout` for this call's complete response, instead of the client's
    /// timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.timeout = Some(timeout);
        self
    }

    /// Retries this call by `policy` instead of the client's policy ([`RetryPolicy::none`]
    /// sends it once; `RetryPolicy::new().retry_non_idempotent(true)` also retries a `POST`).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.request.retry = Some(policy);
        self
    }

    /// Adds a header to this call only (replacing a client-wide header of the same name).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match header(name, value) {
            Ok((name, value)) => {
                self.request.headers.insert(name, value);
            }
            Err(error) => self.request.fail(error),
        }
        self
    }

    /// Sends the request and decodes the response.
    pub async fn send(self) -> Result<T, Error> {
        Ok(self.send_full().await?.body)
    }

    /// Sends the request and decodes the response, keeping its status and headers.
    pub async fn send_full(self) -> Result<Response<T>, Error> {
        let operation = self.request.operation.name;
        let raw = self.request.send().await?;
        match (self.decode)(raw.status.as_u16(), &raw.body) {
            Ok(body) => Ok(Response { status: raw.status, headers: raw.headers, body }),
            Err(source) => Err(Error::Decode { operation, status: raw.status, body: body_text(&raw.body), source }),
        }
    }

    /// Sends the request and returns the response without decoding its body.
    pub async fn send_raw(self) -> Result<RawResponse, Error> {
        self.request.send().await
    }

    // The builders below are used by generated operations; which ones depends on the spec.

    #[allow(dead_code)]
    pub(crate) fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.request.query.push((name, value.to_string()));
        self
    }

    #[allow(dead_code)]
    pub(crate) fn query_opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    /// A list sent the OpenAPI default way (`form`, exploded): `name=a&name=b`.
    #[allow(dead_code)]
    pub(crate) fn query_each<V: ToString>(mut self, name: &'static str, values: &[V]) -> Self {
        self.request.query.extend(values.iter().map(|value| (name, value.to_string())));
        self
    }

    /// A list sent as one value (`explode: false`, or a delimited style): `name=a,b`.
    #[allow(dead_code)]
    pub(crate) fn query_joined<V: ToString>(self, name: &'static str, values: &[V], separator: &str) -> Self {
        if values.is_empty() {
            return self;
        }
        let joined = values.iter().map(ToString::to_string).collect::<Vec<_>>().join(separator);
        self.query(name, joined)
    }

    #[allow(dead_code)]
    pub(crate) fn header_param(self, name: &str, value: impl ToString) -> Self {
        self.header(name, &value.to_string())
    }

    #[allow(dead_code)]
    pub(crate) fn header_param_opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.header_param(name, value),
            None => self,
        }
    }

    /// A cookie; the value is percent-encoded so it cannot end the cookie or add another.
    #[allow(dead_code)]
    pub(crate) fn cookie(mut self, name: &str, value: impl ToString) -> Self {
        let value = value.to_string();
        self.request.cookies.push(format!("{name}={}", utf8_percent_encode(&value, COOKIE_VALUE)));
        self
    }

    #[allow(dead_code)]
    pub(crate) fn cookie_opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.cookie(name, value),
            None => self,
        }
    }

    #[allow(dead_code)]
    pub(crate) fn json<B: serde::Serialize + ?Sized>(mut self, content_type: &'static str, body: Option<&B>) -> Self {
        match body.map(serde_json::to_vec) {
            Some(Ok(bytes)) => self.request.body = Some((HeaderValue::from_static(content_type), bytes)),
            Some(Err(source)) => self.request.fail(Error::Encode { operation: self.request.operation.name, source }),
            None => {}
        }
        self
    }

    /// An `application/x-www-form-urlencoded` body: the value's top-level fields as pairs;
    /// lists repeat their field, nested objects are sent as JSON text.
    #[allow(dead_code)]
    pub(crate) fn form<B: serde::Serialize + ?Sized>(mut self, content_type: &'static str, body: Option<&B>) -> Self {
        match body.map(serde_json::to_value) {
            Some(Ok(value)) => {
                let bytes = form_encode(&value).into_bytes();
                self.request.body = Some((HeaderValue::from_static(content_type), bytes));
            }
            Some(Err(source)) => self.request.fail(Error::Encode { operation: self.request.operation.name, source }),
            None => {}
        }
        self
    }

    #[allow(dead_code)]
    pub(crate) fn bytes(mut self, content_type: &'static str, body: Option<Vec<u8>>) -> Self {
        self.request.body = body.map(|bytes| (HeaderValue::from_static(content_type), bytes));
        self
    }

    /// A body whose `Content-Type` the caller gives (a multipart body carries its boundary there).
    #[allow(dead_code)]
    pub(crate) fn bytes_with_type(mut self, content_type: &str, body: Option<Vec<u8>>) -> Self {
        match header(CONTENT_TYPE.as_str(), content_type) {
            Ok((_, value)) => self.request.body = body.map(|bytes| (value, bytes)),
            Err(error) => self.request.fail(error),
        }
        self
    }
}

impl<'a, T: Send + 'a> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl Request<'_> {
    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Sends the request, retrying and renewing the token as the client says, inside a
    /// `tracing` span for the operation.
    async fn send(self) -> Result<RawResponse, Error> {
        let operation = self.operation;
        let span = tracing::info_span!(
            "operation",
            operation = operation.name,
            method = operation.method.as_str(),
            path = operation.path,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            error = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.send_attempts(&span).instrument(span.clone()).await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(response) => {
                span.record("status", response.status.as_u16());
            }
            Err(error) => {
                // The API's status only: a token endpoint's is not the operation's.
                if let (Some(status), false) = (error.status(), matches!(error, Error::TokenEndpoint { .. })) {
                    span.record("status", status.as_u16());
                }
                if let Some(kind) = error_kind(error) {
                    span.record("error", kind);
                }
            }
        }
        result
    }

    /// The attempts: each builds the request anew (with the current token), sends it, and
    /// either returns, or waits and goes round again.
    async fn send_attempts(mut self, span: &tracing::Span) -> Result<RawResponse, Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let client = self.client;
        let operation = self.operation;
        let prepared = Prepared::new(self)?;
        let policy = prepared.retry.as_ref().unwrap_or(client.retry_policy());
        let may_retry = policy.allows(&operation.method);
        let started = Instant::now();
        // Attempts sent, and those that count against the policy (not a resend after a 401).
        let (mut sent, mut counted) = (0u32, 0u32);
        let mut token_renewed = false;
        loop {
            let token = if prepared.sets_authorization { None } else { client.token().await? };
            sent += 1;
            counted += 1;
            span.record("attempt", sent);
            let attempt_started = Instant::now();
            let outcome = client.execute(prepared.request(&operation.method, token.as_ref().map(|t| &t.header))).await;
            let latency_ms = attempt_started.elapsed().as_millis() as u64;
            match outcome {
                Ok(response) => {
                    let status = response.status();
                    tracing::debug!(attempt = sent, status = status.as_u16(), latency_ms, "response");
                    if status == StatusCode::UNAUTHORIZED && !token_renewed {
                        if let Some(token) = &token {
                            tracing::info!(attempt = sent, "the API refused the access token; fetching a new one");
                            client.token_refused(token);
                            token_renewed = true;
                            counted -= 1;
                            continue;
                        }
                    }
                    let busy = status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
                    if busy && may_retry {
                        let asked = retry_after(response.headers(), SystemTime::now());
                        if let Some(delay) = policy.next_delay(counted, started.elapsed(), asked) {
                            tracing::info!(
                                attempt = sent,
                                status = status.as_u16(),
                                delay_ms = delay.as_millis() as u64,
                                "retrying"
                            );
                            drop(response);
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return read_response(operation, response).await;
                }
                Err(error) => {
                    let connect = matches!(&error, SendError::Http(error) if error.is_connect());
                    let error = send_error(operation, error);
                    tracing::debug!(attempt = sent, error = error_kind(&error), latency_ms, "no response");
                    if connect && may_retry {
                        if let Some(delay) = policy.next_delay(counted, started.elapsed(), None) {
                            tracing::info!(
                                attempt = sent,
                                error = "connect",
                                delay_ms = delay.as_millis() as u64,
                                "retrying"
                            );
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                    }
                    return Err(error);
                }
            }
        }
    }
}

/// A request ready to be sent, as many times as it takes.
struct Prepared {
    url: reqwest::Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    /// The call sets `Authorization` itself, so no token is fetched.
    sets_authorization: bool,
}

impl Prepared {
    fn new(request: Request<'_>) -> Result<Self, Error> {
        let client = request.client;
        let base_url = client.base_url();
        let mut url = reqwest::Url::parse(&format!("{base_url}{}", request.path))
            .map_err(|err| Error::InvalidBaseUrl { url: without_credentials(base_url), reason: err.to_string() })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        // One map, each name set once: client-wide headers, then what the call itself needs,
        // then per-call headers, which win. (Adding them one by one would send duplicates.)
        let mut headers = client.default_headers().clone();
        headers.entry(ACCEPT).or_insert_with(|| HeaderValue::from_static("application/json"));
        if !request.cookies.is_empty() {
            let (name, value) = header(COOKIE.as_str(), &request.cookies.join("; "))?;
            headers.insert(name, value);
        }
        let body = request.body.map(|(content_type, bytes)| {
            headers.insert(CONTENT_TYPE, content_type);
            Bytes::from(bytes)
        });
        for (name, value) in &request.headers {
            headers.insert(name, value.clone());
        }
        Ok(Self {
            url,
            headers,
            body,
            timeout: request.timeout.or(client.timeout()),
            retry: request.retry,
            sets_authorization: request.headers.contains_key(AUTHORIZATION),
        })
    }

    fn request(&self, method: &Method, token: Option<&HeaderValue>) -> reqwest::Request {
        let mut request = reqwest::Request::new(method.clone(), self.url.clone());
        *request.headers_mut() = self.headers.clone();
        if let Some(token) = token {
            request.headers_mut().insert(AUTHORIZATION, token.clone());
        }
        *request.body_mut() = self.body.clone().map(reqwest::Body::from);
        *request.timeout_mut() = self.timeout;
        request
    }
}

fn send_error(operation: &Operation, error: SendError) -> Error {
    match error {
        SendError::Http(source) => transport_error(operation, source),
        #[cfg(feature = "middleware")]
        SendError::Middleware(source) => Error::Middleware { operation: operation.name, source },
    }
}

fn transport_error(operation: &Operation, source: reqwest::Error) -> Error {
    if source.is_timeout() {
        Error::Timeout { operation: operation.name, source }
    } else {
        Error::Transport { operation: operation.name, source }
    }
}

/// A word for a failure other than an error status, for tracing (never the error's text: it can
/// hold a URL, and so path parameter values).
fn error_kind(error: &Error) -> Option<&'static str> {
    Some(match error {
        Error::Documented { .. } | Error::UnexpectedStatus { .. } => return None,
        Error::Timeout { .. } => "timeout",
        Error::Transport { .. } => "transport",
        Error::Token { .. } | Error::TokenEndpoint { .. } => "token",
        Error::Decode { .. } => "decode",
        #[cfg(feature = "middleware")]
        Error::Middleware { .. } => "middleware",
        _ => "invalid request",
    })
}

/// A success's whole body, or an error with at most [`MAX_ERROR_BODY`] bytes of its body.
async fn read_response(operation: &Operation, mut response: reqwest::Response) -> Result<RawResponse, Error> {
    let status = response.status();
    let failed = |source| transport_error(operation, source);
    if status.is_success() {
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(failed)?;
        return Ok(RawResponse { status, headers, body });
    }
    // An error's body is only kept in part, so only that part is read: a huge error page
    // costs no more memory than a small one.
    let mut body = Vec::new();
    while body.len() <= MAX_ERROR_BODY {
        match response.chunk().await.map_err(failed)? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    Err(status_error(operation, status, &body))
}

/// A response body as text for an error: invalid UTF-8 replaced, and cut after
/// [`MAX_ERROR_BODY`] bytes (at a character boundary) with [`TRUNCATED`] appended.
pub(crate) fn body_text(body: &[u8]) -> String {
    if body.len() <= MAX_ERROR_BODY {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut end = MAX_ERROR_BODY;
    // Step back over UTF-8 continuation bytes (at most three) so no character is cut in two.
    while end > MAX_ERROR_BODY - 3 && body[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    let mut text = String::from_utf8_lossy(&body[..end]).into_owned();
    text.push_str(TRUNCATED);
    text
}

fn status_error(operation: &Operation, status: StatusCode, body: &[u8]) -> Error {
    let code = status.as_u16();
    let documented = |wanted: fn(Documented, u16) -> bool| {
        operation.errors.iter().find(|(statuses, _)| wanted(*statuses, code)).map(|(_, description)| *description)
    };
    let description = documented(|d, code| matches!(d, Documented::Code(c) if c == code))
        .or_else(|| documented(|d, code| matches!(d, Documented::Range(class) if class == code / 100)))
        .or_else(|| documented(|d, _| matches!(d, Documented::Default)));
    let body = body_text(body);
    match description {
        Some(description) => Error::Documented { operation: operation.name, status, description, body },
        None => Error::UnexpectedStatus { operation: operation.name, status, body },
    }
}

/// Fills a path template such as `/{realm}/users/{userId}`, encoding each value so it stays
/// one segment. Values that a URL would collapse (`""`, `.`, `..`) are refused.
fn fill_path(template: &str, parameters: &[(&'static str, &str)]) -> Result<String, Error> {
    let mut path = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else { break };
        path.push_str(&rest[..start]);
        let name = &rest[start + 1..start + length];
        let (name, value) = parameters.iter().find(|(candidate, _)| *candidate == name).copied().ok_or(
            Error::InvalidPathParameter { name: "?", reason: "the path names a parameter that was not given" },
        )?;
        let reason = match value {
            "" => Some("it is empty"),
            "." | ".." => Some("`.` and `..` would change the path"),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(Error::InvalidPathParameter { name, reason });
        }
        path.extend(utf8_percent_encode(value, PATH_SEGMENT));
        rest = &rest[start + length + 1..];
    }
    path.push_str(rest);
    Ok(path)
}

/// Decodes a JSON body.
#[allow(dead_code)]
pub(crate) fn json<T: serde::de::DeserializeOwned>(_status: u16, body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

/// For successes without a body the spec describes: whatever came is ignored.
#[allow(dead_code)]
pub(crate) fn nothing(_status: u16, _body: &[u8]) -> Result<(), serde_json::Error> {
    Ok(())
}

/// A 2xx status the operation does not document, where the status decides the result's type.
#[allow(dead_code)]
pub(crate) fn undocumented_success(status: u16) -> serde_json::Error {
    serde::de::Error::custom(format!("the spec does not document status {status} for this operation"))
}

/// Characters a form field keeps as they are (the `application/x-www-form-urlencoded` set).
#[allow(dead_code)]
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');

#[allow(dead_code)]
fn form_encode(value: &serde_json::Value) -> String {
    let text = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut pairs = Vec::new();
    if let serde_json::Value::Object(fields) = value {
        for (name, value) in fields {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::Array(items) => pairs.extend(items.iter().map(|item| (name, text(item)))),
                other => pairs.push((name, text(other))),
            }
        }
    }
    let encode = |s: &str| utf8_percent_encode(s, FORM).to_string().replace("%20", "+");
    pairs.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}
