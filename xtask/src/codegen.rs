//! `cargo xtask codegen`: regenerates a client crate from a spec.

use crate::files;
use anyhow::{bail, Context, Result};
use openapi_codegen::{CrateOptions, Options};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The committed client: `spec/phasetwo.yaml`, Users tag, into `generated-client/`.
pub const DEFAULT_SPEC: &str = "spec/phasetwo.yaml";
/// Where the committed client lives.
pub const DEFAULT_OUT: &str = "generated-client";
/// The tag the committed client covers.
pub const DEFAULT_TAG: &str = "users";
/// The committed client's package name.
pub const DEFAULT_CRATE_NAME: &str = "phasetwo-client";

/// A committed crate that `cargo xtask codegen` (no options) regenerates.
pub struct Preset {
    /// The spec, relative to the workspace.
    pub spec: &'static str,
    /// The crate folder, relative to the workspace.
    pub out: &'static str,
    /// Tags to generate (empty: all).
    pub tags: &'static [&'static str],
    /// The package name.
    pub crate_name: &'static str,
    /// Hand-written folders kept inside the crate folder, relative to it (`examples/`).
    pub kept: &'static [&'static str],
}

/// The committed crates: the Phase Two users client, and the crate the runtime's HTTP tests use.
pub const PRESETS: &[Preset] = &[
    Preset {
        spec: DEFAULT_SPEC,
        out: DEFAULT_OUT,
        tags: &[DEFAULT_TAG],
        crate_name: DEFAULT_CRATE_NAME,
        kept: &["examples/"],
    },
    Preset {
        spec: "generator/tests/fixtures/features.yaml",
        out: "tests/features-client",
        tags: &[],
        crate_name: "features-client",
        kept: &[],
    },
];

impl Preset {
    /// The arguments that regenerate this crate.
    pub fn args(&self, check: bool) -> CodegenArgs {
        let root = crate::workspace_root();
        CodegenArgs {
            spec: Some(root.join(self.spec)),
            out: Some(root.join(self.out)),
            tags: self.tags.iter().map(|t| (*t).to_owned()).collect(),
            crate_name: Some(self.crate_name.to_owned()),
            check,
            force: false,
            kept: self.kept.iter().map(|k| (*k).to_owned()).collect(),
        }
    }
}

/// Regenerate a client crate from an OpenAPI document.
///
/// With no --spec and --out, rewrites the committed crates: the Phase Two client
/// (`spec/phasetwo.yaml`, tag `users`, into `generated-client/` as `phasetwo-client`) and the
/// runtime's test crate (`generator/tests/fixtures/features.yaml` into `tests/features-client/`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CodegenArgs {
    /// The OpenAPI 3.0 document to read (YAML or JSON). [default: spec/phasetwo.yaml]
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// The crate folder to write (its Cargo.toml and src/). [default: generated-client]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Generate only operations with this tag (case-insensitive); repeat for several. Without
    /// any: the `users` tag for the committed client, all tags when --spec or --out is given.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// The generated package's name. [default: phasetwo-client, or the --out folder's name]
    #[arg(long)]
    pub crate_name: Option<String>,
    /// Change nothing; exit non-zero with a summary of differences when the files on disk are
    /// not what the generator makes now.
    #[arg(long)]
    pub check: bool,
    /// Write even when the output folder holds Rust, TOML or Markdown files the generator did
    /// not write (they are left as they are, unless the generator makes a file of that name).
    #[arg(long)]
    pub force: bool,
    /// Hand-written folders inside --out (relative to it, ending in `/`) that are not foreign.
    #[arg(skip)]
    pub kept: Vec<String>,
}

/// What a codegen run would write.
pub struct Plan {
    /// The crate folder.
    pub out: PathBuf,
    /// Files, relative to `out`, with their contents.
    pub files: Vec<(String, String)>,
}

/// Runs the generator for `args` without touching the disk.
pub fn plan(args: &CodegenArgs) -> Result<Plan> {
    let root = crate::workspace_root();
    let preset = args.spec.is_none() && args.out.is_none();
    let spec = args.spec.clone().unwrap_or_else(|| root.join(DEFAULT_SPEC));
    let out = args.out.clone().unwrap_or_else(|| root.join(DEFAULT_OUT));
    let tags = if args.tags.is_empty() && preset { vec![DEFAULT_TAG.to_owned()] } else { args.tags.clone() };
    let crate_name = match &args.crate_name {
        Some(name) => name.clone(),
        None if preset => DEFAULT_CRATE_NAME.to_owned(),
        None => out.file_name().map(|n| n.to_string_lossy().into_owned()).context("--out needs a folder name")?,
    };
    let text = std::fs::read_to_string(&spec).with_context(|| format!("{}: cannot read the spec", spec.display()))?;
    let options = Options { tags, crate_options: CrateOptions { crate_name, spec_label: spec_label(&spec, &root) } };
    let label = options.crate_options.spec_label.clone();
    let generated = openapi_codegen::generate_in(&text, &label, spec.parent(), &options)?;
    Ok(Plan { out, files: generated.into_iter().map(|f| (f.path, f.contents)).collect() })
}

