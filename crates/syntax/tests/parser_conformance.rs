//! The parser against `conformance/syntax/parser/` (README: "parser/…"), plus the rows of
//! syntax §2.6, §3.3, §3.4 and §12 that concern parsing.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use ferroalloy_syntax::ast::{Expr, ExprKind, File, LiteralValue, Stmt};
use ferroalloy_syntax::lexer::tokenize;
use ferroalloy_syntax::parser::{leading_zero_warnings, parse_expression, parse_file};
use ferroalloy_syntax::{Diagnostics, SourceFile, TokenKind};
use regex::Regex;
use serde_json::Value;

const PARSER_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/parser"
);

/// `(name, bytes)` of every file in `parser/<dir>` with extension `.alloy`, sorted by name.
fn corpus_files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let path = format!("{PARSER_DIR}/{dir}");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "alloy"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

fn parse(text: &str) -> (File, Diagnostics) {
    parse_file(&SourceFile::new("test.alloy", text))
}

/// The diagnostics as `line:col: message`, sorted.
fn errors(text: &str) -> Vec<String> {
    let (_, diags) = parse(text);
    diags
        .sorted()
        .iter()
        .map(|d| format!("{}:{}: {}", d.start.line, d.start.column, d.message))
        .collect()
}

fn expr_errors(text: &str) -> Vec<String> {
    let (_, diags) = parse_expression(&SourceFile::new("", text));
    diags.sorted().iter().map(|d| d.to_string()).collect()
}

fn expr(text: &str) -> Expr {
    let (expr, diags) = parse_expression(&SourceFile::new("", text));
    assert!(diags.is_empty(), "{text:?}: {diags:?}");
    expr.expect("expression")
}

#[test]
fn valid_files_parse_without_diagnostics() {
    let files = corpus_files("valid");
    assert_eq!(files.len(), 5);
    for (name, bytes) in files {
        let text = String::from_utf8(bytes).expect("valid files are UTF-8");
        let (_, diags) = parse_file(&SourceFile::new(name.as_str(), text));
        assert!(diags.is_empty(), "{name}: {diags:?}");
    }
}

#[test]
fn valid_files_have_the_expected_shape() {
    let text = std::fs::read_to_string(format!("{PARSER_DIR}/valid/blocks.alloy")).unwrap();
    let (file, _) = parse(&text);
    let names: Vec<(String, Option<String>)> = file
        .body
        .stmts
        .iter()
        .map(|s| match s {
            Stmt::Block(b) => (b.full_name(), b.label.as_ref().map(|l| l.text.clone())),
            Stmt::Attribute(a) => (format!("attr {}", a.name.name), None),
        })
        .collect();
    assert_eq!(names.len(), 13);
    assert_eq!(names[0], ("one_ident".to_string(), None));
    assert_eq!(
        names[1],
        ("one_ident".to_string(), Some("labeled".to_string()))
    );
    assert_eq!(
        names[5],
        ("chain.of.idents".to_string(), Some("labeled".to_string()))
    );
    assert_eq!(names[12], ("nested_block".to_string(), None));

    let text = std::fs::read_to_string(format!("{PARSER_DIR}/valid/comments.alloy")).unwrap();
    let (file, _) = parse(&text);
    assert!(file.body.stmts.is_empty());
    assert_eq!(file.comments.len(), 1);
    assert_eq!(file.comments[0].text, "// Hello, world!");
}

#[test]
fn expressions_jsonl() {
    let text = std::fs::read_to_string(format!("{PARSER_DIR}/expressions.jsonl")).unwrap();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).unwrap();
        let source = row["expr"].as_str().unwrap();
        let (parsed, diags) = parse_expression(&SourceFile::new("", source));
        assert!(diags.is_empty(), "{}: {diags:?}", row["name"]);
        let parsed = parsed.expect("expression");
        assert_eq!(parsed.span.start, 0, "{}", row["name"]);
        assert_eq!(parsed.span.end, source.trim_end().len(), "{}", row["name"]);
        if let Some(keys) = row.get("object_keys") {
            let ExprKind::Object(fields) = &parsed.kind else {
                panic!("{}: not an object", row["name"])
            };
            let got: Vec<&str> = fields.iter().map(|f| f.key.name.as_str()).collect();
            let want: Vec<&str> = keys
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{}", row["name"]);
        }
        count += 1;
    }
    assert_eq!(count, 36);
}

