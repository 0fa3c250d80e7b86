//! The formatter against `conformance/syntax/printer` (spec syntax §9, §11 items 6 and 7) and
//! `conformance/syntax/parser/valid` (idempotence), plus the E10 edge cases.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use ferroalloy_syntax::SourceFile;
use ferroalloy_syntax::format::format_source;

const PRINTER_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/printer"
);
const VALID_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/parser/valid"
);

fn files_with_ext(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Format `text` as file `name`, failing the test with every diagnostic on a parse error.
fn format(name: &str, text: &str) -> String {
    match format_source(&SourceFile::new(name, text)) {
        Ok(out) => out,
        Err(diagnostics) => {
            let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            panic!("{name} does not parse:\n{}", lines.join("\n"))
        }
    }
}

/// The README rule: the `.expect` text with trailing whitespace removed, plus one `\n`.
fn expected(text: &str) -> String {
    format!("{}\n", text.trim_end_matches([' ', '\t', '\n', '\r']))
}

#[test]
fn every_printer_case_formats_to_its_expectation() {
    let inputs = files_with_ext(PRINTER_DIR, "in");
    assert_eq!(inputs.len(), 10, "printer corpus size");
    let mut checked = 0;
    for input in inputs {
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = read(&input);
        let expect_path = input.with_extension("expect");
        let error_path = input.with_extension("error");
        if expect_path.exists() {
            let got = format(&name, &text);
            let want = expected(&read(&expect_path));
            assert_eq!(
                got, want,
                "{name}\n--- got ---\n{got}--- expected ---\n{want}"
            );
            checked += 1;
        } else if error_path.exists() {
            let want = read(&error_path);
            let want = want.trim_end_matches([' ', '\t', '\n', '\r']);
            match format_source(&SourceFile::new(name.as_str(), text)) {
                Ok(out) => panic!("{name} must fail to format, got:\n{out}"),
                Err(diagnostics) => {
                    let rendered: Vec<String> =
                        diagnostics.iter().map(ToString::to_string).collect();
                    let rendered = rendered.join("\n");
                    assert!(
                        rendered.contains(want),
                        "{name}: {rendered:?} does not contain {want:?}"
                    );
                }
            }
            checked += 1;
        } else {
            panic!("{name} has neither .expect nor .error");
        }
    }
    assert_eq!(checked, 10);
}

#[test]
fn every_expectation_formats_to_itself() {
    let expects = files_with_ext(PRINTER_DIR, "expect");
    assert_eq!(expects.len(), 9, "printer expectations");
    for path in expects {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let want = expected(&read(&path));
        let got = format(&name, &want);
        assert_eq!(got, want, "{name} is not a fixed point\n--- got ---\n{got}");
    }
}

#[test]
fn every_valid_parser_file_formats_idempotently() {
    let files = files_with_ext(VALID_DIR, "alloy");
    assert_eq!(files.len(), 5, "parser/valid corpus size");
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let once = format(&name, &read(&path));
        let twice = format(&name, &once);
        assert_eq!(
            once, twice,
            "{name}: formatting twice differs\n--- once ---\n{once}--- twice ---\n{twice}"
        );
        assert!(
            once.ends_with('\n') && !once.ends_with("\n\n"),
            "{name}: exactly one final newline"
        );
    }
}

#[test]
fn valid_expressions_file_formats_as_alloy_would() {
    let got = format(
        "expressions.alloy",
        &read(&Path::new(VALID_DIR).join("expressions.alloy")),
    );
    for line in [
        "lit_float  = 15.0",
        "array_expr_trailing    = [0, 1, 2, 3]",
        "object_expr_one_field = {field_a = 1}",
        "object_expr_nested = {field_a = {nested_field_a = 1}}",
        "binop_lt  = 1 < 2",
        "mixed_assoc = 1 * 3 + 5 ^ 3 - 2 % 1 // Test with both left- and right- associative operators",
        "call_multiple_args  = a(1, 2, 3)",
        "call_trailing_comma = a(1, 2, 3)",
        "mixed_expr = (a.b.c)(1, 3 * some_list[magic_index * 2]).resulting_field",
    ] {
        assert!(
            got.lines().any(|l| l == line),
            "missing line {line:?} in\n{got}"
        );
    }
}

