//! Command-line parsing.
//!
//! Usage errors (unknown commands or flags, bad values, wrong argument counts) exit with
//! status 2, as clap does by default; `--version` prints the version, the source revision and
//! the compiler that built the binary.

use clap::{Parser, Subcommand};

use crate::commands::fmt::FmtArgs;
use crate::commands::run::RunArgs;
use crate::commands::validate::ValidateArgs;

/// The version line printed by `--version`.
pub const VERSION: &str = concat!(
    "v",
    env!("CARGO_PKG_VERSION"),
    " (revision ",
    env!("FERROALLOY_REVISION"),
    ", ",
    env!("FERROALLOY_RUSTC_VERSION"),
    ")"
);

/// ferroalloy: a pipeline runtime for continuous-profiling data that reads Grafana Alloy's
/// configuration language.
#[derive(Debug, Parser)]
#[command(name = "ferroalloy", version = VERSION, propagate_version = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Format a configuration file.
    Fmt(FmtArgs),
    /// Check a configuration file or directory without running it.
    Validate(ValidateArgs),
    /// Run a configuration file or directory.
    Run(RunArgs),
}

impl Cli {
    /// Run the parsed command.
    pub fn run(&self) -> crate::ExitStatus {
        match &self.command {
            Command::Fmt(args) => crate::commands::fmt::run(args),
            Command::Validate(args) => crate::commands::validate::run(args),
            Command::Run(args) => crate::commands::run::run(args),
        }
    }
}
