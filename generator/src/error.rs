//! The one error type of the generator: every failure names the spec file and, where the fault
//! is in the document, the JSON pointer of the offending node.

use std::fmt;

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Read {
        /// The spec file, as given.
        file: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The text is not valid YAML or JSON.
    #[error("{file}:{line}:{column}: not valid {format}: {message}")]
    Syntax {
        /// The spec file, as given.
        file: String,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line of the fault (0 when unknown).
        line: usize,
        /// 1-based column of the fault (0 when unknown).
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The document parsed but a node in it cannot be used.
    #[error("{file}#{pointer}: {message}")]
    Spec {
        /// The spec file, as given.
        file: String,
        /// JSON pointer (RFC 6901) of the node at fault; empty for the document root.
        pointer: String,
        /// What is wrong, and what to do about it.
        message: String,
    },
}

/// A fault at a node of the document, before the file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// JSON pointer of the node at fault.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A fault at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), message: message.into() }
    }

    /// Attaches the spec file's name.
    pub fn in_file(self, file: &str) -> Error {
        Error::Spec { file: file.to_owned(), pointer: self.pointer, message: self.message }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}: {}", self.pointer, self.message)
    }
}

/// Builds JSON pointers one token at a time, escaping `~` and `/` as RFC 6901 asks.
pub fn pointer(base: &str, token: impl fmt::Display) -> String {
    let token = token.to_string().replace('~', "~0").replace('/', "~1");
    format!("{base}/{token}")
}
