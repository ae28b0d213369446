//! `cargo xtask corpus`: the generator over whole folders of real specs. Every spec must give a
//! crate that compiles without warnings in each feature configuration (the default, the models
//! alone, all features), or a clear error with a JSON pointer; never a panic.
//!
//! The crates are written to `target/corpus/crates/` as members of one scratch workspace, so
//! they share one lockfile (copied from ours) and one target directory.

use crate::files;
use anyhow::{bail, Context, Result};
use openapi_codegen::{CrateOptions, Options};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// How one spec went.
#[derive(Debug)]
pub struct Outcome {
    /// The spec file.
    pub spec: PathBuf,
    /// The generated package's name.
    pub crate_name: String,
    /// Operations, models and lines generated; or the generator's error.
    pub generated: Result<(usize, usize, usize), String>,
    /// Generation time in milliseconds.
    pub millis: f64,
    /// `None` when not compiled; otherwise whether `cargo check` passed, with its first error.
    pub compiled: Option<Result<(), String>>,
}

impl Outcome {
    fn failure(&self) -> Option<String> {
        match (&self.generated, &self.compiled) {
            (Err(message), _) if message.starts_with("PANIC") => Some(message.clone()),
            (Err(message), _)
                if !message.contains('#') && !message.contains(".yaml:") && !message.contains(".json:") =>
            {
                Some(format!("error without a location: {message}"))
            }
            (_, Some(Err(message))) => Some(format!("does not compile: {message}")),
            _ => None,
        }
    }
}

/// The default folders: `spec/`, the generator's fixture specs (one per feature), and
/// `../shared/specs/` when it exists.
pub fn default_folders() -> Vec<PathBuf> {
    let root = crate::workspace_root();
    let mut folders = vec![root.join("spec"), root.join("generator/tests/fixtures")];
    let shared = root.join("../shared/specs");
    if shared.is_dir() {
        folders.push(shared);
    }
    folders
}

/// Generates (all tags) and, when `compile`, checks a crate for each `.yaml`, `.yml` and `.json`
/// file under `paths`; prints a table; fails on any panic, compile failure or unlocated error.
pub fn run(paths: &[PathBuf], compile: bool) -> Result<Vec<Outcome>> {
    let paths = if paths.is_empty() { default_folders() } else { paths.to_vec() };
    let specs = spec_files(&paths)?;
    let root = crate::workspace_root();
    let scratch = root.join("target/corpus");
    let mut outcomes: Vec<Outcome> = Vec::new();
    for spec in specs {
        let mut name = format!("corpus-{}", package_name(&spec));
        while outcomes.iter().any(|o| o.crate_name == name) {
            name.push('x');
        }
        outcomes.push(generate_one(&spec, name, &scratch.join("crates"))?);
    }
    if compile {
        check_crates(&root, &scratch, &mut outcomes)?;
    }
    print_table(&outcomes);
    let failures: Vec<String> =
        outcomes.iter().filter_map(|o| o.failure().map(|f| format!("{}: {f}", o.spec.display()))).collect();
    if !failures.is_empty() {
        bail!("{} spec(s) failed:\n{}", failures.len(), failures.join("\n"));
    }
    Ok(outcomes)
}

fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut specs = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
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
    Ok(specs)
}

fn package_name(spec: &Path) -> String {
    let stem = spec.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

fn generate_one(spec: &Path, crate_name: String, crates: &Path) -> Result<Outcome> {
    let started = Instant::now();
    let label = spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let generated = std::panic::catch_unwind(|| -> Result<_, String> {
        let text = std::fs::read_to_string(spec).map_err(|e| e.to_string())?;
        let base = spec.parent();
        let model = openapi_codegen::model_in(&text, &label, base, &[]).map_err(|e| e.to_string())?;
        let options = Options {
            tags: Vec::new(),
            crate_options: CrateOptions { crate_name: crate_name.clone(), spec_label: label.clone() },
        };
        let files = openapi_codegen::generate_in(&text, &label, base, &options).map_err(|e| e.to_string())?;
        Ok((model, files))
    })
    .unwrap_or_else(|_| Err("PANIC in the generator".to_owned()));
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let generated = match generated {
        Ok((model, files)) => {
            let lines = files.iter().map(|f| f.contents.lines().count()).sum();
            let wanted: Vec<(String, String)> = files.into_iter().map(|f| (f.path, f.contents)).collect();
            let out = crates.join(&crate_name);
            let drift = files::drift(&out, &wanted)?;
            files::apply(&out, &wanted, &drift)?;
            Ok((model.operations.len(), model.types.len(), lines))
        }
        Err(message) => Err(message),
    };
    Ok(Outcome { spec: spec.to_path_buf(), crate_name, generated, millis, compiled: None })
}

/// The feature configurations every generated crate must compile in: the default (`client`),
/// the models alone, and everything (`middleware` too).
pub const CONFIGURATIONS: &[(&str, &[&str])] =
    &[("default", &[]), ("models only", &["--no-default-features"]), ("all features", &["--all-features"])];

/// `cargo check` of every generated crate in each of [`CONFIGURATIONS`], warnings denied, in one
/// scratch workspace.
fn check_crates(root: &Path, scratch: &Path, outcomes: &mut [Outcome]) -> Result<()> {
    let members: Vec<String> =
        outcomes.iter().filter(|o| o.generated.is_ok()).map(|o| format!("\"crates/{}\"", o.crate_name)).collect();
    let manifest = format!(
        "# Written by `cargo xtask corpus`.\n[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
        members.join(", ")
    );
    files::write_atomically(&scratch.join("Cargo.toml"), &manifest)?;
    if !scratch.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).context("copying Cargo.lock")?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for outcome in outcomes.iter_mut().filter(|o| o.generated.is_ok()) {
        let mut compiled = Ok(());
        for (configuration, flags) in CONFIGURATIONS {
            let output = Command::new(&cargo)
                .args(["check", "--quiet", "--message-format", "short", "-p", &outcome.crate_name])
                .args(*flags)
                .env("RUSTFLAGS", "-D warnings")
                .env("CARGO_TARGET_DIR", scratch.join("target"))
                .current_dir(scratch)
                .output()
                .context("running cargo check")?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let first = stderr.lines().find(|l| l.contains("error") || l.contains("warning")).unwrap_or("failed");
                compiled = Err(format!("{configuration}: {first}"));
                break;
            }
        }
        outcome.compiled = Some(compiled);
    }
    Ok(())
}

fn print_table(outcomes: &[Outcome]) {
    println!("{:<26} {:>10} {:>7} {:>8} {:>9}  result", "spec", "operations", "models", "lines", "gen ms");
    for o in outcomes {
        let name = o.spec.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let result = match (&o.generated, &o.compiled) {
            (Err(message), _) => format!("error: {message}"),
            (Ok(_), None) => "generated".to_owned(),
            (Ok(_), Some(Ok(()))) => {
                format!("compiles ({})", CONFIGURATIONS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", "))
            }
            (Ok(_), Some(Err(message))) => format!("does not compile: {message}"),
        };
        match &o.generated {
            Ok((operations, models, lines)) => {
                println!("{name:<26} {operations:>10} {models:>7} {lines:>8} {:>9.1}  {result}", o.millis)
            }
            Err(_) => println!("{name:<26} {:>10} {:>7} {:>8} {:>9.1}  {result}", "-", "-", "-", o.millis),
        }
    }
}
