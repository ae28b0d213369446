//! The whole spec, every tag, as a throw-away client crate with one contract test per check:
//! a call Prism must accept for each operation (its decoded result compared with the JSON that
//! came), each documented error status forced with `Prefer: code=...`, and a call without a
//! token.
//!
//! Arguments are dummy values derived from the intermediate model: numbers `1`, `true`, the
//! first value of an enumeration, [`HOSTILE_STRING`] for string parameters, and JSON bodies
//! with every property of the schema filled (strings `"x"`). The crate lives in `target/contract/all-tags-client/`.

use super::NO_TOKEN_REALM;
use crate::files;
use anyhow::{Context, Result};
use openapi_codegen::model::{
    Api, BodyKind, Operation, ParameterLocation, StatusMatch, SuccessBody, TypeKind, TypeRef,
};
use openapi_codegen::{CrateOptions, Options};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The value of every string parameter but the first path one: if the client failed to encode
/// it, it would leave its path segment (`/`, `?`, `#`), or add a query parameter that Prism
/// rejects (`&max=oops`, where `max` is an integer) or cut the query short (`#`).
pub const HOSTILE_STRING: &str = "a b/c?d&max=oops#e%f.é";

/// The generated crate's package name.
pub const CRATE_NAME: &str = "phasetwo-all-tags-client";
/// The test target inside it.
pub const TEST_NAME: &str = "all_operations";

/// The crate written for the contract run.
pub struct AllTags {
    /// Its folder.
    pub dir: PathBuf,
    /// Every operation of the spec, as generated.
    pub api: Api,
    /// How many tests `tests/all_operations.rs` holds.
    pub tests: usize,
}

/// Generates the all-tags client and its contract tests into `target/contract/all-tags-client`.
pub fn write(root: &Path) -> Result<AllTags> {
    let spec = root.join(crate::codegen::DEFAULT_SPEC);
    let text = std::fs::read_to_string(&spec).with_context(|| format!("reading {}", spec.display()))?;
    let label = crate::codegen::DEFAULT_SPEC;
    let api = openapi_codegen::model(&text, label, &[])?;
    let options = Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: CRATE_NAME.to_owned(), spec_label: label.to_owned() },
    };
    let mut wanted: Vec<(String, String)> = Vec::new();
    for file in openapi_codegen::generate(&text, label, &options)? {
        let contents = if file.path == "Cargo.toml" { test_manifest(&file.contents) } else { file.contents };
        wanted.push((file.path, contents));
    }
    let (tests, count) = test_file(&api, &options.crate_options.lib_name());
    wanted.push((format!("tests/{TEST_NAME}.rs"), tests));
    // The workspace's lock file, so the throw-away crate builds with the same dependency
    // versions (and reuses their build in the shared target folder).
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    wanted.push(("Cargo.lock".to_owned(), lock));

    let dir = root.join("target").join("contract").join("all-tags-client");
    for (relative, contents) in &wanted {
        let path = dir.join(relative);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            files::write_atomically(&path, contents)?;
        }
    }
    Ok(AllTags { dir, api, tests: count })
}

/// The generated manifest, plus what the tests need, as a workspace of its own (it sits inside
/// this one's `target/`).
fn test_manifest(generated: &str) -> String {
    // Generated manifests have tokio with `macros` and `rt-multi-thread` as a dev-dependency
    // already (for examples); a second entry would be a duplicate key.
    let tokio = if generated.contains("[dev-dependencies.tokio]") {
        ""
    } else {
        "\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n"
    };
    format!("{generated}{tokio}\n[workspace]\n")
}

/// `tests/all_operations.rs` and the number of tests in it.
fn test_file(api: &Api, lib: &str) -> (String, usize) {
    let mut out = String::new();
    let mut tests = 0;
    let _ = write!(
        out,
        r##"//! Written by `cargo xtask contract` from spec/phasetwo.yaml: one test per contract check of
//! every operation of the spec, against the Prism server at ${url_var}.
#![allow(non_snake_case, unused_imports, unused_variables, clippy::all)]

use {lib}::{{Call, Client, Error, RawResponse}};
use serde_json::Value;

const REALM_FOR_NO_TOKEN: &str = {no_token:?};

fn url() -> String {{
    std::env::var({url_var:?}).expect("{url_var} is set by `cargo xtask contract`")
}}

fn client() -> Client {{
    Client::builder().base_url(url()).bearer_token("contract-test-token").build().expect("client")
}}

fn client_without_token() -> Client {{
    Client::new(url()).expect("client")
}}

fn example<T: serde::de::DeserializeOwned>(json: &str) -> T {{
    serde_json::from_str(json).unwrap_or_else(|e| panic!("example {{json}}: {{e}}"))
}}

/// Numbers compared by value, so `1` and `1.0` are the same.
fn normalized(value: Value) -> Value {{
    match value {{
        Value::Number(n) => n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, normalized(v))).collect()),
        other => other,
    }}
}}

