//! The one error type of the generator: every failure names the spec file and, where the fault
//! is in the document, the JSON pointer of the offending node.

use std::fmt;

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file could not be read.
    #[error("{}: cannot read the file: {source}", printable(.file))]
    Read {
        /// The spec file, as given.
        file: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The text is not valid YAML or JSON.
    #[error("{}:{line}:{column}: not valid {format}: {}", printable(.file), printable(.message))]
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
    #[error("{}#{}: {}", printable(.file), printable(.pointer), printable(.message))]
    Spec {
        /// The spec file, as given.
        file: String,
        /// JSON pointer (RFC 6901) of the node at fault; empty for the document root.
        pointer: String,
        /// What is wrong, and what to do about it.
        message: String,
    },
}

/// `text` safe to print on a terminal: spec text in a message (a key, a `$ref`, a value) keeps
/// its control characters (an escape sequence could clear the screen or fake output) and bidi
/// controls (which reorder what is shown) only as `\u{..}` escapes.
pub fn printable(text: &str) -> String {
    let escaped = |c: char| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if !text.chars().any(escaped) {
        return text.to_owned();
    }
    text.chars().map(|c| if escaped(c) { c.escape_unicode().to_string() } else { c.to_string() }).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_print_control_and_bidi_characters_as_escapes() {
        let err =
            Diagnostic::new("/paths/a\u{1b}[2J", "`#/x\u{202e}y` points to nothing\nfake: line").in_file("api.yaml");
        assert_eq!(err.to_string(), "api.yaml#/paths/a\\u{1b}[2J: `#/x\\u{202e}y` points to nothing\\u{a}fake: line");
        let Error::Spec { pointer, .. } = err else { panic!("a spec error") };
        assert_eq!(pointer, "/paths/a\u{1b}[2J", "the fields keep the text as it is");
    }
}
