//! `cargo xtask bench`: what generation costs, what the generated code costs to compile, and
//! what a generated call costs over bare reqwest. Machines here are shared and noisy, so every
//! figure that matters is a ratio of two things measured in the same run; absolute times are
//! for information.

use crate::files;
use anyhow::{bail, Context, Result};
use openapi_codegen::{CrateOptions, Options};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The best-known Rust generator on nexus.json, as measured on this kind of machine (issue 5).
const PROGENITOR_NEXUS_SECONDS: f64 = 0.76;
const PROGENITOR_NEXUS_MEGABYTES: f64 = 62.0;
const PROGENITOR_NEXUS_LINES: usize = 25_124;

/// One spec to measure.
struct Input {
    name: String,
    text: String,
    base_dir: Option<PathBuf>,
    tags: Vec<String>,
}

/// Minimum and median of repeated runs, in milliseconds.
#[derive(Clone, Copy, Default)]
struct Timing {
    min: f64,
    median: f64,
}

fn measure(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f()?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok(Timing { min: samples[0], median: samples[samples.len() / 2] })
}

/// `cargo xtask bench`: rebuilds itself in release mode when needed, then runs all three parts.
pub fn run(quick: bool, compare_crate: Option<&Path>) -> Result<()> {
    if cfg!(debug_assertions) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = Command::new(cargo);
        command.args(["run", "--quiet", "--release", "--package", "xtask", "--", "bench"]);
        if quick {
            command.arg("--quick");
        }
        if let Some(other) = compare_crate {
            command.arg("--compare-crate").arg(std::path::absolute(other)?);
        }
        let status = command.current_dir(crate::workspace_root()).status()?;
        if !status.success() {
            bail!("the release bench failed ({status})");
        }
        return Ok(());
    }
    let root = crate::workspace_root();
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let mut report = serde_json::Map::new();
    report.insert("generation".into(), generation(&inputs(&root, quick)?, quick)?);
    report.insert("generated_code".into(), generated_code(&root, quick, compare_crate)?);
    report.insert("client_overhead".into(), client_overhead(&root, quick)?);
    let path = out.join("codegen.json");
    files::write_atomically(&path, &serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", path.display());
    Ok(())
}

fn inputs(root: &Path, quick: bool) -> Result<Vec<Input>> {
    let phasetwo = std::fs::read_to_string(root.join("spec/phasetwo.yaml"))?;
    let mut inputs = vec![
        Input { name: "users tag".into(), text: phasetwo.clone(), base_dir: None, tags: vec!["users".into()] },
        Input { name: "phasetwo (all)".into(), text: phasetwo, base_dir: None, tags: Vec::new() },
    ];
    let nexus = root.join("../shared/specs/nexus.json");
    match std::fs::read_to_string(&nexus) {
        Ok(text) => inputs.push(Input { name: "nexus.json".into(), text, base_dir: None, tags: Vec::new() }),
        Err(_) => println!("note: ../shared/specs/nexus.json is absent, so it is not measured"),
    }
    let sizes: &[usize] = if quick { &[100, 1000] } else { &[100, 1000, 10_000] };
    for &operations in sizes {
        inputs.push(Input {
            name: format!("synthetic {operations}"),
            text: synthetic_spec(operations),
            base_dir: None,
            tags: Vec::new(),
        });
    }
    Ok(inputs)
}

/// A spec with `operations` operations, each with a path and a query parameter, a request body
/// and a response of its own object schema.
pub fn synthetic_spec(operations: usize) -> String {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    for i in 0..operations {
        let schema = format!("Thing{i}");
        schemas.insert(
            schema.clone(),
            json!({
                "type": "object",
                "required": ["id", "name"],
                "description": format!("Thing number {i}."),
                "properties": {
                    "id": {"type": "integer", "format": "int64"},
                    "name": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                    "enabled": {"type": "boolean"}
                }
            }),
        );
        let reference = json!({"$ref": format!("#/components/schemas/{schema}")});
        paths.insert(
            format!("/things{i}/{{thingId}}"),
            json!({
                "post": {
                    "operationId": format!("updateThing{i}"),
                    "summary": format!("Updates thing {i}."),
                    "parameters": [
                        {"name": "thingId", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": reference}}},
                    "responses": {
                        "200": {"description": "The thing.", "content": {"application/json": {"schema": reference}}},
                        "404": {"description": "No such thing."}
                    }
                }
            }),
        );
    }
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "Synthetic", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas}
    });
    spec.to_string()
}

