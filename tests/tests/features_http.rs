//! The generated `features-client` (from `generator/tests/fixtures/features.yaml`) against a real
//! HTTP server on loopback (`wiremock`): every request and response feature of the runtime, checked
//! on the wire and in the decoded values.
//!
//! Sections, in order:
//!
//! 1. `get_item` requests: path, query (required, optional, enum, exploded and joined lists),
//!    header and cookie parameters;
//! 2. `get_item` responses: open enums, the discriminated union, the untagged union, the union
//!    tagged by a constant property, the oneOf of string enums, maps and the recursive `parent`;
//! 3. `get_item` error statuses: an exact code, a `4XX` range and `default`;
//! 4. `delete_item`: a body on 200, none on 204;
//! 5. `create_item`: several success statuses, a response header through `send_full`, and an
//!    undocumented 2xx;
//! 6. `login`: an `application/x-www-form-urlencoded` body;
//! 7. `put_note`: a `text/plain` body and a path parameter that must stay one segment;
//! 8. `upload_file`: a body whose content type the caller gives;
//! 9. `put_blob`: an optional `application/octet-stream` body;
//! 10. the default base URL.
//!
//! Wire encodings this file pins (what reqwest and the runtime actually send):
//!
//! - query strings are `application/x-www-form-urlencoded` (reqwest's `RequestBuilder::query`):
//!   a space is `+`, and `,` `&` `=` `/` and non-ASCII are percent-encoded, so the joined list
//!   `fields=a,b` travels as `fields=a%2Cb`;
//! - form bodies use the same byte set (alphanumerics and `*-._` kept, space as `+`, everything
//!   else `%XX` of its UTF-8 bytes), fields in the schema's declaration order, lists repeated;
//! - path parameters keep only RFC 3986 unreserved characters; space is `%20`, `/` is `%2F`.
//!
//! Nothing here touches the network beyond 127.0.0.1.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::time::Duration;

use features_client::models::{
    Circle, CreateItemAcceptedResponse, CreateItemOutcome, Event, EventArchived, EventCreated, EventRenamed, Item,
    ItemLabel, Kind, LoginBody, LoginResponse, Order, Shape, Square, Stage,
};
use features_client::{Client, Error, DEFAULT_BASE_URL};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

mod common;
use common::{assert_no_request, header_values, only_request, raw_path, server_answering};

/// Comfortably longer than any response here takes; only guards against a hang.
const GENEROUS: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A client for `server`, with the spec's `/v1` prefix as the base path.
fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .base_url(format!("{}/v1", server.uri()))
        .timeout(GENEROUS)
        .build()
        .expect("a client for the mock server")
}

/// The query's pairs, decoded, in the order sent.
fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

/// Pairs from owned-able string slices, for comparing with decoded pairs.
fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

/// Decodes an `application/x-www-form-urlencoded` body strictly: `+` is a space, `%XX` a byte,
/// and the characters the encoding must escape (`&` and `=` inside a value, spaces, non-ASCII)
/// are refused when they appear raw, so a sloppy encoder fails here.
fn form_decode(body: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).expect("a form body is ASCII");
    assert!(text.is_ascii(), "a form body is ASCII: {text:?}");
    let decode = |part: &str| -> String {
        let bytes = part.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = part.get(i + 1..i + 3).unwrap_or_else(|| panic!("a truncated escape in {part:?}"));
                    out.push(u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("a bad escape in {part:?}")));
                    i += 2;
                }
                b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => out.push(b),
                b => panic!("{:?} must be percent-encoded in a form body: {part:?}", b as char),
            }
            i += 1;
        }
        String::from_utf8(out).expect("UTF-8 once decoded")
    };
    if text.is_empty() {
        return Vec::new();
    }
    text.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or_else(|| panic!("a pair without `=`: {pair:?}"));
            assert!(!value.contains('='), "a raw `=` inside a value: {pair:?}");
            (decode(name), decode(value))
        })
        .collect()
}

