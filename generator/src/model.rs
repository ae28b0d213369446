//! The intermediate model: what the generated crate contains, with every Rust name decided.
//!
//! Plain data, so tests can assert on it and snapshot it without looking at tokens. Built by
//! `lower`, read by `emit`; neither openapiv3 nor token types appear here.

/// Everything the emitter needs to write a client crate.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`, as written.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The first server's URL with its variables set to their defaults, when absolute.
    pub default_base_url: Option<String>,
    /// The `tokenUrl` of the first OAuth 2.0 security scheme with a `clientCredentials` flow, as
    /// written (it may be relative to the server). The generated client's client-credentials
    /// provider uses it unless given another.
    pub oauth2_token_url: Option<String>,
    /// The selected operations, in document order.
    pub operations: Vec<Operation>,
    /// Named types the operations reach, sorted by name.
    pub types: Vec<TypeDef>,
}

/// One HTTP operation, one client method.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The Rust method name (snake_case, unique in the client).
    pub name: String,
    /// `operationId` as written, if any.
    pub operation_id: Option<String>,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template as written in the spec, e.g. `/{realm}/users/{userId}/orgs`.
    pub path: String,
    /// `summary`, if any.
    pub summary: Option<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// Whether the spec marks the operation deprecated.
    pub deprecated: bool,
    /// Path, query and header parameters: path ones first, in template order, then the rest in
    /// spec order.
    pub parameters: Vec<Parameter>,
    /// The request body, if any.
    pub body: Option<Body>,
    /// What a successful call returns.
    pub success: Success,
    /// Documented responses that are not successes.
    pub errors: Vec<ErrorResponse>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterLocation {
    /// A `{name}` in the path template.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie, sent in the `Cookie` header.
    Cookie,
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The name on the wire.
    pub name: String,
    /// The Rust argument name (unique in the method).
    pub rust_name: String,
    /// Where it goes.
    pub location: ParameterLocation,
    /// Whether the caller must give it.
    pub required: bool,
    /// Its type.
    pub ty: TypeRef,
    /// For a query list sent as one value (`explode: false`, or a delimited style): the
    /// separator; `None` repeats the parameter for each item.
    pub list_separator: Option<char>,
    /// `description`, if any.
    pub description: Option<String>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The Rust argument name.
    pub rust_name: String,
    /// The media type sent as `Content-Type`.
    pub media_type: String,
    /// How the body is encoded.
    pub kind: BodyKind,
    /// Whether the caller must give it.
    pub required: bool,
    /// `description`, if any.
    pub description: Option<String>,
}

/// How a request body is encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyKind {
    /// Serialized as JSON from a value of this type.
    Json(TypeRef),
    /// Sent as `application/x-www-form-urlencoded` from a value of this type.
    Form(TypeRef),
    /// Text the caller provides.
    Text,
    /// Bytes the caller provides as they are.
    Raw,
    /// A `multipart/*` body the caller encodes, with its own `Content-Type` (boundary included),
    /// given in the argument named here.
    Multipart {
        /// The name of the `Content-Type` argument.
        content_type_argument: String,
    },
}

/// The successful outcome of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Success {
    /// Documented 2xx statuses, ascending (`2XX` is listed as 200).
    pub statuses: Vec<u16>,
    /// What a successful call returns.
    pub body: SuccessBody,
    /// The description of the status that gives the body (or of the first success).
    pub description: Option<String>,
    /// Response headers the successes document.
    pub headers: Vec<ResponseHeader>,
}

/// What a successful call returns.
#[derive(Debug, Clone, PartialEq)]
pub enum SuccessBody {
    /// Nothing: no success documents a body.
    Empty,
    /// Every success with a body has this type, and every success has a body.
    Json(TypeRef),
    /// Some successes have a body of this type, the statuses listed; the others have none.
    Optional(TypeRef, Vec<u16>),
    /// Successes differ: an enum in `models` (a [`TypeKind::Outcomes`]) with one variant each.
    Outcomes {
        /// The enum's name.
        name: String,
        /// Its variants (the same as in its definition).
        outcomes: Vec<Outcome>,
    },
}

impl SuccessBody {
    /// The Rust type the call returns, when it is not `()`.
    pub fn type_ref(&self) -> Option<TypeRef> {
        match self {
            Self::Empty => None,
            Self::Json(ty) | Self::Optional(ty, _) => Some(ty.clone()),
            Self::Outcomes { name, .. } => Some(TypeRef::Named(name.clone())),
        }
    }
}

/// A documented response header.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseHeader {
    /// The header's name.
    pub name: String,
    /// Its `description`, if any.
    pub description: Option<String>,
}

