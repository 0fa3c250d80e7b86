//! Configuration sources and the checks that need no running component.

pub mod checks;
pub mod sources;