/// The texts of `error` and of every error in its source chain.
fn error_chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(" | ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// An `Item` response using every property.
fn full_item_json() -> Value {
    json!({
        "id": 42,
        "name": "hammer",
        "kind": "tool",
        "shape": {"type": "circle", "radius": 2},
        "label": "heavy",
        "extra": {"colour": "red", "size": "L"},
        "parent": {
            "id": 7,
            "name": "toolbox",
            "kind": "two words",
            "label": 3,
            "parent": {"name": "garage", "kind": "toy"}
        }
    })
}

fn full_item() -> Item {
    Item::new("hammer", Kind::Tool)
        .with_id(42)
        .with_shape(Shape::Circle(Circle::new("circle", 2.0)))
        .with_label(ItemLabel::String("heavy".to_owned()))
        .with_extra(BTreeMap::from([("colour".to_owned(), "red".to_owned()), ("size".to_owned(), "L".to_owned())]))
        .with_parent(
            Item::new("toolbox", Kind::TwoWords)
                .with_id(7)
                .with_label(ItemLabel::Integer(3))
                .with_parent(Item::new("garage", Kind::Toy)),
        )
}

/// Calls `get_item` with only the required parameters against a server answering `response`.
async fn get_item_answered_by(response: ResponseTemplate) -> Result<Item, Error> {
    let server = server_answering(response).await;
    client_for(&server).get_item(42, "q", None, None, None, None, "trace-1", None, None).await
}

/// `get_item` against a server answering 200 with `body`; returns the decoded item.
async fn decode_item(body: Value) -> Item {
    get_item_answered_by(ResponseTemplate::new(200).set_body_json(body)).await.expect("a decoded item")
}

// ---------------------------------------------------------------------------------------------
// 1. get_item requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_item_sends_every_parameter_on_the_wire_and_decodes_the_item() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/items/42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(full_item_json()))
        .expect(1)
        .mount(&server)
        .await;
    let tags = strings(&["a", "b"]);
    let fields = strings(&["a", "b"]);

    let item = client_for(&server)
        .get_item(42, "bolt", Some(10), Some(Order::Asc), Some(&tags), Some(&fields), "trace-1", Some(true), Some("s1"))
        .await
        .expect("the item");

    assert_eq!(item, full_item());
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(raw_path(&request), "/v1/items/42");
    assert_eq!(
        query_pairs(&request),
        pairs(&[("q", "bolt"), ("limit", "10"), ("order", "asc"), ("tags", "a"), ("tags", "b"), ("fields", "a,b")])
    );
    // The raw form: the joined list's comma is percent-encoded by the query serializer.
    assert_eq!(request.url.query(), Some("q=bolt&limit=10&order=asc&tags=a&tags=b&fields=a%2Cb"));
    assert_eq!(header_values(&request, "x-trace"), ["trace-1"]);
    assert_eq!(header_values(&request, "x-debug"), ["true"]);
    assert_eq!(header_values(&request, "cookie"), ["session=s1"]);
    assert_eq!(header_values(&request, "accept"), ["application/json"]);
    assert_eq!(header_values(&request, "user-agent"), ["features-client/1.2.3"]);
    assert!(header_values(&request, "content-type").is_empty(), "a GET carries no content type");
    assert!(request.body.is_empty(), "a GET carries no body");
}

#[tokio::test]
async fn get_item_omits_every_absent_optional_parameter() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy"}))).await;

    let item = client_for(&server)
        .get_item(42, "bolt", None, None, None, None, "trace-2", None, None)
        .await
        .expect("the item");

    assert_eq!(item, Item::new("n", Kind::Toy));
    let request = only_request(&server).await;
    assert_eq!(raw_path(&request), "/v1/items/42");
    assert_eq!(request.url.query(), Some("q=bolt"), "only the required parameter");
    assert_eq!(header_values(&request, "x-trace"), ["trace-2"]);
    assert!(header_values(&request, "x-debug").is_empty(), "no X-Debug when None");
    assert!(header_values(&request, "cookie").is_empty(), "no Cookie header when session is None");
}

