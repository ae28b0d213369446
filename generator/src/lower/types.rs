//! Schemas -> named types and type references. Component schemas are named up front (so names
//! do not depend on which operations are selected) and lowered on first use (so only the types
//! the selected operations reach are emitted).

use crate::error::{pointer, Diagnostic};
use crate::model::{Field, IntegerType, Tagging, TypeDef, TypeKind, TypeRef, UnionVariant, Variant};
use crate::naming::{camel_ident, snake_ident, Scope};
use crate::resolve::{Resolved, Resolver};
use openapiv3::{
    AdditionalProperties, ArrayType, IntegerFormat, NumberFormat, ObjectType, OpenAPI, ReferenceOr, Schema, SchemaKind,
    StringType, Type, VariantOrUnknownOrEmpty,
};
use std::collections::{BTreeMap, HashMap};

/// Lowers schemas on demand and remembers what it made.
pub struct TypeLowerer<'a> {
    resolver: Resolver<'a>,
    /// Rust name of every component schema, by its pointer.
    component_names: HashMap<String, String>,
    /// Every name handed out so far.
    names: Scope,
    /// Types defined so far, by name.
    defined: BTreeMap<String, TypeDef>,
    /// Pointers of component schemas being lowered or done, so recursion ends.
    started: HashMap<String, String>,
    /// How many schemas are being lowered, one inside the other (see [`super::MAX_SCHEMA_DEPTH`]).
    depth: usize,
}

impl<'a> TypeLowerer<'a> {
    /// Names every component schema of `api`, in document order.
    pub fn new(api: &'a OpenAPI) -> Self {
        let mut names = Scope::default();
        let mut component_names = HashMap::new();
        if let Some(components) = &api.components {
            for key in components.schemas.keys() {
                let name = names.claim(&camel_ident(key));
                component_names.insert(pointer("/components/schemas", key), name);
            }
        }
        Self {
            resolver: Resolver::new(api),
            component_names,
            names,
            defined: BTreeMap::new(),
            started: HashMap::new(),
            depth: 0,
        }
    }

    /// The types defined so far, sorted by name, with self-containing fields boxed.
    pub fn finish(self) -> Vec<TypeDef> {
        let mut types: Vec<TypeDef> = self.defined.into_values().collect();
        box_recursive_fields(&mut types);
        types
    }

    /// The type of a schema given by reference or inline; `hint` names an inline object or enum.
    pub fn type_of(&mut self, node: &'a ReferenceOr<Schema>, at: &str, hint: &str) -> Result<TypeRef, Diagnostic> {
        let resolved = self.resolver.schema(node, at)?;
        self.type_of_resolved(resolved, hint)
    }

    /// Like [`Self::type_of`], for the boxed schemas nested in other schemas.
    pub fn type_of_boxed(
        &mut self,
        node: &'a ReferenceOr<Box<Schema>>,
        at: &str,
        hint: &str,
    ) -> Result<TypeRef, Diagnostic> {
        let resolved = self.resolver.boxed_schema(node, at)?;
        self.type_of_resolved(resolved, hint)
    }

    /// Defines the enum of an operation's different successes under a free name near `hint`.
    pub fn define_outcomes(&mut self, hint: &str, outcomes: Vec<crate::model::Outcome>) -> String {
        let name = self.names.claim(&camel_ident(hint));
        let description = Some("The successful responses of one operation, one variant each.".to_owned());
        self.defined.insert(
            name.clone(),
            TypeDef { name: name.clone(), description, source: String::new(), kind: TypeKind::Outcomes(outcomes) },
        );
        name
    }

    /// A named type's definition, if it is one made so far.
    pub fn definition(&self, name: &str) -> Option<&TypeDef> {
        self.defined.get(name)
    }

    fn type_of_resolved(&mut self, resolved: Resolved<'a, Schema>, hint: &str) -> Result<TypeRef, Diagnostic> {
        if self.depth >= super::MAX_SCHEMA_DEPTH {
            return Err(super::too_deep(&resolved.pointer));
        }
        self.depth += 1;
        let result = self.lower_resolved(resolved, hint);
        self.depth -= 1;
        result
    }

