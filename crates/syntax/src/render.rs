//! Pretty rendering of diagnostics with source context (spec syntax §8.2), as `ferroalloy run`
//! and `ferroalloy validate` print them.
//!
//! Design decisions:
//! - The output is byte-compatible with Alloy's diagnostic printer, except that a caret is drawn
//!   for a position just past the end of a line (deviation E9: Alloy draws nothing there).
//! - Rendering never fails and never panics: positions outside the text are clamped, and a
//!   diagnostic whose file text is unknown (or whose line does not exist) prints its header only.
//! - A context line longer than [`MAX_LINE_BYTES`] is cut around the highlighted columns with `…`
//!   so that a huge minified line cannot flood a terminal.

use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::SourceFile;

/// Context lines longer than this many bytes are shortened with `…` (spec syntax §12).
pub const MAX_LINE_BYTES: usize = 1000;

const RED_BOLD: &str = "\x1b[31;1m";
const YELLOW_BOLD: &str = "\x1b[33;1m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Pretty rendering of spec §8.2 for each diagnostic, in the order given, separated by one blank
/// line. `source_text(file_name)` gives a file's text (None → header only). With `color`, the
/// header's `Error:` is red bold, `Warning:` yellow bold and the rest of the header bold.
pub fn render_pretty<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    source_text: &dyn Fn(&str) -> Option<&'a str>,
    color: bool,
) -> String {
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_one(&mut out, diagnostic, source_text(&diagnostic.file), color);
    }
    out
}

/// [`render_pretty`] over decoded source files: positions count the file's bytes (a stripped
/// byte-order mark, replaced invalid UTF-8), so each is mapped onto the text shown before the
/// caret is drawn.
pub fn render_pretty_sources<'a>(
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
    source: &dyn Fn(&str) -> Option<&'a SourceFile>,
    color: bool,
) -> String {
    let mut out = String::new();
    for (i, diagnostic) in diagnostics.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match source(&diagnostic.file) {
            Some(file) => {
                let mut shown = diagnostic.clone();
                shown.start.column = file.text_column(shown.start.line, shown.start.column);
                if let Some(end) = shown.end.as_mut() {
                    end.column = file.text_column(end.line, end.column);
                }
                // The header keeps the reported position; only the excerpt uses text columns.
                render_one_with_header(&mut out, &shown, diagnostic, Some(file.text()), color);
            }
            None => render_one(&mut out, diagnostic, None, color),
        }
    }
    out
}

fn render_one(out: &mut String, diagnostic: &Diagnostic, text: Option<&str>, color: bool) {
    render_one_with_header(out, diagnostic, diagnostic, text, color);
}

fn render_one_with_header(
    out: &mut String,
    diagnostic: &Diagnostic,
    header: &Diagnostic,
    text: Option<&str>,
    color: bool,
) {
    let label = match diagnostic.severity {
        Severity::Error => "Error:",
        Severity::Warning => "Warning:",
    };
    if color {
        let colour = match diagnostic.severity {
            Severity::Error => RED_BOLD,
            Severity::Warning => YELLOW_BOLD,
        };
        let _ = writeln!(out, "{colour}{label}{RESET} {BOLD}{header}{RESET}");
    } else {
        let _ = writeln!(out, "{label} {header}");
    }

    let Some(text) = text else { return };
    let lines: Vec<&str> = text.split('\n').collect();
    let start_line = diagnostic.start.line;
    if start_line == 0 || start_line > lines.len() {
        return;
    }
    let start_col = diagnostic.start.column.max(1);
    // A missing or backwards end means one character at the start.
    let (end_line, end_col) = match diagnostic.end {
        Some(end)
            if end.line > start_line || (end.line == start_line && end.column >= start_col) =>
        {
            (end.line.min(lines.len()), end.column)
        }
        _ => (start_line, start_col),
    };
    let multi = end_line > start_line;

    let first = start_line.saturating_sub(1).max(1);
    let last = (end_line + 1).min(lines.len());
    let width = last.to_string().len();
    let gutter = " ".repeat(width);

    out.push('\n');
    for number in first..=last {
        let raw = lines[number - 1];
        let rail = if !multi {
            ""
        } else if number > start_line && number <= end_line {
            "| "
        } else {
            "  "
        };
        let focus = if number == start_line {
            start_col
        } else if number == end_line {
            end_col
        } else {
            1
        };
        let view = LineView::new(raw, focus);
        let _ = writeln!(out, "{number:>width$} | {rail}{}", view.text());

        if number == start_line {
            let (prefix, fill, stop) = if multi {
                (" |  _", '_', None)
            } else {
                (" | ", ' ', Some(end_col))
            };
            let marks = view.marks(start_col, stop, fill, true);
            let _ = writeln!(out, "{gutter}{prefix}{marks}");
        } else if multi && number == end_line {
            let marks = view.marks(1, Some(end_col), '_', false);
            let _ = writeln!(out, "{gutter} | |_{marks}");
        }
    }
}