/// RE2 (Go) reads a `{` or `}` that does not form a repetition such as `{2}` or `{1,3}` as a
/// literal character; the `regex` crate rejects it, so escape those.
fn re2_literal_braces(pattern: &str) -> String {
    let repetition = Regex::new(r"^\{[0-9]+(,[0-9]*)?\}").unwrap();
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            let escaped: String = rest.chars().take(2).collect();
            out.push_str(&escaped);
            rest = &rest[escaped.len()..];
            continue;
        }
        if let Some(m) = repetition.find(rest) {
            out.push_str(m.as_str());
            rest = &rest[m.end()..];
            continue;
        }
        if c == '{' || c == '}' {
            out.push('\\');
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// An expected error of the `parser/errors` harness.
struct Expectation {
    offset: usize,
    pattern: Regex,
    met: bool,
}

/// The README harness: expectations from `/* ERROR "regex" */` comments, at `prev` (the start of
/// the last token that is neither a comment nor a terminator) or at `here` (its end).
fn expectations(src: &SourceFile) -> Vec<Expectation> {
    let marker = Regex::new(r#"^/\* *ERROR *(HERE)? *"([^"]*)" *\*/$"#).unwrap();
    let (tokens, _) = tokenize(src);
    let mut prev: Option<(usize, usize)> = None;
    let mut out = Vec::new();
    for token in tokens {
        match token.kind {
            TokenKind::Comment => {
                if let Some(caps) = marker.captures(&token.text) {
                    let (start, end) = prev.expect("an ERROR comment follows a token");
                    out.push(Expectation {
                        offset: if caps.get(1).is_some() { end } else { start },
                        pattern: Regex::new(&re2_literal_braces(&caps[2])).unwrap(),
                        met: false,
                    });
                }
            }
            TokenKind::Terminator => {}
            _ => prev = Some((token.span.start, token.span.end)),
        }
    }
    out
}

#[test]
fn error_files_report_exactly_the_annotated_diagnostics() {
    let files = corpus_files("errors");
    assert_eq!(files.len(), 6);
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, bytes) in files {
        let text = String::from_utf8(bytes).expect("error files are UTF-8");
        let src = SourceFile::new(name.as_str(), text);
        let mut expected = expectations(&src);
        assert!(!expected.is_empty(), "{name} has no ERROR comment");
        total += expected.len();
        let (_, diags) = parse_file(&src);
        for diag in &diags {
            let hit = expected.iter_mut().find(|e| {
                !e.met && e.offset == diag.start.offset && e.pattern.is_match(&diag.message)
            });
            match hit {
                Some(e) => e.met = true,
                None => failures.push(format!(
                    "{name}: unexpected {diag} (offset {})",
                    diag.start.offset
                )),
            }
        }
        for e in expected.iter().filter(|e| !e.met) {
            let pos = src.position(e.offset);
            failures.push(format!(
                "{name}:{}:{}: missing error matching {:?}",
                pos.line,
                pos.column,
                e.pattern.as_str()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(total, 13);
}

#[test]
fn fuzz_files_parse_without_panicking() {
    let files = corpus_files("fuzz");
    assert_eq!(files.len(), 3);
    for (name, bytes) in files {
        let (text, _) = ferroalloy_syntax::lexer::decode_source(&bytes);
        let (_, diags) = parse_file(&SourceFile::new(name.as_str(), text));
        // Each of these inputs is broken somewhere.
        assert!(diags.has_errors(), "{name}");
    }
}

#[test]
fn automatic_terminators_table_of_section_2_6() {
    assert_eq!(
        errors("a = [\n 1,\n 2\n]"),
        ["3:3: missing ',' in expression list"]
    );
    assert_eq!(
        errors("a = {\n a = 1\n}"),
        ["2:7: missing ',' in field list"]
    );
    assert_eq!(errors("a = 1 +\n 2"), Vec::<String>::new());
    let (file, _) = parse("a = 1 +\n 2");
    let Stmt::Attribute(attr) = &file.body.stmts[0] else {
        panic!("attribute")
    };
    assert!(matches!(
        &attr.value.kind,
        ExprKind::Binary {
            op: ferroalloy_syntax::ast::BinaryOp::Add,
            ..
        }
    ));
    assert_eq!(errors("a = 1\n + 2"), ["2:2: expected identifier, got +"]);
    assert_eq!(errors("a = f(\n 1,\n)"), Vec::<String>::new());
}

#[test]
fn statement_rules_of_section_3_3() {
    assert_eq!(
        errors("a.b = 1"),
        [r#"1:1: attribute names may only consist of a single identifier with no ".""#]
    );
    assert_eq!(
        errors("a \"l\" = 1"),
        ["1:3: attribute names may not have labels"]
    );
    assert_eq!(
        errors("a 1 {\n}"),
        ["1:3: expected block label, got NUMBER"]
    );
    assert_eq!(
        errors("a `l` {\n}"),
        ["1:3: expected block label to be a double quoted string, but got \"`l`\""]
    );
    assert_eq!(
        errors("a \"with space\" {\n}"),
        ["1:3: expected block label to be a valid identifier, but got \"with space\""]
    );
    assert_eq!(
        errors("x = a.b \"l\" {\n}"),
        ["1:5: cannot use a block as an expression"]
    );
    assert_eq!(
        errors("x = {1 = 2}"),
        ["1:6: expected field name (string or identifier), got NUMBER"]
    );

    // The block-as-value diagnostic spans the value start to the closing brace.
    let (_, diags) = parse("x = a.b \"l\" {\n  y = 1\n}");
    let d = &diags.iter().next().unwrap();
    assert_eq!((d.start.offset, d.end.map(|e| e.offset)), (4, Some(22)));

    // Label text: the literal minus its first and last character, no escape processing.
    assert_eq!(
        errors("a \"abc {\n}"),
        [
            "1:3: string literal not terminated",
            "1:3: expected block label to be a valid identifier, but got \"abc \""
        ]
    );
    let (file, _) = parse("a \"a\\x41\" {\n}");
    let Stmt::Block(block) = &file.body.stmts[0] else {
        panic!("block")
    };
    assert_eq!(
        block.label.as_ref().map(|l| l.text.as_str()),
        Some("a\\x41")
    );
    let (file, diags) = parse("a \"\" {\n}");
    assert!(diags.is_empty());
    let Stmt::Block(block) = &file.body.stmts[0] else {
        panic!("block")
    };
    assert!(block.label.is_none());

    // Quoted keys are decoded (E1); duplicate keys are kept for the evaluator (last wins).
    let ExprKind::Object(fields) = expr(r#"{"a\tb" = 1, c = 2, "c" = 3}"#).kind else {
        panic!("object")
    };
    let keys: Vec<(&str, &str, bool)> = fields
        .iter()
        .map(|f| (f.key.name.as_str(), f.key.raw.as_str(), f.key.quoted))
        .collect();
    assert_eq!(
        keys,
        [
            ("a\tb", r#""a\tb""#, true),
            ("c", "c", false),
            ("c", r#""c""#, true)
        ]
    );
}

#[test]
fn recovery_rules_of_section_3_4() {
    // Rule 1: one parser error per line; lexer errors always count.
    assert_eq!(errors("a = + + +"), ["1:5: expected expression, got +"]);
    assert_eq!(
        errors("a = # + )"),
        [
            "1:5: illegal character U+0023 '#'",
            "1:5: expected expression, got ILLEGAL"
        ]
    );
    // Rule 2.
    assert_eq!(
        errors("1 = 2\nb = 3"),
        [
            "1:1: expected identifier, got NUMBER",
            "2:1: expected TERMINATOR, got IDENT"
        ]
    );
    // Rule 3.
    assert_eq!(errors("a b {\n}"), ["1:3: expected block label, got IDENT"]);
    assert_eq!(
        errors("a\n"),
        [
            "1:2: expected block label, got TERMINATOR",
            "2:1: expected attribute assignment or block body, got EOF"
        ]
    );
    // `c` is consumed as the label; `expected block body` on the same line is dropped.
    assert_eq!(errors("a.b c"), ["1:5: expected block label, got IDENT"]);
    assert_eq!(errors("a.b \"c\" ,"), ["1:9: expected block body, got ,"]);
    // Rule 4.
    assert_eq!(
        errors("a = 1 2\nb = 3"),
        ["1:7: expected TERMINATOR, got NUMBER"]
    );
    let (file, _) = parse("a = 1 2\nb = 3");
    assert_eq!(file.body.stmts.len(), 2);
    // Rule 5.
    assert_eq!(
        expr_errors("f(1, , 2)"),
        ["1:6: expected expression, got ,"]
    );
    // Rule 6.
    assert_eq!(
        expr_errors("[1 2]"),
        ["1:4: missing ',' in expression list"]
    );
    // Rule 7.
    assert_eq!(expr_errors("a.true"), ["1:3: expected IDENT, got BOOL"]);
    assert_eq!(expr_errors("(1"), ["1:3: expected ), got TERMINATOR"]);
    // Rule 8.
    assert_eq!(
        errors("a.\"x\" {\n}"),
        ["1:3: expected identifier, got STRING"]
    );
    // Rule 9.
    assert_eq!(
        errors("x = a \"l\" \"m\" 1"),
        ["1:11: expected {, got STRING"]
    );
}

#[test]
fn standalone_expressions() {
    assert_eq!(
        expr_errors("{ a = 15 }.7"),
        ["1:11: expected TERMINATOR, got FLOAT"]
    );
    assert_eq!(
        expr_errors("{ a = { b = 12 }.7 }.a.b"),
        ["1:17: missing ',' in field list"]
    );
    assert_eq!(expr_errors("+1"), ["1:1: expected expression, got +"]);
    assert_eq!(expr_errors("1\n2"), ["2:1: expected EOF, got NUMBER"]);
    assert_eq!(expr_errors(""), ["1:1: expected expression, got EOF"]);
    assert_eq!(expr_errors("1 // comment"), Vec::<String>::new());
    let (parsed, diags) = parse_expression(&SourceFile::new("", "1 +"));
    assert!(parsed.is_none() && diags.has_errors());
}

#[test]
fn precedence_and_associativity_of_section_3_2() {
    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", shape(lhs), op.as_str(), shape(rhs))
            }
            ExprKind::Unary { op, operand } => format!("{}{}", op.as_str(), shape(operand)),
            ExprKind::Literal(l) => l.raw.clone(),
            ExprKind::Ident(i) => i.name.clone(),
            ExprKind::Paren(inner) => format!("[{}]", shape(inner)),
            ExprKind::Access { value, name } => format!("{}.{}", shape(value), name.name),
            _ => "?".to_string(),
        }
    }
    for (text, want) in [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-2 ^ 2", "(-2 ^ 2)"),
        ("2 ^ -2", "(2 ^ -2)"),
        ("!a || b && c", "(!a || (b && c))"),
        ("1 == 2 != 3", "((1 == 2) != 3)"),
        ("a < b + 1", "(a < (b + 1))"),
        ("1 * 3 + 5 ^ 3 - 2 % 1", "(((1 * 3) + (5 ^ 3)) - (2 % 1))"),
        ("(1 + 2) * 3", "([(1 + 2)] * 3)"),
        ("-a.b", "-a.b"),
        ("2 * 3 ^ 2 ^ 1 * 4", "((2 * (3 ^ (2 ^ 1))) * 4)"),
    ] {
        assert_eq!(shape(&expr(text)), want, "{text}");
    }
}

#[test]
fn literal_values() {
    fn value(text: &str) -> LiteralValue {
        match expr(text).kind {
            ExprKind::Literal(l) => l.value,
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(value("10"), LiteralValue::Int(10));
    assert_eq!(value("010"), LiteralValue::Int(10));
    assert_eq!(value("0"), LiteralValue::Int(0));
    assert_eq!(value("000"), LiteralValue::Int(0));
    assert_eq!(value("9223372036854775807"), LiteralValue::Int(i64::MAX));
    assert_eq!(
        value("9223372036854775808"),
        LiteralValue::Uint(9_223_372_036_854_775_808)
    );
    assert_eq!(value("18446744073709551615"), LiteralValue::Uint(u64::MAX));
    assert_eq!(value("99999999999999999999"), LiteralValue::Float(1e20));
    assert_eq!(
        value("123456789012345678890"),
        LiteralValue::Float(1.2345678901234568e20)
    );
    assert_eq!(value("1."), LiteralValue::Float(1.0));
    assert_eq!(value(".5"), LiteralValue::Float(0.5));
    assert_eq!(value("2.71828e-1000"), LiteralValue::Float(0.0));
    assert_eq!(value("true"), LiteralValue::Bool(true));
    assert_eq!(value("null"), LiteralValue::Null);
    assert_eq!(
        value(r#""a\x41\101\u00e9""#),
        LiteralValue::String("aAAé".to_string())
    );
    assert_eq!(
        value("`a\\n\r\nb`"),
        LiteralValue::String("a\\n\nb".to_string())
    );
    assert_eq!(
        expr_errors("1e400"),
        ["1:1: number literal 1e400 is out of range"]
    );
    assert_eq!(
        expr_errors(&"9".repeat(400)),
        [format!(
            "1:1: number literal {} is out of range",
            "9".repeat(400)
        )]
    );
    assert_eq!(
        expr_errors(r#""\xff""#),
        ["1:1: string literal is not valid UTF-8 after escape processing"]
    );
    assert_eq!(expr_errors(r#""\xc3\xa9""#), Vec::<String>::new());
    assert_eq!(expr_errors(r#""it\'s""#), ["1:5: unknown escape sequence"]);
    assert_eq!(expr_errors("10E"), ["1:1: exponent has no digits"]);
}

#[test]
fn spans_cover_closers() {
    let e = expr("f(1, [2], {a = 3})[0].b");
    assert_eq!(e.span, ferroalloy_syntax::Span::new(0, 23));
    let ExprKind::Access { value, name } = &e.kind else {
        panic!()
    };
    assert_eq!((name.span.start, name.span.end), (22, 23));
    let ExprKind::Index { value: call, index } = &value.kind else {
        panic!()
    };
    assert_eq!(value.span.end, 21);
    assert_eq!(index.span, ferroalloy_syntax::Span::new(19, 20));
    let ExprKind::Call { args, .. } = &call.kind else {
        panic!()
    };
    assert_eq!(call.span.end, 18);
    let spans: Vec<(usize, usize)> = args.iter().map(|a| (a.span.start, a.span.end)).collect();
    assert_eq!(spans, [(2, 3), (5, 8), (10, 17)]);

    let (file, diags) = parse("// head\nblk \"x\" { // trailing\n  a = 1 /* c */\n}\n");
    assert!(diags.is_empty(), "{diags:?}");
    let Stmt::Block(block) = &file.body.stmts[0] else {
        panic!()
    };
    assert_eq!((block.lbrace.start, block.rbrace.start), (16, 46));
    assert_eq!(
        block.label.as_ref().unwrap().span,
        ferroalloy_syntax::Span::new(12, 15)
    );
    let comments: Vec<(&str, usize, usize)> = file
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.span.start, c.span.end))
        .collect();
    assert_eq!(
        comments,
        [
            ("// head", 0, 7),
            ("// trailing", 18, 29),
            ("/* c */", 38, 45)
        ]
    );
}

#[test]
fn nesting_limit_e8() {
    for (open, close) in [("[", "]"), ("(", ")"), ("{a=", "}")] {
        let ok = format!("x = {}1{}", open.repeat(200), close.repeat(200));
        assert_eq!(errors(&ok), Vec::<String>::new(), "200 levels of {open}");
        let deep = format!("x = {}1{}", open.repeat(201), close.repeat(201));
        let col = 5 + 200 * open.len();
        assert_eq!(
            errors(&deep),
            [format!("1:{col}: expression nested too deeply")],
            "201 levels of {open}"
        );
    }
    assert_eq!(
        errors(&format!("x = {}y", "!".repeat(200))),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&format!("x = {}y", "!".repeat(201))),
        ["1:205: expression nested too deeply"]
    );
    assert_eq!(
        errors(&format!("x = {}y", "-".repeat(100_000))),
        ["1:205: expression nested too deeply"]
    );
    // Blocks count too.
    let blocks = format!("{}{}", "b {\n".repeat(201), "}\n".repeat(201));
    assert_eq!(errors(&blocks), ["201:3: expression nested too deeply"]);
    // Without a matching closer, and far deeper.
    assert_eq!(
        errors(&format!("x = {}", "[".repeat(100_000)))[0],
        "1:205: expression nested too deeply"
    );
    assert_eq!(
        errors(&format!("x = {}", "(".repeat(100_000)))[0],
        "1:205: expression nested too deeply"
    );
    assert_eq!(
        errors(&format!("x = {}", "{a=".repeat(100_000)))[0],
        "1:605: expression nested too deeply"
    );
    assert_eq!(
        errors(&"a {".repeat(100_000))[0],
        "1:603: expression nested too deeply"
    );
    assert_eq!(
        errors(&format!("x = a{}", "(".repeat(100_000)))[0],
        "1:206: expression nested too deeply"
    );
    assert_eq!(
        errors(&format!("x = a{}", "[".repeat(100_000)))[0],
        "1:206: expression nested too deeply"
    );
}

#[test]
fn long_chains_stay_shallow() {
    // Operator and suffix chains are fine up to the tree-depth limit (1000 nodes), and get
    // E8's message at the operator that would go beyond it. `x = ` takes 4 columns, the first
    // operand 1, and the k-th operator of width w (with its spaces) starts at column
    // 6 + w * (k - 1) (+1 for a leading space).
    let limit = ferroalloy_syntax::parser::MAX_TREE_DEPTH as usize;
    assert_eq!(
        errors(&format!("x = 1{}", " + 1".repeat(limit - 1))),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&format!("x = 1{}", " ^ 1".repeat(limit - 1))),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&format!("x = a{}", ".b".repeat(limit - 1))),
        Vec::<String>::new()
    );
    for (suffix, width, nth) in [
        (" + 1", 4, limit),
        (" ^ 1", 4, limit),
        (" * 1", 4, limit),
        (".b", 2, limit),
        ("[0]", 3, limit),
        ("()", 2, limit),
    ] {
        let text = format!("x = a{}", suffix.repeat(100_000));
        let lead = usize::from(suffix.starts_with(' '));
        let col = 6 + lead + width * (nth - 1);
        assert_eq!(
            errors(&text),
            [format!("1:{col}: expression nested too deeply")],
            "{suffix:?}"
        );
    }
}

#[test]
fn bad_input_of_section_12() {
    assert_eq!(errors(""), Vec::<String>::new());
    assert_eq!(errors("// only\n/* comments */\n"), Vec::<String>::new());
    assert_eq!(
        errors("a = \"abc\n"),
        ["1:5: string literal not terminated"]
    );
    assert_eq!(errors("a = `abc\n"), ["1:5: string literal not terminated"]);
    assert_eq!(
        errors("a = 1 /* abc\n"),
        ["1:7: block comment not terminated"]
    );
    assert_eq!(
        errors("a = 'x'"),
        [
            "1:5: illegal single-quoted string; use double quotes",
            "1:5: expected expression, got ILLEGAL"
        ]
    );
    assert_eq!(
        errors("a = \"\\ud800\""),
        ["1:7: escape sequence is invalid Unicode code point"]
    );
    assert_eq!(
        errors("a = \"\\xff\""),
        ["1:5: string literal is not valid UTF-8 after escape processing"]
    );
    assert_eq!(
        errors("a = $"),
        [
            "1:5: illegal character U+0024 '$'",
            "1:5: expected expression, got ILLEGAL"
        ]
    );
    assert_eq!(
        errors("a = 1\0"),
        [
            "1:6: illegal character NUL",
            "1:6: expected TERMINATOR, got ILLEGAL"
        ]
    );
    assert_eq!(
        errors("a \"with space\" {\n}"),
        ["1:3: expected block label to be a valid identifier, but got \"with space\""]
    );
    // A top-level attribute is not a parse error (§3.5).
    assert_eq!(errors("a = 1"), Vec::<String>::new());
    // Invalid UTF-8 through decode_source: positioned diagnostics and the parse goes on.
    let (text, decode_errors) = ferroalloy_syntax::lexer::decode_source(b"a = \"x\xffy\"\nb = ");
    assert_eq!(decode_errors, [(6, "illegal UTF-8 encoding".to_string())]);
    assert_eq!(errors(&text), ["2:5: expected expression, got EOF"]);
}

#[test]
fn leading_zero_warning_d1() {
    let src = SourceFile::new("main.alloy", "b {\n  a = [010, 08, 0, 10, 0.5]\n}\n");
    let (file, diags) = parse_file(&src);
    assert!(diags.is_empty());
    let warnings: Vec<String> = leading_zero_warnings(&file, &src)
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        warnings,
        [
            "main.alloy:2:8: number literal 010 has a leading zero: ferroalloy reads it as decimal 10, Grafana Alloy reads it as octal 8",
            "main.alloy:2:13: number literal 08 has a leading zero: ferroalloy reads it as decimal 8",
        ]
    );
    assert!(
        leading_zero_warnings(&file, &src)
            .iter()
            .all(|d| !d.is_error())
    );
}

#[test]
fn huge_line_parses_in_linear_time() {
    let line = format!("a = [{}]\n", "{ k = \"v\", n = 1 }, ".repeat(500_000));
    let started = std::time::Instant::now();
    let (file, diags) = parse(&line);
    assert!(diags.is_empty());
    assert_eq!(file.body.stmts.len(), 1);
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn syntax_error_count_is_bounded() {
    let (_, diags) = parse(&"a = 1 1\n".repeat(20_000));
    assert_eq!(diags.len(), 10_001);
    let last = diags.iter().last().unwrap();
    assert_eq!(
        last.message,
        "too many syntax errors; later ones are not reported"
    );
    assert_eq!(last.start.line, 10_001);
}

#[test]
fn deepest_allowed_nesting_fits_in_a_small_stack() {
    // 200 levels of every kind of nesting, parsed on a thread with a 1 MiB stack (half of a
    // test thread's default), in a debug build.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            for (open, close) in [
                ("f(", ")"),
                ("[", "]"),
                ("{a = ", "}"),
                ("(", ")"),
                ("-", ""),
                ("x[", "]"),
            ] {
                let text = format!("x = {}1{}", open.repeat(200), close.repeat(200));
                assert_eq!(errors(&text), Vec::<String>::new(), "{open}");
            }
            let text = format!("{}a = 1{}", "b {\n".repeat(199), "\n}".repeat(199));
            assert_eq!(errors(&text), Vec::<String>::new());
            let text = format!("x = a{}", " + 1".repeat(999));
            assert_eq!(errors(&text), Vec::<String>::new());
        })
        .unwrap();
    handle.join().unwrap();
}
