//! Property tests of the formatter (spec syntax §9): on random configurations (blocks,
//! attributes, nested objects, arrays and calls, operators, comments, and line breaks wherever
//! the grammar allows them) formatting is idempotent, keeps every comment, and the output parses
//! to the same tree as the input (spans and comments ignored).

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use ferroalloy_syntax::SourceFile;
use ferroalloy_syntax::ast::{Body, File, Stmt};
use ferroalloy_syntax::format::{format_expr_inline, format_source};
use ferroalloy_syntax::parser::parse_file;
use proptest::prelude::*;

/// A span- and comment-free rendering of a tree: one line per statement, values printed by the
/// one-line printer (which prints literals and quoted keys from their source text).
fn tree(file: &File) -> String {
    fn walk(out: &mut String, body: &Body, depth: usize) {
        for stmt in &body.stmts {
            out.push_str(&"  ".repeat(depth));
            match stmt {
                Stmt::Attribute(attr) => {
                    out.push_str(&format!(
                        "attr {} = {}\n",
                        attr.name.name,
                        format_expr_inline(&attr.value)
                    ));
                }
                Stmt::Block(block) => {
                    let label = block.label.as_ref().map(|l| l.text.as_str()).unwrap_or("");
                    out.push_str(&format!("block {} {label:?}\n", block.full_name()));
                    walk(out, &block.body, depth + 1);
                }
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, &file.body, 0);
    out
}

fn parse(text: &str) -> Result<File, String> {
    let src = SourceFile::new("gen.alloy", text);
    let (file, diagnostics) = parse_file(&src);
    if diagnostics.has_errors() {
        let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        return Err(lines.join("\n"));
    }
    Ok(file)
}

fn ident() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "foo", "bar_baz", "x1", "a_rather_long_name"])
        .prop_map(str::to_owned)
}

fn literal() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "0",
        "10",
        "007",
        "3.5",
        "1e3",
        ".5",
        "\"s\"",
        "\"k\\\"q\\\\\"",
        "\"tab\\t\\u00e9\"",
        "`raw`",
        "`multi  \nline  `",
        "true",
        "false",
        "null",
    ])
    .prop_map(str::to_owned)
}

/// Whitespace after a token that does not produce a terminator: nothing, a space, a line break,
/// or a comment.
fn gap() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ",
        " ",
        "",
        "\n",
        "\n\n",
        " // c\n",
        " /* b */ ",
        "\n// own\n",
        "\n/* own */ ",
        "\n  ",
    ])
    .prop_map(str::to_owned)
}

/// Whitespace allowed only between tokens on one line (after an operand).
fn inline_gap() -> impl Strategy<Value = String> {
    prop::sample::select(vec![" ", "", "  ", " /* i */ "]).prop_map(str::to_owned)
}

fn list(elems: Vec<(String, String)>, trailing: bool, close_gap: String) -> String {
    let mut out = String::new();
    let n = elems.len();
    for (i, (gap, elem)) in elems.into_iter().enumerate() {
        out.push_str(&gap);
        out.push_str(&elem);
        if i + 1 < n || trailing || close_gap.contains('\n') {
            out.push(',');
        }
    }
    if n > 0 {
        out.push_str(&close_gap);
    } else if close_gap.contains('\n') {
        out.push('\n');
    }
    out
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![3 => literal(), 2 => ident()];
    leaf.prop_recursive(4, 48, 4, |inner| {
        let elems = || prop::collection::vec((gap(), inner.clone()), 0..4);
        prop_oneof![
            (elems(), any::<bool>(), gap()).prop_map(|(e, t, c)| format!("[{}]", list(e, t, c))),
            (
                prop::collection::vec(
                    (
                        gap(),
                        prop_oneof![ident(), Just("\"q k\"".to_owned())],
                        inner.clone()
                    ),
                    0..4
                ),
                any::<bool>(),
                gap()
            )
                .prop_map(|(fields, t, c)| {
                    let fields = fields
                        .into_iter()
                        .map(|(g, k, v)| (g, format!("{k} = {v}")))
                        .collect();
                    format!("{{{}}}", list(fields, t, c))
                }),
            (ident(), elems(), any::<bool>(), gap())
                .prop_map(|(f, e, t, c)| format!("{f}({})", list(e, t, c))),
            (
                inner.clone(),
                prop::sample::select(vec![
                    "+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||"
                ]),
                gap(),
                inner.clone(),
                inline_gap()
            )
                .prop_map(|(l, op, g, r, ig)| format!("{l}{ig}{op}{g}{r}")),
            (prop::sample::select(vec!["!", "-"]), inner.clone())
                .prop_map(|(op, e)| format!("{op}{e}")),
            (inner.clone(), inline_gap()).prop_map(|(e, g)| format!("({g}{e})")),
            (ident(), ident()).prop_map(|(a, b)| format!("{a}.{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, i)| format!("({a})[{i}]")),
        ]
    })
}

fn attribute() -> impl Strategy<Value = String> {
    (
        ident(),
        inline_gap(),
        expr(),
        prop::sample::select(vec!["", "", " // trailing", " /* t */"]),
    )
        .prop_map(|(name, g, value, comment)| format!("{name}{g}={g}{value}{comment}"))
}

fn separator() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\n",
        "\n",
        "\n\n",
        "\n\n\n",
        "\n// line comment\n",
        "\n\n/* block */\n",
        "\n/* before */ ",
        "\n/* multi\n line */ ",
        "\n  ",
    ])
    .prop_map(str::to_owned)
}

