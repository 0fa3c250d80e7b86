//! See the crate documentation.

pub mod string_format;
pub mod to_json;
