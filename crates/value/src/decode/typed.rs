//! Typed argument structs: one field list drives the schema, the decoding and the encoding.
//!
//! A component's arguments are a plain Rust struct with its defaults in one `Default` impl. The
//! struct implements [`Arguments`] by listing its fields once, in
//! [`Arguments::fields`], through a [`FieldVisitor`]; each entry names the attribute or block and
//! gives an accessor closure:
//!
//! ```
//! use ferroalloy_syntax::{SourceFile, ast::Stmt, parser::parse_file};
//! use ferroalloy_value::decode::{ArgErrors, Arguments, FieldVisitor, decode_arguments};
//! use ferroalloy_value::duration::Duration;
//! use ferroalloy_value::eval::{Evaluator, Scope};
//! use ferroalloy_value::Secret;
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct Endpoint {
//!     url: String,
//!     remote_timeout: Duration,
//!     basic_auth: Option<BasicAuth>,
//! }
//!
//! impl Default for Endpoint {
//!     fn default() -> Self {
//!         let ten_seconds = Duration::from_nanos(10_000_000_000);
//!         Self { url: String::new(), remote_timeout: ten_seconds, basic_auth: None }
//!     }
//! }
//!
//! #[derive(Clone, Debug, Default, PartialEq)]
//! struct BasicAuth {
//!     username: String,
//!     password: Option<Secret>,
//! }
//!
//! impl Arguments for Endpoint {
//!     fn fields<V: FieldVisitor<Self>>(v: &mut V) {
//!         v.required("url", |s| &mut s.url);
//!         v.optional("remote_timeout", |s| &mut s.remote_timeout);
//!         v.block("basic_auth", |s| &mut s.basic_auth);
//!     }
//!
//!     fn validate(&self) -> Result<(), ArgErrors> {
//!         if self.url.starts_with("http") { Ok(()) } else { Err(ArgErrors::one("url", "bad url")) }
//!     }
//! }
//!
//! impl Arguments for BasicAuth {
//!     fn fields<V: FieldVisitor<Self>>(v: &mut V) {
//!         v.optional("username", |s| &mut s.username);
//!         v.optional("password", |s| &mut s.password);
//!     }
//! }
//!
//! let src = SourceFile::new("main.alloy", r#"endpoint {
//!     url = "http://localhost:4040"
//!     basic_auth {
//!         username = "user"
//!         password = "pw"
//!     }
//! }"#);
//! let (file, _) = parse_file(&src);
//! let Some(Stmt::Block(block)) = file.body.stmts.first() else { return };
//! let scope = Scope::new();
//! let args: Endpoint = decode_arguments(block, &Evaluator::new(&src, &scope)).unwrap();
//! assert_eq!(args.remote_timeout.to_string(), "10s");
//! assert_eq!(args.basic_auth.and_then(|a| a.password).map(|p| p.expose().to_owned()), Some("pw".into()));
//! ```
//!
//! Design decisions (why not a derive macro or three hand-written lists):
//! - The accessor's return type fixes the argument's [`Type`] (via [`ArgValue::arg_type`]) and,
//!   for blocks, the cardinality and label rule (via [`BlockField`]): `Option<B>` is an optional
//!   single block, `B` a single block kept at its default when absent, `Vec<B>` a repeated block,
//!   `[B; N]` a block written exactly `N` times, [`Labelled<B>`] adds a required label. The schema
//!   therefore cannot disagree with the struct, and no proc-macro crate is needed.
//! - The same list is walked by three visitors: one builds the [`Schema`] (cached per type), one
//!   fills a struct from a [`DecodedBody`], one encodes a struct back to an [`EncodedBody`] for
//!   the API, omitting optional entries equal to their default (runtime §10.1). Accessors are
//!   `fn(&mut S) -> &mut T` so one closure serves both directions; the encoder reads through
//!   them from a clone of the arguments (encoding for the API is rare and arguments are small).
//! - A present nested block is decoded from *its* type's `Default`; an absent one keeps the
//!   parent's default for that field (Alloy's rule).
//! - [`FieldVisitor::squash`] embeds another argument type's fields in the same body (Alloy's
//!   `squash`), so shared settings such as the HTTP client block are written once and reused.
//! - `attr = null` assigns the zero value of the field's type (§6.1): `""`, `0`, an empty list,
//!   `None` for an `Option`. Capsule fields have no zero value: write them as `Option<…>` or
//!   `Vec<…>`; a bare capsule attribute set to `null` is an error.
//! - `validate` is pure and checks one block. A block's `validate` calls its nested blocks'
//!   (helpers [`ArgErrors::nest`] / [`ArgErrors::nest_each`]), so calling it on the top-level
//!   arguments checks everything, whether they came from a file or were built in code.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use ferroalloy_syntax::Diagnostic;
use ferroalloy_syntax::ast;
use ferroalloy_syntax::{Severity, Span};
use indexmap::IndexMap;

use super::body::{DecodedBlock, DecodedBody, decode_body, validation_diagnostics};
use super::errors::{ArgErrors, ArgPath};
use super::schema::{AttrSpec, BlockBody, BlockSpec, Cardinality, Presence, Schema};
use super::ty::{Type, conform};
use crate::api_json;
use crate::convert::{self, ConvertError};
use crate::duration::Duration;
use crate::eval::Evaluator;
use crate::secret::{OptionalSecret, Secret};
use crate::value::{Capsule, Handle, Number, Object, Value};

/// A Rust type an attribute can decode into.
pub trait ArgValue: Clone + PartialEq + Send + Sync + 'static {
    /// The type values are conformed to before [`ArgValue::from_value`].
    fn arg_type() -> Type;

    /// Build from a value. Values conformed to [`ArgValue::arg_type`] always succeed; other
    /// values are converted by the rules of §6.2 (so this also decodes raw values).
    fn from_value(value: &Value) -> Result<Self, ConvertError>;

    /// The value the API shows for it ([`Arguments::to_body`]). A wrapper type may redact here,
    /// e.g. header values that hold credentials.
    fn to_value(&self) -> Value;
}

