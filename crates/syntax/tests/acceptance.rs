//! Acceptance audit of the configuration language, syntax side: spec syntax §11 items 2, 9 and
//! 15 (the parts that belong to this crate), the lexing and parsing rows of §12, the deviations
//! of §10 that show in syntax (D1, D4, E1, E2, E5, E8, E9, E10), and the positions Alloy reports
//! for the first error of a file.
//!
//! Each test is named after the spec item it shows and asserts what a user sees: diagnostics in
//! the single-line form `file:line:col: message`, in reporting order (§8.1), and formatter output
//! byte for byte. Files are read the way `ferroalloy` reads them: bytes through
//! [`decode_source`], whose errors are reported with the parser's.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use ferroalloy_syntax::format::format_source;
use ferroalloy_syntax::lexer::{load_source, tokenize};
use ferroalloy_syntax::parser::{leading_zero_warnings, parse_file};
use ferroalloy_syntax::render::{render_pretty, render_pretty_sources};
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile, Span, TokenKind};

const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/syntax");

/// Read `bytes` as the file `name` (decoding, lexing, parsing) and return every diagnostic in
/// reporting order as `file:line:col: message`.
fn file_errors(name: &str, bytes: &[u8]) -> Vec<String> {
    let (src, decode_errors) = load_source(name, bytes);
    let (_, diagnostics) = parse_file(&src);
    let mut all = Diagnostics::from(decode_errors);
    all.extend(diagnostics.into_vec());
    all.sorted().iter().map(|d| d.to_string()).collect()
}

fn errors(text: &str) -> Vec<String> {
    file_errors("main.alloy", text.as_bytes())
}

/// The first error of a file, as `ferroalloy` reports it.
fn first_error(name: &str, bytes: &[u8]) -> String {
    file_errors(name, bytes)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{name}: no error"))
}

fn format(text: &str) -> Result<String, Vec<String>> {
    format_source(&SourceFile::new("main.alloy", text))
        .map_err(|ds| ds.sorted().iter().map(|d| d.to_string()).collect())
}

// ---------------------------------------------------------------------------------------------
// §11 Acceptance

/// Item 2, the spec's example: `commas.alloy` reports `missing ',' in expression list` right
/// after `2` (and the field-list twin right after the last field), nothing else.
#[test]
fn item_02_commas_alloy_reports_right_after_the_last_element() {
    let bytes = std::fs::read(format!("{CONFORMANCE}/parser/errors/commas.alloy")).unwrap();
    assert_eq!(
        file_errors("commas.alloy", &bytes),
        [
            "commas.alloy:6:4: missing ',' in expression list",
            "commas.alloy:12:14: missing ',' in field list",
        ]
    );
}

/// Item 9, the parser's half: `a = {\n  x = 1\n}` gives exactly `missing ',' in field list` at
/// 2:8 (`unrecognized attribute a` at 1:1 is the loader's, shown by
/// `tests/e2e/validate.rs::a_top_level_attribute_and_a_parse_error_are_reported_in_one_run`).
#[test]
fn item_09_missing_comma_in_a_top_level_object() {
    assert_eq!(
        errors("a = {\n  x = 1\n}"),
        ["main.alloy:2:8: missing ',' in field list"]
    );
}

