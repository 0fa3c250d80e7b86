//! The subcommands of the `ferroalloy` binary.

pub mod fmt;
pub mod run;
pub mod validate;
