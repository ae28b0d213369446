//! What to do about an error: a sentence added to the parsers' and openapiv3's messages, which
//! say what is wrong but not how to fix it.

/// The hint for a YAML or JSON syntax error, given the parser's message.
pub fn syntax(format: &str, message: &str) -> String {
    if message.contains("recursion limit exceeded") {
        return "the document nests more than 128 levels deep here, which no API description needs: \
                move nested schemas to #/components/schemas and refer to them with $ref"
            .to_owned();
    }
    if message.contains("repetition limit exceeded") {
        return "YAML aliases expand to too much text here (an alias of an alias of ...): \
                write the repeated parts out, or share them with $ref"
            .to_owned();
    }
    if message.contains("more than one document") {
        return "a second YAML document starts here, and an OpenAPI description is one document: remove the \
                second one (and the `---` or `...` line between them), or give each document a file of its own"
            .to_owned();
    }
    format!("fix the {format} syntax at that line and column (an unclosed bracket or quote, or wrong indentation, often shows up a little later than where it is)")
}

/// The hint for a node openapiv3 refuses, given its pointer and serde's message.
pub fn node(pointer: &str, message: &str) -> Option<String> {
    let last = pointer.rsplit('/').next().unwrap_or("");
    if last == "type" && message.contains("invalid type: sequence") {
        return Some(
            "a list of types is OpenAPI 3.1; in 3.0 give one type, and add `nullable: true` if null is allowed"
                .to_owned(),
        );
    }
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        let example = match field {
            "responses" => " (for example `responses: {\"200\": {description: OK}}`)",
            "info" => " (`info: {title: ..., version: ...}`)",
            "title" | "version" => " (`info` needs both `title` and `version`)",
            "description" if pointer.contains("/responses/") => {
                " (every response needs a `description`, even an empty one)"
            }
            "name" | "in" if pointer.contains("/parameters/") => " (every parameter needs `name` and `in`)",
            _ => "",
        };
        return Some(format!("add the required `{field}` field here{example}"));
    }
    // Otherwise serde's message says it already: `invalid type: ..., expected a boolean`.
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_say_what_to_change() {
        assert_eq!(
            node("/paths/~1a/get", "missing field `responses`").as_deref(),
            Some("add the required `responses` field here (for example `responses: {\"200\": {description: OK}}`)")
        );
        assert!(node("/x/schema/type", "invalid type: sequence, expected a string").is_some_and(|h| h.contains("3.1")));
        assert_eq!(node("/x", "something else"), None);
        assert!(syntax("JSON", "recursion limit exceeded at line 1 column 9").contains("128 levels"));
    }
}
