//! Spec text must end up in the generated crate only as data (string literals) or as
//! documentation, never as code. `generator/tests/fixtures/injection.yaml` tries to break out of
//! every place spec text lands: doc comments (`*/`, fences, indented code, bidi controls, NUL,
//! CR, very long lines), string literals (`"`, `\`), identifiers, `Cargo.toml` (`"`, newlines,
//! `[package]`), the crate docs (title, version). The crate it gives must:
//!
//! - hold exactly the items the spec asks for (checked on the syntax tree and on the tokens),
//!   with only the attributes the generator writes, and no raw bidi or control character;
//! - compile without warnings, document without warnings, and run no doctest but the two the
//!   generator writes itself (`cargo check`, `cargo doc`, `cargo test --doc`, in a temporary
//!   folder with its own target directory under the workspace's `target/injection`).

use openapi_codegen::{CrateOptions, GeneratedFile, Options};
use proc_macro2::{TokenStream, TokenTree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SPEC: &str = "generator/tests/fixtures/injection.yaml";

fn generate(spec: &str) -> Vec<GeneratedFile> {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(spec)).expect("the fixture is readable");
    let options = Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: "injection-client".to_owned(), spec_label: spec.to_owned() },
    };
    openapi_codegen::generate(&text, spec, &options).expect("the fixture generates")
}

fn file<'a>(files: &'a [GeneratedFile], path: &str) -> &'a str {
    &files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} is generated")).contents
}

/// A line per item, nested items after their parents' names: `impl Client: fn x: static OPERATION`.
fn items(source: &str) -> Vec<String> {
    let parsed = syn::parse_file(source).expect("generated code parses");
    let mut out = Vec::new();
    for item in &parsed.items {
        item_lines(item, "", &mut out);
    }
    out
}

fn squash(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().chars().filter(|c| !c.is_whitespace()).collect()
}

fn item_lines(item: &syn::Item, prefix: &str, out: &mut Vec<String>) {
    use syn::Item;
    let line = |what: String| format!("{prefix}{what}");
    match item {
        Item::Fn(f) => {
            let name = line(format!("fn {}", f.sig.ident));
            out.push(name.clone());
            block_items(&f.block, &format!("{name}: "), out);
        }
        Item::Impl(i) => {
            let target = match &i.trait_ {
                Some((_, path, _)) => format!("impl {} for {}", squash(&path), squash(&*i.self_ty)),
                None => format!("impl {}", squash(&*i.self_ty)),
            };
            let target = line(target);
            out.push(target.clone());
            for inner in &i.items {
                match inner {
                    syn::ImplItem::Fn(f) => {
                        let name = format!("{target}: fn {}", f.sig.ident);
                        out.push(name.clone());
                        block_items(&f.block, &format!("{name}: "), out);
                    }
                    other => out.push(format!("{target}: {}", squash(&other))),
                }
            }
        }
        Item::Struct(s) => out.push(line(format!("struct {}", s.ident))),
        Item::Enum(e) => out.push(line(format!("enum {}", e.ident))),
        Item::Type(t) => out.push(line(format!("type {}", t.ident))),
        Item::Const(c) => out.push(line(format!("const {}", c.ident))),
        Item::Static(s) => out.push(line(format!("static {}", s.ident))),
        Item::Mod(m) => out.push(line(format!("mod {}", m.ident))),
        Item::Use(u) => out.push(line(format!("use {}", squash(&u.tree)))),
        other => out.push(line(format!("other item: {}", squash(&other)))),
    }
}

fn block_items(block: &syn::Block, prefix: &str, out: &mut Vec<String>) {
    for stmt in &block.stmts {
        match stmt {
            syn::Stmt::Item(item) => item_lines(item, prefix, out),
            syn::Stmt::Macro(m) => out.push(format!("{prefix}macro {}", squash(&m.mac.path))),
            _ => {}
        }
    }
}

