//! `encoding.from_yaml(s)`: the first YAML document as a value.
//!
//! Design decisions:
//! - Values are built straight from `saphyr-parser` events (the parser under `saphyr`) instead
//!   of through `saphyr::Yaml`: it avoids a second tree, and, above all, `saphyr`'s loader
//!   expands aliases by copying without limit, so a few hundred bytes of nested aliases
//!   ("billion laughs") could exhaust memory. Here every alias expansion is charged to a budget
//!   proportional to the input and exceeding it fails with Go's
//!   `yaml: document contains excessive aliasing`; nesting is capped at [`MAX_DEPTH`].
//! - Plain scalars resolve as Go's `gopkg.in/yaml.v3` resolves them when decoding into
//!   `interface{}` (what Alloy does): `~`/`null`/empty → null, `true`/`True`/`TRUE`/… → bool,
//!   integers in any Go base with `_` separators (`0x1F`, `0o17`, `0b11`, legacy octal `017`),
//!   floats including `.inf` and `.nan`, timestamps stay text; quoted scalars and `!!str` are
//!   always text. Integers that fit `i64` are ints, larger ones uints.
//! - Mapping keys that are not strings become their text (E7): a scalar key is its source
//!   text (`1: a` → `"1"`), a collection key a compact rendering (`[a, b]`). Merge keys (`<<`)
//!   are applied; a repeated key is an error, as in yaml.v3.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use crate::convert::number_to_string;
use crate::value::{FunctionError, Number, Object, Value};

use super::{expect_args, string_arg};

/// The deepest nesting of sequences and mappings accepted.
pub(crate) const MAX_DEPTH: usize = 1000;

/// `encoding.from_yaml(s)`.
pub(super) fn from_yaml(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let text = string_arg(args, 0)?;
    parse_yaml(&text).map_err(FunctionError::Call)
}

/// A collection being built.
enum Frame {
    Sequence {
        items: Vec<Value>,
        anchor: usize,
        weight: usize,
    },
    Mapping {
        object: Object,
        /// Keys written explicitly (merged keys never override them).
        explicit: HashSet<String>,
        /// The key waiting for its value, and whether it is the merge key `<<`.
        key: Option<(String, bool)>,
        anchor: usize,
        weight: usize,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    /// Weight (nodes plus text bytes) built so far, aliases included.
    spent: usize,
    budget: usize,
    root: Option<Value>,
}

const EXCESSIVE_ALIASING: &str = "yaml: document contains excessive aliasing";

/// Parse the first document of `text`; the error is the message shown after the callee.
pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        spent: 0,
        budget: text.len().saturating_mul(4).saturating_add(100_000),
        root: None,
    };
    for event in Parser::new_from_str(text) {
        let (event, _span) = event.map_err(|e| format!("yaml: {e}"))?;
        match event {
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Alias(id) => {
                let (value, weight) = builder
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| "yaml: unknown anchor".to_owned())?;
                builder.charge(weight)?;
                builder.complete(value, weight, 0, None)?;
            }
            Event::Scalar(raw, style, anchor, tag) => {
                let value = resolve_scalar(&raw, style, tag.as_deref());
                let weight = 1 + raw.len();
                builder.charge(weight)?;
                let key_text = raw.into_owned();
                let is_merge = style == ScalarStyle::Plain && tag.is_none() && key_text == "<<";
                builder.complete(value, weight, anchor, Some((key_text, is_merge)))?;
            }
            Event::SequenceStart(anchor, _tag) => {
                builder.open(Frame::Sequence {
                    items: Vec::new(),
                    anchor,
                    weight: 1,
                })?;
            }
            Event::MappingStart(anchor, _tag) => {
                builder.open(Frame::Mapping {
                    object: Object::new(),
                    explicit: HashSet::new(),
                    key: None,
                    anchor,
                    weight: 1,
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, weight, anchor) = match builder.stack.pop() {
                    Some(Frame::Sequence {
                        items,
                        anchor,
                        weight,
                    }) => (Value::Array(items), weight, anchor),
                    Some(Frame::Mapping {
                        object,
                        anchor,
                        weight,
                        ..
                    }) => (Value::Object(object), weight, anchor),
                    None => return Err("yaml: unbalanced collection end".to_owned()),
                };
                builder.complete(value, weight, anchor, None)?;
            }
        }
        if builder.root.is_some() {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Value::Null))
}

