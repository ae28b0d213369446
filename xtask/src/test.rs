//! `cargo xtask test`: every check the project promises, in one command.

use anyhow::{bail, Result};
use std::process::Command;

type Step = Box<dyn Fn() -> Result<()>>;

/// Runs each step, keeps going after a failure, and fails if any step failed.
pub fn run() -> Result<()> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut steps: Vec<(&str, Step)> = Vec::new();
    let command = |args: &'static [&'static str], env: &'static [(&'static str, &'static str)]| {
        let cargo = cargo.clone();
        let root = root.clone();
        Box::new(move || -> Result<()> {
            let status = Command::new(&cargo).args(args).envs(env.iter().copied()).current_dir(&root).status()?;
            if !status.success() {
                bail!("`cargo {}` failed ({status})", args.join(" "));
            }
            Ok(())
        }) as Step
    };
    // The generated crate's layout is prettyplease's; the drift check below covers it.
    steps.push((
        "format",
        command(&["fmt", "--check", "-p", "openapi-codegen", "-p", "xtask", "-p", "integration-tests"], &[]),
    ));
    // The runtime files are copied into every generated crate as written, so they are kept formatted.
    steps.push(("format of the runtime files", Box::new(|| check_runtime_format(&crate::workspace_root()))));
    steps.push((
        "generated client is up to date",
        Box::new(|| crate::codegen::run(&crate::codegen::CodegenArgs { check: true, ..Default::default() })),
    ));
    steps.push(("clippy", command(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])));
    steps.push(("tests and doctests", command(&["test", "--workspace"], &[("INSTA_UPDATE", "no")])));
    steps.push(("feature configurations of the generated crates", Box::new(crate::features::run)));
    steps.push(("contract tests against Prism", Box::new(|| crate::contract::run().map(drop))));
    steps.push(("docs", command(&["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")])));
    steps.push((
        "corpus",
        Box::new(|| {
            let folders = crate::corpus::default_folders();
            if !folders.iter().any(|f| f.ends_with("shared/specs")) {
                println!("corpus: ../shared/specs is absent, so only spec/ is run through the generator");
            } else {
                println!("corpus: running the generator over spec/ and ../shared/specs");
            }
            crate::corpus::run(&folders, true).map(drop)
        }),
    ));
    steps.push((
        "fuzz (fixed seed)",
        Box::new(|| {
            let args = crate::fuzz::FuzzArgs::test_batch();
            crate::fuzz::run(&args).map(drop).map_err(|err| {
                err.context(format!(
                    "reproduce and save the failing cases with `cargo xtask fuzz --seed {} --cases {}`",
                    args.seed, args.cases
                ))
            })
        }),
    ));

    let mut failed = Vec::new();
    for (name, step) in &steps {
        println!("\n==> {name}");
        if let Err(err) = step() {
            eprintln!("FAILED {name}: {err:#}");
            failed.push(*name);
        }
    }
    println!("\nxtask test: {} passed, {} failed", steps.len() - failed.len(), failed.len());
    if !failed.is_empty() {
        bail!("failed steps: {}", failed.join(", "));
    }
    Ok(())
}

fn check_runtime_format(root: &std::path::Path) -> Result<()> {
    let mut templates: Vec<_> = std::fs::read_dir(root.join("generator/runtime"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    templates.sort();
    let status =
        Command::new("rustfmt").args(["--check", "--edition", "2021"]).args(&templates).current_dir(root).status()?;
    if !status.success() {
        bail!("rustfmt --check generator/runtime/*.rs failed ({status}); run rustfmt on them");
    }
    Ok(())
}
