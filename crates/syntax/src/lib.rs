//! The Alloy configuration language: tokens, lexer, parser, syntax tree, diagnostics and
//! formatter.
//!
//! This crate has no runtime and no I/O. Evaluation lives in `ferroalloy-value`.

pub mod ast;
pub mod diagnostic;
pub mod format;
pub mod lexer;
pub mod parser;
pub mod quote;
pub mod render;
pub mod span;
pub mod token;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use span::{OffsetAnchor, Position, SourceFile, Span};
pub use token::{Token, TokenKind};
