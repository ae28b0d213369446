//! The `operations` module: one method on `Client` per operation.

use super::docs::{code_span, doc_attrs, paragraphs};
use super::{ident, type_tokens, Part};
use crate::model::{BodyKind, Operation, Parameter, ParameterLocation, StatusMatch, SuccessBody, TypeRef};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeSet;

/// The whole `operations.rs`: its header, then one method at a time inside `impl Client`.
pub fn operations_file(operations: &[Operation]) -> Box<dyn Iterator<Item = Part> + '_> {
    if operations.is_empty() {
        return Box::new(std::iter::once(Part::Items(quote! {
            //! The spec describes no operations: this crate offers its models and the client alone.
        })));
    }
    let mut model_names = BTreeSet::new();
    for op in operations {
        let success = op.success.body.type_ref();
        let types = op.parameters.iter().map(|p| &p.ty).chain(success.iter());
        let body = op.body.iter().filter_map(|b| match &b.kind {
            BodyKind::Json(ty) | BodyKind::Form(ty) => Some(ty),
            BodyKind::Text | BodyKind::Raw | BodyKind::Multipart { .. } => None,
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
        op.success.body.type_ref().as_ref().is_some_and(contains_map)
            || op
                .body
                .as_ref()
                .is_some_and(|b| matches!(&b.kind, BodyKind::Json(ty) | BodyKind::Form(ty) if contains_map(ty)))
    });
    let map_import = uses_map.then(|| quote! { use std::collections::BTreeMap; });
    let uses_nothing = operations.iter().any(|op| matches!(op.success.body, SuccessBody::Empty));
    let uses_json = operations.iter().any(|op| !matches!(op.success.body, SuccessBody::Empty));
    let uses_undocumented =
        operations.iter().any(|op| matches!(op.success.body, SuccessBody::Outcomes { .. } | SuccessBody::Optional(..)));
    let uses_documented = operations.iter().any(|op| !op.errors.is_empty());
    let decoders = [
        (uses_json, "json"),
        (uses_nothing, "nothing"),
        (uses_undocumented, "undocumented_success"),
        (uses_documented, "Documented"),
    ]
    .into_iter()
    .filter(|(used, _)| *used)
    .map(|(_, name)| format_ident!("{}", name));
    let header = quote! {
        //! One method per operation of the API.
        use crate::call::{Call, Operation, #(#decoders),*};
        use crate::Client;
        #model_import
        #map_import
        use reqwest::Method;
    };
    Box::new(
        [Part::Items(header), Part::Line("impl Client {")]
            .into_iter()
            .chain(operations.iter().map(|op| Part::Method(method(op))))
            .chain(std::iter::once(Part::Line("}"))),
    )
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
        let ty = match &body.kind {
            BodyKind::Json(ty) | BodyKind::Form(ty) => borrowed(ty),
            BodyKind::Text => quote! { &str },
            BodyKind::Raw | BodyKind::Multipart { .. } => quote! { Vec<u8> },
        };
        let ty = if body.required {
            ty
        } else {
            quote! { Option<#ty> }
        };
        if let BodyKind::Multipart { content_type_argument } = &body.kind {
            let content_type = ident(content_type_argument);
            arguments.push(quote! { #content_type: &str });
        }
        arguments.push(quote! { #rust_name: #ty });
    }
    let output = match &op.success.body {
        SuccessBody::Empty => quote! { () },
        SuccessBody::Optional(ty, _) => {
            let ty = type_tokens(ty);
            quote! { Option<#ty> }
        }
        other => type_tokens(&other.type_ref().unwrap_or(TypeRef::Json)),
    };
    let decode = decoder(&op.success.body, &op.success.statuses);
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
        let value = if body.required {
            quote! { Some(#rust_name) }
        } else {
            quote! { #rust_name }
        };
        match &body.kind {
            BodyKind::Json(_) => quote! { .json(#media, #value) },
            BodyKind::Form(_) => quote! { .form(#media, #value) },
            BodyKind::Text => quote! { .bytes(#media, #value.map(|text| text.as_bytes().to_vec())) },
            BodyKind::Raw => quote! { .bytes(#media, #value) },
            BodyKind::Multipart { content_type_argument } => {
                let content_type = ident(content_type_argument);
                quote! { .bytes_with_type(#content_type, #value) }
            }
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

/// The function that turns a success's status and body into the call's result.
fn decoder(body: &SuccessBody, statuses: &[u16]) -> TokenStream {
    match body {
        SuccessBody::Empty => quote! { nothing },
        SuccessBody::Json(_) => quote! { json },
        SuccessBody::Optional(_, with_body) => {
            let without_body: Vec<Literal> =
                statuses.iter().filter(|s| !with_body.contains(s)).map(|s| Literal::u16_unsuffixed(*s)).collect();
            let with_body = with_body.iter().map(|s| Literal::u16_unsuffixed(*s));
            quote! {
                |status, body| match status {
                    #(#with_body)|* => json(status, body).map(Some),
                    #(#without_body)|* => Ok(None),
                    _ => Err(undocumented_success(status)),
                }
            }
        }
        SuccessBody::Outcomes { name, outcomes } => {
            let name = ident(name);
            let arms = outcomes.iter().map(|outcome| {
                let status = Literal::u16_unsuffixed(outcome.status);
                let variant = ident(&outcome.rust_name);
                match outcome.ty {
                    Some(_) => quote! { #status => json(status, body).map(#name::#variant), },
                    None => quote! { #status => Ok(#name::#variant), },
                }
            });
            quote! {
                |status, body| match status {
                    #(#arms)*
                    _ => Err(undocumented_success(status)),
                }
            }
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
    let headers: Vec<String> = op
        .success
        .headers
        .iter()
        .map(|h| match &h.description {
            Some(description) => format!("- `{}`: {}", h.name, description.trim().replace('\n', " ")),
            None => format!("- `{}`", h.name),
        })
        .collect();
    let headers = (!headers.is_empty()).then(|| {
        format!("Response headers, read with [`Call::send_full`](crate::Call::send_full):\n\n{}", headers.join("\n"))
    });
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
        headers.as_deref(),
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
    let values = if p.required {
        quote! { #rust_name }
    } else {
        quote! { #rust_name.unwrap_or_default() }
    };
    match (p.location, p.required, list) {
        (ParameterLocation::Query, _, true) => match p.list_separator {
            Some(separator) => {
                let separator = separator.to_string();
                quote! { .query_joined(#wire, #values, #separator) }
            }
            None => quote! { .query_each(#wire, #values) },
        },
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
