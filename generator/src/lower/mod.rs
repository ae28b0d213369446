//! Stage 3, lower: the openapiv3 document -> the intermediate model, for the selected tags.

mod types;

use crate::error::{pointer, Diagnostic};
use crate::model::{
    Api, Body, BodyKind, ErrorResponse, Operation, Parameter, ParameterLocation, StatusMatch, Success, TypeKind,
    TypeRef,
};
use crate::naming::{
    camel_ident, snake_ident, synthesized_operation_name, Scope, ARGUMENT_NAMES_TAKEN, CLIENT_METHODS,
};
use crate::resolve::Resolver;
use heck::ToSnakeCase;
use openapiv3::{OpenAPI, ParameterSchemaOrContent, ReferenceOr, StatusCode};
use types::TypeLowerer;

/// How many schemas may be lowered one inside the other, counting inline nesting and the
/// `$ref`s followed on the way. Legitimate recursion ends at the first repeat, so only a
/// document built to exhaust the stack (a chain of thousands of schemas) comes near it.
pub const MAX_SCHEMA_DEPTH: usize = 256;

/// The error for a schema nested past [`MAX_SCHEMA_DEPTH`], at the schema where it stops.
fn too_deep(at: &str) -> Diagnostic {
    Diagnostic::new(
        at,
        format!(
            "schemas nest more than {MAX_SCHEMA_DEPTH} levels deep here (counting the `$ref`s followed to get here); \
             the generator stops rather than exhaust its stack: flatten the nesting or shorten the chain of references"
        ),
    )
}

/// Lowers the operations tagged with one of `tags` (all operations when `tags` is empty).
pub fn lower(api: &OpenAPI, tags: &[String]) -> Result<Api, Diagnostic> {
    let resolver = Resolver::new(api);
    let mut types = TypeLowerer::new(api);
    let found = find_operations(api)?;
    check_tags_exist(&found, tags)?;

    // Names are given over the whole document, so a method keeps its name whatever is selected.
    let mut method_names = Scope::with_taken(CLIENT_METHODS.iter().copied());
    let mut operations = Vec::new();
    for op in &found {
        let base = match &op.operation.operation_id {
            Some(id) => snake_ident(id),
            None => synthesized_operation_name(op.path, op.method),
        };
        let name = method_names.claim(&base);
        if selected(op, tags) {
            operations.push(lower_operation(op, name, &resolver, &mut types)?);
        }
    }

    Ok(Api {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        description: api.info.description.clone(),
        default_base_url: default_base_url(api),
        operations,
        types: types.finish(),
    })
}

/// One operation of the document, with where it was found.
struct FoundOperation<'a> {
    path: &'a str,
    method: &'static str,
    operation: &'a openapiv3::Operation,
    path_item: &'a openapiv3::PathItem,
    at: String,
}

fn find_operations(api: &OpenAPI) -> Result<Vec<FoundOperation<'_>>, Diagnostic> {
    let mut found = Vec::new();
    for (path, item) in &api.paths.paths {
        let item_at = pointer("/paths", path);
        let ReferenceOr::Item(path_item) = item else {
            return Err(Diagnostic::new(
                pointer(&item_at, "$ref"),
                "a `$ref` path item is not supported; write the path item in place",
            ));
        };
        for (method, operation) in path_item.iter() {
            let method = match method {
                "get" => "GET",
                "put" => "PUT",
                "post" => "POST",
                "delete" => "DELETE",
                "options" => "OPTIONS",
                "head" => "HEAD",
                "patch" => "PATCH",
                _ => "TRACE",
            };
            let at = pointer(&item_at, method.to_ascii_lowercase());
            found.push(FoundOperation { path, method, operation, path_item, at });
        }
    }
    Ok(found)
}

/// Tags match without regard to case or separators: `users`, `Users` and `USERS` are one tag.
fn tag_key(tag: &str) -> String {
    tag.to_snake_case()
}

fn selected(op: &FoundOperation<'_>, tags: &[String]) -> bool {
    tags.is_empty() || op.operation.tags.iter().any(|t| tags.iter().any(|wanted| tag_key(t) == tag_key(wanted)))
}

