//! `encoding.to_json` (syntax §7) called directly: its corpus rows of `eval/expressions.jsonl`,
//! key order, escaping and number forms (expected outputs printed by Go's `json.Marshal` for the
//! same map; `\b` and `\f` as Go 1.22 and later write them), and the E4 errors.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ferroalloy_value::stdlib::to_json::to_json;
use ferroalloy_value::{
    Capsule, Function, FunctionError, Handle, Number, Object, OptionalSecret, PathSegment, Secret,
    Value, ValuePath,
};
use serde_json::Value as Json;

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/eval/expressions.jsonl"
));

fn s(text: &str) -> Value {
    Value::string(text)
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Object>(),
    )
}

fn encode(value: Value) -> String {
    match to_json(std::slice::from_ref(&value)) {
        Ok(Value::String(text)) => text,
        other => panic!("encoding.to_json({value:?}) = {other:?}, expected text"),
    }
}

fn call_error(args: &[Value]) -> String {
    match to_json(args) {
        Err(FunctionError::Call(message)) => message,
        other => panic!("encoding.to_json({args:?}) = {other:?}, expected a call error"),
    }
}

fn corpus_row(id: &str) -> Json {
    CORPUS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Json>(line).expect("corpus row is JSON"))
        .find(|row| row["id"] == id)
        .unwrap_or_else(|| panic!("corpus row {id} exists"))
}

#[test]
fn every_corpus_row_calling_to_json_is_covered() {
    let ids: Vec<String> = CORPUS
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|row| row["expr"].as_str().is_some_and(|e| e.contains("to_json(")))
        .filter_map(|row| row["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        ids,
        [
            "stdlib/encoding.to_json-object",
            "stdlib/errors/to_json-number",
            "code/to_json-html-escape"
        ]
    );
}

#[test]
fn corpus_nested_object_with_env_value() {
    let row = corpus_row("stdlib/encoding.to_json-object");
    // sys.env("TEST_VAR") with the row's environment.
    let env = row["env"]["TEST_VAR"].as_str().expect("env").to_owned();
    let value = object(vec![(
        "modules",
        object(vec![(
            "http_2xx",
            object(vec![
                ("prober", s("http")),
                ("timeout", s("5s")),
                (
                    "http",
                    object(vec![(
                        "headers",
                        object(vec![("Authorization", Value::String(env))]),
                    )]),
                ),
            ]),
        )]),
    )]);
    assert_eq!(Json::String(encode(value)), row["value"]);
}

#[test]
fn corpus_non_object_is_refused() {
    let row = corpus_row("stdlib/errors/to_json-number");
    let rendered = format!("encoding.to_json {}", call_error(&[Value::int(12)]));
    let want = row["error_contains"].as_str().expect("error_contains");
    assert!(
        rendered.contains(want),
        "{rendered:?} should contain {want:?}"
    );
    assert_eq!(rendered, "encoding.to_json jsonEncode only supports map");
}

#[test]
fn corpus_html_characters_are_escaped() {
    let row = corpus_row("code/to_json-html-escape");
    assert_eq!(
        Json::String(encode(object(vec![("a", s("<b>&"))]))),
        row["value"]
    );
}

