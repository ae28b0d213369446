//! Stage 2, resolve: follows local `$ref`s into `#/components`, keeping the JSON pointer of
//! every node so that later faults can be reported where they are.

use crate::error::{pointer, Diagnostic};
use openapiv3::{Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};

/// A node found, with the pointer where it lives and, when reached through a `$ref` to a
/// component, that component's name.
#[derive(Debug)]
pub struct Resolved<'a, T> {
    /// The node itself.
    pub item: &'a T,
    /// Where the node lives in the document.
    pub pointer: String,
    /// The component's name when the node was reached through a `$ref`.
    pub component: Option<&'a str>,
}

type Lookup<'a, T> = fn(&'a Components, &str) -> Option<(&'a String, &'a ReferenceOr<T>)>;

/// Looks up `$ref`s in one document.
#[derive(Clone, Copy)]
pub struct Resolver<'a> {
    components: Option<&'a Components>,
}

impl<'a> Resolver<'a> {
    /// A resolver over `api`'s components.
    pub fn new(api: &'a OpenAPI) -> Self {
        Self { components: api.components.as_ref() }
    }

    /// A schema given inline or by `$ref`; `at` is the pointer of `node`.
    pub fn schema(&self, node: &'a ReferenceOr<Schema>, at: &str) -> Result<Resolved<'a, Schema>, Diagnostic> {
        self.follow(node, at, "schemas", |c, name| c.schemas.get_key_value(name))
    }

    /// A schema nested in another one (openapiv3 boxes those).
    pub fn boxed_schema(
        &self,
        node: &'a ReferenceOr<Box<Schema>>,
        at: &str,
    ) -> Result<Resolved<'a, Schema>, Diagnostic> {
        match node {
            ReferenceOr::Item(schema) => Ok(Resolved { item: schema, pointer: at.to_owned(), component: None }),
            ReferenceOr::Reference { reference } => {
                self.follow_reference(reference, at, "schemas", |c, name| c.schemas.get_key_value(name))
            }
        }
    }

    /// A parameter given inline or by `$ref`.
    pub fn parameter(&self, node: &'a ReferenceOr<Parameter>, at: &str) -> Result<Resolved<'a, Parameter>, Diagnostic> {
        self.follow(node, at, "parameters", |c, name| c.parameters.get_key_value(name))
    }

    /// A request body given inline or by `$ref`.
    pub fn request_body(
        &self,
        node: &'a ReferenceOr<RequestBody>,
        at: &str,
    ) -> Result<Resolved<'a, RequestBody>, Diagnostic> {
        self.follow(node, at, "requestBodies", |c, name| c.request_bodies.get_key_value(name))
    }

    /// A response given inline or by `$ref`.
    pub fn response(&self, node: &'a ReferenceOr<Response>, at: &str) -> Result<Resolved<'a, Response>, Diagnostic> {
        self.follow(node, at, "responses", |c, name| c.responses.get_key_value(name))
    }

    /// ` (the ones defined: A, B, ...)` for a components section, or nothing.
    fn known(&self, section: &str) -> String {
        let Some(c) = self.components else { return " (the document defines none)".to_owned() };
        let names: Vec<&String> = match section {
            "schemas" => c.schemas.keys().collect(),
            "parameters" => c.parameters.keys().collect(),
            "requestBodies" => c.request_bodies.keys().collect(),
            "responses" => c.responses.keys().collect(),
            _ => Vec::new(),
        };
        match names.len() {
            0 => " (the document defines none)".to_owned(),
            1..=8 => format!(" (defined: {})", names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")),
            more => format!(
                " (defined: {}, and {} more)",
                names[..8].iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                more - 8
            ),
        }
    }

    fn follow<T>(
        &self,
        node: &'a ReferenceOr<T>,
        at: &str,
        section: &'static str,
        lookup: Lookup<'a, T>,
    ) -> Result<Resolved<'a, T>, Diagnostic> {
        match node {
            ReferenceOr::Item(item) => Ok(Resolved { item, pointer: at.to_owned(), component: None }),
            ReferenceOr::Reference { reference } => self.follow_reference(reference, at, section, lookup),
        }
    }

    /// Follows a chain of references (a component may itself be a `$ref`), refusing loops.
    fn follow_reference<T>(
        &self,
        reference: &'a str,
        at: &str,
        section: &'static str,
        lookup: Lookup<'a, T>,
    ) -> Result<Resolved<'a, T>, Diagnostic> {
        let mut reference = reference;
        let mut ref_at = pointer(at, "$ref");
        let mut seen: Vec<&str> = Vec::new();
        loop {
            let prefix = format!("#/components/{section}/");
            let Some(escaped) = reference.strip_prefix(&prefix) else {
                return Err(Diagnostic::new(
                    ref_at,
                    format!(
                        "`{reference}` is not supported here: expected a local reference of the form `{prefix}NAME`"
                    ),
                ));
            };
            let name = escaped.replace("~1", "/").replace("~0", "~");
            if seen.contains(&escaped) {
                return Err(Diagnostic::new(
                    ref_at,
                    format!("`{reference}` is part of a loop of references that never reaches a definition"),
                ));
            }
            seen.push(escaped);
            let found = self.components.and_then(|components| lookup(components, &name));
            let Some((key, target)) = found else {
                return Err(Diagnostic::new(
                    ref_at,
                    format!(
                        "`{reference}` points to nothing: the document has no #/components/{section}/{escaped}; \
                         define it there, or refer to one that exists{}",
                        self.known(section)
                    ),
                ));
            };
            let target_at = pointer(&format!("/components/{section}"), key);
            match target {
                ReferenceOr::Item(item) => return Ok(Resolved { item, pointer: target_at, component: Some(key) }),
                ReferenceOr::Reference { reference: next } => {
                    reference = next;
                    ref_at = pointer(&target_at, "$ref");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(components: &str) -> OpenAPI {
        crate::load::load(
            &format!("openapi: 3.0.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n{components}"),
            "api.yaml",
        )
        .expect("valid document")
    }

    fn reference(to: &str) -> ReferenceOr<Schema> {
        ReferenceOr::Reference { reference: to.to_owned() }
    }

    #[test]
    fn follows_a_chain_of_references_to_the_definition() {
        let api = api("  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {type: string}\n");
        let resolver = Resolver::new(&api);
        let node = reference("#/components/schemas/A");
        let found = resolver.schema(&node, "/paths/x").expect("resolves");
        assert_eq!(found.pointer, "/components/schemas/B");
        assert_eq!(found.component, Some("B"));
    }

    #[test]
    fn a_dangling_reference_names_both_ends() {
        let api = api("  schemas:\n    A: {type: string}\n");
        let node = reference("#/components/schemas/Missing");
        let err = Resolver::new(&api).schema(&node, "/paths/~1a/get").expect_err("dangles");
        assert_eq!(err.pointer, "/paths/~1a/get/$ref");
        assert!(err.message.contains("no #/components/schemas/Missing"), "{}", err.message);
    }

    #[test]
    fn a_loop_of_references_is_an_error_not_a_hang() {
        let api = api("  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n");
        let node = reference("#/components/schemas/A");
        let err = Resolver::new(&api).schema(&node, "/x").expect_err("loops");
        assert!(err.message.contains("loop"), "{}", err.message);
    }

    #[test]
    fn a_remote_reference_is_refused_clearly() {
        let api = api("  schemas: {}\n");
        let node = reference("other.yaml#/components/schemas/A");
        let err = Resolver::new(&api).schema(&node, "/x").expect_err("remote");
        assert_eq!(err.pointer, "/x/$ref");
    }
}
