//! The value model: what expressions evaluate to.
//!
//! Numbers keep their kind (int, uint, float) because arithmetic and overflow rules depend on it
//! (syntax §4.3). Objects keep first-insertion order and compare without regard to it. Functions
//! and capsules are reference-counted so that cloning a value never copies a handle's state.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::secret::{OptionalSecret, Secret};

/// An evaluated value.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`
    Null,
    /// A number of some kind.
    Number(Number),
    /// Text.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// An ordered list.
    Array(Vec<Value>),
    /// Keys to values, in first-insertion order.
    Object(Object),
    /// A callable from the standard library or a component's exports.
    Function(Function),
    /// An opaque typed value: a secret, an optional secret, or a component's handle.
    Capsule(Capsule),
}

/// The names of value types as they appear in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `null`
    Null,
    /// `number`
    Number,
    /// `string`
    String,
    /// `bool`
    Bool,
    /// `array`
    Array,
    /// `object`
    Object,
    /// `function`
    Function,
    /// `capsule`
    Capsule,
}

impl ValueType {
    /// The type's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Null => "null",
            ValueType::Number => "number",
            ValueType::String => "string",
            ValueType::Bool => "bool",
            ValueType::Array => "array",
            ValueType::Object => "object",
            ValueType::Function => "function",
            ValueType::Capsule => "capsule",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::Number(_) => ValueType::Number,
            Value::String(_) => ValueType::String,
            Value::Bool(_) => ValueType::Bool,
            Value::Array(_) => ValueType::Array,
            Value::Object(_) => ValueType::Object,
            Value::Function(_) => ValueType::Function,
            Value::Capsule(_) => ValueType::Capsule,
        }
    }

    /// A string value.
    pub fn string(text: impl Into<String>) -> Self {
        Value::String(text.into())
    }

    /// An int value.
    pub fn int(n: i64) -> Self {
        Value::Number(Number::Int(n))
    }

    /// A float value.
    pub fn float(n: f64) -> Self {
        Value::Number(Number::Float(n))
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Equality as the `==` operator sees it (syntax §4.4), without the secret conversions of §4.2,
/// which the evaluator applies first.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Number(a), Value::Number(b)) => a.equals(*b),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Function(_), Value::Function(_)) => false,
            (Value::Capsule(a), Value::Capsule(b)) => a == b,
            _ => false,
        }
    }
}

/// A number and its kind.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    /// A signed 64-bit integer.
    Int(i64),
    /// An unsigned 64-bit integer (only for values above `i64::MAX` from literals, or results of
    /// uint arithmetic).
    Uint(u64),
    /// A 64-bit float.
    Float(f64),
}

impl Number {
    /// The value as a float (may round for large integers).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Uint(n) => n as f64,
            Number::Float(f) => f,
        }
    }

    /// Numeric equality across kinds (`3 == 3.0`), exact for integers.
    pub fn equals(self, other: Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Uint(a), Number::Uint(b)) => a == b,
            (Number::Int(a), Number::Uint(b)) | (Number::Uint(b), Number::Int(a)) => {
                u64::try_from(a).is_ok_and(|a| a == b)
            }
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

/// An object: string keys to values in first-insertion order. Equality ignores order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(pub IndexMap<String, Value>);

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Self(IndexMap::new())
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Set `key` (a repeated key keeps its first position and takes the last value).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the object has no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keys and values in insertion order.
    pub fn iter(&self) -> indexmap::map::Iter<'_, String, Value> {
        self.0.iter()
    }
}

impl FromIterator<(String, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// An error raised by a function; the evaluator prefixes it with the callee (`<f> <message>`)
/// or, for [`FunctionError::Argument`], reports it at the offending argument value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// A failure of the function as a whole, reported as `<f> <message>` at the callee.
    #[error("{0}")]
    Call(String),
    /// A type or conversion problem of argument `index` (or of a part of it at `path`, such as
    /// `[2]` or `.key`), reported as `<value><path> <message>` at that argument.
    #[error("{message}")]
    Argument {
        /// 0-based argument index.
        index: usize,
        /// The route from the argument to the offending part, e.g. `[1].name`; empty for the
        /// argument itself.
        path: ValuePath,
        /// The message, e.g. `should be string, got number`.
        message: String,
    },
}

/// The signature of a native function.
pub type NativeFn = dyn Fn(&[Value]) -> Result<Value, FunctionError> + Send + Sync;

/// A callable value.
#[derive(Clone)]
pub struct Function {
    /// The name used in messages (`string.format`).
    pub name: Arc<str>,
    /// The implementation.
    pub call: Arc<NativeFn>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "function({})", self.name)
    }
}

/// An opaque typed value.
#[derive(Clone, Debug)]
pub enum Capsule {
    /// Text never displayed (`capsule("alloytypes.Secret")`).
    Secret(Secret),
    /// Text with an `is_secret` flag (`capsule("alloytypes.OptionalSecret")`).
    OptionalSecret(OptionalSecret),
    /// A component's handle, such as `pyroscope.write`'s receiver.
    Handle(Handle),
}

impl PartialEq for Capsule {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Capsule::Secret(a), Capsule::Secret(b)) => a == b,
            (Capsule::OptionalSecret(a), Capsule::OptionalSecret(b)) => a == b,
            (Capsule::Handle(a), Capsule::Handle(b)) => a.same_as(b),
            _ => false,
        }
    }
}

impl Capsule {
    /// The capsule's type name, as in `capsule("<type>")`.
    pub fn type_name(&self) -> &str {
        match self {
            Capsule::Secret(_) => "alloytypes.Secret",
            Capsule::OptionalSecret(_) => "alloytypes.OptionalSecret",
            Capsule::Handle(handle) => handle.type_name(),
        }
    }
}

/// A shared, typed handle exported by a component. Two handles are equal when they point at the
/// same object.
#[derive(Clone)]
pub struct Handle {
    type_name: Arc<str>,
    inner: Arc<dyn Any + Send + Sync>,
}

impl Handle {
    /// Wrap `inner` as a capsule of type `type_name` (e.g. `pyroscope.Appendable`).
    pub fn new(type_name: impl Into<Arc<str>>, inner: Arc<dyn Any + Send + Sync>) -> Self {
        Self {
            type_name: type_name.into(),
            inner,
        }
    }

    /// The capsule type name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The handle as `T`, when it is one.
    pub fn downcast<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        Arc::clone(&self.inner).downcast::<T>().ok()
    }

    /// Whether both handles point at the same object.
    pub fn same_as(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capsule({:?})", &*self.type_name)
    }
}

/// One step of a route into a value: `.field` or `[index]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    /// An object field.
    Field(String),
    /// An array element.
    Index(usize),
}

/// A route from a value to a part of it, printed as `.object.field1[2]`. Conversion errors carry
/// one so the evaluator can report them at the deepest source expression that produced the
/// offending part (syntax §5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValuePath(pub Vec<PathSegment>);

impl ValuePath {
    /// The empty route: the value itself.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Whether this is the value itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Prepend a segment (conversions build paths from the inside out).
    pub fn prepend(&mut self, segment: PathSegment) {
        self.0.insert(0, segment);
    }
}

impl fmt::Display for ValuePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.0 {
            match segment {
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}