    fn lower_resolved(&mut self, resolved: Resolved<'a, Schema>, hint: &str) -> Result<TypeRef, Diagnostic> {
        let Resolved { item: schema, pointer: at, component } = resolved;
        if component.is_none() {
            return self.inline_type(schema, &at, hint);
        }
        if let Some(name) = self.started.get(&at) {
            return Ok(TypeRef::Named(name.clone()));
        }
        let name = match self.component_names.get(&at) {
            Some(name) => name.clone(),
            None => self.names.claim(&camel_ident(component.unwrap_or(hint))),
        };
        self.started.insert(at.clone(), name.clone());
        let kind = match self.inline_type(schema, &at, &name)? {
            // The component was an object or enum: its definition was made under `name`.
            TypeRef::Named(inner) if inner == name => return Ok(TypeRef::Named(name)),
            other => TypeKind::Alias(other),
        };
        self.define(name.clone(), schema, &at, kind);
        Ok(TypeRef::Named(name))
    }

    fn define(&mut self, name: String, schema: &Schema, at: &str, kind: TypeKind) {
        let description = schema.schema_data.description.clone();
        self.defined.insert(name.clone(), TypeDef { name, description, source: at.to_owned(), kind });
    }

    /// The type of a schema written at `at`. Objects with properties and string enums become
    /// named definitions called `name_hint` (or a free variant of it).
    fn inline_type(&mut self, schema: &'a Schema, at: &str, name_hint: &str) -> Result<TypeRef, Diagnostic> {
        Ok(match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => self.string_type(schema, string, at, name_hint),
            SchemaKind::Type(Type::Integer(integer)) => TypeRef::Integer(integer_type(&integer.format)),
            SchemaKind::Type(Type::Number(number)) => match number.format {
                VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => TypeRef::F32,
                _ => TypeRef::F64,
            },
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Bool,
            SchemaKind::Type(Type::Array(array)) => self.array_type(array, at, name_hint)?,
            SchemaKind::Type(Type::Object(object)) => self.object_type(schema, object, at, name_hint)?,
            SchemaKind::Any(any) if !any.properties.is_empty() => {
                let properties = any.properties.iter().map(|(name, node)| (name, node, at.to_owned())).collect();
                let fields = self.fields_of(properties, &any.required, name_hint)?;
                self.named(schema, at, name_hint, TypeKind::Struct(fields))
            }
            SchemaKind::OneOf { one_of } => self.union_type(schema, one_of, &pointer(at, "oneOf"), at, name_hint)?,
            SchemaKind::AnyOf { any_of } => self.union_type(schema, any_of, &pointer(at, "anyOf"), at, name_hint)?,
            SchemaKind::AllOf { all_of } => self.all_of_type(schema, all_of, at, name_hint)?,
            // `not` and untyped schemas: any JSON value.
            _ => TypeRef::Json,
        })
    }

    fn string_type(&mut self, schema: &Schema, string: &StringType, at: &str, name_hint: &str) -> TypeRef {
        let values: Vec<(&str, Option<&str>)> =
            string.enumeration.iter().flatten().map(|v| (v.as_str(), None)).collect();
        if values.is_empty() {
            return TypeRef::String;
        }
        self.named(schema, at, name_hint, enum_kind(values))
    }

    fn array_type(&mut self, array: &'a ArrayType, at: &str, name_hint: &str) -> Result<TypeRef, Diagnostic> {
        let item = match &array.items {
            Some(items) => self.type_of_boxed(items, &pointer(at, "items"), &format!("{name_hint}Item"))?,
            None => TypeRef::Json,
        };
        Ok(TypeRef::List(Box::new(item)))
    }

    fn object_type(
        &mut self,
        schema: &Schema,
        object: &'a ObjectType,
        at: &str,
        name_hint: &str,
    ) -> Result<TypeRef, Diagnostic> {
        if object.properties.is_empty() {
            return Ok(TypeRef::Map(Box::new(match &object.additional_properties {
                Some(AdditionalProperties::Schema(value)) => {
                    self.type_of(value, &pointer(at, "additionalProperties"), &format!("{name_hint}Value"))?
                }
                _ => TypeRef::Json,
            })));
        }
        let properties = object.properties.iter().map(|(name, node)| (name, node, at.to_owned())).collect();
        let fields = self.fields_of(properties, &object.required, name_hint)?;
        Ok(self.named(schema, at, name_hint, TypeKind::Struct(fields)))
    }

    /// `oneOf`/`anyOf`: an enum of the alternatives; members that only say "null" are dropped,
    /// and a single remaining alternative is that type itself.
    fn union_type(
        &mut self,
        schema: &Schema,
        members: &'a [ReferenceOr<Schema>],
        members_at: &str,
        at: &str,
        name_hint: &str,
    ) -> Result<TypeRef, Diagnostic> {
        let mut kept = Vec::new();
        for (i, member) in members.iter().enumerate() {
            let member_at = pointer(members_at, i);
            if !is_null_only(self.resolver.schema(member, &member_at)?.item) {
                kept.push((i, member, member_at));
            }
        }
        if schema.schema_data.discriminator.is_none() {
            if let Some(values) = enum_of_enums(&kept) {
                return Ok(self.named(schema, at, name_hint, enum_kind(values)));
            }
            if let Some((property, tags)) = internal_tag(&kept) {
                return self.internally_tagged(schema, &kept, property, tags, at, name_hint);
            }
        }
        if let [(i, member, member_at)] = kept.as_slice() {
            return self.type_of(member, member_at, &format!("{name_hint}Variant{}", i + 1));
        }
        if kept.is_empty() {
            return Ok(TypeRef::Json);
        }
        let mut scope = Scope::default();
        let mut variants = Vec::with_capacity(kept.len());
        for (i, member, member_at) in kept {
            let ty = self.type_of(member, &member_at, &format!("{name_hint}Variant{}", i + 1))?;
            let tag = schema.schema_data.discriminator.as_ref().and_then(|d| tag_of(member, d));
            variants.push(UnionVariant { rust_name: scope.claim(&variant_name(&ty)), ty, tag, boxed: false });
        }
        // Dispatching on the discriminator needs every alternative to be a named object with a tag.
        let tagging = schema
            .schema_data
            .discriminator
            .as_ref()
            .filter(|_| variants.iter().all(|v| v.tag.is_some() && matches!(v.ty, TypeRef::Named(_))))
            .map_or(Tagging::None, |d| Tagging::Discriminator(d.property_name.clone()));
        Ok(self.named(schema, at, name_hint, TypeKind::Union { variants, tagging }))
    }

    /// A union whose alternatives [`internal_tag`] found tagged by `property`: each alternative
    /// becomes a struct of its other properties, named after its tag.
    fn internally_tagged(
        &mut self,
        schema: &Schema,
        kept: &[(usize, &'a ReferenceOr<Schema>, String)],
        property: &str,
        tags: Vec<&str>,
        at: &str,
        name_hint: &str,
    ) -> Result<TypeRef, Diagnostic> {
        let mut scope = Scope::default();
        let mut variants = Vec::with_capacity(kept.len());
        for ((_, member, member_at), tag) in kept.iter().zip(tags) {
            let Some((member, object)) = member.as_item().and_then(|m| Some((m, object_of(m)?))) else {
                return Err(Diagnostic::new(
                    member_at.clone(),
                    "internal error: a tagged alternative is not an object",
                ));
            };
            let properties = object
                .properties
                .iter()
                .filter(|(name, _)| name.as_str() != property)
                .map(|(name, node)| (name, node, member_at.clone()))
                .collect();
            let hint = format!("{name_hint}{}", camel_ident(tag));
            let fields = self.fields_of(properties, &object.required, &hint)?;
            let ty = self.named(member, member_at, &hint, TypeKind::Struct(fields));
            variants.push(UnionVariant {
                rust_name: scope.claim(&camel_ident(tag)),
                ty,
                tag: Some(tag.to_owned()),
                boxed: false,
            });
        }
        let tagging = Tagging::Internal(property.to_owned());
        Ok(self.named(schema, at, name_hint, TypeKind::Union { variants, tagging }))
    }

    /// `allOf`: one struct with the properties of every member, in member order; a single member
    /// is that member's type. Members that are not objects cannot be merged: any JSON value.
    fn all_of_type(
        &mut self,
        schema: &Schema,
        members: &'a [ReferenceOr<Schema>],
        at: &str,
        name_hint: &str,
    ) -> Result<TypeRef, Diagnostic> {
        let members_at = pointer(at, "allOf");
        if let [member] = members {
            return self.type_of(member, &pointer(&members_at, 0), name_hint);
        }
        let mut properties: Vec<(&'a String, &'a ReferenceOr<Box<Schema>>, String)> = Vec::new();
        let mut required: Vec<String> = Vec::new();
        let mut pending: Vec<(&'a ReferenceOr<Schema>, String)> =
            members.iter().enumerate().map(|(i, m)| (m, pointer(&members_at, i))).rev().collect();
        let mut visited = 0;
        while let Some((member, member_at)) = pending.pop() {
            visited += 1;
            if visited > 256 {
                return Err(Diagnostic::new(member_at, "`allOf` nests or repeats too deeply to merge"));
            }
            let resolved = self.resolver.schema(member, &member_at)?;
            let (own, own_required) = match &resolved.item.schema_kind {
                SchemaKind::Type(Type::Object(object)) => (&object.properties, &object.required),
                SchemaKind::Any(any) if any.all_of.is_empty() => (&any.properties, &any.required),
                SchemaKind::AllOf { all_of } => {
                    let nested_at = pointer(&resolved.pointer, "allOf");
                    pending.extend(all_of.iter().enumerate().map(|(i, m)| (m, pointer(&nested_at, i))).rev());
                    continue;
                }
                _ => return Ok(TypeRef::Json),
            };
            for (name, node) in own {
                properties.retain(|(existing, _, _)| *existing != name);
                properties.push((name, node, resolved.pointer.clone()));
            }
            required.extend(own_required.iter().cloned());
        }
        let fields = self.fields_of(properties, &required, name_hint)?;
        Ok(self.named(schema, at, name_hint, TypeKind::Struct(fields)))
    }

    /// Fields from `(name, schema, pointer of the schema holding the property)`, in order.
    fn fields_of(
        &mut self,
        properties: Vec<(&'a String, &'a ReferenceOr<Box<Schema>>, String)>,
        required: &[String],
        owner: &str,
    ) -> Result<Vec<Field>, Diagnostic> {
        let mut scope = Scope::default();
        let mut fields = Vec::new();
        for (name, property, holder_at) in properties {
            let property_at = pointer(&pointer(&holder_at, "properties"), name);
            let ty = self.type_of_boxed(property, &property_at, &format!("{owner}{}", camel_ident(name)))?;
            let resolved = self.resolver.boxed_schema(property, &property_at)?;
            fields.push(Field {
                name: name.clone(),
                rust_name: scope.claim(&snake_ident(name)),
                note: note_for(&ty, resolved.item),
                ty,
                required: required.contains(name),
                nullable: resolved.item.schema_data.nullable,
                boxed: false,
                // A `$ref` property has no words of its own; the target's describe the type.
                description: property.as_item().and_then(|p| p.schema_data.description.clone()),
            });
        }
        Ok(fields)
    }

    /// Defines an inline object or enum under a free name built from `name_hint`.
    fn named(&mut self, schema: &Schema, at: &str, name_hint: &str, kind: TypeKind) -> TypeRef {
        // A component being lowered takes its own reserved name; inline types claim a new one.
        let name = match self.started.get(at) {
            Some(name) => name.clone(),
            None => self.names.claim(&camel_ident(name_hint)),
        };
        self.define(name.clone(), schema, at, kind);
        TypeRef::Named(name)
    }
}

/// A `{nullable: true}` or `{type: "null"}` member (after 3.1 normalization): "or null".
fn is_null_only(schema: &Schema) -> bool {
    matches!(&schema.schema_kind, SchemaKind::Any(any) if any.typ.is_none() && any.properties.is_empty()
        && any.one_of.is_empty() && any.any_of.is_empty() && any.all_of.is_empty() && any.items.is_none()
        && any.enumeration.is_empty() && any.format.is_none())
        && schema.schema_data.nullable
}

/// A string enumeration of `values` (with what each means, when known), in order.
fn enum_kind(values: Vec<(&str, Option<&str>)>) -> TypeKind {
    let mut scope = Scope::default();
    let variants = values
        .into_iter()
        .map(|(value, description)| Variant {
            value: value.to_owned(),
            rust_name: scope.claim(&camel_ident(value)),
            description: description.map(str::to_owned),
        })
        .collect();
    let fallback = scope.claim("Other");
    TypeKind::Enum { variants, fallback }
}

/// The values of a union whose alternatives are all inline string enumerations, as one
/// enumeration: each value with its alternative's description when that alternative lists
/// only it. (Generators from Rust types describe an enum with documented variants this way.)
fn enum_of_enums<'s>(kept: &[(usize, &'s ReferenceOr<Schema>, String)]) -> Option<Vec<(&'s str, Option<&'s str>)>> {
    let mut seen = std::collections::HashSet::new();
    let mut values = Vec::new();
    for (_, member, _) in kept {
        let member = member.as_item()?;
        let SchemaKind::Type(Type::String(string)) = &member.schema_kind else { return None };
        let listed: Vec<&str> = string.enumeration.iter().flatten().map(String::as_str).collect();
        if member.schema_data.nullable || listed.is_empty() || listed.len() != string.enumeration.len() {
            return None;
        }
        let description = if listed.len() == 1 { member.schema_data.description.as_deref() } else { None };
        values.extend(listed.into_iter().filter(|value| seen.insert(*value)).map(|value| (value, description)));
    }
    Some(values)
}