/// A documented response that is not a success.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    /// Which statuses it covers.
    pub status: StatusMatch,
    /// Its `description`.
    pub description: String,
}

/// The statuses one documented response covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// One status, e.g. 404.
    Code(u16),
    /// A class such as `4XX`, given by its first digit.
    Range(u16),
    /// `default`: any status not documented otherwise.
    Default,
}

/// A Rust type as used in a field, parameter or body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// A fixed-size integer, e.g. `i32` or `u64`.
    Integer(IntegerType),
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// Any JSON value (`serde_json::Value`).
    Json,
    /// A type defined in `models`.
    Named(String),
    /// `Vec<T>`.
    List(Box<TypeRef>),
    /// `BTreeMap<String, T>`.
    Map(Box<TypeRef>),
}

/// The integer types OpenAPI formats map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntegerType {
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32` (`format: int32`)
    I32,
    /// `i64` (`format: int64`, or no format)
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
}

impl IntegerType {
    /// The Rust primitive's name (`"i32"`).
    pub fn rust_name(self) -> &'static str {
        match self {
            IntegerType::I8 => "i8",
            IntegerType::I16 => "i16",
            IntegerType::I32 => "i32",
            IntegerType::I64 => "i64",
            IntegerType::U8 => "u8",
            IntegerType::U16 => "u16",
            IntegerType::U32 => "u32",
            IntegerType::U64 => "u64",
        }
    }
}

/// A named type in `models`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Its Rust name (UpperCamelCase, unique in the crate).
    pub name: String,
    /// Its `description`, if any.
    pub description: Option<String>,
    /// Where its schema lives in the spec (a JSON pointer).
    pub source: String,
    /// What it is.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object with known properties.
    Struct(Vec<Field>),
    /// A string enumeration; values the spec does not list are kept in the variant `fallback`.
    Enum {
        /// The listed values.
        variants: Vec<Variant>,
        /// The name of the variant holding any other value.
        fallback: String,
    },
    /// One of several types (`oneOf`/`anyOf`).
    Union {
        /// The alternatives, in spec order (also the order they are tried in).
        variants: Vec<UnionVariant>,
        /// How a JSON value says which alternative it is.
        tagging: Tagging,
    },
    /// The different successful responses of one operation.
    Outcomes(Vec<Outcome>),
    /// Another name for a type, e.g. a map or list schema under `components`.
    Alias(TypeRef),
}

/// One property of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The JSON property name.
    pub name: String,
    /// The Rust field name (snake_case, unique in the struct).
    pub rust_name: String,
    /// Its type, without the `Option` that optional or nullable fields get.
    pub ty: TypeRef,
    /// Listed in `required`.
    pub required: bool,
    /// `nullable: true`.
    pub nullable: bool,
    /// Held in a `Box` because the type contains itself.
    pub boxed: bool,
    /// `description`, if any.
    pub description: Option<String>,
    /// A note for the reader when the schema could not be expressed exactly.
    pub note: Option<String>,
}

/// One value of a string enumeration.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The value on the wire.
    pub value: String,
    /// The Rust variant name.
    pub rust_name: String,
    /// What the value means, when the spec says.
    pub description: Option<String>,
}

/// How the JSON of a [`TypeKind::Union`] names its alternative.
#[derive(Debug, Clone, PartialEq)]
pub enum Tagging {
    /// It does not: the alternatives are tried in spec order.
    None,
    /// The spec's `discriminator`: this property names the alternative, which then reads the
    /// whole object, the property included.
    Discriminator(String),
    /// Every alternative is an inline object in which this required property holds one constant
    /// string (the pattern of serde's internally tagged enums): the union reads and writes the
    /// property, and the alternatives hold the other properties.
    Internal(String),
}

impl Tagging {
    /// The property that names the alternative, if one does.
    pub fn property(&self) -> Option<&str> {
        match self {
            Tagging::None => None,
            Tagging::Discriminator(property) | Tagging::Internal(property) => Some(property),
        }
    }
}

/// One alternative of a [`TypeKind::Union`].
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// The Rust variant name.
    pub rust_name: String,
    /// Its type.
    pub ty: TypeRef,
    /// The value of the tagging property that selects it.
    pub tag: Option<String>,
    /// Held in a `Box` because the type contains the union.
    pub boxed: bool,
}

/// One successful response of an operation with several.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The status (`2XX` is 200).
    pub status: u16,
    /// The Rust variant name.
    pub rust_name: String,
    /// The body's type, if it has one.
    pub ty: Option<TypeRef>,
    /// The response's `description`.
    pub description: String,
}
