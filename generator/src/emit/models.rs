//! The `models` module: one Rust type per named schema.

use super::docs::{code_span, doc_attrs, paragraphs, visible};
use super::{ident, type_tokens, Part};
use crate::model::{Field, Outcome, Tagging, TypeDef, TypeKind, TypeRef, UnionVariant, Variant};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The whole `models.rs`: its header, then one item per type, made as they are printed.
pub fn models_file(types: &[TypeDef]) -> impl Iterator<Item = Part> + '_ {
    let uses_map = types.iter().any(|def| match &def.kind {
        TypeKind::Struct(fields) => fields.iter().any(|f| contains_map(&f.ty)),
        TypeKind::Alias(ty) => contains_map(ty),
        TypeKind::Union { variants, .. } => variants.iter().any(|v| contains_map(&v.ty)),
        TypeKind::Outcomes(outcomes) => outcomes.iter().any(|o| o.ty.as_ref().is_some_and(contains_map)),
        TypeKind::Enum { .. } => false,
    });
    let uses_serde = types
        .iter()
        .any(|def| matches!(def.kind, TypeKind::Struct(_) | TypeKind::Enum { .. } | TypeKind::Union { .. }));
    let uses_fmt = types.iter().any(|def| matches!(def.kind, TypeKind::Enum { .. }));
    let serde_import = uses_serde.then(|| quote! { use serde::{Deserialize, Serialize}; });
    let map_import = uses_map.then(|| quote! { use std::collections::BTreeMap; });
    let fmt_import = uses_fmt.then(|| quote! { use std::fmt; });
    let header = quote! {
        //! The types of the API's request and response bodies.
        #serde_import
        #map_import
        #fmt_import
    };
    std::iter::once(Part::Items(header)).chain(types.iter().map(|def| Part::Items(type_def(def))))
}

fn contains_map(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Map(_) => true,
        TypeRef::List(item) => contains_map(item),
        _ => false,
    }
}

fn type_def(def: &TypeDef) -> TokenStream {
    let fallback = match def.source.strip_prefix("/components/schemas/") {
        Some(component) => format!("The {} schema.", code_span(&component.replace("~1", "/").replace("~0", "~"))),
        None if def.source.is_empty() => format!("The {} type.", code_span(&def.name)),
        None => format!("The schema at {}.", code_span(&format!("#{}", def.source))),
    };
    let docs = doc_attrs(visible(def.description.as_deref()).unwrap_or(&fallback));
    let name = format_ident!("{}", def.name);
    match &def.kind {
        TypeKind::Struct(fields) => struct_def(&name, &docs, fields),
        TypeKind::Enum { variants, fallback } => enum_def(&name, &docs, variants, fallback),
        TypeKind::Union { variants, tagging } => union_def(&name, &docs, variants, tagging),
        TypeKind::Outcomes(outcomes) => outcomes_def(&name, &docs, outcomes),
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

fn struct_def(name: &Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
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

/// A string enum; any value the spec does not list is kept in the fallback variant, so a
/// server that adds a value does not break clients.
fn enum_def(name: &Ident, docs: &TokenStream, variants: &[Variant], fallback: &str) -> TokenStream {
    let fallback = format_ident!("{}", fallback);
    let items = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let value = code_span(&variant.value);
        let docs = doc_attrs(&paragraphs([Some(value.as_str()), visible(variant.description.as_deref())]));
        quote! {
            #docs
            #rust_name,
        }
    });
    let to_str = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let value = &variant.value;
        quote! { Self::#rust_name => #value, }
    });
    let from_str = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let value = &variant.value;
        quote! { #value => Self::#rust_name, }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum #name {
            #(#items)*
            /// A value the spec does not list.
            #fallback(String),
        }

        impl #name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::#fallback(value) => value,
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    #(#from_str)*
                    _ => Self::#fallback(value),
                }
            }
        }

        impl From<#name> for String {
            fn from(value: #name) -> Self {
                match value {
                    #name::#fallback(value) => value,
                    known => known.as_str().to_owned(),
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

/// `oneOf`/`anyOf`. Without a tag, alternatives are tried in spec order. With a discriminator,
/// its property picks the alternative, which then reads the whole object (tag included); with
/// an internal tag, serde reads and writes the tag and the alternative the rest.
fn union_def(name: &Ident, docs: &TokenStream, variants: &[UnionVariant], tagging: &Tagging) -> TokenStream {
    let internal = matches!(tagging, Tagging::Internal(_));
    let items = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let ty = type_tokens(&variant.ty);
        let ty = if variant.boxed {
            quote! { Box<#ty> }
        } else {
            ty
        };
        let doc = match &variant.tag {
            Some(tag) => {
                format!(
                    " The alternative whose {} is {}.",
                    code_span(tagging.property().unwrap_or("tag")),
                    code_span(tag)
                )
            }
            None => format!(" The `{}` alternative.", variant.rust_name),
        };
        let rename = match (&variant.tag, internal) {
            (Some(tag), true) => quote! { #[serde(rename = #tag)] },
            _ => quote! {},
        };
        quote! {
            #[doc = #doc]
            #rename
            #rust_name(#ty),
        }
    });
    // Alternatives differ in size as the spec's schemas do; boxing the large ones would make
    // every user write `Box::new`, for a saving that depends on the data.
    let docs = quote! { #docs #[allow(clippy::large_enum_variant)] };
    let property = match tagging {
        Tagging::None => {
            return quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
                #[serde(untagged)]
                pub enum #name {
                    #(#items)*
                }
            }
        }
        Tagging::Internal(property) => {
            return quote! {
                #docs
                #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
                #[serde(tag = #property)]
                pub enum #name {
                    #(#items)*
                }
            }
        }
        Tagging::Discriminator(property) => property,
    };
    let tags: Vec<&str> = variants.iter().filter_map(|v| v.tag.as_deref()).collect();
    let arms = variants.iter().map(|variant| {
        let rust_name = format_ident!("{}", variant.rust_name);
        let tag = variant.tag.as_deref().unwrap_or_default();
        let wrap = if variant.boxed {
            quote! { |v| Self::#rust_name(Box::new(v)) }
        } else {
            quote! { Self::#rust_name }
        };
        quote! { Some(#tag) => serde_json::from_value(value).map(#wrap), }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum #name {
            #(#items)*
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                let tag = value.get(#property).and_then(serde_json::Value::as_str).map(str::to_owned);
                let result = match tag.as_deref() {
                    #(#arms)*
                    Some(other) => return Err(serde::de::Error::unknown_variant(other, &[#(#tags),*])),
                    None => return Err(serde::de::Error::missing_field(#property)),
                };
                result.map_err(serde::de::Error::custom)
            }
        }
    }
}

/// The successes of one operation with different bodies: chosen by status, not by content.
fn outcomes_def(name: &Ident, docs: &TokenStream, outcomes: &[Outcome]) -> TokenStream {
    let items = outcomes.iter().map(|outcome| {
        let rust_name = format_ident!("{}", outcome.rust_name);
        let doc = format!(" `{}`: {}", outcome.status, outcome.description.trim().replace('\n', " "));
        let docs = doc_attrs(&doc);
        match &outcome.ty {
            Some(ty) => {
                let ty = type_tokens(ty);
                quote! { #docs #rust_name(#ty), }
            }
            None => quote! { #docs #rust_name, },
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#items)*
        }
    }
}
