//! OpenAPI 3.1 -> 3.0: openapiv3 reads 3.0 only, so a 3.1 document is rewritten into the 3.0
//! form of the same meaning before it is deserialized. Runs on the JSON value, schema by schema.

use serde_json::{json, Map, Value};

/// Rewrites a 3.1 document in place; a 3.0 document is left as it is.
pub fn openapi_31_to_30(document: &mut Value) {
    let Some(root) = document.as_object_mut() else { return };
    let is_31 = root.get("openapi").and_then(Value::as_str).is_some_and(|v| v.starts_with("3.1"));
    if !is_31 {
        return;
    }
    root.insert("openapi".into(), json!("3.0.3"));
    // Webhooks are requests the API sends, not calls a client makes; 3.0 has no place for them.
    root.remove("webhooks");
    root.remove("jsonSchemaDialect");
    root.entry("paths").or_insert_with(|| json!({}));
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.remove("pathItems");
    }
    for_each_schema_root(document, &mut |schema| normalize_schema(schema, 0));
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Calls `f` on every schema that is not nested in another schema.
fn for_each_schema_root(document: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    fn in_content(node: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        for media in node.get_mut("content").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
            if let Some(schema) = media.get_mut("schema") {
                f(schema);
            }
        }
    }
    fn parameter_or_header(node: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        if let Some(schema) = node.get_mut("schema") {
            f(schema);
        }
        in_content(node, f);
    }
    fn response(node: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        in_content(node, f);
        for header in node.get_mut("headers").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
            parameter_or_header(header, f);
        }
    }
    fn operation_like(node: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        for parameter in node.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            parameter_or_header(parameter, f);
        }
        if let Some(body) = node.get_mut("requestBody") {
            in_content(body, f);
        }
        for r in node.get_mut("responses").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
            response(r, f);
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            operation_like(item, f);
            for method in METHODS {
                if let Some(operation) = item.get_mut(*method) {
                    operation_like(operation, f);
                }
            }
        }
    }
    let Some(components) = document.get_mut("components").and_then(Value::as_object_mut) else { return };
    for schema in components.get_mut("schemas").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut())
    {
        f(schema);
    }
    for p in components.get_mut("parameters").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
        parameter_or_header(p, f);
    }
    for h in components.get_mut("headers").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
        parameter_or_header(h, f);
    }
    for r in components.get_mut("responses").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
        response(r, f);
    }
    for b in components.get_mut("requestBodies").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut())
    {
        in_content(b, f);
    }
}

/// Deeper than this, schemas are left as they are; the lower stage reports the depth.
const MAX_DEPTH: usize = 256;

fn normalize_schema(schema: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(map) = schema.as_object_mut() else { return };
    normalize_type(map);
    if let Some(value) = map.remove("const") {
        map.insert("enum".into(), json!([value]));
    }
    if let Some(Value::Array(examples)) = map.remove("examples") {
        if let Some(first) = examples.into_iter().next() {
            map.entry("example").or_insert(first);
        }
    }
    for (exclusive, inclusive) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(bound) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
            map.insert(inclusive.into(), bound);
            map.insert(exclusive.into(), json!(true));
        }
    }
    drop_unrepresentable_integer_bounds(map);
    for key in ["properties", "patternProperties", "$defs"] {
        for nested in map.get_mut(key).and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
            normalize_schema(nested, depth + 1);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(nested) = map.get_mut(key) {
            normalize_schema(nested, depth + 1);
        }
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        for nested in map.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten() {
            normalize_schema(nested, depth + 1);
        }
    }
}

/// `type: [T, "null"]` is 3.0's `type: T, nullable: true`; several non-null types leave the
/// schema untyped (any JSON value).
fn normalize_type(map: &mut Map<String, Value>) {
    let types: Vec<String> = match map.get("type") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(t)) if t == "null" => vec!["null".to_owned()],
        _ => return,
    };
    let nullable = types.iter().any(|t| t == "null");
    let others: Vec<&String> = types.iter().filter(|t| *t != "null").collect();
    match others.as_slice() {
        [only] => {
            map.insert("type".into(), json!(only));
        }
        _ => {
            map.remove("type");
        }
    }
    if nullable {
        map.insert("nullable".into(), json!(true));
    }
}

/// openapiv3 holds integer bounds as `i64`; a bound beyond that range constrains nothing a
/// Rust integer could hold anyway.
fn drop_unrepresentable_integer_bounds(map: &mut Map<String, Value>) {
    if map.get("type").and_then(Value::as_str) != Some("integer") {
        return;
    }
    for key in ["minimum", "maximum", "multipleOf"] {
        if map.get(key).is_some_and(|v| v.as_i64().is_none()) {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_constructs_of_31_become_30() {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "webhooks": {"x": {}},
            "components": {"schemas": {"A": {
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"], "examples": ["ada"]},
                    "kind": {"const": "a"},
                    "age": {"type": "integer", "exclusiveMinimum": 0, "maximum": 18446744073709551615u64},
                    "const": {"type": "string"}
                }
            }}}
        });
        openapi_31_to_30(&mut doc);
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc.get("webhooks").is_none());
        assert_eq!(doc["paths"], json!({}));
        let properties = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(properties["name"], json!({"type": "string", "nullable": true, "example": "ada"}));
        assert_eq!(properties["kind"], json!({"enum": ["a"]}));
        assert_eq!(properties["age"], json!({"type": "integer", "exclusiveMinimum": true, "minimum": 0}));
        assert_eq!(properties["const"], json!({"type": "string"}), "a property named `const` is not the keyword");
    }
}