/// Decode any value into `T`: conform it to `T`'s type (reporting errors with their path), then
/// build the Rust value.
pub fn decode_value<T: ArgValue>(value: &Value) -> Result<T, ConvertError> {
    T::from_value(&conform(value, &T::arg_type())?)
}

impl ArgValue for Value {
    fn arg_type() -> Type {
        Type::Any
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        Ok(value.clone())
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ArgValue for String {
    fn arg_type() -> Type {
        Type::String
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_string(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ArgValue for bool {
    fn arg_type() -> Type {
        Type::Bool
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_bool(value)
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! signed_arg {
    ($($t:ty),*) => {$(
        impl ArgValue for $t {
            fn arg_type() -> Type {
                Type::Int { min: <$t>::MIN as i64, max: <$t>::MAX as i64 }
            }
            fn from_value(value: &Value) -> Result<Self, ConvertError> {
                let n = convert::to_i64_in(value, <$t>::MIN as i64, <$t>::MAX as i64)?;
                <$t>::try_from(n).map_err(|_| convert::range_error(<$t>::MIN, <$t>::MAX))
            }
            fn to_value(&self) -> Value {
                Value::Number(Number::Int(*self as i64))
            }
        }
    )*};
}

macro_rules! unsigned_arg {
    ($($t:ty),*) => {$(
        impl ArgValue for $t {
            fn arg_type() -> Type {
                Type::Uint { min: 0, max: <$t>::MAX as u64 }
            }
            fn from_value(value: &Value) -> Result<Self, ConvertError> {
                let n = convert::to_u64_in(value, 0, <$t>::MAX as u64)?;
                <$t>::try_from(n).map_err(|_| convert::range_error(0, <$t>::MAX))
            }
            fn to_value(&self) -> Value {
                Value::Number(Number::Uint(*self as u64))
            }
        }
    )*};
}

signed_arg!(i8, i16, i32, i64, isize);
unsigned_arg!(u8, u16, u32, u64, usize);

impl ArgValue for f64 {
    fn arg_type() -> Type {
        Type::Float
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_f64(value)
    }
    fn to_value(&self) -> Value {
        Value::Number(Number::Float(*self))
    }
}

impl ArgValue for Duration {
    fn arg_type() -> Type {
        Type::Duration
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_duration(value)
    }
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl ArgValue for Secret {
    fn arg_type() -> Type {
        Type::Secret
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_secret(value)
    }
    fn to_value(&self) -> Value {
        Value::Capsule(Capsule::Secret(self.clone()))
    }
}

impl ArgValue for OptionalSecret {
    fn arg_type() -> Type {
        Type::OptionalSecret
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_optional_secret(value)
    }
    fn to_value(&self) -> Value {
        Value::Capsule(Capsule::OptionalSecret(self.clone()))
    }
}

impl<T: ArgValue> ArgValue for Option<T> {
    fn arg_type() -> Type {
        Type::optional(T::arg_type())
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
}

impl<T: ArgValue> ArgValue for Vec<T> {
    fn arg_type() -> Type {
        Type::list(T::arg_type())
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_list(value, T::from_value)
    }
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(T::to_value).collect())
    }
}

impl<T: ArgValue> ArgValue for IndexMap<String, T> {
    fn arg_type() -> Type {
        Type::map(T::arg_type())
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_map(value, T::from_value)
    }
    fn to_value(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

impl<T: ArgValue> ArgValue for BTreeMap<String, T> {
    fn arg_type() -> Type {
        Type::map(T::arg_type())
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        convert::to_map(value, T::from_value).map(|m| m.into_iter().collect())
    }
    fn to_value(&self) -> Value {
        Value::Object(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

/// A Rust type shared through capsules of one type name (syntax §6.5), e.g. the receiver handle
/// of `pyroscope.write` with `TYPE_NAME = "pyroscope.Appendable"`.
pub trait CapsuleType: Any + Send + Sync {
    /// The capsule type name, as in `capsule("<name>")`.
    const TYPE_NAME: &'static str;
}

/// A typed capsule argument: the shared object and the capsule that carries it. Two are equal
/// when they hold the same object. Use `Vec<CapsuleRef<T>>` for `list(capsule(…))` arguments
/// such as `forward_to`, `Option<CapsuleRef<T>>` for a single optional one.
pub struct CapsuleRef<T: CapsuleType> {
    inner: Arc<T>,
    handle: Handle,
}

impl<T: CapsuleType> CapsuleRef<T> {
    /// Wrap a shared object in a capsule of type `T::TYPE_NAME`.
    pub fn new(inner: Arc<T>) -> Self {
        let any: Arc<dyn Any + Send + Sync> = inner.clone();
        Self {
            inner,
            handle: Handle::new(T::TYPE_NAME, any),
        }
    }

    /// The shared object.
    pub fn get(&self) -> &Arc<T> {
        &self.inner
    }

    /// The capsule, for exports.
    pub fn to_capsule(&self) -> Value {
        Value::Capsule(Capsule::Handle(self.handle.clone()))
    }
}

impl<T: CapsuleType> Clone for CapsuleRef<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            handle: self.handle.clone(),
        }
    }
}

impl<T: CapsuleType> PartialEq for CapsuleRef<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T: CapsuleType> std::fmt::Debug for CapsuleRef<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "capsule({:?})", T::TYPE_NAME)
    }
}

impl<T: CapsuleType> ArgValue for CapsuleRef<T> {
    fn arg_type() -> Type {
        Type::capsule(T::TYPE_NAME)
    }
    fn from_value(value: &Value) -> Result<Self, ConvertError> {
        let mismatch = |got: String| {
            ConvertError::new(format!("expected capsule({:?}), got {got}", T::TYPE_NAME))
        };
        match value {
            Value::Capsule(Capsule::Handle(handle)) if handle.type_name() == T::TYPE_NAME => {
                match handle.downcast::<T>() {
                    Some(inner) => Ok(Self {
                        inner,
                        handle: handle.clone(),
                    }),
                    None => Err(mismatch(format!("capsule({:?})", handle.type_name()))),
                }
            }
            Value::Capsule(other) => Err(mismatch(format!("capsule({:?})", other.type_name()))),
            other => Err(mismatch(other.value_type().to_string())),
        }
    }
    fn to_value(&self) -> Value {
        self.to_capsule()
    }
}

/// A block instance with its label (for blocks that require one, such as `rule "name" { … }`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labelled<B> {
    /// The label text.
    pub label: String,
    /// The block's arguments.
    pub block: B,
}

/// Markers that let [`BlockField`] pick the cardinality from the field type without
/// overlapping implementations. Never named by users: the compiler infers them.
pub mod markers {
    /// `B`: a single block, kept at the parent's default when absent.
    #[derive(Debug)]
    pub enum One {}
    /// `Option<B>`: an optional single block.
    #[derive(Debug)]
    pub enum Maybe {}
    /// `Vec<B>`: a repeated block.
    #[derive(Debug)]
    pub enum Many {}
    /// `[B; N]`: a block written exactly `N` times.
    #[derive(Debug)]
    pub enum Fixed {}
    /// `Labelled<B>`.
    #[derive(Debug)]
    pub enum LabelledOne {}
    /// `Option<Labelled<B>>`.
    #[derive(Debug)]
    pub enum LabelledMaybe {}
    /// `Vec<Labelled<B>>`.
    #[derive(Debug)]
    pub enum LabelledMany {}
}

/// A struct field holding nested blocks; `M` is one of [`markers`], inferred.
pub trait BlockField<M>: Clone + PartialEq + Send + Sync + 'static {
    /// The arguments of one block instance.
    type Body: Arguments;
    /// How many instances are allowed.
    const CARDINALITY: Cardinality;
    /// Whether each instance needs a label.
    const LABELLED: bool;
    /// Build from the decoded instances (at least one; as many as the cardinality allows).
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors>;
    /// Append the instances to `out` as blocks named `name`.
    fn encode(&self, name: &str, out: &mut EncodedBody);
}

fn first_block<B: Arguments>(blocks: &[DecodedBlock]) -> Result<(Option<String>, B), ArgErrors> {
    match blocks.first() {
        Some(block) => Ok((block.label.clone(), B::from_decoded(&block.body)?)),
        None => Ok((None, B::default())),
    }
}

fn each_block<B: Arguments>(
    blocks: &[DecodedBlock],
) -> Result<Vec<(Option<String>, B)>, ArgErrors> {
    let mut out = Vec::with_capacity(blocks.len());
    let mut errors = ArgErrors::new();
    for (i, block) in blocks.iter().enumerate() {
        match B::from_decoded(&block.body) {
            Ok(b) => out.push((block.label.clone(), b)),
            Err(e) => errors.nest(ArgPath::root().index(i), Err(e)),
        }
    }
    errors.into_result().map(|()| out)
}

impl<B: Arguments> BlockField<markers::One> for B {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Single;
    const LABELLED: bool = false;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        first_block(blocks).map(|(_, b)| b)
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        out.block(name, None, self.to_body());
    }
}

impl<B: Arguments> BlockField<markers::Maybe> for Option<B> {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Single;
    const LABELLED: bool = false;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        first_block(blocks).map(|(_, b)| Some(b))
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        if let Some(b) = self {
            out.block(name, None, b.to_body());
        }
    }
}

impl<B: Arguments> BlockField<markers::Many> for Vec<B> {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Repeated;
    const LABELLED: bool = false;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        each_block(blocks).map(|v| v.into_iter().map(|(_, b)| b).collect())
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        for b in self {
            out.block(name, None, b.to_body());
        }
    }
}

impl<B: Arguments, const N: usize> BlockField<markers::Fixed> for [B; N]
where
    [B; N]: Default,
{
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Exactly(N);
    const LABELLED: bool = false;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        let mut out: [B; N] = Default::default();
        for (slot, (_, b)) in out.iter_mut().zip(each_block::<B>(blocks)?) {
            *slot = b;
        }
        Ok(out)
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        for b in self {
            out.block(name, None, b.to_body());
        }
    }
}

