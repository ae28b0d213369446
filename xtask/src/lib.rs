//! The maintainers' commands, as a library so that tests can run them in-process.

pub mod bench;
pub mod codegen;
pub mod contract;
pub mod corpus;
pub mod features;
pub mod files;
pub mod fuzz;
pub mod test;

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding `spec/`, `generator/`, `generated-client/` ...).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}