/// Part 1: generation time per stage, against the parse floor and the format floor.
fn generation(inputs: &[Input], quick: bool) -> Result<serde_json::Value> {
    println!("\n## Generation (ms: min / median of repeated runs, release build)\n");
    let mut table = String::new();
    writeln!(
        table,
        "| input | size KB | parse floor | load | lower | emit | syn | prettyplease | write | pipeline | format floor | pipeline / format floor | peak MB | peak / input | openapiv3 document alone MB |"
    )?;
    writeln!(table, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    let mut rows = Vec::new();
    let scratch = crate::workspace_root().join("target/bench/output");
    for input in inputs {
        let runs = match input.text.len() {
            0..=100_000 => {
                if quick {
                    5
                } else {
                    20
                }
            }
            100_001..=1_000_000 => {
                if quick {
                    3
                } else {
                    10
                }
            }
            _ => 3,
        };
        let options = Options {
            tags: input.tags.clone(),
            crate_options: CrateOptions { crate_name: "bench-client".into(), spec_label: input.name.clone() },
        };
        let base = input.base_dir.as_deref();
        let is_json = input.text.trim_start().starts_with('{');
        let parse_floor = measure(runs, || {
            if is_json {
                serde_json::from_str::<openapiv3::OpenAPI>(&input.text)?;
            } else {
                serde_yaml::from_str::<openapiv3::OpenAPI>(&input.text)?;
            }
            Ok(())
        })?;
        let load = measure(runs, || {
            std::hint::black_box(openapi_codegen::load::load_in(&input.text, &input.name, base)?);
            Ok(())
        })?;
        let document = openapi_codegen::load::load_in(&input.text, &input.name, base)?;
        let lower = measure(runs, || {
            std::hint::black_box(
                openapi_codegen::lower::lower(&document, &input.tags).map_err(|d| d.in_file(&input.name))?,
            );
            Ok(())
        })?;
        let api = openapi_codegen::lower::lower(&document, &input.tags).map_err(|d| d.in_file(&input.name))?;
        let emit = measure(runs, || {
            for (_, output) in openapi_codegen::emit::crate_files(&api, &options.crate_options) {
                if let openapi_codegen::emit::Output::Rust(parts) = output {
                    parts.for_each(|part| drop(std::hint::black_box(part)));
                }
            }
            Ok(())
        })?;
        // syn and prettyplease separately, on the same parts the pipeline prints.
        let syn_time = measure(runs, || {
            std::hint::black_box(syn_files(&api, &options.crate_options)?);
            Ok(())
        })?;
        let syn_time = Timing { min: syn_time.min - emit.min, median: syn_time.median - emit.median };
        let token_files = syn_files(&api, &options.crate_options)?;
        let pretty = measure(runs, || {
            for file in &token_files {
                drop(prettyplease::unparse(file));
            }
            Ok(())
        })?;
        let generated = openapi_codegen::generate_in(&input.text, &input.name, base, &options)?;
        let wanted: Vec<(String, String)> = generated.iter().map(|f| (f.path.clone(), f.contents.clone())).collect();
        let out = scratch.join(input.name.replace([' ', '(', ')', '.'], "-"));
        let write = measure(runs, || {
            let _ = std::fs::remove_dir_all(&out);
            let drift = files::drift(&out, &wanted)?;
            files::apply(&out, &wanted, &drift)
        })?;
        let pipeline = measure(runs, || {
            let generated = openapi_codegen::generate_in(&input.text, &input.name, base, &options)?;
            let wanted: Vec<(String, String)> = generated.into_iter().map(|f| (f.path, f.contents)).collect();
            let _ = std::fs::remove_dir_all(&out);
            let drift = files::drift(&out, &wanted)?;
            files::apply(&out, &wanted, &drift)
        })?;
        // The format floor: parse and print the very text we produce, nothing else.
        let rust_texts: Vec<&str> =
            generated.iter().filter(|f| f.path.ends_with(".rs")).map(|f| f.contents.as_str()).collect();
        let format_floor = measure(runs, || {
            for text in &rust_texts {
                drop(prettyplease::unparse(&syn::parse_file(text)?));
            }
            Ok(())
        })?;
        let memory = peak_memory(input)?;
        let (peak_mb, baseline_mb) = (memory.generate, memory.baseline);
        let typed_mb = memory.typed_only - baseline_mb;
        let input_kb = input.text.len() as f64 / 1024.0;
        let peak_ratio = (peak_mb - baseline_mb) * 1024.0 / input_kb;
        let ratio = pipeline.median / format_floor.median;
        let cell = |t: Timing| format!("{:.2} / {:.2}", t.min, t.median);
        writeln!(
            table,
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.1} | {:.1}x | {:.1} ({:.1}x) |",
            input.name,
            input_kb,
            cell(parse_floor),
            cell(load),
            cell(lower),
            cell(emit),
            cell(syn_time),
            cell(pretty),
            cell(write),
            cell(pipeline),
            cell(format_floor),
            ratio,
            peak_mb - baseline_mb,
            peak_ratio,
            typed_mb,
            typed_mb * 1024.0 / input_kb
        )?;
        rows.push(json!({
            "input": input.name, "input_kb": input_kb, "operations": api.operations.len(), "models": api.types.len(),
            "output_lines": generated.iter().map(|f| f.contents.lines().count()).sum::<usize>(),
            "parse_floor_ms": parse_floor.median, "load_ms": load.median, "lower_ms": lower.median,
            "emit_ms": emit.median, "syn_ms": syn_time.median, "prettyplease_ms": pretty.median,
            "write_ms": write.median, "pipeline_ms": pipeline.median, "pipeline_min_ms": pipeline.min,
            "format_floor_ms": format_floor.median, "pipeline_over_format_floor": ratio,
            "peak_mb_over_baseline": peak_mb - baseline_mb, "peak_over_input": peak_ratio,
            "openapiv3_document_mb": typed_mb, "openapiv3_document_over_input": typed_mb * 1024.0 / input_kb,
        }));
    }
    println!("{table}");
    let find = |name: &str| rows.iter().find(|r| r["input"] == name);
    let mut summary = String::new();
    if let Some(nexus) = find("nexus.json") {
        let seconds = nexus["pipeline_ms"].as_f64().unwrap_or(f64::NAN) / 1000.0;
        writeln!(
            summary,
            "- nexus.json: {:.1}x faster than the best-known generator's {PROGENITOR_NEXUS_SECONDS} s (target 10x); peak {:.1} MB vs its {PROGENITOR_NEXUS_MEGABYTES} MB",
            PROGENITOR_NEXUS_SECONDS / seconds,
            nexus["peak_mb_over_baseline"].as_f64().unwrap_or(f64::NAN)
        )?;
    }
    for (small, large) in [("synthetic 100", "synthetic 1000"), ("synthetic 1000", "synthetic 10000")] {
        if let (Some(a), Some(b)) = (find(small), find(large)) {
            let grew = |key: &str| b[key].as_f64().unwrap_or(f64::NAN) / a[key].as_f64().unwrap_or(f64::NAN);
            writeln!(
                summary,
                "- {large} / {small}: {:.1}x the time for 10x the operations (target at most 12x); the parse floor alone grew {:.1}x",
                grew("pipeline_ms"),
                grew("parse_floor_ms")
            )?;
        }
    }
    print!("{summary}");
    Ok(json!({"rows": rows, "summary": summary}))
}