#[tokio::test]
async fn get_item_sends_nothing_for_empty_lists() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy"}))).await;

    client_for(&server).get_item(1, "x", None, None, Some(&[]), Some(&[]), "t", None, None).await.expect("the item");

    let request = only_request(&server).await;
    assert_eq!(request.url.query(), Some("q=x"), "neither `tags` nor `fields` appears, not even empty");
}

#[tokio::test]
async fn get_item_encodes_query_values_with_reserved_and_non_ascii_characters() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy"}))).await;
    let tags = strings(&["x y", "a&b=c"]);
    let fields = strings(&["n/m", "é"]);

    client_for(&server)
        .get_item(-5, "a b&c=d+e", Some(-1), Some(Order::Desc), Some(&tags), Some(&fields), "t", Some(false), None)
        .await
        .expect("the item");

    let request = only_request(&server).await;
    assert_eq!(raw_path(&request), "/v1/items/-5");
    assert_eq!(
        query_pairs(&request),
        pairs(&[
            ("q", "a b&c=d+e"),
            ("limit", "-1"),
            ("order", "desc"),
            ("tags", "x y"),
            ("tags", "a&b=c"),
            ("fields", "n/m,é"),
        ])
    );
    assert_eq!(
        request.url.query(),
        Some("q=a+b%26c%3Dd%2Be&limit=-1&order=desc&tags=x+y&tags=a%26b%3Dc&fields=n%2Fm%2C%C3%A9")
    );
    assert_eq!(header_values(&request, "x-debug"), ["false"]);
}

#[tokio::test]
async fn get_item_sends_an_unlisted_order_as_given() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy"}))).await;

    client_for(&server)
        .get_item(1, "x", None, Some(Order::Other("random".to_owned())), None, None, "t", None, None)
        .await
        .expect("the item");

    assert_eq!(only_request(&server).await.url.query(), Some("q=x&order=random"));
}

#[tokio::test]
async fn get_item_header_parameter_with_newline_fails_without_sending() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy"}))).await;

    let error = client_for(&server)
        .get_item(1, "x", None, None, None, None, "t\r\nX-Injected: 1", None, None)
        .await
        .expect_err("refused");

    assert!(matches!(&error, Error::InvalidHeader { name, .. } if name == "X-Trace"), "{error:?}");
    assert!(!error_chain(&error).contains("X-Injected"), "the value is not echoed: {error}");
    assert_no_request(&server).await;
}

// ---------------------------------------------------------------------------------------------
// 2. get_item responses
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn kind_decodes_known_values_and_keeps_unknown_ones() {
    assert_eq!(decode_item(json!({"name": "n", "kind": "tool"})).await.kind, Kind::Tool);
    assert_eq!(decode_item(json!({"name": "n", "kind": "two words"})).await.kind, Kind::TwoWords);

    let item = decode_item(json!({"name": "n", "kind": "gadget"})).await;
    assert_eq!(item.kind, Kind::Other("gadget".to_owned()));
    assert_eq!(item.kind.as_str(), "gadget");
    assert_eq!(serde_json::to_value(&item.kind).expect("serializable"), json!("gadget"));
    assert_eq!(serde_json::to_value(&item).expect("serializable"), json!({"name": "n", "kind": "gadget"}));
    assert_eq!(serde_json::to_value(Kind::TwoWords).expect("serializable"), json!("two words"));
}

#[tokio::test]
async fn shape_decodes_by_its_discriminator_and_keeps_the_type_field() {
    let item = decode_item(json!({"name": "n", "kind": "toy", "shape": {"type": "circle", "radius": 2}})).await;
    assert_eq!(item.shape, Some(Shape::Circle(Circle::new("circle", 2.0))));
    let Some(Shape::Circle(circle)) = &item.shape else { panic!("a circle: {item:?}") };
    assert_eq!(circle.type_, "circle", "the discriminator stays in the variant");

    let item = decode_item(json!({"name": "n", "kind": "toy", "shape": {"side": 1.5, "type": "square"}})).await;
    assert_eq!(item.shape, Some(Shape::Square(Square::new("square", 1.5))));
    assert_eq!(
        serde_json::to_value(item.shape.as_ref().expect("a shape")).expect("serializable"),
        json!({"type": "square", "side": 1.5}),
        "re-serializes with its tag"
    );
}

