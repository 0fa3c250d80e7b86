//! `coalesce(v, …)`: the first argument that is not empty.

use crate::value::{Capsule, FunctionError, Number, Value};

/// The first argument that is not null, zero, `false`, `""`, an empty array or object, or an
/// empty (optional) secret; none → the last argument; no arguments → `null`. Arguments are
/// taken as they are.
pub(super) fn coalesce(args: &[Value]) -> Result<Value, FunctionError> {
    Ok(args
        .iter()
        .find(|v| !is_empty(v))
        .or_else(|| args.last())
        .cloned()
        .unwrap_or(Value::Null))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Number(Number::Int(i)) => *i == 0,
        Value::Number(Number::Uint(u)) => *u == 0,
        // Go's `IsZero` on a float64 is a bit test: `-0.0` is not zero.
        Value::Number(Number::Float(f)) => f.to_bits() == 0,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Array(items) => items.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Function(_) => false,
        Value::Capsule(Capsule::Secret(s)) => s.is_empty(),
        Value::Capsule(Capsule::OptionalSecret(o)) => o.is_empty(),
        Value::Capsule(Capsule::Handle(_)) => false,
    }
}
