//! The client and its builder.

use crate::auth::{ClientCredentials, CurrentToken, TokenCache, TokenProvider};
use crate::{Error, RetryPolicy};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// An async client for the API.
///
/// Cheap to clone: clones share one connection pool, one configuration and one token cache.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
///
/// # fn main() -> Result<(), __crate__::Error> {
/// let client = __crate__::Client::builder()
///     .base_url("https://keycloak.example.com/auth/realms")
///     .bearer_token("an access token")
///     .timeout(Duration::from_secs(10))
///     .user_agent("my-app/1.0")
///     .build()?;
/// assert_eq!(client.base_url(), "https://keycloak.example.com/auth/realms");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    #[cfg(feature = "middleware")]
    middleware: Option<reqwest_middleware::ClientWithMiddleware>,
    base_url: String,
    headers: HeaderMap,
    timeout: Option<Duration>,
    tokens: Option<TokenCache>,
    retry: RetryPolicy,
}

/// Why sending a request failed, before any response.
pub(crate) enum SendError {
    Http(reqwest::Error),
    #[cfg(feature = "middleware")]
    Middleware(Box<dyn std::error::Error + Send + Sync>),
}

impl Client {
    /// A client for the API at `base_url`, with default settings and no token.
    pub fn new(base_url: impl Into<String>) -> Result<Self, Error> {
        Self::builder().base_url(base_url).build()
    }

    /// A builder, starting from the spec's default server when it names one.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL that operation paths are appended to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends one request, through the middleware stack when the client has one.
    pub(crate) async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response, SendError> {
        #[cfg(feature = "middleware")]
        if let Some(middleware) = &self.inner.middleware {
            return middleware.execute(request).await.map_err(|error| match error {
                reqwest_middleware::Error::Reqwest(error) => SendError::Http(error),
                reqwest_middleware::Error::Middleware(error) => SendError::Middleware(error.into()),
            });
        }
        self.inner.http.execute(request).await.map_err(SendError::Http)
    }

    /// The token to send, when the client has a token provider.
    pub(crate) async fn token(&self) -> Result<Option<CurrentToken>, Error> {
        match &self.inner.tokens {
            Some(tokens) => tokens.token(&self.inner.http).await.map(Some),
            None => Ok(None),
        }
    }

    /// The API answered `401` to `token`: the next call to [`token`](Self::token) fetches anew.
    pub(crate) fn token_refused(&self, token: &CurrentToken) {
        if let Some(tokens) = &self.inner.tokens {
            tokens.refused(token);
        }
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn default_headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.inner.timeout
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Client");
        debug
            .field("base_url", &self.inner.base_url)
            .field("headers", &HeaderNames(&self.inner.headers))
            .field("timeout", &self.inner.timeout)
            .field("token_provider", &self.inner.tokens.is_some())
            .field("retry", &self.inner.retry);
        #[cfg(feature = "middleware")]
        debug.field("middleware", &self.inner.middleware.is_some());
        debug.finish_non_exhaustive()
    }
}

/// Shows header names only: values may be secrets.
struct HeaderNames<'a>(&'a HeaderMap);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Configures a [`Client`]; every setting is optional.
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    auth: Auth,
    http: Option<reqwest::Client>,
    #[cfg(feature = "middleware")]
    middleware: Option<reqwest_middleware::ClientWithMiddleware>,
    timeout: Option<Duration>,
    user_agent: Option<String>,
    headers: Vec<(String, String)>,
    retry: Option<RetryPolicy>,
}

/// Where the bearer token comes from; the last setting wins.
#[derive(Default)]
enum Auth {
    #[default]
    None,
    Fixed(String),
    Provider(Arc<dyn TokenProvider>),
    ClientCredentials(ClientCredentials),
}