#[test]
fn quoted_keys_and_raw_strings_are_never_rewritten() {
    let src = "a = {\"k\\\"q\" = 1, \"\\\\\" = 2, \"t\\tab\\u00e9\" = 3}\nb = `raw  \n  text  `\n";
    let once = format("f", src);
    assert_eq!(once, src);
    let mut text = once;
    for _ in 0..5 {
        text = format("f", &text);
    }
    assert_eq!(text, src);
}

#[test]
fn fields_sharing_a_line_are_never_padded() {
    let src = "a = {x = 1}\nb = {yyy = 2}\n";
    assert_eq!(format("f", src), src);
    let src = "a = {\n\tx = 1, yyyy = 2,\n\tzz = 3,\n}\n";
    assert_eq!(format("f", src), src);
}

#[test]
fn empty_call_with_closer_on_its_own_line_is_f() {
    assert_eq!(format("f", "a = f(\n)\n"), "a = f()\n");
    assert_eq!(format("f", "a = [\n]\nb = {\n}\n"), "a = []\nb = {}\n");
}

#[test]
fn blank_lines_and_blocks() {
    let src = "a = 1\n\n\n\nb = 2\nblock {\n\n  c = 3\n\n}\nd = 4\n\n";
    assert_eq!(
        format("f", src),
        "a = 1\n\nb = 2\n\nblock {\n\tc = 3\n}\nd = 4\n"
    );
    assert_eq!(format("f", ""), "\n");
    assert_eq!(
        format("f", "\n\n// only a comment\n\n"),
        "// only a comment\n"
    );
}

#[test]
fn runs_end_after_a_multi_line_value() {
    let src = "a = [\n1,\n]\nbbb = 2\ncc = 3\n";
    assert_eq!(format("f", src), "a = [\n\t1,\n]\nbbb = 2\ncc  = 3\n");
    // The multi-line statement belongs to the run before it.
    let src = "bbb = 2\na = [\n1,\n]\ncc = 3\n";
    assert_eq!(format("f", src), "bbb = 2\na   = [\n\t1,\n]\ncc = 3\n");
}

#[test]
fn comments_inside_expressions_are_kept() {
    let src = "a = 1 + /* two */ 2\nb = [ // head\n  1, /* one */\n  // own line\n  2,\n]\n";
    let got = format("f", src);
    assert_eq!(
        got,
        "a = 1 + /* two */ 2\nb = [ // head\n\t1, /* one */\n\t// own line\n\t2,\n]\n"
    );
    assert_eq!(format("f", &got), got);
}

#[test]
fn number_followed_by_access_keeps_its_space() {
    assert_eq!(format("f", "a = 1 .b\n"), "a = 1 .b\n");
}

#[test]
fn trailing_comments_align_within_a_run_only() {
    let src = "a = 1 // x\nbbbbbb = 22 // y\n\nc = 3 // z\n";
    assert_eq!(
        format("f", src),
        "a      = 1  // x\nbbbbbb = 22 // y\n\nc = 3 // z\n"
    );
}

#[test]
fn deepest_trees_the_parser_builds_format() {
    // A left-deep operator chain as deep as the parser allows.
    let mut src = String::from("a = 1");
    for _ in 0..998 {
        src.push_str(" + 1");
    }
    src.push('\n');
    assert_eq!(format("f", &src), src);
    // Blocks, then brackets, nested just under the limit of 200 (E8).
    let mut src = String::new();
    for _ in 0..199 {
        src.push_str("a {\n");
    }
    src.push_str("x = 1\n");
    for _ in 0..199 {
        src.push_str("}\n");
    }
    let once = format("f", &src);
    assert_eq!(format("f", &once), once);
    assert!(once.contains(&format!("\n{}x = 1\n", "\t".repeat(199))));
    let src = format!("x = {}1{}\n", "[-(".repeat(66), ")]".repeat(66));
    assert_eq!(format("f", &src), src);
}

