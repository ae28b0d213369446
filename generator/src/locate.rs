//! Finds the deepest node of a document that openapiv3 refuses.
//!
//! openapiv3's types use `#[serde(flatten)]` throughout, which hides where inside a path item
//! or schema deserialization failed. Only on that error path, this walks the document along
//! OpenAPI's structure, trying each child as its own type, and reports the deepest failure.

use crate::error::pointer;
use openapiv3::{Components, Operation, Parameter, PathItem, ReferenceOr, RequestBody, Response, Schema};
use serde_json::Value;

#[derive(Clone, Copy)]
enum Kind {
    Document,
    Info,
    Paths,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Responses,
    Response,
    Components,
    Schema,
}

/// The first schema, deepest first, that openapiv3 refuses, with the key at fault.
///
/// openapiv3 deserializes a schema by trying one shape after another (`#[serde(untagged)]`),
/// each of which deserializes the nested schemas again, so a bad schema nested `n` levels deep
/// costs `2^n` attempts: 16 levels take seconds. Checking every schema after the schemas inside
/// it are known good keeps each check linear, so the whole pass costs the size of the document
/// times its depth, and the typed deserialization that follows never backtracks far.
pub fn invalid_schema(document: &Value) -> Option<(String, String)> {
    let mut order = Vec::new();
    let mut stack = vec![(String::new(), document, Kind::Document)];
    while let Some((at, node, kind)) = stack.pop() {
        stack.extend(children(node, &at, kind));
        order.push((at, node, kind));
    }
    // Reversed pre-order: every node comes after all the nodes inside it.
    for (at, node, kind) in order.into_iter().rev() {
        if matches!(kind, Kind::Schema) && has_schema_inside(node) {
            if let Err(message) = check(node, kind) {
                return Some(locate(node, at, kind, message));
            }
        }
    }
    None
}

/// Whether a schema nests another one (a leaf schema is checked with its parent, cheaply).
fn has_schema_inside(node: &Value) -> bool {
    ["properties", "items", "additionalProperties", "allOf", "oneOf", "anyOf", "not"]
        .iter()
        .any(|key| node.get(key).is_some_and(|child| child.is_object() || child.is_array()))
}

/// The pointer and message of the deepest refused node under the document root.
pub fn deepest_failure(document: &Value, root_message: String) -> (String, String) {
    locate(document, String::new(), Kind::Document, root_message)
}

fn locate(node: &Value, at: String, kind: Kind, message: String) -> (String, String) {
    for (child_at, child, child_kind) in children(node, &at, kind) {
        if let Err(child_message) = check(child, child_kind) {
            return locate(child, child_at, child_kind, child_message);
        }
    }
    // Within the node: the one key whose removal makes the node valid is the one at fault.
    if let Value::Object(map) = node {
        for key in map.keys() {
            let mut without = map.clone();
            without.remove(key);
            if check(&Value::Object(without), kind).is_ok() {
                return (pointer(&at, key), message);
            }
        }
    }
    (at, message)
}

/// Whether `node` deserializes as `kind`; containers without a type of their own are as good as
/// their children.
fn check(node: &Value, kind: Kind) -> Result<(), String> {
    fn parse<T: serde::de::DeserializeOwned>(node: &Value) -> Result<(), String> {
        T::deserialize(node).map(drop).map_err(|err| err.to_string())
    }
    match kind {
        Kind::Document => parse::<openapiv3::OpenAPI>(node),
        Kind::Info => parse::<openapiv3::Info>(node),
        Kind::Paths | Kind::Responses => {
            children(node, "", kind).into_iter().try_for_each(|(_, child, child_kind)| check(child, child_kind))
        }
        Kind::PathItem => parse::<ReferenceOr<PathItem>>(node),
        Kind::Operation => parse::<Operation>(node),
        Kind::Parameter => parse::<ReferenceOr<Parameter>>(node),
        Kind::RequestBody => parse::<ReferenceOr<RequestBody>>(node),
        Kind::Response => parse::<ReferenceOr<Response>>(node),
        Kind::Components => parse::<Components>(node),
        Kind::Schema => parse::<ReferenceOr<Schema>>(node),
    }
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The children of `node` that have an OpenAPI type of their own.
fn children<'a>(node: &'a Value, at: &str, kind: Kind) -> Vec<(String, &'a Value, Kind)> {
    let mut found = Vec::new();
    let mut push = |path: &[&str], child_kind: Kind| {
        let mut current = node;
        let mut child_at = at.to_owned();
        for token in path {
            let next = match current {
                Value::Object(map) => map.get(*token),
                Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            let Some(next) = next else { return };
            current = next;
            child_at = pointer(&child_at, token);
        }
        found.push((child_at, current, child_kind));
    };
    let keys = |path: &str| -> Vec<String> {
        match node.get(path) {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            Some(Value::Array(items)) => (0..items.len()).map(|i| i.to_string()).collect(),
            _ => Vec::new(),
        }
    };
    let own_keys = || -> Vec<String> { node.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default() };
    match kind {
        Kind::Document => {
            push(&["info"], Kind::Info);
            push(&["components"], Kind::Components);
            push(&["paths"], Kind::Paths);
        }
        Kind::Paths => own_keys().iter().for_each(|k| push(&[k], Kind::PathItem)),
        Kind::PathItem => {
            keys("parameters").iter().for_each(|i| push(&["parameters", i], Kind::Parameter));
            METHODS.iter().for_each(|m| push(&[m], Kind::Operation));
        }
        Kind::Operation => {
            keys("parameters").iter().for_each(|i| push(&["parameters", i], Kind::Parameter));
            push(&["requestBody"], Kind::RequestBody);
            push(&["responses"], Kind::Responses);
        }
        Kind::Responses => own_keys().iter().for_each(|k| push(&[k], Kind::Response)),
        Kind::Info => {}
        Kind::Parameter => {
            push(&["schema"], Kind::Schema);
            keys("content").iter().for_each(|media| push(&["content", media, "schema"], Kind::Schema));
        }
        Kind::RequestBody | Kind::Response => {
            keys("content").iter().for_each(|media| push(&["content", media, "schema"], Kind::Schema));
            keys("headers").iter().for_each(|name| push(&["headers", name, "schema"], Kind::Schema));
        }
        Kind::Components => {
            keys("schemas").iter().for_each(|k| push(&["schemas", k], Kind::Schema));
            keys("parameters").iter().for_each(|k| push(&["parameters", k], Kind::Parameter));
            keys("requestBodies").iter().for_each(|k| push(&["requestBodies", k], Kind::RequestBody));
            keys("responses").iter().for_each(|k| push(&["responses", k], Kind::Response));
        }
        Kind::Schema => {
            keys("properties").iter().for_each(|k| push(&["properties", k], Kind::Schema));
            push(&["items"], Kind::Schema);
            if node.get("additionalProperties").is_some_and(Value::is_object) {
                push(&["additionalProperties"], Kind::Schema);
            }
            for list in ["allOf", "oneOf", "anyOf"] {
                keys(list).iter().for_each(|i| push(&[list, i], Kind::Schema));
            }
            push(&["not"], Kind::Schema);
        }
    }
    found
}
