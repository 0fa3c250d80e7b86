//! Dynamic type descriptions and conformance of values to them (syntax §6.2–§6.5).
//!
//! A [`Type`] says what an argument accepts. [`conform`] turns an evaluated value into the
//! *canonical value* of that type, so that everything after it (typed decoding, encoding for the
//! API, comparison of old and new arguments) sees one representation:
//!
//! | type | canonical value |
//! | --- | --- |
//! | `string` | [`Value::String`] |
//! | `bool` | [`Value::Bool`] |
//! | integer | [`Number::Int`] (signed targets) or [`Number::Uint`] (unsigned targets), range-checked (E3) |
//! | `float` | [`Number::Float`] |
//! | `duration` | [`Value::String`] holding the canonical text of §6.3 (`1h30m0s`), as the API shows it |
//! | `secret`, `optional secret` | the matching [`Capsule`] |
//! | `capsule("X")` | the capsule itself, after checking its type name |
//! | `list(T)`, `map(T)` | arrays and objects of canonical values |
//! | object schema | an object holding every field in schema order (absent optional fields: zero values) |
//! | `optional(T)` | `null`, or the canonical value of `T` |
//! | `any` | the value unchanged |
//!
//! `null` becomes the zero value of the type (§6.2 last row): `""`, `0`, `false`, `0s`, empty
//! lists and maps, empty secrets, an object of zero values. `optional(T)` and `any` keep `null`
//! (the Go decoder's nil pointer and nil interface). A capsule type has no usable zero value, so
//! `null` where a capsule is required is an error (`expected capsule("X"), got null`) instead of
//! Alloy's nil capsule that fails later; write the argument as `optional(capsule(…))`.
//!
//! Errors are [`ConvertError`]s whose path leads from the converted value to the offending part
//! (`.object.field1[2]`), so the caller can report them at the deepest source expression.

use std::fmt;

use crate::convert::{self, ConvertError};
use crate::value::{Capsule, Number, Object, PathSegment, Value};

/// What an argument accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// Any value, unchanged.
    Any,
    /// Text (numbers and plain optional secrets convert to it).
    String,
    /// `true` or `false`.
    Bool,
    /// A signed integer within `min..=max` (e.g. `i8`: −128..=127).
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// An unsigned integer within `min..=max`.
    Uint {
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// A 64-bit float.
    Float,
    /// A Go-compatible duration (§6.3).
    Duration,
    /// `capsule("alloytypes.Secret")` (§6.4).
    Secret,
    /// `capsule("alloytypes.OptionalSecret")` (§6.4).
    OptionalSecret,
    /// A capsule of the named type, such as `pyroscope.Appendable` (§6.5).
    Capsule(String),
    /// An array whose elements are of the inner type.
    List(Box<Type>),
    /// An object whose values are of the inner type.
    Map(Box<Type>),
    /// An object with known fields (a struct).
    Object(Vec<ObjectField>),
    /// `null` or a value of the inner type (a Go pointer: `null` stays `null`).
    Optional(Box<Type>),
}

/// One field of an object schema ([`Type::Object`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectField {
    /// The key.
    pub name: String,
    /// The field's type.
    pub ty: Type,
    /// Whether the key must be present.
    pub required: bool,
}

impl ObjectField {
    /// A required field.
    pub fn required(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            required: true,
        }
    }

    /// An optional field (absent → the zero value of its type).
    pub fn optional(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            required: false,
        }
    }
}

impl Type {
    /// `int`: the whole `i64` range.
    pub const INT: Type = Type::Int {
        min: i64::MIN,
        max: i64::MAX,
    };
    /// `uint`: the whole `u64` range.
    pub const UINT: Type = Type::Uint {
        min: 0,
        max: u64::MAX,
    };

    /// `list(inner)`.
    pub fn list(inner: Type) -> Self {
        Type::List(Box::new(inner))
    }

    /// `map(inner)`.
    pub fn map(inner: Type) -> Self {
        Type::Map(Box::new(inner))
    }

    /// `optional(inner)`.
    pub fn optional(inner: Type) -> Self {
        Type::Optional(Box::new(inner))
    }

    /// `capsule("<name>")`.
    pub fn capsule(name: impl Into<String>) -> Self {
        Type::Capsule(name.into())
    }

