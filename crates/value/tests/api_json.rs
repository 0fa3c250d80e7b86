//! The HTTP API value encoding (runtime spec §10.2): every row of
//! `conformance/syntax/encoding/values.jsonl`, compared as JSON with numbers by value, plus the
//! rules the corpus does not pin (integral floats, quoting, handles, schema order, bodies).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ferroalloy_value::api_json::{
    describe_capsule, encode_attribute, encode_block, encode_object_in_order, encode_value,
};
use ferroalloy_value::{Capsule, Function, Handle, Number, Object, OptionalSecret, Secret, Value};
use serde_json::{Value as Json, json};

const VALUES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/encoding/values.jsonl"
));

/// Build a value from the corpus value encoding (README "Value encoding").
fn value_of(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::string(s.as_str()),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::int(i),
            (None, Some(u), _) => Value::Number(Number::Uint(u)),
            (None, None, Some(f)) => Value::float(f),
            _ => panic!("unrepresentable number {n}"),
        },
        Json::Array(items) => Value::Array(items.iter().map(value_of).collect()),
        Json::Object(map) => {
            if map.len() == 1
                && let Some((tag, inner)) = map.iter().next()
                && tag.starts_with('$')
            {
                return match tag.as_str() {
                    "$secret" => Value::Capsule(Capsule::Secret(Secret::new(
                        inner.as_str().expect("secret text"),
                    ))),
                    "$optional_secret" => {
                        Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
                            inner["value"].as_str().expect("optional secret text"),
                            inner["is_secret"].as_bool().expect("is_secret"),
                        )))
                    }
                    "$function" => Value::Function(Function {
                        name: Arc::from(inner.as_str().expect("function name")),
                        call: Arc::new(|_: &[Value]| Ok(Value::Null)),
                    }),
                    other => panic!("unknown tag {other}"),
                };
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), value_of(v)))
                    .collect::<Object>(),
            )
        }
    }
}

/// JSON equality with numbers compared by value (`54` equals `54.0`).
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn every_values_row_encodes_as_expected() {
    let mut failures = Vec::new();
    let mut count = 0;
    for line in VALUES.lines().filter(|line| !line.trim().is_empty()) {
        let row: Json = serde_json::from_str(line).expect("row is JSON");
        let got = encode_value(&value_of(&row["value"]));
        count += 1;
        if !same_json(&got, &row["json"]) {
            failures.push(format!(
                "{}: got {got}, expected {}",
                row["name"], row["json"]
            ));
        }
    }
    assert_eq!(count, 14, "rows in encoding/values.jsonl");
    assert!(
        failures.is_empty(),
        "{} rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn object_entries_are_sorted_by_key_bytes_and_keep_type_then_value() {
    let value = value_of(&json!({"foo": "bar", "fizz": "buzz", "year": 2023, "B": null}));
    assert_eq!(
        serde_json::to_string(&encode_value(&value)).expect("serializes"),
        concat!(
            r#"{"type":"object","value":["#,
            r#"{"key":"B","value":{"type":"null","value":null}},"#,
            r#"{"key":"fizz","value":{"type":"string","value":"buzz"}},"#,
            r#"{"key":"foo","value":{"type":"string","value":"bar"}},"#,
            r#"{"key":"year","value":{"type":"number","value":2023}}]}"#
        )
    );
}

#[test]
fn integral_numbers_have_no_fraction() {
    let text = |v: Value| serde_json::to_string(&encode_value(&v)).expect("serializes");
    assert_eq!(text(Value::float(54.0)), r#"{"type":"number","value":54}"#);
    assert_eq!(text(Value::float(-3.0)), r#"{"type":"number","value":-3}"#);
    assert_eq!(text(Value::float(1.5)), r#"{"type":"number","value":1.5}"#);
    assert_eq!(
        text(Value::Number(Number::Uint(u64::MAX))),
        r#"{"type":"number","value":18446744073709551615}"#
    );
    assert_eq!(
        text(Value::int(i64::MIN)),
        r#"{"type":"number","value":-9223372036854775808}"#
    );
}

#[test]
fn capsules_never_show_secret_text() {
    let secret = Value::Capsule(Capsule::Secret(Secret::new("s3cr3t-pw")));
    let flagged = Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
        "s3cr3t-pw",
        true,
    )));
    let nested = Value::Array(vec![value_of(&json!({"password": null})), secret, flagged]);
    let text = serde_json::to_string(&encode_value(&nested)).expect("serializes");
    assert!(!text.contains("s3cr3t-pw"), "{text}");
    assert_eq!(
        text.matches(r#"{"type":"capsule","value":"(secret)"}"#)
            .count(),
        2,
        "{text}"
    );
}

#[test]
fn plain_optional_secrets_and_handles_are_described() {
    let plain = Capsule::OptionalSecret(OptionalSecret::new("a \"b\"\n\u{7}é\u{a0}", false));
    assert_eq!(describe_capsule(&plain), r#""a \"b\"\n\aé\u00a0""#);
    let handle = Capsule::Handle(Handle::new(
        "pyroscope.Appendable",
        Arc::new(()) as Arc<dyn std::any::Any + Send + Sync>,
    ));
    assert_eq!(
        encode_value(&Value::Capsule(handle)),
        json!({"type": "capsule", "value": "capsule(\"pyroscope.Appendable\")"})
    );
}

#[test]
fn schema_objects_keep_their_field_order() {
    let url = Value::string("http://localhost:4040");
    let timeout = Value::string("10s");
    let encoded = encode_object_in_order([("url", &url), ("remote_timeout", &timeout)]);
    assert_eq!(
        encoded,
        json!({"type": "object", "value": [
            {"key": "url", "value": {"type": "string", "value": "http://localhost:4040"}},
            {"key": "remote_timeout", "value": {"type": "string", "value": "10s"}},
        ]})
    );
    let keys: Vec<&str> = encoded["value"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["key"].as_str())
        .collect();
    assert_eq!(keys, ["url", "remote_timeout"]);
}

#[test]
fn bodies_encode_attributes_and_blocks() {
    let body = vec![
        encode_attribute("forward_to", &Value::Array(vec![])),
        encode_block(
            "endpoint",
            None,
            vec![encode_attribute("url", &Value::string("http://a"))],
        ),
        encode_block("rule", Some("first"), vec![]),
    ];
    assert_eq!(
        Json::Array(body),
        json!([
            {"name": "forward_to", "type": "attr", "value": {"type": "array", "value": []}},
            {"name": "endpoint", "type": "block", "body": [
                {"name": "url", "type": "attr", "value": {"type": "string", "value": "http://a"}},
            ]},
            {"name": "rule", "type": "block", "label": "first", "body": []},
        ])
    );
}
