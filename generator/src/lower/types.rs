//! Schemas -> named types and type references. Component schemas are named up front (so names
//! do not depend on which operations are selected) and lowered on first use (so only the types
//! the selected operations reach are emitted).

use crate::error::{pointer, Diagnostic};
use crate::model::{Field, IntegerType, TypeDef, TypeKind, TypeRef, Variant};
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
                let fields = self.fields_of(&any.properties, &any.required, at, name_hint)?;
                self.named(schema, at, name_hint, TypeKind::Struct(fields))
            }
            // oneOf/anyOf/allOf/not and untyped schemas: any JSON value, until they get a type.
            _ => TypeRef::Json,
        })
    }

    fn string_type(&mut self, schema: &Schema, string: &StringType, at: &str, name_hint: &str) -> TypeRef {
        let values: Vec<&String> = string.enumeration.iter().flatten().collect();
        if values.is_empty() {
            return TypeRef::String;
        }
        let mut scope = Scope::default();
        let variants = values
            .into_iter()
            .map(|value| Variant { value: value.clone(), rust_name: scope.claim(&camel_ident(value)) })
            .collect();
        self.named(schema, at, name_hint, TypeKind::Enum(variants))
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
        let fields = self.fields_of(&object.properties, &object.required, at, name_hint)?;
        Ok(self.named(schema, at, name_hint, TypeKind::Struct(fields)))
    }

    fn fields_of(
        &mut self,
        properties: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<Box<Schema>>)>,
        required: &[String],
        at: &str,
        owner: &str,
    ) -> Result<Vec<Field>, Diagnostic> {
        let mut scope = Scope::default();
        let mut fields = Vec::new();
        for (name, property) in properties {
            let property_at = pointer(&pointer(at, "properties"), name);
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

/// Says so in the docs when a schema is looser in Rust than in the spec.
fn note_for(ty: &TypeRef, schema: &Schema) -> Option<String> {
    let composite = match &schema.schema_kind {
        SchemaKind::OneOf { .. } => "oneOf",
        SchemaKind::AnyOf { .. } => "anyOf",
        SchemaKind::AllOf { .. } => "allOf",
        SchemaKind::Not { .. } => "not",
        _ => return None,
    };
    (*ty == TypeRef::Json)
        .then(|| format!("The spec describes this value with `{composite}`; it is kept as any JSON value."))
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
                TypeKind::Alias(ty) => named(ty).into_iter().collect(),
                TypeKind::Enum(_) => Vec::new(),
            };
            targets.iter().filter_map(|t| index.get(t).copied()).collect()
        })
        .collect();
    let component = strongly_connected_components(&edges);
    for (i, def) in types.iter_mut().enumerate() {
        if let TypeKind::Struct(fields) = &mut def.kind {
            for field in fields {
                let target = named(&field.ty).and_then(|t| index.get(&t).copied());
                field.boxed = target.is_some_and(|t| component[t] == component[i]);
            }
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
