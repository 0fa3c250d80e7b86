//! The `logging` config block (runtime §2, §12).
//!
//! Its arguments decode like a component's (syntax §6: unknown attributes, types and blocks are
//! reported by the schema), and `validate` checks the values: `level` is one of `debug`,
//! `info`, `warn`, `error` (absent: the `--log.level` flag), `format` is `logfmt` or `json`,
//! `destination` is `stderr`. Values stay strings in the arguments so that applied arguments
//! compare and encode for the API like any other block.

use std::sync::Arc;

use ferroalloy_component::DynArgs;
use ferroalloy_syntax::quote::quote;
use ferroalloy_syntax::{Diagnostic, ast};
use ferroalloy_value::decode::{ArgErrors, Arguments, FieldVisitor, decode_arguments};
use ferroalloy_value::eval::Evaluator;

/// The levels `level` accepts.
pub const LEVELS: &[&str] = &["debug", "info", "warn", "error"];
/// The formats `format` accepts.
pub const FORMATS: &[&str] = &["logfmt", "json"];
/// The destinations `destination` accepts.
pub const DESTINATIONS: &[&str] = &["stderr"];

/// The arguments of the `logging` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggingArgs {
    /// The minimum level; `None` means the `--log.level` flag.
    pub level: Option<String>,
    /// `logfmt` or `json`.
    pub format: String,
    /// Where logs go: only `stderr`.
    pub destination: String,
}

impl Default for LoggingArgs {
    fn default() -> Self {
        Self {
            level: None,
            format: "logfmt".to_owned(),
            destination: "stderr".to_owned(),
        }
    }
}

impl Arguments for LoggingArgs {
    fn fields<V: FieldVisitor<Self>>(visitor: &mut V) {
        visitor.optional("level", |s| &mut s.level);
        visitor.optional("format", |s| &mut s.format);
        visitor.optional("destination", |s| &mut s.destination);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        let mut errors = ArgErrors::new();
        if let Some(level) = &self.level
            && !LEVELS.contains(&level.as_str())
        {
            errors.push("level", format!("unrecognized log level {}", quote(level)));
        }
        if !FORMATS.contains(&self.format.as_str()) {
            errors.push(
                "format",
                format!("unrecognized log format {}", quote(&self.format)),
            );
        }
        if !DESTINATIONS.contains(&self.destination.as_str()) {
            errors.push(
                "destination",
                format!("unrecognized log destination {}", quote(&self.destination)),
            );
        }
        errors.into_result()
    }
}

/// Decode a `logging` block: every body diagnostic, then `validate` (the same contract as a
/// component registration's `decode`).
pub fn decode_logging(
    block: &ast::Block,
    eval: &Evaluator<'_>,
) -> Result<Arc<dyn DynArgs>, Vec<Diagnostic>> {
    decode_arguments::<LoggingArgs>(block, eval).map(|args| Arc::new(args) as Arc<dyn DynArgs>)
}