#[test]
fn carriage_returns_leave_raw_strings_and_line_ends() {
    let src = "a = [\r\n  `x\r\ny`,\r\n]\r\n// c\r\n";
    assert_eq!(format("f", src), "a = [\n\t`x\ny`,\n]\n// c\n");
}

#[test]
fn comments_between_block_name_fragments_stay_there() {
    let src = "a.// y\n x {/* x */\n\n}\n";
    let once = format("f", src);
    assert_eq!(once, "a. // y\n\tx { /* x */\n}\n");
    assert_eq!(format("f", &once), once);
}

#[test]
fn block_comment_before_code_keeps_its_line_and_starts_a_run() {
    // The statement stays one space after the comment; the comment ends the run before it (as a
    // comment-only line would) and its `=` counts the comment, so the names after it line up.
    let cases = [
        (
            "a = 1\n/* c */ bb = 2\nccc = 3\n",
            "a = 1\n/* c */ bb = 2\nccc        = 3\n",
        ),
        (
            "aaaaaaaaaaaa = 1\n/* c */ bb = 2 // t\nccc = 3 // u\n",
            "aaaaaaaaaaaa = 1\n/* c */ bb = 2 // t\nccc        = 3 // u\n",
        ),
        (
            "x = {\n  a = 1,\n  /* c */ bb = 2,\n  ccc = 3,\n}\n",
            "x = {\n\ta = 1,\n\t/* c */ bb = 2,\n\tccc        = 3,\n}\n",
        ),
        (
            "/* a */ /* b */ x = 1\nyy = 2\n",
            "/* a */ /* b */ x = 1\nyy                = 2\n",
        ),
        // After a multi-line comment the line is printed as is: no alignment across it.
        (
            "b {\n  /* m\n  l */ bb = 2\n  ccc = 3\n  d = 4\n}\n",
            "b {\n\t/* m\n  l */ bb = 2\n\tccc = 3\n\td   = 4\n}\n",
        ),
        (
            "a = f(\n  /* c */ 1,\n  /* d */ 2,\n)\n",
            "a = f(\n\t/* c */ 1,\n\t/* d */ 2,\n)\n",
        ),
        // A block not first in its body still gets its blank line, before the comment.
        ("a = 1\n/* c */ b {\n}\n", "a = 1\n\n/* c */ b { }\n"),
        // A line comment always ends the line.
        ("// x\n/* y */ a = 1\n", "// x\n/* y */ a = 1\n"),
    ];
    for (src, want) in cases {
        let once = format("f", src);
        assert_eq!(once, want, "{src:?}");
        assert_eq!(format("f", &once), once, "{src:?}");
    }
}

#[test]
fn closers_and_header_comments_keep_their_own_lines() {
    // A closer asked on a new line gets one even after a block comment on its source line, and
    // a statement after a comment that follows `{` starts the body's first line.
    let cases = [
        (
            "b {\n  x = 1\n  /* c */ }\n",
            "b {\n\tx = 1\n\t/* c */\n}\n",
        ),
        ("a = [\n  1,\n  /* c */ ]\n", "a = [\n\t1,\n\t/* c */\n]\n"),
        ("b { /* c */ }\n", "b { /* c */\n}\n"),
        ("b { /* c */ x = 1 }\n", "b { /* c */\n\tx = 1\n}\n"),
    ];
    for (src, want) in cases {
        let once = format("f", src);
        assert_eq!(once, want, "{src:?}");
        assert_eq!(format("f", &once), once, "{src:?}");
    }
}
