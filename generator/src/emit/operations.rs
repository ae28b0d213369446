//! The `operations` module: one method on `Client` per operation.

use super::docs::{code_span, doc_attrs, paragraphs};
use super::{ident, type_tokens};
use crate::model::{BodyKind, Operation, Parameter, ParameterLocation, StatusMatch, TypeRef};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// The whole `operations.rs`.
pub fn operations_file(operations: &[Operation]) -> TokenStream {
    let mut model_names = BTreeSet::new();
    for op in operations {
        let types = op.parameters.iter().map(|p| &p.ty).chain(op.success.ty.iter());
        let body = op.body.iter().filter_map(|b| match &b.kind {
            BodyKind::Json(ty) => Some(ty),
            BodyKind::Raw => None,
        });
        for ty in types.chain(body) {
            collect_named(ty, &mut model_names);
        }
    }
    let model_import = (!model_names.is_empty()).then(|| {
        let names = model_names.iter().map(|n| format_ident!("{}", n));
        quote! { use crate::models::{#(#names),*}; }
    });
    let uses_map = operations.iter().any(|op| {
        op.success.ty.as_ref().is_some_and(contains_map)
            || op.body.as_ref().is_some_and(|b| matches!(&b.kind, BodyKind::Json(ty) if contains_map(ty)))
    });
    let map_import = uses_map.then(|| quote! { use std::collections::BTreeMap; });
    let uses_nothing = operations.iter().any(|op| op.success.ty.is_none());
    let uses_json = operations.iter().any(|op| op.success.ty.is_some());
    let uses_documented = operations.iter().any(|op| !op.errors.is_empty());
    let decoders = [(uses_json, "json"), (uses_nothing, "nothing"), (uses_documented, "Documented")]
        .into_iter()
        .filter(|(used, _)| *used)
        .map(|(_, name)| format_ident!("{}", name));
    let methods = operations.iter().map(method);
    quote! {
        //! One method per operation of the API.
        use crate::call::{Call, Operation, #(#decoders),*};
        use crate::Client;
        #model_import
        #map_import
        use reqwest::Method;

        impl Client {
            #(#methods)*
        }
    }
}

fn collect_named(ty: &TypeRef, names: &mut BTreeSet<String>) {
    match ty {
        TypeRef::Named(name) => {
            names.insert(name.clone());
        }
        TypeRef::List(inner) | TypeRef::Map(inner) => collect_named(inner, names),
        _ => {}
    }
}

fn contains_map(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Map(_) => true,
        TypeRef::List(inner) => contains_map(inner),
        _ => false,
    }
}

fn method(op: &Operation) -> TokenStream {
    let name = ident(&op.name);
    let docs = doc_attrs(&method_docs(op));
    let deprecated = op.deprecated.then(|| quote! { #[deprecated] });
    // Seven arguments besides `self` read fine as a call; past that clippy objects, but the
    // arguments are the spec's parameters, so the method keeps them.
    let arity = op.parameters.len() + usize::from(op.body.is_some());
    let allow = (arity > 6).then(|| quote! { #[allow(clippy::too_many_arguments)] });
    let mut arguments: Vec<TokenStream> = op.parameters.iter().map(argument).collect();
    if let Some(body) = &op.body {
        let rust_name = ident(&body.rust_name);
        let ty = match (&body.kind, body.required) {
            (BodyKind::Json(ty), true) => borrowed(ty),
            (BodyKind::Json(ty), false) => {
                let ty = borrowed(ty);
                quote! { Option<#ty> }
            }
            (BodyKind::Raw, true) => quote! { impl Into<Vec<u8>> },
            (BodyKind::Raw, false) => quote! { Option<Vec<u8>> },
        };
        arguments.push(quote! { #rust_name: #ty });
    }
    let output = match &op.success.ty {
        Some(ty) => type_tokens(ty),
        None => quote! { () },
    };
    let decode = if op.success.ty.is_some() {
        quote! { json }
    } else {
        quote! { nothing }
    };
    let statics = operation_static(op);
    let path_values = op.parameters.iter().filter(|p| p.location == ParameterLocation::Path).map(|p| {
        let wire = &p.name;
        let value = path_value(p);
        quote! { (#wire, #value) }
    });
    let extras = op.parameters.iter().filter(|p| p.location != ParameterLocation::Path).map(parameter_call);
    let body_call = op.body.as_ref().map(|body| {
        let rust_name = ident(&body.rust_name);
        let media = &body.media_type;
        match (&body.kind, body.required) {
            (BodyKind::Json(_), true) => quote! { .json(#media, #rust_name) },
            (BodyKind::Json(_), false) => quote! { .json_opt(#media, #rust_name) },
            (BodyKind::Raw, true) => quote! { .bytes(#media, Some(#rust_name.into())) },
            (BodyKind::Raw, false) => quote! { .bytes(#media, #rust_name) },
        }
    });
    quote! {
        #docs
        #deprecated
        #allow
        pub fn #name(&self, #(#arguments),*) -> Call<'_, #output> {
            #statics
            Call::new(self, &OPERATION, &[#(#path_values),*], #decode)
                #(#extras)*
                #body_call
        }
    }
}

fn method_docs(op: &Operation) -> String {
    let origin = match &op.operation_id {
        Some(id) => format!("{} (operation {}).", code_span(&format!("{} {}", op.method, op.path)), code_span(id)),
        None => format!("{}.", code_span(&format!("{} {}", op.method, op.path))),
    };
    let arguments: Vec<String> = op
        .parameters
        .iter()
        .map(|p| match &p.description {
            Some(description) => format!("- `{}`: {}", p.rust_name, description.trim().replace('\n', " ")),
            None => format!("- `{}`: the {} {} parameter.", p.rust_name, code_span(&p.name), location_word(p.location)),
        })
        .chain(op.body.iter().map(|b| {
            format!(
                "- `{}`: {}",
                b.rust_name,
                b.description.as_deref().unwrap_or("the request body.").trim().replace('\n', " ")
            )
        }))
        .collect();
    let arguments = (!arguments.is_empty()).then(|| format!("# Arguments\n\n{}", arguments.join("\n")));
    let statuses: Vec<String> = op.success.statuses.iter().map(u16::to_string).collect();
    let returns = op
        .success
        .description
        .as_deref()
        .map(|d| format!("Success: {} ({}).", statuses.join(", "), d.trim().trim_end_matches('.')));
    let errors: Vec<String> = op
        .errors
        .iter()
        .map(|e| {
            let status = match e.status {
                StatusMatch::Code(code) => code.to_string(),
                StatusMatch::Range(class) => format!("{class}XX"),
                StatusMatch::Default => "any other status".to_owned(),
            };
            format!("- {status}: {}", e.description.trim())
        })
        .collect();
    let errors = (!errors.is_empty()).then(|| {
        format!(
            "# Errors\n\n[`Error::Documented`](crate::Error::Documented) for the statuses the spec documents:\n\n{}",
            errors.join("\n")
        )
    });
    paragraphs([
        op.summary.as_deref(),
        op.description.as_deref(),
        Some(&origin),
        arguments.as_deref(),
        returns.as_deref(),
        errors.as_deref(),
    ])
}

fn location_word(location: ParameterLocation) -> &'static str {
    match location {
        ParameterLocation::Path => "path",
        ParameterLocation::Query => "query",
        ParameterLocation::Header => "header",
        ParameterLocation::Cookie => "cookie",
    }
}

fn operation_static(op: &Operation) -> TokenStream {
    let name = &op.name;
    let method = format_ident!("{}", op.method);
    let path = &op.path;
    let errors = op.errors.iter().map(|e| {
        let description = e.description.trim();
        let status = match e.status {
            StatusMatch::Code(code) => {
                let code = Literal::u16_unsuffixed(code);
                quote! { Documented::Code(#code) }
            }
            StatusMatch::Range(class) => {
                let class = Literal::u16_unsuffixed(class);
                quote! { Documented::Range(#class) }
            }
            StatusMatch::Default => quote! { Documented::Default },
        };
        quote! { (#status, #description) }
    });
    quote! {
        static OPERATION: Operation = Operation {
            name: #name,
            method: Method::#method,
            path: #path,
            errors: &[#(#errors),*],
        };
    }
}

/// How a value of `ty` is passed in: strings and lists by reference, scalars by value.
fn borrowed(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote! { &str },
        TypeRef::List(item) => {
            let item = type_tokens(item);
            quote! { &[#item] }
        }
        TypeRef::Bool | TypeRef::Integer(_) | TypeRef::F32 | TypeRef::F64 => type_tokens(ty),
        other => {
            let ty = type_tokens(other);
            quote! { &#ty }
        }
    }
}

fn is_copy(ty: &TypeRef, parameter: bool) -> bool {
    // Parameters' named types are always enums (see lower::simple_parameter_type), which are Copy.
    matches!(ty, TypeRef::Bool | TypeRef::Integer(_) | TypeRef::F32 | TypeRef::F64)
        || (parameter && matches!(ty, TypeRef::Named(_)))
}

fn argument(p: &Parameter) -> TokenStream {
    let rust_name = ident(&p.rust_name);
    let ty = if is_copy(&p.ty, true) { type_tokens(&p.ty) } else { borrowed(&p.ty) };
    if p.required {
        quote! { #rust_name: #ty }
    } else {
        quote! { #rust_name: Option<#ty> }
    }
}

fn path_value(p: &Parameter) -> TokenStream {
    let rust_name = ident(&p.rust_name);
    match &p.ty {
        TypeRef::String => quote! { #rust_name },
        TypeRef::List(_) => quote! { &#rust_name.iter().map(ToString::to_string).collect::<Vec<_>>().join(",") },
        _ => quote! { &#rust_name.to_string() },
    }
}

fn parameter_call(p: &Parameter) -> TokenStream {
    let rust_name = ident(&p.rust_name);
    let wire = &p.name;
    let list = matches!(p.ty, TypeRef::List(_));
    match (p.location, p.required, list) {
        (ParameterLocation::Query, true, true) => quote! { .query_each(#wire, #rust_name) },
        (ParameterLocation::Query, false, true) => quote! { .query_each(#wire, #rust_name.unwrap_or_default()) },
        (ParameterLocation::Query, true, false) => quote! { .query(#wire, #rust_name) },
        (ParameterLocation::Query, false, false) => quote! { .query_opt(#wire, #rust_name) },
        (ParameterLocation::Header, true, _) => quote! { .header_param(#wire, #rust_name) },
        (ParameterLocation::Header, false, _) => quote! { .header_param_opt(#wire, #rust_name) },
        (ParameterLocation::Cookie, true, _) => quote! { .cookie(#wire, #rust_name) },
        (ParameterLocation::Cookie, false, _) | (ParameterLocation::Path, _, _) => {
            quote! { .cookie_opt(#wire, #rust_name) }
        }
    }
}
