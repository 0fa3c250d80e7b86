//! Unary and binary operators on values (syntax §4.2–§4.4, §6.4).
//!
//! Operators work on values only; the evaluator decides where an error is reported. An
//! [`OpError`] therefore says *which* part of the expression is at fault (left operand, right
//! operand, the operand of a unary operator, or the operator itself) and carries the message
//! detail without the `<expr>` prefix.
//!
//! Integer arithmetic is computed exactly in `i128` and then fitted into the result kind (the
//! wider operand kind, uint < int < float); a result that does not fit is
//! `integer overflow in <op>` (E2), never a wrapped value. Float results must be finite.

use ferroalloy_syntax::ast::{BinaryOp, UnaryOp};

use crate::secret::{OptionalSecret, Secret};
use crate::value::{Capsule, Number, Value, ValueType};

/// Which part of an operator expression an error belongs to, with the message detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OpError {
    /// The left operand (or the only operand of a unary operator): `<lhs> <message>`.
    Lhs(String),
    /// The right operand: `<rhs> <message>`.
    Rhs(String),
    /// The operator itself: `<message>` at the operator.
    Operator(String),
}

/// Apply a unary operator (syntax §4.3).
pub(crate) fn unary(op: UnaryOp, operand: Value) -> Result<Value, OpError> {
    match (op, operand) {
        (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::Not, other) => Err(OpError::Lhs(format!(
            "should be bool, got {}",
            other.value_type()
        ))),
        (UnaryOp::Neg, Value::Number(n)) => match n {
            Number::Float(f) => Ok(Value::Number(Number::Float(-f))),
            Number::Int(_) | Number::Uint(_) => i64::try_from(-int_of(n))
                .map(|v| Value::Number(Number::Int(v)))
                .map_err(|_| overflow("-")),
        },
        (UnaryOp::Neg, other) => Err(OpError::Lhs(format!(
            "should be number, got {}",
            other.value_type()
        ))),
    }
}

/// The types an operator accepts for each operand, in the order messages list them.
pub(crate) fn allowed_types(op: BinaryOp) -> &'static [ValueType] {
    use BinaryOp::*;
    match op {
        Or | And => &[ValueType::Bool],
        Add => &[ValueType::Number, ValueType::String, ValueType::Capsule],
        Sub | Mul | Div | Mod | Pow => &[ValueType::Number],
        Lt | Le | Gt | Ge => &[ValueType::Number, ValueType::String],
        // Equality accepts everything; it is never type-checked.
        Eq | NotEq => &[],
    }
}

/// The detail of an operand whose type `op` does not accept (syntax §4.2 steps 3–4), or `None`
/// when it is accepted.
pub(crate) fn operand_type_error(op: BinaryOp, operand: &Value) -> Option<String> {
    let allowed = allowed_types(op);
    let got = operand.value_type();
    if allowed.contains(&got) {
        return None;
    }
    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
    Some(format!(
        "should be one of [{}] for binop {}, got {}",
        names.join(" "),
        op.as_str(),
        got
    ))
}

/// Apply a binary operator to two evaluated operands (syntax §4.2 steps 1–5, §4.3, §4.4).
///
/// `&&` and `||` are accepted here too (both operands already evaluated); the evaluator
/// short-circuits them before calling this.
pub(crate) fn binary(op: BinaryOp, lhs: Value, rhs: Value) -> Result<Value, OpError> {
    let (lhs, rhs) = convert_secret_pair(lhs, rhs);
    match op {
        BinaryOp::Eq => return Ok(Value::Bool(lhs == rhs)),
        BinaryOp::NotEq => return Ok(Value::Bool(lhs != rhs)),
        _ => {}
    }
    if let Some(message) = operand_type_error(op, &lhs) {
        return Err(OpError::Lhs(message));
    }
    if let Some(message) = operand_type_error(op, &rhs) {
        return Err(OpError::Rhs(message));
    }
    if lhs.value_type() != rhs.value_type() {
        return Err(OpError::Rhs(format!(
            "should be {}, got {}",
            lhs.value_type(),
            rhs.value_type()
        )));
    }
    match (lhs, rhs) {
        (Value::Bool(a), Value::Bool(b)) => match op {
            BinaryOp::Or => Ok(Value::Bool(a || b)),
            _ => Ok(Value::Bool(a && b)),
        },
        (Value::String(a), Value::String(b)) => Ok(match op {
            BinaryOp::Add => Value::String(a + &b),
            BinaryOp::Lt => Value::Bool(a < b),
            BinaryOp::Le => Value::Bool(a <= b),
            BinaryOp::Gt => Value::Bool(a > b),
            _ => Value::Bool(a >= b),
        }),
        (Value::Capsule(a), Value::Capsule(b)) => add_capsules(a, b),
        (Value::Number(a), Value::Number(b)) => number_binary(op, a, b),
        // Unreachable after the type checks above; reported rather than panicking.
        (lhs, _) => Err(OpError::Lhs(format!(
            "should be one of [] for binop {}, got {}",
            op.as_str(),
            lhs.value_type()
        ))),
    }
}

