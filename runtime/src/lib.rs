//! The ferroalloy runtime and command-line tool.
//!
//! Today this crate holds the command-line front end (`fmt`, `validate`), reading configuration
//! sources and the checks that need no running component; the graph runtime builds on them.

pub mod cli;
pub mod commands;
pub mod config;
pub mod report;

/// How the process ends (runtime §13.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success (also `validate` with warnings only).
    Success,
    /// 1: configuration or runtime failure.
    Failure,
    /// 2: usage error.
    Usage,
}

impl ExitStatus {
    /// The numeric process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
        }
    }
}