fn check_tags_exist(found: &[FoundOperation<'_>], tags: &[String]) -> Result<(), Diagnostic> {
    let mut known: Vec<&str> = found.iter().flat_map(|op| op.operation.tags.iter().map(String::as_str)).collect();
    known.sort_unstable();
    known.dedup();
    for wanted in tags {
        if !known.iter().any(|t| tag_key(t) == tag_key(wanted)) {
            return Err(Diagnostic::new(
                "/paths",
                format!("no operation has the tag `{wanted}`; the tags in this document are: {}", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn lower_operation<'a>(
    op: &FoundOperation<'a>,
    name: String,
    resolver: &Resolver<'a>,
    types: &mut TypeLowerer<'a>,
) -> Result<Operation, Diagnostic> {
    let type_prefix = camel_ident(&name);
    let mut arguments = Scope::with_taken(ARGUMENT_NAMES_TAKEN.iter().copied());
    let parameters = lower_parameters(op, &type_prefix, &mut arguments, resolver, types)?;
    let body = match &op.operation.request_body {
        Some(node) => {
            Some(lower_body(node, &pointer(&op.at, "requestBody"), &type_prefix, &mut arguments, resolver, types)?)
        }
        None => None,
    };
    let (success, errors) = lower_responses(op, &type_prefix, resolver, types)?;
    Ok(Operation {
        name,
        operation_id: op.operation.operation_id.clone(),
        method: op.method.to_owned(),
        path: op.path.to_owned(),
        summary: op.operation.summary.clone(),
        description: op.operation.description.clone(),
        deprecated: op.operation.deprecated,
        parameters,
        body,
        success,
        errors,
    })
}

/// Path-item parameters, overridden by operation parameters of the same name and location;
/// path parameters first, in the order the template names them.
fn lower_parameters<'a>(
    op: &FoundOperation<'a>,
    type_prefix: &str,
    arguments: &mut Scope,
    resolver: &Resolver<'a>,
    types: &mut TypeLowerer<'a>,
) -> Result<Vec<Parameter>, Diagnostic> {
    let item_at = op.at.rsplit_once('/').map_or("", |(item, _)| item);
    let declared = op
        .path_item
        .parameters
        .iter()
        .enumerate()
        .map(|(i, p)| (p, pointer(&pointer(item_at, "parameters"), i)))
        .chain(
            op.operation.parameters.iter().enumerate().map(|(i, p)| (p, pointer(&pointer(&op.at, "parameters"), i))),
        );

    let mut merged: Vec<(&'a openapiv3::Parameter, String)> = Vec::new();
    for (node, at) in declared {
        let resolved = resolver.parameter(node, &at)?;
        let data = resolved.item.parameter_data_ref();
        let location = location_of(resolved.item);
        merged.retain(|(p, _)| !(p.parameter_data_ref().name == data.name && location_of(p) == location));
        merged.push((resolved.item, resolved.pointer));
    }

    let template_names = template_parameters(op.path);
    let mut lowered = Vec::new();
    for wire_name in &template_names {
        let declared = merged
            .iter()
            .find(|(p, _)| location_of(p) == ParameterLocation::Path && &p.parameter_data_ref().name == wire_name);
        lowered.push(match declared {
            Some((parameter, at)) => lower_parameter(parameter, at, type_prefix, arguments, types)?,
            // The template names a parameter the spec forgot to declare: it is still a string.
            None => Parameter {
                name: wire_name.clone(),
                rust_name: arguments.claim(&snake_ident(wire_name)),
                location: ParameterLocation::Path,
                required: true,
                ty: TypeRef::String,
                description: None,
            },
        });
    }
    for (parameter, at) in &merged {
        if location_of(parameter) != ParameterLocation::Path {
            lowered.push(lower_parameter(parameter, at, type_prefix, arguments, types)?);
        }
    }
    Ok(lowered)
}

fn location_of(parameter: &openapiv3::Parameter) -> ParameterLocation {
    match parameter {
        openapiv3::Parameter::Path { .. } => ParameterLocation::Path,
        openapiv3::Parameter::Query { .. } => ParameterLocation::Query,
        openapiv3::Parameter::Header { .. } => ParameterLocation::Header,
        openapiv3::Parameter::Cookie { .. } => ParameterLocation::Cookie,
    }
}

/// The `{names}` of a path template, in order.
fn template_parameters(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}')).map(|(name, _)| name.to_owned()).collect()
}

fn lower_parameter<'a>(
    parameter: &'a openapiv3::Parameter,
    at: &str,
    type_prefix: &str,
    arguments: &mut Scope,
    types: &mut TypeLowerer<'a>,
) -> Result<Parameter, Diagnostic> {
    let data = parameter.parameter_data_ref();
    let location = location_of(parameter);
    let ty = match &data.format {
        ParameterSchemaOrContent::Schema(schema) => {
            let ty =
                types.type_of(schema, &pointer(at, "schema"), &format!("{type_prefix}{}", camel_ident(&data.name)))?;
            simple_parameter_type(ty, types)
        }
        // A parameter described by a media type is sent as text the caller prepares.
        ParameterSchemaOrContent::Content(_) => TypeRef::String,
    };
    Ok(Parameter {
        name: data.name.clone(),
        rust_name: arguments.claim(&snake_ident(&data.name)),
        location,
        required: data.required || location == ParameterLocation::Path,
        ty,
        description: data.description.clone(),
    })
}

/// Parameters travel as text: aliases are seen through, and types with no plain text form
/// (objects, nested lists) are taken as JSON values.
fn simple_parameter_type(ty: TypeRef, types: &TypeLowerer<'_>) -> TypeRef {
    match ty {
        TypeRef::Named(name) => match types.definition(&name).map(|def| &def.kind) {
            Some(TypeKind::Enum(_)) => TypeRef::Named(name),
            Some(TypeKind::Alias(inner)) => simple_parameter_type(inner.clone(), types),
            _ => TypeRef::Json,
        },
        TypeRef::List(item) => match simple_parameter_type(*item, types) {
            TypeRef::List(_) | TypeRef::Map(_) | TypeRef::Json => TypeRef::Json,
            item => TypeRef::List(Box::new(item)),
        },
        TypeRef::Map(_) => TypeRef::Json,
        other => other,
    }
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence == "*/*"
}

fn lower_body<'a>(
    node: &'a ReferenceOr<openapiv3::RequestBody>,
    at: &str,
    type_prefix: &str,
    arguments: &mut Scope,
    resolver: &Resolver<'a>,
    types: &mut TypeLowerer<'a>,
) -> Result<Body, Diagnostic> {
    let resolved = resolver.request_body(node, at)?;
    let body = resolved.item;
    let content_at = pointer(&resolved.pointer, "content");
    // JSON is preferred when offered; otherwise the first media type, as the spec orders them.
    let chosen = body.content.iter().find(|(media, _)| is_json(media)).or_else(|| body.content.first());
    let (media_type, kind) = match chosen {
        Some((media, content)) if is_json(media) => {
            let kind = match &content.schema {
                Some(schema) => BodyKind::Json(types.type_of(
                    schema,
                    &pointer(&pointer(&content_at, media), "schema"),
                    &format!("{type_prefix}Body"),
                )?),
                None => BodyKind::Json(TypeRef::Json),
            };
            let media = if media == "*/*" { "application/json" } else { media.as_str() };
            (media.to_owned(), kind)
        }
        Some((media, _)) => (media.clone(), BodyKind::Raw),
        None => ("application/octet-stream".to_owned(), BodyKind::Raw),
    };
    Ok(Body {
        rust_name: arguments.claim("body"),
        media_type,
        kind,
        required: body.required,
        description: body.description.clone(),
    })
}

fn lower_responses<'a>(
    op: &FoundOperation<'a>,
    type_prefix: &str,
    resolver: &Resolver<'a>,
    types: &mut TypeLowerer<'a>,
) -> Result<(Success, Vec<ErrorResponse>), Diagnostic> {
    let responses_at = pointer(&op.at, "responses");
    let mut documented: Vec<(StatusMatch, &'a ReferenceOr<openapiv3::Response>, String)> = op
        .operation
        .responses
        .responses
        .iter()
        .map(|(status, node)| {
            let status_match = match status {
                StatusCode::Code(code) => StatusMatch::Code(*code),
                StatusCode::Range(class) => StatusMatch::Range(*class),
            };
            (status_match, node, pointer(&responses_at, status))
        })
        .collect();
    if let Some(node) = &op.operation.responses.default {
        documented.push((StatusMatch::Default, node, pointer(&responses_at, "default")));
    }

    let mut success = Success { statuses: Vec::new(), ty: None, description: None };
    let mut errors = Vec::new();
    for (status, node, at) in documented {
        let response = resolver.response(node, &at)?;
        let description = response.item.description.clone();
        let success_code = match status {
            StatusMatch::Code(code) if (200..300).contains(&code) => Some(code),
            StatusMatch::Range(2) => Some(200),
            _ => None,
        };
        let Some(code) = success_code else {
            errors.push(ErrorResponse { status, description });
            continue;
        };
        success.statuses.push(code);
        if success.ty.is_none() {
            let json = response.item.content.iter().find(|(media, _)| is_json(media));
            if let Some((media, content)) = json {
                let schema_at = pointer(&pointer(&pointer(&response.pointer, "content"), media), "schema");
                success.ty = Some(match &content.schema {
                    Some(schema) => types.type_of(schema, &schema_at, &format!("{type_prefix}Response"))?,
                    None => TypeRef::Json,
                });
                success.description = Some(description);
            } else if success.description.is_none() {
                success.description = Some(description);
            }
        }
    }
    success.statuses.sort_unstable();
    success.statuses.dedup();
    Ok((success, errors))
}

/// The first server's URL with each variable set to its default, when that gives an absolute
/// http(s) URL; a relative server URL has no base to stand on, so the client asks for one.
fn default_base_url(api: &OpenAPI) -> Option<String> {
    let server = api.servers.first()?;
    let mut url = server.url.clone();
    for (name, variable) in server.variables.iter().flatten() {
        url = url.replace(&format!("{{{name}}}"), &variable.default);
    }
    let absolute = url.starts_with("https://") || url.starts_with("http://");
    (absolute && !url.contains('{')).then(|| url.trim_end_matches('/').to_owned())
}
