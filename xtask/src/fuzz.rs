//! `cargo xtask fuzz`: mutation fuzzing of the generator, on stable Rust.
//!
//! Every spec of the corpus (and every fixture spec) is a seed. A case takes one seed, applies a
//! few random structural mutations to its parsed document (keys deleted or duplicated, types
//! swapped, `$ref`s dangled or looped, schemas nested deep, huge, empty and unusual strings,
//! numeric and boolean keys ...), writes it back as JSON or YAML and runs the generator on the
//! text. A case passes when it ends in files that parse (Rust with `syn`, the manifest with
//! `toml`), or in an error that locates the fault (a JSON pointer of a node that exists, or a
//! line and column for text that does not parse).
//!
//! A panic, a stack overflow (which aborts the process) or a hang must not take the fuzzer down
//! with it, so cases run in child processes (`xtask fuzz-worker`, hidden), each case on a thread
//! with a fixed stack, while the parent watches the time. Every case is made from `(seed, index)`
//! alone, so the parent can rebuild any case a child reported or died on. Failing cases are
//! shrunk and saved under `generator/tests/fuzz-regressions/`, which a test replays.

use anyhow::{bail, Context, Result};
use openapi_codegen::{CrateOptions, Error, Options};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The seed of the batch `cargo xtask test` runs.
pub const TEST_SEED: u64 = 20_240_217;
/// How many cases `cargo xtask test` runs (about a minute in a debug build on two cores).
pub const TEST_CASES: u64 = 1000;
/// The stack of the thread each case is judged on. The generator runs on a stack of its own
/// (`openapi_codegen::STACK_BYTES`), whatever the caller's; this one is for the judging, where
/// `syn` parses generated types nested as deep as the spec's schemas.
pub const CASE_STACK_BYTES: usize = 256 * 1024 * 1024;
/// Where failing cases are kept as regression tests.
pub const REGRESSIONS_DIR: &str = "generator/tests/fuzz-regressions";

/// Mutation fuzzing of the generator: random structural mutations of every corpus spec.
#[derive(Debug, Clone, clap::Args)]
pub struct FuzzArgs {
    /// How many cases to run.
    #[arg(long, default_value_t = 1000)]
    pub cases: u64,
    /// The seed; the same seed and case count give the same cases.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Child processes running cases at once.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Seconds one case may take before it counts as a hang.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Do not shrink and save failing cases under generator/tests/fuzz-regressions/.
    #[arg(long)]
    pub no_save: bool,
    /// Where failing cases are saved. [default: generator/tests/fuzz-regressions]
    #[arg(long)]
    pub save_dir: Option<PathBuf>,
    /// Make every fifth case fail this way on purpose (checks that the harness catches it).
    #[arg(long, value_enum, hide = true)]
    pub inject: Option<Fault>,
}

/// A failure the harness injects on purpose, to show that it catches each way a case can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// A panic.
    Panic,
    /// A stack overflow, which aborts the process.
    Overflow,
    /// A case that never ends.
    Hang,
}

impl Fault {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Panic => "panic",
            Fault::Overflow => "overflow",
            Fault::Hang => "hang",
        }
    }

    /// Which cases of a run it hits.
    fn hits(index: u64) -> bool {
        index % 5 == 2
    }

    fn happen(self) -> Verdict {
        match self {
            Fault::Panic => panic!("injected panic"),
            Fault::Overflow => {
                fn deeper(n: u64) -> u64 {
                    let buffer = std::hint::black_box([n; 64]);
                    if buffer[0] == u64::MAX {
                        0
                    } else {
                        deeper(buffer[1] + 1) + buffer[2]
                    }
                }
                Verdict::Bad(format!("the stack did not overflow: {}", deeper(0)))
            }
            Fault::Hang => loop {
                std::thread::sleep(Duration::from_secs(1));
            },
        }
    }
}

impl FuzzArgs {
    /// The fixed-seed batch of `cargo xtask test`.
    pub fn test_batch() -> Self {
        // Shrinking failures can take minutes; the seed reproduces them with `cargo xtask fuzz`.
        // The batch runs in a debug build, several times slower than release: the largest
        // mutants (a hub of 1,500 schemas) take about 2.5 s of CPU there, 0.5 s in release, so a
        // case counts as a hang only after 30 s.
        Self { cases: TEST_CASES, seed: TEST_SEED, jobs: 2, timeout: 30.0, no_save: true, save_dir: None, inject: None }
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness: SplitMix64, small and deterministic on every platform.

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for case `index` of the run with `seed`.
    pub fn for_case(seed: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        let mixed = rng.next_u64() ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds and cases.

/// A parsed corpus spec.
pub struct Seed {
    /// Its file name.
    pub name: String,
    /// Its document.
    pub document: Value,
}

/// The corpus folders plus the generator's fixture specs, parsed.
pub fn load_seeds() -> Result<Vec<Seed>> {
    let mut folders = crate::corpus::default_folders();
    folders.push(crate::workspace_root().join("generator/tests/fixtures"));
    let mut seeds = Vec::new();
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // A seed that does not parse (none should) is simply not a seed.
            if let Ok(document) = openapi_codegen::load::parse_value(&text, &name) {
                seeds.push(Seed { name, document });
            }
        }
    }
    if seeds.is_empty() {
        bail!("no seed specs found");
    }
    Ok(seeds)
}

/// How a case's document is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Compact JSON.
    Json,
    /// Indented JSON.
    PrettyJson,
    /// YAML; with `typed_keys`, keys that read as numbers, booleans or null are written as such.
    Yaml {
        /// Write number-, boolean- and null-like keys unquoted.
        typed_keys: bool,
    },
}

impl Format {
    /// The file extension for a saved case.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json | Format::PrettyJson => "json",
            Format::Yaml { .. } => "yaml",
        }
    }
}

/// A damage done to the text after writing it out (reaches the parsers' error paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEdit {
    /// Keep only this fraction (per mille) of the text.
    Truncate(u16),
    /// Replace the byte at this fraction (per mille) with this ASCII byte.
    Replace(u16, u8),
}

/// One fuzz case, rebuilt from `(seed, index)`.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's number in its run.
    pub index: u64,
    /// The seed spec it started from.
    pub seed_name: String,
    /// What was done to the seed.
    pub mutations: Vec<String>,
    /// The mutated document.
    pub document: Value,
    /// How it is written out.
    pub format: Format,
    /// Damage to the text, if any.
    pub text_edit: Option<TextEdit>,
}

impl Case {
    /// Builds case `index` of the run with `seed`.
    pub fn make(seeds: &[Seed], seed: u64, index: u64) -> Case {
        let mut rng = Rng::for_case(seed, index);
        let base = rng.pick(seeds);
        let mut document = base.document.clone();
        let mut mutations = Vec::new();
        if let Some(note) = sample_paths(&mut document, &mut rng) {
            mutations.push(note);
        }
        let count = 1 + rng.below(4);
        for _ in 0..count {
            mutations.push(mutate(&mut document, &mut rng));
        }
        let format = match rng.below(4) {
            0 => Format::Json,
            1 => Format::PrettyJson,
            2 => Format::Yaml { typed_keys: false },
            _ => Format::Yaml { typed_keys: true },
        };
        let text_edit = if rng.chance(4) {
            Some(if rng.chance(50) {
                TextEdit::Truncate(rng.below(1000) as u16)
            } else {
                TextEdit::Replace(rng.below(1000) as u16, *rng.pick(b"{}[]:,\"'-#&*!|>%@` \n\t\\"))
            })
        } else {
            None
        };
        Case { index, seed_name: base.name.clone(), mutations, document, format, text_edit }
    }

