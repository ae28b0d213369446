//! `cargo xtask features`: the committed generated crates in each of their feature
//! configurations. The workspace's clippy and doc runs see them with the features the tests
//! enable (`middleware` included); this step also checks them alone, as a downstream crate would
//! depend on them: the models without the HTTP stack, and the client without middleware
//! (clippy and rustdoc, warnings denied; the doctests of the models alone), and that the models
//! alone pull in no HTTP stack.

use anyhow::{bail, Context, Result};
use std::process::Command;

/// The committed generated crates.
pub const CRATES: &[&str] = &["phasetwo-client", "features-client"];

/// Packages that a models-only build must not pull in.
pub const HTTP_STACK: &[&str] =
    &["reqwest", "reqwest-middleware", "hyper", "tokio", "tracing", "bytes", "rustls", "percent-encoding", "thiserror"];

/// The clippy runs, warnings denied: `(what, extra arguments)`.
const CLIPPY_RUNS: &[(&str, &[&str])] = &[
    ("the models alone (--no-default-features)", &["--no-default-features"]),
    ("the client without middleware (default features)", &["--all-targets"]),
    ("everything (--all-features)", &["--all-features", "--all-targets"]),
];

/// Runs every check; fails on the first that fails.
pub fn run() -> Result<()> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (what, flags) in CLIPPY_RUNS {
        println!("features: clippy of {} in {what}", CRATES.join(" and "));
        let mut command = Command::new(&cargo);
        command.arg("clippy").current_dir(&root);
        for name in CRATES {
            command.args(["-p", name]);
        }
        let status = command.args(*flags).args(["--", "-D", "warnings"]).status().context("running cargo clippy")?;
        if !status.success() {
            bail!("clippy of {what} failed ({status})");
        }
    }
    for (what, flags) in [("the models alone", &["--no-default-features"][..]), ("the client without middleware", &[])]
    {
        println!("features: docs of {} for {what}", CRATES.join(" and "));
        let mut command = Command::new(&cargo);
        command.args(["doc", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings").current_dir(&root);
        for name in CRATES {
            command.args(["-p", name]);
        }
        let status = command.args(flags).status().context("running cargo doc")?;
        if !status.success() {
            bail!("the docs of {what} have warnings ({status})");
        }
    }
    println!("features: doctests of {} with the models alone", CRATES.join(" and "));
    let mut command = Command::new(&cargo);
    command.args(["test", "--doc", "--no-default-features"]).current_dir(&root);
    for name in CRATES {
        command.args(["-p", name]);
    }
    let status = command.status().context("running cargo test --doc")?;
    if !status.success() {
        bail!("the doctests of the models alone failed ({status})");
    }
    for name in CRATES {
        let models_only = dependencies(&cargo, &root, name, &["--no-default-features"])?;
        let pulled_in: Vec<&String> =
            models_only.iter().filter(|package| HTTP_STACK.contains(&package.as_str())).collect();
        if !pulled_in.is_empty() {
            bail!("{name} without default features depends on {pulled_in:?}; the models must need serde alone");
        }
        if !models_only.iter().any(|package| package == "serde") {
            bail!("cargo tree of {name} lists no serde, so this check would prove nothing: {models_only:?}");
        }
        // The same question with default features must find the HTTP stack, or it asks wrongly.
        let client = dependencies(&cargo, &root, name, &[])?;
        for expected in ["reqwest", "tokio", "tracing"] {
            if !client.iter().any(|package| package == expected) {
                bail!("cargo tree of {name} with default features lists no {expected}: {client:?}");
            }
        }
        println!(
            "features: {name} without default features depends on {} packages, none of {}",
            models_only.len(),
            HTTP_STACK.join(", ")
        );
    }
    Ok(())
}

/// The names of the packages `name` depends on (normal dependencies, transitively).
fn dependencies(cargo: &str, root: &std::path::Path, name: &str, flags: &[&str]) -> Result<Vec<String>> {
    let output = Command::new(cargo)
        .args(["tree", "-p", name, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(flags)
        .current_dir(root)
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!("cargo tree -p {name} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|package| *package != name)
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}