    /// The zero value of the type: what `null` and absent optional object fields become.
    pub fn zero_value(&self) -> Value {
        match self {
            Type::Any | Type::Capsule(_) | Type::Optional(_) => Value::Null,
            Type::String => Value::String(String::new()),
            Type::Bool => Value::Bool(false),
            Type::Int { .. } => Value::Number(Number::Int(0)),
            Type::Uint { .. } => Value::Number(Number::Uint(0)),
            Type::Float => Value::Number(Number::Float(0.0)),
            Type::Duration => Value::String(crate::duration::Duration::ZERO.to_string()),
            Type::Secret => Value::Capsule(Capsule::Secret(Default::default())),
            Type::OptionalSecret => Value::Capsule(Capsule::OptionalSecret(Default::default())),
            Type::List(_) => Value::Array(Vec::new()),
            Type::Map(_) => Value::Object(Object::new()),
            Type::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|f| (f.name.clone(), f.ty.zero_value()))
                    .collect(),
            ),
        }
    }
}

/// The type as reference pages write it: `string`, `number`, `duration`, `secret`,
/// `list(capsule("pyroscope.Appendable"))`, `map(string)`, `object`, `any`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Bool => f.write_str("bool"),
            Type::Int { .. } | Type::Uint { .. } | Type::Float => f.write_str("number"),
            Type::Duration => f.write_str("duration"),
            Type::Secret => f.write_str("secret"),
            Type::OptionalSecret => f.write_str("optional secret"),
            Type::Capsule(name) => write!(f, "capsule({name:?})"),
            Type::List(inner) => write!(f, "list({inner})"),
            Type::Map(inner) => write!(f, "map({inner})"),
            Type::Object(_) => f.write_str("object"),
            Type::Optional(inner) => inner.fmt(f),
        }
    }
}

/// Turn `value` into the canonical value of `ty` (see the module documentation), or say what is
/// wrong and where inside the value.
pub fn conform(value: &Value, ty: &Type) -> Result<Value, ConvertError> {
    if let Value::Null = value {
        return match ty {
            Type::Capsule(name) => Err(ConvertError::new(format!(
                "expected capsule({name:?}), got null"
            ))),
            _ => Ok(ty.zero_value()),
        };
    }
    match ty {
        Type::Any => Ok(value.clone()),
        Type::String => convert::to_string(value).map(Value::String),
        Type::Bool => convert::to_bool(value).map(Value::Bool),
        Type::Int { min, max } => {
            convert::to_i64_in(value, *min, *max).map(|n| Value::Number(Number::Int(n)))
        }
        Type::Uint { min, max } => {
            convert::to_u64_in(value, *min, *max).map(|n| Value::Number(Number::Uint(n)))
        }
        Type::Float => convert::to_f64(value).map(|f| Value::Number(Number::Float(f))),
        Type::Duration => convert::to_duration(value).map(|d| Value::String(d.to_string())),
        Type::Secret => convert::to_secret(value).map(|s| Value::Capsule(Capsule::Secret(s))),
        Type::OptionalSecret => {
            convert::to_optional_secret(value).map(|s| Value::Capsule(Capsule::OptionalSecret(s)))
        }
        Type::Capsule(name) => conform_capsule(value, name),
        Type::List(inner) => match value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| conform(item, inner).map_err(|e| e.within(PathSegment::Index(i))))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            _ => Err(convert::type_error("array", value)),
        },
        Type::Map(inner) => match value {
            Value::Object(object) => object
                .iter()
                .map(|(k, v)| {
                    conform(v, inner)
                        .map(|v| (k.clone(), v))
                        .map_err(|e| e.within(PathSegment::Field(k.clone())))
                })
                .collect::<Result<Object, _>>()
                .map(Value::Object),
            _ => Err(convert::type_error("object", value)),
        },
        Type::Object(fields) => match value {
            Value::Object(object) => conform_object(object, fields),
            _ => Err(convert::type_error("object", value)),
        },
        Type::Optional(inner) => conform(value, inner),
    }
}

fn conform_capsule(value: &Value, name: &str) -> Result<Value, ConvertError> {
    match value {
        Value::Capsule(capsule) if capsule.type_name() == name => Ok(value.clone()),
        Value::Capsule(capsule) => Err(ConvertError::new(format!(
            "expected capsule({name:?}), got capsule({:?})",
            capsule.type_name()
        ))),
        other => Err(ConvertError::new(format!(
            "expected capsule({name:?}), got {}",
            other.value_type()
        ))),
    }
}