impl<B: Arguments> BlockField<markers::LabelledOne> for Labelled<B> {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Single;
    const LABELLED: bool = true;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        first_block(blocks).map(|(label, block)| Labelled {
            label: label.unwrap_or_default(),
            block,
        })
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        out.block(name, Some(self.label.clone()), self.block.to_body());
    }
}

impl<B: Arguments> BlockField<markers::LabelledMaybe> for Option<Labelled<B>> {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Single;
    const LABELLED: bool = true;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        <Labelled<B> as BlockField<markers::LabelledOne>>::from_blocks(blocks).map(Some)
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        if let Some(l) = self {
            out.block(name, Some(l.label.clone()), l.block.to_body());
        }
    }
}

impl<B: Arguments> BlockField<markers::LabelledMany> for Vec<Labelled<B>> {
    type Body = B;
    const CARDINALITY: Cardinality = Cardinality::Repeated;
    const LABELLED: bool = true;
    fn from_blocks(blocks: &[DecodedBlock]) -> Result<Self, ArgErrors> {
        each_block(blocks).map(|v| {
            v.into_iter()
                .map(|(label, block)| Labelled {
                    label: label.unwrap_or_default(),
                    block,
                })
                .collect()
        })
    }
    fn encode(&self, name: &str, out: &mut EncodedBody) {
        for l in self {
            out.block(name, Some(l.label.clone()), l.block.to_body());
        }
    }
}

