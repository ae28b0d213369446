//! Stage 1, load: text (YAML or JSON) -> `serde_json::Value` -> `openapiv3::OpenAPI`.
//!
//! Going through a JSON value first gives every later fault a JSON pointer, lets YAML's
//! non-string keys (`200:`) become the strings OpenAPI means, and lets the version be checked
//! before the typed deserializer produces a less helpful message.

use crate::error::{pointer, Diagnostic, Error};
use openapiv3::OpenAPI;
use serde_json::{Map, Value};

/// Parses a spec's text. `file` names the spec in errors.
pub fn load(text: &str, file: &str) -> Result<OpenAPI, Error> {
    load_in(text, file, None)
}

/// Parses a spec's text; references to other files are read from `base_dir`.
pub fn load_in(text: &str, file: &str, base_dir: Option<&std::path::Path>) -> Result<OpenAPI, Error> {
    let value = prepared_value(text, file, base_dir)?;
    // The typed document is read from the tree written out as compact JSON, with the tree
    // already freed: the tree and the typed document are never in memory together.
    let compact = serde_json::to_string(&value).map_err(|err| Diagnostic::new("", err.to_string()).in_file(file))?;
    drop(value);
    let mut deserializer = serde_json::Deserializer::from_str(&compact);
    // The tree's depth was bounded when it was parsed (and $refs to other files, inlined since,
    // can add a few levels); the stack the pipeline runs on is sized for it.
    deserializer.disable_recursion_limit();
    serde_path_to_error::deserialize::<_, OpenAPI>(&mut deserializer).map_err(|err| {
        let mut at = String::new();
        for segment in err.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => at = pointer(&at, index),
                serde_path_to_error::Segment::Map { key } => at = pointer(&at, key),
                serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
            }
        }
        // A position in the compact text means nothing to the reader; the pointer says where.
        let err = err.into_inner();
        let position = format!(" at line {} column {}", err.line(), err.column());
        let message = err.to_string();
        let message = message.strip_suffix(&position).unwrap_or(&message).to_owned();
        // The typed path stops at the first `#[serde(flatten)]`; look deeper when it does, in the
        // tree made again (this path is rare; the first tree was consumed).
        let (at, message) = match prepared_value(text, file, base_dir) {
            Ok(value) => match crate::locate::deepest_failure(&value, message.clone()) {
                (deeper, deeper_message) if deeper.len() > at.len() => (deeper, deeper_message),
                _ => (at, message),
            },
            Err(_) => (at, message),
        };
        refused(at, &message).in_file(file)
    })
}

/// The JSON tree the typed document is read from: parsed, version checked, other files' `$ref`s
/// inlined, 3.1 constructs normalized, schemas openapiv3 would misread refused.
fn prepared_value(text: &str, file: &str, base_dir: Option<&std::path::Path>) -> Result<Value, Error> {
    let mut value = parse_value(text, file)?;
    check_version(&value).map_err(|d| d.in_file(file))?;
    crate::external::inline_external_refs(&mut value, base_dir, file)?;
    crate::normalize::openapi_31_to_30(&mut value);
    if let Some((at, message)) = crate::locate::invalid_schema(&value) {
        return Err(refused(at, &message).in_file(file));
    }
    Ok(value)
}

/// The error for a node openapiv3 refuses, with what to do about it when that is known.
fn refused(at: String, message: &str) -> Diagnostic {
    let text = match crate::hints::node(&at, message) {
        Some(hint) => format!("not a valid OpenAPI 3.0 node: {message}; {hint}"),
        None => format!("not a valid OpenAPI 3.0 node: {message}"),
    };
    Diagnostic::new(at, text)
}

/// Parses a spec's text (YAML or JSON) into a JSON value, without checking it is OpenAPI.
/// `file` names the spec in errors.
pub fn parse_value(text: &str, file: &str) -> Result<Value, Error> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|err| Error::Syntax {
            file: file.to_owned(),
            format: "JSON",
            line: err.line(),
            column: err.column(),
            message: format!("{err}; {}", crate::hints::syntax("JSON", &err.to_string())),
        });
    }
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|err| {
        let location = err.location().or_else(|| second_document_at(text));
        Error::Syntax {
            file: file.to_owned(),
            format: "YAML",
            line: location.as_ref().map_or(0, |l| l.line()),
            column: location.as_ref().map_or(0, |l| l.column()),
            message: format!("{err}; {}", crate::hints::syntax("YAML", &err.to_string())),
        }
    })?;
    yaml.apply_merge().map_err(|err| Diagnostic::new("", format!("YAML merge key: {err}")).in_file(file))?;
    yaml_to_json(yaml, "").map_err(|d| d.in_file(file))
}