fn assert_success_status(raw: &RawResponse, documented: &[u16]) {{
    assert!(documented.contains(&raw.status.as_u16()), "{{}} is not among the documented successes {{documented:?}}", raw.status);
}}

fn assert_round_trip<T: serde::Serialize>(raw: &RawResponse, decoded: &T) {{
    let sent: Value = serde_json::from_slice(&raw.body).expect("Prism sent JSON");
    let again = serde_json::to_value(decoded).expect("the decoded value encodes");
    assert_eq!(normalized(again), normalized(sent), "decoding lost or changed data");
}}

fn assert_documented(result: Result<(), Error>, operation: &str, code: u16, description: &str) {{
    match result {{
        Err(Error::Documented {{ operation: op, status, description: said, .. }}) => {{
            assert_eq!(op, operation);
            assert_eq!(status.as_u16(), code);
            assert_eq!(said, description);
        }}
        other => panic!("expected Error::Documented with {{code}}, got {{other:?}}"),
    }}
}}

fn assert_unauthorized(result: Result<(), Error>, operation: &str) {{
    let error = result.expect_err("Prism rejects a request without a token");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{{error:?}}");
    let text = error.to_string();
    assert!(text.starts_with(operation) && text.contains("401"), "not a clear message: {{text}}");
}}
"##,
        url_var = super::PRISM_URL_VAR,
        no_token = NO_TOKEN_REALM,
    );
    for op in &api.operations {
        tests += operation_tests(&mut out, api, op, lib);
    }
    (out, tests)
}

/// The call builder and the tests of one operation; returns how many tests it wrote.
fn operation_tests(out: &mut String, api: &Api, op: &Operation, lib: &str) -> usize {
    let name = &op.name;
    let output = match &op.success.body {
        SuccessBody::Empty => "()".to_owned(),
        SuccessBody::Optional(ty, _) => format!("Option<{}>", rust_type(ty, lib)),
        other => other.type_ref().map_or_else(|| "()".to_owned(), |ty| rust_type(&ty, lib)),
    };
    let first_path = op.parameters.iter().position(|p| p.location == ParameterLocation::Path);
    let mut lets = String::new();
    let mut arguments = Vec::new();
    for (i, parameter) in op.parameters.iter().enumerate() {
        let variable = format!("p{i}");
        if Some(i) == first_path {
            arguments.push("first_path".to_owned());
            continue;
        }
        let value = match parameter.ty {
            TypeRef::String => json!(HOSTILE_STRING),
            _ => example(api, &parameter.ty, 0),
        };
        let _ =
            writeln!(lets, "    let {variable}: {} = example({:?});", rust_type(&parameter.ty, lib), value.to_string());
        let by_value = matches!(
            parameter.ty,
            TypeRef::Bool | TypeRef::Integer(_) | TypeRef::F32 | TypeRef::F64 | TypeRef::Named(_)
        );
        arguments.push(pass(&variable, &parameter.ty, by_value, parameter.required));
    }
    if let Some(body) = &op.body {
        match &body.kind {
            BodyKind::Json(ty) | BodyKind::Form(ty) => {
                let _ = writeln!(
                    lets,
                    "    let body: {} = example({:?});",
                    rust_type(ty, lib),
                    example(api, ty, 0).to_string()
                );
                let by_value = matches!(ty, TypeRef::Bool | TypeRef::Integer(_) | TypeRef::F32 | TypeRef::F64);
                arguments.push(pass("body", ty, by_value, body.required));
            }
            BodyKind::Text if body.required => arguments.push("\"text\"".to_owned()),
            BodyKind::Text => arguments.push("Some(\"text\")".to_owned()),
            BodyKind::Multipart { .. } => {
                arguments.push("\"multipart/form-data; boundary=contract\"".to_owned());
                arguments.push(if body.required { "Vec::<u8>::new()" } else { "Some(Vec::<u8>::new())" }.to_owned());
            }
            BodyKind::Raw if body.required => arguments.push("Vec::<u8>::new()".to_owned()),
            BodyKind::Raw => arguments.push("Some(Vec::<u8>::new())".to_owned()),
        }
    }
    let _ = write!(
        out,
        "\n/// `{} {}`\nfn call_{name}<'c>(client: &'c Client, first_path: &str) -> Call<'c, {output}> {{\n{lets}    let _ = first_path;\n    client.{name}({})\n}}\n",
        op.method,
        op.path,
        arguments.join(", ")
    );
    let statuses: Vec<String> = op.success.statuses.iter().map(u16::to_string).collect();
    // Only a plain JSON result is the body itself; options and outcome enums wrap it.
    let round_trip = match &op.success.body {
        SuccessBody::Json(_) => "    assert_round_trip(&raw, &decoded);\n",
        _ => "    let _ = decoded;\n",
    };
    let _ = write!(
        out,
        "\n#[tokio::test]\nasync fn {name}__accepted() {{\n    let raw = call_{name}(&client(), \"contract-realm\").send_raw().await.expect(\"Prism accepts the request\");\n    assert_success_status(&raw, &[{}]);\n    let decoded = call_{name}(&client(), \"contract-realm\").await.expect(\"the response decodes\");\n{round_trip}}}\n",
        statuses.join(", ")
    );
    let mut tests = 1;
    for error in &op.errors {
        // Prism can be asked for an exact status only; ranges and `default` have none.
        let StatusMatch::Code(code) = error.status else { continue };
        let _ = write!(
            out,
            "\n#[tokio::test]\nasync fn {name}__documented_{code}() {{\n    let result = call_{name}(&client(), \"contract-realm\").header(\"Prefer\", \"code={code}\").await.map(drop);\n    assert_documented(result, {name:?}, {code}, {:?});\n}}\n",
            error.description.trim()
        );
        tests += 1;
    }
    if first_path.is_some() {
        let _ = write!(
            out,
            "\n#[tokio::test]\nasync fn {name}__without_token() {{\n    let result = call_{name}(&client_without_token(), REALM_FOR_NO_TOKEN).await.map(drop);\n    assert_unauthorized(result, {name:?});\n}}\n"
        );
        tests += 1;
    }
    tests
}