/// Receives the field list of an [`Arguments`] type. Implemented by the schema builder, the
/// decoder and the encoder; argument types only call it.
pub trait FieldVisitor<S> {
    /// An attribute `name` stored in the field `field` returns.
    fn attr<T: ArgValue>(
        &mut self,
        name: &'static str,
        presence: Presence,
        field: fn(&mut S) -> &mut T,
    );

    /// Nested blocks `name` stored in the field `field` returns; the field type decides the
    /// cardinality and label rule ([`BlockField`]).
    fn blocks<M, B: BlockField<M>>(
        &mut self,
        name: &'static str,
        presence: Presence,
        field: fn(&mut S) -> &mut B,
    );

    /// Embed the fields of another argument type in this body, as Alloy's `squash` does (the
    /// HTTP client settings sit directly in `pyroscope.write`'s `endpoint` block). The embedded
    /// fields' defaults are those of this type's `Default`; this type's `validate` calls the
    /// embedded type's (`errors.nest("", self.client.validate())`).
    fn squash<T: Arguments>(&mut self, field: fn(&mut S) -> &mut T);

    /// A required attribute.
    fn required<T: ArgValue>(&mut self, name: &'static str, field: fn(&mut S) -> &mut T) {
        self.attr(name, Presence::Required, field);
    }

