//! Values of the Alloy configuration language, their evaluation over a scope, the standard
//! library, and decoding into typed component arguments.
//!
//! No tokio and no network: this crate builds and tests in seconds.

pub mod api_json;
pub mod convert;
pub mod decode;
pub mod duration;
pub mod eval;
pub mod number_format;
pub mod secret;
pub mod stdlib;
pub mod value;

pub use secret::{OptionalSecret, Secret};
pub use value::{
    Capsule, Function, FunctionError, Handle, Number, Object, PathSegment, Value, ValuePath,
    ValueType,
};