/// Step 1 of syntax §4.2: bring a pair of secret-like operands (secret, optional secret,
/// string) to a common type. Pairs without a secret or optional secret are returned unchanged.
pub(crate) fn convert_secret_pair(lhs: Value, rhs: Value) -> (Value, Value) {
    let secret_like = |v: &Value| {
        matches!(
            v,
            Value::Capsule(Capsule::Secret(_) | Capsule::OptionalSecret(_))
        )
    };
    let convertible = |v: &Value| secret_like(v) || matches!(v, Value::String(_));
    if !((secret_like(&lhs) && convertible(&rhs)) || (secret_like(&rhs) && convertible(&lhs))) {
        return (lhs, rhs);
    }
    let is_secret = |v: &Value| matches!(v, Value::Capsule(Capsule::Secret(_)));
    if is_secret(&lhs) || is_secret(&rhs) {
        return (to_secret(lhs), to_secret(rhs));
    }
    // No secret: one or two optional secrets, possibly with a string.
    let flagged = match (&lhs, &rhs) {
        (Value::String(_), Value::Capsule(Capsule::OptionalSecret(o)))
        | (Value::Capsule(Capsule::OptionalSecret(o)), Value::String(_)) => o.is_secret(),
        // Two optional secrets stay as they are.
        _ => return (lhs, rhs),
    };
    if flagged {
        (to_flagged_optional(lhs), to_flagged_optional(rhs))
    } else {
        (to_plain_string(lhs), to_plain_string(rhs))
    }
}

fn to_secret(value: Value) -> Value {
    match value {
        Value::String(s) => Value::Capsule(Capsule::Secret(Secret::new(s))),
        Value::Capsule(Capsule::OptionalSecret(o)) => {
            Value::Capsule(Capsule::Secret(Secret::new(o.expose())))
        }
        other => other,
    }
}

fn to_flagged_optional(value: Value) -> Value {
    match value {
        Value::String(s) => Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(s, true))),
        other => other,
    }
}

fn to_plain_string(value: Value) -> Value {
    match value {
        Value::Capsule(Capsule::OptionalSecret(o)) => Value::String(o.expose().to_owned()),
        other => other,
    }
}

