//! Decoding evaluated block bodies into component arguments, and encoding them back (syntax §6,
//! runtime §4 and §10.1–10.2).
//!
//! Three layers, each usable on its own:
//!
//! 1. [`ty`]: a dynamic [`Type`] and [`conform`], which turns an evaluated value into the
//!    canonical value of a type or reports what is wrong and where inside it.
//! 2. [`body`]: a [`Schema`] of attributes and nested blocks and [`decode_body`], which applies
//!    every rule of §6.1 to a block body and reports all problems at once (D5), producing a
//!    [`DecodedBody`] of canonical values with their spans.
//! 3. [`typed`]: the [`Arguments`] trait for plain Rust structs. One field list per struct
//!    derives the schema, fills the struct from a [`DecodedBody`] and encodes it back to an
//!    [`EncodedBody`] for the API; [`decode_arguments`] runs the whole pipeline including the
//!    pure `validate` hook and maps its [`ArgErrors`] back to source positions.
//!
//! Why a dynamic layer under the typed one: the runtime needs the schema without a struct (to
//! report unknown attributes before anything is built, to decode exports and arbitrary
//! targets), the conformance corpus describes targets as text (`struct{a: T, b?: T}`), and
//! canonical values make "did the arguments change?" a plain comparison.

pub mod body;
pub mod errors;
pub mod schema;
pub mod ty;
pub mod typed;

pub use body::{
    DecodedAttr, DecodedBlock, DecodedBody, decode_block, decode_body, locate,
    validation_diagnostics,
};
pub use errors::{ArgError, ArgErrors, ArgPath};
pub use schema::{AttrSpec, BlockBody, BlockSpec, Cardinality, Presence, Schema};
pub use ty::{ObjectField, Type, conform};
pub use typed::{
    ArgValue, Arguments, BlockField, CapsuleRef, CapsuleType, EncodedBody, EncodedStmt,
    FieldVisitor, Labelled, decode_arguments, decode_arguments_body, decode_value, markers,
};