/// Every token of a file, flattened.
fn tokens(source: &str) -> Vec<TokenTree> {
    fn walk(stream: TokenStream, out: &mut Vec<TokenTree>) {
        for tree in stream {
            if let TokenTree::Group(group) = &tree {
                walk(group.stream(), out);
            }
            out.push(tree);
        }
    }
    let mut out = Vec::new();
    walk(source.parse::<TokenStream>().expect("generated code lexes"), &mut out);
    out
}

/// The values of the string literals of a file, doc comments included (they lex as
/// `#[doc = "..."]`).
fn strings(source: &str) -> Vec<String> {
    tokens(source)
        .into_iter()
        .filter_map(|t| match t {
            TokenTree::Literal(lit) => syn::parse_str::<syn::LitStr>(&lit.to_string()).ok().map(|s| s.value()),
            _ => None,
        })
        .collect()
}

/// The name of every attribute (`doc`, `derive` ...), inner or outer.
fn attribute_names(source: &str) -> Vec<String> {
    let all = tokens(source);
    let mut names = Vec::new();
    for (i, tree) in all.iter().enumerate() {
        if let TokenTree::Punct(p) = tree {
            if p.as_char() != '#' {
                continue;
            }
            let group = match (all.get(i + 1), all.get(i + 2)) {
                (Some(TokenTree::Group(g)), _) => Some(g),
                (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g))) if bang.as_char() == '!' => Some(g),
                _ => None,
            };
            if let Some(group) = group.filter(|g| g.delimiter() == proc_macro2::Delimiter::Bracket) {
                if let Some(TokenTree::Ident(name)) = group.stream().into_iter().next() {
                    names.push(name.to_string());
                }
            }
        }
    }
    names
}

/// How often `keyword` appears as a word (not as a lifetime such as `'static`).
fn count_keyword(source: &str, keyword: &str) -> usize {
    let all = tokens(source);
    all.iter()
        .enumerate()
        .filter(|(i, t)| {
            let lifetime =
                i.checked_sub(1).is_some_and(|p| matches!(&all[p], TokenTree::Punct(q) if q.as_char() == '\''));
            matches!(t, TokenTree::Ident(ident) if *ident == keyword) && !lifetime
        })
        .count()
}

