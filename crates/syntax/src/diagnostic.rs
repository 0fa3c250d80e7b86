//! Diagnostics: positioned errors and warnings.
//!
//! Every diagnostic carries a file name and a start position (deviation D4: Alloy reports some
//! without one). A run keeps all its diagnostics and reports them together, sorted by file name,
//! line, column and then emission order (spec syntax §8.1). Rendering lives in
//! [`crate::render`].

use std::fmt;
use std::sync::Arc;

use crate::span::{Position, SourceFile, Span};

/// How serious a diagnostic is. Warnings never fail a load or a `validate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Fails the load, the validation or the formatting.
    Error,
    /// Reported, but never fails anything.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as in the API's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One positioned message about a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file name used in messages; empty for a standalone expression.
    pub file: Arc<str>,
    /// Where the problem starts.
    pub start: Position,
    /// The last byte of the problem, inclusive; `None` means one character.
    pub end: Option<Position>,
    /// The message, lowercase, without a trailing period.
    pub message: String,
}

impl Diagnostic {
    /// An error covering `span` of `file`.
    pub fn error(file: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, file, span, message)
    }

    /// A warning covering `span` of `file`.
    pub fn warning(file: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, span, message)
    }

    /// A diagnostic of `severity` covering `span` of `file`.
    pub fn new(
        severity: Severity,
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        let (start, end) = file.range(span);
        Self {
            severity,
            file: file.name_arc().clone(),
            start,
            end,
            message: message.into(),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The single-line form `<file>:<line>:<col>: <message>`, or `<line>:<col>: <message>` when the
/// file has no name.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            write!(f, "{}:", self.file)?;
        }
        write!(
            f,
            "{}:{}: {}",
            self.start.line, self.start.column, self.message
        )
    }
}

/// An ordered collection of diagnostics from one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// An empty collection.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Record one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Record every diagnostic of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics in recording order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The first error-severity diagnostic in reporting order.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.sorted().into_iter().find(|d| d.is_error())
    }

    /// The diagnostics in reporting order: file name (bytes), line, column, then recording order.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = self.0.iter().collect();
        sorted.sort_by(|a, b| {
            (a.file.as_bytes(), a.start.line, a.start.column).cmp(&(
                b.file.as_bytes(),
                b.start.line,
                b.start.column,
            ))
        });
        sorted
    }

    /// Sort in place into reporting order.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (a.file.as_bytes(), a.start.line, a.start.column).cmp(&(
                b.file.as_bytes(),
                b.start.line,
                b.start.column,
            ))
        });
    }

    /// The diagnostics, consuming the collection.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Self(diagnostics)
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}