/// The property that tags every alternative of a union without a discriminator, with each
/// alternative's tag: every alternative is an inline object that requires the property, whose
/// schema is an inline string enumeration of one value, different in each. (Generators from
/// Rust types, such as dropshot's, describe serde's internally tagged enums this way.)
fn internal_tag<'s>(kept: &[(usize, &'s ReferenceOr<Schema>, String)]) -> Option<(&'s str, Vec<&'s str>)> {
    let (_, first, _) = kept.first()?;
    let first = object_of(first.as_item()?)?;
    first.properties.keys().find_map(|property| {
        let tags = kept
            .iter()
            .map(|(_, member, _)| {
                let object = object_of(member.as_item()?)?;
                if !object.required.iter().any(|required| required == property) {
                    return None;
                }
                constant_string(object.properties.get(property)?.as_item()?)
            })
            .collect::<Option<Vec<&str>>>()?;
        let distinct: std::collections::BTreeSet<&str> = tags.iter().copied().collect();
        (distinct.len() == tags.len()).then_some((property.as_str(), tags))
    })
}

/// The object a schema describes with `type: object`.
fn object_of(schema: &Schema) -> Option<&ObjectType> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(object),
        _ => None,
    }
}

/// The one value of a string enumeration of a single non-null value.
fn constant_string(schema: &Schema) -> Option<&str> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) if !schema.schema_data.nullable => match string.enumeration.as_slice() {
            [Some(value)] => Some(value),
            _ => None,
        },
        _ => None,
    }
}

