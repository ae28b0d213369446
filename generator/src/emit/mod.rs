//! Stage 4, emit: the intermediate model -> token streams, one per generated Rust file, plus
//! the crate's `Cargo.toml`. The only stage that writes Rust syntax.

mod crate_files;
pub mod docs;
mod models;
mod operations;

use crate::model::{Api, TypeRef};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub use crate_files::{cargo_toml, lib_file, CrateOptions};
pub use models::models_file;
pub use operations::operations_file;

/// Hand-written parts of every generated crate: the client, the call plumbing, the error type,
/// token providers and the retry policy. They live in `generator/runtime/` as ordinary Rust and
/// are copied as written; all of them are behind the crate's `client` feature.
pub const RUNTIME_FILES: &[(&str, &str)] = &[
    ("src/auth.rs", include_str!("../../runtime/auth.rs")),
    ("src/call.rs", include_str!("../../runtime/call.rs")),
    ("src/client.rs", include_str!("../../runtime/client.rs")),
    ("src/error.rs", include_str!("../../runtime/error.rs")),
    ("src/retry.rs", include_str!("../../runtime/retry.rs")),
];

/// A piece of a Rust file, formatted on its own so only one item's tokens live at a time.
pub enum Part {
    /// Top-level items (or a file's header: inner docs and `use`s).
    Items(TokenStream),
    /// One method of an `impl` block opened and closed by [`Part::Line`]s.
    Method(TokenStream),
    /// A line of source as it is.
    Line(&'static str),
}

/// A file to print.
pub enum Output<'a> {
    /// Rust, in parts, produced as they are printed.
    Rust(Box<dyn Iterator<Item = Part> + 'a>),
    /// A runtime file: hand-written Rust, copied as written with `__crate__` replaced.
    Runtime {
        /// The file's source.
        template: &'static str,
        /// What `__crate__` stands for (the crate's lib name).
        lib_name: String,
    },
    /// Any other file, final.
    Text(String),
}

/// The paths of every file of the crate, relative to its root, sorted.
pub fn file_paths() -> Vec<&'static str> {
    let mut paths = vec!["Cargo.toml", "src/lib.rs", "src/models.rs", "src/operations.rs"];
    paths.extend(RUNTIME_FILES.iter().map(|(path, _)| *path));
    paths.sort_unstable();
    paths
}

/// One file of the crate.
pub fn emit_file<'a>(path: &str, api: &'a Api, options: &CrateOptions) -> Output<'a> {
    match path {
        "Cargo.toml" => Output::Text(cargo_toml(api, options)),
        "src/lib.rs" => Output::Rust(Box::new(std::iter::once(Part::Items(lib_file(api, options))))),
        "src/models.rs" => Output::Rust(Box::new(models_file(&api.types))),
        "src/operations.rs" => Output::Rust(operations_file(&api.operations)),
        _ => match RUNTIME_FILES.iter().find(|(runtime, _)| *runtime == path) {
            Some((_, template)) => Output::Runtime { template, lib_name: options.lib_name() },
            None => Output::Text(String::new()),
        },
    }
}

/// Every file of the crate, by path relative to its root.
pub fn crate_files<'a>(api: &'a Api, options: &CrateOptions) -> Vec<(String, Output<'a>)> {
    file_paths().into_iter().map(|path| (path.to_owned(), emit_file(path, api, options))).collect()
}

/// An identifier the lower stage already made valid; raw only if it were a keyword.
pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type a [`TypeRef`] stands for, as written in generated code.
pub(crate) fn type_tokens(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote! { String },
        TypeRef::Bool => quote! { bool },
        TypeRef::Integer(int) => {
            let name = ident(int.rust_name());
            quote! { #name }
        }
        TypeRef::F32 => quote! { f32 },
        TypeRef::F64 => quote! { f64 },
        TypeRef::Json => quote! { serde_json::Value },
        TypeRef::Named(name) => {
            let name = ident(name);
            quote! { #name }
        }
        TypeRef::List(item) => {
            let item = type_tokens(item);
            quote! { Vec<#item> }
        }
        TypeRef::Map(value) => {
            let value = type_tokens(value);
            quote! { BTreeMap<String, #value> }
        }
    }
}
