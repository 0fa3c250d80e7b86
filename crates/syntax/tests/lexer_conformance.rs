//! The lexer against `conformance/syntax/lexer/*.jsonl` (README: "lexer/…"), plus the lexical
//! rows of syntax §1, §2 and §12.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use ferroalloy_syntax::lexer::{Lexer, decode_source, is_valid_identifier, tokenize, unquote};
use ferroalloy_syntax::{SourceFile, TokenKind};
use serde_json::Value;

const LEXER_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/lexer"
);

fn rows(name: &str) -> Vec<Value> {
    let path = format!("{LEXER_DIR}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: bad row {l}: {e}")))
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn str_field<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

#[test]
fn tokens_jsonl() {
    let rows = rows("tokens.jsonl");
    assert!(rows.len() >= 50);
    let mut failures = Vec::new();
    for row in &rows {
        let input = str_field(row, "input").expect("input");
        let src = SourceFile::new("", input);
        let mut lexer = Lexer::new(&src);
        let token = lexer.next_token();
        let expected_kind = str_field(row, "token").expect("token");
        let ok_kind = token.kind.name() == expected_kind;
        let ok_literal = str_field(row, "literal").is_none_or(|lit| token.text == lit);
        let ok_errors = lexer.diagnostics().is_empty();
        if !(ok_kind && ok_literal && ok_errors) {
            failures.push(format!(
                "{input:?}: got {} {:?} {:?}",
                token.kind,
                token.text,
                lexer.diagnostics()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_jsonl() {
    let rows = rows("errors.jsonl");
    assert!(rows.len() >= 20);
    let mut failures = Vec::new();
    for row in &rows {
        // Input that is not valid UTF-8 goes through `decode_source` like a file from disk;
        // its literal is compared after the same decoding.
        let (text, decode_errors) = match str_field(row, "input_hex") {
            Some(h) => decode_source(&hex(h)),
            None => (
                str_field(row, "input").expect("input").to_string(),
                Vec::new(),
            ),
        };
        let literal = match str_field(row, "literal_hex") {
            Some(h) => Some(decode_source(&hex(h)).0),
            None => str_field(row, "literal").map(str::to_string),
        };
        let src = SourceFile::new("", text.as_str());
        let mut lexer = Lexer::new(&src);
        let token = lexer.next_token();
        let mut errors: Vec<(usize, String)> = decode_errors
            .into_iter()
            .filter(|(offset, _)| *offset < token.span.end)
            .collect();
        errors.extend(
            lexer
                .diagnostics()
                .iter()
                .map(|d| (d.start.offset, d.message.clone())),
        );

        let expected_kind = str_field(row, "token").expect("token");
        let mut problems = Vec::new();
        if token.kind.name() != expected_kind {
            problems.push(format!("kind {} (want {expected_kind})", token.kind));
        }
        if let Some(literal) = &literal
            && &token.text != literal
        {
            problems.push(format!("literal {:?} (want {literal:?})", token.text));
        }
        match row.get("error") {
            Some(Value::String(message)) => {
                let offset = row.get("offset").and_then(Value::as_u64).expect("offset") as usize;
                if errors != vec![(offset, message.clone())] {
                    problems.push(format!(
                        "errors {errors:?} (want [({offset}, {message:?})])"
                    ));
                }
            }
            _ => {
                if !errors.is_empty() {
                    problems.push(format!("errors {errors:?} (want none)"));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{text:?}: {}", problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn identifiers_jsonl() {
    let rows = rows("identifiers.jsonl");
    assert!(rows.len() >= 15);
    for row in &rows {
        let input = str_field(row, "input").expect("input");
        let valid = row.get("valid").and_then(Value::as_bool).expect("valid");
        assert_eq!(
            is_valid_identifier(input),
            valid,
            "is_valid_identifier({input:?})"
        );
        // The definition: the whole string lexes as exactly one IDENT.
        let (tokens, diags) = tokenize(&SourceFile::new("", input));
        let one_ident = diags.is_empty()
            && tokens.first().is_some_and(|t| {
                t.kind == TokenKind::Ident && t.span.start == 0 && t.span.end == input.len()
            })
            && tokens
                .get(1)
                .is_some_and(|t| t.kind == TokenKind::Terminator)
            && tokens.len() == 3;
        assert_eq!(one_ident, valid, "tokenize({input:?}) = {tokens:?}");
    }
}

/// Kinds and texts of tokens.
type Lexed = Vec<(TokenKind, String)>;

/// Kinds and texts of all tokens of `text`, and the errors as (offset, message).
fn lex(text: &str) -> (Lexed, Vec<(usize, String)>) {
    let (tokens, diags) = tokenize(&SourceFile::new("", text));
    (
        tokens.into_iter().map(|t| (t.kind, t.text)).collect(),
        diags
            .into_iter()
            .map(|d| (d.start.offset, d.message))
            .collect(),
    )
}

fn kinds(text: &str) -> Vec<TokenKind> {
    lex(text).0.into_iter().map(|(k, _)| k).collect()
}

#[test]
fn token_shapes_of_section_2_1() {
    use TokenKind::*;
    // `.5` is one FLOAT; `a.b` is IDENT . IDENT; `1.` is a FLOAT; `0x10` is NUMBER IDENT.
    assert_eq!(kinds(".5"), [Float, Terminator, Eof]);
    assert_eq!(kinds("a.b"), [Ident, Dot, Ident, Terminator, Eof]);
    assert_eq!(kinds("1."), [Float, Terminator, Eof]);
    assert_eq!(kinds("0x10"), [Number, Ident, Terminator, Eof]);
    assert_eq!(lex("0x10").0[1].1, "x10");
    assert_eq!(kinds("a-b"), [Ident, Minus, Ident, Terminator, Eof]);
    assert_eq!(
        kinds("1e5 1.5e-3 .5E+2"),
        [Float, Float, Float, Terminator, Eof]
    );
}

#[test]
fn terminators_of_section_2_6() {
    use TokenKind::*;
    for (text, want) in [
        ("a\n", vec![Ident, Terminator, Eof]),
        ("1\n", vec![Number, Terminator, Eof]),
        ("1.5\n", vec![Float, Terminator, Eof]),
        ("\"s\"\n", vec![String, Terminator, Eof]),
        ("true\n", vec![Bool, Terminator, Eof]),
        ("null\n", vec![Null, Terminator, Eof]),
        (")\n", vec![RParen, Terminator, Eof]),
        ("]\n", vec![RBrack, Terminator, Eof]),
        ("}\n", vec![RBrace, Terminator, Eof]),
        ("a", vec![Ident, Terminator, Eof]),
        ("+\n", vec![Plus, Eof]),
        ("{\n", vec![LBrace, Eof]),
        (",\n", vec![Comma, Eof]),
        ("=\n", vec![Assign, Eof]),
        ("\n\n", vec![Eof]),
        ("a\n\n\nb", vec![Ident, Terminator, Ident, Terminator, Eof]),
    ] {
        assert_eq!(kinds(text), want, "{text:?}");
    }
}

#[test]
fn comment_running_to_line_end_is_the_terminator() {
    let (tokens, _) = tokenize(&SourceFile::new(
        "",
        "a // c\nb /* x */ /* y */\nc /* z */ d\ne /* m\n */",
    ));
    let got: Vec<(TokenKind, usize, usize)> = tokens
        .iter()
        .map(|t| (t.kind, t.span.start, t.span.end))
        .collect();
    use TokenKind::*;
    assert_eq!(
        got,
        [
            (Ident, 0, 1),
            (Terminator, 2, 2),
            (Comment, 2, 6),
            (Ident, 7, 8),
            (Terminator, 9, 9),
            (Comment, 9, 16),
            (Comment, 17, 24),
            (Ident, 25, 26),
            (Comment, 27, 34),
            (Ident, 35, 36),
            (Terminator, 36, 37),
            (Ident, 37, 38),
            (Terminator, 39, 39),
            (Comment, 39, 47),
            (Eof, 47, 47),
        ]
    );
    // A comment followed by the end of input also stands for the line break.
    assert_eq!(kinds("a /* c */"), [Ident, Terminator, Comment, Eof]);
}

#[test]
fn comment_text_drops_carriage_returns() {
    let (tokens, _) = lex("// a\r\n/* b\r\nc */");
    assert_eq!(tokens[0], (TokenKind::Comment, "// a".to_string()));
    assert_eq!(tokens[1], (TokenKind::Comment, "/* b\nc */".to_string()));
}

#[test]
fn lexical_errors_of_sections_1_and_2() {
    for (text, want) in [
        ("#", vec![(0, "illegal character U+0023 '#'")]),
        ("$", vec![(0, "illegal character U+0024 '$'")]),
        ("a …", vec![(2, "illegal character U+2026 '…'")]),
        (
            "'single quotes'",
            vec![(0, "illegal single-quoted string; use double quotes")],
        ),
        ("a | b", vec![(3, "missing second | in ||")]),
        ("a & b", vec![(3, "missing second & in &&")]),
        ("\"abc", vec![(0, "string literal not terminated")]),
        ("`abc", vec![(0, "string literal not terminated")]),
        ("x /* abc", vec![(2, "block comment not terminated")]),
        ("a\0b", vec![(1, "illegal character NUL")]),
        ("\0", vec![(0, "illegal character NUL")]),
        ("a \u{feff}", vec![(2, "illegal byte order mark")]),
        ("\u{feff}a", vec![]),
        ("10E", vec![(0, "exponent has no digits")]),
        ("1e+", vec![(0, "exponent has no digits")]),
        ("\"\\q\"", vec![(2, "unknown escape sequence")]),
        (
            "\"\\",
            vec![
                (2, "escape sequence not terminated"),
                (0, "string literal not terminated"),
            ],
        ),
        (
            "\"\\ud800\"",
            vec![(2, "escape sequence is invalid Unicode code point")],
        ),
        (
            "\"\\U00110000\"",
            vec![(2, "escape sequence is invalid Unicode code point")],
        ),
        (
            "\"\\xg0\"",
            vec![(2, "illegal character U+0067 'g' in escape sequence")],
        ),
        (
            "\"\\x\u{7}\"",
            vec![(2, "illegal character U+0007 in escape sequence")],
        ),
        (
            "\"\\777\"",
            vec![(2, "escape sequence is invalid Unicode code point")],
        ),
        ("\"\\xff\"", vec![]),
        (
            "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\\101\\x41\\u0041\\U00000041\"",
            vec![],
        ),
    ] {
        assert_eq!(
            lex(text).1,
            want.into_iter()
                .map(|(o, m)| (o, m.to_string()))
                .collect::<Vec<_>>(),
            "{text:?}"
        );
    }
}

#[test]
fn lexing_always_reaches_eof() {
    for text in [
        "\"abc",
        "`abc\n\n",
        "/* abc",
        "'abc",
        "\\",
        "\"\\",
        "a\0\0\0",
        "\u{feff}\u{feff}",
        "…………",
    ] {
        let (tokens, _) = tokenize(&SourceFile::new("", text));
        assert_eq!(
            tokens.last().map(|t| t.kind),
            Some(TokenKind::Eof),
            "{text:?}"
        );
    }
}

#[test]
fn decode_source_handles_boms_and_invalid_utf8() {
    assert_eq!(
        decode_source(b"\xEF\xBB\xBFa = 1"),
        ("a = 1".to_string(), vec![])
    );
    for (bytes, name) in [
        (&b"\xFF\xFEa\0"[..], "UTF16LittleEndian"),
        (&b"\xFE\xFF\0a"[..], "UTF16BigEndian"),
        (&b"\xFF\xFE\0\0a\0\0\0"[..], "UTF32LittleEndian"),
        (&b"\0\0\xFE\xFF\0\0\0a"[..], "UTF32BigEndian"),
    ] {
        assert_eq!(
            decode_source(bytes),
            (
                String::new(),
                vec![(
                    0,
                    format!("configuration is encoded with {name} but must be utf8")
                )]
            )
        );
    }
    let (text, errors) = decode_source(b"a\x80b\xFF\xFEc\xE2\x82");
    assert_eq!(text, "a\u{FFFD}b\u{FFFD}\u{FFFD}c\u{FFFD}");
    assert_eq!(
        errors,
        vec![
            (1, "illegal UTF-8 encoding".to_string()),
            (5, "illegal UTF-8 encoding".to_string()),
            (8, "illegal UTF-8 encoding".to_string()),
            (12, "illegal UTF-8 encoding".to_string()),
        ]
    );
}

#[test]
fn unquote_decodes_string_literals() {
    assert_eq!(unquote(r#""a\tb\"c\\""#), Ok("a\tb\"c\\".to_string()));
    assert_eq!(
        unquote(r#""\101\x42\u0043\U0001F600""#),
        Ok("ABC\u{1F600}".to_string())
    );
    assert_eq!(unquote(r#""\xc3\xa9""#), Ok("é".to_string()));
    assert_eq!(unquote("`raw\\n\r\nline`"), Ok("raw\\n\nline".to_string()));
    assert_eq!(unquote(r#""field_a""#), Ok("field_a".to_string()));
    assert_eq!(unquote(r#""""#), Ok(String::new()));
    assert_eq!(
        unquote(r#""\q""#),
        Err((2, "unknown escape sequence".to_string()))
    );
    assert_eq!(
        unquote(r#""it\'s""#),
        Err((4, "unknown escape sequence".to_string()))
    );
    assert_eq!(
        unquote(r#""\xff""#),
        Err((
            0,
            "string literal is not valid UTF-8 after escape processing".to_string()
        ))
    );
    assert_eq!(
        unquote(r#""\ud800""#),
        Err((
            2,
            "escape sequence is invalid Unicode code point".to_string()
        ))
    );
    assert_eq!(
        unquote(r#""\x4""#),
        Err((
            2,
            "illegal character U+0022 '\"' in escape sequence".to_string()
        ))
    );
    assert_eq!(
        unquote("\"abc"),
        Err((0, "string literal not terminated".to_string()))
    );
    assert_eq!(
        unquote("`abc"),
        Err((0, "string literal not terminated".to_string()))
    );
    assert_eq!(
        unquote("\""),
        Err((0, "string literal not terminated".to_string()))
    );
}

#[test]
fn long_input_lexes_in_linear_time() {
    // 20 MB on one line in a debug build: quadratic behaviour would not finish.
    let line = "a = [1, 2.5, \"x\", b.c] /* c */ ".repeat(700_000);
    let started = std::time::Instant::now();
    let (tokens, diags) = tokenize(&SourceFile::new("", line));
    assert!(diags.is_empty());
    assert_eq!(tokens.len(), 700_000 * 14 + 2);
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn error_counts_are_bounded() {
    let (tokens, diags) = tokenize(&SourceFile::new("", "#".repeat(20_000)));
    assert_eq!(tokens.len(), 20_001);
    assert_eq!(diags.len(), 10_001);
    assert_eq!(diags[9_999].message, "illegal character U+0023 '#'");
    assert_eq!(
        diags[10_000].message,
        "too many lexical errors; later ones are not reported"
    );
    assert_eq!(diags[10_000].start.offset, 10_000);

    let (text, errors) = decode_source(&[0x80; 20_000]);
    assert_eq!(text.chars().count(), 20_000);
    assert_eq!(errors.len(), 10_001);
    assert_eq!(
        errors[10_000],
        (
            30_000,
            "too many illegal UTF-8 encodings; later ones are not reported".to_string()
        )
    );
}