/// Fields in schema order. Unknown keys are reported before missing ones, in the object's order,
/// as Alloy's decoder walks the object's keys first.
fn conform_object(object: &Object, fields: &[ObjectField]) -> Result<Value, ConvertError> {
    for key in object.0.keys() {
        if !fields.iter().any(|f| &f.name == key) {
            return Err(ConvertError::new(format!(
                "does not have field named {key:?}"
            )));
        }
    }
    let mut out = Object::new();
    for field in fields {
        match object.get(&field.name) {
            Some(v) => {
                let v = conform(v, &field.ty)
                    .map_err(|e| e.within(PathSegment::Field(field.name.clone())))?;
                out.insert(field.name.clone(), v);
            }
            None if field.required => {
                return Err(ConvertError::new(format!(
                    "missing required attribute {:?}",
                    field.name
                )));
            }
            None => out.insert(field.name.clone(), field.ty.zero_value()),
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn numbers_are_range_checked() {
        let u8_ty = Type::Uint { min: 0, max: 255 };
        let err = conform(&Value::int(300), &u8_ty).unwrap_err();
        assert_eq!(err.message, "is out of range (must be between 0 and 255)");
        assert!(err.path.is_root());
        assert_eq!(
            conform(&Value::string("12"), &Type::INT).unwrap(),
            Value::int(12)
        );
    }

    #[test]
    fn null_becomes_the_zero_value() {
        assert_eq!(
            conform(&Value::Null, &Type::String).unwrap(),
            Value::string("")
        );
        assert_eq!(
            conform(&Value::Null, &Type::Duration).unwrap(),
            Value::string("0s")
        );
        assert_eq!(
            conform(&Value::Null, &Type::optional(Type::String)).unwrap(),
            Value::Null
        );
        assert_eq!(
            conform(&Value::Null, &Type::list(Type::INT)).unwrap(),
            Value::Array(vec![])
        );
    }

    #[test]
    fn element_errors_carry_their_path() {
        let ty = Type::Object(vec![ObjectField::required(
            "object",
            Type::Object(vec![ObjectField::required("field1", Type::list(Type::INT))]),
        )]);
        let value = obj(&[(
            "object",
            obj(&[(
                "field1",
                Value::Array(vec![Value::int(1), Value::string("x")]),
            )]),
        )]);
        let err = conform(&value, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), ".object.field1[1]");
        assert_eq!(err.message, "should be number, got string");
    }

    #[test]
    fn objects_keep_schema_order_and_fill_optional_fields() {
        let ty = Type::Object(vec![
            ObjectField::required("name", Type::String),
            ObjectField::required("age", Type::INT),
            ObjectField::optional("country", Type::String),
        ]);
        let value = obj(&[("age", Value::int(42)), ("name", Value::string("J"))]);
        let Value::Object(out) = conform(&value, &ty).unwrap() else {
            panic!("not an object")
        };
        let keys: Vec<&str> = out.0.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "age", "country"]);
        assert_eq!(out.get("country"), Some(&Value::string("")));
        let err = conform(&obj(&[("zz", Value::int(1))]), &ty).unwrap_err();
        assert_eq!(err.message, "does not have field named \"zz\"");
    }

    #[test]
    fn capsules_check_their_type_name() {
        let secret = Value::Capsule(Capsule::Secret(Secret::new("pw")));
        let err = conform(&secret, &Type::capsule("pyroscope.Appendable")).unwrap_err();
        assert_eq!(
            err.message,
            "expected capsule(\"pyroscope.Appendable\"), got capsule(\"alloytypes.Secret\")"
        );
        let err = conform(&Value::int(1), &Type::capsule("pyroscope.Appendable")).unwrap_err();
        assert_eq!(
            err.message,
            "expected capsule(\"pyroscope.Appendable\"), got number"
        );
        let err = conform(&secret, &Type::String).unwrap_err();
        assert_eq!(err.message, "secrets may not be converted into strings");
    }

    #[test]
    fn durations_become_canonical_text() {
        assert_eq!(
            conform(&Value::string("90m"), &Type::Duration).unwrap(),
            Value::string("1h30m0s")
        );
        let err = conform(&Value::int(10), &Type::Duration).unwrap_err();
        assert_eq!(err.message, "time: missing unit in duration \"10\"");
    }
}