    /// One line saying what the case is.
    pub fn describe(&self) -> String {
        let edit = match self.text_edit {
            Some(TextEdit::Truncate(at)) => format!(", text cut at {at}/1000"),
            Some(TextEdit::Replace(at, byte)) => format!(", byte at {at}/1000 set to {:?}", byte as char),
            None => String::new(),
        };
        let mutations: Vec<String> = self
            .mutations
            .iter()
            .map(|m| {
                if m.chars().count() > 300 {
                    format!("{}...", m.chars().take(300).collect::<String>())
                } else {
                    m.clone()
                }
            })
            .collect();
        format!("{} as {:?}{edit}: {}", self.seed_name, self.format, mutations.join("; "))
    }

    /// The text the generator reads.
    pub fn text(&self) -> String {
        render(&self.document, self.format, self.text_edit)
    }
}

/// How deep `value` nests (a scalar is 1 deep).
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((node, level)) = stack.pop() {
        deepest = deepest.max(level);
        match node {
            Value::Object(map) => stack.extend(map.values().map(|v| (v, level + 1))),
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, level + 1))),
            _ => {}
        }
    }
    deepest
}

/// Writes `document` in `format`, then applies `edit`. Documents nested deeper than the parsers
/// accept are written as compact JSON: indenting thousands of levels makes gigabytes of text.
pub fn render(document: &Value, format: Format, edit: Option<TextEdit>) -> String {
    let format = if depth(document) > 150 { Format::Json } else { format };
    let text = match format {
        Format::Json => serde_json::to_string(document).unwrap_or_default(),
        Format::PrettyJson => serde_json::to_string_pretty(document).unwrap_or_default(),
        Format::Yaml { typed_keys } => serde_yaml::to_string(&to_yaml(document, typed_keys))
            .unwrap_or_else(|_| serde_json::to_string(document).unwrap_or_default()),
    };
    match edit {
        None => text,
        Some(TextEdit::Truncate(per_mille)) => {
            let mut at = text.len() * per_mille as usize / 1000;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_owned()
        }
        Some(TextEdit::Replace(per_mille, byte)) => {
            let mut at = text.len() * per_mille as usize / 1000;
            while at < text.len() && !text.is_char_boundary(at) {
                at += 1;
            }
            let Some(c) = text[at..].chars().next() else { return text };
            format!("{}{}{}", &text[..at], byte as char, &text[at + c.len_utf8()..])
        }
    }
}

fn to_yaml(value: &Value, typed_keys: bool) -> serde_yaml::Value {
    use serde_yaml::Value as Y;
    match value {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Bool(*b),
        Value::Number(n) => serde_yaml::to_value(n).unwrap_or(Y::Null),
        Value::String(s) => Y::String(s.clone()),
        Value::Array(items) => Y::Sequence(items.iter().map(|v| to_yaml(v, typed_keys)).collect()),
        Value::Object(map) => {
            let mut mapping = serde_yaml::Mapping::new();
            for (key, item) in map {
                let key = if typed_keys { typed_key(key) } else { Y::String(key.clone()) };
                mapping.insert(key, to_yaml(item, typed_keys));
            }
            Y::Mapping(mapping)
        }
    }
}

