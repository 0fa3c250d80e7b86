//! The standard library (syntax §7), called directly: every row of the table, every error
//! message, and the stdlib rows of `conformance/syntax/eval/expressions.jsonl` whose arguments
//! are plain literals.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ferroalloy_value::stdlib::{
    DEPRECATED_ALIASES, EXPERIMENTAL_FUNCTIONS, EnvLookup, standard_library,
};
use ferroalloy_value::value::{Capsule, FunctionError, Number, PathSegment, ValuePath};
use ferroalloy_value::{Object, OptionalSecret, Secret, Value};
use proptest::prelude::*;

fn env() -> EnvLookup {
    Arc::new(|name: &str| match name {
        "TEST_VAR" => Some("Hello!".to_owned()),
        "TEST_VAR2" => Some("Hello!".to_owned()),
        _ => None,
    })
}

/// The function at dotted `name` (`string.to_upper`, `coalesce`).
fn function(name: &str) -> ferroalloy_value::Function {
    let lib = standard_library(env());
    let mut value = Value::Object(lib);
    for part in name.split('.') {
        value = match value {
            Value::Object(o) => o.get(part).cloned().unwrap_or_else(|| panic!("no {name}")),
            other => panic!("{name}: {other:?} is not an object"),
        };
    }
    match value {
        Value::Function(f) => f,
        other => panic!("{name} is not a function: {other:?}"),
    }
}

fn call(name: &str, args: &[Value]) -> Result<Value, FunctionError> {
    (function(name).call)(args)
}

fn ok(name: &str, args: &[Value]) -> Value {
    call(name, args).unwrap_or_else(|e| panic!("{name}: unexpected error {e:?}"))
}

fn call_error(name: &str, args: &[Value]) -> String {
    match call(name, args) {
        Err(FunctionError::Call(m)) => m,
        other => panic!("{name}: expected a call error, got {other:?}"),
    }
}

/// An argument error: (index, path, message).
fn arg_error(name: &str, args: &[Value]) -> (usize, String, String) {
    match call(name, args) {
        Err(FunctionError::Argument {
            index,
            path,
            message,
        }) => (index, path.to_string(), message),
        other => panic!("{name}: expected an argument error, got {other:?}"),
    }
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn i(n: i64) -> Value {
    Value::int(n)
}

fn f(n: f64) -> Value {
    Value::float(n)
}

fn arr(items: &[Value]) -> Value {
    Value::Array(items.to_vec())
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<Object>(),
    )
}

fn secret(text: &str) -> Value {
    Value::Capsule(Capsule::Secret(Secret::new(text)))
}

fn opt(text: &str, is_secret: bool) -> Value {
    Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
        text, is_secret,
    )))
}

/// Compare values with number kinds visible (`1` and `1.0` differ), objects ignoring order.
fn assert_same(got: &Value, want: &Value) {
    fn kind(v: &Value) -> String {
        match v {
            Value::Number(Number::Int(_)) => "int".into(),
            Value::Number(Number::Uint(_)) => "uint".into(),
            Value::Number(Number::Float(_)) => "float".into(),
            Value::Array(items) => items.iter().map(kind).collect::<Vec<_>>().join(","),
            Value::Object(o) => {
                let mut ks: Vec<String> =
                    o.iter().map(|(k, v)| format!("{k}:{}", kind(v))).collect();
                ks.sort();
                ks.join(",")
            }
            other => other.value_type().to_string(),
        }
    }
    assert_eq!(got, want, "value");
    assert_eq!(kind(got), kind(want), "number kinds of {got:?}");
}

#[test]
fn library_shape() {
    let lib = standard_library(env());
    for root in [
        "array",
        "coalesce",
        "constants",
        "convert",
        "encoding",
        "file",
        "json_path",
        "string",
        "sys",
    ] {
        assert!(lib.get(root).is_some(), "missing root {root}");
    }
    for (alias, target) in DEPRECATED_ALIASES {
        let a = function(alias);
        let t = function(target);
        assert_eq!(&*a.name, *alias);
        assert_eq!(&*t.name, *target);
    }
    assert_eq!(DEPRECATED_ALIASES.len(), 16);
    assert_eq!(
        EXPERIMENTAL_FUNCTIONS,
        &["array.combine_maps", "array.group_by"]
    );
    for name in [
        "array.concat",
        "array.combine_maps",
        "array.group_by",
        "convert.nonsensitive",
        "encoding.from_json",
        "encoding.from_yaml",
        "encoding.from_base64",
        "encoding.from_URLbase64",
        "encoding.to_base64",
        "encoding.to_URLbase64",
        "encoding.to_json",
        "encoding.url_encode",
        "encoding.url_decode",
        "file.path_join",
        "string.format",
        "string.join",
        "string.replace",
        "string.split",
        "string.to_lower",
        "string.to_upper",
        "string.trim",
        "string.trim_prefix",
        "string.trim_suffix",
        "string.trim_space",
        "sys.env",
        "coalesce",
        "json_path",
    ] {
        assert_eq!(&*function(name).name, name);
    }
}

#[test]
fn constants_object() {
    let lib = standard_library(env());
    let Some(Value::Object(c)) = lib.get("constants") else {
        panic!("constants")
    };
    let keys: Vec<&str> = c.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["hostname", "os", "arch", "version"]);
    let text = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    assert!(!text("hostname").is_empty());
    if cfg!(target_os = "linux") {
        assert_eq!(text("os"), "linux");
    }
    if cfg!(target_arch = "x86_64") {
        assert_eq!(text("arch"), "amd64");
    }
    if cfg!(target_arch = "aarch64") {
        assert_eq!(text("arch"), "arm64");
    }
    assert!(text("version").starts_with('v'));
    assert_eq!(text("version").matches('.').count(), 2);
}

