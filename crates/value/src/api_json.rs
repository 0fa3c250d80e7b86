//! The JSON encoding of values and bodies used by the HTTP API (runtime spec §10.2), Alloy's
//! `alloyjson` shape kept key for key: every value is `{"type": <type name>, "value": …}`.
//!
//! Design decisions:
//! - Secrets never leave as text: a secret and a secret optional secret are
//!   `{"type":"capsule","value":"(secret)"}`; a plain optional secret is its Go-quoted text and a
//!   component handle its description (`capsule("pyroscope.Appendable")`), as syntax §6.4/§6.5
//!   display them.
//! - Numbers are JSON numbers; an integral float that fits a 64-bit integer is written as an
//!   integer (`54`, not `54.0`), as Go's encoder writes it. Larger integral floats keep serde's
//!   float form (`1e20`), which reads back as the same number.
//! - [`encode_value`] sorts object keys by bytes (a `Value::Object` does not know whether it came
//!   from a schema); [`encode_object_in_order`] keeps the order it is given, for objects decoded
//!   from a schema type, whose field order the API keeps.

use ferroalloy_syntax::quote::quote as go_quote;
use serde_json::{Map, Value as Json};

use crate::value::{Capsule, Number, Value};

/// Encode a value for the HTTP API (runtime §10.2): `{"type": ..., "value": ...}`, objects as
/// `[{"key": k, "value": V}, …]` sorted by key bytes.
pub fn encode_value(value: &Value) -> Json {
    match value {
        Value::Null => typed("null", Json::Null),
        Value::Number(n) => typed("number", number(*n)),
        Value::String(s) => typed("string", Json::String(s.clone())),
        Value::Bool(b) => typed("bool", Json::Bool(*b)),
        Value::Array(items) => typed(
            "array",
            Json::Array(items.iter().map(encode_value).collect()),
        ),
        Value::Object(object) => {
            let mut entries: Vec<(&String, &Value)> = object.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            encode_object_in_order(entries.into_iter().map(|(k, v)| (k.as_str(), v)))
        }
        Value::Function(_) => typed("function", Json::String("function".to_owned())),
        Value::Capsule(capsule) => typed("capsule", Json::String(describe_capsule(capsule))),
    }
}

/// Encode an object whose fields keep the given order (an object decoded from a schema type).
pub fn encode_object_in_order<'a>(fields: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Json {
    let entries = fields
        .into_iter()
        .map(|(key, value)| {
            let mut entry = Map::new();
            entry.insert("key".to_owned(), Json::String(key.to_owned()));
            entry.insert("value".to_owned(), encode_value(value));
            Json::Object(entry)
        })
        .collect();
    typed("object", Json::Array(entries))
}

/// One attribute statement of an encoded body: `{"name", "type": "attr", "value": V}`.
pub fn encode_attribute(name: &str, value: &Value) -> Json {
    let mut statement = Map::new();
    statement.insert("name".to_owned(), Json::String(name.to_owned()));
    statement.insert("type".to_owned(), Json::String("attr".to_owned()));
    statement.insert("value".to_owned(), encode_value(value));
    Json::Object(statement)
}

/// One block statement of an encoded body: `{"name", "type": "block", "label"?, "body": [...]}`;
/// `body` holds the block's encoded statements in order (a repeated block is one statement per
/// instance).
pub fn encode_block(name: &str, label: Option<&str>, body: Vec<Json>) -> Json {
    let mut statement = Map::new();
    statement.insert("name".to_owned(), Json::String(name.to_owned()));
    statement.insert("type".to_owned(), Json::String("block".to_owned()));
    if let Some(label) = label {
        statement.insert("label".to_owned(), Json::String(label.to_owned()));
    }
    statement.insert("body".to_owned(), Json::Array(body));
    Json::Object(statement)
}

/// How a capsule is shown (syntax §6.4, §6.5): `(secret)`, a plain optional secret's quoted
/// text, or `capsule("<type>")`.
pub fn describe_capsule(capsule: &Capsule) -> String {
    match capsule {
        Capsule::Secret(_) => "(secret)".to_owned(),
        Capsule::OptionalSecret(o) if o.is_secret() => "(secret)".to_owned(),
        Capsule::OptionalSecret(o) => go_quote(o.expose()),
        Capsule::Handle(handle) => format!("capsule({})", go_quote(handle.type_name())),
    }
}

fn typed(type_name: &str, value: Json) -> Json {
    let mut object = Map::new();
    object.insert("type".to_owned(), Json::String(type_name.to_owned()));
    object.insert("value".to_owned(), value);
    Json::Object(object)
}

fn number(n: Number) -> Json {
    match n {
        Number::Int(i) => Json::from(i),
        Number::Uint(u) => Json::from(u),
        Number::Float(f) => {
            // Integral floats inside the i64 range are written as integers, like Go's encoder.
            let limit = 2f64.powi(63);
            if f.fract() == 0.0 && (-limit..limit).contains(&f) {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                return Json::from(i);
            }
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        }
    }
}
