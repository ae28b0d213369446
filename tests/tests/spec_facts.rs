//! Checks `spec/phasetwo.yaml`, our own description of the Phase Two Admin
//! REST API.
//!
//! * `structure_*` tests always run: they pin down what the generator and the
//!   generated client rely on.
//! * `facts_*` and `own_words_*` tests compare against the published Phase
//!   Two document of Feb 2024 when a copy sits at
//!   `../shared/specs/phasetwo-2024-02.yaml` next to the workspace. A clone of
//!   this repository alone has no such copy; those tests then say so on
//!   stderr and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Keys that hold prose rather than facts, wherever they are OpenAPI keywords.
const PROSE_KEYS: &[&str] = &["description", "summary", "example", "examples", "externalDocs"];

/// Keywords whose value is a map from user-chosen names (property names,
/// paths, media types, ...) to OpenAPI objects. Their keys are never prose
/// keywords: a schema property called `description` is a fact.
const NAME_MAP_KEYS: &[&str] = &[
    "paths",
    "schemas",
    "properties",
    "content",
    "headers",
    "variables",
    "securitySchemes",
    "encoding",
    "links",
    "callbacks",
];

/// The one deliberate deviation from the published document (see the comment
/// above it in the spec): the default of the server's `relativePath`.
const DEVIATION_POINTER: &str = "/servers/0/variables/relativePath/default";
const OUR_RELATIVE_PATH_DEFAULT: &str = "/auth";

/// Published prose at least this long must not reappear verbatim in ours.
const OWN_WORDS_MIN_CHARS: usize = 25;

/// At most this many differences are listed in a failure message.
const MAX_DIFF_LINES: usize = 50;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn our_spec_path() -> PathBuf {
    workspace_root().join("spec").join("phasetwo.yaml")
}

fn published_spec_path() -> PathBuf {
    workspace_root().join("..").join("shared").join("specs").join("phasetwo-2024-02.yaml")
}

fn load_yaml(path: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn our_spec() -> Value {
    yaml_to_json(&load_yaml(&our_spec_path()))
}

/// The published document, or `None` (after saying so) when it is absent.
fn published_yaml() -> Option<serde_yaml::Value> {
    let path = published_spec_path();
    if path.is_file() {
        Some(load_yaml(&path))
    } else {
        eprintln!(
            "spec_facts: comparison with the published document skipped because \
             ../shared/specs is absent ({} not found)",
            path.display()
        );
        None
    }
}

/// Converts YAML to JSON. Mapping keys become strings, so the published
/// document's unquoted `200:` and our `"200":` both end up as "200".
fn yaml_to_json(value: &serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().expect("a YAML number is i64, u64 or f64");
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| panic!("YAML number {f} has no JSON form"))
            }
        }
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(map.iter().map(|(k, v)| (yaml_key(k), yaml_to_json(v))).collect()),
        Y::Tagged(tagged) => yaml_to_json(&tagged.value),
    }
}

fn yaml_key(key: &serde_yaml::Value) -> String {
    use serde_yaml::Value as Y;
    match key {
        Y::String(s) => s.clone(),
        Y::Number(n) => n.to_string(),
        Y::Bool(b) => b.to_string(),
        other => panic!("unsupported YAML mapping key: {other:?}"),
    }
}

/// What a JSON node is, as far as telling keywords from names goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An OpenAPI object or schema: its keys are keywords.
    Object,
    /// A Response object: its `description` is a short status fact.
    Response,
    /// A map from names to objects (see `NAME_MAP_KEYS`).
    NameMap,
    /// A `responses` map from status codes to Response objects.
    ResponseMap,
}

impl Kind {
    /// The kind of the value found under `key` in a node of this kind.
    /// Array elements keep the kind an array's key gives an object.
    fn child(self, key: &str) -> Kind {
        match self {
            Kind::NameMap => Kind::Object,
            Kind::ResponseMap => Kind::Response,
            Kind::Object | Kind::Response if key == "responses" => Kind::ResponseMap,
            Kind::Object | Kind::Response if NAME_MAP_KEYS.contains(&key) => Kind::NameMap,
            Kind::Object | Kind::Response => Kind::Object,
        }
    }

