//! Every Rust name the generator writes is decided here: case conversion (heck), keywords,
//! invalid identifiers, collisions, and operation names synthesized where `operationId` is
//! missing.

use heck::{ToSnakeCase, ToUpperCamelCase};
use std::collections::{HashMap, HashSet};

/// Words that cannot be plain identifiers (strict and reserved keywords of every edition).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names the generated modules already use; a schema with one of these names is renamed so
/// that generated code keeps meaning what it says.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "BTreeMap",
    "Serialize",
    "Deserialize",
    "Self",
    // Imported by the generated `operations.rs`.
    "Call",
    "Operation",
    "Documented",
    "Client",
    "Method",
];

/// Methods the generated `Client` defines besides the operations; operations are named around them.
pub const CLIENT_METHODS: &[&str] =
    &["new", "builder", "base_url", "clone", "fmt", "http", "default_headers", "timeout"];

/// Names a generated method's body uses besides its arguments (`self`, and the decoders it
/// passes by name); arguments are named around them.
pub const ARGUMENT_NAMES_TAKEN: &[&str] = &["self", "json", "nothing"];

/// A snake_case identifier for `raw` (a field, argument or method name).
pub fn snake_ident(raw: &str) -> String {
    let snake = sanitize(&ascii(raw).to_snake_case());
    let snake = if snake.is_empty() { "value".to_owned() } else { snake };
    let snake = if snake.starts_with(|c: char| c.is_ascii_digit()) { format!("n{snake}") } else { snake };
    if KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else {
        snake
    }
}

/// An UpperCamelCase identifier for `raw` (a type or variant name).
pub fn camel_ident(raw: &str) -> String {
    let camel = sanitize(&ascii(raw).to_upper_camel_case());
    let camel = if camel.is_empty() { "Value".to_owned() } else { camel };
    let camel = if camel.starts_with(|c: char| c.is_ascii_digit()) { format!("V{camel}") } else { camel };
    if KEYWORDS.contains(&camel.as_str()) || RESERVED_TYPE_NAMES.contains(&camel.as_str()) {
        format!("{camel}Model")
    } else {
        camel
    }
}

/// Letters from other scripts, spelled in ASCII (`café` is `cafe`, `Größe` is `Grosse`), so
/// that a name keeps its meaning when `sanitize` keeps only ASCII.
fn ascii(raw: &str) -> String {
    deunicode::deunicode_with_tofu(raw, " ")
}

/// Keeps only ASCII letters, digits and `_`: other characters may not be valid in an
/// identifier at all (`²`, `٣`), and rustc warns about many that are (`uncommon_codepoints`,
/// `mixed_script_confusables`). A name of underscores alone is no name.
fn sanitize(name: &str) -> String {
    let kept: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if kept.chars().all(|c| c == '_') {
        String::new()
    } else {
        kept
    }
}

/// The name openapi-generator gives an operation without `operationId`: the path's segments
/// without braces, then the method, in snake_case (`GET /{realm}/users/{userId}/orgs` is
/// `realm_users_user_id_orgs_get`), so users of the published clients find the same names.
pub fn synthesized_operation_name(path: &str, method: &str) -> String {
    let mut words: Vec<String> =
        path.split('/').map(|segment| segment.replace(['{', '}'], "")).filter(|segment| !segment.is_empty()).collect();
    if words.is_empty() {
        words.push("root".to_owned());
    }
    words.push(method.to_ascii_lowercase());
    snake_ident(&words.join("_"))
}

/// Names handed out in one scope; a repeated name gets the first free numeric suffix, so the
/// outcome depends only on the order of requests.
#[derive(Debug, Default)]
pub struct Scope {
    taken: HashSet<String>,
    /// The next suffix to try for each base: suffixes below it are taken already, so a name
    /// repeated thousands of times costs no more than a new one.
    next_suffix: HashMap<String, usize>,
}