/// Item 15, the library's half: formatting a file with syntax errors yields no text and every
/// diagnostic in the single-line form (the CLI's half is `tests/e2e/fmt.rs`).
#[test]
fn item_15_formatting_a_broken_file_gives_every_diagnostic() {
    assert_eq!(
        format("a = [\n  1,\n  2\n]\nb = 'x'\nc = 1 +\n"),
        Err(vec![
            "main.alloy:3:4: missing ',' in expression list".to_owned(),
            "main.alloy:5:5: illegal single-quoted string; use double quotes".to_owned(),
            "main.alloy:5:5: expected expression, got ILLEGAL".to_owned(),
            "main.alloy:7:1: expected expression, got EOF".to_owned(),
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// §12 Bad input: lexing and parsing rows

/// A binary file: NUL bytes and invalid UTF-8 are reported where they are, and lexing goes on to
/// report the errors after them.
#[test]
fn bad_input_binary_file_reports_every_problem() {
    let got = file_errors(
        "bin.alloy",
        b"x {\n\ta = \"\x00\"\n\tb = \xff\n}\nc = 'q'\n",
    );
    for want in [
        "bin.alloy:2:7: illegal character NUL",
        "bin.alloy:3:6: illegal UTF-8 encoding",
        "bin.alloy:5:5: illegal single-quoted string; use double quotes",
    ] {
        assert!(got.iter().any(|g| g == want), "{want} missing from {got:?}");
    }
    assert_eq!(got[0], "bin.alloy:2:7: illegal character NUL");
}

/// A UTF-16 or UTF-32 file is refused with one error at 1:1.
#[test]
fn bad_input_utf16_and_utf32_files() {
    assert_eq!(
        file_errors("w.alloy", b"\xff\xfea\x00 \x00=\x00"),
        ["w.alloy:1:1: configuration is encoded with UTF16LittleEndian but must be utf8"]
    );
    assert_eq!(
        file_errors("w.alloy", b"\xfe\xff\x00a"),
        ["w.alloy:1:1: configuration is encoded with UTF16BigEndian but must be utf8"]
    );
    assert_eq!(
        file_errors("w.alloy", b"\x00\x00\xfe\xff\x00\x00\x00a"),
        ["w.alloy:1:1: configuration is encoded with UTF32BigEndian but must be utf8"]
    );
}

/// Unterminated string, raw string and block comment: one positioned error each, and the lexer
/// reaches EOF.
#[test]
fn bad_input_unterminated_literals_and_comments() {
    for (text, want) in [
        (
            "b {\n\ta = \"abc\n}\n",
            "main.alloy:2:6: string literal not terminated",
        ),
        (
            "b {\n\ta = `abc\n}\n",
            "main.alloy:2:6: string literal not terminated",
        ),
        (
            "b {\n\ta = 1 /* abc\n}\n",
            "main.alloy:2:8: block comment not terminated",
        ),
    ] {
        let got = errors(text);
        assert_eq!(got[0], want, "{text:?}");
        assert_eq!(
            got.iter().filter(|g| g.contains("not terminated")).count(),
            1,
            "{text:?}: {got:?}"
        );
        let (tokens, _) = tokenize(&SourceFile::new("", text));
        assert_eq!(tokens.last().map(|t| t.kind), Some(TokenKind::Eof));
    }
}

/// Unknown and malformed escapes, a surrogate, `\xff` alone: the §2.5 messages at the character
/// after `\` (E5's message at the literal).
#[test]
fn bad_input_escapes() {
    for (text, want) in [
        ("a = \"\\q\"", "main.alloy:1:7: unknown escape sequence"),
        ("a = \"it\\'s\"", "main.alloy:1:9: unknown escape sequence"),
        (
            "a = \"\\ud800\"",
            "main.alloy:1:7: escape sequence is invalid Unicode code point",
        ),
        (
            "a = \"\\U00110000\"",
            "main.alloy:1:7: escape sequence is invalid Unicode code point",
        ),
        (
            "a = \"\\400\"",
            "main.alloy:1:7: escape sequence is invalid Unicode code point",
        ),
        (
            "a = \"\\12\"",
            "main.alloy:1:7: illegal character U+0022 '\"' in escape sequence",
        ),
        (
            "a = \"\\xZZ\"",
            "main.alloy:1:7: illegal character U+005A 'Z' in escape sequence",
        ),
        (
            "a = \"\\u12\u{7}4\"",
            "main.alloy:1:7: illegal character U+0007 in escape sequence",
        ),
        (
            "a = \"\\xff\"",
            "main.alloy:1:5: string literal is not valid UTF-8 after escape processing",
        ),
    ] {
        assert_eq!(errors(text), [want], "{text:?}");
    }
    assert_eq!(
        errors("a = \"\\"),
        [
            "main.alloy:1:5: string literal not terminated",
            "main.alloy:1:7: escape sequence not terminated",
        ]
    );
}

/// `'single quotes'`, `#`, `$`, `…`: `illegal …` at the character.
#[test]
fn bad_input_illegal_characters() {
    assert_eq!(
        errors("b {\n\ta = 'single quotes'\n}\n")[0],
        "main.alloy:2:6: illegal single-quoted string; use double quotes"
    );
    assert_eq!(
        errors("b {\n\ta = 1 # 2\n}\n")[0],
        "main.alloy:2:8: illegal character U+0023 '#'"
    );
    assert_eq!(
        errors("b {\n\ta = $x\n}\n")[0],
        "main.alloy:2:6: illegal character U+0024 '$'"
    );
    assert_eq!(
        errors("b {\n\ta = \"é\" …\n}\n")[0],
        "main.alloy:2:11: illegal character U+2026 '…'"
    );
    assert_eq!(
        errors("a = \u{7}")[0],
        "main.alloy:1:5: illegal character U+0007"
    );
}

/// Huge integers are floats (no error); `1e400` is out of range at the literal (E2).
#[test]
fn bad_input_huge_number_literals() {
    assert_eq!(errors("a = 99999999999999999999"), Vec::<String>::new());
    assert_eq!(
        errors("b {\n\ta = 1e400\n}"),
        ["main.alloy:2:6: number literal 1e400 is out of range"]
    );
}

/// `[[[[…]]]]`, `((((…))))`, `!!!!…x` beyond 200 levels: `expression nested too deeply` at the
/// 201st opener (E8), once, and nothing else.
#[test]
fn bad_input_deep_nesting_at_the_201st_opener() {
    for opener in ["[", "(", "!"] {
        let closer = match opener {
            "[" => "]",
            "(" => ")",
            _ => "",
        };
        let text = format!("a = {}x{}", opener.repeat(300), closer.repeat(300));
        assert_eq!(
            errors(&text),
            ["main.alloy:1:205: expression nested too deeply"],
            "{opener}"
        );
    }
}

/// An empty file and a file of comments are valid, empty configurations.
#[test]
fn bad_input_empty_and_comment_only_files() {
    for text in ["", "\n\n", "// only\n/* comments */\n", "\u{feff}"] {
        let src = SourceFile::new("main.alloy", text);
        let (file, diagnostics) = parse_file(&src);
        assert!(diagnostics.is_empty(), "{text:?}: {diagnostics:?}");
        assert!(file.body.stmts.is_empty());
    }
}

/// A label with spaces and a backtick label: the §3.3 messages at the label (the top-level
/// attribute of the same row is the loader's, `tests/e2e/validate.rs`).
#[test]
fn bad_input_bad_labels() {
    assert_eq!(
        errors("local.file \"my file\" {\n}"),
        ["main.alloy:1:12: expected block label to be a valid identifier, but got \"my file\""]
    );
    assert_eq!(
        errors("local.file `a` {\n}"),
        ["main.alloy:1:12: expected block label to be a double quoted string, but got \"`a`\""]
    );
    // The label is re-quoted with %q (§2.5 "Quoting").
    assert_eq!(
        errors("a \"x\ty\" {\n}"),
        ["main.alloy:1:3: expected block label to be a valid identifier, but got \"x\\ty\""]
    );
    assert_eq!(
        errors("a \"x\u{85}y\" {\n}"),
        ["main.alloy:1:3: expected block label to be a valid identifier, but got \"x\\u0085y\""]
    );
    // A top-level attribute is not a parse error.
    assert_eq!(errors("a = 1"), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// Positions: the first error of a file where Alloy's is known

/// §1 and the issue's "error positions identical to Alloy's": Alloy skips a leading UTF-8
/// byte-order mark as a character but keeps counting its 3 bytes, so on line 1 every column is
/// 3 more than without it (`\u{feff}a = +` fails at 1:8 in Alloy). Lines after the first are
/// not affected.
#[test]
fn positions_after_a_utf8_bom_count_its_bytes_like_alloy() {
    assert_eq!(
        first_error("main.alloy", b"\xEF\xBB\xBFa = +\n"),
        "main.alloy:1:8: expected expression, got +"
    );
    assert_eq!(
        first_error("main.alloy", b"\xEF\xBB\xBFb {\n\ta = +\n}\n"),
        "main.alloy:2:6: expected expression, got +"
    );
}

/// §1: the column counts bytes of the line as written. An invalid byte is reported where it is,
/// and the errors after it on the same line keep the file's byte columns (replacing one invalid
/// byte by U+FFFD must not move them by two).
#[test]
fn positions_after_invalid_utf8_count_the_files_bytes() {
    assert_eq!(
        file_errors("main.alloy", b"a = \"\xff\" 1\n"),
        [
            "main.alloy:1:6: illegal UTF-8 encoding",
            "main.alloy:1:9: expected TERMINATOR, got NUMBER",
        ]
    );
}

/// Columns count bytes: a multi-byte character before the error moves it by its length.
#[test]
fn positions_count_bytes_not_characters() {
    assert_eq!(
        errors("a = \"é\" 1"),
        ["main.alloy:1:10: expected TERMINATOR, got NUMBER"]
    );
    assert_eq!(
        errors("b {\n\t\ta = +\n}"),
        ["main.alloy:2:7: expected expression, got +"]
    );
}

// ---------------------------------------------------------------------------------------------
// §10 deviations that show in syntax

/// D1: the leading-zero warning, with and without the octal part; never for `0` or floats.
#[test]
fn d1_leading_zero_warning_text() {
    let src = SourceFile::new("main.alloy", "b {\n\ta = [010, 09, 0, 0.5, 00]\n}\n");
    let (file, diagnostics) = parse_file(&src);
    assert!(diagnostics.is_empty());
    let warnings: Vec<String> = leading_zero_warnings(&file, &src)
        .iter()
        .map(|d| {
            assert!(!d.is_error());
            d.to_string()
        })
        .collect();
    assert_eq!(
        warnings,
        [
            "main.alloy:2:7: number literal 010 has a leading zero: ferroalloy reads it as decimal 10, Grafana Alloy reads it as octal 8",
            "main.alloy:2:12: number literal 09 has a leading zero: ferroalloy reads it as decimal 9",
            "main.alloy:2:24: number literal 00 has a leading zero: ferroalloy reads it as decimal 0, Grafana Alloy reads it as octal 0",
        ]
    );
    // `fmt` prints literals verbatim and does not warn.
    assert_eq!(format("a = 010\n"), Ok("a = 010\n".to_owned()));
}

/// E9 and §8.2: the pretty excerpt of the documentation (`docs/syntax.md`, "Diagnostics") is what
/// the renderer prints for that diagnostic.
#[test]
fn e9_and_docs_example_render_byte_for_byte() {
    let text =
        "local.file \"token\" {\n\tfilename       = \"/etc/token\"\n\tpoll_frequency = 10\n}\n";
    let src = SourceFile::new("main.alloy", text);
    let start = text.find("10\n").unwrap();
    let d = Diagnostic::error(
        &src,
        Span::new(start, start + 2),
        "10 time: missing unit in duration \"10\"",
    );
    let lookup = |name: &str| (name == "main.alloy").then_some(text);
    let got = render_pretty([&d], &lookup, false);
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/syntax.md"))
            .unwrap();
    let excerpt = docs
        .split("```\n")
        .find(|block| block.starts_with("Error: main.alloy:3:19:"))
        .expect("the docs example");
    assert_eq!(got, excerpt);

    // E9: a caret just past the end of a line.
    let text = "a = [\n";
    let src = SourceFile::new("main.alloy", text);
    let d = Diagnostic::error(&src, Span::point(5), "expected expression, got EOF");
    let lookup = |name: &str| (name == "main.alloy").then_some(text);
    assert_eq!(
        render_pretty([&d], &lookup, false),
        "Error: main.alloy:1:6: expected expression, got EOF\n\n1 | a = [\n  |      ^\n2 | \n"
    );
}

/// E10: raw strings and quoted keys are never rewritten, fields sharing a line are never
/// padded, and an empty call is `f()` — on the first run and every later one.
#[test]
fn e10_formatter_keeps_raw_strings_and_quoted_keys() {
    let src = "a = {\"k\\\"q\" = 1, \"t\\tab\\u00e9\\\\\" = 2}\nb = `raw  \n  text  `\nc = {x = 1}\nd = {yyy = 2}\ne = f()\n";
    let mut text = src.to_owned();
    for _ in 0..3 {
        text = format(&text).unwrap();
        assert_eq!(text, src);
    }
    assert_eq!(format("e = f(\n)\n"), Ok("e = f()\n".to_owned()));
}

/// §9 "idempotent everywhere": every printer input, every expectation and every valid parser file
/// formats to a fixed point after one run, and quoted keys with escapes of every kind survive.
#[test]
fn formatting_is_idempotent_on_the_whole_corpus() {
    let mut checked = 0;
    for dir in ["printer", "parser/valid"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{CONFORMANCE}/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "in" || x == "expect" || x == "alloy")
            })
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(once) = format(&text) else {
                // raw_string_label_error.in must fail (§11 item 6).
                assert!(path.ends_with("raw_string_label_error.in"), "{path:?}");
                continue;
            };
            assert_eq!(format(&once), Ok(once.clone()), "{path:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9 + 9 + 5);
    let keys = r#"a = {"\a\b\f\n\r\t\v\\\"" = 1, "\101\x41\u0041\U00000041" = 2, "é\u00e9" = 3}
"#;
    assert_eq!(format(keys), Ok(keys.to_owned()));
}

/// CRLF files: `\r` is whitespace, so the terminator that ends a line (and the errors reported at
/// it) stands at the `\n`, or at a comment that runs to the end of the line, as in Alloy.
#[test]
fn positions_in_crlf_files_match_alloy() {
    assert_eq!(
        errors("a = [\r\n 1\r\n]"),
        ["main.alloy:2:4: missing ',' in expression list"]
    );
    assert_eq!(
        errors("a = {\r\n b = 1 \r\n}"),
        ["main.alloy:2:9: missing ',' in field list"]
    );
    assert_eq!(
        errors("a = [\r\n 1 /* x */ \r\n]"),
        ["main.alloy:2:4: missing ',' in expression list"]
    );
    assert_eq!(
        errors("a = 1 +\r\n"),
        ["main.alloy:2:1: expected expression, got EOF"]
    );
}

/// The pretty excerpt of the first error of a file read from `bytes`, as `run` and `validate`
/// print it (the renderer gets the loaded text of the file).
fn pretty_first_error(bytes: &[u8]) -> String {
    let (src, decode_errors) = load_source("main.alloy", bytes);
    let (_, diagnostics) = parse_file(&src);
    let mut all = Diagnostics::from(decode_errors);
    all.extend(diagnostics.into_vec());
    let first = all.sorted()[0].clone();
    let lookup = |name: &str| (name == "main.alloy").then_some(&src);
    render_pretty_sources([&first], &lookup, false)
}

/// In a pretty excerpt, the character index of the first `^` on the focus line and of `target`
/// on the context line of `line`, both counted after the `" | "` gutter.
fn caret_and_target(rendered: &str, line: usize, target: char) -> (Option<usize>, Option<usize>) {
    let prefix = format!("{line} | ");
    let lines: Vec<&str> = rendered.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(&prefix));
    let context = at.map(|i| {
        lines[i][prefix.len()..]
            .trim_start_matches('\u{feff}')
            .to_owned()
    });
    let focus = at
        .and_then(|i| lines.get(i + 1))
        .map(|l| l[prefix.len()..].to_owned());
    (
        focus.and_then(|f| f.chars().position(|c| c == '^')),
        context.and_then(|c| c.chars().position(|c| c == target)),
    )
}

/// §8.2: the caret stands under the reported position. After a UTF-8 BOM the column counts the
/// BOM's bytes (1:8 for `a = +`), so the excerpt must map it back onto the line it shows.
#[test]
fn pretty_caret_after_a_bom_is_under_the_token() {
    let rendered = pretty_first_error(b"\xEF\xBB\xBFa = +\n");
    assert!(
        rendered.starts_with("Error: main.alloy:1:8: expected expression, got +\n"),
        "{rendered}"
    );
    let (caret, target) = caret_and_target(&rendered, 1, '+');
    assert_eq!(caret, target, "caret not under `+`:\n{rendered}");
}

/// §8.2, the same after an invalid byte shown as U+FFFD: the error at 1:9 (file bytes) is the
/// `1`, and the caret must be under it.
#[test]
fn pretty_caret_after_invalid_utf8_is_under_the_token() {
    let (src, decode_errors) = load_source("main.alloy", b"a = \"\xff\" 1\n");
    let (_, diagnostics) = parse_file(&src);
    let mut all = Diagnostics::from(decode_errors);
    all.extend(diagnostics.into_vec());
    let second = all.sorted()[1].clone();
    assert_eq!(
        second.to_string(),
        "main.alloy:1:9: expected TERMINATOR, got NUMBER"
    );
    let lookup = |name: &str| (name == "main.alloy").then_some(&src);
    let rendered = render_pretty_sources([&second], &lookup, false);
    let (caret, target) = caret_and_target(&rendered, 1, '1');
    assert_eq!(caret, target, "caret not under `1`:\n{rendered}");
}

/// §9 "Comments: kept in place; … inline `/* */` keep single spaces": a block comment written
/// before code on the same line stays on that line, one space before the code. Alloy's printer
/// does the same (`writeCommentSuffix` writes one space when the next token is on the comment's
/// line and no newline).
#[test]
fn block_comments_before_code_on_the_same_line_stay_there() {
    for (text, want) in [
        ("/* a */ b {\n}\n", "/* a */ b { }\n"),
        ("a = 1\n/* c */ b = 2\n", "a = 1\n/* c */ b = 2\n"),
        ("b {\n  /* c */ x = 1\n}\n", "b {\n\t/* c */ x = 1\n}\n"),
        ("a = [\n  /* c */ 1,\n]\n", "a = [\n\t/* c */ 1,\n]\n"),
    ] {
        assert_eq!(format(text), Ok(want.to_owned()), "{text:?}");
    }
}