/// The discriminator value of a `$ref` member: its mapping entry, or the component's name.
fn tag_of(member: &ReferenceOr<Schema>, discriminator: &openapiv3::Discriminator) -> Option<String> {
    let ReferenceOr::Reference { reference } = member else { return None };
    let name = reference.rsplit('/').next()?;
    let mapped = discriminator.mapping.iter().find(|(_, target)| *target == reference || target.as_str() == name);
    Some(mapped.map_or(name, |(tag, _)| tag.as_str()).to_owned())
}

/// A variant's name from its type: the model's name, or the kind of value.
fn variant_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Named(name) => name.clone(),
        TypeRef::String => "String".to_owned(),
        TypeRef::Bool => "Bool".to_owned(),
        TypeRef::Integer(_) => "Integer".to_owned(),
        TypeRef::F32 | TypeRef::F64 => "Number".to_owned(),
        TypeRef::Json => "Value".to_owned(),
        TypeRef::List(item) => format!("{}List", variant_name(item)),
        TypeRef::Map(value) => format!("{}Map", variant_name(value)),
    }
}

fn integer_type(format: &VariantOrUnknownOrEmpty<IntegerFormat>) -> IntegerType {
    match format {
        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => IntegerType::I32,
        VariantOrUnknownOrEmpty::Unknown(other) => match other.as_str() {
            "int8" => IntegerType::I8,
            "int16" => IntegerType::I16,
            "uint8" => IntegerType::U8,
            "uint16" => IntegerType::U16,
            "uint32" => IntegerType::U32,
            "uint64" | "uint" => IntegerType::U64,
            _ => IntegerType::I64,
        },
        _ => IntegerType::I64,
    }
}