    /// An optional attribute: absent → the field keeps its default.
    fn optional<T: ArgValue>(&mut self, name: &'static str, field: fn(&mut S) -> &mut T) {
        self.attr(name, Presence::Optional, field);
    }

    /// Optional nested blocks (`Option<B>`, `B`, `Vec<B>`, `[B; N]`, [`Labelled`] forms).
    fn block<M, B: BlockField<M>>(&mut self, name: &'static str, field: fn(&mut S) -> &mut B) {
        self.blocks(name, Presence::Optional, field);
    }

    /// Required nested blocks: at least one instance must be written.
    fn required_block<M, B: BlockField<M>>(
        &mut self,
        name: &'static str,
        field: fn(&mut S) -> &mut B,
    ) {
        self.blocks(name, Presence::Required, field);
    }
}

/// The arguments of a block: a component's arguments or one of its nested blocks.
pub trait Arguments: Default + Clone + PartialEq + Send + Sync + 'static {
    /// List every attribute and nested block once (see the module documentation).
    fn fields<V: FieldVisitor<Self>>(visitor: &mut V);

    /// Pure checks of this block and, through [`ArgErrors::nest`], of its nested blocks. Report
    /// per block the first failing rule, in the order the component's spec lists them.
    fn validate(&self) -> Result<(), ArgErrors> {
        Ok(())
    }

    /// The schema the field list describes, built once per type.
    fn schema() -> Arc<Schema> {
        cached_schema::<Self>()
    }

    /// Fill the arguments from a body decoded against [`Arguments::schema`], starting from
    /// `Default`. Cannot fail on such a body; errors name the field whose value did not fit.
    fn from_decoded(decoded: &DecodedBody) -> Result<Self, ArgErrors> {
        let mut visitor = DecodeVisitor {
            body: decoded,
            target: Self::default(),
            errors: ArgErrors::new(),
        };
        Self::fields(&mut visitor);
        visitor.errors.into_result().map(|()| visitor.target)
    }

    /// The arguments as a body for the API: required entries always, optional ones only when
    /// they differ from the default, in field-list order.
    fn to_body(&self) -> EncodedBody {
        let mut visitor = EncodeVisitor {
            current: self.clone(),
            default: Self::default(),
            out: EncodedBody::default(),
        };
        Self::fields(&mut visitor);
        visitor.out
    }
}

