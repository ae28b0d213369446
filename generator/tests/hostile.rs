//! Documents built to exhaust the generator: YAML alias bombs, nesting past the parsers'
//! limits, deep schemas on a caller with a small stack. Each must end quickly in a located
//! error or in code, whatever thread the generator is called from.

use openapi_codegen::{CrateOptions, Error, Options};
use std::time::{Duration, Instant};

fn options() -> Options {
    Options {
        tags: Vec::new(),
        crate_options: CrateOptions { crate_name: "hostile-client".to_owned(), spec_label: "hostile.yaml".to_owned() },
    }
}

/// Generates `text`, checking it takes less than `limit`.
fn generate_within(text: &str, limit: Duration) -> Result<usize, Error> {
    let started = Instant::now();
    let result = openapi_codegen::generate(text, "hostile.yaml", &options()).map(|files| files.len());
    assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    result
}

#[test]
fn a_yaml_alias_bomb_is_refused_quickly() {
    let mut text = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-bomb:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let previous = format!("*a{}", i - 1);
        text.push_str(&format!("  a{i}: &a{i} [{}]\n", vec![previous; 10].join(", ")));
    }
    let err = generate_within(&text, Duration::from_secs(5)).expect_err("10^12 nodes are not expanded");
    let message = err.to_string();
    assert!(message.starts_with("hostile.yaml:") && message.contains("repetition limit exceeded"), "{message}");
}

#[test]
fn yaml_and_json_nested_past_the_parsers_limit_are_refused_with_a_line() {
    let flow = format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-deep: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let json = format!(r#"{{"openapi": "3.0.3", "x-deep": {}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    let mut block = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx-deep:\n");
    for depth in 1..500 {
        block.push_str(&format!("{}- \n", "  ".repeat(depth)));
    }
    for text in [flow, json, block] {
        let err = generate_within(&text, Duration::from_secs(5)).expect_err("too deep");
        match &err {
            Error::Syntax { line, message, .. } => {
                assert!(*line > 0 && message.contains("recursion limit exceeded"), "{err}")
            }
            other => panic!("expected a syntax error with a line, got {other}"),
        }
    }
}

#[test]
fn the_generator_brings_its_own_stack() {
    // 118 nested array schemas are within every limit; deserializing them takes megabytes of
    // stack in a debug build. The caller here has 256 KiB.
    let mut schema = String::from("{\"type\": \"string\"}");
    for _ in 0..118 {
        schema = format!("{{\"type\": \"array\", \"items\": {schema}}}");
    }
    let text = format!(
        r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{"/a": {{"get": {{"responses": {{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {schema}}}}}}}}}}}}}}}}}"#
    );
    let files = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || generate_within(&text, Duration::from_secs(30)).expect("generates"))
        .expect("a thread")
        .join()
        .expect("no stack overflow, no panic");
    assert_eq!(files, openapi_codegen::emit::file_paths().len());
}

#[test]
fn an_invalid_schema_deep_down_is_found_without_backtracking() {
    let mut schema = String::from("{\"type\": 5}");
    for _ in 0..40 {
        schema = format!("{{\"type\": \"object\", \"properties\": {{\"p\": {schema}}}}}");
    }
    let text = format!(
        r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}}, "paths": {{"/a": {{"get": {{"responses": {{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {schema}}}}}}}}}}}}}}}}}"#
    );
    // 2^40 attempts if openapiv3 were left to backtrack.
    let err = generate_within(&text, Duration::from_secs(10)).expect_err("invalid");
    let Error::Spec { pointer, .. } = &err else { panic!("expected a located error, got {err}") };
    assert_eq!(
        pointer,
        &format!("/paths/~1a/get/responses/200/content/application~1json/schema{}/type", "/properties/p".repeat(40))
    );
}

#[test]
fn a_server_default_of_400_000_newlines_stays_one_line_of_docs() {
    // Seed 7, case 78124: the URL was documented a line per newline, which took seconds.
    let text = serde_json_text(&"\n".repeat(400_000));
    let files = {
        let started = Instant::now();
        let files = openapi_codegen::generate(&text, "hostile.json", &options()).expect("generates");
        assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
        files
    };
    let lib = &files.iter().find(|f| f.path == "src/lib.rs").expect("lib.rs").contents;
    let doc = lib.lines().find(|l| l.contains("The server the spec names first")).expect("documented");
    assert!(doc.len() < 1000 && lib.lines().count() < 200, "{} lines", lib.lines().count());
}

/// A spec whose server's `host` variable defaults to `host`.
fn serde_json_text(host: &str) -> String {
    let host = host.replace('\n', "\\n");
    format!(
        r#"{{"openapi": "3.0.3", "info": {{"title": "t", "version": "1"}},
            "servers": [{{"url": "https://{{host}}/v1", "variables": {{"host": {{"default": "{host}"}}}}}}],
            "paths": {{"/a": {{"get": {{"responses": {{"204": {{"description": "done"}}}}}}}}}}}}"#
    )
}