/// Notes for the reader: where the Rust type is looser than the schema, and what the schema
/// says that the type cannot (format, default, read/write only, deprecation).
fn note_for(ty: &TypeRef, schema: &Schema) -> Option<String> {
    let mut notes = Vec::new();
    let composite = match &schema.schema_kind {
        SchemaKind::OneOf { .. } => Some("oneOf"),
        SchemaKind::AnyOf { .. } => Some("anyOf"),
        SchemaKind::AllOf { .. } => Some("allOf"),
        SchemaKind::Not { .. } => Some("not"),
        _ => None,
    };
    if let (Some(composite), TypeRef::Json) = (composite, ty) {
        notes.push(format!("The spec describes this value with `{composite}` in a way Rust types cannot express; it is kept as any JSON value."));
    }
    if let SchemaKind::Type(Type::String(string)) = &schema.schema_kind {
        let format = match &string.format {
            VariantOrUnknownOrEmpty::Item(format) => Some(format!("{format:?}")),
            VariantOrUnknownOrEmpty::Unknown(format) => Some(format.clone()),
            VariantOrUnknownOrEmpty::Empty => None,
        };
        if let Some(format) = format {
            let format = match format.as_str() {
                "DateTime" => "date-time".to_owned(),
                "Date" => "date".to_owned(),
                "Byte" => "byte".to_owned(),
                "Binary" => "binary".to_owned(),
                "Password" => "password".to_owned(),
                other => other.to_owned(),
            };
            notes.push(format!("Format `{format}`, kept as text."));
        }
    }
    if let SchemaKind::Type(Type::Integer(integer)) = &schema.schema_kind {
        let values: Vec<String> = integer.enumeration.iter().flatten().map(i64::to_string).collect();
        if !values.is_empty() {
            notes.push(format!("One of {}.", values.join(", ")));
        }
    }
    if let Some(default) = &schema.schema_data.default {
        notes.push(format!("Default: `{}`.", default.to_string().replace('`', "'")));
    }
    if schema.schema_data.read_only {
        notes.push("Read-only: the server sets it, and ignores it in requests.".to_owned());
    }
    if schema.schema_data.write_only {
        notes.push("Write-only: sent in requests; never returned.".to_owned());
    }
    if schema.schema_data.deprecated {
        notes.push("Deprecated by the spec.".to_owned());
    }
    (!notes.is_empty()).then(|| notes.join(" "))
}