fn body(depth: u32) -> BoxedStrategy<String> {
    let stmt: BoxedStrategy<String> = if depth == 0 {
        attribute().boxed()
    } else {
        prop_oneof![
            3 => attribute(),
            1 => (ident(), prop::sample::select(vec!["", " \"lbl\"", " \"\""]), separator(), body(depth - 1), separator())
                .prop_map(|(name, label, open, body, close)| format!("{name}.x{label} {{{open}{body}{close}}}")),
        ]
        .boxed()
    };
    (prop::collection::vec((stmt, separator()), 0..5))
        .prop_map(|stmts| {
            stmts
                .into_iter()
                .map(|(s, sep)| format!("{s}{sep}"))
                .collect::<String>()
        })
        .boxed()
}

/// 400 cases per property, or `PROPTEST_CASES` when set (for longer runs by hand).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), .. ProptestConfig::default() })]

    #[test]
    fn formatting_is_idempotent_and_keeps_the_tree(text in body(2)) {
        let original = parse(&text).map_err(|e| TestCaseError::fail(format!("generator made invalid text:\n{text}\n{e}")))?;
        let once = format_source(&SourceFile::new("gen.alloy", text.as_str()))
            .map_err(|_| TestCaseError::fail("format failed on valid text"))?;
        let formatted = parse(&once).map_err(|e| TestCaseError::fail(format!("formatted text does not parse:\n{once}\n{e}")))?;
        prop_assert_eq!(tree(&original), tree(&formatted), "tree changed\n--- input ---\n{}\n--- output ---\n{}", text, once);
        let comments = |f: &File| f.comments.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
        prop_assert_eq!(comments(&original), comments(&formatted), "comments changed\n{}", once);
        let twice = format_source(&SourceFile::new("gen.alloy", once.as_str()))
            .map_err(|_| TestCaseError::fail("format failed on its own output"))?;
        prop_assert_eq!(&once, &twice, "not idempotent\n--- input ---\n{}", text);
        prop_assert!(once.ends_with('\n') && !once.ends_with("\n\n"));
    }

    #[test]
    fn quoted_keys_survive_any_number_of_runs(key in "[a-z\"\\\\\t\\n]{0,6}", runs in 1usize..6) {
        // Build a quoted key whose source text holds escapes (`\"`, `\\`, `\t`, `\n`).
        let mut quoted = String::from("\"");
        for c in key.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\t' => quoted.push_str("\\t"),
                '\n' => quoted.push_str("\\n"),
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        let src = format!("a = {{{quoted} = 1}}\n");
        let mut text = src.clone();
        for _ in 0..runs {
            text = format_source(&SourceFile::new("k.alloy", text.as_str())).map_err(|_| TestCaseError::fail("parse"))?;
        }
        prop_assert_eq!(text, src);
    }

    #[test]
    fn token_soup_never_panics_and_formats_idempotently(
        parts in prop::collection::vec(prop::sample::select(vec![
            "a", "b.c", "\"l\"", "=", "{", "}", "[", "]", "(", ")", ",", ".", "1", "2.5", "`r\nr`",
            "\"s\"", "+", "-", "!", "*", "==", "&&", "// c\n", "/* b */", "/* m\nl */", "\n", "\n\n",
            " ", "\t", "\r\n", "null", "true",
        ]), 0..40)
    ) {
        let text: String = parts.concat();
        if let Ok(once) = format_source(&SourceFile::new("soup.alloy", text.as_str())) {
            let twice = format_source(&SourceFile::new("soup.alloy", once.as_str()))
                .map_err(|_| TestCaseError::fail(format!("output does not parse:\n{once}\n--- input ---\n{text:?}")))?;
            prop_assert_eq!(&once, &twice, "not idempotent\n--- input ---\n{}", text);
            let original = parse(&text).map_err(TestCaseError::fail)?;
            let formatted = parse(&once).map_err(TestCaseError::fail)?;
            prop_assert_eq!(tree(&original), tree(&formatted), "tree changed\n--- input ---\n{}", text);
        }
    }

    #[test]
    fn inserted_whitespace_and_comments_format_idempotently(
        text in body(2),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
            " ", "\t", "\n", "\n\n", "/* x */", "// y\n", "/* m\n */", "\r\n",
        ])), 1..6),
    ) {
        let mut text = text;
        for (index, insert) in inserts {
            if text.is_empty() {
                break;
            }
            let mut at = index.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, insert);
        }
        if let Ok(once) = format_source(&SourceFile::new("mut.alloy", text.as_str())) {
            let twice = format_source(&SourceFile::new("mut.alloy", once.as_str()))
                .map_err(|_| TestCaseError::fail(format!("output does not parse:\n{once}\n--- input ---\n{text:?}")))?;
            prop_assert_eq!(&once, &twice, "not idempotent\n--- input ---\n{}", text);
            let original = parse(&text).map_err(TestCaseError::fail)?;
            let formatted = parse(&once).map_err(TestCaseError::fail)?;
            prop_assert_eq!(tree(&original), tree(&formatted), "tree changed\n--- input ---\n{}\n--- output ---\n{}", text, once);
        }
    }
}
