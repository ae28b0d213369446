//! Contract tests: the committed `phasetwo-client` (Users tag) against Stoplight Prism, a mock
//! server that validates every request against `spec/phasetwo.yaml` and answers only with
//! responses the spec allows. Our own wiremock tests (`client_http.rs`) prove the client does
//! what *we* read in the spec; Prism is a second, independent reader.
//!
//! For every operation of the client:
//!
//! - a call Prism accepts, whose decoded result, encoded again, is exactly the JSON Prism sent,
//!   and covers every property the spec lists for it;
//! - each documented error status, forced with Prism's `Prefer: code=...` header sent through
//!   the per-call `header`, comes back as `Error::Documented` with the spec's description;
//! - without a token, Prism answers 401 and the client reports it as a clear error.
//!
//! Prism, its log and `PRISM_URL` come from `cargo xtask contract` (a step of `cargo xtask
//! test`), which runs these tests with `--ignored` and then fails if Prism logged a violation
//! for any request other than the deliberate token-less ones. Without Prism these tests are
//! ignored, so `cargo test --workspace` needs no Node; run with `--ignored` but without
//! `PRISM_URL` they fail and say how to run them.

use openapi_codegen::model::{Api, Operation, StatusMatch, TypeKind, TypeRef};
use phasetwo_client::models::{MagicLinkRepresentation, OrganizationRoleRepresentation};
use phasetwo_client::{Call, Client, Error, RawResponse};
use serde_json::Value;
use std::collections::BTreeSet;
use xtask::contract::{NO_TOKEN_REALM, PRISM_URL_VAR};

const TOKEN: &str = "contract-test-token";
const REALM: &str = "contract-realm";

fn prism_url() -> String {
    std::env::var(PRISM_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{PRISM_URL_VAR} is not set. These tests need Stoplight Prism: run them with `cargo xtask contract` \
             (or `cargo xtask test`), which installs and starts it"
        )
    })
}

fn client() -> Client {
    Client::builder().base_url(prism_url()).bearer_token(TOKEN).build().expect("a client for Prism")
}

fn client_without_token() -> Client {
    Client::new(prism_url()).expect("a client for Prism")
}

/// The spec's Users tag as the generator sees it: the source of the operations, statuses,
/// descriptions and properties checked here.
fn users_api() -> Api {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(xtask::codegen::DEFAULT_SPEC)).expect("the spec");
    openapi_codegen::model(&text, xtask::codegen::DEFAULT_SPEC, &[xtask::codegen::DEFAULT_TAG.to_owned()])
        .expect("the spec lowers")
}

fn operation<'a>(api: &'a Api, name: &str) -> &'a Operation {
    api.operations.iter().find(|op| op.name == name).unwrap_or_else(|| panic!("no operation `{name}` in the spec"))
}

fn magic_link() -> MagicLinkRepresentation {
    MagicLinkRepresentation::new("ada@example.com", "account-console", "https://app.example.com/welcome")
        .with_expiration_seconds(600)
        .with_force_create(true)
        .with_send_email(false)
}

fn with_header<'c, T>(call: Call<'c, T>, header: Option<(&str, &str)>) -> Call<'c, T> {
    match header {
        Some((name, value)) => call.header(name, value),
        None => call,
    }
}

/// One call of operation `name` with ordinary arguments in `realm`, its result dropped. Every
/// operation of the client needs an arm here; the tests below walk the spec's list of
/// operations, so a new one fails them until it has.
async fn call(client: &Client, name: &str, realm: &str, header: Option<(&str, &str)>) -> Result<(), Error> {
    match name {
        "realm_users_user_id_orgs_get" => {
            with_header(client.realm_users_user_id_orgs_get(realm, "user-1"), header).await.map(drop)
        }
        "realm_users_user_id_orgs_org_id_roles_get" => {
            with_header(client.realm_users_user_id_orgs_org_id_roles_get(realm, "user-1", "org-1"), header)
                .await
                .map(drop)
        }
        "create_magic_link" => with_header(client.create_magic_link(realm, &magic_link()), header).await,
        other => panic!("tests/tests/contract.rs has no call for operation `{other}`; add one"),
    }
}

/// Numbers compared by value, so `1` and `1.0` are the same.
fn normalized(value: Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, normalized(v))).collect()),
        other => other,
    }
}

/// Checks a decoded success against the raw response of the same request: the status is one
/// the spec documents, and the decoded value, encoded again, is the JSON that came.
fn assert_round_trip<T: serde::Serialize>(op: &Operation, raw: &RawResponse, decoded: &T) -> Value {
    assert!(
        op.success.statuses.contains(&raw.status.as_u16()),
        "{}: {} is not a documented success",
        op.name,
        raw.status
    );
    let sent: Value = serde_json::from_slice(&raw.body).expect("Prism sent JSON");
    let again = serde_json::to_value(decoded).expect("encodes");
    assert_eq!(normalized(again), normalized(sent.clone()), "{}: decoding lost or changed data", op.name);
    sent
}

/// The JSON property names of the named type that `ty` lists, as the spec gives them.
fn item_properties(api: &Api, ty: &TypeRef) -> BTreeSet<String> {
    let TypeRef::List(item) = ty else { panic!("a list type, got {ty:?}") };
    let TypeRef::Named(name) = item.as_ref() else { panic!("a named item type, got {item:?}") };
    let def = api.types.iter().find(|t| &t.name == name).expect("the type is defined");
    let TypeKind::Struct(fields) = &def.kind else { panic!("{name} is an object") };
    fields.iter().map(|f| f.name.clone()).collect()
}

