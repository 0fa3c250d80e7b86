//! Conversions of values into the types arguments ask for (syntax §6.2, §6.4).
//!
//! Every function here takes a [`Value`] and returns either the converted Rust value or a
//! [`ConvertError`] whose `message` is the text after `<expr><path>` in the diagnostic
//! (`should be string, got bool`). The evaluator and the decoder add the expression and the
//! position; list and map conversions add the `[i]` / `.key` route through [`ConvertError::path`].
//!
//! Design decisions:
//! - `null` converts to the target's zero value everywhere (§6.2 last row), so callers need no
//!   special case for it.
//! - Strings convert to numbers exactly as Alloy does: a leading `-` parses a base-10 `i64`, text
//!   containing `.`, `e` or `E` a finite `f64`, anything else a base-10 `u64`; no `+` sign, no
//!   `_`, no surrounding blanks. Any failure is the plain type message
//!   `should be number, got string`.
//! - A plain optional secret behaves as its text; a secret one, and a [`Secret`], never turn into
//!   text (`secrets may not be converted into strings`).
//! - Out-of-range numbers are errors, never wrapped (E3); floats truncate toward zero first.

use indexmap::IndexMap;

use crate::duration::Duration;
use crate::secret::{OptionalSecret, Secret};
use crate::value::{Capsule, Number, PathSegment, Value, ValuePath};

/// A conversion failure: `path` routes from the converted value to the offending part,
/// `message` is e.g. `should be string, got bool` or `secrets may not be converted into strings`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    /// The route from the converted value to the offending part; empty for the value itself.
    pub path: ValuePath,
    /// The message without the expression, e.g. `should be number, got string`.
    pub message: String,
}

impl ConvertError {
    /// An error about the value itself.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            path: ValuePath::root(),
            message: message.into(),
        }
    }

    /// The same error one level further out: `segment` is prepended to the path.
    pub fn within(mut self, segment: PathSegment) -> Self {
        self.path.prepend(segment);
        self
    }
}

/// The message for secrets used as text.
pub const SECRET_TO_STRING: &str = "secrets may not be converted into strings";

/// The message for a value of the wrong type: `should be <want>, got <type>`.
pub fn type_error(want: &str, got: &Value) -> ConvertError {
    ConvertError::new(format!("should be {want}, got {}", got.value_type()))
}

/// The message for a number outside a target's range:
/// `is out of range (must be between <min> and <max>)`.
pub fn range_error(min: impl std::fmt::Display, max: impl std::fmt::Display) -> ConvertError {
    ConvertError::new(format!("is out of range (must be between {min} and {max})"))
}

/// Format a number as text (§6.2): ints and uints in decimal, floats in the shortest decimal
/// that reads back to the same float, never with an exponent (`1e20` → `100000000000000000000`,
/// `.9` → `0.9`, `3.0` → `3`).
pub fn number_to_string(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Uint(u) => u.to_string(),
        // Rust's `Display` for f64 is exactly Go's `FormatFloat(f, 'f', -1, 64)` for finite values.
        Number::Float(f) if f.is_finite() => f.to_string(),
        Number::Float(f) if f.is_nan() => "NaN".to_owned(),
        Number::Float(f) if f > 0.0 => "+Inf".to_owned(),
        Number::Float(_) => "-Inf".to_owned(),
    }
}