/// Boxes each field whose type contains, without a `Vec` or map between, the struct that holds
/// it; otherwise the type would have infinite size. A field's type contains its struct exactly
/// when both are in one strongly connected component of the "holds directly" graph, which one
/// pass finds (Kosaraju): a search per field took quadratic time on thousands of schemas.
fn box_recursive_fields(types: &mut [TypeDef]) {
    let index: HashMap<String, usize> = types.iter().enumerate().map(|(i, def)| (def.name.clone(), i)).collect();
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|def| {
            let targets: Vec<String> = match &def.kind {
                TypeKind::Struct(fields) => fields.iter().filter_map(|f| named(&f.ty)).collect(),
                TypeKind::Union { variants, .. } => variants.iter().filter_map(|v| named(&v.ty)).collect(),
                TypeKind::Alias(ty) => named(ty).into_iter().collect(),
                TypeKind::Enum { .. } | TypeKind::Outcomes(_) => Vec::new(),
            };
            targets.iter().filter_map(|t| index.get(t).copied()).collect()
        })
        .collect();
    let component = strongly_connected_components(&edges);
    let in_cycle = |ty: &TypeRef, i: usize| {
        named(ty).and_then(|t| index.get(&t).copied()).is_some_and(|t| component[t] == component[i])
    };
    for (i, def) in types.iter_mut().enumerate() {
        match &mut def.kind {
            TypeKind::Struct(fields) => fields.iter_mut().for_each(|field| field.boxed = in_cycle(&field.ty, i)),
            TypeKind::Union { variants, .. } => {
                variants.iter_mut().for_each(|variant| variant.boxed = in_cycle(&variant.ty, i))
            }
            _ => {}
        }
    }
}

