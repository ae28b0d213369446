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
    /// Run only the contract tests: the generated clients against Stoplight Prism (needs
    /// Node.js 20 and npm; installs Prism from tests/contract/package-lock.json).
    Contract,
    /// Run the generator over every spec in the given folders (default: spec/ and ../shared/specs/).
    Corpus {
        /// Folders or files to read.
        paths: Vec<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(args) => xtask::codegen::run(&args),
        Command::Test => xtask::test::run(),
        Command::Contract => xtask::contract::run().map(drop),
        Command::Corpus { paths } => xtask::corpus::run(&paths).map(drop),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
