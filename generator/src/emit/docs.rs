//! Spec prose -> rustdoc. Descriptions are Markdown written for other renderers: code fences
//! must not become doctests, bare URLs and stray brackets or tags must not trip rustdoc's lints,
//! and characters rustc rejects in comments (bidi controls) must not get through.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = ...]` attributes, one per line of `text` (nothing when `text` is blank).
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = markdown_for_rustdoc(text);
    let lines = lines.iter().map(|line| if line.is_empty() { String::new() } else { format!(" {line}") });
    quote! { #( #[doc = #lines] )* }
}

/// Joins paragraphs, skipping empty ones, with a blank line between.
pub fn paragraphs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts.into_iter().flatten().map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// The lines of `text`, made safe for rustdoc.
pub fn markdown_for_rustdoc(text: &str) -> Vec<String> {
    let text: String = text.chars().filter(|c| !is_forbidden(*c)).collect();
    let mut lines = Vec::new();
    let mut in_fence = false;
    for line in text.trim().lines() {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let fence = &trimmed[..3];
            // An opening fence gets the `text` language so rustdoc does not compile it.
            lines.push(if in_fence { fence.to_owned() } else { format!("{fence}text") });
            in_fence = !in_fence;
        } else if in_fence {
            lines.push(line.to_owned());
        } else {
            lines.push(escape_line(cap_indent(line)));
        }
    }
    if in_fence {
        lines.push("```".to_owned());
    }
    lines
}

/// Four spaces of indentation would start an indented code block, which rustdoc runs as a
/// doctest; three keep list nesting without that.
fn cap_indent(line: &str) -> &str {
    let indent = line.len() - line.trim_start().len();
    &line[indent.saturating_sub(3)..]
}

fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// Escapes, outside inline code: `[`/`]` that are not a Markdown link, `<` that does not open
/// an autolink, and bare URLs (wrapped in `<>`).
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    let mut link_depth = 0usize;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            if let Some(url_len) = bare_url_len(rest) {
                let url = &rest[..url_len];
                if out.ends_with('(') || out.ends_with('<') {
                    out.push_str(url);
                } else {
                    out.push_str(&format!("<{url}>"));
                }
                rest = &rest[url_len..];
                continue;
            }
            let escaped = match c {
                '[' if is_link_start(rest) => {
                    link_depth += 1;
                    None
                }
                '[' => Some("\\["),
                ']' if link_depth > 0 => {
                    link_depth -= 1;
                    None
                }
                ']' => Some("\\]"),
                '<' if !(rest.starts_with("<http://") || rest.starts_with("<https://")) => Some("&lt;"),
                _ => None,
            };
            if let Some(escaped) = escaped {
                out.push_str(escaped);
                rest = &rest[1..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `[text](target)` where `text` has no brackets.
fn is_link_start(text: &str) -> bool {
    text[1..].find(']').is_some_and(|end| !text[1..end + 1].contains('[') && text[end + 2..].starts_with('('))
}

fn bare_url_len(text: &str) -> Option<usize> {
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    let end =
        text.find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"' || c == '`').unwrap_or(text.len());
    let url = text[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?']);
    Some(url.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_never_become_doctests() {
        let lines = markdown_for_rustdoc("Example:\n```\nfn main() {}\n```\n    indented();\n```rust\nx\n");
        assert_eq!(lines, ["Example:", "```text", "fn main() {}", "```", "   indented();", "```text", "x", "```"]);
    }

    #[test]
    fn urls_brackets_and_tags_are_made_safe() {
        assert_eq!(
            escape_line("See https://example.com/x. Use `a[0]` and [docs](https://d.io) not [id] <token>"),
            "See <https://example.com/x>. Use `a[0]` and [docs](https://d.io) not \\[id\\] &lt;token>"
        );
    }

    #[test]
    fn bidi_controls_and_nul_are_dropped() {
        assert_eq!(markdown_for_rustdoc("a\u{202E}b\u{0}c"), ["abc"]);
    }
}