impl ClientBuilder {
    /// Sends requests to `base_url` instead of the spec's default server.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Authenticates every request with `Authorization: Bearer <token>`, this fixed token.
    ///
    /// Replaces a [`token_provider`](Self::token_provider) or
    /// [`client_credentials`](Self::client_credentials) set before.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Fixed(token.into());
        self
    }

    /// Authenticates every request with a token from `provider`, which is asked only when the
    /// client has no usable token (see [`TokenProvider`]). When the API answers `401`, the
    /// client fetches a new token and sends the call once more.
    ///
    /// Replaces a [`bearer_token`](Self::bearer_token) or
    /// [`client_credentials`](Self::client_credentials) set before.
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.auth = Auth::Provider(Arc::new(provider));
        self
    }

    /// Authenticates every request with a token from an OAuth 2.0 token endpoint, fetched with
    /// the client-credentials grant and renewed before it expires (see [`ClientCredentials`]).
    ///
    /// Replaces a [`bearer_token`](Self::bearer_token) or
    /// [`token_provider`](Self::token_provider) set before.
    pub fn client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.auth = Auth::ClientCredentials(credentials);
        self
    }

    /// Uses this `reqwest::Client` (its pool, proxy and TLS settings) for all requests, and for
    /// token requests.
    ///
    /// Leave reqwest's `connection_verbose` off: it logs the raw bytes sent, the token included.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sends the API's requests through this `reqwest_middleware` client, with the layers you
    /// added to it (logging, caching, metrics, your own). Token requests do not pass through it:
    /// they use the [`http_client`](Self::http_client), or a default one.
    ///
    /// This client's own retries, token renewal and tracing run outside the middleware: each
    /// attempt passes through every layer. Add no retry layer as well, or set
    /// [`retry`](Self::retry) to [`RetryPolicy::none`].
    #[cfg(feature = "middleware")]
    pub fn middleware_client(mut self, client: reqwest_middleware::ClientWithMiddleware) -> Self {
        self.middleware = Some(client);
        self
    }

    /// Retries calls by this policy, unless a call sets its own (the default is
    /// [`RetryPolicy::new`]; [`RetryPolicy::none`] turns retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Fails a call whose complete response has not arrived within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the `User-Agent` header (by default the crate's name and version).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Adds a header to every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let base_url = match self.base_url.as_deref().or(crate::DEFAULT_SERVER) {
            Some(url) => checked_base_url(url)?,
            None => {
                return Err(Error::InvalidBaseUrl {
                    url: String::new(),
                    reason: "none given, and the spec names no default server".to_owned(),
                })
            }
        };
        let mut headers = HeaderMap::new();
        let user_agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        headers.insert(USER_AGENT, header_value(USER_AGENT.as_str(), user_agent)?);
        for (name, value) in &self.headers {
            let (name, value) = header(name, value)?;
            headers.insert(name, value);
        }
        let tokens = match self.auth {
            Auth::None => None,
            Auth::Fixed(token) => {
                let mut value = header_value(AUTHORIZATION.as_str(), &format!("Bearer {token}"))?;
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
                None
            }
            Auth::Provider(provider) => Some(TokenCache::new(provider)),
            Auth::ClientCredentials(credentials) => Some(TokenCache::new(Arc::new(credentials.resolve(&base_url)?))),
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder().build().map_err(Error::HttpClient)?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                #[cfg(feature = "middleware")]
                middleware: self.middleware,
                base_url,
                headers,
                timeout: self.timeout,
                tokens,
                retry: self.retry.unwrap_or_default(),
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        let auth = match &self.auth {
            Auth::None => "none".to_owned(),
            Auth::Fixed(_) => "bearer token <redacted>".to_owned(),
            Auth::Provider(_) => "token provider".to_owned(),
            Auth::ClientCredentials(credentials) => format!("{credentials:?}"),
        };
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("auth", &auth)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("headers", &header_names)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

const DEFAULT_USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

fn checked_base_url(url: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::InvalidBaseUrl { url: without_credentials(url), reason: reason.to_owned() };
    let parsed = reqwest::Url::parse(url).map_err(|err| invalid(&err.to_string()))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials in the URL are not supported; use `bearer_token`, `client_credentials` or `header`",
        ));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// The URL with anything between `://` and `@` masked, so errors never repeat a password.
pub(crate) fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://***{}", &url[..scheme_end], &url[at..]),
        _ => url.to_owned(),
    }
}

/// A header for a request; the value is never echoed in the error.
pub(crate) fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidHeader { name: name.to_owned(), reason: "not a valid header name" })?;
    Ok((header_name, header_value(name, value)?))
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| Error::InvalidHeader {
        name: name.to_owned(),
        reason: "the value has characters a header cannot carry, such as a newline",
    })
}