/// Every part of every Rust file, emitted and parsed (runtime files from their source).
fn syn_files(api: &openapi_codegen::model::Api, options: &CrateOptions) -> Result<Vec<syn::File>> {
    use openapi_codegen::emit::{Output, Part};
    let mut parsed = Vec::new();
    for (_, output) in openapi_codegen::emit::crate_files(api, options) {
        match output {
            Output::Rust(parts) => {
                for part in parts {
                    match part {
                        Part::Items(tokens) => parsed.push(syn::parse2(tokens)?),
                        Part::Method(tokens) => parsed.push(syn::parse2(quote_impl(tokens))?),
                        Part::Line(_) => {}
                    }
                }
            }
            Output::Runtime { template, .. } => parsed.push(syn::parse_file(template)?),
            Output::Text(_) => {}
        }
    }
    Ok(parsed)
}

fn quote_impl(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let mut wrapped: proc_macro2::TokenStream = "impl X".parse().unwrap_or_default();
    wrapped.extend([proc_macro2::TokenTree::Group(proc_macro2::Group::new(proc_macro2::Delimiter::Brace, tokens))]);
    wrapped
}

/// Peak resident memory of a child that generates `input`, of one that only deserializes it
/// with openapiv3, and of one that only starts.
fn peak_memory(input: &Input) -> Result<PeakMemory> {
    let exe = std::env::current_exe()?;
    let spec = crate::workspace_root().join("target/bench").join(format!("{}.input", input.name.replace(' ', "-")));
    std::fs::write(&spec, &input.text)?;
    let run = |mode: Option<&str>| -> Result<f64> {
        let mut command = Command::new(&exe);
        command.arg("bench-memory").arg(&spec);
        command.args(mode);
        for tag in &input.tags {
            command.args(["--tag", tag]);
        }
        let output = command.output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.trim().parse::<f64>().with_context(|| format!("bench-memory printed {text:?}"))
    };
    Ok(PeakMemory { generate: run(None)?, typed_only: run(Some("--typed-only"))?, baseline: run(Some("--baseline"))? })
}