const BIDI: &[char] =
    &['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

#[test]
fn the_crate_holds_exactly_the_items_the_spec_asks_for() {
    let files = generate(SPEC);
    let lib = items(file(&files, "src/lib.rs"));
    assert_eq!(
        lib,
        [
            "mod auth",
            "mod call",
            "mod client",
            "mod error",
            "mod models",
            "mod operations",
            "mod retry",
            "use auth::{AccessToken,ClientCredentials,TokenFuture,TokenProvider}",
            "use call::{Call,RawResponse,Response}",
            "use client::{Client,ClientBuilder}",
            "use error::Error",
            "use retry::RetryPolicy",
            "use reqwest",
            "use reqwest_middleware",
            "const DEFAULT_BASE_URL",
            "const DEFAULT_SERVER",
            "const SPEC_TOKEN_URL",
        ]
    );
    let models = items(file(&files, "src/models.rs"));
    assert_eq!(
        models,
        [
            "use serde::{Deserialize,Serialize}",
            "use std::fmt",
            "enum ModePubStructPwned",
            "impl ModePubStructPwned",
            "impl ModePubStructPwned: fn as_str",
            "impl From<String> for ModePubStructPwned",
            "impl From<String> for ModePubStructPwned: fn from",
            "impl From<ModePubStructPwned> for String",
            "impl From<ModePubStructPwned> for String: fn from",
            "impl fmt::Display for ModePubStructPwned",
            "impl fmt::Display for ModePubStructPwned: fn fmt",
            "struct WidgetPubStructPwned",
            "impl WidgetPubStructPwned",
            "impl WidgetPubStructPwned: fn new",
            "impl WidgetPubStructPwned: fn with_value_2",
            "impl WidgetPubStructPwned: fn with_derive_pwned",
            "impl WidgetPubStructPwned: fn with_rtl",
            "impl WidgetPubStructPwned: fn with_fn_pwned",
            "impl WidgetPubStructPwned: fn with_self",
            "impl WidgetPubStructPwned: fn with_n3abc",
            "impl WidgetPubStructPwned: fn with_nested_fn_pwned",
            "struct WidgetPubStructPwnedNestedFnPwned",
            "impl WidgetPubStructPwnedNestedFnPwned",
            "impl WidgetPubStructPwnedNestedFnPwned: fn with_inner",
        ]
    );
    let operations = items(file(&files, "src/operations.rs"));
    assert_eq!(
        operations,
        [
            "use crate::call::{Call,Operation,json,nothing,Documented}",
            "use crate::Client",
            "use crate::models::{ModePubStructPwned,WidgetPubStructPwned}",
            "use reqwest::Method",
            "impl Client",
            "impl Client: fn get_item_fn_pwned",
            "impl Client: fn get_item_fn_pwned: static OPERATION",
            "impl Client: fn timeout_2",
            "impl Client: fn timeout_2: static OPERATION",
        ]
    );
    // Items hidden where the walk above does not look (inside expressions) would still need
    // their keyword: every one of them is accounted for.
    for (path, found) in [("src/lib.rs", &lib), ("src/models.rs", &models), ("src/operations.rs", &operations)] {
        let source = file(&files, path);
        for (keyword, marker) in
            [("fn", "fn "), ("struct", "struct "), ("enum", "enum "), ("static", "static "), ("mod", "mod ")]
        {
            let items = found.iter().filter(|line| line.rsplit(": ").next().is_some_and(|l| l.starts_with(marker)));
            assert_eq!(count_keyword(source, keyword), items.count(), "`{keyword}` in {path}");
        }
        for keyword in ["macro_rules", "extern", "unsafe", "trait", "union"] {
            assert_eq!(count_keyword(source, keyword), 0, "`{keyword}` in {path}");
        }
        let idents = tokens(source);
        assert!(
            !idents.iter().any(|t| matches!(t, TokenTree::Ident(i) if *i == "pwned" || *i == "Pwned")),
            "{path} has a `pwned` identifier: spec text became code"
        );
        let mut attributes = attribute_names(source);
        attributes.sort();
        attributes.dedup();
        for name in &attributes {
            assert!(
                ["allow", "derive", "doc", "serde", "warn"].contains(&name.as_str()),
                "{path} has an attribute the generator does not write: #[{name}]"
            );
        }
    }
}

#[test]
fn spec_text_is_kept_only_as_data_or_documentation() {
    let files = generate(SPEC);
    for f in &files {
        if let Some(c) = f.contents.chars().find(|c| BIDI.contains(c) || matches!(c, '\0' | '\r')) {
            panic!("{} holds the raw character {c:?}", f.path);
        }
    }
    let operations = strings(file(&files, "src/operations.rs"));
    assert!(
        operations.iter().any(|s| s == "/items/{itemId}/\"); pwned(); (\""),
        "the path template is kept whole, as a string"
    );
    assert!(operations.iter().any(|s| s == "q\"); pwned(); (\""), "the parameter's wire name is kept whole");
    let models = strings(file(&files, "src/models.rs"));
    assert!(models.iter().any(|s| s == "\n#[cfg(any())]\nfn pwned() {}"), "the enum value is kept whole");
    assert!(models.iter().any(|s| s == "a\u{202E}b"), "a bidi control in a value is data, escaped in the literal");
    let lib = strings(file(&files, "src/lib.rs"));
    assert!(lib.iter().any(|s| s.contains("fn pwned() {}")), "the description is kept as documentation");
    assert!(lib.iter().all(|s| !s.contains('\u{202E}') || !s.starts_with(' ')), "no doc line holds a bidi control");
    for path in ["src/lib.rs", "src/models.rs", "src/operations.rs"] {
        // Follow the doc comments' code blocks as CommonMark does: every one that opens must be
        // marked `text`, but for the crate example the generator itself writes in lib.rs.
        let mut open: Option<char> = None;
        let mut opened = Vec::new();
        for line in file(&files, path).lines().map(str::trim_start) {
            let Some(doc) = line.strip_prefix("///").or_else(|| line.strip_prefix("//!")) else {
                open = None;
                continue;
            };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            let indent = doc.len() - doc.trim_start_matches(' ').len();
            let doc = doc.trim_start_matches(' ');
            let fence = ['`', '~'].into_iter().find(|c| doc.starts_with(&c.to_string().repeat(3)));
            match (open, fence) {
                (None, Some(c)) if indent < 4 => {
                    let info = doc.trim_start_matches(c);
                    // After backticks, an info string holding a backtick makes a code span instead.
                    if !(c == '`' && info.contains('`')) {
                        opened.push(info.trim().to_owned());
                        open = Some(c);
                    }
                }
                (Some(c), Some(f)) if f == c && doc.trim_start_matches(c).trim().is_empty() && indent < 4 => {
                    open = None
                }
                _ => {}
            }
        }
        for info in &opened {
            assert!(
                info == "text" || (path == "src/lib.rs" && info == "no_run"),
                "{path} opens a code block rustdoc would run: ```{info}"
            );
        }
        let examples = opened.iter().filter(|info| *info == "no_run").count();
        assert_eq!(examples, usize::from(path == "src/lib.rs"), "{path}: the generator writes one example, in lib.rs");
    }

    let manifest: toml::Table = toml::from_str(file(&files, "Cargo.toml")).expect("Cargo.toml is TOML");
    assert_eq!(manifest.keys().collect::<Vec<_>>(), ["package", "features", "dependencies", "dev-dependencies"]);
    let package = manifest["package"].as_table().expect("[package]");
    assert_eq!(package["name"].as_str(), Some("injection-client"));
    assert_eq!(package["version"].as_str(), Some("0.1.0"), "a non-semver info.version gives a valid version");
    let description = package["description"].as_str().expect("a description");
    assert!(description.starts_with("Async Rust client for Inject */ \"quoted\" #hash \\ back fn pwned() {}"));
    assert!(!description.contains('\n'), "{description:?}");

    // The runtime files do not depend on the spec at all.
    let plain = generate("generator/tests/fixtures/models.yaml");
    for path in ["src/call.rs", "src/client.rs", "src/error.rs"] {
        let strip_header = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default();
        assert_eq!(strip_header(file(&files, path)), strip_header(file(&plain, path)), "{path}");
    }
}

/// Runs cargo in the generated crate; returns its output.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", "-D warnings")
        .env("RUSTDOCFLAGS", "-D warnings")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "`cargo {}` failed in {}:\n{text}", args.join(" "), dir.display());
    text
}