/// The YAML scalar a key reads as when written unquoted.
fn typed_key(key: &str) -> serde_yaml::Value {
    use serde_yaml::Value as Y;
    match key {
        "true" => Y::Bool(true),
        "false" => Y::Bool(false),
        "null" | "~" => Y::Null,
        _ => {
            if let Ok(i) = key.parse::<i64>() {
                Y::Number(i.into())
            } else if let Ok(f) = key.parse::<f64>() {
                if f.is_finite() && key.contains('.') {
                    Y::Number(f.into())
                } else {
                    Y::String(key.to_owned())
                }
            } else {
                Y::String(key.to_owned())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations.

/// Names and prose that try to break out of where they end up, or that are awkward as Rust names.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "*/",
    "/*",
    "\"",
    "'",
    "#",
    "\\",
    "\\\"",
    "\n#[cfg(any())]\nfn pwned() {}",
    "\nfn pwned() {}\n",
    "\"); pwned(); (\"",
    "*/ fn pwned() {} /*",
    "```\nfn main() { pwned() }\n```",
    "```rust\npwned();\n```",
    "    pwned();",
    "\u{0}",
    "a\u{0}b",
    "\u{202E}evil\u{202C}",
    "\u{2066}x\u{2069}",
    "\u{200B}",
    "\u{FEFF}",
    "\r",
    "a\rb",
    "\r\n",
    "\t",
    "\u{2028}",
    "\u{85}",
    "e\u{301}",
    "🦀",
    "名前",
    "٣abc",
    "²",
    "Σ",
    "ǅ",
    "İ",
    "ℌ",
    "ⅷ",
    "\u{10FFFF}",
    "self",
    "Self",
    "super",
    "crate",
    "type",
    "r#type",
    "_",
    "__",
    "0",
    "123",
    "-1",
    "1.5",
    "true",
    "null",
    "new",
    "builder",
    "timeout",
    "http",
    "default_headers",
    "base_url",
    "json",
    "nothing",
    "Call",
    "Operation",
    "Client",
    "Method",
    "Documented",
    "Vec",
    "Option",
    "String",
    "Result",
    "Error",
    "main",
    "[",
    "]",
    "[x]",
    "[x](y)",
    "<script>",
    "<",
    "https://x.y/z",
    "http://",
    "{",
    "}",
    "{x}",
    "%",
    "../",
    "a/b",
    "~",
    "~1",
    "$ref",
    "#/components/schemas/x",
];

/// Strings far longer than any name or sentence.
fn huge_string(rng: &mut Rng) -> String {
    let unit =
        *rng.pick(&["x", "[", "]", "`", "\\", "*/", "\n", "é", "\u{202E}", "https://a.b/", "<", "{", "[a](", " "]);
    let length = *rng.pick(&[1_000usize, 10_000, 100_000, 400_000]);
    unit.repeat(length / unit.len().max(1))
}

fn hostile(rng: &mut Rng) -> String {
    if rng.chance(5) {
        huge_string(rng)
    } else if rng.chance(20) {
        format!("{}{}", rng.pick(HOSTILE), rng.pick(HOSTILE))
    } else {
        (*rng.pick(HOSTILE)).to_owned()
    }
}

/// Big specs keep a handful of their paths, so a case takes milliseconds, not seconds.
fn sample_paths(document: &mut Value, rng: &mut Rng) -> Option<String> {
    let paths = document.get_mut("paths")?.as_object_mut()?;
    if paths.len() <= 12 || rng.chance(5) {
        return None;
    }
    let keep = 1 + rng.below(12);
    let keys: Vec<String> = paths.keys().cloned().collect();
    let mut kept = Map::new();
    for _ in 0..keep {
        let key = rng.pick(&keys);
        if let Some(item) = paths.get(key) {
            kept.insert(key.clone(), item.clone());
        }
    }
    let note = format!("kept {} of {} paths", kept.len(), keys.len());
    *paths = kept;
    Some(note)
}

/// A random node's pointer among those `wanted` accepts (given the node's path segments).
/// One pass, without building every pointer: documents may be thousands of levels deep.
fn pick_pointer(document: &Value, rng: &mut Rng, wanted: impl Fn(&[String], &Value) -> bool) -> Option<String> {
    let mut chosen: Option<Vec<String>> = None;
    let mut seen = 0u64;
    let mut path: Vec<String> = Vec::new();
    let mut stack: Vec<(usize, Option<String>, &Value)> = vec![(0, None, document)];
    while let Some((depth, key, node)) = stack.pop() {
        path.truncate(depth.saturating_sub(1));
        if let Some(key) = key {
            path.push(key);
        }
        if wanted(&path, node) {
            seen += 1;
            if rng.next_u64().is_multiple_of(seen) {
                chosen = Some(path.clone());
            }
        }
        match node {
            Value::Object(map) => {
                for (key, child) in map.iter().rev() {
                    stack.push((path.len() + 1, Some(key.clone()), child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((path.len() + 1, Some(i.to_string()), child));
                }
            }
            _ => {}
        }
    }
    chosen.map(|segments| segments.iter().fold(String::new(), |at, s| openapi_codegen::error::pointer(&at, s)))
}

/// Looks like a schema: under a `schema(s)`, `properties`, `items` ... key, or typed.
fn is_schema_like(at: &[String], node: &Value) -> bool {
    let Some(map) = node.as_object() else { return false };
    let last = at.last().map_or("", String::as_str);
    let parent = at.len().checked_sub(2).map_or("", |i| at[i].as_str());
    map.contains_key("type")
        || map.contains_key("properties")
        || last == "schema"
        || last == "items"
        || last == "additionalProperties"
        || parent == "schemas"
        || parent == "properties"
}

fn component_names(document: &Value, section: &str) -> Vec<String> {
    document
        .pointer(&format!("/components/{section}"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn reference(section: &str, name: &str) -> Value {
    let escaped = name.replace('~', "~0").replace('/', "~1");
    serde_json::json!({ "$ref": format!("#/components/{section}/{escaped}") })
}

fn schemas_mut(document: &mut Value) -> Option<&mut Map<String, Value>> {
    let root = document.as_object_mut()?;
    let components = root.entry("components").or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let schemas = components.as_object_mut()?.entry("schemas").or_insert_with(|| Value::Object(Map::new()));
    if !schemas.is_object() {
        *schemas = Value::Object(Map::new());
    }
    schemas.as_object_mut()
}

/// An object of `entries`, moving the values in (`json!` would copy them by serializing).
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
}

fn random_value(rng: &mut Rng, not_like: &Value) -> Value {
    loop {
        let value = match rng.below(9) {
            0 => Value::Null,
            1 => Value::Bool(rng.chance(50)),
            2 => Value::from(*rng.pick(&[0i64, -1, 1, 200, 65_536, i64::MAX, i64::MIN])),
            3 => serde_json::json!(1.5e300),
            4 => Value::String(hostile(rng)),
            5 => Value::Array(Vec::new()),
            6 => Value::Object(Map::new()),
            7 => Value::Array(vec![not_like.clone()]),
            _ => object([("x", not_like.clone())]),
        };
        if std::mem::discriminant(&value) != std::mem::discriminant(not_like) || rng.chance(10) {
            return value;
        }
    }
}

/// Applies one random mutation; says what it did.
pub fn mutate(document: &mut Value, rng: &mut Rng) -> String {
    match rng.below(18) {
        0 => delete_key(document, rng),
        1 => duplicate_entry(document, rng),
        2 | 3 => swap_type(document, rng),
        4 => dangle_ref(document, rng),
        5 => loop_ref(document, rng),
        6 => deep_nest(document, rng),
        7 => deep_ref_chain(document, rng),
        8 => replace_string(document, rng, true),
        9 => empty_strings(document, rng),
        10 => rename_key(document, rng),
        11 => duplicate_operation_ids(document, rng),
        12 => numeric_keys(document, rng),
        13 => graft(document, rng),
        14 => hostile_enum(document, rng),
        15 => replace_string(document, rng, false),
        16 => wide(document, rng),
        _ => top_level(document, rng),
    }
}

fn delete_key(document: &mut Value, rng: &mut Rng) -> String {
    let Some(at) = pick_pointer(document, rng, |_, n| n.as_object().is_some_and(|m| !m.is_empty())) else {
        return "nothing to delete".to_owned();
    };
    let map = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
    map.shift_remove(&key);
    format!("deleted {at}/{key}")
}

fn duplicate_entry(document: &mut Value, rng: &mut Rng) -> String {
    let Some(at) = pick_pointer(document, rng, |_, n| n.as_object().is_some_and(|m| !m.is_empty())) else {
        return "nothing to duplicate".to_owned();
    };
    let map = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    let keys: Vec<String> = map.keys().cloned().collect();
    let from = rng.pick(&keys).clone();
    let value = map[&from].clone();
    let to = if rng.chance(50) { rng.pick(&keys).clone() } else { format!("{from}{}", rng.pick(&["_", "2", "", " "])) };
    map.insert(to.clone(), value);
    format!("copied {at}/{from} to key {to:?}")
}

fn swap_type(document: &mut Value, rng: &mut Rng) -> String {
    let Some(at) = pick_pointer(document, rng, |at, _| !at.is_empty()) else { return "empty".to_owned() };
    let node = document.pointer_mut(&at).expect("picked a node");
    let old = node.clone();
    *node = random_value(rng, &old);
    format!("changed the type of {at}")
}

fn dangle_ref(document: &mut Value, rng: &mut Rng) -> String {
    const TARGETS: &[&str] = &[
        "#/components/schemas/Nope",
        "#/components/schemas/",
        "#/components/schemas",
        "#",
        "",
        "other.yaml#/components/schemas/A",
        "http://example.com/x.json#/a",
        "#/components/schemas/A~2",
        "#/components/schemas/%41",
        "#/paths/~1x",
        "#/components/responses/Nope",
        "#/components/parameters/Nope",
        "#/components/requestBodies/Nope",
        "#/components/schemas/\u{202E}",
    ];
    let Some(at) = pick_pointer(document, rng, |at, n| n.is_object() && !at.is_empty()) else {
        return "no object to point from".to_owned();
    };
    let target = (*rng.pick(TARGETS)).to_owned();
    let node = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    if rng.chance(50) {
        node.clear();
    }
    node.insert("$ref".to_owned(), Value::String(target.clone()));
    format!("{at} now refers to {target:?}")
}

fn loop_ref(document: &mut Value, rng: &mut Rng) -> String {
    let section = *rng.pick(&["schemas", "schemas", "schemas", "parameters", "responses", "requestBodies"]);
    let names = component_names(document, section);
    if names.is_empty() {
        return format!("no {section} to loop");
    }
    let a = rng.pick(&names).clone();
    let b = rng.pick(&names).clone();
    let components = document.pointer_mut(&format!("/components/{section}")).and_then(Value::as_object_mut);
    let Some(components) = components else { return "no components".to_owned() };
    match rng.below(4) {
        0 => {
            components.insert(a.clone(), reference(section, &b));
            components.insert(b.clone(), reference(section, &a));
            format!("{section} {a} and {b} refer to each other")
        }
        1 => {
            components.insert(a.clone(), reference(section, &a));
            format!("{section} {a} refers to itself")
        }
        2 => {
            // Recursion through a property: legitimate, must be boxed and terminate.
            let target = components.get_mut(&a).and_then(Value::as_object_mut);
            if let Some(target) = target {
                let properties = target.entry("properties").or_insert_with(|| Value::Object(Map::new()));
                if let Some(properties) = properties.as_object_mut() {
                    properties.insert("again".to_owned(), reference(section, &b));
                    properties.insert(
                        "list".to_owned(),
                        serde_json::json!({"type": "array", "items": reference(section, &a)}),
                    );
                }
            }
            format!("{section} {a} has properties referring to {b} and itself")
        }
        _ => {
            components.insert(
                a.clone(),
                serde_json::json!({"allOf": [reference(section, &b)], "properties": {"x": reference(section, &a)}}),
            );
            format!("{section} {a} is allOf {b} with a property referring to itself")
        }
    }
}

fn deep_nest(document: &mut Value, rng: &mut Rng) -> String {
    let depth = *rng.pick(&[10usize, 30, 60, 100, 120, 127, 129, 200, 1000, 5000]);
    let Some(at) =
        pick_pointer(document, rng, is_schema_like).or_else(|| pick_pointer(document, rng, |at, _| !at.is_empty()))
    else {
        return "nothing to nest".to_owned();
    };
    let style = rng.below(6);
    let node = document.pointer_mut(&at).expect("picked a node");
    let mut inner = node.take();
    for _ in 0..depth {
        inner = match style {
            0 => object([("type", "object".into()), ("properties", object([("p", inner)]))]),
            1 => object([("type", "array".into()), ("items", inner)]),
            2 => object([("allOf", Value::Array(vec![inner]))]),
            3 => object([("type", "object".into()), ("additionalProperties", inner)]),
            4 => Value::Array(vec![inner]),
            _ => {
                let list = object([("type", "array".into()), ("items", inner)]);
                object([("type", "object".into()), ("properties", object([("p", list)]))])
            }
        };
    }
    *node = inner;
    format!("nested {at} {depth} levels deep (style {style})")
}

/// A long chain of component schemas, each referring to the next: depth the parsers never see.
fn deep_ref_chain(document: &mut Value, rng: &mut Rng) -> String {
    let length = *rng.pick(&[50usize, 200, 1000, 5000]);
    let through_property = rng.chance(70);
    let Some(schemas) = schemas_mut(document) else { return "document is not a mapping".to_owned() };
    for i in 0..length {
        let next = reference("schemas", &format!("Chain{}", i + 1));
        let schema = if i + 1 == length {
            serde_json::json!({"type": "string"})
        } else if through_property {
            serde_json::json!({"type": "object", "properties": {"next": next}})
        } else {
            next
        };
        schemas.insert(format!("Chain{i}"), schema);
    }
    // Make an operation reach the chain's start.
    let target = reference("schemas", "Chain0");
    if let Some(at) = pick_pointer(document, rng, |at, n| at.last().is_some_and(|s| s == "schema") && n.is_object()) {
        if let Some(node) = document.pointer_mut(&at) {
            *node = target;
        }
    } else if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        paths.insert(
            "/chain".to_owned(),
            serde_json::json!({"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": target}}}}}}),
        );
    }
    format!("a chain of {length} schemas referring to the next{}", if through_property { " by a property" } else { "" })
}

/// Thousands of schemas that all refer to one another through a hub, or thousands of
/// operations: width where the other mutations give depth.
fn wide(document: &mut Value, rng: &mut Rng) -> String {
    let count = *rng.pick(&[50usize, 150, 400]);
    if rng.chance(50) {
        let Some(schemas) = schemas_mut(document) else { return "document is not a mapping".to_owned() };
        let hub: Map<String, Value> =
            (0..count).map(|i| (format!("p{i}"), reference("schemas", &format!("Leaf{i}")))).collect();
        schemas.insert("Hub".to_owned(), object([("type", "object".into()), ("properties", Value::Object(hub))]));
        for i in 0..count {
            let properties =
                object([("hub", reference("schemas", "Hub")), ("name", object([("type", "string".into())]))]);
            schemas.insert(format!("Leaf{i}"), object([("type", "object".into()), ("properties", properties)]));
        }
        let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
            return "no paths".to_owned();
        };
        let content = object([("application/json", object([("schema", reference("schemas", "Hub"))]))]);
        let ok = object([("description", "ok".into()), ("content", content)]);
        paths.insert("/hub".to_owned(), object([("get", object([("responses", object([("200", ok)]))]))]));
        format!("a hub schema holding {count} schemas that hold it")
    } else {
        let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
            return "no paths".to_owned();
        };
        for i in 0..count {
            let ok = object([("description", "ok".into())]);
            let operation = object([("operationId", "same".into()), ("responses", object([("204", ok)]))]);
            paths.insert(format!("/many/{i}/{{id}}"), object([("post", operation)]));
        }
        format!("{count} operations all named `same`")
    }
}

