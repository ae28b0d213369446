//! The error type every call returns.

use reqwest::StatusCode;

/// Why a call, or building a client, failed.
///
/// Messages never contain the bearer token or other header values.
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
    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Documented { status, .. } | Self::UnexpectedStatus { status, .. } | Self::Decode { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The response body as text, when a response arrived (at most 64 KiB of it; see the
    /// variants).
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::Documented { body, .. } | Self::UnexpectedStatus { body, .. } | Self::Decode { body, .. } => {
                Some(body)
            }
            _ => None,
        }
    }
}
