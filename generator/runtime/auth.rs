//! Where the bearer token comes from: a fixed token, a provider of your own, or the OAuth 2.0
//! client-credentials grant; and the cache that asks a provider only when a token is needed.

use crate::call::{body_text, MAX_ERROR_BODY, PATH_SEGMENT};
use crate::Error;
use percent_encoding::utf8_percent_encode;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// An access token, and how long it may be used.
///
/// Its `Debug` output never shows the token itself.
#[derive(Clone)]
pub struct AccessToken {
    secret: String,
    lifetime: Option<Duration>,
}

impl AccessToken {
    /// A token to send as `Authorization: Bearer <secret>`. Without
    /// [`valid_for`](Self::valid_for) it is used until the API refuses it with `401`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self { secret: secret.into(), lifetime: None }
    }

    /// Uses the token for at most `lifetime` from when the provider returned it; the first call
    /// after that asks the provider for a new one.
    pub fn valid_for(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// The token itself. Keep it out of logs.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// How long the token may be used, when that is limited.
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("secret", &"<redacted>").field("lifetime", &self.lifetime).finish()
    }
}

/// What a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, Error>> + Send + 'a>>;

/// Gives the client a new access token whenever it needs one.
///
/// The client keeps the token it got and asks its provider again only when it has none yet,
/// when the token's [lifetime](AccessToken::valid_for) is over, or when the API answered `401`
/// (then the call is sent once more with the new token). However many calls need a token at
/// the same moment, one fetch is under way, and they all wait for it; when that fetch fails,
/// they all fail with its error.
///
/// A closure returning a future is a provider. To report a failure of your own, return
/// [`Error::token_provider`].
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
/// use __crate__::{AccessToken, Client, Error};
///
/// async fn token_from_vault() -> Result<String, std::io::Error> {
///     Ok("a token".to_owned())
/// }
///
/// # fn main() -> Result<(), Error> {
/// let client = Client::builder()
///     .base_url("https://api.example.com")
///     .token_provider(|| async {
///         let secret = token_from_vault().await.map_err(Error::token_provider)?;
///         Ok(AccessToken::new(secret).valid_for(Duration::from_secs(300)))
///     })
///     .build()?;
/// # Ok(())
/// # }
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// Fetches a new token. `http` is the client's own HTTP client (never the middleware
    /// stack), for providers that ask a token endpoint.
    fn fetch_token<'a>(&'a self, http: &'a reqwest::Client) -> TokenFuture<'a>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AccessToken, Error>> + Send + 'static,
{
    fn fetch_token<'a>(&'a self, _http: &'a reqwest::Client) -> TokenFuture<'a> {
        Box::pin(self())
    }
}

/// The OAuth 2.0 client-credentials grant (RFC 6749, section 4.4): the client asks a token
/// endpoint for an access token with its own id and secret, keeps the token, and asks again
/// shortly before it expires.
///
/// The request is a `POST` of the form `grant_type=client_credentials`, `client_id` and
/// `client_secret` (and `scope` when set): the `client_secret_post` method, which Keycloak and
/// most servers accept. The answer's `access_token` is used for `expires_in` seconds less a
/// margin (30 seconds by default, at most half the lifetime; see
/// [`refresh_before`](Self::refresh_before)). When the API answers `401`, the client fetches a
/// new token and sends the call once more.
///
/// The secret and the tokens never appear in `Debug` output, errors or logs; an error body
/// from the token endpoint has any copy of the secret masked.
///
/// # Example
///
/// ```no_run
/// use __crate__::{Client, ClientCredentials};
///
/// # fn main() -> Result<(), __crate__::Error> {
/// let realms = "https://keycloak.example.com/auth/realms";
/// let client = Client::builder()
///     .base_url(realms)
///     .client_credentials(ClientCredentials::keycloak(realms, "my-realm", "my-client", "its secret"))
///     .build()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    token_url: Option<String>,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    refresh_before: Duration,
    timeout: Duration,
}