/// Parse text as a number the way Alloy converts a string to a number (§6.2), `None` when it is
/// not one.
pub fn parse_number(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if first == b'-' {
        let digits = &text[1..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return text.parse::<i64>().ok().map(Number::Int);
    }
    if text.contains(['.', 'e', 'E']) {
        return parse_go_float(text).map(Number::Float);
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    text.parse::<u64>().ok().map(Number::Uint)
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: optional sign, digits with at most one
/// `.`, optional exponent; the result must be finite (Go reports overflow as an error).
fn parse_go_float(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for b in mantissa.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    if let Some(exp) = exponent {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if exp.is_empty() || !exp.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// The text of a string, a plain optional secret, or a number; `None` for other values. Secret
/// capsules give `Err` with [`SECRET_TO_STRING`].
fn text_of(value: &Value) -> Option<Result<String, ConvertError>> {
    match value {
        Value::Null => Some(Ok(String::new())),
        Value::String(s) => Some(Ok(s.clone())),
        Value::Number(n) => Some(Ok(number_to_string(*n))),
        Value::Capsule(Capsule::OptionalSecret(o)) if !o.is_secret() => {
            Some(Ok(o.expose().to_owned()))
        }
        Value::Capsule(Capsule::OptionalSecret(_) | Capsule::Secret(_)) => {
            Some(Err(ConvertError::new(SECRET_TO_STRING)))
        }
        _ => None,
    }
}

/// Convert into text (§6.2 string row): strings, numbers, plain optional secrets; `null` → `""`.
pub fn to_string(value: &Value) -> Result<String, ConvertError> {
    text_of(value).unwrap_or_else(|| Err(type_error("string", value)))
}

/// Convert into a number: a number, or a string (or plain optional secret) holding one as §6.2
/// describes; `null` → `0`.
pub fn to_number(value: &Value) -> Result<Number, ConvertError> {
    let text = match value {
        Value::Null => return Ok(Number::Int(0)),
        Value::Number(n) => return Ok(*n),
        Value::String(s) => s.as_str(),
        Value::Capsule(Capsule::OptionalSecret(o)) if !o.is_secret() => o.expose(),
        _ => return Err(type_error("number", value)),
    };
    parse_number(text).ok_or_else(|| type_error("number", value))
}

/// Convert into a signed integer in `min..=max`; floats truncate toward zero; anything outside
/// the range is `is out of range (must be between <min> and <max>)` (E3).
pub fn to_i64_in(value: &Value, min: i64, max: i64) -> Result<i64, ConvertError> {
    let n = to_number(value)?;
    let v: Option<i64> = match n {
        Number::Int(i) => Some(i),
        Number::Uint(u) => i64::try_from(u).ok(),
        Number::Float(f) => float_to_i64(f),
    };
    match v {
        Some(v) if v >= min && v <= max => Ok(v),
        _ => Err(range_error(min, max)),
    }
}

/// Convert into an unsigned integer in `min..=max`; floats truncate toward zero; anything
/// outside the range is `is out of range (must be between <min> and <max>)` (E3).
pub fn to_u64_in(value: &Value, min: u64, max: u64) -> Result<u64, ConvertError> {
    let n = to_number(value)?;
    let v: Option<u64> = match n {
        Number::Int(i) => u64::try_from(i).ok(),
        Number::Uint(u) => Some(u),
        Number::Float(f) => float_to_u64(f),
    };
    match v {
        Some(v) if v >= min && v <= max => Ok(v),
        _ => Err(range_error(min, max)),
    }
}

/// Convert into an `i64` (the full range).
pub fn to_i64(value: &Value) -> Result<i64, ConvertError> {
    to_i64_in(value, i64::MIN, i64::MAX)
}

/// Convert into a `u64` (the full range).
pub fn to_u64(value: &Value) -> Result<u64, ConvertError> {
    to_u64_in(value, 0, u64::MAX)
}

fn float_to_i64(f: f64) -> Option<i64> {
    let t = f.trunc();
    // -2^63 is exactly representable; 2^63 is the first value above i64::MAX.
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
        .contains(&t)
        .then_some(t as i64)
}

fn float_to_u64(f: f64) -> Option<u64> {
    let t = f.trunc();
    (0.0..18_446_744_073_709_551_616.0)
        .contains(&t)
        .then_some(t as u64)
}

/// Convert into a float; integers may round when above 2⁵³.
pub fn to_f64(value: &Value) -> Result<f64, ConvertError> {
    to_number(value).map(Number::as_f64)
}

/// Convert into a bool: only bools (and `null` → `false`).
pub fn to_bool(value: &Value) -> Result<bool, ConvertError> {
    match value {
        Value::Null => Ok(false),
        Value::Bool(b) => Ok(*b),
        _ => Err(type_error("bool", value)),
    }
}

/// Convert into a secret (§6.4): a string, a secret, or an optional secret of either kind;
/// `null` → the empty secret. Numbers and other types: `should be capsule, got <type>`.
pub fn to_secret(value: &Value) -> Result<Secret, ConvertError> {
    match value {
        Value::Null => Ok(Secret::default()),
        Value::String(s) => Ok(Secret::new(s.as_str())),
        Value::Capsule(Capsule::Secret(s)) => Ok(s.clone()),
        Value::Capsule(Capsule::OptionalSecret(o)) => Ok(Secret::new(o.expose())),
        Value::Capsule(other) => Err(capsule_error("alloytypes.Secret", other)),
        _ => Err(type_error("capsule", value)),
    }
}

/// Convert into an optional secret (§6.4): a string (plain), a secret (secret), or an optional
/// secret (itself); `null` → the empty plain optional secret.
pub fn to_optional_secret(value: &Value) -> Result<OptionalSecret, ConvertError> {
    match value {
        Value::Null => Ok(OptionalSecret::default()),
        Value::String(s) => Ok(OptionalSecret::new(s.as_str(), false)),
        Value::Capsule(Capsule::Secret(s)) => Ok(OptionalSecret::new(s.expose(), true)),
        Value::Capsule(Capsule::OptionalSecret(o)) => Ok(o.clone()),
        Value::Capsule(other) => Err(capsule_error("alloytypes.OptionalSecret", other)),
        _ => Err(type_error("capsule", value)),
    }
}

/// The message for a capsule of the wrong type: `expected capsule("<want>"), got capsule("<got>")`.
pub fn capsule_error(want: &str, got: &Capsule) -> ConvertError {
    ConvertError::new(format!(
        "expected capsule({want:?}), got capsule({:?})",
        got.type_name()
    ))
}

/// Convert into a duration: the value is converted to text (so `10` becomes `"10"`) and parsed
/// as §6.3; the message of a parse failure is Go's (`time: missing unit in duration "10"`).
/// `null` → zero.
pub fn to_duration(value: &Value) -> Result<Duration, ConvertError> {
    if let Value::Null = value {
        return Ok(Duration::default());
    }
    let text = to_string(value)?;
    Duration::parse(&text).map_err(|e| ConvertError::new(e.to_string()))
}

/// The elements of an array (`null` → none); otherwise `should be array, got <type>`.
pub fn to_array(value: &Value) -> Result<&[Value], ConvertError> {
    match value {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        _ => Err(type_error("array", value)),
    }
}

/// Convert an array element by element (`list(T)`); an element's error gets `[i]` prepended to
/// its path. `null` → an empty list.
pub fn to_list<T>(
    value: &Value,
    mut convert: impl FnMut(&Value) -> Result<T, ConvertError>,
) -> Result<Vec<T>, ConvertError> {
    to_array(value)?
        .iter()
        .enumerate()
        .map(|(i, item)| convert(item).map_err(|e| e.within(PathSegment::Index(i))))
        .collect()
}

/// Convert an object value by value (`map(T)`), keeping key order; a value's error gets `.key`
/// prepended to its path. `null` → an empty map.
pub fn to_map<T>(
    value: &Value,
    mut convert: impl FnMut(&Value) -> Result<T, ConvertError>,
) -> Result<IndexMap<String, T>, ConvertError> {
    match value {
        Value::Null => Ok(IndexMap::new()),
        Value::Object(object) => object
            .iter()
            .map(|(k, v)| {
                convert(v)
                    .map(|t| (k.clone(), t))
                    .map_err(|e| e.within(PathSegment::Field(k.clone())))
            })
            .collect(),
        _ => Err(type_error("object", value)),
    }
}