#[test]
fn the_crate_compiles_documents_and_runs_only_the_generators_doctests() {
    let root = xtask::workspace_root();
    let dir: PathBuf = std::env::temp_dir().join(format!("injection-crate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in generate(SPEC) {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
        std::fs::write(&path, &f.contents).expect("write");
    }
    // The workspace's lock file pins the same dependency versions the workspace builds with.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let target = root.join("target/injection");

    cargo(&dir, &target, &["check", "--quiet"]);
    cargo(&dir, &target, &["doc", "--no-deps", "--quiet"]);
    let output = cargo(&dir, &target, &["test", "--doc"]);
    let doctests: BTreeMap<String, String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.split_once(" - "))
        .map(|(file, rest)| (file.to_owned(), rest.to_owned()))
        .collect();
    let ran = output.lines().filter(|line| line.starts_with("test ") && line.contains(" - ")).count();
    let files: Vec<&String> = doctests.keys().collect();
    // The runtime's own examples (client, token providers, retry policy) and the crate docs' one.
    assert_eq!(files, ["src/auth.rs", "src/client.rs", "src/lib.rs", "src/retry.rs"], "doctests ran:\n{output}");
    assert_eq!(ran, 5, "only the generator's own examples run as doctests:\n{output}");
    let _ = std::fs::remove_dir_all(&dir);
}