fn replace_string(document: &mut Value, rng: &mut Rng, huge: bool) -> String {
    let Some(at) = pick_pointer(document, rng, |_, n| n.is_string()) else { return "no string".to_owned() };
    let text = if huge { huge_string(rng) } else { hostile(rng) };
    let summary = summarize(&text);
    *document.pointer_mut(&at).expect("picked a string") = Value::String(text);
    format!("set {at} to {summary}")
}

fn empty_strings(document: &mut Value, rng: &mut Rng) -> String {
    let mut count = 0;
    let mut stack = vec![document];
    while let Some(node) = stack.pop() {
        match node {
            Value::String(text) if rng.chance(10) => {
                text.clear();
                count += 1;
            }
            Value::Object(map) => stack.extend(map.values_mut()),
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    format!("emptied {count} strings")
}

/// Renames a key (a property, schema, path, parameter ...) to an unusual one.
fn rename_key(document: &mut Value, rng: &mut Rng) -> String {
    let Some(at) = pick_pointer(document, rng, |_, n| n.as_object().is_some_and(|m| !m.is_empty())) else {
        return "no key".to_owned();
    };
    let new_key = hostile(rng);
    let summary = summarize(&new_key);
    let map = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    let index = rng.below(map.len());
    let old_key = map.keys().nth(index).cloned().unwrap_or_default();
    let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    for (key, value) in entries {
        map.insert(if key == old_key { new_key.clone() } else { key }, value);
    }
    // Also rename what refers to it, half the time, so the rename reaches further.
    if rng.chance(50) && at.starts_with("/components/") {
        let section = at.trim_start_matches("/components/");
        let old_ref = reference(section, &old_key);
        let new_ref = reference(section, &new_key);
        replace_all(document, &old_ref, &new_ref);
    }
    format!("renamed {at}/{old_key} to {summary}")
}

fn replace_all(node: &mut Value, old: &Value, new: &Value) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node == old {
            *node = new.clone();
            continue;
        }
        match node {
            Value::Object(map) => stack.extend(map.values_mut()),
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

fn operation_pointers(document: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
                if item.get(method).is_some_and(Value::is_object) {
                    out.push(openapi_codegen::error::pointer(&openapi_codegen::error::pointer("/paths", path), method));
                }
            }
        }
    }
    out
}