    fn has_keywords(self) -> bool {
        matches!(self, Kind::Object | Kind::Response)
    }
}

/// Removes prose keywords everywhere, leaving the facts.
fn strip_prose(value: &mut Value, kind: Kind) {
    match value {
        Value::Object(map) => {
            if kind.has_keywords() {
                map.retain(|k, _| !PROSE_KEYS.contains(&k.as_str()));
            }
            for (k, v) in map.iter_mut() {
                strip_prose(v, kind.child(k));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_prose(v, Kind::Object)),
        _ => {}
    }
}

/// Collects `(pointer, text)` of every `description` and `summary` keyword.
/// Response descriptions are left out when `with_responses` is false.
fn collect_prose(value: &Value, kind: Kind, pointer: &str, with_responses: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{pointer}/{}", escape_pointer(k));
                let is_prose = kind.has_keywords() && (k == "description" || k == "summary");
                let is_status_fact = kind == Kind::Response && k == "description";
                if is_prose && (with_responses || !is_status_fact) {
                    if let Value::String(text) = v {
                        out.push((child.clone(), text.clone()));
                    }
                }
                collect_prose(v, kind.child(k), &child, with_responses, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_prose(v, Kind::Object, &format!("{pointer}/{i}"), with_responses, out);
            }
        }
        _ => {}
    }
}