impl Scope {
    /// A scope where `names` are already taken.
    pub fn with_taken<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Self { taken: names.into_iter().map(str::to_owned).collect(), next_suffix: HashMap::new() }
    }

    /// Claims `base`, or `base` with a suffix (`_2` after snake_case names, `2` after others).
    pub fn claim(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        let camel = base.chars().next().is_some_and(char::is_uppercase);
        let separator = if camel || base.ends_with('_') { "" } else { "_" };
        let next = self.next_suffix.entry(base.to_owned()).or_insert(2);
        loop {
            let candidate = format!("{base}{separator}{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_published_python_client() {
        assert_eq!(synthesized_operation_name("/{realm}/users/{userId}/orgs", "GET"), "realm_users_user_id_orgs_get");
        assert_eq!(
            synthesized_operation_name("/{realm}/users/{userId}/orgs/{orgId}/roles", "get"),
            "realm_users_user_id_orgs_org_id_roles_get"
        );
        assert_eq!(synthesized_operation_name("/{realm}/magic-link", "post"), "realm_magic_link_post");
        assert_eq!(synthesized_operation_name("/", "get"), "root_get");
        assert_eq!(snake_ident("createMagicLink"), "create_magic_link");
    }

    #[test]
    fn keywords_and_bad_starts_become_valid_identifiers() {
        assert_eq!(snake_ident("type"), "type_");
        assert_eq!(snake_ident("self"), "self_");
        assert_eq!(snake_ident("2fa"), "n2fa");
        assert_eq!(snake_ident("%%"), "value");
        assert_eq!(snake_ident("displayName"), "display_name");
        assert_eq!(camel_ident("option"), "OptionModel");
        assert_eq!(camel_ident("3d-model"), "V3dModel");
        assert_eq!(camel_ident("magic_link"), "MagicLink");
    }

    #[test]
    fn names_are_ascii_identifiers_whatever_the_spec_says() {
        assert_eq!(snake_ident("\u{663}abc"), "n3abc", "an Arabic-Indic digit is spelled 3, which cannot start one");
        assert_eq!(snake_ident("x\u{b2}"), "x2", "a superscript two is spelled 2");
        assert_eq!(snake_ident("_"), "value");
        assert_eq!(snake_ident("__"), "value");
        assert_eq!(camel_ident("\u{540d}\u{524d}"), "MingQian", "other scripts are spelled in ASCII");
        assert_eq!(snake_ident("caf\u{e9}_au_lait"), "cafe_au_lait");
        assert_eq!(snake_ident("Gr\u{f6}\u{df}e"), "grosse");
        let awkward = [
            "",
            " ",
            "*/",
            "\"",
            "#[cfg(x)]",
            "\nfn pwned() {}",
            "\u{202e}evil",
            "\u{200b}",
            "e\u{301}",
            "\u{1f980}",
            "\u{2167}",
            "\u{210c}",
            "r#type",
            "Self",
            "self",
            "super",
            "crate",
            "_1",
            "1_",
            "\u{0}",
            "-",
            "a-b",
            "Option",
            "\u{130}",
            "\u{1c5}",
            "\u{3a3}",
            "\u{10ffff}",
        ];
        for raw in awkward {
            for name in [snake_ident(raw), camel_ident(raw)] {
                assert!(syn::parse_str::<syn::Ident>(&name).is_ok(), "{raw:?} gave {name:?}, not an identifier");
                assert!(name.is_ascii(), "{raw:?} gave {name:?}");
            }
        }
    }

    #[test]
    fn collisions_get_deterministic_suffixes() {
        let mut scope = Scope::with_taken(["body"]);
        assert_eq!(scope.claim("body"), "body_2");
        assert_eq!(scope.claim("body"), "body_3");
        assert_eq!(scope.claim("type_"), "type_");
        assert_eq!(scope.claim("type_"), "type_2");
        let mut types = Scope::default();
        assert_eq!(types.claim("Foo"), "Foo");
        assert_eq!(types.claim("Foo"), "Foo2");
    }

    #[test]
    fn suffixes_skip_names_taken_directly() {
        let mut scope = Scope::default();
        assert_eq!(scope.claim("get_2"), "get_2");
        assert_eq!(scope.claim("get"), "get");
        assert_eq!(scope.claim("get"), "get_3");
        assert_eq!(scope.claim("get"), "get_4");
        assert_eq!(scope.claim("get_5"), "get_5");
        assert_eq!(scope.claim("get"), "get_6");
    }

    #[test]
    fn thousands_of_repeats_stay_fast() {
        let mut scope = Scope::default();
        let started = std::time::Instant::now();
        let last = (0..20_000).map(|_| scope.claim("op")).last();
        assert_eq!(last.as_deref(), Some("op_20000"));
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
    }
}
