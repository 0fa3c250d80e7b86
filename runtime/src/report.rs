//! Writing diagnostics to the terminal.
//!
//! `run` and `validate` print the pretty form (syntax §8.2); `fmt` prints single lines. Colour
//! is used only when stderr is a terminal and `NO_COLOR` is unset.

use std::collections::HashMap;
use std::io::IsTerminal;

use ferroalloy_syntax::render::render_pretty_sources;
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile};

/// Whether diagnostics written to stderr should be coloured.
pub fn stderr_wants_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Every diagnostic in reporting order, pretty-printed with the excerpts of `files`.
pub fn pretty(diagnostics: &Diagnostics, files: &[SourceFile], color: bool) -> String {
    let by_name: HashMap<&str, &SourceFile> = files.iter().map(|f| (f.name(), f)).collect();
    let lookup = |name: &str| by_name.get(name).copied();
    let sorted: Vec<&Diagnostic> = diagnostics.sorted();
    render_pretty_sources(sorted, &lookup, color)
}

/// Every diagnostic in reporting order, one `file:line:col: message` line each.
pub fn single_lines(diagnostics: &Diagnostics) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics.sorted() {
        out.push_str(&diagnostic.to_string());
        out.push('\n');
    }
    out
}