fn cached_schema<A: Arguments>() -> Arc<Schema> {
    static CACHE: OnceLock<RwLock<HashMap<TypeId, Arc<Schema>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let id = TypeId::of::<A>();
    if let Some(schema) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Arc::clone(schema);
    }
    // Built outside the lock: nested block types look up their own schemas while building.
    let mut builder = SchemaVisitor {
        schema: Schema::new(),
    };
    A::fields(&mut builder);
    let schema = Arc::new(builder.schema);
    let mut cache = cache.write().unwrap_or_else(|e| e.into_inner());
    Arc::clone(cache.entry(id).or_insert(schema))
}

struct SchemaVisitor {
    schema: Schema,
}

impl<S> FieldVisitor<S> for SchemaVisitor {
    fn attr<T: ArgValue>(
        &mut self,
        name: &'static str,
        presence: Presence,
        _: fn(&mut S) -> &mut T,
    ) {
        self.schema.attrs.push(AttrSpec {
            name: name.to_owned(),
            ty: T::arg_type(),
            presence,
        });
    }

    fn blocks<M, B: BlockField<M>>(
        &mut self,
        name: &'static str,
        presence: Presence,
        _: fn(&mut S) -> &mut B,
    ) {
        self.schema.blocks.push(BlockSpec {
            name: name.to_owned(),
            presence,
            cardinality: B::CARDINALITY,
            labelled: B::LABELLED,
            body: BlockBody::Schema(B::Body::schema()),
        });
    }

    fn squash<T: Arguments>(&mut self, _: fn(&mut S) -> &mut T) {
        T::fields(self);
    }
}

struct DecodeVisitor<'a, S> {
    body: &'a DecodedBody,
    target: S,
    errors: ArgErrors,
}

impl<S> FieldVisitor<S> for DecodeVisitor<'_, S> {
    fn attr<T: ArgValue>(&mut self, name: &'static str, _: Presence, field: fn(&mut S) -> &mut T) {
        let Some(value) = self.body.attr(name) else {
            return;
        };
        match T::from_value(value) {
            Ok(v) => *field(&mut self.target) = v,
            Err(e) => {
                let mut path = ArgPath::field(name);
                path.0.extend(e.path.0);
                self.errors.push(path, e.message);
            }
        }
    }

    fn blocks<M, B: BlockField<M>>(
        &mut self,
        name: &'static str,
        _: Presence,
        field: fn(&mut S) -> &mut B,
    ) {
        let blocks = self.body.blocks(name);
        if blocks.is_empty() {
            return;
        }
        match B::from_blocks(blocks) {
            Ok(v) => *field(&mut self.target) = v,
            Err(e) => self.errors.nest(name, Err(e)),
        }
    }

    fn squash<T: Arguments>(&mut self, field: fn(&mut S) -> &mut T) {
        let slot = field(&mut self.target);
        let mut inner = DecodeVisitor {
            body: self.body,
            target: std::mem::take(slot),
            errors: ArgErrors::new(),
        };
        T::fields(&mut inner);
        *slot = inner.target;
        self.errors.0.extend(inner.errors.0);
    }
}

