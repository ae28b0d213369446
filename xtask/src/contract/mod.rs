//! `cargo xtask contract`, a step of `cargo xtask test`: the generated clients against
//! Stoplight Prism, a mock server that validates every request against `spec/phasetwo.yaml` and
//! answers only as the spec allows.
//!
//! 1. Checks for Node.js and npm, and installs the Prism that `tests/contract/package-lock.json`
//!    pins with `npm ci` when `tests/contract/node_modules` is missing or stale.
//! 2. Builds the committed client's contract tests (`tests/tests/contract.rs`), and generates a
//!    client for the whole spec with a test per check of every operation
//!    (`target/contract/all-tags-client`, see [`harness`]).
//! 3. Starts `prism mock --errors` on a free loopback port, runs both suites one test at a
//!    time with `PRISM_URL` set, and stops Prism, also when a test fails or xtask is
//!    interrupted. Then the same for the whole-spec suite against Prism answering with bodies
//!    it generates from the schemas (`--dynamic`, with a fixed seed).
//! 4. Reads Prism's logs (`target/contract/prism*.log`): any violation, any rejected request
//!    other than the deliberate token-less ones, or an operation without an accepted request
//!    fails the step (see [`log`]).

pub mod harness;
pub mod log;
mod prism;

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

pub use prism::PRISM_VERSION;

/// The environment variable that tells contract tests where Prism listens.
pub const PRISM_URL_VAR: &str = "PRISM_URL";
/// The realm (first path segment) of the requests sent without a token on purpose; the log
/// check expects Prism to reject exactly those.
pub const NO_TOKEN_REALM: &str = "contract-no-token";
/// The folder with Prism's `package.json`, lock file and launcher.
pub const CONTRACT_DIR: &str = "tests/contract";

/// How a test run went, from libtest's `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests that were ignored (none should be).
    pub ignored: usize,
}

impl TestCounts {
    /// Adds the counts of one `test result: ...` line; other lines change nothing.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else { return };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(number)) = (words.next(), words.next()) else { continue };
            let Ok(number) = number.parse::<usize>() else { continue };
            match label {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                "ignored" => self.ignored += number,
                _ => {}
            }
        }
    }
}

/// What a contract run proved.
#[derive(Debug, Default)]
pub struct Summary {
    /// The committed (Users tag) client's contract tests that passed.
    pub users: TestCounts,
    /// The whole-spec client's contract tests that passed, over all phases.
    pub all_tags: TestCounts,
    /// Operations in the whole spec.
    pub operations: usize,
    /// Requests Prism judged.
    pub requests: usize,
}

/// Runs the contract step; see the module documentation.
pub fn run() -> Result<Summary> {
    let root = crate::workspace_root();
    let dir = root.join(CONTRACT_DIR);
    let (node, npm) = prism::check_node()?;
    println!("contract: Node.js {node}, npm {npm}");
    prism::install(&dir)?;

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    let users_tests = ["test", "-p", "integration-tests", "--test", "contract"];
    let all_tags = harness::write(&root)?;
    let users_operations = users_operation_count(&root)?;
    let manifest = all_tags.dir.join("Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let all_tags_tests = ["test", "--manifest-path", &manifest, "--test", harness::TEST_NAME];
    println!(
        "contract: {} operations in the whole spec, {} tests in {}",
        all_tags.api.operations.len(),
        all_tags.tests,
        all_tags.dir.display()
    );
    // Build first, so Prism runs only while tests do and a compile error is not a contract one.
    let build = |args: &[&str]| -> Result<()> {
        let status = Command::new(&cargo)
            .args(args)
            .arg("--no-run")
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&root)
            .status()?;
        if !status.success() {
            bail!("`cargo {} --no-run` failed ({status})", args.join(" "));
        }
        Ok(())
    };
    build(&users_tests)?;
    build(&all_tags_tests).context("the client generated for the whole spec does not build: a generator bug")?;

    let spec = root.join(crate::codegen::DEFAULT_SPEC);
    let operations = &all_tags.api.operations;
    let mut problems = Vec::new();
    let mut summary = Summary::default();
    for phase in PHASES {
        let log_path = target.join("contract").join(phase.log);
        println!("\ncontract: {}", phase.title);
        let mut prism = prism::Prism::start(&dir, &spec, &log_path, phase.prism_args)?;
        println!("contract: Prism {PRISM_VERSION} listens on {}, its log is {}", prism.url, log_path.display());
        let run_tests = |args: &[&str], extra: &[&str]| run_counted(&cargo, &root, &target, &prism.url, args, extra);
        let users = phase.users_client.then(|| run_tests(&users_tests, &["--ignored"]));
        let whole = run_tests(&all_tags_tests, &[]);
        prism.stop();

        let text = std::fs::read_to_string(&log_path).with_context(|| format!("reading {}", log_path.display()))?;
        let verdict = log::judge(&text, operations);
        let without_success: Vec<&str> =
            operations.iter().map(|op| op.name.as_str()).filter(|name| !verdict.accepted.contains_key(*name)).collect();
        println!(
            "contract: Prism judged {} requests: {} accepted with a success, {} answered with a forced error \
             status, {} rejected for want of a token as intended, {} violations",
            verdict.requests.len(),
            verdict.accepted.values().sum::<usize>(),
            verdict.errors.values().map(Vec::len).sum::<usize>(),
            verdict.rejected_as_intended,
            verdict.violations.len()
        );
        println!(
            "contract: operations with an accepted request: {} of {}",
            operations.len() - without_success.len(),
            operations.len()
        );
        summary.requests += verdict.requests.len();
        match users {
            Some(Ok(counts)) => {
                println!("contract: committed client (Users tag): {} checks passed", counts.passed);
                summary.users.passed += counts.passed;
            }
            Some(Err(error)) => problems.push(format!("{}: committed client: {error:#}", phase.title)),
            None => {}
        }
        match whole {
            Ok(counts) if counts.passed == all_tags.tests => {
                println!("contract: whole spec: {} checks passed over {} operations", counts.passed, operations.len());
                summary.all_tags.passed += counts.passed;
            }
            Ok(counts) => problems.push(format!(
                "{}: whole spec: {} of the {} generated tests ran",
                phase.title, counts.passed, all_tags.tests
            )),
            Err(error) => problems.push(format!("{}: whole-spec client: {error:#}", phase.title)),
        }
        for violation in &verdict.violations {
            problems.push(format!("{}: Prism: {violation}", phase.title));
        }
        if !without_success.is_empty() {
            problems.push(format!("{}: no request Prism accepted for: {}", phase.title, without_success.join(", ")));
        }
    }
    summary.operations = operations.len();
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("contract: {problem}");
        }
        bail!("{} contract problem(s); Prism's logs are in {}", problems.len(), target.join("contract").display());
    }
    println!(
        "\ncontract: {} contract checks passed ({} on the committed client, {} on the whole-spec client); \
         Prism judged {} requests without a violation; operations covered: {} (Users tag) and {} (all tags)",
        summary.users.passed + summary.all_tags.passed,
        summary.users.passed,
        summary.all_tags.passed,
        summary.requests,
        users_operations,
        summary.operations
    );
    Ok(summary)
}