fn duplicate_operation_ids(document: &mut Value, rng: &mut Rng) -> String {
    let operations = operation_pointers(document);
    if operations.is_empty() {
        return "no operations".to_owned();
    }
    // Not a huge string: hundreds of copies of one would make a document of gigabytes.
    let base = if rng.chance(50) { (*rng.pick(HOSTILE)).to_owned() } else { "getThing".to_owned() };
    let mut count = 0;
    for (i, at) in operations.iter().enumerate() {
        if rng.chance(60) {
            let id = match i % 4 {
                0 => base.clone(),
                1 => base.to_uppercase(),
                2 => format!("{base}_"),
                _ => format!("{base}2"),
            };
            if let Some(op) = document.pointer_mut(at).and_then(Value::as_object_mut) {
                op.insert("operationId".to_owned(), Value::String(id));
                count += 1;
            }
        }
    }
    format!("{count} operations named after {}", summarize(&base))
}

fn numeric_keys(document: &mut Value, rng: &mut Rng) -> String {
    const KEYS: &[&str] = &[
        "200", "0", "-1", "1.5", "1e3", "true", "false", "null", "~", "0x1F", "2XX", "600", "99999", "default", "007",
    ];
    let Some(at) = pick_pointer(document, rng, |_, n| n.as_object().is_some_and(|m| !m.is_empty())) else {
        return "no key".to_owned();
    };
    let new_key = (*rng.pick(KEYS)).to_owned();
    let map = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    let index = rng.below(map.len());
    let old_key = map.keys().nth(index).cloned().unwrap_or_default();
    let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    for (key, value) in entries {
        map.insert(if key == old_key { new_key.clone() } else { key }, value);
    }
    format!("renamed {at}/{old_key} to {new_key:?}")
}

fn graft(document: &mut Value, rng: &mut Rng) -> String {
    let Some(from) = pick_pointer(document, rng, |_, _| true) else { return "empty".to_owned() };
    let Some(to) = pick_pointer(document, rng, |at, _| !at.is_empty()) else { return "empty".to_owned() };
    let copy = document.pointer(&from).cloned().unwrap_or(Value::Null);
    if let Some(node) = document.pointer_mut(&to) {
        *node = copy;
    }
    format!("copied {from} over {to}")
}

fn hostile_enum(document: &mut Value, rng: &mut Rng) -> String {
    let Some(at) = pick_pointer(document, rng, is_schema_like) else { return "no schema".to_owned() };
    let count = 1 + rng.below(8);
    let values: Vec<Value> = (0..count)
        .map(|_| match rng.below(6) {
            0 => Value::from(rng.below(5) as i64),
            1 => Value::Null,
            _ => Value::String(hostile(rng)),
        })
        .collect();
    let node = document.pointer_mut(&at).and_then(Value::as_object_mut).expect("picked an object");
    node.insert("type".to_owned(), Value::String("string".to_owned()));
    node.insert("enum".to_owned(), Value::Array(values));
    if rng.chance(30) {
        node.insert("default".to_owned(), Value::String(hostile(rng)));
    }
    format!("{at} is a string enum of {count} awkward values")
}

fn top_level(document: &mut Value, rng: &mut Rng) -> String {
    let Some(root) = document.as_object_mut() else { return "document is not a mapping".to_owned() };
    match rng.below(6) {
        0 => {
            let versions = [
                Value::from("3.0"),
                Value::from("3.1.0"),
                Value::from("2.0"),
                Value::from(3.0),
                Value::Null,
                Value::from("3.0.99"),
                Value::from(""),
            ];
            let version = rng.pick(&versions);
            root.insert("openapi".to_owned(), version.clone());
            format!("openapi version set to {version}")
        }
        1 => {
            let info = root.entry("info").or_insert_with(|| Value::Object(Map::new()));
            if let Some(info) = info.as_object_mut() {
                let field = *rng.pick(&["title", "version", "description"]);
                info.insert(field.to_owned(), Value::String(hostile(rng)));
                format!("info.{field} made hostile")
            } else {
                "info is not a mapping".to_owned()
            }
        }
        2 => {
            let url = format!("{}{}", rng.pick(&["https://", "http://", "", "ftp://"]), hostile(rng));
            let summary = summarize(&url);
            root.insert("servers".to_owned(), serde_json::json!([{ "url": url, "description": hostile(rng) }]));
            format!("server URL set to {summary}")
        }
        3 => {
            root.insert("swagger".to_owned(), Value::from("2.0"));
            "added a swagger field".to_owned()
        }
        4 => {
            let key = *rng.pick(&["paths", "components", "info", "openapi"]);
            root.shift_remove(key);
            format!("removed the {key} field")
        }
        _ => {
            let servers = serde_json::json!([{
                "url": "https://{host}/{base}",
                "variables": { "host": { "default": hostile(rng) }, "base": { "default": "v1" } }
            }]);
            root.insert("servers".to_owned(), servers);
            "server variables made hostile".to_owned()
        }
    }
}

fn summarize(text: &str) -> String {
    if text.chars().count() > 24 {
        let start: String = text.chars().take(12).collect();
        format!("{start:?}... ({} bytes)", text.len())
    } else {
        format!("{text:?}")
    }
}

// ---------------------------------------------------------------------------------------------
// Judging one run of the generator.

/// How one run of the generator on a text ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Files that parse.
    Generated,
    /// An error with the JSON pointer of a node of the document (or of its parent).
    SpecError {
        /// The pointer is the document root.
        at_root: bool,
    },
    /// An error with the line and column where the text stops being YAML or JSON.
    SyntaxError,
    /// Anything else: a bug.
    Bad(String),
}

impl Verdict {
    /// A short name for reports.
    pub fn tag(&self) -> &'static str {
        match self {
            Verdict::Generated => "generated",
            Verdict::SpecError { at_root: false } => "spec-error",
            Verdict::SpecError { at_root: true } => "spec-error-at-root",
            Verdict::SyntaxError => "syntax-error",
            Verdict::Bad(_) => "bad",
        }
    }
}

const BIDI: &[char] =
    &['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'];

