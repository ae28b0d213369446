//! Stage 3, lower: the openapiv3 document -> the intermediate model, for the selected tags.

mod types;

use crate::error::{pointer, Diagnostic};
use crate::model::{
    Api, Body, BodyKind, ErrorResponse, Operation, Outcome, Parameter, ParameterLocation, ResponseHeader, StatusMatch,
    Success, SuccessBody, TypeKind, TypeRef,
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
        oauth2_token_url: oauth2_token_url(api),
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
                list_separator: None,
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
    let list_separator = match parameter {
        openapiv3::Parameter::Query { style, .. } => match style {
            openapiv3::QueryStyle::SpaceDelimited => Some(' '),
            openapiv3::QueryStyle::PipeDelimited => Some('|'),
            _ if data.explode == Some(false) => Some(','),
            _ => None,
        },
        _ => None,
    };
    // Headers and cookies carry one text value; a list there is the caller's to join.
    let ty = match (location, ty) {
        (ParameterLocation::Header | ParameterLocation::Cookie, TypeRef::List(_)) => TypeRef::String,
        (_, ty) => ty,
    };
    Ok(Parameter {
        name: data.name.clone(),
        rust_name: arguments.claim(&snake_ident(&data.name)),
        location,
        required: data.required || location == ParameterLocation::Path,
        ty,
        list_separator,
        description: data.description.clone(),
    })
}

