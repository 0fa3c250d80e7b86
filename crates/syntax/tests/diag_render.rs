//! Pretty diagnostic rendering against `conformance/syntax/diag/render.jsonl` (spec syntax §8.2),
//! plus edge cases the corpus does not cover.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use ferroalloy_syntax::render::render_pretty;
use ferroalloy_syntax::{Diagnostic, Position, Severity};
use serde_json::Value;

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/diag/render.jsonl"
));

fn position(v: &Value) -> Position {
    let line = v[0].as_u64().unwrap_or(0) as usize;
    let column = v[1].as_u64().unwrap_or(0) as usize;
    Position {
        line,
        column,
        offset: 0,
    }
}

fn diagnostic(v: &Value) -> Diagnostic {
    let severity = match v["severity"].as_str() {
        Some("warning") => Severity::Warning,
        _ => Severity::Error,
    };
    Diagnostic {
        severity,
        file: Arc::from(v["file"].as_str().unwrap_or("")),
        start: position(&v["start"]),
        end: v.get("end").map(position),
        message: v["message"].as_str().unwrap_or("").to_owned(),
    }
}

fn render(files: &HashMap<String, String>, diagnostics: &[Diagnostic], color: bool) -> String {
    let lookup = |name: &str| files.get(name).map(String::as_str);
    render_pretty(diagnostics.iter(), &lookup, color)
}

#[test]
fn corpus_renders_byte_for_byte() {
    let mut count = 0;
    for line in CORPUS.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad row {line}: {e}"));
        let files: HashMap<String, String> = case["files"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
            .collect();
        let diagnostics: Vec<Diagnostic> = case["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .map(diagnostic)
            .collect();
        let got = render(&files, &diagnostics, false);
        let expect = case["expect"].as_str().unwrap_or("");
        assert_eq!(
            got, expect,
            "case {:?}\n--- got ---\n{got}\n--- expected ---\n{expect}",
            case["name"]
        );
        count += 1;
    }
    assert_eq!(count, 7, "every corpus row is checked");
}

fn diag(
    severity: Severity,
    file: &str,
    start: (usize, usize),
    end: Option<(usize, usize)>,
) -> Diagnostic {
    Diagnostic {
        severity,
        file: Arc::from(file),
        start: Position {
            line: start.0,
            column: start.1,
            offset: 0,
        },
        end: end.map(|(line, column)| Position {
            line,
            column,
            offset: 0,
        }),
        message: "synthetic error".to_owned(),
    }
}

fn files(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn spec_example_renders_with_empty_context_line() {
    let text = "a = 1\n\nlocal.file \"label6\" {\n  filename = local.file.label6.content\n}\n";
    let mut d = diag(Severity::Error, "main.alloy", (3, 1), Some((3, 21)));
    d.message = "cannot reference self".to_owned();
    let got = render(&files(&[("main.alloy", text)]), &[d], false);
    assert_eq!(
        got,
        "Error: main.alloy:3:1: cannot reference self\n\n\
         2 | \n\
         3 | local.file \"label6\" {\n  \
           | ^^^^^^^^^^^^^^^^^^^^^\n\
         4 |   filename = local.file.label6.content\n"
    );
}

#[test]
fn unknown_file_prints_header_only() {
    let d = diag(Severity::Warning, "missing.alloy", (2, 3), None);
    let got = render(&HashMap::new(), &[d.clone(), d], false);
    assert_eq!(
        got,
        "Warning: missing.alloy:2:3: synthetic error\n\nWarning: missing.alloy:2:3: synthetic error\n"
    );
}

#[test]
fn colour_codes_only_when_asked() {
    let f = files(&[("f", "abc")]);
    let err = diag(Severity::Error, "f", (1, 2), None);
    let warn = diag(Severity::Warning, "f", (1, 2), None);
    let got = render(&f, std::slice::from_ref(&err), true);
    assert_eq!(
        got,
        "\x1b[31;1mError:\x1b[0m \x1b[1mf:1:2: synthetic error\x1b[0m\n\n1 | abc\n  |  ^\n"
    );
    let got = render(&f, &[warn], true);
    assert!(
        got.starts_with("\x1b[33;1mWarning:\x1b[0m \x1b[1mf:1:2: synthetic error\x1b[0m\n"),
        "{got}"
    );
    assert!(!render(&f, &[err], false).contains('\x1b'));
}

#[test]
fn final_newline_adds_an_empty_last_line_and_carriage_returns_are_hidden() {
    let f = files(&[("f", "a = 1\r\nb = x\r\n")]);
    let got = render(&f, &[diag(Severity::Error, "f", (2, 5), None)], false);
    assert_eq!(
        got,
        "Error: f:2:5: synthetic error\n\n1 | a = 1\n2 | b = x\n  |     ^\n3 | \n"
    );
}

#[test]
fn caret_past_end_of_a_carriage_return_line() {
    let f = files(&[("f", "a = [1\r\n}")]);
    let got = render(&f, &[diag(Severity::Error, "f", (1, 7), None)], false);
    assert_eq!(
        got,
        "Error: f:1:7: synthetic error\n\n1 | a = [1\n  |       ^\n2 | }\n"
    );
}

#[test]
fn multibyte_characters_get_one_mark_each() {
    let f = files(&[("f", "s = \"héllo\" + 1")]);
    // `"héllo"` covers byte columns 5..=12 (é is two bytes).
    let got = render(
        &f,
        &[diag(Severity::Error, "f", (1, 5), Some((1, 12)))],
        false,
    );
    assert_eq!(
        got,
        "Error: f:1:5: synthetic error\n\n1 | s = \"héllo\" + 1\n  |     ^^^^^^^\n"
    );
}

#[test]
fn out_of_range_positions_do_not_panic() {
    let f = files(&[("f", "abc\ndef")]);
    let got = render(&f, &[diag(Severity::Error, "f", (9, 1), None)], false);
    assert_eq!(got, "Error: f:9:1: synthetic error\n");
    let got = render(&f, &[diag(Severity::Error, "f", (0, 0), None)], false);
    assert_eq!(got, "Error: f:0:0: synthetic error\n");
    // An end before the start is treated as one character.
    let got = render(
        &f,
        &[diag(Severity::Error, "f", (2, 2), Some((1, 1)))],
        false,
    );
    assert_eq!(
        got,
        "Error: f:2:2: synthetic error\n\n1 | abc\n2 | def\n  |  ^\n"
    );
    // An end past the last line is clamped.
    let got = render(
        &f,
        &[diag(Severity::Error, "f", (1, 2), Some((7, 1)))],
        false,
    );
    assert_eq!(
        got,
        "Error: f:1:2: synthetic error\n\n1 |   abc\n  |  __^^\n2 | | def\n  | |_^\n"
    );
}

#[test]
fn long_lines_are_cut_around_the_caret() {
    let line = format!("{}X{}", "a".repeat(3000), "b".repeat(3000));
    let f = files(&[("f", line.as_str())]);
    let got = render(&f, &[diag(Severity::Error, "f", (1, 3001), None)], false);
    let mut lines = got.lines().skip(2);
    let text = lines.next().unwrap_or_default();
    let marks = lines.next().unwrap_or_default();
    assert!(
        text.len() < 1100,
        "context line is cut: {} bytes",
        text.len()
    );
    assert!(text.starts_with("1 | …") && text.ends_with('…'), "{text}");
    // The caret stays under the X.
    let caret = marks.find('^').unwrap_or(0);
    let x = text.find('X').unwrap_or(1);
    assert_eq!(text[..x].chars().count(), marks[..caret].chars().count());
}
