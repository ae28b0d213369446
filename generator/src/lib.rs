//! Turns an OpenAPI 3.0 document into the source of an async Rust client crate.
//!
//! The pipeline runs in stages, each in its own module, data flowing one way:
//! [`load`](mod@load) (text to document) -> [`resolve`](mod@resolve) (`$ref`s, with JSON pointers) -> [`lower`](mod@lower)
//! (document to the plain-data [`model`](mod@model), every name decided) -> [`emit`](mod@emit) (model to tokens)
//! -> [`print`](mod@print) (tokens to text).

pub mod emit;
pub mod error;
mod hints;
pub mod load;
mod locate;
pub mod lower;
pub mod model;
pub mod naming;
pub mod print;
pub mod resolve;

pub use emit::CrateOptions;
pub use error::Error;

/// What to generate from a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Only operations with one of these tags (compared without regard to case); empty = all.
    pub tags: Vec<String>,
    /// Settings of the generated crate.
    pub crate_options: CrateOptions,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the crate's root, with `/` separators.
    pub path: String,
    /// Its full text.
    pub contents: String,
}

/// Parses `text` (YAML or JSON) and lowers the selected operations to the intermediate model.
/// `file` names the spec in errors.
pub fn model(text: &str, file: &str, tags: &[String]) -> Result<model::Api, Error> {
    with_stack(|| model_here(text, file, tags))
}

/// Generates every file of the client crate from a spec's text.
pub fn generate(text: &str, file: &str, options: &Options) -> Result<Vec<GeneratedFile>, Error> {
    with_stack(|| {
        let api = model_here(text, file, &options.tags)?;
        emit::crate_files(&api, &options.crate_options)
            .into_iter()
            .map(|(path, output)| {
                let contents = print::print(&path, output, &options.crate_options.spec_label)?;
                Ok(GeneratedFile { path, contents })
            })
            .collect()
    })
}

fn model_here(text: &str, file: &str, tags: &[String]) -> Result<model::Api, Error> {
    let document = load::load(text, file)?;
    lower::lower(&document, tags).map_err(|d| d.in_file(file))
}

/// The stack the pipeline runs on. Documents nest at most 128 levels (the YAML and JSON parsers'
/// limit) and chains of schemas at most [`lower::MAX_SCHEMA_DEPTH`]; deserializing and lowering
/// that deep takes a few megabytes in a debug build, more than a test thread's 2 MiB. Running
/// on a stack of known size makes the generator's limits independent of the caller's thread.
pub const STACK_BYTES: usize = 128 * 1024 * 1024;

/// Runs `work` on a thread with [`STACK_BYTES`] of stack (or here, if no thread can be made).
fn with_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let work = std::sync::Mutex::new(Some(work));
    let run = || work.lock().ok().and_then(|mut slot| slot.take()).map(|work| work());
    let spawned = std::thread::scope(|scope| {
        std::thread::Builder::new().stack_size(STACK_BYTES).spawn_scoped(scope, run).map(|handle| handle.join())
    });
    match spawned {
        Ok(Ok(Some(result))) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread could be made: the work has not run, so it runs here.
        _ => run().expect("the work runs exactly once"),
    }
}