/// Parameters travel as text: aliases are seen through, and types with no plain text form
/// (objects, nested lists) are taken as JSON values.
fn simple_parameter_type(ty: TypeRef, types: &TypeLowerer<'_>) -> TypeRef {
    match ty {
        TypeRef::Named(name) => match types.definition(&name).map(|def| &def.kind) {
            Some(TypeKind::Enum { .. }) => TypeRef::Named(name),
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

/// The media type without parameters, lower-cased.
fn essence(media_type: &str) -> String {
    media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

fn is_json(media_type: &str) -> bool {
    let essence = essence(media_type);
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
    // JSON is preferred, then a form, then text, then the first media type the spec lists.
    let rank = |media: &str| match essence(media).as_str() {
        m if is_json(m) => 0,
        "application/x-www-form-urlencoded" => 1,
        m if m.starts_with("text/") => 2,
        _ => 3,
    };
    let chosen = body.content.iter().enumerate().min_by_key(|(i, (media, _))| (rank(media), *i)).map(|(_, c)| c);
    let schema_type =
        |content: &'a openapiv3::MediaType, media: &str, types: &mut TypeLowerer<'a>| match &content.schema {
            Some(schema) => {
                types.type_of(schema, &pointer(&pointer(&content_at, media), "schema"), &format!("{type_prefix}Body"))
            }
            None => Ok(TypeRef::Json),
        };
    let (media_type, kind) = match chosen {
        Some((media, content)) => {
            let kind = match rank(media) {
                0 => BodyKind::Json(schema_type(content, media, types)?),
                1 => BodyKind::Form(schema_type(content, media, types)?),
                2 => BodyKind::Text,
                _ if essence(media).starts_with("multipart/") => {
                    BodyKind::Multipart { content_type_argument: arguments.claim("content_type") }
                }
                _ => BodyKind::Raw,
            };
            let media =
                if media == "*/*" && matches!(kind, BodyKind::Json(_)) { "application/json" } else { media.as_str() };
            (media.to_owned(), kind)
        }
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

    let mut errors = Vec::new();
    // (status, body type, description) of each success, and the headers they document.
    let mut successes: Vec<(u16, Option<TypeRef>, String)> = Vec::new();
    let mut headers: Vec<ResponseHeader> = Vec::new();
    let success_count = documented
        .iter()
        .filter(|(status, _, _)| matches!(status, StatusMatch::Code(200..=299) | StatusMatch::Range(2)))
        .count();
    for (status, node, at) in documented {
        let response = resolver.response(node, &at)?;
        let description = response.item.description.clone();
        let code = match status {
            StatusMatch::Code(code) if (200..300).contains(&code) => code,
            StatusMatch::Range(2) => 200,
            _ => {
                errors.push(ErrorResponse { status, description });
                continue;
            }
        };
        let json = response.item.content.iter().find(|(media, _)| is_json(media));
        let ty = match json {
            Some((media, content)) => Some(match &content.schema {
                Some(schema) => {
                    let schema_at = pointer(&pointer(&pointer(&response.pointer, "content"), media), "schema");
                    // Several successes: each inline body is named after its status.
                    let status_word = if success_count > 1 { outcome_name(code) } else { "" };
                    types.type_of(schema, &schema_at, &format!("{type_prefix}{status_word}Response"))?
                }
                None => TypeRef::Json,
            }),
            None => None,
        };
        for (name, header) in &response.item.headers {
            if !headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
                let description = header.as_item().and_then(|h| h.description.clone());
                headers.push(ResponseHeader { name: name.clone(), description });
            }
        }
        successes.push((code, ty, description));
    }
    successes.sort_by_key(|(code, _, _)| *code);
    successes.dedup_by_key(|(code, _, _)| *code);
    let success = success_of(successes, headers, type_prefix, types);
    Ok((success, errors))
}

/// One type when the successes agree; `Option` when some have no body; else an enum.
fn success_of(
    successes: Vec<(u16, Option<TypeRef>, String)>,
    headers: Vec<ResponseHeader>,
    type_prefix: &str,
    types: &mut TypeLowerer<'_>,
) -> Success {
    let statuses: Vec<u16> = successes.iter().map(|(code, _, _)| *code).collect();
    let mut distinct: Vec<&TypeRef> = successes.iter().filter_map(|(_, ty, _)| ty.as_ref()).collect();
    distinct.dedup();
    let with_body: Vec<u16> = successes.iter().filter(|(_, ty, _)| ty.is_some()).map(|(code, _, _)| *code).collect();
    let first_with_body = successes.iter().find(|(_, ty, _)| ty.is_some()).or(successes.first());
    let description = first_with_body.map(|(_, _, description)| description.clone());
    let body = match distinct.as_slice() {
        [] => SuccessBody::Empty,
        [only] if with_body.len() == successes.len() => SuccessBody::Json((*only).clone()),
        [only] => SuccessBody::Optional((*only).clone(), with_body),
        _ => {
            let mut scope = Scope::default();
            let outcomes: Vec<Outcome> = successes
                .into_iter()
                .map(|(status, ty, description)| Outcome {
                    rust_name: scope.claim(outcome_name(status)),
                    status,
                    ty,
                    description,
                })
                .collect();
            let name = types.define_outcomes(&format!("{type_prefix}Outcome"), outcomes.clone());
            SuccessBody::Outcomes { name, outcomes }
        }
    };
    Success { statuses, body, description, headers }
}

/// Variant names for success statuses, after their reason phrases.
fn outcome_name(status: u16) -> &'static str {
    match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "NonAuthoritative",
        204 => "NoContent",
        205 => "ResetContent",
        206 => "PartialContent",
        207 => "MultiStatus",
        208 => "AlreadyReported",
        226 => "ImUsed",
        _ => "Success",
    }
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

/// The `tokenUrl` of the first OAuth 2.0 scheme (in document order) with a `clientCredentials`
/// flow. Schemes given as `$ref` are skipped: the spec names no other place they could be.
fn oauth2_token_url(api: &OpenAPI) -> Option<String> {
    let schemes = &api.components.as_ref()?.security_schemes;
    schemes.values().find_map(|scheme| match scheme {
        ReferenceOr::Item(openapiv3::SecurityScheme::OAuth2 { flows, .. }) => {
            flows.client_credentials.as_ref().map(|flow| flow.token_url.trim().to_owned()).filter(|url| !url.is_empty())
        }
        _ => None,
    })
}