/// The component of each node of a directed graph, iteratively (no recursion to overflow).
fn strongly_connected_components(edges: &[Vec<usize>]) -> Vec<usize> {
    let n = edges.len();
    // 1. Nodes in the order their depth-first searches finish.
    let mut visited = vec![false; n];
    let mut finished = Vec::with_capacity(n);
    for start in 0..n {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0usize)];
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&target) = edges[node].get(*next) {
                *next += 1;
                if !visited[target] {
                    visited[target] = true;
                    stack.push((target, 0));
                }
            } else {
                finished.push(node);
                stack.pop();
            }
        }
    }
    // 2. On the reversed graph, in reverse finishing order, each search is one component.
    let mut reversed = vec![Vec::new(); n];
    for (from, targets) in edges.iter().enumerate() {
        for &to in targets {
            reversed[to].push(from);
        }
    }
    let mut component = vec![usize::MAX; n];
    for &root in finished.iter().rev() {
        if component[root] != usize::MAX {
            continue;
        }
        component[root] = root;
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            for &source in &reversed[node] {
                if component[source] == usize::MAX {
                    component[source] = root;
                    stack.push(source);
                }
            }
        }
    }
    component
}

fn named(ty: &TypeRef) -> Option<String> {
    match ty {
        TypeRef::Named(name) => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind of the union `U` whose `oneOf` is `members`, beside a component `R` that has a
    /// constant tag of its own.
    fn union_of(members: serde_json::Value) -> TypeKind {
        let spec = serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/U"}}}}}}}},
            "components": {"schemas": {
                "U": {"oneOf": members},
                "R": {"type": "object", "required": ["t"], "properties": {"t": {"type": "string", "enum": ["r"]}}}
            }}
        });
        let api = crate::model(&spec.to_string(), "t.json", &[]).expect("lowers");
        api.types.into_iter().find(|t| t.name == "U").expect("U is defined").kind
    }

    fn tagged(tag: &str, required: bool) -> serde_json::Value {
        let required = if required { serde_json::json!(["t", "x"]) } else { serde_json::json!(["x"]) };
        serde_json::json!({"type": "object", "required": required, "properties": {
            "t": {"type": "string", "enum": [tag]}, "x": {"type": "integer"}}})
    }

    #[test]
    fn a_union_is_internally_tagged_only_when_every_alternative_has_a_constant_tag_of_its_own() {
        let TypeKind::Union { variants, tagging } = union_of(serde_json::json!([tagged("a", true), tagged("b", true)]))
        else {
            panic!("a union")
        };
        assert_eq!(tagging, Tagging::Internal("t".to_owned()));
        let tags: Vec<_> = variants.iter().map(|v| (v.rust_name.as_str(), v.tag.as_deref())).collect();
        assert_eq!(tags, [("A", Some("a")), ("B", Some("b"))]);

        let not_tagged = [
            serde_json::json!([tagged("a", true), tagged("a", true)]),
            serde_json::json!([tagged("a", true), tagged("b", false)]),
            serde_json::json!([tagged("a", true), {"$ref": "#/components/schemas/R"}]),
            serde_json::json!([tagged("a", true), {"type": "string"}]),
        ];
        for members in not_tagged {
            let kind = union_of(members.clone());
            assert!(matches!(&kind, TypeKind::Union { tagging: Tagging::None, .. }), "{members}: {kind:?}");
        }
    }

    #[test]
    fn a_union_of_string_enums_is_one_enum_with_each_alternatives_description() {
        let kind = union_of(serde_json::json!([
            {"type": "string", "enum": ["on"], "description": "Running."},
            {"type": "string", "enum": ["off", "on"]}
        ]));
        let TypeKind::Enum { variants, .. } = kind else { panic!("an enum: {kind:?}") };
        let values: Vec<_> = variants.iter().map(|v| (v.value.as_str(), v.description.as_deref())).collect();
        assert_eq!(values, [("on", Some("Running.")), ("off", None)], "duplicates once, in order");

        let with_a_number = union_of(serde_json::json!([{"type": "string", "enum": ["on"]}, {"type": "integer"}]));
        assert!(matches!(with_a_number, TypeKind::Union { .. }), "{with_a_number:?}");
    }

    fn field(name: &str, ty: TypeRef) -> Field {
        Field {
            name: name.to_owned(),
            rust_name: name.to_owned(),
            ty,
            required: true,
            nullable: false,
            boxed: false,
            description: None,
            note: None,
        }
    }

    fn def(name: &str, fields: Vec<Field>) -> TypeDef {
        TypeDef { name: name.to_owned(), description: None, source: String::new(), kind: TypeKind::Struct(fields) }
    }

    #[test]
    fn only_fields_that_lead_back_to_their_struct_are_boxed() {
        let named = |n: &str| TypeRef::Named(n.to_owned());
        let mut types = vec![
            def("A", vec![field("b", named("B")), field("c", named("C")), field("me", named("A"))]),
            def("B", vec![field("a", named("A"))]),
            def("C", vec![field("list", TypeRef::List(Box::new(named("A")))), field("d", named("D"))]),
            def("D", vec![field("s", TypeRef::String)]),
        ];
        box_recursive_fields(&mut types);
        let boxed: Vec<(String, String)> = types
            .iter()
            .flat_map(|d| match &d.kind {
                TypeKind::Struct(fields) => {
                    fields.iter().filter(|f| f.boxed).map(|f| (d.name.clone(), f.name.clone())).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        let expected = [("A", "b"), ("A", "me"), ("B", "a")].map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(boxed, expected, "a Vec in between needs no box; D never leads back");
    }

    #[test]
    fn thousands_of_mutually_recursive_schemas_take_linear_time() {
        // A hub holding 20,000 leaves that each hold the hub: a search per field was quadratic.
        let n = 20_000;
        let hub = (0..n).map(|i| field(&format!("p{i}"), TypeRef::Named(format!("Leaf{i}")))).collect();
        let mut types = vec![def("Hub", hub)];
        types.extend((0..n).map(|i| def(&format!("Leaf{i}"), vec![field("hub", TypeRef::Named("Hub".to_owned()))])));
        let started = std::time::Instant::now();
        box_recursive_fields(&mut types);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
        let all_boxed = types.iter().all(|d| matches!(&d.kind, TypeKind::Struct(f) if f.iter().all(|f| f.boxed)));
        assert!(all_boxed, "every field is on the cycle");
    }
}
