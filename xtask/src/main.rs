//! `cargo xtask`: the maintainers' command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use xtask::codegen::CodegenArgs;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintainers' tasks for the OpenAPI client generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate a client crate from an OpenAPI document (by default the committed Phase Two client).
    Codegen(CodegenArgs),
    /// Run every check: formatting, generated-code drift, clippy, tests, doctests, the contract
    /// tests against Prism, docs, and the generator over ../shared/specs when present.
    Test,
    /// Check the committed generated crates in each feature configuration: the models alone
    /// (and that they pull in no HTTP stack), the client without middleware, everything.
    Features,
    /// Run only the contract tests: the generated clients against Stoplight Prism (needs
    /// Node.js 20 and npm; installs Prism from tests/contract/package-lock.json).
    Contract,
    /// Measure generation (stages, floors, memory), generated-code build time and client overhead;
    /// writes target/bench/codegen.json. Builds itself in release mode first.
    Bench {
        /// Fewer runs and inputs, for a quick look.
        #[arg(long)]
        quick: bool,
        /// Another crate (a folder with its Cargo.toml, in a workspace of its own or alone) whose
        /// `cargo check` and `cargo build` are timed the same way as ours, for a side-by-side
        /// row: for example another generator's client for nexus.json.
        #[arg(long, value_name = "CRATE_DIR")]
        compare_crate: Option<std::path::PathBuf>,
    },
    /// Used by `bench`: generate once and print the peak resident memory in MB.
    #[command(hide = true)]
    BenchMemory {
        spec: std::path::PathBuf,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Only start, to measure what the process itself takes.
        #[arg(long)]
        baseline: bool,
        /// Only deserialize the document with openapiv3: the memory floor of any generator built on it.
        #[arg(long, conflicts_with = "baseline")]
        typed_only: bool,
    },
    /// Generate a crate (all tags) for every spec in the given folders and `cargo check` each with
    /// warnings denied (default folders: spec/, the fixtures, and ../shared/specs/ when present).
    Corpus {
        /// Folders or spec files to read.
        paths: Vec<std::path::PathBuf>,
        /// Only generate; do not compile.
        #[arg(long)]
        no_compile: bool,
    },
    /// Mutation fuzzing: random structural mutations of every corpus spec through the generator.
    Fuzz(xtask::fuzz::FuzzArgs),
    /// Runs fuzz cases START..END and reports each on stdout (used by `fuzz`).
    #[command(hide = true)]
    FuzzWorker {
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        start: u64,
        #[arg(long)]
        end: u64,
        #[arg(long, value_enum)]
        inject: Option<xtask::fuzz::Fault>,
    },
    /// Runs the generator on one saved case and reports how it ended (used by `fuzz`).
    #[command(hide = true)]
    FuzzFile {
        path: std::path::PathBuf,
        #[arg(long, value_enum)]
        inject: Option<xtask::fuzz::Fault>,
    },
    /// Writes the text of fuzz case INDEX of the run with SEED to OUT, unshrunk.
    #[command(hide = true)]
    FuzzShow {
        #[arg(long)]
        seed: u64,
        #[arg(long)]
        index: u64,
        out: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(args) => xtask::codegen::run(&args),
        Command::Test => xtask::test::run(),
        Command::Features => xtask::features::run(),
        Command::Contract => xtask::contract::run().map(drop),
        Command::Bench { quick, compare_crate } => xtask::bench::run(quick, compare_crate.as_deref()),
        Command::BenchMemory { spec, tags, baseline, typed_only } => {
            let mode = match (baseline, typed_only) {
                (true, _) => xtask::bench::MemoryMode::Baseline,
                (_, true) => xtask::bench::MemoryMode::TypedOnly,
                _ => xtask::bench::MemoryMode::Generate,
            };
            xtask::bench::memory_child(&spec, &tags, mode)
        }
        Command::Corpus { paths, no_compile } => xtask::corpus::run(&paths, !no_compile).map(drop),
        Command::Fuzz(args) => xtask::fuzz::run(&args).map(drop),
        Command::FuzzWorker { seed, start, end, inject } => xtask::fuzz::worker(seed, start, end, inject),
        Command::FuzzFile { path, inject } => xtask::fuzz::judge_file(&path, inject),
        Command::FuzzShow { seed, index, out } => xtask::fuzz::show(seed, index, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