/// A list response must not be empty, and its first item must carry every property the spec
/// names, or the round trip proves little.
fn assert_covers_every_property(api: &Api, op: &Operation, sent: &Value) {
    let success = op.success.body.type_ref().expect("a JSON success");
    let expected = item_properties(api, &success);
    let first = sent.as_array().and_then(|items| items.first()).expect("a non-empty list");
    let present: BTreeSet<String> = first.as_object().expect("an object").keys().cloned().collect();
    assert_eq!(present, expected, "{}: Prism's example and the spec's properties differ", op.name);
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn the_client_has_exactly_the_users_operations_of_the_spec() {
    let api = users_api();
    let names: BTreeSet<&str> = api.operations.iter().map(|op| op.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "create_magic_link",
            "realm_users_user_id_orgs_get",
            "realm_users_user_id_orgs_org_id_roles_get"
        ]),
        "the Users tag changed: give each new operation its success test below and an arm in `call`"
    );
    // Prism is up and knows these routes.
    for op in &api.operations {
        call(&client(), &op.name, REALM, None).await.unwrap_or_else(|e| panic!("{}: {e}", op.name));
    }
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn orgs_of_a_user_are_accepted_and_decoded_without_loss() {
    let api = users_api();
    let op = operation(&api, "realm_users_user_id_orgs_get");
    let client = client();

    let raw = client.realm_users_user_id_orgs_get(REALM, "user-1").send_raw().await.expect("Prism accepts");
    let orgs = client.realm_users_user_id_orgs_get(REALM, "user-1").await.expect("decodes");

    let sent = assert_round_trip(op, &raw, &orgs);
    assert_covers_every_property(&api, op, &sent);
    assert!(orgs[0].display_name.is_some() && orgs[0].attributes.is_some(), "renamed and map fields are decoded");
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn roles_of_a_user_are_accepted_and_decoded_without_loss() {
    let api = users_api();
    let op = operation(&api, "realm_users_user_id_orgs_org_id_roles_get");
    let client = client();

    let raw = client.realm_users_user_id_orgs_org_id_roles_get(REALM, "user-1", "org-1").send_raw().await.expect("ok");
    let roles: Vec<OrganizationRoleRepresentation> =
        client.realm_users_user_id_orgs_org_id_roles_get(REALM, "user-1", "org-1").await.expect("decodes");

    let sent = assert_round_trip(op, &raw, &roles);
    assert_covers_every_property(&api, op, &sent);
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn magic_link_with_every_field_is_accepted() {
    let api = users_api();
    let op = operation(&api, "create_magic_link");
    let client = client();

    let raw = client.create_magic_link(REALM, &magic_link()).send_raw().await.expect("Prism accepts the body");
    assert!(op.success.statuses.contains(&raw.status.as_u16()), "{} is not a documented success", raw.status);
    let () = client.create_magic_link(REALM, &magic_link()).await.expect("a success");
    // Only the required fields: the optional ones are left out, not sent as null.
    let minimal = MagicLinkRepresentation::new("ada@example.com", "account-console", "https://app.example.com/");
    client.create_magic_link(REALM, &minimal).await.expect("Prism accepts the minimal body");
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn path_parameters_with_reserved_and_non_ascii_characters_stay_on_the_route() {
    let client = client();
    for value in ["a/b", "a?b", "a#b", "100%", "...", "john doe", "josé", "ユーザー", "a+b&c=d;e"] {
        // Prism matches the request to this operation's route, or it would answer 404.
        client.realm_users_user_id_orgs_get(value, value).await.unwrap_or_else(|e| panic!("{value:?}: {e}"));
        client
            .realm_users_user_id_orgs_org_id_roles_get(REALM, value, value)
            .await
            .unwrap_or_else(|e| panic!("{value:?}: {e}"));
        client.create_magic_link(value, &magic_link()).await.unwrap_or_else(|e| panic!("{value:?}: {e}"));
    }
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn every_documented_error_status_is_a_documented_error() {
    let api = users_api();
    let mut forced = 0;
    for op in &api.operations {
        for documented in &op.errors {
            let StatusMatch::Code(code) = documented.status else {
                panic!("{}: Prism can only be asked for exact codes, not {:?}", op.name, documented.status)
            };
            let prefer = format!("code={code}");
            let error = call(&client(), &op.name, REALM, Some(("Prefer", &prefer))).await.expect_err("an error status");
            match &error {
                Error::Documented { operation, status, description, .. } => {
                    assert_eq!(*operation, op.name);
                    assert_eq!(status.as_u16(), code);
                    assert_eq!(*description, documented.description.trim());
                }
                other => panic!("{} with {prefer}: expected Documented, got {other:?}", op.name),
            }
            assert_eq!(error.status().map(|s| s.as_u16()), Some(code));
            forced += 1;
        }
    }
    assert!(forced >= 2, "the Users tag documents error statuses for create_magic_link");
}

#[tokio::test]
#[ignore = "needs Prism: run `cargo xtask contract` or `cargo xtask test`"]
async fn every_operation_without_a_token_is_rejected_with_a_clear_401() {
    let api = users_api();
    for op in &api.operations {
        let error = call(&client_without_token(), &op.name, NO_TOKEN_REALM, None).await.expect_err("no token");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{}: {error:?}", op.name);
        match &error {
            Error::UnexpectedStatus { operation, body, .. } => {
                assert_eq!(*operation, op.name);
                assert!(body.contains("UNAUTHORIZED"), "Prism says why: {body}");
            }
            other => panic!("{}: the spec documents no 401, so expected UnexpectedStatus, got {other:?}", op.name),
        }
        assert_eq!(error.to_string(), format!("{}: unexpected status 401 Unauthorized", op.name));
    }
}
