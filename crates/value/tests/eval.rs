//! Behaviour of the expression evaluator: every operator rule and message of syntax §4 and
//! §4.5, name resolution and the message shape of §5, and the evaluation rows of §12.
//!
//! Errors are compared in the single-line form a user sees (`1:5: 0 divide by zero error`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ferroalloy_syntax::ast::{Expr, ExprKind, Literal, LiteralValue};
use ferroalloy_syntax::parser::parse_expression;
use ferroalloy_syntax::{SourceFile, Span};
use ferroalloy_value::eval::{Evaluator, MAX_DEPTH, Scope};
use ferroalloy_value::{
    Capsule, Function, FunctionError, Handle, Number, Object, OptionalSecret, PathSegment, Secret,
    Value, ValuePath,
};

/// Parse `text` as a standalone expression (no file name) and evaluate it in `scope`; an error
/// is rendered as `line:col: message`.
fn eval_in(scope: &Scope, text: &str) -> Result<Value, String> {
    let src = SourceFile::new("", text);
    let (expr, diagnostics) = parse_expression(&src);
    assert!(
        !diagnostics.has_errors(),
        "{text:?} does not parse: {diagnostics:?}"
    );
    let expr = expr.unwrap_or_else(|| panic!("{text:?} gave no expression"));
    Evaluator::new(&src, scope)
        .eval(&expr)
        .map_err(|d| d.to_string())
}

fn eval(text: &str) -> Result<Value, String> {
    eval_in(&Scope::with_stdlib(Object::new()), text)
}

fn err(text: &str) -> String {
    match eval(text) {
        Ok(v) => panic!("{text:?} evaluated to {v:?}, expected an error"),
        Err(e) => e,
    }
}

fn err_in(scope: &Scope, text: &str) -> String {
    match eval_in(scope, text) {
        Ok(v) => panic!("{text:?} evaluated to {v:?}, expected an error"),
        Err(e) => e,
    }
}

fn ok(text: &str) -> Value {
    eval(text).unwrap_or_else(|e| panic!("{text:?} failed: {e}"))
}

fn ok_in(scope: &Scope, text: &str) -> Value {
    eval_in(scope, text).unwrap_or_else(|e| panic!("{text:?} failed: {e}"))
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(Number::Int(n)) => Some(*n),
        _ => None,
    }
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(Number::Float(f)) => Some(*f),
        _ => None,
    }
}

fn assert_int(text: &str, want: i64) {
    let got = ok(text);
    assert_eq!(int_of(&got), Some(want), "{text:?} gave {got:?}");
}

fn assert_float(text: &str, want: f64) {
    let got = ok(text);
    assert_eq!(float_of(&got), Some(want), "{text:?} gave {got:?}");
}

fn assert_bool(text: &str, want: bool) {
    let got = ok(text);
    assert!(
        matches!(got, Value::Bool(b) if b == want),
        "{text:?} gave {got:?}, want {want}"
    );
}

fn assert_bool_in(scope: &Scope, text: &str, want: bool) {
    let got = ok_in(scope, text);
    assert!(
        matches!(got, Value::Bool(b) if b == want),
        "{text:?} gave {got:?}, want {want}"
    );
}

fn secret(text: &str) -> Value {
    Value::Capsule(Capsule::Secret(Secret::new(text)))
}

fn optional(text: &str, is_secret: bool) -> Value {
    Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
        text, is_secret,
    )))
}

fn function(
    name: &str,
    call: impl Fn(&[Value]) -> Result<Value, FunctionError> + Send + Sync + 'static,
) -> Value {
    Value::Function(Function {
        name: name.into(),
        call: Arc::new(call),
    })
}

/// The scope of the secret rows: a string, plain and secret optional secrets, a secret.
fn secret_scope() -> Scope {
    let mut scope = Scope::with_stdlib(Object::new());
    scope.set("string_val", Value::string("hello"));
    scope.set("plain", optional("world", false));
    scope.set("flagged", optional("secret", true));
    scope.set("pw", secret("welcome"));
    scope
}

// ---- §4.2 type checks ------------------------------------------------------------------------

#[test]
fn left_operand_type_is_checked_first() {
    assert_eq!(
        err("true + 1"),
        "1:1: true should be one of [number string capsule] for binop +, got bool"
    );
    assert_eq!(
        err("\"a\" - 1"),
        "1:1: \"a\" should be one of [number] for binop -, got string"
    );
    assert_eq!(
        err("null * 2"),
        "1:1: null should be one of [number] for binop *, got null"
    );
    assert_eq!(
        err("[1] / 2"),
        "1:1: [1] should be one of [number] for binop /, got array"
    );
    assert_eq!(
        err("{} % 2"),
        "1:1: {} should be one of [number] for binop %, got object"
    );
    assert_eq!(
        err("true ^ 2"),
        "1:1: true should be one of [number] for binop ^, got bool"
    );
    assert_eq!(
        err("[1] < 2"),
        "1:1: [1] should be one of [number string] for binop <, got array"
    );
    assert_eq!(
        err("true <= 2"),
        "1:1: true should be one of [number string] for binop <=, got bool"
    );
    assert_eq!(
        err("null > 2"),
        "1:1: null should be one of [number string] for binop >, got null"
    );
    assert_eq!(
        err("{} >= 2"),
        "1:1: {} should be one of [number string] for binop >=, got object"
    );
    assert_eq!(
        err("1 && true"),
        "1:1: 1 should be one of [bool] for binop &&, got number"
    );
    assert_eq!(
        err("\"x\" || true"),
        "1:1: \"x\" should be one of [bool] for binop ||, got string"
    );
}

