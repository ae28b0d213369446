//! `cargo xtask corpus`: the generator over whole folders of real specs. Every spec must give
//! either files that parse as Rust or a clear error with a JSON pointer; never a panic.

use anyhow::{bail, Result};
use openapi_codegen::{CrateOptions, Error, Options};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How one spec went.
#[derive(Debug)]
pub struct Outcome {
    /// The spec file.
    pub spec: PathBuf,
    /// Operations and models generated, or the error.
    pub result: Result<(usize, usize, usize), String>,
    /// Generation time in milliseconds.
    pub millis: f64,
}

/// The default folders: `spec/`, and `../shared/specs/` when it exists.
pub fn default_folders() -> Vec<PathBuf> {
    let root = crate::workspace_root();
    let mut folders = vec![root.join("spec")];
    let shared = root.join("../shared/specs");
    if shared.is_dir() {
        folders.push(shared);
    }
    folders
}

/// Runs the generator (all tags) over each `.yaml`, `.yml` and `.json` file under `paths`.
pub fn run(paths: &[PathBuf]) -> Result<Vec<Outcome>> {
    let paths = if paths.is_empty() { default_folders() } else { paths.to_vec() };
    let mut specs = Vec::new();
    for path in &paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"))
                .collect();
            found.sort();
            specs.extend(found);
        } else {
            specs.push(path.clone());
        }
    }
    println!("{:<28} {:>10} {:>7} {:>8} {:>9}  result", "spec", "operations", "models", "lines", "ms");
    let mut outcomes = Vec::new();
    let mut failures = 0;
    for spec in specs {
        let outcome = generate_one(&spec);
        let name = spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match &outcome.result {
            Ok((operations, models, lines)) => {
                println!("{name:<28} {operations:>10} {models:>7} {lines:>8} {:>9.1}  ok", outcome.millis)
            }
            Err(message) => {
                println!("{name:<28} {:>10} {:>7} {:>8} {:>9.1}  error: {message}", "-", "-", "-", outcome.millis);
                if message.starts_with("PANIC") || !message.contains('#') {
                    failures += 1;
                }
            }
        }
        outcomes.push(outcome);
    }
    if failures > 0 {
        bail!("{failures} spec(s) made the generator panic or fail without a JSON pointer");
    }
    Ok(outcomes)
}

fn generate_one(spec: &Path) -> Outcome {
    let started = Instant::now();
    let result = std::panic::catch_unwind(|| -> Result<(usize, usize, usize), String> {
        let text = std::fs::read_to_string(spec).map_err(|e| e.to_string())?;
        let label = spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let model = openapi_codegen::model(&text, &label, &[]).map_err(describe)?;
        let options = Options {
            tags: Vec::new(),
            crate_options: CrateOptions { crate_name: "corpus-client".to_owned(), spec_label: label.clone() },
        };
        let files = openapi_codegen::generate(&text, &label, &options).map_err(describe)?;
        for file in files.iter().filter(|f| f.path.ends_with(".rs")) {
            syn::parse_file(&file.contents)
                .map_err(|e| format!("PANIC-LEVEL BUG: {} does not parse: {e}", file.path))?;
        }
        let lines = files.iter().map(|f| f.contents.lines().count()).sum();
        Ok((model.operations.len(), model.types.len(), lines))
    })
    .unwrap_or_else(|_| Err("PANIC in the generator".to_owned()));
    Outcome { spec: spec.to_path_buf(), result, millis: started.elapsed().as_secs_f64() * 1000.0 }
}

fn describe(error: Error) -> String {
    error.to_string()
}