#[tokio::test]
async fn shape_with_unknown_type_is_a_decode_error() {
    let body = json!({"name": "n", "kind": "toy", "shape": {"type": "triangle", "side": 1}});
    let error = get_item_answered_by(ResponseTemplate::new(200).set_body_json(&body)).await.expect_err("undecodable");

    match &error {
        Error::Decode { operation, status, body: kept, source } => {
            assert_eq!(*operation, "get_item");
            assert_eq!(status.as_u16(), 200);
            assert_eq!(serde_json::from_str::<Value>(kept).expect("the body, kept"), body);
            let reason = source.to_string();
            assert!(reason.contains("triangle") && reason.contains("circle"), "{reason}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn shape_without_type_or_with_wrong_fields_is_a_decode_error() {
    for shape in [json!({"radius": 1}), json!({"type": "circle", "side": 1}), json!({"type": 3, "radius": 1})] {
        let body = json!({"name": "n", "kind": "toy", "shape": shape});
        let error =
            get_item_answered_by(ResponseTemplate::new(200).set_body_json(body)).await.expect_err("undecodable");
        assert!(matches!(&error, Error::Decode { .. }), "{shape}: expected Decode, got {error:?}");
    }
}

#[tokio::test]
async fn events_tagged_by_a_constant_property_decode_to_their_variant_and_write_the_tag_back() {
    let history = json!([
        {"event": "created", "at": "2024-02-01"},
        {"from": "lamp", "event": "renamed", "by": {"name": "ada", "kind": "tool"}},
        {"event": "archived"}
    ]);
    let item = decode_item(json!({"name": "n", "kind": "toy", "history": history})).await;
    let expected = vec![
        Event::Created(EventCreated::new("2024-02-01")),
        Event::Renamed(EventRenamed::new("lamp").with_by(Item::new("ada", Kind::Tool))),
        Event::Archived(EventArchived::default()),
    ];
    assert_eq!(item.history.as_ref(), Some(&expected));
    let written = serde_json::to_value(&expected).expect("serializable");
    assert_eq!(written[0], json!({"event": "created", "at": "2024-02-01"}), "the tag is written with the fields");
    assert_eq!(written[2], json!({"event": "archived"}));
    assert_eq!(serde_json::from_value::<Vec<Event>>(written).expect("round trip"), expected);
}

#[tokio::test]
async fn an_event_with_an_unknown_or_missing_tag_is_a_decode_error() {
    for event in [json!({"event": "exploded"}), json!({"at": "2024-02-01"}), json!({"event": "created"})] {
        let body = json!({"name": "n", "kind": "toy", "history": [event]});
        let error =
            get_item_answered_by(ResponseTemplate::new(200).set_body_json(body)).await.expect_err("undecodable");
        assert!(matches!(&error, Error::Decode { .. }), "{event}: expected Decode, got {error:?}");
    }
}

#[tokio::test]
async fn a_oneof_of_string_enums_is_one_open_enum() {
    for (wire, stage) in [("draft", Stage::Draft), ("gone", Stage::Gone), ("paused", Stage::Other("paused".to_owned()))]
    {
        let item = decode_item(json!({"name": "n", "kind": "toy", "stage": wire})).await;
        assert_eq!(item.stage, Some(stage.clone()));
        assert_eq!(serde_json::to_value(&stage).expect("serializable"), json!(wire));
        assert_eq!(stage.as_str(), wire);
    }
}

#[tokio::test]
async fn label_decodes_a_string_or_an_integer() {
    let item = decode_item(json!({"name": "n", "kind": "toy", "label": "7"})).await;
    assert_eq!(item.label, Some(ItemLabel::String("7".to_owned())), "a numeric string stays a string");

    let item = decode_item(json!({"name": "n", "kind": "toy", "label": 7})).await;
    assert_eq!(item.label, Some(ItemLabel::Integer(7)));

    let error = get_item_answered_by(
        ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy", "label": true})),
    )
    .await
    .expect_err("neither alternative");
    assert!(matches!(&error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn extra_decodes_as_a_map_and_parent_recursively() {
    let item = decode_item(full_item_json()).await;

    let extra = item.extra.as_ref().expect("extra");
    assert_eq!(extra.get("colour").map(String::as_str), Some("red"));
    assert_eq!(extra.len(), 2);
    let parent = item.parent.as_deref().expect("a parent");
    assert_eq!((parent.name.as_str(), &parent.kind, parent.id), ("toolbox", &Kind::TwoWords, Some(7)));
    let grandparent = parent.parent.as_deref().expect("a grandparent");
    assert_eq!(grandparent, &Item::new("garage", Kind::Toy));
    assert!(grandparent.parent.is_none());

    let empty = decode_item(json!({"name": "n", "kind": "toy", "extra": {}})).await;
    assert_eq!(empty.extra, Some(BTreeMap::new()));

    let error = get_item_answered_by(
        ResponseTemplate::new(200).set_body_json(json!({"name": "n", "kind": "toy", "extra": {"a": 1}})),
    )
    .await
    .expect_err("map values are strings");
    assert!(matches!(&error, Error::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn item_without_a_required_field_is_a_decode_error() {
    let error = get_item_answered_by(ResponseTemplate::new(200).set_body_json(json!({"name": "n"})))
        .await
        .expect_err("`kind` is required");
    match &error {
        Error::Decode { source, .. } => assert!(source.to_string().contains("kind"), "{source}"),
        other => panic!("expected Decode, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. get_item error statuses
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_item_error_statuses_map_to_code_then_range_then_default() {
    let cases = [
        (404, "No such item"),
        (400, "Bad request of some other kind"),
        (422, "Bad request of some other kind"),
        (499, "Bad request of some other kind"),
        (500, "Server trouble"),
        (503, "Server trouble"),
    ];
    for (code, expected) in cases {
        let body = format!("body of {code}");
        let error =
            get_item_answered_by(ResponseTemplate::new(code).set_body_string(&body)).await.expect_err("an error");

        match &error {
            Error::Documented { operation, status, description, body: kept } => {
                assert_eq!(*operation, "get_item");
                assert_eq!(status.as_u16(), code);
                assert_eq!(*description, expected, "{code}");
                assert_eq!(kept, &body);
            }
            other => panic!("{code}: expected Documented, got {other:?}"),
        }
        assert_eq!(error.status().map(|status| status.as_u16()), Some(code));
        assert_eq!(error.body(), Some(body.as_str()));
        let message = error.to_string();
        assert!(message.starts_with(&format!("get_item: {code} ")) && message.ends_with(expected), "{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. delete_item
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_item_200_returns_the_deleted_item() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/items/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 7, "name": "old", "kind": "toy"})))
        .expect(1)
        .mount(&server)
        .await;

    let deleted = client_for(&server).delete_item(7).await.expect("deleted");

    assert_eq!(deleted, Some(Item::new("old", Kind::Toy).with_id(7)));
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "DELETE");
    assert_eq!(raw_path(&request), "/v1/items/7");
    assert_eq!(request.url.query(), None);
    assert!(request.body.is_empty());
    assert!(header_values(&request, "content-type").is_empty());
}

#[tokio::test]
async fn delete_item_204_returns_none() {
    let server = server_answering(ResponseTemplate::new(204)).await;

    let deleted = client_for(&server).delete_item(7).await.expect("deleted");

    assert_eq!(deleted, None);
    assert_eq!(raw_path(&only_request(&server).await), "/v1/items/7");
}

#[tokio::test]
async fn delete_item_200_without_a_body_is_a_decode_error() {
    let server = server_answering(ResponseTemplate::new(200)).await;

    let error = client_for(&server).delete_item(7).await.expect_err("a 200 promises an item");

    assert!(matches!(&error, Error::Decode { status, .. } if status.as_u16() == 200), "{error:?}");
}

#[tokio::test]
async fn delete_item_error_statuses_are_unexpected() {
    let server = server_answering(ResponseTemplate::new(404).set_body_string("gone")).await;

    let error = client_for(&server).delete_item(7).await.expect_err("no documented errors");

    assert!(
        matches!(&error, Error::UnexpectedStatus { operation: "delete_item", status, body }
            if status.as_u16() == 404 && body == "gone"),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. create_item
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_item_201_is_created_and_send_full_exposes_status_and_location() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/items"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Location", "/v1/items/99")
                .set_body_json(json!({"id": 99, "name": "widget", "kind": "tool"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let response =
        client_for(&server).create_item(&Item::new("widget", Kind::Tool)).send_full().await.expect("created");

    assert_eq!(response.status.as_u16(), 201);
    assert_eq!(response.headers.get("location").map(|value| value.to_str().expect("ASCII")), Some("/v1/items/99"));
    assert_eq!(response.body, CreateItemOutcome::Created(Item::new("widget", Kind::Tool).with_id(99)));
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(raw_path(&request), "/v1/items");
    assert_eq!(header_values(&request, "content-type"), ["application/json"]);
    assert_eq!(header_values(&request, "accept"), ["application/json"]);
    assert_eq!(
        String::from_utf8(request.body).expect("UTF-8"),
        r#"{"name":"widget","kind":"tool"}"#,
        "required fields only; unset optional fields are left out, not sent as null"
    );
}

#[tokio::test]
async fn create_item_sends_every_set_field_exactly() {
    let server =
        server_answering(ResponseTemplate::new(201).set_body_json(json!({"name": "w", "kind": "gadget", "label": 3})))
            .await;
    let body = Item::new("w", Kind::Other("gadget".to_owned()))
        .with_shape(Shape::Square(Square::new("square", 1.5)))
        .with_label(ItemLabel::Integer(3))
        .with_extra(BTreeMap::from([("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())]))
        .with_parent(Item::new("p", Kind::TwoWords).with_label(ItemLabel::String("x".to_owned())));

    let outcome = client_for(&server).create_item(&body).await.expect("created");

    assert_eq!(
        outcome,
        CreateItemOutcome::Created(Item::new("w", Kind::Other("gadget".to_owned())).with_label(ItemLabel::Integer(3)))
    );
    let request = only_request(&server).await;
    assert_eq!(
        String::from_utf8(request.body).expect("UTF-8"),
        concat!(
            r#"{"name":"w","kind":"gadget","shape":{"type":"square","side":1.5},"label":3,"#,
            r#""extra":{"a":"1","b":"2"},"parent":{"name":"p","kind":"two words","label":"x"}}"#
        )
    );
}

#[tokio::test]
async fn create_item_202_is_accepted() {
    let server = server_answering(ResponseTemplate::new(202).set_body_json(json!({"ticket": "t1"}))).await;

    let response = client_for(&server).create_item(&Item::new("widget", Kind::Toy)).send_full().await.expect("queued");

    assert_eq!(response.status.as_u16(), 202);
    assert_eq!(response.body, CreateItemOutcome::Accepted(CreateItemAcceptedResponse::new("t1")));
    assert!(response.headers.get("location").is_none());
}

#[tokio::test]
async fn create_item_202_with_an_item_body_is_a_decode_error() {
    let server =
        server_answering(ResponseTemplate::new(202).set_body_json(json!({"name": "widget", "kind": "toy"}))).await;

    let error = client_for(&server).create_item(&Item::new("widget", Kind::Toy)).await.expect_err("no ticket");

    assert!(matches!(&error, Error::Decode { status, .. } if status.as_u16() == 202), "{error:?}");
}

#[tokio::test]
async fn create_item_undocumented_2xx_is_a_decode_error_naming_the_status() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_string(r#"{"kind":"toy","name":"widget"}"#)).await;

    let error = client_for(&server).create_item(&Item::new("widget", Kind::Toy)).await.expect_err("undocumented 200");

    match &error {
        Error::Decode { operation, status, body, source } => {
            assert_eq!(*operation, "create_item");
            assert_eq!(status.as_u16(), 200);
            assert_eq!(body, r#"{"kind":"toy","name":"widget"}"#, "the body is kept as received");
            assert_eq!(source.to_string(), "the spec does not document status 200 for this operation");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    let chain = error_chain(&error);
    assert!(chain.contains("create_item") && chain.contains("does not document status 200"), "{chain}");
}

// ---------------------------------------------------------------------------------------------
// 6. login (form body)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_sends_a_form_body_with_repeated_lists_in_declaration_order() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "tk"})))
        .expect(1)
        .mount(&server)
        .await;
    let body = LoginBody::new("ada lovelace").with_scopes(strings(&["a", "b"])).with_remember(true);

    let response = client_for(&server).login(&body).await.expect("signed in");

    assert_eq!(response, LoginResponse::new("tk"));
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(raw_path(&request), "/v1/login");
    assert_eq!(header_values(&request, "content-type"), ["application/x-www-form-urlencoded"]);
    assert_eq!(
        form_decode(&request.body),
        pairs(&[("user", "ada lovelace"), ("scopes", "a"), ("scopes", "b"), ("remember", "true")])
    );
    // The runtime's `form_encode` goes through `serde_json::Value`, so declaration order holds only
    // while serde_json's `preserve_order` feature is on; here `openapi-codegen` turns it on for the
    // whole build. Without it the fields come out sorted by name (`remember=..&scopes=..&user=..`).
    assert_eq!(String::from_utf8(request.body).expect("ASCII"), "user=ada+lovelace&scopes=a&scopes=b&remember=true");
}

#[tokio::test]
async fn login_percent_encodes_reserved_and_non_ascii_characters() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"token": "tk"}))).await;
    let user = "a&b=c é+%~*-._!";
    let body = LoginBody::new(user).with_scopes(strings(&["x y", "ü/?#", ""])).with_remember(false);

    client_for(&server).login(&body).await.expect("signed in");

    let request = only_request(&server).await;
    assert_eq!(
        form_decode(&request.body),
        pairs(&[("user", user), ("scopes", "x y"), ("scopes", "ü/?#"), ("scopes", ""), ("remember", "false")])
    );
    // Space is `+`; alphanumerics and `*-._` stay; everything else (`~` included) is `%XX` of UTF-8.
    assert_eq!(
        String::from_utf8(request.body).expect("ASCII"),
        "user=a%26b%3Dc+%C3%A9%2B%25%7E*-._%21&scopes=x+y&scopes=%C3%BC%2F%3F%23&scopes=&remember=false"
    );
}

#[tokio::test]
async fn login_leaves_out_unset_optional_fields_and_sends_nothing_for_an_empty_list() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!({"token": "tk"}))).await;

    client_for(&server).login(&LoginBody::new("ada")).await.expect("signed in");
    client_for(&server).login(&LoginBody::new("ada").with_scopes(Vec::new())).await.expect("signed in");

    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert_eq!(String::from_utf8(request.body).expect("ASCII"), "user=ada");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. put_note (text body, path parameter)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn put_note_sends_text_and_keeps_the_name_in_one_segment() {
    let server = server_answering(ResponseTemplate::new(204)).await;
    let text = "line one\nline two: é ✓ & = +\r\n";

    client_for(&server).put_note("my notes/2024 draft?#%", text).await.expect("saved");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(raw_path(&request), "/v1/notes/my%20notes%2F2024%20draft%3F%23%25");
    assert_eq!(request.url.query(), None);
    assert_eq!(header_values(&request, "content-type"), ["text/plain"]);
    assert_eq!(request.body, text.as_bytes(), "the text's UTF-8 bytes, unchanged");
}

#[tokio::test]
async fn put_note_keeps_unreserved_characters_and_refuses_dot_segments() {
    let server = server_answering(ResponseTemplate::new(204)).await;
    let client = client_for(&server);

    client.put_note("a-b.c_d~e", "").await.expect("saved");
    let request = only_request(&server).await;
    assert_eq!(raw_path(&request), "/v1/notes/a-b.c_d~e");
    assert_eq!(header_values(&request, "content-type"), ["text/plain"], "an empty text is still a body");
    assert!(request.body.is_empty());

    server.reset().await;
    for name in ["", ".", ".."] {
        let error = client.put_note(name, "x").await.expect_err("refused");
        assert!(matches!(&error, Error::InvalidPathParameter { name: "name", .. }), "{name:?}: {error:?}");
    }
    assert_no_request(&server).await;
}

// ---------------------------------------------------------------------------------------------
// 8. upload_file (caller-given content type)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn upload_file_sends_the_given_content_type_and_bytes_as_is() {
    let server = server_answering(ResponseTemplate::new(201)).await;
    let content_type = "multipart/form-data; boundary=XyZ-123";
    let mut body = b"--XyZ-123\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n".to_vec();
    body.extend_from_slice(&[0x00, 0xff, 0xfe, b'\r', b'\n']);
    body.extend_from_slice(b"\r\n--XyZ-123--\r\n");

    client_for(&server).upload_file(content_type, body.clone()).await.expect("stored");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(raw_path(&request), "/v1/files");
    assert_eq!(header_values(&request, "content-type"), [content_type]);
    assert_eq!(request.body, body);
}

#[tokio::test]
async fn upload_file_with_a_newline_in_the_content_type_fails_without_sending() {
    let server = server_answering(ResponseTemplate::new(201)).await;

    let error = client_for(&server)
        .upload_file("multipart/form-data; boundary=x\r\nX-Injected: 1", b"data".to_vec())
        .await
        .expect_err("refused");

    assert!(
        matches!(&error, Error::InvalidHeader { name, .. } if name.eq_ignore_ascii_case("content-type")),
        "{error:?}"
    );
    assert!(!error_chain(&error).contains("X-Injected"), "the value is not echoed: {error}");
    assert_no_request(&server).await;
}

// ---------------------------------------------------------------------------------------------
// 9. put_blob (optional binary body)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn put_blob_with_bytes_sends_octet_stream() {
    let server = server_answering(ResponseTemplate::new(204)).await;
    let bytes = vec![0x00, 0x01, 0x7f, 0x80, 0xff, b'\n'];

    client_for(&server).put_blob(Some(bytes.clone())).await.expect("stored");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(raw_path(&request), "/v1/files");
    assert_eq!(header_values(&request, "content-type"), ["application/octet-stream"]);
    assert_eq!(request.body, bytes);
}

#[tokio::test]
async fn put_blob_without_bytes_sends_no_body_and_no_content_type() {
    let server = server_answering(ResponseTemplate::new(204)).await;

    client_for(&server).put_blob(None).await.expect("stored");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PUT");
    assert!(request.body.is_empty(), "no body");
    assert!(header_values(&request, "content-type").is_empty(), "no Content-Type without a body");
}

// ---------------------------------------------------------------------------------------------
// 10. Default base URL
// ---------------------------------------------------------------------------------------------

#[test]
fn default_base_url_is_the_specs_first_server() {
    let client = Client::builder().build().expect("a client with the default server");
    assert_eq!(client.base_url(), "http://localhost:8080/v1");
    assert_eq!(DEFAULT_BASE_URL, "http://localhost:8080/v1");
}

#[tokio::test]
async fn delete_item_undocumented_success_is_an_error_not_none() {
    for status in [201, 202, 206] {
        let server = server_answering(ResponseTemplate::new(status).set_body_json(full_item_json())).await;

        let error = client_for(&server).delete_item(7).await.expect_err("only 200 and 204 are documented");

        assert!(matches!(&error, Error::Decode { status: s, .. } if s.as_u16() == status), "{error:?}");
        assert!(error_chain(&error).contains(&format!("does not document status {status}")), "{error:?}");
    }
}

#[tokio::test]
async fn cookie_values_are_percent_encoded_so_they_cannot_add_cookies() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(full_item_json())).await;

    client_for(&server)
        .get_item(1, "q", None, None, None, None, "t", None, Some("abc; admin=1, \"é\" 100%"))
        .await
        .expect("item");

    let request = only_request(&server).await;
    assert_eq!(header_values(&request, "cookie"), ["session=abc%3B%20admin=1%2C%20%22%C3%A9%22%20100%25"]);
}
