//! Property tests: the lexer and parser never panic, always terminate, and keep every position
//! inside the text, whatever the input (syntax §11 item 3, §12).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use ferroalloy_syntax::ast::{Body, Expr, Stmt};
use ferroalloy_syntax::lexer::{decode_source, tokenize};
use ferroalloy_syntax::parser::{parse_expression, parse_file};
use ferroalloy_syntax::{Diagnostics, SourceFile, TokenKind};
use proptest::prelude::*;

/// Every diagnostic points inside the text (or just past its end).
fn check_diagnostics(src: &SourceFile, diags: &Diagnostics) {
    for d in diags {
        assert!(d.start.offset <= src.text().len(), "{d:?}");
        assert_eq!(src.position(d.start.offset), d.start);
    }
}

fn check_expr(src: &SourceFile, expr: &Expr) {
    expr.walk(&mut |e| {
        assert!(
            e.span.start <= e.span.end && e.span.end <= src.text().len(),
            "{e:?}"
        );
        assert!(
            src.text().is_char_boundary(e.span.start) && src.text().is_char_boundary(e.span.end)
        );
    });
}

fn check_body(src: &SourceFile, body: &Body) {
    for stmt in &body.stmts {
        match stmt {
            Stmt::Attribute(attr) => check_expr(src, &attr.value),
            Stmt::Block(block) => {
                assert!(
                    block.lbrace.end <= src.text().len() && block.rbrace.end <= src.text().len()
                );
                check_body(src, &block.body);
            }
        }
    }
}

/// Lex, parse as a file and as an expression, and check every position.
fn exercise(text: String) {
    let src = SourceFile::new("prop.alloy", text);
    let (tokens, lex_diags) = tokenize(&src);
    assert_eq!(tokens.last().map(|t| t.kind), Some(TokenKind::Eof));
    assert!(tokens.iter().all(|t| t.span.end <= src.text().len()));
    check_diagnostics(&src, &lex_diags.into());
    let (file, diags) = parse_file(&src);
    check_diagnostics(&src, &diags);
    check_body(&src, &file.body);
    for c in &file.comments {
        assert!(
            src.text().is_char_boundary(c.span.start) && src.text().is_char_boundary(c.span.end)
        );
    }
    let (expr, diags) = parse_expression(&src);
    check_diagnostics(&src, &diags);
    if let Some(expr) = expr {
        assert!(!diags.has_errors());
        check_expr(&src, &expr);
    } else {
        assert!(diags.has_errors());
    }
}

const VOCABULARY: &[&str] = &[
    "a",
    "b",
    "foo.bar",
    "\"lbl\"",
    "\"x\\n\"",
    "`raw`",
    "1",
    "010",
    "2.5",
    ".5",
    "1e3",
    "10E",
    "1e400",
    "true",
    "false",
    "null",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "!",
    "&&",
    "||",
    "|",
    "&",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "\n",
    "\n",
    "\n",
    " ",
    "\t",
    "\r",
    "// c\n",
    "/* c */",
    "/* \n */",
    "/*",
    "\"",
    "`",
    "'",
    "\\",
    "#",
    "\0",
    "\u{feff}",
    "…",
    "é",
    "\"\\xff\"",
    "\"\\ud800\"",
    "\"\\q\"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let (text, errors) = decode_source(&bytes);
        for (offset, _) in &errors {
            prop_assert!(*offset <= text.len());
        }
        exercise(text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn token_soups_never_panic(parts in proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..80)) {
        exercise(parts.concat());
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,120}") {
        exercise(text);
    }
}

/// A generator of well-formed expressions of bounded depth.
fn valid_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z_][a-z0-9_]{0,5}".prop_filter("keywords", |s| !matches!(
            s.as_str(),
            "true" | "false" | "null"
        )),
        (0u64..100_000).prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        "[a-z ]{0,6}".prop_map(|s| format!("{s:?}")),
        Just("true".to_string()),
        Just("null".to_string()),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let op = proptest::sample::select(
            &[
                "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "^",
            ][..],
        );
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            proptest::collection::vec(inner.clone(), 0..4)
                .prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec(("[a-z]{1,4}", inner.clone()), 0..4).prop_map(|v| {
                let fields: Vec<String> =
                    v.into_iter().map(|(k, e)| format!("{k} = {e}")).collect();
                format!("{{{}}}", fields.join(", "))
            }),
            (
                inner.clone(),
                proptest::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(f, args)| format!("({f})({})", args.join(",\n"))),
            (inner.clone(), inner.clone()).prop_map(|(a, i)| format!("({a})[{i}]")),
            inner.prop_map(|a| format!("({a}).field")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn well_formed_expressions_parse_cleanly(text in valid_expr()) {
        let src = SourceFile::new("", text.as_str());
        let (expr, diags) = parse_expression(&src);
        prop_assert!(diags.is_empty(), "{text:?}: {diags:?}");
        let expr = expr.unwrap();
        prop_assert_eq!((expr.span.start, expr.span.end), (0, text.len()));
        // The same expression as an attribute value in a block parses cleanly too.
        let body = format!("blk \"l\" {{\n  attr = {text}\n}}\n");
        let (_, diags) = parse_file(&SourceFile::new("f.alloy", body.as_str()));
        prop_assert!(diags.is_empty(), "{body:?}: {diags:?}");
    }
}
