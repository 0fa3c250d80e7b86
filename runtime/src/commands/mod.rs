//! The subcommands of the `ferroalloy` binary.

pub mod fmt;
pub mod validate;