/// Where the second document of a YAML stream starts. serde_yaml refuses a stream of several
/// documents without saying where; it does say where a document holds what was not expected,
/// and the second one is read here as something no document can be.
fn second_document_at(text: &str) -> Option<serde_yaml::Location> {
    struct Nothing;
    impl<'de> serde::Deserialize<'de> for Nothing {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(NothingVisitor)
        }
    }
    struct NothingVisitor;
    impl serde::de::Visitor<'_> for NothingVisitor {
        type Value = Nothing;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("no second document")
        }
    }
    let second = serde_yaml::Deserializer::from_str(text).nth(1)?;
    <Nothing as serde::Deserialize>::deserialize(second).err()?.location()
}

/// YAML allows numbers, booleans and null as mapping keys; OpenAPI means strings by them
/// (`200:` is the status "200").
fn yaml_to_json(yaml: serde_yaml::Value, at: &str) -> Result<Value, Diagnostic> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| Diagnostic::new(at, format!("the number {n} has no JSON form")))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| yaml_to_json(item, &pointer(at, i)))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(entries) => {
            let mut map = Map::new();
            for (key, item) in entries {
                let mut key = key;
                // A tagged key (`!tag name:`) is its value; the tag means nothing to OpenAPI.
                while let Y::Tagged(tagged) = key {
                    key = tagged.value;
                }
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_owned(),
                    _ => {
                        return Err(Diagnostic::new(
                            at,
                            "a key of this mapping is a list or a mapping; keys must be text, \
                             numbers or booleans (quote the key if it is meant as text)",
                        ))
                    }
                };
                let value = yaml_to_json(item, &pointer(at, &key))?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value, at)?,
    })
}

fn check_version(doc: &Value) -> Result<(), Diagnostic> {
    let Some(root) = doc.as_object() else {
        return Err(Diagnostic::new("", "the document must be a mapping with an `openapi` field"));
    };
    if let Some(swagger) = root.get("swagger") {
        return Err(Diagnostic::new(
            "/swagger",
            format!(
                "this is a Swagger {} document; convert it to OpenAPI 3.0 first (for example with swagger2openapi)",
                swagger.as_str().unwrap_or("2.0")
            ),
        ));
    }
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0") || v.starts_with("3.1") => Ok(()),
        Some(v) => Err(Diagnostic::new(
            "/openapi",
            format!("OpenAPI {v} is not supported; this generator reads OpenAPI 3.0.x and 3.1.x documents"),
        )),
        None => Err(Diagnostic::new("", "missing the `openapi` version field: is this an OpenAPI document?")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        load(text, "api.yaml").expect_err("the document should be refused").to_string()
    }

    #[test]
    fn yaml_integer_status_keys_become_strings() {
        let api = load(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n",
            "api.yaml",
        )
        .expect("valid document");
        let op = api.paths.paths["/a"].as_item().and_then(|p| p.get.as_ref()).expect("GET /a");
        assert!(op.responses.responses.contains_key(&openapiv3::StatusCode::Code(200)));
    }

    #[test]
    fn invalid_yaml_names_file_line_and_column() {
        let message = error_of("openapi: 3.0.0\ninfo: [unclosed\n");
        assert!(
            message.starts_with("api.yaml:3:1: not valid YAML: did not find expected ',' or ']' at line 3 column 1, while parsing a flow sequence at line 2 column 7; fix the YAML syntax"),
            "{message}"
        );
    }

    #[test]
    fn swagger_2_is_refused_with_the_conversion_needed() {
        assert!(error_of("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
            .starts_with("api.yaml#/swagger: this is a Swagger 2.0 document; convert it to OpenAPI 3.0"));
    }

    #[test]
    fn structural_fault_names_its_json_pointer() {
        let message = error_of("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters: 7\n      responses: {}\n");
        assert!(message.starts_with("api.yaml#/paths/~1a/get/parameters: not a valid OpenAPI 3.0 node"), "{message}");
    }
}