/// Key order of every `properties` map, by pointer. Read from the YAML
/// because `serde_json::Value` need not keep key order.
fn property_orders(value: &serde_yaml::Value, kind: Kind, pointer: &str, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                let key = yaml_key(k);
                let child_kind = kind.child(&key);
                let child = format!("{pointer}/{}", escape_pointer(&key));
                if kind.has_keywords() && key == "properties" {
                    if let serde_yaml::Value::Mapping(props) = v {
                        out.insert(child.clone(), props.keys().map(yaml_key).collect());
                    }
                }
                property_orders(v, child_kind, &child, out);
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                property_orders(v, Kind::Object, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// JSON pointer escaping of one reference token (RFC 6901).
fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Short one-line rendering of a value for diff lines.
fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 80 {
                format!("{}...", text.chars().take(77).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// Lists every pointer where the two values differ, one line each.
fn diff(ours: Option<&Value>, published: Option<&Value>, pointer: &str, out: &mut Vec<String>) {
    match (ours, published) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let extra = b.keys().filter(|k| !a.contains_key(*k));
            for key in a.keys().chain(extra) {
                let child = format!("{pointer}/{}", escape_pointer(key));
                diff(a.get(key), b.get(key), &child, out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff(a.get(i), b.get(i), &format!("{pointer}/{i}"), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{pointer}: ours {} vs published {}", show(a), show(b))),
    }
}

/// Panics with at most `MAX_DIFF_LINES` of `lines` when there are any.
fn assert_no_lines(what: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut message = format!("{what} ({} found):\n", lines.len());
    for line in lines.iter().take(MAX_DIFF_LINES) {
        message.push_str(line);
        message.push('\n');
    }
    if lines.len() > MAX_DIFF_LINES {
        message.push_str(&format!("... and {} more\n", lines.len() - MAX_DIFF_LINES));
    }
    panic!("{message}");
}

fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    spec.pointer(&format!("/paths/{}/{method}", escape_pointer(path)))
        .unwrap_or_else(|| panic!("spec has no {} {path}", method.to_uppercase()))
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// Names of the `{...}` segments of a path template.
fn template_names(path: &str) -> Vec<&str> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
}

/// Path parameters must be declared once, on the path item, as required.
fn assert_path_params_on_path_item(spec: &Value, path: &str) {
    let item =
        spec.pointer(&format!("/paths/{}", escape_pointer(path))).unwrap_or_else(|| panic!("spec has no path {path}"));
    let declared: Vec<&str> = item
        .get("parameters")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("path item {path} declares no parameters"))
        .iter()
        .filter(|p| p["in"] == "path")
        .inspect(|p| assert_eq!(p["required"], true, "{path}: path parameter {p} not required"))
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(declared, template_names(path), "{path}: path-item parameters vs template");

    for (method, op) in item.as_object().expect("a path item is a map") {
        if method == "parameters" {
            continue;
        }
        let op_level_path_params = op
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(0, |ps| ps.iter().filter(|p| p["in"] == "path").count());
        assert_eq!(op_level_path_params, 0, "{method} {path} redeclares path parameters");
    }
}

/// The server URL with every `{variable}` replaced by its default.
fn default_server_url(spec: &Value) -> String {
    let server = spec.pointer("/servers/0").expect("spec declares a server");
    let mut url = server["url"].as_str().expect("server has a url").to_owned();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            let default =
                var["default"].as_str().unwrap_or_else(|| panic!("server variable {name} has no string default"));
            url = url.replace(&format!("{{{name}}}"), default);
        }
    }
    assert!(!url.contains('{'), "server url has a variable without a default: {url}");
    url
}

#[test]
fn structure_is_openapi_3_0() {
    let spec = our_spec();
    let version = str_at(&spec, "/openapi").expect("spec has an openapi version");
    assert!(version.starts_with("3.0."), "expected OpenAPI 3.0.x, got {version}");
    assert!(spec["paths"].as_object().is_some_and(|p| !p.is_empty()), "spec has no paths");
}

#[test]
fn structure_users_operations() {
    let spec = our_spec();

    let magic = operation(&spec, "/{realm}/magic-link", "post");
    assert_eq!(magic["operationId"], "createMagicLink");
    assert_eq!(magic["tags"], serde_json::json!(["Users"]));
    assert_eq!(
        str_at(magic, "/requestBody/content/application~1json/schema/$ref"),
        Some("#/components/schemas/MagicLinkRepresentation")
    );
    // The client's error docs quote these status descriptions.
    for (status, text) in [("400", "Malformed request"), ("404", "User or Client not found")] {
        assert_eq!(
            str_at(magic, &format!("/responses/{status}/description")),
            Some(text),
            "createMagicLink {status} description"
        );
    }

    // The published document names neither operation; the generator has to
    // derive names for them, so they must stay unnamed here.
    for path in ["/{realm}/users/{userId}/orgs", "/{realm}/users/{userId}/orgs/{orgId}/roles"] {
        let op = operation(&spec, path, "get");
        assert!(op.get("operationId").is_none(), "GET {path} must have no operationId");
        assert_eq!(op["tags"], serde_json::json!(["Users"]), "GET {path} tags");
        assert!(op.pointer("/responses/200/content/application~1json/schema").is_some());
    }

    for path in ["/{realm}/magic-link", "/{realm}/users/{userId}/orgs", "/{realm}/users/{userId}/orgs/{orgId}/roles"] {
        assert_path_params_on_path_item(&spec, path);
    }
}

#[test]
fn structure_security_and_server() {
    let spec = our_spec();
    let scheme =
        spec.pointer("/components/securitySchemes/access_token").expect("security scheme access_token is declared");
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(spec["security"], serde_json::json!([{ "access_token": [] }]));

    assert_eq!(str_at(&spec, DEVIATION_POINTER), Some(OUR_RELATIVE_PATH_DEFAULT), "relativePath default");
    assert_eq!(default_server_url(&spec), "https://app.phasetwo.io/auth/realms");
}

#[test]
fn facts_match_published_document() {
    let Some(published_yaml) = published_yaml() else {
        return;
    };
    let mut ours = our_spec();
    let mut published = yaml_to_json(&published_yaml);

    // Neutralize the documented deviation, after checking it is the only
    // thing that differs there.
    let published_default =
        published.pointer(DEVIATION_POINTER).cloned().expect("published document has a relativePath default");
    let our_default = ours.pointer_mut(DEVIATION_POINTER).expect("our spec has a relativePath default");
    assert_eq!(*our_default, OUR_RELATIVE_PATH_DEFAULT, "relativePath default");
    *our_default = published_default;

    strip_prose(&mut ours, Kind::Object);
    strip_prose(&mut published, Kind::Object);
    let mut lines = Vec::new();
    diff(Some(&ours), Some(&published), "", &mut lines);
    assert_no_lines("facts differ from the published document", &lines);
}

#[test]
fn facts_property_order_matches_published_document() {
    let Some(published_yaml) = published_yaml() else {
        return;
    };
    let ours_yaml = load_yaml(&our_spec_path());

    // serde_json maps need not keep order, so property order is compared
    // on the YAML.
    let mut our_orders = BTreeMap::new();
    let mut published_orders = BTreeMap::new();
    property_orders(&ours_yaml, Kind::Object, "", &mut our_orders);
    property_orders(&published_yaml, Kind::Object, "", &mut published_orders);
    let order_lines: Vec<String> = published_orders
        .iter()
        .filter(|(pointer, order)| our_orders.get(*pointer) != Some(*order))
        .map(|(pointer, order)| {
            format!(
                "{pointer}: ours {:?} vs published {order:?}",
                our_orders.get(pointer).map(Vec::as_slice).unwrap_or_default()
            )
        })
        .collect();
    assert_no_lines("property order differs from the published document", &order_lines);
}

#[test]
fn own_words_not_copied_from_published_document() {
    let Some(published_yaml) = published_yaml() else {
        return;
    };
    let ours = our_spec();
    let published = yaml_to_json(&published_yaml);

    // Compare loosely so that case, spacing or a final full stop don't hide a
    // copy.
    let normalize = |text: &str| {
        let words: Vec<&str> = text.split_whitespace().collect();
        words.join(" ").trim_end_matches('.').to_lowercase()
    };

    let mut published_prose = Vec::new();
    collect_prose(&published, Kind::Object, "", true, &mut published_prose);
    let published_by_text: BTreeMap<String, String> = published_prose
        .into_iter()
        .map(|(pointer, text)| (normalize(&text), pointer))
        .filter(|(text, _)| text.chars().count() > OWN_WORDS_MIN_CHARS)
        .collect();

    let mut our_prose = Vec::new();
    collect_prose(&ours, Kind::Object, "", false, &mut our_prose);
    assert!(!our_prose.is_empty(), "found no prose in our spec");

    // A copy is flagged at the same pointer and anywhere else as well.
    let lines: Vec<String> = our_prose
        .iter()
        .filter_map(|(pointer, text)| {
            published_by_text
                .get(&normalize(text))
                .map(|at| format!("{pointer}: repeats the published text at {at}: {text:?}"))
        })
        .collect();
    assert_no_lines("prose copied from the published document", &lines);
}

#[test]
fn diff_lists_readable_pointers() {
    let ours = serde_json::json!({"paths": {"/{realm}/orgs": {"get": {"x~y": 1, "t": "x"}}}});
    let published = serde_json::json!({"paths": {"/{realm}/orgs": {"get": {"t": "y", "n": [true]}}}});
    let mut lines = Vec::new();
    diff(Some(&ours), Some(&published), "", &mut lines);
    // Sorted: key order depends on serde_json's `preserve_order` feature.
    lines.sort();
    assert_eq!(
        lines,
        [
            "/paths/~1{realm}~1orgs/get/n: ours (absent) vs published [true]",
            "/paths/~1{realm}~1orgs/get/t: ours \"x\" vs published \"y\"",
            "/paths/~1{realm}~1orgs/get/x~0y: ours 1 vs published (absent)",
        ]
    );
}

#[test]
fn strip_prose_keeps_property_names() {
    let mut schema = serde_json::json!({
        "description": "prose",
        "properties": {"description": {"type": "string", "description": "prose"}},
        "responses": {"200": {"description": "ok"}},
    });
    strip_prose(&mut schema, Kind::Object);
    assert_eq!(
        schema,
        serde_json::json!({
            "properties": {"description": {"type": "string"}},
            "responses": {"200": {}},
        })
    );
}