/// One run of Prism and the suites against it.
struct Phase {
    title: &'static str,
    /// Extra arguments for `prism mock`.
    prism_args: &'static [&'static str],
    /// Whether the committed client's suite runs too. Its checks expect the spec's examples
    /// with every property, so it runs against static answers only.
    users_client: bool,
    log: &'static str,
}

const PHASES: &[Phase] = &[
    Phase { title: "static answers (every property filled in)", prism_args: &[], users_client: true, log: "prism.log" },
    Phase {
        // Varied and sparse bodies, so decoding meets optional properties left out, other
        // numbers and map keys; the seed keeps them the same from run to run.
        title: "dynamic answers (generated from the schemas, seed 20240201)",
        prism_args: &["--dynamic", "--seed", "20240201"],
        users_client: false,
        log: "prism-dynamic.log",
    },
];

/// How many operations the committed client has (the spec's `users` tag).
fn users_operation_count(root: &Path) -> Result<usize> {
    let text = std::fs::read_to_string(root.join(crate::codegen::DEFAULT_SPEC))?;
    let tags = [crate::codegen::DEFAULT_TAG.to_owned()];
    Ok(openapi_codegen::model(&text, crate::codegen::DEFAULT_SPEC, &tags)?.operations.len())
}

/// Runs `cargo <args> -- --test-threads=1 <extra>` with `PRISM_URL`, echoing its output and
/// counting its tests. One test at a time keeps each request's lines together in Prism's log.
fn run_counted(
    cargo: &str,
    root: &Path,
    target: &Path,
    url: &str,
    args: &[&str],
    extra: &[&str],
) -> Result<TestCounts> {
    let mut child = Command::new(cargo)
        .args(args)
        .args(["--", "--test-threads=1"])
        .args(extra)
        .env(PRISM_URL_VAR, url)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut counts = TestCounts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            counts.add_line(&line);
        }
    }
    let status = child.wait()?;
    if !status.success() || counts.failed > 0 {
        bail!("`cargo {}` failed ({status}): {} passed, {} failed", args.join(" "), counts.passed, counts.failed);
    }
    if counts.passed == 0 || counts.ignored > 0 {
        bail!(
            "`cargo {}` ran {} tests and ignored {}: every contract test must run",
            args.join(" "),
            counts.passed,
            counts.ignored
        );
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    #[test]
    fn test_result_lines_are_counted() {
        let mut counts = TestCounts::default();
        counts
            .add_line("test result: ok. 12 passed; 0 failed; 3 ignored; 0 measured; 5 filtered out; finished in 0.5s");
        counts.add_line("   Doc-tests foo");
        counts
            .add_line("test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1s");
        assert_eq!(counts, TestCounts { passed: 13, failed: 2, ignored: 3 });
    }
}
