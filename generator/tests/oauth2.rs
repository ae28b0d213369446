//! The token URL of a spec's OAuth 2.0 client-credentials flow: found by `lower`, written into
//! the generated `lib.rs` as the default of the client-credentials provider.

use openapi_codegen::{CrateOptions, Options};

fn spec(security_schemes: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\nservers: [{{url: 'https://api.example.com/v2'}}]\npaths: {{}}\ncomponents:\n  securitySchemes:\n{security_schemes}"
    )
}

fn token_url(security_schemes: &str) -> Option<String> {
    openapi_codegen::model(&spec(security_schemes), "t.yaml", &[]).expect("the spec lowers").oauth2_token_url
}

fn lib_rs(text: &str) -> String {
    let options = Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: "t-client".to_owned(), spec_label: "t.yaml".to_owned() },
    };
    let files = openapi_codegen::generate(text, "t.yaml", &options).expect("the spec generates");
    files.into_iter().find(|f| f.path == "src/lib.rs").expect("a lib.rs").contents
}

const KEYCLOAK_LIKE: &str = "    \
    browser:\n      type: oauth2\n      flows:\n        authorizationCode:\n          \
    authorizationUrl: https://id.example.com/auth\n          tokenUrl: https://id.example.com/browser-token\n          scopes: {}\n    \
    bearer: {type: http, scheme: bearer}\n    \
    machine:\n      type: oauth2\n      flows:\n        clientCredentials:\n          \
    tokenUrl: https://id.example.com/token\n          scopes: {}\n    \
    second:\n      type: oauth2\n      flows:\n        clientCredentials:\n          \
    tokenUrl: https://other.example.com/token\n          scopes: {}\n";

#[test]
fn the_first_client_credentials_flow_gives_the_token_url() {
    // Not the authorization-code flow's tokenUrl, and not the later scheme's.
    assert_eq!(token_url(KEYCLOAK_LIKE).as_deref(), Some("https://id.example.com/token"));
}

#[test]
fn a_relative_token_url_is_kept_as_written() {
    let schemes = "    m:\n      type: oauth2\n      flows:\n        clientCredentials:\n          tokenUrl: /oauth/token\n          scopes: {}\n";
    assert_eq!(token_url(schemes).as_deref(), Some("/oauth/token"));
}

#[test]
fn without_a_client_credentials_flow_there_is_no_token_url() {
    assert_eq!(token_url("    bearer: {type: http, scheme: bearer}\n"), None);
    let phasetwo = include_str!("../../spec/phasetwo.yaml");
    let api = openapi_codegen::model(phasetwo, "phasetwo.yaml", &[]).expect("the Phase Two spec lowers");
    assert_eq!(api.oauth2_token_url, None, "Phase Two declares a bearer scheme only");
}

#[test]
fn lib_rs_declares_the_token_url_as_the_default() {
    let lib = lib_rs(&spec(KEYCLOAK_LIKE));
    assert!(lib.contains("pub const OAUTH2_TOKEN_URL: &str = \"https://id.example.com/token\";"), "{lib}");
    assert!(lib.contains("const SPEC_TOKEN_URL: Option<&str> = Some(OAUTH2_TOKEN_URL);"), "{lib}");

    let lib = lib_rs(&spec("    bearer: {type: http, scheme: bearer}\n"));
    assert!(!lib.contains("OAUTH2_TOKEN_URL"), "{lib}");
    assert!(lib.contains("const SPEC_TOKEN_URL: Option<&str> = None;"), "{lib}");
}

#[test]
fn everything_that_sends_requests_is_behind_the_client_feature() {
    let text = spec("    bearer: {type: http, scheme: bearer}\n");
    let lib = lib_rs(&text);
    let lines: Vec<&str> = lib.lines().collect();
    for module in ["auth", "call", "client", "error", "operations", "retry"] {
        let at = lines.iter().position(|line| *line == format!("mod {module};")).expect("the module is declared");
        // Its attributes: the feature, and for a spec without operations an `allow(dead_code)`.
        let attributes = &lines[at.saturating_sub(2)..at];
        assert!(attributes.contains(&"#[cfg(feature = \"client\")]"), "mod {module}: {attributes:?}");
    }
    assert!(lib.contains("\npub mod models;"), "models are always there: {lib}");
    assert!(!lib.contains("#[cfg(feature = \"client\")]\npub mod models;"), "{lib}");

    let options = Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: "t-client".to_owned(), spec_label: "t.yaml".to_owned() },
    };
    let files = openapi_codegen::generate(&text, "t.yaml", &options).expect("generates");
    let manifest = &files.iter().find(|f| f.path == "Cargo.toml").expect("Cargo.toml").contents;
    let manifest: toml::Table = manifest.parse().expect("Cargo.toml is TOML");
    let features = manifest["features"].as_table().expect("[features]");
    assert_eq!(features["default"].as_array().expect("default"), &vec![toml::Value::from("client")]);
    let dependencies = manifest["dependencies"].as_table().expect("[dependencies]");
    let required: Vec<&str> = dependencies
        .iter()
        .filter(|(_, spec)| !spec.get("optional").and_then(toml::Value::as_bool).unwrap_or(false))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(required, ["serde", "serde_json"], "without `client`, the models need serde alone");
    let middleware = features["middleware"].as_array().expect("middleware");
    assert!(middleware.contains(&"dep:reqwest-middleware".into()) && middleware.contains(&"client".into()));
}
