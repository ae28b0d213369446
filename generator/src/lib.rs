//! Turns an OpenAPI 3.0 document into the source of an async Rust client crate.
//!
//! The pipeline runs in stages, each in its own module, data flowing one way:
//! [`load`](mod@load) (text to document) -> [`resolve`](mod@resolve) (`$ref`s, with JSON pointers) -> [`lower`](mod@lower)
//! (document to the plain-data [`model`](mod@model), every name decided) -> [`emit`](mod@emit) (model to tokens)
//! -> [`print`](mod@print) (tokens to text).

pub mod emit;
pub mod error;
mod external;
mod hints;
pub mod load;
mod locate;
pub mod lower;
pub mod model;
pub mod naming;
mod normalize;
pub mod print;
pub mod resolve;

pub use emit::CrateOptions;
pub use error::Error;
use std::path::Path;

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
    model_in(text, file, None, tags)
}

/// Like [`model()`], reading files that `$ref`s name from `base_dir` (the spec's folder).
pub fn model_in(text: &str, file: &str, base_dir: Option<&Path>, tags: &[String]) -> Result<model::Api, Error> {
    with_stack(|| model_here(text, file, base_dir, tags))
}

/// Generates every file of the client crate from a spec's text.
pub fn generate(text: &str, file: &str, options: &Options) -> Result<Vec<GeneratedFile>, Error> {
    generate_in(text, file, None, options)
}

/// Like [`generate`], reading files that `$ref`s name from `base_dir` (the spec's folder).
pub fn generate_in(
    text: &str,
    file: &str,
    base_dir: Option<&Path>,
    options: &Options,
) -> Result<Vec<GeneratedFile>, Error> {
    with_stack(|| {
        let api = model_here(text, file, base_dir, &options.tags)?;
        let crate_options = &options.crate_options;
        let print_file = |path: &str| -> Result<GeneratedFile, Error> {
            let contents = print::print(path, emit::emit_file(path, &api, crate_options), &crate_options.spec_label)?;
            Ok(GeneratedFile { path: path.to_owned(), contents })
        };
        print_files(&print_file)
    })
}

/// Emits and prints every file, returned in path order. Files are independent: this thread and
/// one helper per other core take them from a shared queue, the largest first. Few threads keep
/// the peak low: memory freed by the earlier stages stays with this thread's allocator arena,
/// where only this thread reuses it.
fn print_files(
    print_file: &(dyn Fn(&str) -> Result<GeneratedFile, Error> + Sync),
) -> Result<Vec<GeneratedFile>, Error> {
    let mut paths = emit::file_paths();
    paths.sort_by_key(|path| !matches!(*path, "src/operations.rs" | "src/models.rs"));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(path) = paths.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            done.push((*path, print_file(path)));
        }
        done
    };
    let helpers = std::thread::available_parallelism().map_or(1, |cores| cores.get()).min(paths.len()) - 1;
    let mut printed = std::thread::scope(|scope| {
        // A helper that cannot be made leaves its share to the others.
        let handles: Vec<_> = (0..helpers)
            .filter_map(|_| std::thread::Builder::new().stack_size(STACK_BYTES).spawn_scoped(scope, work).ok())
            .collect();
        let mut printed = work();
        for handle in handles {
            printed.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        printed
    });
    // The first failure in path order is the one reported, whichever thread met it first.
    printed.sort_unstable_by_key(|(path, _)| *path);
    printed.into_iter().map(|(_, file)| file).collect()
}

fn model_here(text: &str, file: &str, base_dir: Option<&Path>, tags: &[String]) -> Result<model::Api, Error> {
    let document = load::load_in(text, file, base_dir)?;
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
