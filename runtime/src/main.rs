//! The `ferroalloy` binary.

use clap::Parser;
use ferroalloy_runtime::cli::Cli;

fn main() {
    let cli = Cli::parse();
    let status = cli.run();
    std::process::exit(status.code());
}