/// The part of one source line that is printed: the whole line, or for a line longer than
/// [`MAX_LINE_BYTES`], a window around the focused column with `…` marking each cut.
struct LineView<'t> {
    line: &'t str,
    begin: usize,
    end: usize,
}

impl<'t> LineView<'t> {
    fn new(line: &'t str, focus_col: usize) -> Self {
        if line.len() <= MAX_LINE_BYTES {
            return Self {
                line,
                begin: 0,
                end: line.len(),
            };
        }
        let mut begin = focus_col
            .saturating_sub(1 + MAX_LINE_BYTES / 2)
            .min(line.len());
        while !line.is_char_boundary(begin) {
            begin -= 1;
        }
        let mut end = (begin + MAX_LINE_BYTES).min(line.len());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        Self { line, begin, end }
    }

    /// The text to print: `\r` removed, tabs and vertical tabs shown as four spaces.
    fn text(&self) -> String {
        let mut out = String::with_capacity(self.end - self.begin + 8);
        if self.begin > 0 {
            out.push('…');
        }
        for c in self.line[self.begin..self.end].chars() {
            match c {
                '\r' => {}
                '\t' | '\u{b}' => out.push_str("    "),
                c => out.push(c),
            }
        }
        if self.end < self.line.len() {
            out.push('…');
        }
        out
    }

    /// The marks under the line: one per character at its first byte's column, `^` from
    /// `from_col` on, stopping after `stop_col` when given. With `caret_past_end`, a range that
    /// starts past the last character still gets one `^` at its column (E9).
    fn marks(
        &self,
        from_col: usize,
        stop_col: Option<usize>,
        fill: char,
        caret_past_end: bool,
    ) -> String {
        let mut marks = String::new();
        if self.begin > 0 {
            marks.push(fill);
        }
        let mut drew_caret = false;
        let mut stopped = false;
        for (offset, c) in self.line[self.begin..self.end].char_indices() {
            let col = self.begin + offset + 1;
            if stop_col.is_some_and(|stop| col > stop) {
                stopped = true;
                break;
            }
            match c {
                '\r' => {}
                '\t' | '\u{b}' => marks.extend(std::iter::repeat_n(fill, 4)),
                _ if col >= from_col => {
                    marks.push('^');
                    drew_caret = true;
                }
                _ => marks.push(fill),
            }
        }
        if caret_past_end && !drew_caret && !stopped {
            let missing = from_col.saturating_sub(1).saturating_sub(self.end);
            // Columns beyond a cut window are not drawn one by one.
            let missing = if self.end < self.line.len() {
                0
            } else {
                missing.min(MAX_LINE_BYTES)
            };
            marks.extend(std::iter::repeat_n(fill, missing));
            marks.push('^');
        }
        marks
    }
}