#[test]
fn right_operand_type_is_checked_next() {
    assert_eq!(
        err("1 + true"),
        "1:5: true should be one of [number string capsule] for binop +, got bool"
    );
    assert_eq!(
        err("1 - \"a\""),
        "1:5: \"a\" should be one of [number] for binop -, got string"
    );
    assert_eq!(
        err("\"a\" < [1]"),
        "1:7: [1] should be one of [number string] for binop <, got array"
    );
    // Both wrong: the left operand is reported.
    assert_eq!(
        err("true - false"),
        "1:1: true should be one of [number] for binop -, got bool"
    );
}

#[test]
fn operand_types_must_match() {
    assert_eq!(err("\"a\" + 1"), "1:7: 1 should be string, got number");
    assert_eq!(err("1 + \"a\""), "1:5: \"a\" should be number, got string");
    assert_eq!(err("1 < \"a\""), "1:5: \"a\" should be number, got string");
    assert_eq!(err("\"a\" >= 1.5"), "1:8: 1.5 should be string, got number");
}

#[test]
fn operand_errors_print_the_whole_operand_expression() {
    assert_eq!(
        err("(1 + 2) + \"a\""),
        "1:11: \"a\" should be number, got string"
    );
    assert_eq!(
        err("{a = \"x\"}.a - 1"),
        "1:1: {a = \"x\"}.a should be one of [number] for binop -, got string"
    );
    assert_eq!(
        err("1 + [1, 2][0] + true"),
        "1:17: true should be one of [number string capsule] for binop +, got bool"
    );
    assert_eq!(
        err("true + 1 + 2"),
        "1:1: true should be one of [number string capsule] for binop +, got bool"
    );
    assert_eq!(
        err("1 + 2 + [3]"),
        "1:9: [3] should be one of [number string capsule] for binop +, got array"
    );
}

#[test]
fn errors_span_the_reported_expression() {
    let src = SourceFile::new("f.alloy", "\"a\" + 12345");
    let (expr, _) = parse_expression(&src);
    let expr = expr.expect("parses");
    let scope = Scope::with_stdlib(Object::new());
    let diagnostic = Evaluator::new(&src, &scope)
        .eval(&expr)
        .expect_err("type error");
    assert_eq!(
        diagnostic.to_string(),
        "f.alloy:1:7: 12345 should be string, got number"
    );
    assert_eq!((diagnostic.start.line, diagnostic.start.column), (1, 7));
    let end = diagnostic.end.expect("a multi-character span");
    assert_eq!((end.line, end.column), (1, 11));
    assert!(diagnostic.is_error());
}

// ---- §4.2 step 1 and §6.4: secrets -----------------------------------------------------------

#[test]
fn secrets_are_rejected_by_other_operators_with_the_converted_type() {
    let scope = secret_scope();
    assert_eq!(
        err_in(&scope, "string_val - flagged"),
        "1:1: string_val should be one of [number] for binop -, got capsule"
    );
    assert_eq!(
        err_in(&scope, "flagged - string_val"),
        "1:1: flagged should be one of [number] for binop -, got capsule"
    );
    assert_eq!(
        err_in(&scope, "pw < \"a\""),
        "1:1: pw should be one of [number string] for binop <, got capsule"
    );
    assert_eq!(
        err_in(&scope, "\"a\" < pw"),
        "1:1: \"a\" should be one of [number string] for binop <, got capsule"
    );
    // A plain optional secret with a string becomes a string: strings compare.
    assert_bool_in(&scope, "plain > \"a\"", true);
    // A secret with a non-string is not converted: `+` accepts both types, which differ.
    assert_eq!(
        err_in(&scope, "pw + 1"),
        "1:6: 1 should be capsule, got number"
    );
    assert_eq!(
        err_in(&scope, "1 + pw"),
        "1:5: pw should be number, got capsule"
    );
}

