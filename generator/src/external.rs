//! External `$ref`s (`other.yaml#/components/schemas/Pet`): the nodes they point to are copied
//! into this document's `components` and the references rewritten to local ones, so every later
//! stage sees one self-contained document. Only files beside the spec are read.

use crate::error::{pointer, Diagnostic, Error};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// At most this many nodes are imported: a guard against documents that reference each other
/// without end.
const MAX_IMPORTS: usize = 10_000;

/// Rewrites every external `$ref` of `document` into a local one. `base_dir` is the spec's
/// folder; without it (text given without a file) an external reference is an error.
pub fn inline_external_refs(document: &mut Value, base_dir: Option<&Path>, file: &str) -> Result<(), Error> {
    let mut files: HashMap<PathBuf, Value> = HashMap::new();
    // (file, fragment) already imported -> the local reference that replaces it.
    let mut imported: HashMap<(PathBuf, String), String> = HashMap::new();
    loop {
        let pending = external_refs(document);
        if pending.is_empty() {
            return Ok(());
        }
        for (at, reference, origin) in pending {
            let (file_part, fragment) = reference.split_once('#').unwrap_or((reference.as_str(), ""));
            let Some(dir) = origin.as_deref().and_then(Path::parent).or(base_dir) else {
                return Err(Diagnostic::new(
                    at,
                    format!("`{reference}` refers to another file, but the spec was given as text without a folder to look in"),
                )
                .in_file(file));
            };
            // Absolute, so that references inside the imported node resolve from its own folder.
            let target = dir.join(file_part);
            let target = std::fs::canonicalize(&target).unwrap_or(target);
            let key = (target.clone(), fragment.to_owned());
            let local = match imported.get(&key) {
                Some(local) => local.clone(),
                None => {
                    if imported.len() >= MAX_IMPORTS {
                        return Err(Diagnostic::new(at, "too many external references to import").in_file(file));
                    }
                    let node = node_in(&mut files, &target, fragment, &reference, &at, file)?;
                    let node = rebase(node, &target);
                    let local = import(document, fragment, &target, node);
                    imported.insert(key, local.clone());
                    local
                }
            };
            set_reference(document, &at, local);
        }
    }
}

/// Every `$ref` that is not local: (pointer of the `$ref`, reference, file it came from).
/// References copied in from another file carry that file as an `x-origin` sibling.
fn external_refs(document: &Value) -> Vec<(String, String, Option<PathBuf>)> {
    let mut found = Vec::new();
    let mut stack = vec![(String::new(), document)];
    while let Some((at, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    if !reference.starts_with('#') {
                        let origin = map.get("x-origin").and_then(Value::as_str).map(PathBuf::from);
                        found.push((pointer(&at, "$ref"), reference.clone(), origin));
                    }
                }
                stack.extend(map.iter().map(|(key, value)| (pointer(&at, key), value)));
            }
            Value::Array(items) => stack.extend(items.iter().enumerate().map(|(i, v)| (pointer(&at, i), v))),
            _ => {}
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn node_in(
    files: &mut HashMap<PathBuf, Value>,
    target: &Path,
    fragment: &str,
    reference: &str,
    at: &str,
    file: &str,
) -> Result<Value, Error> {
    if !files.contains_key(target) {
        let text = std::fs::read_to_string(target).map_err(|err| {
            Diagnostic::new(at, format!("`{reference}`: cannot read {}: {err}", target.display())).in_file(file)
        })?;
        let value = crate::load::parse_value(&text, &target.display().to_string())?;
        files.insert(target.to_path_buf(), value);
    }
    let document = &files[target];
    let node = if fragment.is_empty() { Some(document) } else { document.pointer(fragment) };
    node.cloned().ok_or_else(|| {
        Diagnostic::new(at, format!("`{reference}` points to nothing: {} has no node at #{fragment}", target.display()))
            .in_file(file)
    })
}

/// Inside a node from another file, its local references are local to that file: make them
/// references into that file, marked with where they came from.
fn rebase(mut node: Value, from: &Path) -> Value {
    let mut stack = vec![&mut node];
    while let Some(current) = stack.pop() {
        match current {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref").cloned() {
                    let absolute = if let Some(fragment) = reference.strip_prefix('#') {
                        format!("{}#{fragment}", from.display())
                    } else {
                        reference
                    };
                    map.insert("$ref".into(), Value::String(absolute));
                    map.insert("x-origin".into(), Value::String(from.display().to_string()));
                }
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    node
}

/// Adds `node` under `components`, in the section its pointer names (schemas by default), with a
/// free name; returns the local reference to it.
fn import(document: &mut Value, fragment: &str, target: &Path, node: Value) -> String {
    let tokens: Vec<&str> = fragment.trim_start_matches('/').split('/').collect();
    let (section, name) = match tokens.as_slice() {
        ["components", section, name] => ((*section).to_owned(), (*name).to_owned()),
        [.., last] if !last.is_empty() => ("schemas".to_owned(), (*last).to_owned()),
        _ => ("schemas".to_owned(), target.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()),
    };
    let name = name.replace("~1", "/").replace("~0", "~");
    let Some(root) = document.as_object_mut() else { return String::new() };
    let components = root.entry("components").or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let Some(components) = components.as_object_mut() else { return String::new() };
    let table = components.entry(section.clone()).or_insert_with(|| Value::Object(Map::new()));
    if !table.is_object() {
        *table = Value::Object(Map::new());
    }
    let Some(table) = table.as_object_mut() else { return String::new() };
    let mut free = name.clone();
    let mut n = 2;
    while table.get(&free).is_some_and(|existing| *existing != node) {
        free = format!("{name}{n}");
        n += 1;
    }
    table.insert(free.clone(), node);
    format!("#/components/{section}/{}", free.replace('~', "~0").replace('/', "~1"))
}

fn set_reference(document: &mut Value, at: &str, local: String) {
    let holder = at.strip_suffix("/$ref").unwrap_or(at);
    if let Some(Value::Object(map)) = document.pointer_mut(holder) {
        map.insert("$ref".into(), Value::String(local));
        map.remove("x-origin");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_schema_in_another_file_is_imported_with_its_own_references() {
        let dir = std::env::temp_dir().join(format!("external-refs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(
            dir.join("pets.yaml"),
            "components:\n  schemas:\n    Pet: {type: object, properties: {owner: {$ref: '#/components/schemas/Owner'}}}\n    Owner: {type: string}\n",
        )
        .expect("write");
        let mut doc = json!({"paths": {"/p": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "pets.yaml#/components/schemas/Pet"}}}}}}}}});
        inline_external_refs(&mut doc, Some(&dir), "api.yaml").expect("imports");
        assert_eq!(
            doc["paths"]["/p"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        assert_eq!(
            doc["components"]["schemas"]["Pet"]["properties"]["owner"],
            json!({"$ref": "#/components/schemas/Owner"})
        );
        assert_eq!(doc["components"]["schemas"]["Owner"], json!({"type": "string"}));
        let err = inline_external_refs(&mut json!({"a": {"$ref": "missing.yaml#/x"}}), Some(&dir), "api.yaml")
            .expect_err("no such file");
        assert!(err.to_string().starts_with("api.yaml#/a/$ref: `missing.yaml#/x`: cannot read"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