impl Builder {
    fn charge(&mut self, weight: usize) -> Result<(), String> {
        self.spent = self.spent.saturating_add(weight);
        if self.spent > self.budget {
            return Err(EXCESSIVE_ALIASING.to_owned());
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
        }
        self.charge(1)?;
        self.stack.push(frame);
        Ok(())
    }

    /// A node is finished: remember it under its anchor and hand it to its parent.
    /// `scalar_key` is the source text of a scalar (for use as a mapping key) and whether it is
    /// the merge key.
    fn complete(
        &mut self,
        value: Value,
        weight: usize,
        anchor: usize,
        scalar_key: Option<(String, bool)>,
    ) -> Result<(), String> {
        if anchor > 0 {
            self.charge(weight)?;
            self.anchors.insert(anchor, (value.clone(), weight));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Sequence {
                items, weight: w, ..
            }) => {
                *w = w.saturating_add(weight);
                items.push(value);
            }
            Some(Frame::Mapping {
                object,
                explicit,
                key,
                weight: w,
                ..
            }) => {
                *w = w.saturating_add(weight);
                match key.take() {
                    None => {
                        *key = Some(scalar_key.unwrap_or_else(|| (key_text(&value), false)));
                    }
                    Some((_, true)) => merge(object, explicit, value)?,
                    Some((k, false)) => {
                        if !explicit.insert(k.clone()) {
                            return Err(format!(
                                "yaml: mapping key {} already defined",
                                ferroalloy_syntax::quote::quote(&k)
                            ));
                        }
                        object.insert(k, value);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Apply a merge key's value: a mapping, or a sequence of mappings where earlier ones win.
/// Explicit keys always win.
fn merge(object: &mut Object, explicit: &HashSet<String>, value: Value) -> Result<(), String> {
    let sources = match value {
        Value::Object(o) => vec![o],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(o) => Ok(o),
                _ => Err(MERGE_ERROR.to_owned()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(MERGE_ERROR.to_owned()),
    };
    let mut merged: HashSet<String> = HashSet::new();
    for source in sources {
        for (k, v) in source.0 {
            if explicit.contains(&k) || merged.contains(&k) {
                continue;
            }
            merged.insert(k.clone());
            object.insert(k, v);
        }
    }
    Ok(())
}

const MERGE_ERROR: &str = "yaml: map merge requires map or sequence of maps as the value";

/// The text of a key that is not a scalar.
fn key_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_to_string(*n),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(key_text).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(o) => {
            let parts: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k}: {}", key_text(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Function(f) => f.name.to_string(),
        Value::Capsule(c) => format!("capsule({:?})", c.type_name()),
    }
}

fn resolve_scalar(raw: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag
        && tag.is_yaml_core_schema()
    {
        return match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => Value::string(raw),
            _ => resolve_plain(raw),
        };
    }
    if style != ScalarStyle::Plain {
        return Value::string(raw);
    }
    resolve_plain(raw)
}

/// yaml.v3's `resolve` for an untagged plain scalar decoded into `interface{}`.
fn resolve_plain(raw: &str) -> Value {
    match raw {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::float(f64::NAN),
        _ => {}
    }
    match raw.as_bytes().first() {
        Some(b'.') => go_parse_float(raw).map_or_else(|| Value::string(raw), Value::float),
        Some(b'+' | b'-' | b'0'..=b'9') => {
            resolve_number(raw).unwrap_or_else(|| Value::string(raw))
        }
        _ => Value::string(raw),
    }
}

fn resolve_number(raw: &str) -> Option<Value> {
    let plain: String = raw.chars().filter(|&c| c != '_').collect();
    if let Some(n) = go_parse_int(&plain) {
        return Some(Value::Number(n));
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = go_parse_float(&plain)
    {
        return Some(Value::float(f));
    }
    // yaml.v3 retries `0b`/`0o` prefixes explicitly; `go_parse_int` already accepts them.
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)` (underscores
/// already removed).
fn go_parse_int(s: &str) -> Option<Number> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= 1u64 << 63 {
            return Some(Number::Int((magnitude as i64).wrapping_neg()));
        }
        return None;
    }
    Some(match i64::try_from(magnitude) {
        Ok(i) => Number::Int(i),
        // Only an unsigned parse accepts it: `ParseUint` has no sign, so a `+` fails there.
        Err(_) if !s.starts_with('+') => Number::Uint(magnitude),
        Err(_) => return None,
    })
}

/// yaml.v3's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text without `inf`/`nan` spellings (the
/// callers only pass text starting with `.` or matching `yamlStyleFloat`); finite results only,
/// like Go's range error.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}