#[test]
fn keys_are_sorted_by_bytes_at_every_level() {
    let value = object(vec![
        ("b", Value::int(1)),
        ("a", Value::int(2)),
        ("B", Value::int(3)),
        ("é", Value::int(4)),
        ("aa", Value::int(5)),
        ("", Value::int(6)),
    ]);
    assert_eq!(encode(value), r#"{"":6,"B":3,"a":2,"aa":5,"b":1,"é":4}"#);
    let nested = object(vec![
        ("t", Value::Bool(true)),
        (
            "o",
            object(vec![("z", Value::Bool(false)), ("y", Value::Null)]),
        ),
        ("n", Value::Null),
        (
            "l",
            Value::Array(vec![
                Value::int(i64::MIN),
                Value::Number(Number::Uint(u64::MAX)),
                Value::Array(vec![]),
                object(vec![]),
                s("x"),
            ]),
        ),
    ]);
    assert_eq!(
        encode(nested),
        r#"{"l":[-9223372036854775808,18446744073709551615,[],{},"x"],"n":null,"o":{"y":null,"z":false},"t":true}"#
    );
}

#[test]
fn strings_are_escaped_like_go() {
    let text = "\"\\\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}<>&\u{2028}\u{2029}é😀";
    assert_eq!(
        encode(object(vec![("s", s(text))])),
        "{\"s\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u{7f}\\u003c\\u003e\\u0026\\u2028\\u2029é😀\"}"
    );
    // Keys are escaped the same way.
    assert_eq!(
        encode(object(vec![("<k>", Value::int(1))])),
        r#"{"\u003ck\u003e":1}"#
    );
}

#[test]
fn floats_use_go_shortest_form() {
    let cases: [(f64, &str); 15] = [
        (1.5, "1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (0.1, "0.1"),
        (3.0, "3"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (123456789.0, "123456789"),
        (1e-10, "1e-10"),
        (2.5e-8, "2.5e-8"),
        (-1e21, "-1e+21"),
        (12345678912345678.0, "12345678912345678"),
        (0.000001234, "0.000001234"),
    ];
    for (f, want) in cases {
        assert_eq!(
            encode(object(vec![("f", Value::float(f))])),
            format!("{{\"f\":{want}}}")
        );
    }
}

#[test]
fn secrets_inside_are_refused_at_their_path() {
    let secret = Value::Capsule(Capsule::Secret(Secret::new("pw")));
    let value = object(vec![
        ("a", s("fine")),
        (
            "z",
            object(vec![("list", Value::Array(vec![Value::int(1), secret]))]),
        ),
    ]);
    assert_eq!(
        to_json(&[value]),
        Err(FunctionError::Argument {
            index: 0,
            path: ValuePath(vec![
                PathSegment::Field("z".to_owned()),
                PathSegment::Field("list".to_owned()),
                PathSegment::Index(1),
            ]),
            message: "secrets may not be converted into strings".to_owned(),
        })
    );
    let flagged = Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new("pw", true)));
    assert!(matches!(
        to_json(&[object(vec![("k", flagged)])]),
        Err(FunctionError::Argument { message, .. }) if message == "secrets may not be converted into strings"
    ));
    // A plain optional secret is its text.
    let plain = Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new("<pw>", false)));
    assert_eq!(
        encode(object(vec![("k", plain)])),
        r#"{"k":"\u003cpw\u003e"}"#
    );
}

#[test]
fn functions_handles_and_non_finite_numbers_cannot_be_encoded() {
    let function = Value::Function(Function {
        name: Arc::from("string.format"),
        call: Arc::new(|_: &[Value]| Ok(Value::Null)),
    });
    assert_eq!(
        call_error(&[object(vec![("f", function)])]),
        "json: unsupported type: function"
    );
    let handle = Value::Capsule(Capsule::Handle(Handle::new(
        "pyroscope.Appendable",
        Arc::new(()) as Arc<dyn std::any::Any + Send + Sync>,
    )));
    assert_eq!(
        call_error(&[object(vec![("h", handle)])]),
        "json: unsupported type: capsule(\"pyroscope.Appendable\")"
    );
    assert_eq!(
        call_error(&[object(vec![("n", Value::float(f64::INFINITY))])]),
        "json: unsupported value: +Inf"
    );
    assert_eq!(
        call_error(&[object(vec![("n", Value::float(f64::NAN))])]),
        "json: unsupported value: NaN"
    );
}

#[test]
fn only_one_object_argument() {
    assert_eq!(call_error(&[]), "expected 1 args, got 0");
    assert_eq!(
        call_error(&[object(vec![]), object(vec![])]),
        "expected 1 args, got 2"
    );
    for value in [
        Value::Null,
        s("{}"),
        Value::Array(vec![]),
        Value::Bool(true),
    ] {
        assert_eq!(call_error(&[value]), "jsonEncode only supports map");
    }
    assert_eq!(encode(object(vec![])), "{}");
}
