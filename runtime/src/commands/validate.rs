//! `ferroalloy validate [--stability.level L] <path>` (runtime §13.3).
//!
//! Reads and parses every source, builds the graph with every shipped component, then decodes
//! the arguments of every node without graph errors (`config::checks`), building and running
//! nothing. A reading or parse error ends the run after its phase, as in a load. Nothing is
//! printed on stdout; every diagnostic goes to stderr in the pretty form, followed by a blank
//! line and `Error: validation failed` when any is an error.

use std::path::PathBuf;

use ferroalloy_component::ComponentRegistry;
use ferroalloy_components::register_all;
use ferroalloy_syntax::Diagnostics;
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_value::Value;
use ferroalloy_value::eval::Scope;

use crate::ExitStatus;
use crate::config::checks::{self, StabilityLevel};
use crate::config::sources::{ConfigSources, read_sources};
use crate::graph::{Graph, ParsedFile, top_level_attributes};
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
#[allow(
    clippy::print_stderr,
    reason = "validate reports on stderr by contract (runtime §13.3)"
)]
pub fn run(args: &ValidateArgs) -> ExitStatus {
    let (sources, encoding_problems) = match read_sources(&args.path) {
        Ok(read) => read,
        Err(err) => {
            eprintln!("Error: {err}");
            return ExitStatus::Failure;
        }
    };
    let registry = match register_all() {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("Error: invalid component registry: {err}");
            return ExitStatus::Failure;
        }
    };
    let diagnostics = validate_sources(
        &sources,
        encoding_problems.into(),
        args.stability_level,
        &registry,
    );
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
    registry: &ComponentRegistry,
) -> Diagnostics {
    let mut syntax_failed = diagnostics.has_errors();
    let mut parsed = Vec::with_capacity(sources.files.len());
    for src in &sources.files {
        let (file, parse_diagnostics) = parse_file(src);
        syntax_failed |= parse_diagnostics.has_errors();
        diagnostics.extend(parse_diagnostics);
        parsed.push(ParsedFile {
            src: src.clone(),
            file,
        });
    }
    if syntax_failed {
        // The graph is not built after a parse error, but a top-level attribute is still
        // reported with the parse errors of the same run (syntax §11 item 9).
        for parsed in &parsed {
            diagnostics.extend(top_level_attributes(&parsed.file, &parsed.src));
        }
        return diagnostics;
    }

    let (graph, graph_diagnostics) = Graph::build(&parsed, registry, stability.to_stability());
    diagnostics.extend(graph_diagnostics);
    let mut scope = Scope::new();
    scope.set(
        "module_path",
        Value::string(sources.module_path.to_string_lossy()),
    );
    diagnostics.extend(checks::decode_arguments(&graph, &scope));
    diagnostics
}