/// Peak resident sets, in MB.
struct PeakMemory {
    generate: f64,
    typed_only: f64,
    baseline: f64,
}

/// What a `bench-memory` child does before it reports its peak.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MemoryMode {
    /// Generate the crate.
    Generate,
    /// Only deserialize the document into `openapiv3::OpenAPI`.
    TypedOnly,
    /// Nothing.
    Baseline,
}

/// The hidden `bench-memory` command: do what `mode` says once, print the peak resident set in MB.
pub fn memory_child(spec: &Path, tags: &[String], mode: MemoryMode) -> Result<()> {
    if mode != MemoryMode::Baseline {
        let text = std::fs::read_to_string(spec)?;
        if mode == MemoryMode::TypedOnly {
            let document: openapiv3::OpenAPI = if text.trim_start().starts_with('{') {
                serde_json::from_str(&text)?
            } else {
                serde_yaml::from_str(&text)?
            };
            std::hint::black_box(document);
        } else {
            let options = Options {
                tags: tags.to_vec(),
                crate_options: CrateOptions { crate_name: "bench-client".into(), spec_label: "bench".into() },
            };
            std::hint::black_box(openapi_codegen::generate(&text, "bench", &options)?);
        }
    }
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")?;
    println!("{:.2}", kb / 1024.0);
    Ok(())
}

