//! Stage 4, emit: the intermediate model -> token streams, one per generated Rust file, plus
//! the crate's `Cargo.toml`. The only stage that writes Rust syntax.

mod crate_files;
pub mod docs;
mod models;
mod operations;

use crate::model::{Api, IntegerType, TypeRef};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub use crate_files::{cargo_toml, lib_file, CrateOptions};
pub use models::models_file;
pub use operations::operations_file;

/// Hand-written parts of every generated crate: the client, the call plumbing and the error
/// type. They live in `generator/runtime/` as ordinary Rust and are printed with the rest.
pub const RUNTIME_FILES: &[(&str, &str)] = &[
    ("src/call.rs", include_str!("../../runtime/call.rs")),
    ("src/client.rs", include_str!("../../runtime/client.rs")),
    ("src/error.rs", include_str!("../../runtime/error.rs")),
];

/// A Rust source file to print, or a text file ready as it is.
pub enum Output {
    /// Rust tokens, to be formatted.
    Rust(TokenStream),
    /// Rust source text (a runtime file), to be formatted like generated code.
    RustText(String),
    /// Any other file, final.
    Text(String),
}

/// Every file of the crate, by path relative to its root.
pub fn crate_files(api: &Api, options: &CrateOptions) -> Vec<(String, Output)> {
    let mut files = vec![
        ("Cargo.toml".to_owned(), Output::Text(cargo_toml(api, options))),
        ("src/lib.rs".to_owned(), Output::Rust(lib_file(api, options))),
        ("src/models.rs".to_owned(), Output::Rust(models_file(&api.types))),
        ("src/operations.rs".to_owned(), Output::Rust(operations_file(&api.operations))),
    ];
    for (path, text) in RUNTIME_FILES {
        files.push(((*path).to_owned(), Output::RustText(text.replace("__crate__", &options.lib_name()))));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
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
            let name = match int {
                IntegerType::I8 => "i8",
                IntegerType::I16 => "i16",
                IntegerType::I32 => "i32",
                IntegerType::I64 => "i64",
                IntegerType::U8 => "u8",
                IntegerType::U16 => "u16",
                IntegerType::U32 => "u32",
                IntegerType::U64 => "u64",
            };
            let name = ident(name);
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
