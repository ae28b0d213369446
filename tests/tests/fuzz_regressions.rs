//! Every case the fuzzer ever failed on (`generator/tests/fuzz-regressions/`, kept by
//! `cargo xtask fuzz` or written by hand from one of its findings) still ends well: generated
//! files that parse, or an error that locates the fault. Never a panic, never a hang.

use std::time::{Duration, Instant};
use xtask::fuzz::{run_one, Verdict, REGRESSIONS_DIR};

#[test]
fn every_saved_fuzz_case_ends_in_parsable_code_or_a_located_error() {
    let dir = xtask::workspace_root().join(REGRESSIONS_DIR);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json" || e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "the regression cases are missing from {}", dir.display());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable case");
        let label = path.file_name().expect("a file name").to_string_lossy().into_owned();
        let started = Instant::now();
        let (verdict, _) = run_one(text, label.clone(), None);
        let took = started.elapsed();
        println!("{label}: {verdict:?} in {took:.1?}");
        if let Verdict::Bad(why) = &verdict {
            failures.push(format!("{label}: {why}"));
        }
        if took > Duration::from_secs(10) {
            failures.push(format!("{label}: took {took:.1?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_deep_and_hostile_cases_end_the_way_they_should() {
    let dir = xtask::workspace_root().join(REGRESSIONS_DIR);
    let verdict = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).expect("readable case");
        let options = openapi_codegen::Options {
            tags: Vec::new(),
            crate_options: openapi_codegen::CrateOptions { crate_name: "c".to_owned(), spec_label: name.to_owned() },
        };
        openapi_codegen::generate(&text, name, &options).map(drop).map_err(|e| e.to_string())
    };
    let chain = verdict("reference-chain-400-long.json").expect_err("too deep");
    assert!(chain.contains("nest more than 256 levels"), "{chain}");
    let invalid = verdict("invalid-schema-nested-24-deep.json").expect_err("invalid");
    assert!(
        invalid.contains("/items/items/items/items/items/items/items/items/items/items/items/items/type:"),
        "{invalid}"
    );
    let too_deep = verdict("schema-nested-300-deep.json").expect_err("past the parser's limit");
    assert!(too_deep.contains("recursion limit exceeded"), "{too_deep}");
    verdict("schema-nested-118-deep.json").expect("118 levels are within the limits");
    verdict("non-ascii-digit-names.json").expect("odd names still make identifiers");
    verdict("enum-values-with-control-characters.json").expect("control characters are only data");
}