/// Part 2: lines of generated code, and `cargo check`/`cargo build` of the generated crate alone
/// with its dependencies built (touch, rebuild, minimum of several runs).
fn generated_code(root: &Path, quick: bool, compare_crate: Option<&Path>) -> Result<serde_json::Value> {
    println!("\n## Generated code (lines, and rebuild seconds of the crate alone: min of runs)\n");
    let scratch = root.join("target/bench/crates");
    let mut specs: Vec<(&str, PathBuf, Vec<String>)> = vec![
        ("users", root.join("spec/phasetwo.yaml"), vec!["users".into()]),
        ("phasetwo", root.join("spec/phasetwo.yaml"), Vec::new()),
    ];
    let nexus = root.join("../shared/specs/nexus.json");
    if nexus.exists() {
        specs.push(("nexus", nexus, Vec::new()));
    }
    let mut members = Vec::new();
    let mut generated = Vec::new();
    for (name, spec, tags) in &specs {
        let text = std::fs::read_to_string(spec)?;
        let crate_name = format!("bench-{name}");
        let options = Options {
            tags: tags.clone(),
            crate_options: CrateOptions { crate_name: crate_name.clone(), spec_label: (*name).to_owned() },
        };
        let api = openapi_codegen::model(&text, name, tags)?;
        let files_out = openapi_codegen::generate(&text, name, &options)?;
        let lines =
            |path: &str| files_out.iter().filter(|f| f.path == path).map(|f| f.contents.lines().count()).sum::<usize>();
        let total: usize =
            files_out.iter().filter(|f| f.path.ends_with(".rs")).map(|f| f.contents.lines().count()).sum();
        let (op_lines, model_lines) = (lines("src/operations.rs"), lines("src/models.rs"));
        let wanted: Vec<(String, String)> = files_out.into_iter().map(|f| (f.path, f.contents)).collect();
        let out = scratch.join(&crate_name);
        let drift = files::drift(&out, &wanted)?;
        files::apply(&out, &wanted, &drift)?;
        members.push(format!("\"{crate_name}\""));
        generated.push((
            name.to_string(),
            crate_name,
            api.operations.len(),
            api.types.len(),
            total,
            op_lines,
            model_lines,
        ));
    }
    files::write_atomically(
        &scratch.join("Cargo.toml"),
        &format!("[workspace]\nresolver = \"2\"\nmembers = [{}]\n", members.join(", ")),
    )?;
    if !scratch.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock"))?;
    }
    let runs = if quick { 2 } else { 3 };
    let mut table = String::from(
        "| crate | operations | models | lines | lines/operation (operations.rs) | lines/model (models.rs) | check s | build s |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut rows = Vec::new();
    for (name, crate_name, operations, models, total, op_lines, model_lines) in &generated {
        let lib = scratch.join(crate_name).join("src/lib.rs");
        let check = rebuild_seconds(&scratch, crate_name, &lib, "check", runs)?;
        let build = rebuild_seconds(&scratch, crate_name, &lib, "build", runs)?;
        let per_op = if *operations > 0 { *op_lines as f64 / *operations as f64 } else { 0.0 };
        let per_model = if *models > 0 { *model_lines as f64 / *models as f64 } else { 0.0 };
        writeln!(
            table,
            "| {name} | {operations} | {models} | {total} | {per_op:.1} | {per_model:.1} | {check:.2} | {build:.2} |"
        )?;
        rows.push(json!({"crate": name, "operations": operations, "models": models, "lines": total,
            "lines_per_operation": per_op, "lines_per_model": per_model, "check_s": check, "build_s": build}));
    }
    if let Some(other) = compare_crate {
        let manifest: toml::Table = std::fs::read_to_string(other.join("Cargo.toml"))?.parse()?;
        let package = manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .context("--compare-crate: its Cargo.toml names no package")?
            .to_owned();
        let lib = other.join("src/lib.rs");
        let lines: usize = std::fs::read_dir(other.join("src"))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .map(|path| std::fs::read_to_string(path).map(|text| text.lines().count()).unwrap_or(0))
            .sum();
        let check = rebuild_seconds(other, &package, &lib, "check", runs)?;
        let build = rebuild_seconds(other, &package, &lib, "build", runs)?;
        writeln!(table, "| {package} (compared) | | | {lines} | | | {check:.2} | {build:.2} |")?;
        rows.push(json!({"crate": package, "compared": true, "lines": lines, "check_s": check, "build_s": build}));
    }
    print!("{table}");
    if let Some(nexus) = rows.iter().find(|r| r["crate"] == "nexus") {
        println!(
            "- nexus: {} lines vs the best-known generator's {PROGENITOR_NEXUS_LINES} ({:.2}x)",
            nexus["lines"],
            nexus["lines"].as_f64().unwrap_or(f64::NAN) / PROGENITOR_NEXUS_LINES as f64
        );
    }
    Ok(json!({"rows": rows}))
}

/// Seconds that `cargo <subcommand> -p <package>` takes in `dir` after `lib` is touched (new
/// mtime, same content): the minimum of `runs` runs, after one that also builds the dependencies.
fn rebuild_seconds(dir: &Path, package: &str, lib: &Path, subcommand: &str, runs: usize) -> Result<f64> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut best = f64::INFINITY;
    for run in 0..=runs {
        let text = std::fs::read_to_string(lib)?;
        std::fs::write(lib, text)?;
        let started = Instant::now();
        let status = Command::new(&cargo).args([subcommand, "--quiet", "-p", package]).current_dir(dir).status()?;
        if !status.success() {
            bail!("cargo {subcommand} -p {package} failed in {}", dir.display());
        }
        if run > 0 {
            best = best.min(started.elapsed().as_secs_f64());
        }
    }
    Ok(best)
}

/// Part 3: the generated client against bare reqwest + serde_json, same server, same requests.
fn client_overhead(root: &Path, quick: bool) -> Result<serde_json::Value> {
    println!("\n## Client overhead (generated call vs bare reqwest, same local server)\n");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["bench", "--quiet", "-p", "integration-tests", "--bench", "client_overhead"]);
    if quick {
        command.env("CLIENT_OVERHEAD_QUICK", "1");
    }
    let output = command.current_dir(root).output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("client_overhead bench failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    }
    print!("{stdout}");
    let json_line = stdout.lines().find_map(|l| l.strip_prefix("JSON ")).unwrap_or("null");
    Ok(serde_json::from_str(json_line).unwrap_or(serde_json::Value::Null))
}