/// How a variable holding a value of `ty` is passed to a generated method: the generator takes
/// scalars (and parameters' enumerations) by value, strings as `&str`, lists as slices and
/// everything else by reference; optional ones in an `Option`.
fn pass(variable: &str, ty: &TypeRef, by_value: bool, required: bool) -> String {
    let value = match ty {
        _ if by_value => variable.to_owned(),
        TypeRef::String => format!("{variable}.as_str()"),
        TypeRef::List(_) => format!("{variable}.as_slice()"),
        _ => format!("&{variable}"),
    };
    if required {
        value
    } else {
        format!("Some({value})")
    }
}

/// The Rust type of `ty` in the generated crate `lib`.
fn rust_type(ty: &TypeRef, lib: &str) -> String {
    match ty {
        TypeRef::String => "String".to_owned(),
        TypeRef::Bool => "bool".to_owned(),
        TypeRef::Integer(int) => int.rust_name().to_owned(),
        TypeRef::F32 => "f32".to_owned(),
        TypeRef::F64 => "f64".to_owned(),
        TypeRef::Json => "serde_json::Value".to_owned(),
        TypeRef::Named(name) => format!("{lib}::models::{name}"),
        TypeRef::List(item) => format!("Vec<{}>", rust_type(item, lib)),
        TypeRef::Map(value) => format!("std::collections::BTreeMap<String, {}>", rust_type(value, lib)),
    }
}

/// A JSON value of type `ty`: every property present (below a nesting depth that only
/// recursive types reach; past it, only required ones).
pub fn example(api: &Api, ty: &TypeRef, depth: usize) -> Value {
    match ty {
        TypeRef::String => json!("x"),
        TypeRef::Bool => json!(true),
        TypeRef::Integer(_) => json!(1),
        TypeRef::F32 | TypeRef::F64 => json!(1.5),
        TypeRef::Json => json!({}),
        TypeRef::List(item) => json!([example(api, item, depth + 1)]),
        TypeRef::Map(value) => json!({ "key": example(api, value, depth + 1) }),
        TypeRef::Named(name) => match api.types.iter().find(|t| &t.name == name).map(|t| &t.kind) {
            Some(TypeKind::Struct(fields)) => {
                let mut object = Map::new();
                for field in fields.iter().filter(|f| f.required || depth < 4) {
                    object.insert(field.name.clone(), example(api, &field.ty, depth + 1));
                }
                Value::Object(object)
            }
            Some(TypeKind::Enum { variants, .. }) => variants.first().map_or(Value::Null, |v| json!(v.value)),
            Some(TypeKind::Union { variants, tagging }) => {
                let Some(first) = variants.first() else { return Value::Null };
                let mut value = example(api, &first.ty, depth + 1);
                if let (Some(property), Some(tag), Value::Object(object)) = (tagging.property(), &first.tag, &mut value)
                {
                    object.insert(property.to_owned(), json!(tag));
                }
                value
            }
            Some(TypeKind::Alias(inner)) => example(api, inner, depth + 1),
            Some(TypeKind::Outcomes(_)) | None => Value::Null,
        },
    }
}
