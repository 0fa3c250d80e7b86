//! The `string` namespace (except `string.format`): Go's `strings` functions as Alloy exposes
//! them.
//!
//! Case mapping is per character with Unicode's *simple* mappings, as Go's `unicode.ToUpper` /
//! `ToLower` do, rather than Rust's full mappings (`ß` stays `ß`, no context-dependent final
//! sigma), so results match Alloy character for character.

use crate::convert;
use crate::value::{FunctionError, Value};

use super::{arg, expect_args, string_arg};

/// `string.join(list, sep)`: the elements converted to text, separated by `sep`.
pub(super) fn join(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let items = arg(args, 0, |v| convert::to_list(v, convert::to_string))?;
    let sep = string_arg(args, 1)?;
    Ok(Value::String(items.join(&sep)))
}

/// `string.replace(s, old, new)`: every non-overlapping `old`; an empty `old` inserts `new`
/// before each character and at the end.
pub(super) fn replace(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 3)?;
    let s = string_arg(args, 0)?;
    let old = string_arg(args, 1)?;
    let new = string_arg(args, 2)?;
    Ok(Value::String(s.replace(&old, &new)))
}

/// `string.split(s, sep)`: all pieces; an empty `sep` splits into characters.
pub(super) fn split(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let s = string_arg(args, 0)?;
    let sep = string_arg(args, 1)?;
    let pieces: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::Array(pieces))
}

/// `string.to_lower(s)`.
pub(super) fn to_lower(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let s = string_arg(args, 0)?;
    Ok(Value::String(s.chars().map(simple_lower).collect()))
}

/// `string.to_upper(s)`.
pub(super) fn to_upper(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let s = string_arg(args, 0)?;
    Ok(Value::String(s.chars().map(simple_upper).collect()))
}

fn simple_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    // The one character whose full lower-case mapping is longer than its simple one.
    if c == '\u{0130}' {
        return 'i';
    }
    single(c.to_lowercase()).unwrap_or(c)
}

fn simple_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    single(c.to_uppercase()).unwrap_or(c)
}

/// The mapping when it is one character (a longer one is a full mapping with no simple form).
fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// `string.trim(s, set)`: strip leading and trailing characters contained in `set`.
pub(super) fn trim(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let s = string_arg(args, 0)?;
    let set = string_arg(args, 1)?;
    Ok(Value::string(s.trim_matches(|c| set.contains(c))))
}

/// `string.trim_prefix(s, p)`: remove `p` once from the start.
pub(super) fn trim_prefix(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let s = string_arg(args, 0)?;
    let prefix = string_arg(args, 1)?;
    Ok(Value::string(s.strip_prefix(prefix.as_str()).unwrap_or(&s)))
}

/// `string.trim_suffix(s, x)`: remove `x` once from the end.
pub(super) fn trim_suffix(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let s = string_arg(args, 0)?;
    let suffix = string_arg(args, 1)?;
    Ok(Value::string(s.strip_suffix(suffix.as_str()).unwrap_or(&s)))
}

/// `string.trim_space(s)`: strip Unicode white space at both ends (the same set as Go's
/// `unicode.IsSpace`).
pub(super) fn trim_space(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let s = string_arg(args, 0)?;
    Ok(Value::string(s.trim()))
}
