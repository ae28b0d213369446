//! The error type every call returns.

use reqwest::StatusCode;

/// Why a call, or building a client, failed.
///
/// Messages never contain a token, a client secret or other header values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header name or value cannot be sent (for example a value with a newline).
    #[error("invalid header `{name}`: {reason}")]
    InvalidHeader {
        /// The header's name.
        name: String,
        /// What is wrong; the value itself is never repeated here.
        reason: &'static str,
    },
    /// A path parameter would leave its segment of the path (`""`, `"."` or `".."`).
    #[error("invalid value for path parameter `{name}`: {reason}")]
    InvalidPathParameter {
        /// The parameter's name in the spec.
        name: &'static str,
        /// What is wrong with the value.
        reason: &'static str,
    },
    /// The OAuth 2.0 token URL is not an absolute `http` or `https` URL, or none is known.
    #[error("invalid token URL `{url}`: {reason}")]
    InvalidTokenUrl {
        /// The URL as given (empty when none was).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The OAuth 2.0 token endpoint answered with an error status, for example `401` for an
    /// unknown client or a wrong secret.
    #[error("the token endpoint {url} answered {status}{}", oauth_error(.body))]
    TokenEndpoint {
        /// The token endpoint.
        url: String,
        /// The status received.
        status: StatusCode,
        /// The response body as text (at most 64 KiB of it, like the other errors' bodies),
        /// with any copy of the client secret masked.
        body: String,
    },
    /// No access token could be had: the token endpoint could not be reached or did not answer
    /// with a bearer token, or a [`TokenProvider`](crate::TokenProvider) failed.
    #[error("could not get an access token: {reason}")]
    Token {
        /// What went wrong.
        reason: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The HTTP client could not be created.
    #[error("could not create the HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// The request body could not be serialized.
    #[error("{operation}: could not encode the request body")]
    Encode {
        /// The operation called.
        operation: &'static str,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
    /// The server answered with a status the spec documents for this operation.
    #[error("{operation}: {status}: {description}")]
    Documented {
        /// The operation called.
        operation: &'static str,
        /// The status received.
        status: StatusCode,
        /// What the spec says this status means.
        description: &'static str,
        /// The response body as text: invalid UTF-8 replaced, and at most 64 KiB of it, ending
        /// in `… [truncated]` when there was more.
        body: String,
    },
    /// The server answered with a status the spec does not document for this operation.
    #[error("{operation}: unexpected status {status}")]
    UnexpectedStatus {
        /// The operation called.
        operation: &'static str,
        /// The status received.
        status: StatusCode,
        /// The response body as text: invalid UTF-8 replaced, and at most 64 KiB of it, ending
        /// in `… [truncated]` when there was more.
        body: String,
    },
    /// No complete response arrived within the timeout.
    #[error("{operation}: timed out")]
    Timeout {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A layer of the `reqwest_middleware` client failed (not the request itself).
    #[cfg(feature = "middleware")]
    #[error("{operation}: a middleware failed")]
    Middleware {
        /// The operation called.
        operation: &'static str,
        /// What the middleware reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The request could not be sent or the response could not be read.
    #[error("{operation}: request failed")]
    Transport {
        /// The operation called.
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A success response's body is not what the spec describes.
    #[error("{operation}: could not decode the {status} response body")]
    Decode {
        /// The operation called.
        operation: &'static str,
        /// The status received.
        status: StatusCode,
        /// The response body as text: invalid UTF-8 replaced, and at most 64 KiB of it, ending
        /// in `… [truncated]` when there was more.
        body: String,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// An error for a [`TokenProvider`](crate::TokenProvider) of your own to return: it reaches
    /// the caller as [`Error::Token`], with `source` as its source.
    pub fn token_provider(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let source = source.into();
        Self::Token { reason: format!("the token provider failed: {source}"), source: Some(source) }
    }

    /// The HTTP status, when a response arrived (from the API, or from the token endpoint).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Documented { status, .. }
            | Self::UnexpectedStatus { status, .. }
            | Self::Decode { status, .. }
            | Self::TokenEndpoint { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The same error again, for every call that waited for one failed token fetch. A source
    /// that cannot be copied is kept as text.
    pub(crate) fn shared_copy(&self) -> Self {
        match self {
            Self::TokenEndpoint { url, status, body } => {
                Self::TokenEndpoint { url: url.clone(), status: *status, body: body.clone() }
            }
            Self::Token { reason, source } => {
                let cause = source.as_deref().map(|source| source as &(dyn std::error::Error + 'static));
                Self::Token { reason: with_causes(reason.clone(), cause), source: None }
            }
            other => {
                Self::Token { reason: with_causes(other.to_string(), std::error::Error::source(other)), source: None }
            }
        }
    }

    /// The response body as text, when a response arrived (at most 64 KiB of it; see the
    /// variants).
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Documented { body, .. }
            | Self::UnexpectedStatus { body, .. }
            | Self::Decode { body, .. }
            | Self::TokenEndpoint { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// `text`, then the text of each cause in turn, separated by `: `.
fn with_causes(mut text: String, mut cause: Option<&(dyn std::error::Error + 'static)>) -> String {
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

/// `: code (description)` from an OAuth 2.0 error body (RFC 6749, section 5.2), when it is one.
fn oauth_error(body: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    let text = |name: &str| {
        let text = fields.get(name).and_then(serde_json::Value::as_str)?;
        Some(text.chars().filter(|c| !c.is_control()).take(200).collect::<String>())
    };
    match (text("error"), text("error_description")) {
        (Some(code), Some(description)) => format!(": {code} ({description})"),
        (Some(code), None) => format!(": {code}"),
        _ => String::new(),
    }
}