/// Runs the generator on `text` (all tags) and judges the result. Panics are the caller's to
/// catch.
pub fn judge(text: &str, label: &str) -> Verdict {
    let options = Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: "fuzz-client".to_owned(), spec_label: label.to_owned() },
    };
    match openapi_codegen::generate(text, label, &options) {
        Ok(files) => {
            for file in &files {
                if let Some(c) = file.contents.chars().find(|c| BIDI.contains(c) || *c == '\r' || *c == '\0') {
                    return Verdict::Bad(format!("{} contains the raw character {c:?}", file.path));
                }
                if file.path.ends_with(".rs") {
                    if let Err(err) = syn::parse_file(&file.contents) {
                        return Verdict::Bad(format!("{} does not parse as Rust: {err}", file.path));
                    }
                } else if file.path == "Cargo.toml" {
                    if let Err(problem) = check_manifest(&file.contents) {
                        return Verdict::Bad(format!("Cargo.toml: {problem}"));
                    }
                }
            }
            Verdict::Generated
        }
        Err(Error::Spec { file, pointer, message }) => {
            if file != label {
                return Verdict::Bad(format!("error names {file:?}, not the spec: {message}"));
            }
            let Ok(document) = openapi_codegen::load::parse_value(text, label) else {
                // The fault is in turning YAML into JSON: there is no JSON document to look in.
                return Verdict::SpecError { at_root: pointer.is_empty() };
            };
            let document = Some(document);
            let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
            let exists =
                document.as_ref().is_some_and(|d| d.pointer(&pointer).is_some() || d.pointer(parent).is_some());
            if !exists {
                return Verdict::Bad(format!("the pointer #{pointer} names no node of the document: {message}"));
            }
            Verdict::SpecError { at_root: pointer.is_empty() }
        }
        Err(Error::Syntax { line: 0, message, .. }) => Verdict::Bad(format!("syntax error without a line: {message}")),
        Err(Error::Syntax { .. }) => Verdict::SyntaxError,
        Err(other) => Verdict::Bad(format!("unexpected error: {other}")),
    }
}

fn check_manifest(text: &str) -> Result<(), String> {
    let manifest: toml::Table = toml::from_str(text).map_err(|e| format!("not TOML: {e}"))?;
    let package = manifest.get("package").and_then(|p| p.as_table()).ok_or("no [package]")?;
    if package.get("name").and_then(|n| n.as_str()) != Some("fuzz-client") {
        return Err("the package name is not the one asked for".to_owned());
    }
    let version = package.get("version").and_then(|v| v.as_str()).ok_or("no version")?;
    if !is_semver(version) {
        return Err(format!("{version:?} is not a semver version"));
    }
    Ok(())
}

/// `MAJOR.MINOR.PATCH`, optionally with `-pre` and `+build`, numbers without leading zeros.
pub fn is_semver(version: &str) -> bool {
    let (core, _build) = version.split_once('+').unwrap_or((version, ""));
    let (core, pre) = core.split_once('-').map_or((core, None), |(c, p)| (c, Some(p)));
    let numbers: Vec<&str> = core.split('.').collect();
    let number_ok = |n: &str| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n == "0" || !n.starts_with('0'))
            && n.parse::<u64>().is_ok()
    };
    let pre_ok = pre.is_none_or(|p| {
        p.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    numbers.len() == 3 && numbers.iter().all(|n| number_ok(n)) && pre_ok
}

// ---------------------------------------------------------------------------------------------
// Running cases: a worker process runs a range of cases; the parent watches.

static PANIC_MESSAGE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{payload}{location}"));
        }
    }));
}

/// Runs `text` through [`judge`] on a thread with [`CASE_STACK_BYTES`] of stack, turning a panic
/// into a bad verdict. Returns the verdict and the time the generator took.
/// With `fault`, fails that way instead.
pub fn run_one(text: String, label: String, fault: Option<Fault>) -> (Verdict, Duration) {
    let started = Instant::now();
    let handle = std::thread::Builder::new().stack_size(CASE_STACK_BYTES).spawn(move || {
        std::panic::catch_unwind(|| match fault {
            Some(fault) => fault.happen(),
            None => judge(&text, &label),
        })
    });
    let verdict = match handle.map(|h| h.join()) {
        Ok(Ok(Ok(verdict))) => verdict,
        Ok(_) => {
            let message = PANIC_MESSAGE.lock().ok().and_then(|mut m| m.take()).unwrap_or_default();
            Verdict::Bad(format!("panic: {message}"))
        }
        Err(err) => Verdict::Bad(format!("could not start a thread: {err}")),
    };
    (verdict, started.elapsed())
}

/// The hidden `fuzz-worker` command: runs cases `start..end`, one line per event on stdout.
/// With `fault`, every fifth case fails that way.
pub fn worker(seed: u64, start: u64, end: u64, fault: Option<Fault>) -> Result<()> {
    quiet_panics();
    // Making and writing out a case recurses through documents thousands of levels deep; that
    // is the harness's work, so it gets a big stack, and the generator runs on its own thread.
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || worker_loop(seed, start, end, fault))
        .context("starting the fuzz thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("the fuzz harness panicked"))?
}

fn worker_loop(seed: u64, start: u64, end: u64, fault: Option<Fault>) -> Result<()> {
    let seeds = load_seeds()?;
    let stdout = std::io::stdout();
    for index in start..end {
        {
            let mut out = stdout.lock();
            writeln!(out, "start\t{index}")?;
            out.flush()?;
        }
        let case = Case::make(&seeds, seed, index);
        let text = case.text();
        let fault = fault.filter(|_| Fault::hits(index));
        let (verdict, took) = run_one(text, format!("fuzz-{index}.{}", case.format.extension()), fault);
        let detail = match &verdict {
            Verdict::Bad(message) => one_line(message),
            _ => String::new(),
        };
        let mut out = stdout.lock();
        writeln!(out, "end\t{index}\t{}\t{}\t{detail}", verdict.tag(), took.as_micros())?;
        out.flush()?;
        drop(out);
        drop(case);
    }
    Ok(())
}

/// The hidden `fuzz-file` command: judges one saved case; prints its verdict.
/// With `fault`, fails that way instead.
pub fn judge_file(path: &Path, fault: Option<Fault>) -> Result<()> {
    quiet_panics();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let label = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (verdict, took) = run_one(text, label, fault);
    let detail = match &verdict {
        Verdict::Bad(message) => one_line(message),
        _ => String::new(),
    };
    println!("end\t0\t{}\t{}\t{detail}", verdict.tag(), took.as_micros());
    Ok(())
}

/// The hidden `fuzz-show` command: writes one case's text, to look at or to run by hand.
pub fn show(seed: u64, index: u64, out: &Path) -> Result<()> {
    let seeds = load_seeds()?;
    let text = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            let case = Case::make(&seeds, seed, index);
            println!("{}", case.describe());
            case.text()
        })
        .context("starting the fuzz thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("making the case panicked"))?;
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    flat.chars().take(400).collect()
}

/// How a case ended, as the parent saw it.
#[derive(Debug, Clone)]
struct Ended {
    index: u64,
    tag: String,
    micros: u128,
    detail: String,
}

fn is_failure(tag: &str) -> bool {
    matches!(tag, "bad" | "crash" | "hang")
}