#[test]
fn addition_of_secret_like_values() {
    let scope = secret_scope();
    let cases: &[(&str, Value)] = &[
        ("pw + string_val", secret("welcomehello")),
        ("string_val + pw", secret("hellowelcome")),
        ("pw + plain", secret("welcomeworld")),
        ("flagged + pw", secret("secretwelcome")),
        ("pw + pw", secret("welcomewelcome")),
        ("flagged + string_val", optional("secrethello", true)),
        ("string_val + flagged", optional("hellosecret", true)),
        ("flagged + plain", optional("secretworld", true)),
        ("plain + flagged", optional("worldsecret", true)),
        ("plain + plain", optional("worldworld", false)),
        ("plain + string_val", Value::string("worldhello")),
        ("string_val + plain", Value::string("helloworld")),
    ];
    for (text, want) in cases {
        let got = ok_in(&scope, text);
        // Compare the kind and the text; Debug hides secret text, so match explicitly.
        match (&got, want) {
            (Value::Capsule(Capsule::Secret(a)), Value::Capsule(Capsule::Secret(b))) => {
                assert_eq!(a.expose(), b.expose(), "{text}")
            }
            (
                Value::Capsule(Capsule::OptionalSecret(a)),
                Value::Capsule(Capsule::OptionalSecret(b)),
            ) => {
                assert_eq!(
                    (a.expose(), a.is_secret()),
                    (b.expose(), b.is_secret()),
                    "{text}"
                )
            }
            (Value::String(a), Value::String(b)) => assert_eq!(a, b, "{text}"),
            _ => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn equality_of_secret_like_values_compares_after_conversion() {
    let scope = secret_scope();
    assert_bool_in(&scope, "\"world\" == plain", true);
    assert_bool_in(&scope, "plain == \"world\"", true);
    assert_bool_in(&scope, "plain != \"other\"", true);
    assert_bool_in(&scope, "flagged == flagged", true);
    assert_bool_in(&scope, "plain == plain", true);
    // Same flag required for two optional secrets.
    assert_bool_in(&scope, "plain == flagged", false);
    // A secret compares by text with a string converted to a secret.
    assert_bool_in(&scope, "pw == \"welcome\"", true);
    assert_bool_in(&scope, "\"welcome\" == pw", true);
    assert_bool_in(&scope, "pw == \"other\"", false);
    assert_bool_in(&scope, "pw != flagged", true);
    // A flagged optional secret with a string: both flagged optional secrets.
    assert_bool_in(&scope, "flagged == \"secret\"", true);
    // No conversion with non-strings: different types are unequal.
    assert_bool_in(&scope, "pw == 1", false);
}

#[test]
fn handles_are_equal_only_to_themselves_and_cannot_be_added() {
    let mut scope = Scope::with_stdlib(Object::new());
    let a = Value::Capsule(Capsule::Handle(Handle::new(
        "pyroscope.Appendable",
        Arc::new(1_u8),
    )));
    let b = Value::Capsule(Capsule::Handle(Handle::new(
        "pyroscope.Appendable",
        Arc::new(1_u8),
    )));
    scope.set("a", a.clone());
    scope.set("a2", a);
    scope.set("b", b);
    assert_bool_in(&scope, "a == a2", true);
    assert_bool_in(&scope, "a == b", false);
    assert_eq!(
        err_in(&scope, "a + b"),
        "1:1: a cannot perform binop + on capsule(\"pyroscope.Appendable\") and capsule(\"pyroscope.Appendable\")"
    );
    assert_eq!(
        err_in(&scope, "a - b"),
        "1:1: a should be one of [number] for binop -, got capsule"
    );
}

// ---- §4.2 short-circuit (D2) -----------------------------------------------------------------

#[test]
fn and_or_short_circuit() {
    assert_bool("true || false", true);
    assert_bool("false || false", false);
    assert_bool("true && false", false);
    assert_bool("true && true", true);
    assert_bool("false && (1 / 0 == 1)", false);
    assert_bool("true || (1 / 0 == 1)", true);
    // The right operand is not even evaluated: an unknown name is not reported.
    assert_bool("false && missing", false);
    assert_bool("true || missing(1)", true);
    assert_bool("true || 1", true);
    assert_eq!(err("true && (1 / 0 == 1)"), "1:14: 0 divide by zero error");
    assert_eq!(
        err("false || 1"),
        "1:10: 1 should be one of [bool] for binop ||, got number"
    );
    assert_eq!(
        err("true && \"x\""),
        "1:9: \"x\" should be one of [bool] for binop &&, got string"
    );
    assert_eq!(
        err("false || missing"),
        "1:10: identifier \"missing\" does not exist"
    );
    assert_bool("false || true && false", false);
    assert_bool("1 < 2 && 2 < 3", true);
}

// ---- §4.3 arithmetic -------------------------------------------------------------------------

#[test]
fn integer_arithmetic() {
    assert_int("3 + 5", 8);
    assert_int("3 - 5", -2);
    assert_int("3 * 5", 15);
    assert_int("3 + 5 * 2", 13);
    assert_int("7 / 2", 3);
    assert_int("-7 / 2", -3);
    assert_int("5 % 3", 2);
    assert_int("-7 % 3", -1);
    assert_int("7 % -3", 1);
    assert_int("-15", -15);
    assert_int("- -15", 15);
    assert_int("-9223372036854775808", i64::MIN);
    assert_int("9223372036854775808 - 1", i64::MAX);
}

#[test]
fn float_arithmetic() {
    assert_float("3.0 / 5.0", 0.6);
    assert_float("7.0 / 2", 3.5);
    assert_float("1 + 0.5", 1.5);
    assert_float("7.5 % 2", 1.5);
    assert_float("-7.5 % 2", -1.5);
    assert_float("-.5", -0.5);
    assert_float("99999999999999999999", 1e20);
    assert_float("99999999999999999999 + 1", 1e20 + 1.0);
}

#[test]
fn uint_literals_keep_their_kind_in_uint_arithmetic() {
    let got = ok("18446744073709551615 - 18446744073709551614");
    assert!(
        matches!(got, Value::Number(n) if n.equals(Number::Int(1))),
        "{got:?}"
    );
    let got = ok("18446744073709551614 - 9223372036854775808 + 9223372036854775809");
    assert!(
        matches!(got, Value::Number(Number::Uint(n)) if n == u64::MAX),
        "{got:?}"
    );
    assert_bool("18446744073709551615 > 1", true);
    assert_bool("18446744073709551615 == 18446744073709551615", true);
}

#[test]
fn power() {
    assert_int("3 ^ 5", 243);
    assert_int("3 ^ 0", 1);
    assert_int("3 ^ 1", 3);
    assert_int("0 ^ 1", 0);
    assert_int("0 ^ 0", 1);
    assert_int("2 ^ 10", 1024);
    assert_int("2 ^ 62", 1 << 62);
    assert_int("-2 ^ 2", 4);
    assert_int("-2 ^ 3", -8);
    assert_int("2 ^ 3 ^ 2", 512);
    assert_int("1 + 2 * 3 ^ 2", 19);
    assert_int("1 ^ 9223372036854775807", 1);
    assert_int("-1 ^ 9223372036854775807", -1);
    assert_float("2 ^ -1", 0.5);
    assert_float("4 ^ -2", 0.0625);
    assert_float("-2 ^ -1", -0.5);
    assert_float("42.0^-2", 0.0005668934240362812);
    assert_float("4 ^ 0.5", 2.0);
}

#[test]
fn arithmetic_errors_are_positioned() {
    // Spec §12 "Bad input" evaluation rows.
    assert_eq!(err("1/0"), "1:3: 0 divide by zero error");
    assert_eq!(err("1%0"), "1:3: 0 divide by zero error");
    assert_eq!(err("0 ^ -1"), "1:5: -1 divide by zero error");
    assert_eq!(
        err("9223372036854775807 + 1"),
        "1:21: integer overflow in +"
    );
    assert_eq!(err("1e308 * 10"), "1:7: result of * is not a finite number");
    // More of the same rules.
    assert_eq!(err("1 / 0"), "1:5: 0 divide by zero error");
    assert_eq!(err("1.0 / 0.0"), "1:7: 0.0 divide by zero error");
    assert_eq!(err("1.5 % 0"), "1:7: 0 divide by zero error");
    assert_eq!(err("1 / (2 - 2)"), "1:5: (2 - 2) divide by zero error");
    assert_eq!(err("1 / -0.0"), "1:5: -0.0 divide by zero error");
    assert_eq!(err("0 ^ (0 - 3)"), "1:5: (0 - 3) divide by zero error");
    assert_eq!(
        err("-9223372036854775807 - 2"),
        "1:22: integer overflow in -"
    );
    assert_eq!(
        err("4294967296 * 4294967296"),
        "1:12: integer overflow in *"
    );
    assert_eq!(
        err("(-9223372036854775807 - 1) / -1"),
        "1:28: integer overflow in /"
    );
    assert_eq!(err("2 ^ 63"), "1:3: integer overflow in ^");
    assert_eq!(err("10 ^ 1000"), "1:4: integer overflow in ^");
    assert_eq!(
        err("18446744073709551615 + 1"),
        "1:22: integer overflow in +"
    );
    assert_eq!(
        err("-(-9223372036854775807 - 1)"),
        "1:1: integer overflow in -"
    );
    assert_eq!(err("-18446744073709551615"), "1:1: integer overflow in -");
    assert_eq!(
        err("1e308 + 1e308"),
        "1:7: result of + is not a finite number"
    );
    assert_eq!(
        err("-1e308 - 1e308"),
        "1:8: result of - is not a finite number"
    );
    assert_eq!(
        err("1e308 / 1e-308"),
        "1:7: result of / is not a finite number"
    );
    assert_eq!(err("-8.0 ^ 0.5"), "1:6: result of ^ is not a finite number");
    assert_eq!(err("2.0 ^ 2000"), "1:5: result of ^ is not a finite number");
    assert_eq!(err("0.0 ^ -1"), "1:5: result of ^ is not a finite number");
}

#[test]
fn unary_operators() {
    assert_bool("!true", false);
    assert_bool("!false", true);
    assert_bool("!!true", true);
    assert_eq!(err("!1"), "1:2: 1 should be bool, got number");
    assert_eq!(err("!\"a\""), "1:2: \"a\" should be bool, got string");
    assert_eq!(err("-\"a\""), "1:2: \"a\" should be number, got string");
    assert_eq!(err("-true"), "1:2: true should be number, got bool");
    assert_eq!(err("-[1]"), "1:2: [1] should be number, got array");
    assert_eq!(err("!(1 + 1)"), "1:2: (1 + 1) should be bool, got number");
}

#[test]
fn strings_concatenate_and_compare_by_bytes() {
    assert!(matches!(ok("\"a\" + \"b\""), Value::String(s) if s == "ab"));
    assert_bool("\"a\" < \"b\"", true);
    assert_bool("\"B\" < \"a\"", true);
    assert_bool("\"ab\" <= \"ab\"", true);
    assert_bool("\"é\" > \"z\"", true);
    assert_bool("\"b\" >= \"ba\"", false);
}

#[test]
fn number_comparisons_across_kinds() {
    assert_bool("3 < 5", true);
    assert_bool("3 <= 5", true);
    assert_bool("3 > 5", false);
    assert_bool("3 >= 5", false);
    assert_bool("3 >= 3.0", true);
    assert_bool("1 < 1.5", true);
    assert_bool("-1 < 18446744073709551615", true);
}

// ---- §4.4 equality ---------------------------------------------------------------------------

#[test]
fn equality_never_fails() {
    assert_bool("3 == 5", false);
    assert_bool("3 == 3", true);
    assert_bool("3 != 5", true);
    assert_bool("3 == 3.0", true);
    assert_bool("1 == \"1\"", false);
    assert_bool("null == null", true);
    assert_bool("null == false", false);
    assert_bool("[1, 2] == [1, 2]", true);
    assert_bool("[1, 2] == [2, 1]", false);
    assert_bool("[1, [2, 3]] == [1, [2, 3.0]]", true);
    assert_bool("{a = 1} == {a = 1}", true);
    assert_bool("{a = 1, b = 2} == {b = 2, a = 1}", true);
    assert_bool("{a = 1} == {a = 1, b = 2}", false);
    assert_bool("{a = 1} != {a = 2}", true);
    assert_bool("[] == {}", false);
    assert_bool("1 == 2 != true", true);
}

#[test]
fn functions_are_never_equal() {
    let mut scope = Scope::with_stdlib(Object::new());
    scope.set("f", function("f", |_| Ok(Value::Null)));
    assert_bool_in(&scope, "f == f", false);
    assert_bool_in(&scope, "f != f", true);
}

// ---- literals, arrays, objects ---------------------------------------------------------------

#[test]
fn literals_and_collections() {
    assert!(matches!(ok("null"), Value::Null));
    assert_int("(15)", 15);
    assert_int("010", 10);
    assert!(matches!(ok("[]"), Value::Array(a) if a.is_empty()));
    assert!(matches!(ok("[0, 1, 2]"), Value::Array(a) if a.len() == 3 && int_of(&a[2]) == Some(2)));
    let Value::Object(object) = ok("{ a = 5, \"b c\" = 10, a = 7 }") else {
        panic!("an object")
    };
    let keys: Vec<&str> = object.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a", "b c"]);
    assert_eq!(object.get("a").and_then(int_of), Some(7));
}

// ---- §4.5 access, index, call ----------------------------------------------------------------

#[test]
fn field_access() {
    assert_int("{ a = 15 }.a", 15);
    assert_int("{ a = { b = 12 } }.a.b", 12);
    assert_int("{a = 1, a = 2}.a", 2);
    assert_eq!(err("{ a = 15 }.b"), "1:12: field \"b\" does not exist");
    assert_eq!(
        err("{ a = { b = 12 } }.a.c"),
        "1:22: field \"c\" does not exist"
    );
    assert_eq!(
        err("(5).x"),
        "1:1: (5) cannot access field \"x\" on value of type number"
    );
    assert_eq!(
        err("null.x"),
        "1:1: null cannot access field \"x\" on value of type null"
    );
    assert_eq!(
        err("[1].x"),
        "1:1: [1] cannot access field \"x\" on value of type array"
    );
    assert_eq!(
        err("{a = 1}.a.b"),
        "1:1: {a = 1}.a cannot access field \"b\" on value of type number"
    );
}

#[test]
fn field_access_on_scope_values() {
    let mut scope = Scope::with_stdlib(Object::new());
    let mut inner = Object::new();
    inner.insert(
        "list",
        Value::Array(vec![Value::int(1), Value::string("two")]),
    );
    let mut outer = Object::new();
    outer.insert("inner", Value::Object(inner));
    scope.set("obj", Value::Object(outer));
    assert!(matches!(ok_in(&scope, "obj.inner.list[1]"), Value::String(s) if s == "two"));
    assert!(matches!(
        ok_in(&scope, "(obj.inner).list[0]"),
        Value::Number(Number::Int(1))
    ));
    assert!(matches!(
        ok_in(&scope, "obj[\"inner\"][\"missing\"]"),
        Value::Null
    ));
    assert_eq!(
        err_in(&scope, "obj.inner.nope"),
        "1:11: field \"nope\" does not exist"
    );
    assert_eq!(
        err_in(&scope, "obj.inner.list.x"),
        "1:1: obj.inner.list cannot access field \"x\" on value of type array"
    );
    assert_eq!(
        err_in(&scope, "obj.inner.list[5]"),
        "1:16: 5 index 5 is out of range of array with length 2"
    );
}

#[test]
fn indexing() {
    assert_int("[0, 1, 2][1]", 1);
    assert_int("[[1,2,3]][0][2]", 3);
    assert_int("[10, 20][1.9]", 20);
    assert_int("[10, 20][-0.5]", 10);
    assert!(matches!(ok("{}[\"foo\"]"), Value::Null));
    assert!(matches!(ok("{a = 1}[\"b\"]"), Value::Null));
    assert_int(
        "{\"app.kubernetes.io/name\" = 3}[\"app.kubernetes.io/name\"]",
        3,
    );
    assert_eq!(
        err("[1, 2][5]"),
        "1:8: 5 index 5 is out of range of array with length 2"
    );
    assert_eq!(
        err("[1, 2][2]"),
        "1:8: 2 index 2 is out of range of array with length 2"
    );
    assert_eq!(
        err("[1, 2][-1]"),
        "1:8: -1 index -1 is out of range of array with length 2"
    );
    assert_eq!(
        err("[1, 2][-1.5]"),
        "1:8: -1.5 index -1 is out of range of array with length 2"
    );
    assert_eq!(
        err("[][0]"),
        "1:4: 0 index 0 is out of range of array with length 0"
    );
    assert_eq!(
        err("[1][18446744073709551615]"),
        "1:5: 18446744073709551615 index 18446744073709551615 is out of range of array with length 1"
    );
    assert_eq!(
        err("[1, 2][\"a\"]"),
        "1:8: \"a\" should be number, got string"
    );
    assert_eq!(err("[1, 2][null]"), "1:8: null should be number, got null");
    assert_eq!(err("{a = 1}[1]"), "1:9: 1 should be string, got number");
    assert_eq!(
        err("\"abc\"[0]"),
        "1:1: \"abc\" expected object or array, got string"
    );
    assert_eq!(
        err("null[0]"),
        "1:1: null expected object or array, got null"
    );
    assert_eq!(
        err("(1 + 1)[0]"),
        "1:1: (1 + 1) expected object or array, got number"
    );
}

#[test]
fn index_operands_evaluate_left_to_right() {
    assert_eq!(
        err("missing[1 / 0]"),
        "1:1: identifier \"missing\" does not exist"
    );
    assert_eq!(err("[1][1 / 0]"), "1:9: 0 divide by zero error");
}

fn call_scope() -> Scope {
    let mut scope = Scope::with_stdlib(Object::new());
    scope.set("foobar", Value::int(1));
    scope.set(
        "sum",
        function("sum", |args| {
            let mut total = 0;
            for (index, arg) in args.iter().enumerate() {
                match arg {
                    Value::Number(Number::Int(n)) => total += n,
                    other => {
                        return Err(FunctionError::Argument {
                            index,
                            path: ValuePath::root(),
                            message: format!("should be number, got {}", other.value_type()),
                        });
                    }
                }
            }
            Ok(Value::int(total))
        }),
    );
    // Reports a problem at a fixed route inside its second argument.
    scope.set(
        "deep",
        function("deep", |args| {
            if args.len() != 2 {
                return Err(FunctionError::Call(format!(
                    "expected 2 args, got {}",
                    args.len()
                )));
            }
            Err(FunctionError::Argument {
                index: 1,
                path: ValuePath(vec![
                    PathSegment::Field("object".into()),
                    PathSegment::Field("field1".into()),
                    PathSegment::Index(2),
                ]),
                message: "should be number, got string".into(),
            })
        }),
    );
    scope.set(
        "boom",
        function("boom", |_| Err(FunctionError::Call("went wrong".into()))),
    );
    let mut ns = Object::new();
    ns.insert(
        "fail",
        function("ns.fail", |_| {
            Err(FunctionError::Call("jsonEncode only supports map".into()))
        }),
    );
    scope.set("ns", Value::Object(ns));
    let mut value = Object::new();
    let mut object = Object::new();
    object.insert(
        "field1",
        Value::Array(vec![
            Value::int(15),
            Value::int(30),
            Value::string("Hello, world!"),
        ]),
    );
    value.insert("object", Value::Object(object));
    scope.set("key_value", Value::Object(value));
    scope
}

#[test]
fn calls() {
    let scope = call_scope();
    assert!(matches!(
        ok_in(&scope, "sum(1, 2, 3)"),
        Value::Number(Number::Int(6))
    ));
    assert!(matches!(
        ok_in(&scope, "sum()"),
        Value::Number(Number::Int(0))
    ));
    assert_eq!(
        err_in(&scope, "foobar(1)"),
        "1:1: foobar should be function, got number"
    );
    assert_eq!(
        err_in(&scope, "(1 + 1)()"),
        "1:1: (1 + 1) should be function, got number"
    );
    // The callee is checked before the arguments are evaluated.
    assert_eq!(
        err_in(&scope, "foobar(missing)"),
        "1:1: foobar should be function, got number"
    );
    // Arguments evaluate left to right; the first error wins.
    assert_eq!(
        err_in(&scope, "sum(missing, 1 / 0)"),
        "1:5: identifier \"missing\" does not exist"
    );
    assert_eq!(
        err_in(&scope, "sum(1, 1 / 0)"),
        "1:12: 0 divide by zero error"
    );
}

#[test]
fn function_errors_are_reported_at_the_callee_or_the_argument() {
    let scope = call_scope();
    assert_eq!(err_in(&scope, "boom()"), "1:1: boom went wrong");
    assert_eq!(
        err_in(&scope, "ns.fail(12)"),
        "1:1: ns.fail jsonEncode only supports map"
    );
    assert_eq!(
        err_in(&scope, "deep(1)"),
        "1:1: deep expected 2 args, got 1"
    );
    assert_eq!(
        err_in(&scope, "sum(1, true)"),
        "1:8: true should be number, got bool"
    );
    assert_eq!(
        err_in(&scope, "sum(1, (true))"),
        "1:8: (true) should be number, got bool"
    );
    // The route into the argument is followed through literals as far as they go …
    assert_eq!(
        err_in(
            &scope,
            "deep(0, {object = {field1 = [15, 30, \"Hello, world!\"]}})"
        ),
        "1:38: \"Hello, world!\" should be number, got string"
    );
    assert_eq!(
        err_in(
            &scope,
            "deep(0, {object = {field1 = key_value.object.field1}})"
        ),
        "1:29: key_value.object.field1[2] should be number, got string"
    );
    // … and printed after the argument when it is not a literal.
    assert_eq!(
        err_in(&scope, "deep(0, key_value)"),
        "1:9: key_value.object.field1[2] should be number, got string"
    );
    assert_eq!(
        err_in(&scope, "deep(0, {object = {field1 = [1, 2]}}.object)"),
        "1:9: {object = {field1 = [1, 2]}}.object.object.field1[2] should be number, got string"
    );
}

// ---- §5 names and the message shape ----------------------------------------------------------

#[test]
fn names_resolve_in_the_scope_then_the_standard_library() {
    let mut stdlib = Object::new();
    let mut string_ns = Object::new();
    string_ns.insert(
        "to_upper",
        function("string.to_upper", |args| match args.first() {
            Some(Value::String(s)) => Ok(Value::string(s.to_uppercase())),
            _ => Err(FunctionError::Call("expected 1 args, got 0".into())),
        }),
    );
    stdlib.insert("string", Value::Object(string_ns));
    stdlib.insert("answer", Value::int(42));
    let mut scope = Scope::with_stdlib(stdlib);
    assert!(matches!(ok_in(&scope, "string.to_upper(\"a\")"), Value::String(s) if s == "A"));
    assert_eq!(
        err_in(&scope, "string.to_upper()"),
        "1:1: string.to_upper expected 1 args, got 0"
    );
    assert_eq!(
        err_in(&scope, "string.nope"),
        "1:8: field \"nope\" does not exist"
    );
    assert_eq!(
        err_in(&scope, "foobar"),
        "1:1: identifier \"foobar\" does not exist"
    );
    assert_eq!(
        err_in(&scope, "1 + (2 * foobar)"),
        "1:10: identifier \"foobar\" does not exist"
    );
    // A variable shadows a standard-library root of the same name.
    scope.set("answer", Value::int(7));
    assert!(matches!(
        ok_in(&scope, "answer"),
        Value::Number(Number::Int(7))
    ));
    assert!(matches!(
        scope.get("answer"),
        Some(Value::Number(Number::Int(7)))
    ));
    assert!(scope.get("string").is_none());
    assert!(scope.resolve("string").is_some());
    assert!(scope.remove("answer").is_some());
    assert!(matches!(
        ok_in(&scope, "answer"),
        Value::Number(Number::Int(42))
    ));
}

#[test]
fn error_at_walks_literals_only() {
    let scope = Scope::with_stdlib(Object::new());
    let path = |segments: Vec<PathSegment>| ValuePath(segments);
    let case = |text: &str, route: ValuePath| -> String {
        let src = SourceFile::new("test", text);
        let (expr, diagnostics) = parse_expression(&src);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let expr = expr.expect("parses");
        Evaluator::new(&src, &scope)
            .error_at(&expr, &route, "should be number, got string")
            .to_string()
    };
    let field = |name: &str| PathSegment::Field(name.to_owned());
    assert_eq!(
        case(
            "{\n  object = {\n    field1 = [15, 30, \"Hello, world!\"],\n  },\n}",
            path(vec![
                field("object"),
                field("field1"),
                PathSegment::Index(2)
            ])
        ),
        "test:3:23: \"Hello, world!\" should be number, got string"
    );
    assert_eq!(
        case(
            "key_value",
            path(vec![
                field("object"),
                field("field1"),
                PathSegment::Index(2)
            ])
        ),
        "test:1:1: key_value.object.field1[2] should be number, got string"
    );
    assert_eq!(
        case("(5)", ValuePath::root()),
        "test:1:1: (5) should be number, got string"
    );
    assert_eq!(
        case("([1, \"x\"])", path(vec![PathSegment::Index(1)])),
        "test:1:1: ([1, \"x\"])[1] should be number, got string"
    );
    assert_eq!(
        case("{a = 1}.a", ValuePath::root()),
        "test:1:1: {a = 1}.a should be number, got string"
    );
    // A repeated key: the last field produced the value.
    assert_eq!(
        case("{a = 1, a = \"x\"}", path(vec![field("a")])),
        "test:1:13: \"x\" should be number, got string"
    );
    // A route past a literal's elements stays on the literal.
    assert_eq!(
        case("[1]", path(vec![PathSegment::Index(3)])),
        "test:1:1: [1][3] should be number, got string"
    );
    assert_eq!(
        case(
            "{\"k.x\" = [1, {b = \"y\"}]}",
            path(vec![field("k.x"), PathSegment::Index(1), field("b")])
        ),
        "test:1:19: \"y\" should be number, got string"
    );
}

// ---- robustness ------------------------------------------------------------------------------

fn literal(value: LiteralValue, raw: &str, at: usize) -> Expr {
    Expr {
        kind: ExprKind::Literal(Literal {
            value,
            raw: raw.to_owned(),
        }),
        span: Span::new(at, at + raw.len()),
    }
}

#[test]
fn long_operator_chains_do_not_exhaust_the_stack() {
    // `1 + 1 + … + 1` with 100 000 terms: left-associative, so a left-deep tree.
    let terms = 100_000;
    let text = vec!["1"; terms].join(" + ");
    let src = SourceFile::new("", text.as_str());
    let mut expr = literal(LiteralValue::Int(1), "1", 0);
    for i in 1..terms {
        let at = i * 4;
        expr = Expr {
            span: Span::new(0, at + 1),
            kind: ExprKind::Binary {
                op: ferroalloy_syntax::ast::BinaryOp::Add,
                op_span: Span::new(at - 2, at - 1),
                lhs: Box::new(expr),
                rhs: Box::new(literal(LiteralValue::Int(1), "1", at)),
            },
        };
    }
    let scope = Scope::with_stdlib(Object::new());
    let value = Evaluator::new(&src, &scope).eval(&expr);
    assert!(matches!(value, Ok(Value::Number(Number::Int(n))) if n == terms as i64));
    // Dropping a tree this deep recurses; the test is about evaluation, so leak it.
    std::mem::forget(expr);
}

#[test]
fn nesting_beyond_the_limit_is_an_error_not_a_crash() {
    let nest = |depth: usize| {
        let mut expr = literal(LiteralValue::Int(1), "1", depth);
        for i in (0..depth).rev() {
            expr = Expr {
                span: Span::new(i, 2 * depth + 1 - i),
                kind: ExprKind::Paren(Box::new(expr)),
            };
        }
        expr
    };
    let scope = Scope::with_stdlib(Object::new());
    let shallow = nest(MAX_DEPTH / 2 - 1);
    let src = SourceFile::new("", "");
    assert!(matches!(
        Evaluator::new(&src, &scope).eval(&shallow),
        Ok(Value::Number(Number::Int(1)))
    ));
    std::mem::forget(shallow);
    let deep = nest(50_000);
    let error = Evaluator::new(&src, &scope)
        .eval(&deep)
        .expect_err("too deep");
    assert_eq!(error.message, "expression nested too deeply");
    std::mem::forget(deep);
}

#[test]
fn the_deepest_allowed_nesting_fits_a_two_mebibyte_stack() {
    // Right-nested `1 + (1 + (…))` without parentheses: the construct with the largest frames.
    let nest = |depth: usize| {
        let mut expr = literal(LiteralValue::Int(1), "1", 0);
        for _ in 0..depth {
            expr = Expr {
                span: Span::new(0, 1),
                kind: ExprKind::Binary {
                    op: ferroalloy_syntax::ast::BinaryOp::Add,
                    op_span: Span::new(0, 1),
                    lhs: Box::new(literal(LiteralValue::Int(1), "1", 0)),
                    rhs: Box::new(expr),
                },
            };
        }
        expr
    };
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let scope = Scope::with_stdlib(Object::new());
            let src = SourceFile::new("", "1");
            let allowed = nest(MAX_DEPTH - 1);
            let value = Evaluator::new(&src, &scope)
                .eval(&allowed)
                .map_err(|d| d.message);
            std::mem::forget(allowed);
            let too_deep = nest(MAX_DEPTH);
            let error = Evaluator::new(&src, &scope)
                .eval(&too_deep)
                .map_err(|d| d.message);
            std::mem::forget(too_deep);
            (value, error)
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert!(matches!(outcome.0, Ok(Value::Number(Number::Int(n))) if n == MAX_DEPTH as i64));
    assert_eq!(
        outcome.1.err().as_deref(),
        Some("expression nested too deeply")
    );
}

#[test]
fn deep_arrays_calls_and_unary_operators_within_the_limit_evaluate() {
    let scope = call_scope();
    // 200 levels, the parser's limit (E8), of each construct.
    let arrays = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert!(matches!(ok_in(&scope, &arrays), Value::Array(_)));
    let nots = format!("{}true", "!".repeat(200));
    assert_bool_in(&scope, &nots, true);
    let negs = format!("{}1", "-(".repeat(100)) + &")".repeat(100);
    assert!(matches!(
        ok_in(&scope, &negs),
        Value::Number(Number::Int(1))
    ));
    let calls = format!("{}1{}", "sum(".repeat(200), ")".repeat(200));
    assert!(matches!(
        ok_in(&scope, &calls),
        Value::Number(Number::Int(1))
    ));
    let mixed = format!("{}1{}", "[sum(1 + (".repeat(66), "))][0]".repeat(66));
    assert!(matches!(
        ok_in(&scope, &mixed),
        Value::Number(Number::Int(67))
    ));
}

// ---- the standard library behind the scope ---------------------------------------------------

fn env_scope() -> Scope {
    Scope::with_env(Arc::new(|name: &str| {
        (name == "FERROALLOY_EVAL_X").then(|| "x-value".to_owned())
    }))
}

#[test]
fn stdlib_calls_report_errors_at_the_callee_or_the_argument() {
    let scope = env_scope();
    assert!(matches!(ok_in(&scope, "string.to_upper(\"abc\")"), Value::String(s) if s == "ABC"));
    assert!(matches!(ok_in(&scope, "string.to_upper(12)"), Value::String(s) if s == "12"));
    assert_eq!(
        err_in(&scope, "string.to_upper()"),
        "1:1: string.to_upper expected 1 args, got 0"
    );
    assert_eq!(
        err_in(&scope, "string.to_upper(true)"),
        "1:17: true should be string, got bool"
    );
    assert_eq!(
        err_in(&scope, "encoding.to_json(12)"),
        "1:1: encoding.to_json jsonEncode only supports map"
    );
    assert_eq!(
        err_in(&scope, "array.concat([1], 2)"),
        "1:19: 2 should be array, got number"
    );
    assert_eq!(
        err_in(
            &scope,
            "array.group_by([{\"name\" = \"alice\", \"age\" = 20}], \"age\", false)"
        ),
        "1:44: 20 should be string, got number"
    );
    assert_eq!(
        err_in(&scope, "string.nope(1)"),
        "1:8: field \"nope\" does not exist"
    );
}

#[test]
fn sys_env_reads_the_injected_environment() {
    let scope = env_scope();
    assert!(
        matches!(ok_in(&scope, "sys.env(\"FERROALLOY_EVAL_X\")"), Value::String(s) if s == "x-value")
    );
    assert!(
        matches!(ok_in(&scope, "env(\"FERROALLOY_EVAL_X\")"), Value::String(s) if s == "x-value")
    );
    assert!(matches!(ok_in(&scope, "sys.env(\"UNSET_VAR\")"), Value::String(s) if s.is_empty()));
    assert!(matches!(
        ok_in(&scope, "coalesce(sys.env(\"UNSET_VAR\"), \"default\")"),
        Value::String(s) if s == "default"
    ));
}

#[test]
fn variables_shadow_stdlib_roots() {
    let mut scope = env_scope();
    let mut export = Object::new();
    export.insert("content", Value::string("from a component"));
    scope.set("string", Value::Object(export));
    assert!(matches!(ok_in(&scope, "string.content"), Value::String(s) if s == "from a component"));
    assert_eq!(
        err_in(&scope, "string.to_upper(\"a\")"),
        "1:8: field \"to_upper\" does not exist"
    );
    // The default scope sees the standard library too.
    let names: Vec<String> = Scope::stdlib_names().collect();
    for root in [
        "string",
        "sys",
        "encoding",
        "array",
        "coalesce",
        "constants",
    ] {
        assert!(
            names.iter().any(|n| n == root),
            "{root} missing from {names:?}"
        );
    }
    assert!(matches!(ok_in(&Scope::new(), "string.to_lower(\"A\")"), Value::String(s) if s == "a"));
    let mut scope = Scope::new();
    scope.set("module_path", Value::string("/etc/alloy"));
    assert_eq!(scope.names().collect::<Vec<_>>(), ["module_path"]);
}

// ---- property: no input makes the evaluator panic ------------------------------------------

mod properties {
    use proptest::prelude::*;

    use super::*;

    const OPERANDS: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "63",
        "64",
        "127",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "99999999999999999999",
        "0.0",
        "0.5",
        "1e308",
        "1e-308",
        "2.5",
        "\"a\"",
        "\"\"",
        "true",
        "false",
        "null",
        "[1, 2]",
        "{a = 1}",
        "pw",
        "plain",
        "flagged",
        "string_val",
    ];
    const BINARY: &[&str] = &[
        "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "^",
    ];

    fn expression() -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(OPERANDS).prop_map(str::to_owned);
        leaf.prop_recursive(4, 32, 2, |inner| {
            prop_oneof![
                (inner.clone(), prop::sample::select(BINARY), inner.clone())
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
                (prop::sample::select(&["-", "!"][..]), inner.clone())
                    .prop_map(|(op, a)| format!("{op}({a})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("[{a}, {b}][{b}]")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

        /// Any combination of operators over extreme operands gives a value or a positioned
        /// error, never a panic, and never a non-finite number.
        #[test]
        fn operators_never_panic(text in expression()) {
            match eval_in(&secret_scope(), &text) {
                Ok(Value::Number(Number::Float(f))) => prop_assert!(f.is_finite(), "{text} = {f}"),
                Ok(_) => {}
                Err(message) => prop_assert!(message.starts_with("1:"), "{text}: {message}"),
            }
        }
    }
}
