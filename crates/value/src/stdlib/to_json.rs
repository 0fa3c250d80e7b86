//! `encoding.to_json(o)` (syntax §7): an object as compact JSON, byte for byte what Go's
//! `json.Marshal` writes for the same map.
//!
//! Design decisions:
//! - Keys are sorted by bytes at every level (Go sorts map keys); arrays keep their order.
//! - Strings are escaped as Go does by default: `"` `\` `\b` `\f` `\n` `\r` `\t` by name, other
//!   control characters as `\u00XX`, and `<` `>` `&` U+2028 U+2029 as `\u003c` `\u003e` `\u0026`
//!   `\u2028` `\u2029`, so the output can be embedded in HTML.
//! - Ints and uints are written as integers; floats in Go's shortest form, with an exponent only
//!   below 1e-6 and from 1e21 ([`crate::number_format::json_float`]).
//! - A secret anywhere inside fails with `secrets may not be converted into strings` (E4; Alloy
//!   writes the secret text). The error is an argument error whose path leads to the secret, so
//!   the evaluator can point at the expression that produced it. A plain optional secret is its
//!   text.
//! - Functions and component handles cannot be encoded: `json: unsupported type: <type>`, as Go's
//!   encoder reports them, for the call.

use std::fmt::Write as _;

use crate::number_format::{FloatFormat, format_float, json_float};
use crate::value::{Capsule, FunctionError, Number, Object, PathSegment, Value, ValuePath};

/// The message for a secret used as text.
const SECRET_TO_STRING: &str = "secrets may not be converted into strings";

/// `encoding.to_json(o)`: the object `o` as compact JSON text.
///
/// Errors: not exactly one argument → `expected 1 args, got <n>`; a non-object →
/// `jsonEncode only supports map`; a secret inside → an argument error
/// `secrets may not be converted into strings` at the secret's path; a function or handle inside
/// → `json: unsupported type: <type>`; a NaN or infinite float inside →
/// `json: unsupported value: <value>`.
pub fn to_json(args: &[Value]) -> Result<Value, FunctionError> {
    let [value] = args else {
        return Err(FunctionError::Call(format!(
            "expected 1 args, got {}",
            args.len()
        )));
    };
    let Value::Object(object) = value else {
        return Err(FunctionError::Call(
            "jsonEncode only supports map".to_owned(),
        ));
    };
    let mut out = String::new();
    let mut path = Vec::new();
    write_object(&mut out, object, &mut path)?;
    Ok(Value::String(out))
}

/// Write `value` as JSON; `path` is the route from the argument to it.
fn write_value(
    out: &mut String,
    value: &Value,
    path: &mut Vec<PathSegment>,
) -> Result<(), FunctionError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(Number::Int(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::Number(Number::Uint(u)) => {
            let _ = write!(out, "{u}");
        }
        Value::Number(Number::Float(f)) => match json_float(*f) {
            Some(text) => out.push_str(&text),
            None => {
                return Err(FunctionError::Call(format!(
                    "json: unsupported value: {}",
                    format_float(*f, FloatFormat::General, None)
                )));
            }
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(PathSegment::Index(i));
                write_value(out, item, path)?;
                path.pop();
            }
            out.push(']');
        }
        Value::Object(object) => write_object(out, object, path)?,
        Value::Capsule(Capsule::OptionalSecret(o)) if !o.is_secret() => {
            write_string(out, o.expose())
        }
        Value::Capsule(Capsule::Secret(_) | Capsule::OptionalSecret(_)) => {
            return Err(FunctionError::Argument {
                index: 0,
                path: ValuePath(path.clone()),
                message: SECRET_TO_STRING.to_owned(),
            });
        }
        Value::Capsule(Capsule::Handle(handle)) => {
            return Err(FunctionError::Call(format!(
                "json: unsupported type: capsule(\"{}\")",
                handle.type_name()
            )));
        }
        Value::Function(_) => {
            return Err(FunctionError::Call(
                "json: unsupported type: function".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Write an object with its keys sorted by bytes.
fn write_object(
    out: &mut String,
    object: &Object,
    path: &mut Vec<PathSegment>,
) -> Result<(), FunctionError> {
    let mut entries: Vec<(&String, &Value)> = object.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        path.push(PathSegment::Field(key.clone()));
        write_value(out, value, path)?;
        path.pop();
    }
    out.push('}');
    Ok(())
}

/// Write a JSON string literal with Go's default (HTML-safe) escaping.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