/// Watches one child's output: its stdout lines, then `None` when it closed.
fn watch(mut child: Child) -> (Child, mpsc::Receiver<Option<String>>, std::thread::JoinHandle<String>) {
    let (sender, receiver) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = sender.send(None);
    });
    let mut stderr = child.stderr.take().expect("piped stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    (child, receiver, errors)
}

/// Runs cases `range` in child processes, restarting after each crash or hang.
fn drive(
    exe: &Path,
    seed: u64,
    range: std::ops::Range<u64>,
    timeout: Duration,
    done: &std::sync::atomic::AtomicU64,
    fault: Option<Fault>,
) -> Result<Vec<Ended>> {
    let mut ended = Vec::new();
    let mut next = range.start;
    while next < range.end {
        let mut command = Command::new(exe);
        command
            .args(["fuzz-worker", "--seed", &seed.to_string(), "--start", &next.to_string(), "--end"])
            .arg(range.end.to_string());
        if let Some(fault) = fault {
            command.args(["--inject", fault.name()]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let (mut child, lines, errors) = watch(child);
        let mut current: Option<(u64, Instant)> = None;
        loop {
            let wait = match current {
                Some((_, started)) => timeout.saturating_sub(started.elapsed()),
                None => Duration::from_secs(300),
            };
            match lines.recv_timeout(wait) {
                Ok(Some(line)) => {
                    let fields: Vec<&str> = line.splitn(5, '\t').collect();
                    match fields.as_slice() {
                        ["start", index] => current = Some((index.parse()?, Instant::now())),
                        ["end", index, tag, micros, detail] => {
                            let index: u64 = index.parse()?;
                            ended.push(Ended {
                                index,
                                tag: (*tag).to_owned(),
                                micros: micros.parse()?,
                                detail: (*detail).to_owned(),
                            });
                            current = None;
                            next = index + 1;
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        _ => {}
                    }
                }
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait()?;
                    let stderr = errors.join().unwrap_or_default();
                    if let Some((index, started)) = current {
                        let mut last: Vec<&str> =
                            stderr.lines().rev().filter(|l| !l.trim().is_empty()).take(2).collect();
                        last.reverse();
                        let last = last.join(" / ");
                        ended.push(Ended {
                            index,
                            tag: "crash".to_owned(),
                            micros: started.elapsed().as_micros(),
                            detail: one_line(&format!("the process ended ({status}): {last}")),
                        });
                        next = index + 1;
                    } else if next < range.end {
                        bail!("a fuzz worker stopped before its first case ({status}): {stderr}");
                    }
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let Some((index, started)) = current else {
                        let _ = child.kill();
                        let _ = child.wait();
                        bail!("a fuzz worker said nothing for 300 s");
                    };
                    let _ = child.kill();
                    let _ = child.wait();
                    ended.push(Ended {
                        index,
                        tag: "hang".to_owned(),
                        micros: started.elapsed().as_micros(),
                        detail: format!("still running after {:.1} s", timeout.as_secs_f64()),
                    });
                    next = index + 1;
                    break;
                }
            }
        }
    }
    Ok(ended)
}

/// Runs the saved text at `path` in a child process; the tag it ends with.
fn judge_in_child(exe: &Path, path: &Path, timeout: Duration, fault: Option<Fault>) -> Result<String> {
    let mut command = Command::new(exe);
    command.arg("fuzz-file").arg(path);
    if let Some(fault) = fault {
        command.args(["--inject", fault.name()]);
    }
    let child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let (mut child, lines, errors) = watch(child);
    let started = Instant::now();
    loop {
        match lines.recv_timeout(timeout.saturating_sub(started.elapsed())) {
            Ok(Some(line)) => {
                if let Some(tag) = line.strip_prefix("end\t0\t").and_then(|rest| rest.split('\t').next()) {
                    let tag = tag.to_owned();
                    let _ = child.wait();
                    return Ok(tag);
                }
            }
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                let _ = errors.join();
                return Ok("crash".to_owned());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok("hang".to_owned());
            }
        }
    }
}

/// Shrinks a failing case: removes what it can while the case still fails the same way.
fn shrink(exe: &Path, case: &Case, tag: &str, timeout: Duration, scratch: &Path, fault: Option<Fault>) -> Value {
    let mut document = case.document.clone();
    if case.text_edit.is_some() {
        return document;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let still_fails = |candidate: &Value| -> bool {
        let text = render(candidate, case.format, None);
        if std::fs::write(scratch, text).is_err() {
            return false;
        }
        judge_in_child(exe, scratch, timeout, fault).is_ok_and(|t| t == tag)
    };
    let mut attempts = 0;
    let mut changed = true;
    while changed && Instant::now() < deadline && attempts < 2000 {
        changed = false;
        // Breadth first: big subtrees go first.
        let mut queue = std::collections::VecDeque::from([String::new()]);
        while let Some(at) = queue.pop_front() {
            if Instant::now() >= deadline || attempts >= 2000 {
                break;
            }
            let Some(node) = document.pointer(&at) else { continue };
            let children: Vec<String> = match node {
                Value::Object(map) => map.keys().map(|k| openapi_codegen::error::pointer(&at, k)).collect(),
                Value::Array(items) => {
                    (0..items.len()).rev().map(|i| openapi_codegen::error::pointer(&at, i)).collect()
                }
                Value::String(s) if s.chars().count() > 8 => {
                    let mut candidate = document.clone();
                    let short: String = s.chars().take(s.chars().count() / 8).collect();
                    *candidate.pointer_mut(&at).expect("exists") = Value::String(short);
                    attempts += 1;
                    if still_fails(&candidate) {
                        document = candidate;
                        changed = true;
                    }
                    continue;
                }
                _ => continue,
            };
            for child in children {
                let mut candidate = document.clone();
                if remove(&mut candidate, &child) {
                    attempts += 1;
                    if still_fails(&candidate) {
                        document = candidate;
                        changed = true;
                        continue;
                    }
                }
                queue.push_back(child);
            }
        }
    }
    document
}

fn remove(document: &mut Value, at: &str) -> bool {
    let Some((parent, key)) = at.rsplit_once('/') else { return false };
    let key = key.replace("~1", "/").replace("~0", "~");
    match document.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
        Some(Value::Array(items)) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// What a fuzz run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: u64,
    /// How many ended each way.
    pub outcomes: BTreeMap<String, u64>,
    /// Failing cases: index, how, detail.
    pub failures: Vec<(u64, String, String)>,
    /// Files saved as regression tests.
    pub saved: Vec<PathBuf>,
}

/// The binary to run workers from: this process's own. `cargo xtask test` runs `cargo test
/// --workspace` before the fuzz step, which relinks `target/debug/xtask` (other features)
/// under the running process; the file is then gone, but on Linux `/proc/self/exe` still runs
/// it, and elsewhere the new file at the same path is a build of the same sources.
fn own_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the xtask binary")?;
    if exe.exists() {
        return Ok(exe);
    }
    let proc_self = PathBuf::from("/proc/self/exe");
    if proc_self.exists() {
        return Ok(proc_self);
    }
    let shown = exe.to_string_lossy();
    match shown.strip_suffix(" (deleted)").map(PathBuf::from) {
        Some(rebuilt) if rebuilt.exists() => Ok(rebuilt),
        _ => bail!("the xtask binary {} is gone; run the command again", exe.display()),
    }
}

/// `cargo xtask fuzz`.
pub fn run(args: &FuzzArgs) -> Result<Report> {
    // Rebuilding and shrinking cases recurses through very deep documents: a big stack.
    let args = args.clone();
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || run_on_big_stack(&args))
        .context("starting the fuzz thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("the fuzz driver panicked"))?
}

fn run_on_big_stack(args: &FuzzArgs) -> Result<Report> {
    let started = Instant::now();
    let exe = own_binary()?;
    let seeds = load_seeds()?;
    let timeout = Duration::from_secs_f64(args.timeout);
    println!(
        "fuzz: {} cases, seed {}, {} seed specs, {} job(s), {:.1} s per case at most",
        args.cases,
        args.seed,
        seeds.len(),
        args.jobs.max(1),
        args.timeout
    );
    let jobs = args.jobs.max(1) as u64;
    let per_job = args.cases.div_ceil(jobs);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut handles = Vec::new();
    for job in 0..jobs {
        let range = (job * per_job).min(args.cases)..((job + 1) * per_job).min(args.cases);
        let exe = exe.clone();
        let seed = args.seed;
        let done = done.clone();
        let fault = args.inject;
        handles.push(std::thread::spawn(move || drive(&exe, seed, range, timeout, &done, fault)));
    }
    // A line of progress a minute, so that a long run shows it is alive.
    let mut last_report = Instant::now();
    while !handles.iter().all(|h| h.is_finished()) {
        std::thread::sleep(Duration::from_millis(200));
        if last_report.elapsed() >= Duration::from_secs(60) {
            last_report = Instant::now();
            let count = done.load(std::sync::atomic::Ordering::Relaxed);
            let rate = count as f64 / started.elapsed().as_secs_f64();
            println!(
                "fuzz: {count} of {} cases after {:.0} s ({rate:.0} per second)",
                args.cases,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let mut ended = Vec::new();
    for handle in handles {
        ended.extend(handle.join().map_err(|_| anyhow::anyhow!("a fuzz driver panicked"))??);
    }
    ended.sort_by_key(|e| e.index);

    let mut report = Report { cases: ended.len() as u64, ..Report::default() };
    for e in &ended {
        *report.outcomes.entry(e.tag.clone()).or_default() += 1;
        if is_failure(&e.tag) {
            report.failures.push((e.index, e.tag.clone(), e.detail.clone()));
        }
    }
    let elapsed = started.elapsed();
    println!("fuzz: {} cases in {:.1} s", report.cases, elapsed.as_secs_f64());
    for (tag, count) in &report.outcomes {
        println!("  {tag:<20} {count:>8}");
    }
    if let Some(slowest) = ended.iter().filter(|e| e.tag != "hang").max_by_key(|e| e.micros) {
        let case = Case::make(&seeds, args.seed, slowest.index);
        println!(
            "  slowest case: #{} in {:.1} ms ({}): {}",
            slowest.index,
            slowest.micros as f64 / 1000.0,
            slowest.tag,
            case.describe()
        );
    }

    for (index, tag, detail) in &report.failures {
        let case = Case::make(&seeds, args.seed, *index);
        println!("FAILED case #{index} ({tag}): {detail}\n  case: {}", case.describe());
    }
    if !args.no_save && !report.failures.is_empty() {
        let dir = args.save_dir.clone().unwrap_or_else(|| crate::workspace_root().join(REGRESSIONS_DIR));
        std::fs::create_dir_all(&dir)?;
        let scratch_dir = std::env::temp_dir().join(format!("xtask-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&scratch_dir)?;
        // One saved case per way of failing is enough to keep; a handful per run at most.
        let mut kinds: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut saved = 0;
        for (index, tag, detail) in &report.failures {
            // Numbers (thread ids, sizes) do not make another way of failing.
            let shape: String = detail.chars().filter(|c| !c.is_ascii_digit()).collect();
            let kind = kinds.entry((tag.clone(), shape)).or_default();
            *kind += 1;
            if *kind > 1 || saved >= 8 {
                continue;
            }
            saved += 1;
            let case = Case::make(&seeds, args.seed, *index);
            let scratch = scratch_dir.join(format!("case.{}", case.format.extension()));
            let fault = args.inject.filter(|_| Fault::hits(*index));
            let shrunk = shrink(&exe, &case, tag, timeout, &scratch, fault);
            let text = render(&shrunk, case.format, case.text_edit);
            let path = dir.join(format!("seed{}-case{}.{}", args.seed, index, case.format.extension()));
            std::fs::write(&path, text)?;
            println!("  saved {} ({tag})", path.display());
            report.saved.push(path);
        }
        let _ = std::fs::remove_dir_all(&scratch_dir);
    }
    if !report.failures.is_empty() {
        bail!(
            "{} of {} cases failed (panic, crash, hang, or an error without a location)",
            report.failures.len(),
            report.cases
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_the_same_for_the_same_seed_and_index() {
        let seeds = vec![Seed {
            name: "s.yaml".to_owned(),
            document: serde_json::json!({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}),
        }];
        for index in 0..50 {
            let a = Case::make(&seeds, 7, index);
            let b = Case::make(&seeds, 7, index);
            assert_eq!(a.text(), b.text());
            assert_eq!(a.describe(), b.describe());
        }
        let texts: std::collections::HashSet<String> = (0..50).map(|i| Case::make(&seeds, 7, i).text()).collect();
        assert!(texts.len() > 25, "cases differ from one another: only {} distinct of 50", texts.len());
    }

    #[test]
    fn typed_keys_turn_status_codes_into_yaml_numbers() {
        let text =
            render(&serde_json::json!({"200": "a", "true": "b", "x": "c"}), Format::Yaml { typed_keys: true }, None);
        assert_eq!(text, "200: a\ntrue: b\nx: c\n");
        let text = render(&serde_json::json!({"200": "a"}), Format::Yaml { typed_keys: false }, None);
        assert_eq!(text, "'200': a\n");
    }

    #[test]
    fn semver_check_refuses_leading_zeros_and_short_versions() {
        assert!(is_semver("1.2.3") && is_semver("0.1.0") && is_semver("1.0.0-beta.1+x"));
        assert!(!is_semver("01.2.3") && !is_semver("1.2") && !is_semver("v1.2.3") && !is_semver("1.2.3-"));
        assert!(!is_semver("99999999999999999999.0.0"));
    }

    #[test]
    fn judge_refuses_an_error_whose_pointer_names_no_node() {
        // A valid spec generates; the verdict machinery itself is checked on a known outcome.
        let ok = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n";
        assert_eq!(judge(ok, "ok.yaml"), Verdict::Generated);
        let broken = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: 7\n";
        assert_eq!(judge(broken, "b.yaml"), Verdict::SpecError { at_root: false });
        assert_eq!(judge("{", "c.json"), Verdict::SyntaxError);
    }
}
