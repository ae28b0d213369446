//! The `models` module: one Rust type per named schema.

use super::docs::{code_span, doc_attrs, paragraphs, visible};
use super::{ident, type_tokens};
use crate::model::{Field, TypeDef, TypeKind, TypeRef, Variant};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The whole `models.rs`.
pub fn models_file(types: &[TypeDef]) -> TokenStream {
    let uses_map = types.iter().any(|def| match &def.kind {
        TypeKind::Struct(fields) => fields.iter().any(|f| contains_map(&f.ty)),
        TypeKind::Alias(ty) => contains_map(ty),
        TypeKind::Enum(_) => false,
    });
    let uses_serde = types.iter().any(|def| !matches!(def.kind, TypeKind::Alias(_)));
    let uses_fmt = types.iter().any(|def| matches!(def.kind, TypeKind::Enum(_)));
    let serde_import = uses_serde.then(|| quote! { use serde::{Deserialize, Serialize}; });
    let map_import = uses_map.then(|| quote! { use std::collections::BTreeMap; });
    let fmt_import = uses_fmt.then(|| quote! { use std::fmt; });
    let items = types.iter().map(type_def);
    quote! {
        //! The types of the API's request and response bodies.
        #serde_import
        #map_import
        #fmt_import
        #(#items)*
    }
}

fn contains_map(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Map(_) => true,
        TypeRef::List(item) => contains_map(item),
        _ => false,
    }
}

fn type_def(def: &TypeDef) -> TokenStream {
    let fallback = format!(
        "The {} schema.",
        code_span(&def.source.rsplit('/').next().unwrap_or(&def.name).replace("~1", "/").replace("~0", "~"))
    );
    let docs = doc_attrs(visible(def.description.as_deref()).unwrap_or(&fallback));
    let name = format_ident!("{}", def.name);
    match &def.kind {
        TypeKind::Struct(fields) => struct_def(&name, &docs, fields),
        TypeKind::Enum(variants) => enum_def(&name, &docs, variants),
        TypeKind::Alias(ty) => {
            let ty = type_tokens(ty);
            quote! { #docs pub type #name = #ty; }
        }
    }
}

/// The field's type as stored: boxed when recursive, in an `Option` when it may be absent.
fn stored_type(field: &Field) -> TokenStream {
    let inner = type_tokens(&field.ty);
    let inner = if field.boxed {
        quote! { Box<#inner> }
    } else {
        inner
    };
    if is_optional(field) {
        quote! { Option<#inner> }
    } else {
        inner
    }
}

fn is_optional(field: &Field) -> bool {
    !field.required || field.nullable
}

fn struct_def(name: &proc_macro2::Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
    let all_optional = fields.iter().all(is_optional);
    let default_derive = all_optional.then(|| quote! { Default, });
    let field_items = fields.iter().map(|field| {
        let rust_name = ident(&field.rust_name);
        let ty = stored_type(field);
        let fallback = format!("The {} property.", code_span(&field.name));
        let docs = doc_attrs(&paragraphs([
            Some(visible(field.description.as_deref()).unwrap_or(&fallback)),
            field.note.as_deref(),
        ]));
        let wire = &field.name;
        let rename = (field.rust_name != field.name).then(|| quote! { rename = #wire, });
        let serde = match (rename, field.required) {
            (rename, false) => Some(quote! { #[serde(#rename default, skip_serializing_if = "Option::is_none")] }),
            (Some(rename), true) => Some(quote! { #[serde(#rename)] }),
            (None, true) => None,
        };
        quote! { #docs #serde pub #rust_name: #ty, }
    });
    let constructor = (!all_optional).then(|| constructor(fields));
    let setters: Vec<TokenStream> = fields.iter().filter(|f| !f.required).map(setter).collect();
    let impl_block = (constructor.is_some() || !setters.is_empty()).then(|| {
        quote! {
            impl #name {
                #constructor
                #(#setters)*
            }
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #default_derive Serialize, Deserialize)]
        pub struct #name {
            #(#field_items)*
        }
        #impl_block
    }
}

fn constructor(fields: &[Field]) -> TokenStream {
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let params = required.iter().map(|field| {
        let rust_name = ident(&field.rust_name);
        let ty = type_tokens(&field.ty);
        if field.nullable {
            quote! { #rust_name: Option<#ty> }
        } else {
            quote! { #rust_name: impl Into<#ty> }
        }
    });
    let inits = fields.iter().map(|field| {
        let rust_name = ident(&field.rust_name);
        match (field.required, field.nullable, field.boxed) {
            (false, _, _) => quote! { #rust_name: None },
            (true, true, false) => quote! { #rust_name },
            (true, true, true) => quote! { #rust_name: #rust_name.map(Box::new) },
            (true, false, false) => quote! { #rust_name: #rust_name.into() },
            (true, false, true) => quote! { #rust_name: Box::new(#rust_name.into()) },
        }
    });
    let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.rust_name)).collect();
    let doc = format!(" A value with the required {}; optional fields start empty.", list_phrase(&names));
    let allow = (required.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
    quote! {
        #[doc = #doc]
        #allow
        pub fn new(#(#params),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

fn list_phrase(names: &[String]) -> String {
    match names {
        [one] => format!("field {one}"),
        [init @ .., last] => format!("fields {} and {last}", init.join(", ")),
        [] => "fields".to_owned(),
    }
}

fn setter(field: &Field) -> TokenStream {
    let rust_name = ident(&field.rust_name);
    let method = format_ident!("with_{}", field.rust_name.trim_end_matches('_'));
    let ty = type_tokens(&field.ty);
    let value = if field.boxed {
        quote! { Box::new(value.into()) }
    } else {
        quote! { value.into() }
    };
    let doc = format!(" Sets `{}`.", field.rust_name);
    quote! {
        #[doc = #doc]
        pub fn #method(mut self, value: impl Into<#ty>) -> Self {
            self.#rust_name = Some(#value);
            self
        }
    }
}

fn enum_def(name: &proc_macro2::Ident, docs: &TokenStream, variants: &[Variant]) -> TokenStream {
    let items = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let value = &variant.value;
        let doc = format!(" {}", code_span(value));
        quote! {
            #[doc = #doc]
            #[serde(rename = #value)]
            #rust_name,
        }
    });
    let arms = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let value = &variant.value;
        quote! { Self::#rust_name => #value, }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum #name {
            #(#items)*
        }
        impl #name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &'static str {
                match self {
                    #(#arms)*
                }
            }
        }
        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}