#[test]
fn arity_messages() {
    assert_eq!(call_error("string.to_upper", &[]), "expected 1 args, got 0");
    assert_eq!(
        call_error("string.join", &[s("a")]),
        "expected 2 args, got 1"
    );
    assert_eq!(
        call_error("string.replace", &[s("a")]),
        "expected 3 args, got 1"
    );
    assert_eq!(
        call_error("sys.env", &[s("a"), s("b")]),
        "expected 1 args, got 2"
    );
    assert_eq!(
        call_error("json_path", &[s("{}")]),
        "expected 2 args, got 1"
    );
    assert_eq!(
        call_error("encoding.from_json", &[]),
        "expected 1 args, got 0"
    );
    assert_eq!(
        call_error("convert.nonsensitive", &[]),
        "expected 1 args, got 0"
    );
    assert_eq!(call_error("env", &[]), "expected 1 args, got 0");
}

#[test]
fn arguments_convert_like_attributes() {
    assert_same(&ok("string.to_upper", &[i(12)]), &s("12"));
    assert_eq!(
        arg_error("string.to_upper", &[Value::Bool(true)]),
        (0, String::new(), "should be string, got bool".into())
    );
    assert_eq!(
        arg_error("string.to_upper", &[secret("x")]),
        (
            0,
            String::new(),
            "secrets may not be converted into strings".into()
        )
    );
    assert_same(&ok("string.to_upper", &[opt("abc", false)]), &s("ABC"));
    assert_same(&ok("string.to_upper", &[Value::Null]), &s(""));
    assert_eq!(
        arg_error("string.join", &[arr(&[s("a"), Value::Bool(true)]), s(",")]),
        (0, "[1]".into(), "should be string, got bool".into())
    );
    assert_eq!(
        arg_error("string.join", &[s("a"), s(",")]),
        (0, String::new(), "should be array, got string".into())
    );
    assert_eq!(
        arg_error("string.split", &[s("a"), arr(&[])]),
        (1, String::new(), "should be string, got array".into())
    );
}

#[test]
fn sys_env() {
    assert_same(&ok("sys.env", &[s("TEST_VAR")]), &s("Hello!"));
    assert_same(&ok("env", &[s("TEST_VAR")]), &s("Hello!"));
    assert_same(&ok("sys.env", &[s("FERROALLOY_CONFORMANCE_UNSET")]), &s(""));
    let process = standard_library(ferroalloy_value::stdlib::process_env());
    let Some(Value::Object(sys)) = process.get("sys") else {
        panic!("sys")
    };
    let Some(Value::Function(env)) = sys.get("env") else {
        panic!("sys.env")
    };
    assert_same(
        &(env.call)(&[s("FERROALLOY_CONFORMANCE_UNSET")]).unwrap(),
        &s(""),
    );
    assert_same(&(env.call)(&[s("")]).unwrap(), &s(""));
    assert_same(&(env.call)(&[s("A=B")]).unwrap(), &s(""));
}

#[test]
fn strings() {
    assert_same(&ok("string.to_lower", &[s("String")]), &s("string"));
    assert_same(&ok("to_lower", &[s("String")]), &s("string"));
    assert_same(&ok("string.to_upper", &[s("string")]), &s("STRING"));
    assert_same(&ok("string.to_upper", &[s("straße ǆ é")]), &s("STRAßE Ǆ É"));
    assert_same(
        &ok("string.to_lower", &[s("İSTANBUL ΣΑΣ")]),
        &s("istanbul σασ"),
    );
    assert_same(
        &ok("string.trim_space", &[s("   string \n\n")]),
        &s("string"),
    );
    assert_same(
        &ok("string.trim_space", &[s("\u{a0}\u{3000}x\u{85}\u{2029}")]),
        &s("x"),
    );
    assert_same(&ok("trim_space", &[s("   string \n\n")]), &s("string"));
    assert_same(&ok("string.trim", &[s("?!hello?!"), s("!?")]), &s("hello"));
    assert_same(
        &ok("string.trim", &[s("   hello! world.!  "), s("! ")]),
        &s("hello! world."),
    );
    assert_same(&ok("string.trim", &[s("foobar"), s("far")]), &s("oob"));
    assert_same(&ok("string.trim", &[s("foobar"), s("")]), &s("foobar"));
    assert_same(
        &ok("string.trim_prefix", &[s("helloworld"), s("hello")]),
        &s("world"),
    );
    assert_same(
        &ok("string.trim_prefix", &[s("hellohello"), s("hello")]),
        &s("hello"),
    );
    assert_same(
        &ok("string.trim_prefix", &[s("world"), s("hello")]),
        &s("world"),
    );
    assert_same(
        &ok("string.trim_suffix", &[s("helloworld"), s("world")]),
        &s("hello"),
    );
    assert_same(
        &ok("string.trim_suffix", &[s("worldworld"), s("world")]),
        &s("world"),
    );
    assert_same(
        &ok("string.replace", &[s("Hello World"), s(" World"), s("!")]),
        &s("Hello!"),
    );
    assert_same(
        &ok("string.replace", &[s("aaa"), s("aa"), s("b")]),
        &s("ba"),
    );
    assert_same(
        &ok("string.replace", &[s("ab"), s(""), s("-")]),
        &s("-a-b-"),
    );
    assert_same(&ok("string.replace", &[s("é"), s(""), s("-")]), &s("-é-"));
    let split = |a: &str, b: &str| ok("string.split", &[s(a), s(b)]);
    assert_same(
        &split("/aaa/bbb/ccc/ddd", "/"),
        &arr(&[s(""), s("aaa"), s("bbb"), s("ccc"), s("ddd")]),
    );
    assert_same(&split("", ","), &arr(&[s("")]));
    assert_same(&split("abé", ""), &arr(&[s("a"), s("b"), s("é")]));
    assert_same(&split("", ""), &arr(&[]));
    assert_same(&split("a,b,", ","), &arr(&[s("a"), s("b"), s("")]));
    assert_same(
        &ok(
            "string.join",
            &[arr(&[s("foo"), s("bar"), s("baz")]), s(", ")],
        ),
        &s("foo, bar, baz"),
    );
    assert_same(
        &ok("string.join", &[arr(&[i(0), i(0), i(1)]), s(", ")]),
        &s("0, 0, 1"),
    );
    assert_same(
        &ok("string.join", &[arr(&[f(1.5), opt("x", false)]), s("")]),
        &s("1.5x"),
    );
    assert_same(&ok("string.join", &[arr(&[]), s(",")]), &s(""));
    // join(split(...)) round trip from the corpus
    let parts = split("/aaa/bbb/ccc/ddd", "/");
    assert_same(&ok("join", &[parts, s("/")]), &s("/aaa/bbb/ccc/ddd"));
}

