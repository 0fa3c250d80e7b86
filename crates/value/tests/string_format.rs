//! `string.format` (syntax §7.1) called directly with hand-built arguments: the corpus rows of
//! `eval/expressions.jsonl` that call it, Go `fmt` behaviours (every expected output in
//! `go_cases` was printed by Go's `fmt.Sprintf` for the same arguments), the ferroalloy rules
//! for kinds and secrets, and the E4 errors.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::approx_constant
)]

use std::collections::BTreeSet;

use ferroalloy_value::stdlib::string_format::string_format;
use ferroalloy_value::{
    Capsule, FunctionError, Number, Object, OptionalSecret, Secret, Value, ValuePath,
};
use serde_json::Value as Json;

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/eval/expressions.jsonl"
));

fn s(text: &str) -> Value {
    Value::string(text)
}

fn secret(text: &str) -> Value {
    Value::Capsule(Capsule::Secret(Secret::new(text)))
}

fn opt(text: &str, is_secret: bool) -> Value {
    Value::Capsule(Capsule::OptionalSecret(OptionalSecret::new(
        text, is_secret,
    )))
}

fn format(args: &[Value]) -> Result<Value, FunctionError> {
    string_format(args)
}

/// The formatted text, failing the test on an error.
fn ok(args: &[Value]) -> String {
    match format(args) {
        Ok(Value::String(text)) => text,
        other => panic!("string.format({args:?}) = {other:?}, expected text"),
    }
}

/// The message of a failure of the call (reported by the evaluator as `<callee> <message>`).
fn call_error(args: &[Value]) -> String {
    match format(args) {
        Err(FunctionError::Call(message)) => message,
        other => panic!("string.format({args:?}) = {other:?}, expected a call error"),
    }
}

/// The diagnostic message the evaluator builds from an error: `<callee> <message>` for the call,
/// `<argument text><path> <message>` for an argument.
fn render(callee: &str, arg_texts: &[&str], error: &FunctionError) -> String {
    match error {
        FunctionError::Call(message) => format!("{callee} {message}"),
        FunctionError::Argument {
            index,
            path,
            message,
        } => {
            format!("{}{path} {message}", arg_texts[*index])
        }
    }
}

/// One corpus row rebuilt by hand: callee as written, the argument expressions' text and values.
struct Row {
    id: &'static str,
    callee: &'static str,
    arg_texts: Vec<&'static str>,
    args: Vec<Value>,
}