struct EncodeVisitor<S> {
    current: S,
    default: S,
    out: EncodedBody,
}

impl<S> FieldVisitor<S> for EncodeVisitor<S> {
    fn attr<T: ArgValue>(
        &mut self,
        name: &'static str,
        presence: Presence,
        field: fn(&mut S) -> &mut T,
    ) {
        let current = field(&mut self.current);
        if presence == Presence::Required || *current != *field(&mut self.default) {
            self.out.attr(name, current.to_value());
        }
    }

    fn blocks<M, B: BlockField<M>>(
        &mut self,
        name: &'static str,
        presence: Presence,
        field: fn(&mut S) -> &mut B,
    ) {
        let current = field(&mut self.current);
        if presence == Presence::Required || *current != *field(&mut self.default) {
            current.encode(name, &mut self.out);
        }
    }

    fn squash<T: Arguments>(&mut self, field: fn(&mut S) -> &mut T) {
        let mut inner = EncodeVisitor {
            current: field(&mut self.current).clone(),
            default: field(&mut self.default).clone(),
            out: std::mem::take(&mut self.out),
        };
        T::fields(&mut inner);
        self.out = inner.out;
    }
}

/// Arguments (or exports, debug info) as a body for the API (runtime §10.2): statements in
/// order, a repeated block once per instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EncodedBody(pub Vec<EncodedStmt>);

/// One statement of an [`EncodedBody`].
#[derive(Clone, Debug, PartialEq)]
pub enum EncodedStmt {
    /// `name = value`
    Attr {
        /// The attribute name.
        name: String,
        /// Its canonical value.
        value: Value,
    },
    /// `name "label" { body }`
    Block {
        /// The block name.
        name: String,
        /// The label, when the block has one.
        label: Option<String>,
        /// The block's contents.
        body: EncodedBody,
    },
}

impl EncodedBody {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append an attribute.
    pub fn attr(&mut self, name: impl Into<String>, value: Value) {
        self.0.push(EncodedStmt::Attr {
            name: name.into(),
            value,
        });
    }

    /// Append a block.
    pub fn block(&mut self, name: impl Into<String>, label: Option<String>, body: EncodedBody) {
        self.0.push(EncodedStmt::Block {
            name: name.into(),
            label,
            body,
        });
    }

    /// The value of attribute `name`, when present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find_map(|stmt| match stmt {
            EncodedStmt::Attr { name: n, value } if n == name => Some(value),
            _ => None,
        })
    }

    /// The bodies of the blocks named `name`, in order.
    pub fn blocks<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a EncodedBody> + 'a {
        self.0.iter().filter_map(move |stmt| match stmt {
            EncodedStmt::Block { name: n, body, .. } if n == name => Some(body),
            _ => None,
        })
    }

    /// Whether the body has no statement.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The body as the HTTP API shows it (runtime §10.2): an array of statements, secrets
    /// shown as `(secret)`.
    pub fn to_api_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.statements_json())
    }

    fn statements_json(&self) -> Vec<serde_json::Value> {
        self.0
            .iter()
            .map(|stmt| match stmt {
                EncodedStmt::Attr { name, value } => api_json::encode_attribute(name, value),
                EncodedStmt::Block { name, label, body } => {
                    api_json::encode_block(name, label.as_deref(), body.statements_json())
                }
            })
            .collect()
    }

    /// The attributes as an object (for exports, which are always attributes).
    pub fn to_object(&self) -> Object {
        self.0
            .iter()
            .filter_map(|stmt| match stmt {
                EncodedStmt::Attr { name, value } => Some((name.clone(), value.clone())),
                EncodedStmt::Block { .. } => None,
            })
            .collect()
    }
}