impl ClientCredentials {
    /// Credentials for the token endpoint the spec declares (its OAuth 2.0 `clientCredentials`
    /// flow's `tokenUrl`, resolved against the client's base URL when relative). When the spec
    /// declares none, give one with [`token_url`](Self::token_url), or use
    /// [`keycloak`](Self::keycloak); otherwise building the client fails.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            token_url: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
            refresh_before: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }

    /// Credentials for a Keycloak realm (Phase Two is a Keycloak distribution). `realms_url` is
    /// the server's URL up to and including `/realms`, the same base URL the admin API uses,
    /// such as `https://app.phasetwo.io/auth/realms`; the token endpoint is
    /// `{realms_url}/{realm}/protocol/openid-connect/token`.
    pub fn keycloak(
        realms_url: impl AsRef<str>,
        realm: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        let realm = utf8_percent_encode(realm, PATH_SEGMENT);
        let url = format!("{}/{realm}/protocol/openid-connect/token", realms_url.as_ref().trim_end_matches('/'));
        Self::new(client_id, client_secret).token_url(url)
    }

    /// Asks this token endpoint instead of the spec's.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Asks for these scopes (space-separated, as OAuth 2.0 writes them).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Fetches a new token this long before the current one expires (30 seconds unless set;
    /// never more than half a token's lifetime).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Gives up on the token endpoint after this long (30 seconds unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The provider, its token URL resolved against the client's base URL.
    pub(crate) fn resolve(self, base_url: &str) -> Result<ClientCredentialsProvider, Error> {
        let given = self.token_url.as_deref().or(crate::SPEC_TOKEN_URL).ok_or_else(|| Error::InvalidTokenUrl {
            url: String::new(),
            reason: "none given, and the spec declares no OAuth 2.0 client-credentials flow; use \
                     `ClientCredentials::token_url` or `ClientCredentials::keycloak`"
                .to_owned(),
        })?;
        let invalid =
            |reason: String| Error::InvalidTokenUrl { url: crate::client::without_credentials(given), reason };
        let base = reqwest::Url::parse(base_url).map_err(|err| invalid(err.to_string()))?;
        let url = base.join(given).map_err(|err| invalid(err.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("credentials in the URL are not supported".to_owned()));
        }
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https".to_owned()));
        }
        Ok(ClientCredentialsProvider { url, credentials: self })
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .field("refresh_before", &self.refresh_before)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// [`ClientCredentials`] with the token URL settled.
pub(crate) struct ClientCredentialsProvider {
    url: reqwest::Url,
    credentials: ClientCredentials,
}

impl ClientCredentialsProvider {
    async fn fetch(&self, http: &reqwest::Client) -> Result<AccessToken, Error> {
        let credentials = &self.credentials;
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.client_secret.as_str()),
        ];
        if let Some(scope) = &credentials.scope {
            form.push(("scope", scope));
        }
        let unreachable = |source: reqwest::Error| Error::Token {
            reason: format!("the token endpoint {} could not be reached", self.url),
            source: Some(Box::new(source.without_url())),
        };
        let mut response = http
            .post(self.url.clone())
            .header(ACCEPT, "application/json")
            .form(&form)
            .timeout(credentials.timeout)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            let mut body = Vec::new();
            while body.len() <= MAX_ERROR_BODY {
                match response.chunk().await.map_err(unreachable)? {
                    Some(chunk) => body.extend_from_slice(&chunk),
                    None => break,
                }
            }
            let mut body = body_text(&body);
            if !credentials.client_secret.is_empty() {
                body = body.replace(&credentials.client_secret, "<redacted>");
            }
            return Err(Error::TokenEndpoint { url: self.url.to_string(), status, body });
        }
        let body = response.bytes().await.map_err(unreachable)?;
        // The body holds the token, so no error repeats it.
        let not_a_token = |what: &str| Error::Token {
            reason: format!("the token endpoint {} answered {status} without {what}", self.url),
            source: None,
        };
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|_| not_a_token("a JSON object"))?;
        let secret = answer
            .get("access_token")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| not_a_token("an `access_token`"))?;
        if let Some(kind) = answer.get("token_type").and_then(serde_json::Value::as_str) {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(not_a_token("a bearer token (`token_type` is not `Bearer`)"));
            }
        }
        let expires_in = match answer.get("expires_in") {
            Some(serde_json::Value::Number(seconds)) => seconds.as_f64(),
            Some(serde_json::Value::String(seconds)) => seconds.trim().parse().ok(),
            _ => None,
        };
        let token = AccessToken::new(secret);
        Ok(match expires_in.filter(|seconds| seconds.is_finite() && *seconds >= 0.0) {
            Some(seconds) => {
                let lifetime = Duration::from_secs_f64(seconds.min(u32::MAX.into()));
                token.valid_for(lifetime - credentials.refresh_before.min(lifetime / 2))
            }
            None => token,
        })
    }
}

