//! `ferroalloy validate [--stability.level L] <path>` (runtime §13.3).
//!
//! Reads and parses every source, then runs the checks that need no running component. A
//! reading or parse error ends the run after its phase, as in a load. Nothing is printed on
//! stdout; every diagnostic goes to stderr in the pretty form, followed by
//! `Error: validation failed` when any is an error.

use std::collections::HashSet;
use std::path::PathBuf;

use ferroalloy_syntax::Diagnostics;
use ferroalloy_syntax::parser::{leading_zero_warnings, parse_file};
use ferroalloy_value::Value;
use ferroalloy_value::eval::Scope;

use crate::ExitStatus;
use crate::config::checks::{self, StabilityLevel};
use crate::config::sources::{ConfigSources, read_sources};
use crate::report;

/// Arguments of `ferroalloy validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Minimum stability level of the features the configuration may use.
    #[arg(
        long = "stability.level",
        value_enum,
        default_value = "generally-available"
    )]
    pub stability_level: StabilityLevel,
    /// A configuration file, or a directory of `.alloy` files.
    pub path: PathBuf,
}

/// Run the command.
pub fn run(args: &ValidateArgs) -> ExitStatus {
    let (sources, encoding_problems) = match read_sources(&args.path) {
        Ok(read) => read,
        Err(err) => {
            eprintln!("Error: {err}");
            return ExitStatus::Failure;
        }
    };
    let diagnostics = validate_sources(&sources, encoding_problems.into(), args.stability_level);
    let color = report::stderr_wants_color();
    let mut output = report::pretty(&diagnostics, &sources.files, color);
    if diagnostics.has_errors() {
        output.push_str("\nError: validation failed\n");
    }
    eprint!("{output}");
    if diagnostics.has_errors() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

/// Every diagnostic of validating `sources`, starting from the reading diagnostics.
pub fn validate_sources(
    sources: &ConfigSources,
    mut diagnostics: Diagnostics,
    stability: StabilityLevel,
) -> Diagnostics {
    let parsed: Vec<_> = sources
        .files
        .iter()
        .map(|src| (parse_file(src), src))
        .collect();
    let mut syntax_failed = diagnostics.has_errors();
    for ((file, parse_diagnostics), src) in &parsed {
        syntax_failed |= parse_diagnostics.has_errors();
        diagnostics.extend(parse_diagnostics.iter().cloned());
        diagnostics.extend(checks::top_level_attributes(file, src));
    }
    if syntax_failed {
        return diagnostics;
    }

    let files: Vec<_> = parsed.iter().map(|((file, _), src)| (file, *src)).collect();
    let roots = checks::block_roots(&files);
    let mut scope = Scope::new();
    scope.set(
        "module_path",
        Value::string(sources.module_path.to_string_lossy()),
    );
    let known: HashSet<String> = scope.names().chain(Scope::stdlib_names()).collect();
    for (file, src) in files {
        diagnostics.extend(leading_zero_warnings(file, src));
        diagnostics.extend(checks::stdlib_references(file, src, &roots, stability));
        diagnostics.extend(checks::evaluate_constant_attributes(
            file, src, &scope, &known, &roots,
        ));
    }
    diagnostics
}
