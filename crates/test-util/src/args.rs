//! Decoding a component's arguments from configuration text.
//!
//! The text is the body of one block (`filename = "/tmp/x"`), wrapped in a block named
//! `component` and decoded with [`decode_arguments`], so tests see the same values and the same
//! diagnostics (messages and positions) as the runtime produces for a real file.

use ferroalloy_syntax::ast::Stmt;
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_syntax::{Diagnostic, SourceFile};
use ferroalloy_value::decode::{Arguments, decode_arguments};
use ferroalloy_value::eval::{Evaluator, Scope};

/// Decode `body` (the statements inside a block) into `A` over an empty scope. On failure the
/// diagnostics' messages are returned, in reporting order.
pub fn decode_args<A: Arguments>(body: &str) -> Result<A, Vec<String>> {
    decode_args_with_scope(body, &Scope::new())
        .map_err(|diagnostics| diagnostics.into_iter().map(|d| d.message).collect())
}

/// Decode `body` into `A` with `scope` visible to its expressions, returning full diagnostics.
pub fn decode_args_with_scope<A: Arguments>(
    body: &str,
    scope: &Scope,
) -> Result<A, Vec<Diagnostic>> {
    let src = SourceFile::new("test.alloy", format!("component {{\n{body}\n}}\n"));
    let (file, parse_diagnostics) = parse_file(&src);
    if parse_diagnostics.has_errors() {
        return Err(parse_diagnostics.iter().cloned().collect());
    }
    let Some(Stmt::Block(block)) = file.body.stmts.first() else {
        return Err(Vec::new());
    };
    decode_arguments::<A>(block, &Evaluator::new(&src, scope))
}