impl TokenProvider for ClientCredentialsProvider {
    fn fetch_token<'a>(&'a self, http: &'a reqwest::Client) -> TokenFuture<'a> {
        Box::pin(self.fetch(http))
    }
}

/// The token a call was sent with, so that a `401` can retire exactly that one.
pub(crate) struct CurrentToken {
    pub(crate) header: HeaderValue,
    fetch: u64,
}

/// Keeps the provider's last token and makes sure one fetch at a time is under way.
pub(crate) struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    state: Mutex<CacheState>,
    /// Held while a fetch is under way; calls that need a token meanwhile wait here.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CacheState {
    /// The usable token, its header, and when it stops being usable.
    token: Option<(HeaderValue, Option<Instant>)>,
    /// Fetches finished so far (the number of the fetch that gave `token`).
    fetches: u64,
    /// A copy of the error of the last fetch, when it failed.
    failure: Option<Error>,
}

impl CacheState {
    fn current(&self) -> Option<CurrentToken> {
        let (header, until) = self.token.as_ref()?;
        let usable = until.is_none_or(|until| Instant::now() < until);
        usable.then(|| CurrentToken { header: header.clone(), fetch: self.fetches })
    }
}

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>) -> Self {
        Self { provider, state: Mutex::default(), fetching: tokio::sync::Mutex::new(()) }
    }

    fn state(&self) -> MutexGuard<'_, CacheState> {
        // The state is consistent after every statement, so a panic elsewhere cannot spoil it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A usable token: the kept one, or a new one from the provider.
    pub(crate) async fn token(&self, http: &reqwest::Client) -> Result<CurrentToken, Error> {
        let seen = {
            let state = self.state();
            if let Some(token) = state.current() {
                return Ok(token);
            }
            state.fetches
        };
        let _fetching = self.fetching.lock().await;
        {
            let state = self.state();
            if let Some(token) = state.current() {
                return Ok(token);
            }
            // A fetch finished while this call waited, and failed: that answer is this call's too.
            if let (true, Some(failure)) = (state.fetches != seen, &state.failure) {
                return Err(failure.shared_copy());
            }
        }
        tracing::debug!("fetching an access token");
        let fetched = self.provider.fetch_token(http).await.and_then(|token| {
            let mut header =
                HeaderValue::from_str(&format!("Bearer {}", token.secret)).map_err(|_| Error::InvalidHeader {
                    name: AUTHORIZATION.to_string(),
                    reason: "the access token has characters a header cannot carry",
                })?;
            header.set_sensitive(true);
            Ok((header, token.lifetime.map(|lifetime| Instant::now() + lifetime)))
        });
        let mut state = self.state();
        state.fetches += 1;
        match fetched {
            Ok((header, until)) => {
                state.token = Some((header.clone(), until));
                state.failure = None;
                Ok(CurrentToken { header, fetch: state.fetches })
            }
            Err(error) => {
                // Not the error's text: it names the token URL, which may hold a path value.
                tracing::debug!(status = ?error.status(), "no access token");
                state.token = None;
                state.failure = Some(error.shared_copy());
                Err(error)
            }
        }
    }

    /// Forgets `refused` (the API answered `401` to it), unless a newer token replaced it.
    pub(crate) fn refused(&self, refused: &CurrentToken) {
        let mut state = self.state();
        if state.fetches == refused.fetch {
            state.token = None;
        }
    }
}