/// `+` on two capsules (syntax §6.4): secrets concatenate into a secret, optional secrets into
/// an optional secret that is secret when either operand is.
fn add_capsules(lhs: Capsule, rhs: Capsule) -> Result<Value, OpError> {
    match (&lhs, &rhs) {
        (Capsule::Secret(a), Capsule::Secret(b)) => {
            let text = format!("{}{}", a.expose(), b.expose());
            Ok(Value::Capsule(Capsule::Secret(Secret::new(text))))
        }
        (Capsule::OptionalSecret(a), Capsule::OptionalSecret(b)) => {
            let text = format!("{}{}", a.expose(), b.expose());
            let is_secret = a.is_secret() || b.is_secret();
            Ok(Value::Capsule(Capsule::OptionalSecret(
                OptionalSecret::new(text, is_secret),
            )))
        }
        _ => Err(OpError::Lhs(format!(
            "cannot perform binop + on capsule({:?}) and capsule({:?})",
            lhs.type_name(),
            rhs.type_name()
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Uint,
    Int,
    Float,
}

fn kind(n: Number) -> Kind {
    match n {
        Number::Uint(_) => Kind::Uint,
        Number::Int(_) => Kind::Int,
        Number::Float(_) => Kind::Float,
    }
}

/// The exact integer value of an int or uint (a float is truncated; only used on integers).
fn int_of(n: Number) -> i128 {
    match n {
        Number::Int(v) => i128::from(v),
        Number::Uint(v) => i128::from(v),
        Number::Float(f) => f as i128,
    }
}

fn is_zero(n: Number) -> bool {
    match n {
        Number::Int(v) => v == 0,
        Number::Uint(v) => v == 0,
        Number::Float(f) => f == 0.0,
    }
}

fn overflow(op: &str) -> OpError {
    OpError::Operator(format!("integer overflow in {op}"))
}

/// Fit an exact integer result into `kind` (int or uint).
fn fit(value: i128, kind: Kind, op: BinaryOp) -> Result<Value, OpError> {
    let number = match kind {
        Kind::Uint => u64::try_from(value).ok().map(Number::Uint),
        _ => i64::try_from(value).ok().map(Number::Int),
    };
    number
        .map(Value::Number)
        .ok_or_else(|| overflow(op.as_str()))
}

fn finite(value: f64, op: BinaryOp) -> Result<Value, OpError> {
    if value.is_finite() {
        Ok(Value::Number(Number::Float(value)))
    } else {
        Err(OpError::Operator(format!(
            "result of {} is not a finite number",
            op.as_str()
        )))
    }
}

/// Arithmetic and comparison on two numbers (syntax §4.3).
fn number_binary(op: BinaryOp, a: Number, b: Number) -> Result<Value, OpError> {
    use BinaryOp::*;
    let result_kind = kind(a).max(kind(b));
    if matches!(op, Div | Mod) && is_zero(b) {
        return Err(OpError::Rhs("divide by zero error".to_owned()));
    }
    if matches!(op, Lt | Le | Gt | Ge) {
        let ordering = if result_kind == Kind::Float {
            a.as_f64().partial_cmp(&b.as_f64())
        } else {
            Some(int_of(a).cmp(&int_of(b)))
        };
        let result = match ordering {
            Some(o) => match op {
                Lt => o.is_lt(),
                Le => o.is_le(),
                Gt => o.is_gt(),
                _ => o.is_ge(),
            },
            None => false,
        };
        return Ok(Value::Bool(result));
    }
    if result_kind == Kind::Float {
        let (x, y) = (a.as_f64(), b.as_f64());
        let value = match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            Mod => x % y,
            _ => x.powf(y),
        };
        return finite(value, op);
    }
    let (x, y) = (int_of(a), int_of(b));
    match op {
        Add => fit(x + y, result_kind, op),
        Sub => fit(x - y, result_kind, op),
        Mul => x
            .checked_mul(y)
            .map_or_else(|| Err(overflow(op.as_str())), |v| fit(v, result_kind, op)),
        Div => fit(x / y, result_kind, op),
        Mod => fit(x % y, result_kind, op),
        _ => int_pow(x, y, result_kind, op),
    }
}

/// Integer power: exact for exponents ≥ 0; a float for negative exponents (D3), where a zero
/// base is a division by zero.
fn int_pow(base: i128, exponent: i128, kind: Kind, op: BinaryOp) -> Result<Value, OpError> {
    if exponent < 0 {
        if base == 0 {
            return Err(OpError::Rhs("divide by zero error".to_owned()));
        }
        return finite((base as f64).powf(exponent as f64), op);
    }
    let value = match base {
        0 => i128::from(exponent == 0),
        1 => 1,
        -1 => {
            if exponent % 2 == 0 {
                1
            } else {
                -1
            }
        }
        _ => match u32::try_from(exponent)
            .ok()
            .and_then(|e| base.checked_pow(e))
        {
            Some(v) => v,
            None => return Err(overflow(op.as_str())),
        },
    };
    fit(value, kind, op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i64) -> Value {
        Value::int(v)
    }

    #[test]
    fn integer_arithmetic_is_exact_or_overflows() {
        assert_eq!(
            binary(BinaryOp::Add, int(i64::MAX), int(1)),
            Err(overflow("+"))
        );
        assert!(matches!(
            binary(BinaryOp::Sub, int(i64::MIN), int(1)),
            Err(OpError::Operator(m)) if m == "integer overflow in -"
        ));
        assert!(binary(BinaryOp::Mul, int(4_294_967_296), int(4_294_967_296)).is_err());
        assert!(matches!(
            binary(BinaryOp::Div, int(i64::MIN), int(-1)),
            Err(OpError::Operator(m)) if m == "integer overflow in /"
        ));
        assert!(matches!(
            binary(BinaryOp::Mod, int(-7), int(3)),
            Ok(Value::Number(Number::Int(-1)))
        ));
        assert!(matches!(
            binary(BinaryOp::Div, int(-7), int(2)),
            Ok(Value::Number(Number::Int(-3)))
        ));
    }

    #[test]
    fn uint_keeps_its_kind() {
        let big = Value::Number(Number::Uint(u64::MAX));
        assert!(matches!(
            binary(BinaryOp::Sub, big.clone(), Value::Number(Number::Uint(1))),
            Ok(Value::Number(Number::Uint(v))) if v == u64::MAX - 1
        ));
        assert!(matches!(
            unary(UnaryOp::Neg, Value::Number(Number::Uint(1 << 63))),
            Ok(Value::Number(Number::Int(i64::MIN)))
        ));
        assert_eq!(unary(UnaryOp::Neg, big), Err(overflow("-")));
    }

    #[test]
    fn pow_rules() {
        assert!(matches!(
            binary(BinaryOp::Pow, int(0), int(0)),
            Ok(Value::Number(Number::Int(1)))
        ));
        assert!(matches!(
            binary(BinaryOp::Pow, int(-1), int(i64::MAX)),
            Ok(Value::Number(Number::Int(-1)))
        ));
        assert!(
            matches!(binary(BinaryOp::Pow, int(2), int(-1)), Ok(Value::Number(Number::Float(f))) if f == 0.5)
        );
        assert_eq!(
            binary(BinaryOp::Pow, int(0), int(-1)),
            Err(OpError::Rhs("divide by zero error".to_owned()))
        );
        assert_eq!(binary(BinaryOp::Pow, int(2), int(64)), Err(overflow("^")));
        assert_eq!(binary(BinaryOp::Pow, int(3), int(1000)), Err(overflow("^")));
    }
}