/// Decode a component block into its typed arguments: decode the body against `A`'s schema
/// (every error, D5), fill the struct, then run `validate`, whose errors span the attribute or
/// block their path names. Any error-severity diagnostic means `Err`, holding all of them.
pub fn decode_arguments<A: Arguments>(
    block: &ast::Block,
    eval: &Evaluator<'_>,
) -> Result<A, Vec<Diagnostic>> {
    decode_arguments_body(&block.body, block.span(), eval)
}

/// [`decode_arguments`] for a body whose enclosing block spans `enclosing`.
pub fn decode_arguments_body<A: Arguments>(
    body: &ast::Body,
    enclosing: Span,
    eval: &Evaluator<'_>,
) -> Result<A, Vec<Diagnostic>> {
    let schema = A::schema();
    let (decoded, diagnostics) = decode_body(body, enclosing, &schema, eval);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(diagnostics);
    }
    let src = eval.source();
    let args =
        A::from_decoded(&decoded).map_err(|e| validation_diagnostics(&e, body, enclosing, src))?;
    args.validate()
        .map_err(|e| validation_diagnostics(&e, body, enclosing, src))?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Endpoint {
        url: String,
        timeout: Duration,
        auth: Option<Auth>,
    }

    impl Default for Endpoint {
        fn default() -> Self {
            Self {
                url: String::new(),
                timeout: Duration::from_nanos(10),
                auth: None,
            }
        }
    }

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Auth {
        password: Option<Secret>,
    }

    impl Arguments for Endpoint {
        fn fields<V: FieldVisitor<Self>>(v: &mut V) {
            v.required("url", |s| &mut s.url);
            v.optional("timeout", |s| &mut s.timeout);
            v.block("auth", |s| &mut s.auth);
        }
    }

    impl Arguments for Auth {
        fn fields<V: FieldVisitor<Self>>(v: &mut V) {
            v.optional("password", |s| &mut s.password);
        }
    }

    fn attr(value: Value) -> super::super::body::DecodedAttr {
        super::super::body::DecodedAttr {
            value,
            span: Span::default(),
        }
    }

    #[test]
    fn one_field_list_gives_schema_decoding_and_encoding() {
        let schema = Endpoint::schema();
        assert_eq!(schema.attrs.len(), 2);
        assert_eq!(
            schema.nested("auth").map(|b| b.cardinality),
            Some(Cardinality::Single)
        );

        let mut auth = DecodedBody::default();
        auth.attrs
            .insert("password".into(), attr(Value::string("pw")));
        let mut body = DecodedBody::default();
        body.attrs
            .insert("url".into(), attr(Value::string("http://x")));
        body.blocks.insert(
            "auth".into(),
            vec![DecodedBlock {
                label: None,
                body: auth,
                span: Span::default(),
            }],
        );
        let decoded = Endpoint::from_decoded(&body).expect("decodes");
        assert_eq!(decoded.url, "http://x");
        assert_eq!(decoded.timeout, Duration::from_nanos(10));
        assert_eq!(
            decoded
                .auth
                .as_ref()
                .and_then(|a| a.password.as_ref())
                .map(Secret::expose),
            Some("pw")
        );

        let encoded = decoded.to_body();
        assert_eq!(encoded.get("url"), Some(&Value::string("http://x")));
        assert_eq!(encoded.get("timeout"), None);
        assert_eq!(encoded.blocks("auth").count(), 1);
    }

    #[test]
    fn a_value_that_does_not_fit_names_its_field() {
        let mut body = DecodedBody::default();
        body.attrs.insert("url".into(), attr(Value::Array(vec![])));
        let errors = Endpoint::from_decoded(&body).expect_err("mismatch");
        assert_eq!(errors.to_string(), "url: should be string, got array");
    }
}