fn row(id: &'static str, callee: &'static str, args: Vec<(&'static str, Value)>) -> Row {
    let (arg_texts, args) = args.into_iter().unzip();
    Row {
        id,
        callee,
        arg_texts,
        args,
    }
}

fn corpus_rows() -> Vec<Row> {
    vec![
        row(
            "stdlib/string/deprecated/format",
            "format",
            vec![(r#""Hello %s""#, s("Hello %s")), (r#""World""#, s("World"))],
        ),
        row(
            "stdlib/string/format",
            "string.format",
            vec![(r#""Hello %s""#, s("Hello %s")), (r#""World""#, s("World"))],
        ),
        row(
            "stdlib/string/deprecated/format+int",
            "format",
            vec![(r##""%#v""##, s("%#v")), ("1", Value::int(1))],
        ),
        row(
            "stdlib/string/format+int",
            "string.format",
            vec![(r##""%#v""##, s("%#v")), ("1", Value::int(1))],
        ),
        row(
            "stdlib/string/deprecated/format+bool",
            "format",
            vec![(r##""%#v""##, s("%#v")), ("true", Value::Bool(true))],
        ),
        row(
            "stdlib/string/format+bool",
            "string.format",
            vec![(r##""%#v""##, s("%#v")), ("true", Value::Bool(true))],
        ),
        row(
            "stdlib/string/deprecated/format+quote",
            "format",
            vec![(r#""%q""#, s("%q")), (r#""hello""#, s("hello"))],
        ),
        row(
            "stdlib/string/format+quote",
            "string.format",
            vec![(r#""%q""#, s("%q")), (r#""hello""#, s("hello"))],
        ),
        row("code/variadic-too-few", "string.format", vec![]),
        row(
            "code/string.format-d",
            "string.format",
            vec![
                (r#""There are %d lights""#, s("There are %d lights")),
                ("4", Value::int(4)),
            ],
        ),
        row(
            "code/string.format-index",
            "string.format",
            vec![
                (r#""%[2]s %[1]s""#, s("%[2]s %[1]s")),
                (r#""a""#, s("a")),
                (r#""b""#, s("b")),
            ],
        ),
        row(
            "dev/format-bad-verb",
            "string.format",
            vec![(r#""%d""#, s("%d")), (r#""x""#, s("x"))],
        ),
        row(
            "dev/format-missing-arg",
            "string.format",
            vec![(r#""%s %s""#, s("%s %s")), (r#""x""#, s("x"))],
        ),
        row(
            "dev/format-extra-arg",
            "string.format",
            vec![(r#""%s""#, s("%s")), (r#""x""#, s("x")), (r#""y""#, s("y"))],
        ),
        row(
            "dev/format-secret",
            "string.format",
            vec![(r#""%s""#, s("%s")), ("s", secret("pw"))],
        ),
        row(
            "dev/format-optsecret-plain",
            "string.format",
            vec![(r#""%s""#, s("%s")), ("s", opt("pw", false))],
        ),
    ]
}

/// The corpus rows that call `string.format` or its `format` alias.
fn corpus_format_rows() -> Vec<Json> {
    CORPUS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Json>(line).expect("corpus row is JSON"))
        .filter(|row| row["expr"].as_str().is_some_and(|e| e.contains("format(")))
        .collect()
}

#[test]
fn every_corpus_row_calling_string_format_holds() {
    let rows = corpus_rows();
    let corpus = corpus_format_rows();
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.id).collect();
    let in_corpus: BTreeSet<&str> = corpus.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(
        covered, in_corpus,
        "every corpus row calling string.format has a case here"
    );

    let mut failures = Vec::new();
    for case in &rows {
        let expected = corpus
            .iter()
            .find(|r| r["id"] == case.id)
            .expect("row exists");
        let result = format(&case.args);
        let matched = match (&result, expected) {
            (Ok(Value::String(text)), e) if e.get("value").is_some() => e["value"] == *text,
            (Err(error), e) if e.get("error").is_some() => {
                // `error` is `pos: message`; positions belong to the evaluator.
                let want = e["error"].as_str().unwrap_or_default();
                let message = want.split_once(": ").map_or(want, |(_, m)| m);
                render(case.callee, &case.arg_texts, error) == message
            }
            (Err(error), e) if e.get("error_contains").is_some() => {
                let want = e["error_contains"].as_str().unwrap_or_default();
                render(case.callee, &case.arg_texts, error).contains(want)
            }
            _ => false,
        };
        if !matched {
            failures.push(format!("{}: got {result:?}, expected {expected}", case.id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus rows fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_errors_render_as_the_user_sees_them() {
    let render_row = |id: &str| {
        let case = corpus_rows().into_iter().find(|r| r.id == id).expect("row");
        let error = format(&case.args).expect_err("an error");
        render(case.callee, &case.arg_texts, &error)
    };
    assert_eq!(
        render_row("code/variadic-too-few"),
        "string.format expected at least 1 args, got 0"
    );
    assert_eq!(
        render_row("dev/format-bad-verb"),
        "string.format verb %d cannot format a value of type string"
    );
    assert_eq!(
        render_row("dev/format-missing-arg"),
        "string.format missing argument for verb %s"
    );
    assert_eq!(
        render_row("dev/format-extra-arg"),
        "string.format too many arguments (2 given, 1 used)"
    );
    // A secret is a conversion error of that argument, reported at it.
    assert_eq!(
        render_row("dev/format-secret"),
        "s secrets may not be converted into strings"
    );
}

/// `(format, arguments, what Go's fmt.Sprintf prints)`.
#[rustfmt::skip]
fn go_cases() -> Vec<(&'static str, Vec<Value>, &'static str)> {
    vec![
    ("%5d|", vec![Value::int(42)], "   42|"),
    ("%-5d|", vec![Value::int(42)], "42   |"),
    ("%05d", vec![Value::int(-42)], "-0042"),
    ("%+d", vec![Value::int(5)], "+5"),
    ("% d", vec![Value::int(5)], " 5"),
    ("%x", vec![Value::int(255)], "ff"),
    ("%X", vec![Value::int(255)], "FF"),
    ("%#x", vec![Value::int(255)], "0xff"),
    ("%#X", vec![Value::int(255)], "0XFF"),
    ("%#08x", vec![Value::int(255)], "0x000000ff"),
    ("%#o", vec![Value::int(8)], "010"),
    ("%#b", vec![Value::int(5)], "0b101"),
    ("%b", vec![Value::int(-5)], "-101"),
    ("%o", vec![Value::int(64)], "100"),
    ("%x", vec![Value::int(-255)], "-ff"),
    ("%d", vec![Value::Number(Number::Uint(18446744073709551615))], "18446744073709551615"),
    ("%d", vec![Value::int(-9223372036854775808)], "-9223372036854775808"),
    ("%.0d|", vec![Value::int(0)], "|"),
    ("%5.0d|", vec![Value::int(0)], "     |"),
    ("%.3d", vec![Value::int(7)], "007"),
    ("%+.3d", vec![Value::int(7)], "+007"),
    ("%08.3d", vec![Value::int(7)], "     007"),
    ("%08.3f", vec![Value::float(3.14159e+00)], "0003.142"),
    ("%-8.2f|", vec![Value::float(-3.14159e+00)], "-3.14   |"),
    ("%+08.2f", vec![Value::float(3.14159e+00)], "+0003.14"),
    ("% .2f", vec![Value::float(3.14159e+00)], " 3.14"),
    ("%f", vec![Value::float(1e+20)], "100000000000000000000.000000"),
    ("%.0f", vec![Value::float(2.5e+00)], "2"),
    ("%.0f", vec![Value::float(3.5e+00)], "4"),
    ("%.2f", vec![Value::float(1.25e-01)], "0.12"),
    ("%+.2e", vec![Value::float(1.2345678e+04)], "+1.23e+04"),
    ("%E", vec![Value::float(1e-07)], "1.000000E-07"),
    ("%e", vec![Value::float(0e+00)], "0.000000e+00"),
    ("%.0e", vec![Value::float(5e+300)], "5e+300"),
    ("%g", vec![Value::float(1e+06)], "1e+06"),
    ("%g", vec![Value::float(1.23456e+05)], "123456"),
    ("%G", vec![Value::float(1e-10)], "1E-10"),
    ("%.3g", vec![Value::float(1.2345678e+03)], "1.23e+03"),
    ("%.3g", vec![Value::float(1e+05)], "1e+05"),
    ("%#g", vec![Value::float(1e+00)], "1.00000"),
    ("%#.3g", vec![Value::float(2e+00)], "2.00"),
    ("%#.0f", vec![Value::float(3e+00)], "3."),
    ("%#e", vec![Value::float(1e+00)], "1.000000e+00"),
    ("%v", vec![Value::float(1e+06)], "1e+06"),
    ("%v", vec![Value::float(1e+21)], "1e+21"),
    ("%v", vec![Value::float(1e-04)], "0.0001"),
    ("%v", vec![Value::float(1e-05)], "1e-05"),
    ("%v", vec![Value::float(-5e-01)], "-0.5"),
    ("%v", vec![Value::float(1.23456789e+08)], "1.23456789e+08"),
    ("%v", vec![Value::float(5e-324)], "5e-324"),
    ("%.2v", vec![Value::float(3.14159e+00)], "3.1"),
    ("%10.3v|", vec![Value::float(3.14159e+00)], "      3.14|"),
    ("%+v", vec![Value::int(5)], "5"),
    ("%+v", vec![Value::float(1.5e+00)], "1.5"),
    ("%+d", vec![Value::int(5)], "+5"),
    ("%x", vec![Value::string("hello")], "68656c6c6f"),
    ("% x", vec![Value::string("hi!")], "68 69 21"),
    ("%#x", vec![Value::string("hi")], "0x6869"),
    ("% #X", vec![Value::string("hi")], "0X68 0X69"),
    ("%.2x", vec![Value::string("hello")], "6865"),
    ("%x", vec![Value::string("")], ""),
    ("%8x|", vec![Value::string("")], "        |"),
    ("%-8x|", vec![Value::string("ab")], "6162    |"),
    ("%08x", vec![Value::string("ab")], "00006162"),
    ("%q", vec![Value::string("tab\there \"quoted\" é ☺")], "\"tab\\there \\\"quoted\\\" é ☺\""),
    ("%q", vec![Value::string("\x00\x7f\u{a0}\u{200b}\u{2028}😀\u{e0001}")], "\"\\x00\\x7f\\u00a0\\u200b\\u2028😀\\U000e0001\""),
    ("%+q", vec![Value::string("日本")], "\"\\u65e5\\u672c\""),
    ("%#q", vec![Value::string("back")], "`back`"),
    ("%#q", vec![Value::string("has`tick")], "\"has`tick\""),
    ("%#q", vec![Value::string("line\nbreak")], "\"line\\nbreak\""),
    ("%10q|", vec![Value::string("ab")], "      \"ab\"|"),
    ("%-10q|", vec![Value::string("ab")], "\"ab\"      |"),
    ("%.2q", vec![Value::string("日本語")], "\"日本\""),
    ("%5.2s|", vec![Value::string("abcdef")], "   ab|"),
    ("%.1s", vec![Value::string("日本語")], "日"),
    ("%-6s|", vec![Value::string("ab")], "ab    |"),
    ("%6s", vec![Value::string("日本")], "    日本"),
    ("%05s", vec![Value::string("ab")], "000ab"),
    ("%v", vec![Value::Bool(true)], "true"),
    ("%t", vec![Value::Bool(false)], "false"),
    ("%5t|", vec![Value::Bool(true)], " true|"),
    ("%-7t|", vec![Value::Bool(false)], "false  |"),
    ("%#v", vec![Value::string("x\"y")], "\"x\\\"y\""),
    ("%#v", vec![Value::float(1.5e+00)], "1.5"),
    ("%#v", vec![Value::float(1e+06)], "1e+06"),
    ("%#v", vec![Value::int(-3)], "-3"),
    ("%#v", vec![Value::Bool(false)], "false"),
    ("%[2]d %[1]d", vec![Value::int(1), Value::int(2)], "2 1"),
    ("%[1]d %d", vec![Value::int(1), Value::int(2)], "1 2"),
    ("%d %[1]d %d", vec![Value::int(1), Value::int(2)], "1 1 2"),
    ("%[2]v %[2]v %[1]v", vec![Value::string("a"), Value::string("b")], "b b a"),
    ("%5[1]d|%d", vec![Value::int(1), Value::int(2)], "    1|2"),
    ("%.2[2]f|%[1]d", vec![Value::int(1), Value::float(2.5e+00)], "2.50|1"),
    ("%v %v %v", vec![Value::int(1), Value::string("a"), Value::Bool(true)], "1 a true"),
    ("%%", vec![], "%"),
    ("100%%", vec![], "100%"),
    ("%d%%", vec![Value::int(50)], "50%"),
    ("%5%|", vec![], "%|"),
    ("no verbs", vec![], "no verbs"),
    ("日本 %s 語", vec![Value::string("x")], "日本 x 語"),
    ]
}

#[test]
fn go_fmt_behaviours_match_byte_for_byte() {
    let mut failures = Vec::new();
    for (fmt, args, want) in go_cases() {
        let mut all = vec![s(fmt)];
        all.extend(args.iter().cloned());
        match format(&all) {
            Ok(Value::String(got)) if got == want => {}
            other => failures.push(format!(
                "{fmt:?} {args:?}: got {other:?}, Go prints {want:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases differ from Go:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn integral_floats_format_as_integers() {
    // Kinds are invisible: a float without a fraction is accepted by the integer verbs.
    assert_eq!(ok(&[s("%d"), Value::float(3.0)]), "3");
    assert_eq!(ok(&[s("%05d"), Value::float(-42.0)]), "-0042");
    assert_eq!(ok(&[s("%x"), Value::float(255.0)]), "ff");
    assert_eq!(ok(&[s("%d"), Value::float(1e20)]), "100000000000000000000");
    assert_eq!(ok(&[s("%x"), Value::float(1e20)]), "56bc75e2d63100000");
    assert_eq!(
        ok(&[s("%b"), Value::float(2f64.powi(70))]),
        format!("1{}", "0".repeat(70))
    );
    assert_eq!(ok(&[s("%d"), Value::float(-0.0)]), "0");
    assert_eq!(
        call_error(&[s("%d"), Value::float(1.5)]),
        "verb %d cannot format a value of type number"
    );
    // Ints are accepted by the float verbs.
    assert_eq!(ok(&[s("%.2f"), Value::int(3)]), "3.00");
    assert_eq!(
        ok(&[s("%e"), Value::Number(Number::Uint(u64::MAX))]),
        "1.844674e+19"
    );
}

#[test]
fn percent_s_prints_numbers_and_bools_like_conversions_to_string() {
    assert_eq!(ok(&[s("%s"), Value::int(42)]), "42");
    assert_eq!(ok(&[s("%s"), Value::float(2.5)]), "2.5");
    assert_eq!(ok(&[s("%s"), Value::float(1e20)]), "100000000000000000000");
    assert_eq!(ok(&[s("%s"), Value::float(1e-7)]), "0.0000001");
    assert_eq!(
        ok(&[s("%s"), Value::Number(Number::Uint(u64::MAX))]),
        "18446744073709551615"
    );
    assert_eq!(ok(&[s("%5s|"), Value::int(42)]), "   42|");
    assert_eq!(
        ok(&[s("%s and %s"), Value::Bool(true), Value::Bool(false)]),
        "true and false"
    );
    // %v keeps Go's float form.
    assert_eq!(ok(&[s("%v"), Value::float(1e20)]), "1e+20");
    // %#v prints every number like %v (Go would print a uint64 as 0x…).
    assert_eq!(
        ok(&[s("%#v"), Value::Number(Number::Uint(u64::MAX))]),
        "18446744073709551615"
    );
}

#[test]
fn plain_optional_secrets_are_text_and_secrets_are_refused() {
    assert_eq!(ok(&[s("%q"), opt("pw", false)]), "\"pw\"");
    assert_eq!(ok(&[s("%x"), opt("pw", false)]), "7077");
    let refused = |args: &[Value], index: usize| {
        assert_eq!(
            format(args),
            Err(FunctionError::Argument {
                index,
                path: ValuePath::root(),
                message: "secrets may not be converted into strings".to_owned(),
            }),
            "{args:?}"
        );
    };
    refused(&[s("%s"), secret("pw")], 1);
    refused(&[s("%s"), opt("pw", true)], 1);
    // Whatever the verb, and even when nothing would print it.
    refused(&[s("%d %s"), Value::int(1), secret("pw")], 2);
    refused(&[s("%x"), secret("pw")], 1);
    refused(&[s("no verbs"), secret("pw")], 1);
    // The format itself.
    refused(&[secret("%s")], 0);
    refused(&[opt("%s", true)], 0);
}

#[test]
fn the_format_converts_like_a_string_argument() {
    assert_eq!(ok(&[Value::int(12)]), "12");
    assert_eq!(ok(&[Value::float(1.5)]), "1.5");
    assert_eq!(ok(&[opt("%d!", false), Value::int(7)]), "7!");
    assert_eq!(ok(&[Value::Null]), "");
    assert_eq!(
        format(&[Value::Array(vec![])]),
        Err(FunctionError::Argument {
            index: 0,
            path: ValuePath::root(),
            message: "should be string, got array".to_owned(),
        })
    );
}

#[test]
fn wrong_types_for_a_verb_fail_without_partial_output() {
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (
            vec![s("%d"), s("x")],
            "verb %d cannot format a value of type string",
        ),
        (
            vec![s("%t"), s("true")],
            "verb %t cannot format a value of type string",
        ),
        (
            vec![s("%f"), s("1.5")],
            "verb %f cannot format a value of type string",
        ),
        (
            vec![s("%q"), Value::int(1)],
            "verb %q cannot format a value of type number",
        ),
        (
            vec![s("%t"), Value::int(1)],
            "verb %t cannot format a value of type number",
        ),
        (
            vec![s("%x"), Value::Bool(true)],
            "verb %x cannot format a value of type bool",
        ),
        (
            vec![s("%q"), Value::Bool(true)],
            "verb %q cannot format a value of type bool",
        ),
        (
            vec![s("%v"), Value::Null],
            "verb %v cannot format a value of type null",
        ),
        (
            vec![s("%s"), Value::Array(vec![Value::int(1)])],
            "verb %s cannot format a value of type array",
        ),
        (
            vec![s("%v"), Value::Object(Object::new())],
            "verb %v cannot format a value of type object",
        ),
        (
            vec![s("ok %s then %d"), s("a"), s("b")],
            "verb %d cannot format a value of type string",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(call_error(&args), want, "{args:?}");
    }
}

#[test]
fn argument_counting_and_indexes() {
    assert_eq!(
        call_error(&[s("%s %s"), s("x")]),
        "missing argument for verb %s"
    );
    assert_eq!(call_error(&[s("%d")]), "missing argument for verb %d");
    assert_eq!(
        call_error(&[s("%s"), s("x"), s("y")]),
        "too many arguments (2 given, 1 used)"
    );
    assert_eq!(
        call_error(&[s("plain"), s("x")]),
        "too many arguments (1 given, 0 used)"
    );
    // Reordered arguments are counted too: one that nothing prints is an error.
    assert_eq!(
        call_error(&[s("%[1]s %[1]s"), s("x"), s("y")]),
        "too many arguments (2 given, 1 used)"
    );
    assert_eq!(ok(&[s("%[1]s %[1]s"), s("x")]), "x x");
    // Explicit indexes out of range or malformed, and indexes before a width or precision, are
    // missing arguments (Go prints %!d(BADINDEX)).
    for fmt in [
        "%[3]d", "%[0]d", "%[x]d", "%[]d", "%[1d", "%[1]5d", "%[1].2f",
    ] {
        let verb = fmt.chars().last().unwrap_or('?');
        assert_eq!(
            call_error(&[s(fmt), Value::int(1), Value::int(2)]),
            format!("missing argument for verb %{verb}"),
            "{fmt}"
        );
    }
    // `%%` takes no argument.
    assert_eq!(ok(&[s("%d%%"), Value::int(5)]), "5%");
}

#[test]
fn unknown_verbs_and_malformed_directives() {
    for (fmt, want) in [
        ("%c", "unknown verb %c"),
        ("%U", "unknown verb %U"),
        ("%T", "unknown verb %T"),
        ("%p", "unknown verb %p"),
        ("%w", "unknown verb %w"),
        ("%é", "unknown verb %é"),
        ("%!", "unknown verb %!"),
        // `*` widths and precisions are not supported.
        ("%*d", "unknown verb %*"),
        ("%.*d", "unknown verb %*"),
        // A `.` at the very end is the verb.
        ("%5.", "unknown verb %."),
        ("abc%", "missing verb at end of format"),
        ("%-", "missing verb at end of format"),
        ("%[1]", "missing verb at end of format"),
        (
            "%2000000d",
            "width or precision too large (at most 1000000)",
        ),
        (
            "%.2000000f",
            "width or precision too large (at most 1000000)",
        ),
    ] {
        assert_eq!(call_error(&[s(fmt), Value::int(1)]), want, "{fmt}");
    }
}

#[test]
fn large_widths_within_the_limit_pad() {
    let text = ok(&[s("%1000000d"), Value::int(1)]);
    assert_eq!(text.len(), 1_000_000);
    assert!(text.ends_with(" 1"));
}

#[test]
fn arity() {
    assert_eq!(call_error(&[]), "expected at least 1 args, got 0");
}

#[test]
fn argument_errors_carry_no_path_for_top_level_arguments() {
    // A secret nested in an array is a type error of the array, not a secret error.
    let nested = Value::Array(vec![secret("pw")]);
    assert_eq!(
        call_error(&[s("%v"), nested]),
        "verb %v cannot format a value of type array"
    );
}

proptest::proptest! {
    /// Any format with any arguments returns (text or an error) without panicking (syntax §12).
    #[test]
    fn never_panics(
        fmt in "[%\\[\\]0-9.+# vsqdboxXeEfFgGtcT*é-]{0,24}",
        n in proptest::prelude::any::<i64>(),
        f in proptest::prelude::any::<f64>(),
        text in "\\PC{0,6}",
    ) {
        let argument_lists = [
            vec![],
            vec![Value::int(n)],
            vec![Value::float(f), s(&text)],
            vec![Value::Bool(n % 2 == 0), Value::Number(Number::Uint(n.unsigned_abs())), Value::Null],
        ];
        for args in argument_lists {
            let mut all = vec![s(&fmt)];
            all.extend(args);
            let _ = format(&all);
        }
    }
}