#[test]
fn array_concat() {
    assert_same(
        &ok(
            "array.concat",
            &[
                arr(&[Value::Bool(true), s("foo")]),
                arr(&[]),
                arr(&[Value::Bool(false), i(1)]),
            ],
        ),
        &arr(&[Value::Bool(true), s("foo"), Value::Bool(false), i(1)]),
    );
    assert_same(&ok("concat", &[arr(&[i(1)])]), &arr(&[i(1)]));
    assert_same(&ok("array.concat", &[]), &arr(&[]));
    assert_same(
        &ok(
            "array.concat",
            &[
                arr(&[arr(&[i(1), i(2)]), arr(&[i(3), i(4)])]),
                arr(&[arr(&[i(5), i(6)])]),
            ],
        ),
        &arr(&[arr(&[i(1), i(2)]), arr(&[i(3), i(4)]), arr(&[i(5), i(6)])]),
    );
    assert_eq!(
        arg_error("array.concat", &[arr(&[i(1)]), i(2)]),
        (1, String::new(), "should be array, got number".into())
    );
    assert_eq!(
        arg_error("array.concat", &[Value::Null]),
        (0, String::new(), "should be array, got null".into())
    );
}

fn ab(a: Value, b: Value) -> Value {
    obj(&[("a", a), ("b", b)])
}

#[test]
fn array_combine_maps_corpus() {
    let keys_a = arr(&[s("a")]);
    // basic
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[obj(&[("a", s("a1")), ("b", s("b1"))])]),
                arr(&[obj(&[("a", s("a1")), ("c", s("c1"))])]),
                keys_a.clone(),
            ],
        ),
        &arr(&[obj(&[("a", s("a1")), ("b", s("b1")), ("c", s("c1"))])]),
    );
    // non-unique criteria
    let pods = |p: &[&str]| {
        arr(&p
            .iter()
            .map(|x| obj(&[("pod", s(x)), ("lbl", s("q"))]))
            .collect::<Vec<_>>())
    };
    assert_same(
        &ok(
            "array.combine_maps",
            &[pods(&["a", "b"]), pods(&["c", "d"]), arr(&[s("lbl")])],
        ),
        &pods(&["c", "d", "c", "d"]),
    );
    // int and string; rhs overrides
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[ab(i(1), f(2.2))]),
                arr(&[obj(&[("a", i(1)), ("c", s("c1"))])]),
                keys_a.clone(),
            ],
        ),
        &arr(&[obj(&[("a", i(1)), ("b", f(2.2)), ("c", s("c1"))])]),
    );
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[ab(i(1), f(2.2))]),
                arr(&[ab(i(1), s("3.3"))]),
                keys_a.clone(),
            ],
        ),
        &arr(&[ab(i(1), s("3.3"))]),
    );
    // no match, type mismatch
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[ab(i(1), f(2.2))]),
                arr(&[ab(i(2), s("3.3"))]),
                keys_a.clone(),
            ],
        ),
        &arr(&[]),
    );
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[ab(i(1), f(2.2))]),
                arr(&[ab(s("1"), s("3.3"))]),
                keys_a.clone(),
            ],
        ),
        &arr(&[]),
    );
    // passthrough
    let l = arr(&[
        obj(&[("a", i(1)), ("b", f(4.2)), ("c", i(5))]),
        obj(&[("d", s("asdf"))]),
    ]);
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                l.clone(),
                arr(&[ab(i(2), s("5.3"))]),
                keys_a.clone(),
                Value::Bool(true),
            ],
        ),
        &l,
    );
    let l3 = arr(&[
        obj(&[("a", i(1)), ("b", f(4.2)), ("c", i(5))]),
        obj(&[("d", s("asdf"))]),
        obj(&[("a", i(2)), ("b", s("1")), ("z", s("z1"))]),
    ]);
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                l3,
                arr(&[ab(i(2), s("5.3"))]),
                keys_a.clone(),
                Value::Bool(true),
            ],
        ),
        &arr(&[
            obj(&[("a", i(1)), ("b", f(4.2)), ("c", i(5))]),
            obj(&[("d", s("asdf"))]),
            obj(&[("a", i(2)), ("z", s("z1")), ("b", s("5.3"))]),
        ]),
    );
    // key missing on either side
    let an = |a: Option<i64>, n: f64| {
        let mut fields = vec![];
        if let Some(a) = a {
            fields.push(("a", i(a)));
        }
        fields.push(("n", f(n)));
        obj(&fields)
    };
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[an(Some(1), 1.1)]),
                arr(&[an(Some(1), 2.1), an(None, 2.2)]),
                keys_a.clone(),
            ],
        ),
        &arr(&[an(Some(1), 2.1)]),
    );
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[an(Some(1), 1.1), an(None, 1.2)]),
                arr(&[an(Some(1), 2.1)]),
                keys_a.clone(),
            ],
        ),
        &arr(&[an(Some(1), 2.1)]),
    );
    // multiple keys, one missing → nothing
    let abn = |a: i64, b: i64, n: f64| obj(&[("a", i(a)), ("b", i(b)), ("n", f(n))]);
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[abn(1, 3, 1.1)]),
                arr(&[abn(1, 3, 2.1)]),
                arr(&[s("a"), s("b")]),
            ],
        ),
        &arr(&[abn(1, 3, 2.1)]),
    );
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[abn(1, 3, 1.1)]),
                arr(&[abn(1, 3, 2.1)]),
                arr(&[s("a"), s("b"), s("c")]),
            ],
        ),
        &arr(&[]),
    );
    // cross product: 3 × 3
    let l = arr(&[an(Some(1), 1.1), an(Some(1), 1.2), an(Some(1), 1.3)]);
    let r = arr(&[an(Some(1), 2.1), an(Some(1), 2.2), an(Some(1), 2.3)]);
    let Value::Array(out) = ok("array.combine_maps", &[l, r.clone(), keys_a]) else {
        panic!()
    };
    let Value::Array(r) = r else { panic!() };
    assert_eq!(out.len(), 9);
    for (k, v) in out.iter().enumerate() {
        assert_same(v, &r[k % 3]);
    }
}