/// The spec's path as headers show it: relative to the workspace when inside it, so output
/// is the same on every machine.
fn spec_label(spec: &Path, root: &Path) -> String {
    let absolute = std::fs::canonicalize(spec).unwrap_or_else(|_| spec.to_path_buf());
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let shown = absolute.strip_prefix(&root).map(Path::to_path_buf).unwrap_or_else(|_| spec.to_path_buf());
    shown.to_string_lossy().replace('\\', "/")
}

/// `cargo xtask codegen [--check]`: the given crate, or every preset when no --spec/--out.
pub fn run(args: &CodegenArgs) -> Result<()> {
    if args.spec.is_some() || args.out.is_some() || !args.tags.is_empty() || args.crate_name.is_some() {
        return run_one(args);
    }
    let mut failed = Vec::new();
    for preset in PRESETS {
        if let Err(err) = run_one(&preset.args(args.check)) {
            eprintln!("{err:#}");
            failed.push(preset.out);
        }
    }
    if !failed.is_empty() {
        bail!("codegen failed for {}", failed.join(", "));
    }
    Ok(())
}

fn run_one(args: &CodegenArgs) -> Result<()> {
    let started = Instant::now();
    let plan = plan(args)?;
    let drift = files::drift(&plan.out, &plan.files)?;
    if args.check {
        if drift.is_empty() {
            println!("codegen --check: {} is up to date ({} files)", plan.out.display(), plan.files.len());
            return Ok(());
        }
        eprint!("{}", drift.summary());
        bail!(
            "{} differs from what the generator makes now; run `cargo xtask codegen` and commit the result",
            plan.out.display()
        );
    }
    if !args.force {
        refuse_foreign_files(&plan.out, &args.kept)?;
    }
    let changed = drift.added.len() + drift.changed.len() + drift.stale.len();
    files::apply(&plan.out, &plan.files, &drift)?;
    println!(
        "codegen: {} files in {}, {changed} changed, in {:.0?}",
        plan.files.len(),
        plan.out.display(),
        started.elapsed()
    );
    Ok(())
}

/// Generated and hand-written files do not mix: an output folder holding files the generator
/// did not write is refused, so that a mistyped `--out` cannot overwrite someone's crate.
/// Folders in `kept` hold files written by hand on purpose, beside the generated ones.
fn refuse_foreign_files(out: &Path, kept: &[String]) -> Result<()> {
    let foreign = foreign_files_outside(out, kept)?;
    if foreign.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> =
        foreign.iter().take(5).map(|p| format!("  {}", p.strip_prefix(out).unwrap_or(p).display())).collect();
    let more = if foreign.len() > 5 { format!("\n  ... and {} more", foreign.len() - 5) } else { String::new() };
    bail!(
        "{} holds files the generator did not write:\n{}{more}\nNothing was written. Choose an empty or generated folder for --out, \
         move those files away, or pass --force to write anyway (the files above are then left as they are, \
         unless the generator makes a file of the same name)",
        out.display(),
        shown.join("\n")
    )
}

fn foreign_files_outside(out: &Path, kept: &[String]) -> Result<Vec<PathBuf>> {
    let mut foreign = files::foreign_files(out)?;
    foreign.retain(|path| {
        let relative = path.strip_prefix(out).unwrap_or(path).to_string_lossy().replace('\\', "/");
        !kept.iter().any(|folder| relative.starts_with(folder.as_str()))
    });
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo xtask codegen` must be able to rewrite every committed crate without --force.
    #[test]
    fn committed_crates_hold_no_foreign_files_but_their_kept_folders() {
        let root = crate::workspace_root();
        for preset in PRESETS {
            let out = root.join(preset.out);
            let kept: Vec<String> = preset.kept.iter().map(|k| (*k).to_owned()).collect();
            assert_eq!(foreign_files_outside(&out, &kept).expect("listed"), Vec::<PathBuf>::new(), "{}", preset.out);
            for folder in preset.kept {
                assert!(out.join(folder).is_dir(), "{}: kept folder {folder} is missing", preset.out);
            }
        }
    }

    #[test]
    fn hand_written_files_outside_kept_folders_are_still_refused() {
        let out = crate::workspace_root().join(DEFAULT_OUT);
        let without_kept = foreign_files_outside(&out, &[]).expect("listed");
        assert!(without_kept.iter().any(|path| path.starts_with(out.join("examples"))), "{without_kept:?}");
        assert!(refuse_foreign_files(&out, &[]).is_err());
    }
}
