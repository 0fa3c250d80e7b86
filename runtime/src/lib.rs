//! The ferroalloy runtime and command-line tool.
//!
//! Sources are read and parsed (`config`), turned into a graph of components (`graph`),
//! evaluated and kept running by the controller (`controller`), and exposed over HTTP
//! (`server`). The command line (`cli`, `commands`) ties them together.

pub mod cli;
pub mod commands;
pub mod config;
pub mod graph;
pub mod report;
pub mod status;

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
pub mod controller;
pub mod logging;
pub mod metrics;
pub mod server;
pub mod watch;