#[test]
fn array_combine_maps_deviations_and_errors() {
    // E6: an unmatched left element is emitted once.
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[obj(&[("a", i(1))])]),
                arr(&[obj(&[("a", i(2))]), obj(&[("a", i(3))])]),
                arr(&[s("a")]),
                Value::Bool(true),
            ],
        ),
        &arr(&[obj(&[("a", i(1))])]),
    );
    assert_same(
        &ok(
            "array.combine_maps",
            &[
                arr(&[obj(&[("a", i(1))])]),
                arr(&[ab(i(1), i(2)), obj(&[("a", i(3))])]),
                arr(&[s("a")]),
                Value::Bool(true),
            ],
        ),
        &arr(&[ab(i(1), i(2))]),
    );
    let one = arr(&[obj(&[("a", s("a1"))])]);
    assert_eq!(
        call_error("array.combine_maps", &[one.clone(), one.clone()]),
        "combine_maps: expected 3 or 4 arguments, got 2"
    );
    assert_eq!(
        call_error(
            "array.combine_maps",
            &[
                one.clone(),
                one.clone(),
                one.clone(),
                Value::Bool(true),
                Value::Bool(true)
            ]
        ),
        "combine_maps: expected 3 or 4 arguments, got 5"
    );
    assert_eq!(
        arg_error("array.combine_maps", &[one.clone(), s("a"), arr(&[s("a")])]),
        (1, String::new(), "should be array, got string".into())
    );
    assert_eq!(
        arg_error(
            "array.combine_maps",
            &[one.clone(), arr(&[s("a")]), arr(&[s("a")])]
        ),
        (1, "[0]".into(), "should be object, got string".into())
    );
    assert_eq!(
        arg_error(
            "array.combine_maps",
            &[arr(&[i(1)]), one.clone(), arr(&[s("a")])]
        ),
        (0, "[0]".into(), "should be object, got number".into())
    );
    assert_eq!(
        arg_error("array.combine_maps", &[one.clone(), one.clone(), s("a")]),
        (2, String::new(), "should be array, got string".into())
    );
    assert_eq!(
        arg_error(
            "array.combine_maps",
            &[one.clone(), one.clone(), arr(&[i(1)])]
        ),
        (2, "[0]".into(), "should be string, got number".into())
    );
    assert_eq!(
        call_error("array.combine_maps", &[one.clone(), one.clone(), arr(&[])]),
        "combine_maps: merge conditions must not be empty"
    );
    assert_eq!(
        arg_error(
            "array.combine_maps",
            &[one.clone(), one.clone(), arr(&[s("a")]), s("yes")]
        ),
        (3, String::new(), "should be bool, got string".into())
    );
}

