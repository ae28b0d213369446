//! The examples in `generated-client/examples/`, built and run as a newcomer would run them:
//! configured by environment variables, against a local Phase Two stand-in (`wiremock`) with
//! a Keycloak token endpoint. Each must exit successfully and print what the server answered.
//!
//! The binaries are built by `cargo build -p phasetwo-client --examples` (this test runs it;
//! when the examples are already built it finishes at once).
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;
use wiremock::matchers::{body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REALM: &str = "acme";
const CLIENT_ID: &str = "svc-examples";
const SECRET: &str = "example-S3CRET";
const TOKEN: &str = "example-token";
const USER_ID: &str = "user-42";
/// Every example in `generated-client/examples/`.
const EXAMPLES: [&str; 2] = ["magic_link", "orgs_and_roles"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the workspace").to_path_buf()
}

/// The folder of the example binaries. `cargo test --workspace` builds the examples before it
/// runs any test, so there they are up to date; when this test runs alone and they are missing
/// or older than the crate's sources, it builds them with `cargo build -p phasetwo-client
/// --examples` first.
fn built_examples() -> PathBuf {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let folder = target.join("debug").join("examples");
    let crate_dir = root.join("generated-client");
    let mut sources = vec![crate_dir.join("Cargo.toml")];
    for sub in ["src", "examples"] {
        let entries = std::fs::read_dir(crate_dir.join(sub)).expect("the crate's folders");
        sources.extend(entries.map(|entry| entry.expect("an entry").path()));
    }
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let newest_source = sources.iter().filter_map(|path| modified(path)).max().expect("sources");
    let up_to_date = EXAMPLES.iter().all(|name| {
        modified(&folder.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))).is_some_and(|m| m >= newest_source)
    });
    if !up_to_date {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "phasetwo-client", "--examples"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
    }
    folder
}

fn run_example(name: &str, env: &[(&str, String)]) -> Output {
    let binary = built_examples().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "{} was not built", binary.display());
    Command::new(&binary)
        .env_clear()
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .output()
        .unwrap_or_else(|err| panic!("{}: {err}", binary.display()))
}

/// A stand-in for Phase Two: the realm's token endpoint, which wants the example's
/// credentials, and whatever API answers `mount` adds (each wanting the token).
async fn phasetwo() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/auth/realms/{REALM}/protocol/openid-connect/token")))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains(format!("client_secret={SECRET}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": TOKEN, "expires_in": 300})))
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn common_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        ("PHASETWO_BASE_URL", format!("{}/auth/realms", server.uri())),
        ("PHASETWO_REALM", REALM.to_owned()),
        ("PHASETWO_CLIENT_ID", CLIENT_ID.to_owned()),
        ("PHASETWO_CLIENT_SECRET", SECRET.to_owned()),
    ]
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the example failed ({}): {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn the_examples_are_hand_written_so_codegen_leaves_them() {
    let folder = workspace_root().join("generated-client/examples");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("generated-client/examples exists")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = EXAMPLES.iter().map(|name| format!("{name}.rs")).collect();
    assert_eq!(names, expected, "each example has a test below");
    for name in names {
        let text = std::fs::read_to_string(folder.join(&name)).expect("readable");
        assert!(!text.starts_with("// Generated by openapi-codegen"), "{name} would be removed by codegen");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_and_roles_lists_each_organization_with_the_users_roles() {
    let server = phasetwo().await;
    let authorized = || header("authorization", format!("Bearer {TOKEN}").as_str());
    Mock::given(method("GET"))
        .and(path(format!("/auth/realms/{REALM}/users/{USER_ID}/orgs")))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "org-1", "name": "acme", "displayName": "Acme, Inc."},
            {"id": "org-2", "name": "globex"}
        ])))
        .mount(&server)
        .await;
    for (org, roles) in [("org-1", json!([{"name": "admin"}, {"name": "billing"}])), ("org-2", json!([]))] {
        Mock::given(method("GET"))
            .and(path(format!("/auth/realms/{REALM}/users/{USER_ID}/orgs/{org}/roles")))
            .and(authorized())
            .respond_with(ResponseTemplate::new(200).set_body_json(roles))
            .mount(&server)
            .await;
    }
    let mut env = common_env(&server);
    env.push(("PHASETWO_USER_ID", USER_ID.to_owned()));

    let output = tokio::task::spawn_blocking(move || run_example("orgs_and_roles", &env)).await.expect("ran");

    assert_eq!(stdout(&output), "Acme, Inc. (org-1)\n  role: admin\n  role: billing\nglobex (org-2)\n");
    server.verify().await; // one token for all three calls
}

#[tokio::test(flavor = "multi_thread")]
async fn magic_link_creates_the_link_and_prints_the_answer() {
    let server = phasetwo().await;
    Mock::given(method("POST"))
        .and(path(format!("/auth/realms/{REALM}/magic-link")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(json!({
            "email": "ada@example.com",
            "client_id": "my-app",
            "redirect_uri": "https://my-app.example.com/",
            "expiration_seconds": 900,
            "send_email": false
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"link": "https://sso.example.com/ml/abc"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut env = common_env(&server);
    env.push(("PHASETWO_EMAIL", "ada@example.com".to_owned()));
    env.push(("PHASETWO_LINK_CLIENT", "my-app".to_owned()));
    env.push(("PHASETWO_REDIRECT_URI", "https://my-app.example.com/".to_owned()));

    let output = tokio::task::spawn_blocking(move || run_example("magic_link", &env)).await.expect("ran");

    assert_eq!(stdout(&output), "{\"link\":\"https://sso.example.com/ml/abc\"}\n");
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_is_named_and_a_refused_secret_is_a_clear_error() {
    let output = tokio::task::spawn_blocking(|| run_example("orgs_and_roles", &[])).await.expect("ran");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("set the environment variable PHASETWO_REALM"), "{stderr}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}),
        ))
        .mount(&server)
        .await;
    let mut env = common_env(&server);
    env.push(("PHASETWO_USER_ID", USER_ID.to_owned()));
    let output = tokio::task::spawn_blocking(move || run_example("orgs_and_roles", &env)).await.expect("ran");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("answered 401 Unauthorized: unauthorized_client"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[test]
fn the_readme_shows_the_shortest_example_as_it_is() {
    let root = workspace_root();
    // Each example's code: from its first `use` to its end (the doc comment above is left out).
    let code = |name: &str| {
        let text = std::fs::read_to_string(root.join(format!("generated-client/examples/{name}.rs"))).expect("example");
        text[text.find("\nuse ").expect("a `use` line") + 1..].to_owned()
    };
    let shortest = EXAMPLES.iter().copied().min_by_key(|name| code(name).len()).expect("examples");
    assert_eq!(shortest, "orgs_and_roles", "the README names orgs_and_roles.rs as the shortest example");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    assert!(
        readme.contains(&format!("```rust,no_run\n{}```", code(shortest))),
        "README.md must show examples/{shortest}.rs from its first `use` to its end, as one code block"
    );
}
