//! Snapshots of what the generator makes: the model and the generated code for the Phase Two
//! users tag and for one small fixture spec per feature, and the errors for broken specs.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test`, then git diff).

use openapi_codegen::{CrateOptions, Options};
use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{}: {err}", full.display()))
}

fn options(tags: &[&str]) -> Options {
    Options {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        crate_options: CrateOptions { crate_name: "fixture-client".to_owned(), spec_label: "fixture.yaml".to_owned() },
    }
}

/// The generated files that depend on the spec (the runtime files are the same for every spec).
fn spec_dependent_code(text: &str, tags: &[&str]) -> String {
    let files = openapi_codegen::generate(text, "fixture.yaml", &options(tags)).expect("the fixture generates");
    files
        .iter()
        .filter(|f| matches!(f.path.as_str(), "Cargo.toml" | "src/lib.rs" | "src/models.rs" | "src/operations.rs"))
        .map(|f| format!("==> {}\n{}", f.path, f.contents))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn phasetwo_users_model() {
    let model = openapi_codegen::model(&read("../spec/phasetwo.yaml"), "spec/phasetwo.yaml", &["users".to_owned()])
        .expect("the Phase Two spec lowers");
    insta::assert_debug_snapshot!(model);
}

#[test]
fn phasetwo_users_code() {
    insta::assert_snapshot!(spec_dependent_code(&read("../spec/phasetwo.yaml"), &["Users"]));
}

#[test]
fn naming_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/naming.yaml"), &[]));
}

#[test]
fn models_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/models.yaml"), &[]));
}

#[test]
fn parameters_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/parameters.yaml"), &[]));
}

#[test]
fn responses_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/responses.yaml"), &[]));
}

#[test]
fn composition_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/composition.yaml"), &[]));
}

#[test]
fn openapi31_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/openapi31.yaml"), &[]));
}

#[test]
fn openapi31_without_paths_gives_a_models_only_crate() {
    let api = openapi_codegen::model(&read("tests/fixtures/openapi31-no-paths.yaml"), "f.yaml", &[]).expect("lowers");
    assert!(api.operations.is_empty());
}

#[test]
fn bodies_fixture() {
    insta::assert_snapshot!(spec_dependent_code(&read("tests/fixtures/bodies.yaml"), &[]));
}

#[test]
fn external_reference_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = read("tests/fixtures/external-ref.yaml");
    let api = openapi_codegen::model_in(&text, "external-ref.yaml", Some(&dir), &[]).expect("lowers");
    insta::assert_debug_snapshot!(api.types);
    let err = openapi_codegen::model(&text, "external-ref.yaml", &[]).expect_err("no folder to read from");
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn tag_selection_keeps_names_and_reaches_only_needed_models() {
    let text = read("tests/fixtures/naming.yaml");
    let all = openapi_codegen::model(&text, "naming.yaml", &[]).expect("lowers");
    let items = openapi_codegen::model(&text, "naming.yaml", &["ITEMS".to_owned()]).expect("lowers");
    let names = |api: &openapi_codegen::model::Api| api.operations.iter().map(|o| o.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&all), ["tenant_items_item_id_get", "new_2", "get_items", "get_items_2"]);
    assert_eq!(names(&items), ["tenant_items_item_id_get", "new_2", "get_items"]);
    let models = openapi_codegen::model(&read("tests/fixtures/models.yaml"), "models.yaml", &[]).expect("lowers");
    assert!(models.types.iter().all(|t| t.name != "Unreached"), "unreached schemas are not emitted");
}

#[test]
fn output_is_deterministic() {
    let text = read("../spec/phasetwo.yaml");
    let first = openapi_codegen::generate(&text, "spec/phasetwo.yaml", &options(&[])).expect("generates");
    for _ in 0..3 {
        assert_eq!(openapi_codegen::generate(&text, "spec/phasetwo.yaml", &options(&[])).expect("generates"), first);
    }
}

#[test]
fn unknown_tag_is_a_clear_error() {
    let err = openapi_codegen::model(&read("tests/fixtures/naming.yaml"), "naming.yaml", &["nope".to_owned()])
        .expect_err("no such tag");
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn broken_reference_error() {
    let err = openapi_codegen::generate(&read("tests/fixtures/broken-ref.yaml"), "broken-ref.yaml", &options(&[]))
        .expect_err("the reference dangles");
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn invalid_yaml_error() {
    let err = openapi_codegen::generate("openapi: 3.0.0\ninfo: {title: [\n", "bad.yaml", &options(&[]))
        .expect_err("not YAML");
    insta::assert_snapshot!(err.to_string());
}

/// The error for one of the broken specs in `tests/fixtures/errors/`.
fn error_for(name: &str) -> String {
    let text = read(&format!("tests/fixtures/errors/{name}"));
    openapi_codegen::generate(&text, name, &options(&[])).map(drop).expect_err("the spec is broken").to_string()
}

#[test]
fn swagger_2_error() {
    insta::assert_snapshot!(error_for("swagger-2.yaml"));
}

#[test]
fn openapi_3_1_construct_error() {
    insta::assert_snapshot!(error_for("type-list-from-3.1.yaml"));
}

#[test]
fn missing_required_field_errors() {
    insta::assert_snapshot!(format!("{}\n{}", error_for("missing-responses.yaml"), error_for("missing-title.yaml")));
}

#[test]
fn nested_too_deep_error() {
    insta::assert_snapshot!(error_for("nested-too-deep.json"));
}

#[test]
fn two_yaml_documents_error() {
    insta::assert_snapshot!(error_for("two-documents.yaml"));
}