#[test]
fn array_group_by() {
    let fruit = |t: &str, n: &str| obj(&[("type", s(t)), ("name", s(n))]);
    assert_same(
        &ok(
            "array.group_by",
            &[
                arr(&[
                    fruit("fruit", "apple"),
                    fruit("fruit", "banana"),
                    fruit("vegetable", "carrot"),
                ]),
                s("type"),
                Value::Bool(false),
            ],
        ),
        &arr(&[
            obj(&[
                ("type", s("fruit")),
                (
                    "items",
                    arr(&[fruit("fruit", "apple"), fruit("fruit", "banana")]),
                ),
            ]),
            obj(&[
                ("type", s("vegetable")),
                ("items", arr(&[fruit("vegetable", "carrot")])),
            ]),
        ]),
    );
    let people = arr(&[
        obj(&[("name", s("alice")), ("age", s("20"))]),
        obj(&[("name", s("bob"))]),
        obj(&[("name", s("charlie")), ("age", s("30"))]),
    ]);
    assert_same(
        &ok(
            "array.group_by",
            &[people.clone(), s("age"), Value::Bool(true)],
        ),
        &arr(&[
            obj(&[
                ("age", s("20")),
                (
                    "items",
                    arr(&[obj(&[("name", s("alice")), ("age", s("20"))])]),
                ),
            ]),
            obj(&[
                ("age", s("30")),
                (
                    "items",
                    arr(&[obj(&[("name", s("charlie")), ("age", s("30"))])]),
                ),
            ]),
        ]),
    );
    assert_same(
        &ok("array.group_by", &[people, s("age"), Value::Bool(false)]),
        &arr(&[
            obj(&[
                ("age", s("20")),
                (
                    "items",
                    arr(&[obj(&[("name", s("alice")), ("age", s("20"))])]),
                ),
            ]),
            obj(&[
                ("age", s("")),
                ("items", arr(&[obj(&[("name", s("bob"))])])),
            ]),
            obj(&[
                ("age", s("30")),
                (
                    "items",
                    arr(&[obj(&[("name", s("charlie")), ("age", s("30"))])]),
                ),
            ]),
        ]),
    );
    assert_same(
        &ok("array.group_by", &[arr(&[]), s("age"), Value::Bool(false)]),
        &arr(&[]),
    );
    let nested = obj(&[
        ("name", s("alice")),
        ("address", obj(&[("city", s("New York"))])),
    ]);
    assert_same(
        &ok(
            "array.group_by",
            &[
                arr(std::slice::from_ref(&nested)),
                s("address.city"),
                Value::Bool(false),
            ],
        ),
        &arr(&[obj(&[("address.city", s("")), ("items", arr(&[nested]))])]),
    );
    // E6: groups in order of first appearance
    let k = |v: &str| obj(&[("k", s(v))]);
    let Value::Array(groups) = ok(
        "array.group_by",
        &[
            arr(&[k("b"), k("a"), obj(&[("x", i(1))]), k("b")]),
            s("k"),
            Value::Bool(false),
        ],
    ) else {
        panic!()
    };
    let names: Vec<&str> = groups
        .iter()
        .map(|g| match g {
            Value::Object(o) => o.get("k").and_then(Value::as_str).unwrap_or("?"),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["b", "a", ""]);
    // errors
    let alice = arr(&[obj(&[("name", s("alice"))])]);
    assert_eq!(
        call_error("array.group_by", &[alice.clone(), s("age")]),
        "group_by: expected 3 arguments, got 2"
    );
    assert_eq!(
        arg_error(
            "array.group_by",
            &[s("not an array"), s("age"), Value::Bool(false)]
        ),
        (0, String::new(), "should be array, got string".into())
    );
    assert_eq!(
        arg_error(
            "array.group_by",
            &[alice.clone(), i(123), Value::Bool(false)]
        ),
        (1, String::new(), "should be string, got number".into())
    );
    assert_eq!(
        arg_error("array.group_by", &[alice, s("age"), s("not a bool")]),
        (2, String::new(), "should be bool, got string".into())
    );
    assert_eq!(
        arg_error(
            "array.group_by",
            &[arr(&[s("not an object")]), s("age"), Value::Bool(false)]
        ),
        (0, "[0]".into(), "should be object, got string".into())
    );
    match call(
        "array.group_by",
        &[
            arr(&[obj(&[("name", s("alice")), ("age", i(20))])]),
            s("age"),
            Value::Bool(false),
        ],
    ) {
        Err(FunctionError::Argument {
            index: 0,
            path,
            message,
        }) => {
            assert_eq!(
                path,
                ValuePath(vec![
                    PathSegment::Index(0),
                    PathSegment::Field("age".into())
                ])
            );
            assert_eq!(message, "should be string, got number");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn coalesce() {
    assert_same(&ok("coalesce", &[]), &Value::Null);
    assert_same(&ok("coalesce", &[s("Hello!")]), &s("Hello!"));
    assert_same(&ok("coalesce", &[s(""), s("World!")]), &s("World!"));
    assert_same(
        &ok("coalesce", &[arr(&[]), arr(&[s("fallback")])]),
        &arr(&[s("fallback")]),
    );
    assert_same(
        &ok("coalesce", &[arr(&[s("item")]), arr(&[s("fallback")])]),
        &arr(&[s("item")]),
    );
    assert_same(&ok("coalesce", &[i(0), i(1), i(2)]), &i(1));
    assert_same(&ok("coalesce", &[Value::Bool(false), i(1), i(2)]), &i(1));
    assert_same(
        &ok("coalesce", &[Value::Bool(false), Value::Bool(true)]),
        &Value::Bool(true),
    );
    assert_same(
        &ok("coalesce", &[obj(&[]), Value::Bool(false)]),
        &Value::Bool(false),
    );
    assert_same(&ok("coalesce", &[arr(&[]), Value::Null]), &Value::Null);
    assert_same(
        &ok("coalesce", &[opt("bar", false), i(1)]),
        &opt("bar", false),
    );
    assert_same(&ok("coalesce", &[s("foo"), opt("bar", false)]), &s("foo"));
    assert_same(&ok("coalesce", &[i(1), opt("123", false)]), &i(1));
    assert_same(&ok("coalesce", &[f(0.0), f(-0.0), i(3)]), &f(-0.0));
    assert_same(
        &ok(
            "coalesce",
            &[
                Value::Number(Number::Uint(0)),
                secret(""),
                opt("", true),
                s("x"),
            ],
        ),
        &s("x"),
    );
    assert_same(&ok("coalesce", &[secret("pw"), s("x")]), &secret("pw"));
    assert_same(&ok("coalesce", &[Value::Null, Value::Null]), &Value::Null);
}

#[test]
fn nonsensitive() {
    assert_same(&ok("convert.nonsensitive", &[secret("foo")]), &s("foo"));
    assert_same(&ok("nonsensitive", &[secret("foo")]), &s("foo"));
    assert_same(&ok("convert.nonsensitive", &[opt("bar", false)]), &s("bar"));
    assert_same(&ok("convert.nonsensitive", &[opt("bar", true)]), &s("bar"));
    assert_same(&ok("convert.nonsensitive", &[s("plain")]), &s("plain"));
    assert_eq!(
        arg_error("convert.nonsensitive", &[i(5)]),
        (0, String::new(), "should be capsule, got number".into())
    );
}

#[test]
fn json_decoding() {
    assert_same(
        &ok("encoding.from_json", &[s(r#"{"foo": "bar"}"#)]),
        &obj(&[("foo", s("bar"))]),
    );
    assert_same(
        &ok("json_decode", &[s(r#"{"foo": "bar"}"#)]),
        &obj(&[("foo", s("bar"))]),
    );
    assert_same(
        &ok("encoding.from_json", &[s("[0, 1, 2]")]),
        &arr(&[f(0.0), f(1.0), f(2.0)]),
    );
    assert_same(
        &ok("encoding.from_json", &[s(r#"{"foo": null}"#)]),
        &obj(&[("foo", Value::Null)]),
    );
    assert_same(
        &ok("encoding.from_json", &[s("[0, null]")]),
        &arr(&[f(0.0), Value::Null]),
    );
    assert_same(&ok("encoding.from_json", &[s("15")]), &f(15.0));
    assert_same(&ok("encoding.from_json", &[s("7")]), &f(7.0));
    assert_same(&ok("encoding.from_json", &[s("[]")]), &arr(&[]));
    assert_same(&ok("encoding.from_json", &[s("{}")]), &obj(&[]));
    assert_same(
        &ok("encoding.from_json", &[s(r#"{"a": 1, "a": 2}"#)]),
        &obj(&[("a", f(2.0))]),
    );
    assert_same(&ok("encoding.from_json", &[s(r#""\u00e9""#)]), &s("é"));
    assert_same(
        &ok("encoding.from_json", &[s("18446744073709551616")]),
        &f(18446744073709551616.0),
    );
    // Correctly rounded, like Go's ParseFloat (serde_json's fast path is not, without
    // `float_roundtrip`).
    assert_same(
        &ok("encoding.from_json", &[s("1.1543517405100283e-239")]),
        &f(1.1543517405100283e-239),
    );
    assert_same(&ok("encoding.from_json", &[s("0.1")]), &f(0.1));
    let Value::Object(o) = ok("encoding.from_json", &[s(r#"{"z": 1, "a": 2}"#)]) else {
        panic!()
    };
    assert_eq!(
        o.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["z", "a"]
    );
    for bad in ["", "{", "[1,]", "nul", "{\"a\" 1}", "1 2"] {
        let m = call_error("encoding.from_json", &[s(bad)]);
        assert!(!m.is_empty(), "{bad:?}");
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert!(call("encoding.from_json", &[s(&deep)]).is_err());
}

#[test]
fn yaml_decoding() {
    let y = |text: &str| ok("encoding.from_yaml", &[s(text)]);
    assert_same(&y("foo: bar"), &obj(&[("foo", s("bar"))]));
    assert_same(
        &ok("yaml_decode", &[s("foo: bar")]),
        &obj(&[("foo", s("bar"))]),
    );
    assert_same(&y("[0, 1, 2]"), &arr(&[i(0), i(1), i(2)]));
    assert_same(&y("[0.0, 1.0, 2.0]"), &arr(&[f(0.0), f(1.0), f(2.0)]));
    assert_same(&y("foo: null"), &obj(&[("foo", Value::Null)]));
    assert_same(&y("[0, null]"), &arr(&[i(0), Value::Null]));
    assert_same(&y(""), &Value::Null);
    assert_same(&y("# only a comment\n"), &Value::Null);
    assert_same(&y("---\n"), &Value::Null);
    assert_same(&y("a: 1\n---\nb: 2\n"), &obj(&[("a", i(1))]));
    // E7: keys that are not strings become their text.
    assert_same(
        &y("1: a\ntrue: b"),
        &obj(&[("1", s("a")), ("true", s("b"))]),
    );
    assert_same(&y("? [a, b]\n: c"), &obj(&[("[a, b]", s("c"))]));
    // yaml.v3 scalar resolution
    assert_same(
        &y(
            "[~, Null, NULL, True, FALSE, yes, 0x1F, 0o17, 017, 0b11, 1_000, -5, +5, 08, 1e3, .5, 3., -.inf, '1', \"true\", 2001-12-14, 18446744073709551615, 99999999999999999999]",
        ),
        &arr(&[
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            s("yes"),
            i(31),
            i(15),
            i(15),
            i(3),
            i(1000),
            i(-5),
            i(5),
            f(8.0),
            f(1000.0),
            f(0.5),
            f(3.0),
            f(f64::NEG_INFINITY),
            s("1"),
            s("true"),
            s("2001-12-14"),
            Value::Number(Number::Uint(u64::MAX)),
            f(1e20),
        ]),
    );
    assert_same(&y("!!str 5"), &s("5"));
    assert_same(&y("!!int '5'"), &i(5));
    assert_same(&y("!custom 5"), &i(5));
    assert_same(&y("|\n  line1\n  line2\n"), &s("line1\nline2\n"));
    // anchors, aliases and merge keys
    assert_same(
        &y("a: &x [1, 2]\nb: *x"),
        &obj(&[("a", arr(&[i(1), i(2)])), ("b", arr(&[i(1), i(2)]))]),
    );
    assert_same(
        &y("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n"),
        &obj(&[
            ("base", obj(&[("x", i(1)), ("y", i(2))])),
            ("derived", obj(&[("x", i(1)), ("y", i(3))])),
        ]),
    );
    assert_same(
        &y("d:\n  y: 3\n  <<: [{x: 1, y: 2}, {x: 9, z: 4}]\n"),
        &obj(&[("d", obj(&[("y", i(3)), ("x", i(1)), ("z", i(4))]))]),
    );
    // errors
    assert_eq!(
        call_error("encoding.from_yaml", &[s("a: 1\na: 2")]),
        r#"yaml: mapping key "a" already defined"#
    );
    for bad in ["a: [", "{a: 1", "a: b: c", "*unknown", "<<: 1"] {
        let m = call_error("encoding.from_yaml", &[s(bad)]);
        assert!(m.starts_with("yaml: "), "{bad:?} → {m}");
    }
}

#[test]
fn yaml_bounds() {
    // Billion laughs: exponential alias expansion is refused.
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let prev = level - 1;
        let refs = vec![format!("*a{prev}"); 10].join(", ");
        doc.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    assert_eq!(
        call_error("encoding.from_yaml", &[s(&doc)]),
        "yaml: document contains excessive aliasing"
    );
    // Deep nesting is refused (by the parser's own limit or by ours), never a stack overflow.
    for depth in [300, 5000, 100_000] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let m = call_error("encoding.from_yaml", &[s(&deep)]);
        assert!(
            m.starts_with("yaml: ") && (m.contains("depth") || m.contains("recursion")),
            "{m}"
        );
        if depth > 1000 {
            let deep = "- ".repeat(depth) + "1";
            assert!(call_error("encoding.from_yaml", &[s(&deep)]).starts_with("yaml: "));
        }
    }
    // Moderate aliasing is fine.
    assert_same(
        &ok("encoding.from_yaml", &[s("a: &a [1]\nb: [*a, *a, *a]")]),
        &obj(&[
            ("a", arr(&[i(1)])),
            ("b", arr(&[arr(&[i(1)]), arr(&[i(1)]), arr(&[i(1)])])),
        ]),
    );
}

#[test]
fn base64() {
    assert_same(
        &ok("encoding.from_base64", &[s("Zm9vYmFyMTIzIT8kKiYoKSctPUB+")]),
        &s("foobar123!?$*&()'-=@~"),
    );
    assert_same(
        &ok("base64_decode", &[s("Zm9vYmFyMTIzIT8kKiYoKSctPUB+")]),
        &s("foobar123!?$*&()'-=@~"),
    );
    assert_same(
        &ok(
            "encoding.from_URLbase64",
            &[s("c3RyaW5nMTIzIT8kKiYoKSctPUB-")],
        ),
        &s("string123!?$*&()'-=@~"),
    );
    assert_same(
        &ok("encoding.to_base64", &[s("string123!?$*&()'-=@~")]),
        &s("c3RyaW5nMTIzIT8kKiYoKSctPUB+"),
    );
    assert_same(
        &ok("encoding.to_URLbase64", &[s("string123!?$*&()'-=@~")]),
        &s("c3RyaW5nMTIzIT8kKiYoKSctPUB-"),
    );
    assert_same(&ok("encoding.to_base64", &[s("a")]), &s("YQ=="));
    assert_same(&ok("encoding.to_base64", &[s("")]), &s(""));
    assert_same(&ok("encoding.from_base64", &[s("YQ==")]), &s("a"));
    assert_same(&ok("encoding.from_base64", &[s("YWI=")]), &s("ab"));
    assert_same(&ok("encoding.from_base64", &[s("")]), &s(""));
    assert_same(&ok("encoding.from_base64", &[s("YW\nJj\r\n")]), &s("abc"));
    // Go's offsets
    for (input, at) in [
        ("YQ", 0),
        ("YQ=", 3),
        ("Y", 0),
        ("Y===", 1),
        ("====", 0),
        ("YWJj!", 4),
        ("YQ==YQ==", 4),
        ("YWJjZA=", 7),
        ("YWJjZA=x", 6),
        ("YW-j", 2),
        ("YQ==\nx", 5),
        ("Zm9vYmFyMTIzIT8kKiYoKSctPUB-", 27),
    ] {
        assert_eq!(
            call_error("encoding.from_base64", &[s(input)]),
            format!("illegal base64 data at input byte {at}"),
            "input {input:?}"
        );
    }
    assert_eq!(
        call_error("encoding.from_URLbase64", &[s("c3Ry+")]),
        "illegal base64 data at input byte 4"
    );
    assert_eq!(
        call_error("encoding.from_base64", &[s("/w==")]),
        "decoded data is not valid UTF-8"
    );
}

#[test]
fn url_escaping() {
    assert_same(
        &ok("encoding.url_encode", &[s("string123!?$*&()'-=@~")]),
        &s("string123%21%3F%24%2A%26%28%29%27-%3D%40~"),
    );
    assert_same(
        &ok(
            "encoding.url_decode",
            &[s("string123%21%3F%24%2A%26%28%29%27-%3D%40~")],
        ),
        &s("string123!?$*&()'-=@~"),
    );
    assert_same(
        &ok("encoding.url_encode", &[s("a b/é._~")]),
        &s("a+b%2F%C3%A9._~"),
    );
    assert_same(
        &ok("encoding.url_decode", &[s("a+b%2f%C3%A9")]),
        &s("a b/é"),
    );
    assert_eq!(
        call_error("encoding.url_decode", &[s("100%")]),
        r#"invalid URL escape "%""#
    );
    assert_eq!(
        call_error("encoding.url_decode", &[s("%zzz")]),
        r#"invalid URL escape "%zz""#
    );
    assert_eq!(
        call_error("encoding.url_decode", &[s("%a")]),
        r#"invalid URL escape "%a""#
    );
    assert_eq!(
        call_error("encoding.url_decode", &[s("%aé")]),
        r#"invalid URL escape "%a\xc3""#
    );
    assert_eq!(
        call_error("encoding.url_decode", &[s("%ff")]),
        "decoded data is not valid UTF-8"
    );
}

#[test]
fn path_join() {
    let join = |parts: &[&str]| {
        ok(
            "file.path_join",
            &parts.iter().map(|p| s(p)).collect::<Vec<_>>(),
        )
    };
    if cfg!(unix) {
        assert_same(&join(&["this/is", "a/path"]), &s("this/is/a/path"));
        assert_same(&join(&[]), &s(""));
        assert_same(&join(&["", ""]), &s(""));
        assert_same(&join(&["a", ""]), &s("a"));
        assert_same(&join(&["", "a"]), &s("a"));
        assert_same(&join(&["/", "a"]), &s("/a"));
        assert_same(&join(&["a/", "/b//c"]), &s("a/b/c"));
        assert_same(&join(&["a/./b", "../c"]), &s("a/c"));
        assert_same(&join(&["../a", "../../b"]), &s("../../b"));
        assert_same(&join(&["/..", "a"]), &s("/a"));
        assert_same(&join(&["a", ".."]), &s("."));
        assert_same(&join(&["."]), &s("."));
        assert_same(&join(&["/"]), &s("/"));
    }
    assert_eq!(
        arg_error("file.path_join", &[s("a"), Value::Bool(true)]),
        (1, String::new(), "should be string, got bool".into())
    );
}

#[test]
fn json_path() {
    let q = |json: &str, path: &str| ok("json_path", &[s(json), s(path)]);
    assert_same(&q(r#"{"a": "b"}"#, ".a"), &arr(&[s("b")]));
    assert_same(&q(r#"{"a": "b"}"#, "$.a"), &arr(&[s("b")]));
    assert_same(&q(r#"{"a": "b"}"#, ".nonexists"), &arr(&[]));
    assert_same(
        &q(
            r#"[{"name": "Department","value": "IT"},{"name":"ReferenceNumber","value":"123456"},{"name":"TestStatus","value":"Pending"}]"#,
            r#"[?(@.name == "Department")].value"#,
        ),
        &arr(&[s("IT")]),
    );
    assert_same(
        &q("[1, 2.5, {\"x\": 3}]", "[*]"),
        &arr(&[i(1), f(2.5), obj(&[("x", i(3))])]),
    );
    assert_same(
        &q(r#"{"a": {"b": 1}, "c": {"b": 2}}"#, "..b"),
        &arr(&[i(1), i(2)]),
    );
    assert!(!call_error("json_path", &[s("{"), s(".a")]).is_empty());
    assert!(!call_error("json_path", &[s("{}"), s(".[")]).is_empty());
}

#[test]
fn format_and_to_json_are_registered() {
    assert_same(
        &ok("string.format", &[s("Hello %s"), s("World")]),
        &s("Hello World"),
    );
    assert_same(&ok("format", &[s("%#v"), i(1)]), &s("1"));
    assert_same(
        &ok("encoding.to_json", &[obj(&[("b", i(1)), ("a", s("<"))])]),
        &s(r#"{"a":"\u003c","b":1}"#),
    );
    assert_eq!(
        call_error("encoding.to_json", &[i(1)]),
        "jsonEncode only supports map"
    );
}

proptest! {
    #[test]
    fn decoders_never_panic(text in "\\PC{0,40}") {
        for name in ["encoding.from_yaml", "encoding.from_json", "encoding.from_base64",
                     "encoding.from_URLbase64", "encoding.url_decode"] {
            let _ = call(name, &[s(&text)]);
        }
        let _ = call("json_path", &[s("{\"a\": [1, 2]}"), s(&text)]);
    }

    #[test]
    fn yaml_soup_never_panics(text in "[-:&*!\\[\\]{}<>|#'\" a-c0-2\n.,?]{0,60}") {
        let _ = call("encoding.from_yaml", &[s(&text)]);
    }

    #[test]
    fn base64_round_trips(text in "\\PC{0,40}") {
        let encoded = ok("encoding.to_base64", &[s(&text)]);
        prop_assert_eq!(ok("encoding.from_base64", &[encoded]), s(&text));
        let encoded = ok("encoding.to_URLbase64", &[s(&text)]);
        prop_assert_eq!(ok("encoding.from_URLbase64", &[encoded]), s(&text));
    }

    #[test]
    fn url_escaping_round_trips(text in "\\PC{0,40}") {
        let encoded = ok("encoding.url_encode", &[s(&text)]);
        prop_assert_eq!(ok("encoding.url_decode", &[encoded]), s(&text));
    }
}
