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

/// `text` when it has something to show once made safe (a description of only bidi controls
/// or spaces has not), so that the caller's fallback documents the item instead.
pub fn visible(text: Option<&str>) -> Option<&str> {
    text.filter(|t| t.chars().any(|c| !c.is_whitespace() && !is_forbidden(c)))
}

/// Joins paragraphs, skipping empty ones, with a blank line between. A code block left open
/// in one part is closed at its end, so that it cannot swallow the parts after it.
pub fn paragraphs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| match open_fence_at_end(part) {
            Some(c) => format!("{part}\n{c}{c}{c}"),
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The fence character of a code block `text` leaves open, by the rules of
/// [`markdown_for_rustdoc`].
fn open_fence_at_end(text: &str) -> Option<char> {
    let mut fence = None;
    for line in text.lines() {
        let trimmed = line.trim();
        fence = match fence {
            None => fence_char(trimmed),
            Some(c) if fence_char(trimmed) == Some(c) && trimmed.trim_start_matches(c).is_empty() => None,
            open => open,
        };
    }
    fence
}

/// The lines of `text`, made safe for rustdoc: no line of it can start a code block that
/// rustdoc would compile and run as a doctest, or hold a character rustc refuses in a comment.
pub fn markdown_for_rustdoc(text: &str) -> Vec<String> {
    let text: String = text.chars().filter(|c| !is_forbidden(*c)).collect();
    let mut lines = Vec::new();
    // The fence character of the code block we are in: only a bare fence of the same character
    // closes it, as in CommonMark, so our idea of what is code never drifts from rustdoc's.
    let mut fence: Option<char> = None;
    for line in text.trim().lines() {
        let line = line.trim_end();
        let trimmed = line.trim_start();
        match fence {
            None => {
                if let Some(c) = fence_char(trimmed) {
                    // An opening fence gets the `text` language so rustdoc does not compile it.
                    lines.push(format!("{c}{c}{c}text"));
                    fence = Some(c);
                } else {
                    lines.push(escape_line(&no_code_start(line)));
                }
            }
            Some(c) => {
                if fence_char(trimmed) == Some(c) && trimmed.trim_start_matches(c).trim().is_empty() {
                    lines.push(format!("{c}{c}{c}"));
                    fence = None;
                } else {
                    lines.push(line.to_owned());
                }
            }
        }
    }
    if let Some(c) = fence {
        lines.push(format!("{c}{c}{c}"));
    }
    lines
}

/// `text` on one line, for a sentence the generator writes around it: line breaks become
/// spaces, and characters that may not appear in a comment are dropped.
pub fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}') { ' ' } else { c })
        .filter(|c| !is_forbidden(*c))
        .collect()
}

/// `text` as a Markdown code span on one line: shown as it is, whatever it contains.
pub fn code_span(text: &str) -> String {
    let text = single_line(text);
    if text.is_empty() {
        return "(the empty string)".to_owned();
    }
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest_run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// `"```"` or `"~~~"` at the start of `text`: the character of a fence.
fn fence_char(text: &str) -> Option<char> {
    ['`', '~'].into_iter().find(|c| text.starts_with(&c.to_string().repeat(3)))
}

/// A line that cannot open a code block: rustdoc compiles indented code blocks (four columns
/// of indentation, at the start of a line or after a list or quote marker) and fenced ones
/// (also after such markers) as doctests. Tabs become spaces, runs of more than three spaces
/// become three, and a fence after markers is escaped.
fn no_code_start(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut spaces = 0;
    for c in line.chars() {
        if c == ' ' || c == '\t' {
            spaces += 1;
            if spaces <= 3 {
                out.push(' ');
            }
        } else {
            spaces = 0;
            out.push(c);
        }
    }
    let markers = container_markers_len(&out);
    if markers > 0 && fence_char(&out[markers..]).is_some() {
        out.insert(markers, '\\');
    }
    out
}

/// The length of the block-quote and list markers (with their spaces) that start `line`.
fn container_markers_len(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let followed_by_space = |at: usize| at >= bytes.len() || bytes[at] == b' ';
        let quote = i < bytes.len() && bytes[i] == b'>';
        let bullet = i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'*') && followed_by_space(i + 1);
        if quote || bullet {
            i += 1;
        } else {
            let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let after = i + digits;
            if digits > 0 && after < bytes.len() && matches!(bytes[after], b'.' | b')') && followed_by_space(after + 1)
            {
                i = after + 1;
            } else {
                return i;
            }
        }
    }
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

/// `[text](target)` where `text` has no brackets. Looks no further than the next bracket, so a
/// line of thousands of `[` takes linear time.
fn is_link_start(text: &str) -> bool {
    let after = &text[1..];
    match after.find(['[', ']']) {
        Some(end) if after.as_bytes()[end] == b']' => after[end + 1..].starts_with('('),
        _ => false,
    }
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

    #[test]
    fn code_blocks_cannot_start_after_tabs_list_or_quote_markers() {
        let lines =
            markdown_for_rustdoc("a\n\n\tpwned();\n\n-     pwned();\n\n> ```rust\n> pwned();\n\n1. ~~~\n   pwned();");
        assert_eq!(
            lines,
            ["a", "", " pwned();", "", "-   pwned();", "", "> \\```rust", "> pwned();", "", "1. \\~~~", "   pwned();"]
        );
    }

    #[test]
    fn only_a_bare_fence_of_the_same_character_closes_a_block() {
        let lines = markdown_for_rustdoc("~~~\n```\nstill text\n```rust\n~~~\nafter");
        assert_eq!(lines, ["~~~text", "```", "still text", "```rust", "~~~", "after"]);
    }

    #[test]
    fn wide_whitespace_before_text_does_not_split_a_character() {
        assert_eq!(markdown_for_rustdoc("x\n\u{a0}\u{a0}\u{a0}\u{a0}y"), ["x", "\u{a0}\u{a0}\u{a0}\u{a0}y"]);
    }

    #[test]
    fn long_lines_of_brackets_take_linear_time() {
        let started = std::time::Instant::now();
        let lines = markdown_for_rustdoc(&"[".repeat(200_000));
        assert_eq!(lines[0].len(), 400_000, "every bracket is escaped");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    }

    #[test]
    fn single_lines_and_code_spans_hold_any_text() {
        assert_eq!(single_line("a\nb\r\nc\u{2028}d\u{202E}e"), "a b  c de");
        assert_eq!(code_span("plain"), "`plain`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x``"), "``` `x`` ```");
        assert_eq!(code_span(""), "(the empty string)");
        assert_eq!(code_span("two\nlines"), "`two lines`");
    }

    #[test]
    fn a_fence_left_open_in_one_paragraph_is_closed_before_the_next() {
        let text = paragraphs([Some("intro\n```\nleft open"), Some("Success: 200."), Some("~~~\nx\n~~~")]);
        assert_eq!(text, "intro\n```\nleft open\n```\n\nSuccess: 200.\n\n~~~\nx\n~~~");
        assert_eq!(markdown_for_rustdoc(&text)[5], "Success: 200.");
    }
}
