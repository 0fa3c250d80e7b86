//! `ferroalloy fmt [-w|--write] [-t|--test] [file|-]` (runtime §13.2).
//!
//! Formatting never applies the load-time checks (a top-level attribute formats normally) and
//! never prints partial output: stdout stays empty on any error.

#![allow(
    clippy::print_stderr,
    reason = "fmt reports its errors on stderr by contract (runtime §13.2)"
)]

use std::fs;
use std::io::{Read, Write};
use std::path::PathBuf;

use ferroalloy_syntax::Diagnostics;
use ferroalloy_syntax::format::format_source;

use crate::ExitStatus;
use crate::config::sources::decode_file;
use crate::report;

/// Arguments of `ferroalloy fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Rewrite the file in place instead of printing it.
    #[arg(short = 'w', long = "write")]
    pub write: bool,
    /// Print nothing; fail when the file is not formatted.
    #[arg(short = 't', long = "test")]
    pub test: bool,
    /// The file to format; standard input when absent or `-`.
    pub file: Option<PathBuf>,
}

/// Run the command; messages go to stderr, the formatted text to stdout.
pub fn run(args: &FmtArgs) -> ExitStatus {
    let from_stdin = args.file.as_deref().is_none_or(|p| p.as_os_str() == "-");
    if args.write && args.test {
        return usage_error("cannot use -w/--write and -t/--test at the same time");
    }
    if args.write && from_stdin {
        return usage_error("cannot use -w with standard input");
    }

    let (name, bytes) = match read_input(args.file.as_ref().filter(|_| !from_stdin)) {
        Ok(input) => input,
        Err(message) => return failure(&message),
    };

    let (src, encoding_problems) = decode_file(&name, &bytes);
    let formatted = if encoding_problems.is_empty() {
        format_source(&src)
    } else {
        let mut diagnostics = Diagnostics::from(encoding_problems);
        if let Err(parse_diagnostics) = format_source(&src) {
            diagnostics.extend(parse_diagnostics);
        }
        Err(diagnostics)
    };
    let formatted = match formatted {
        Ok(text) => text,
        Err(diagnostics) => {
            eprint!("{}", report::single_lines(&diagnostics));
            return failure("encountered errors during formatting");
        }
    };

    let unchanged = formatted.as_bytes() == bytes.as_slice();
    if args.test {
        if unchanged {
            return ExitStatus::Success;
        }
        return failure(&format!("file {name} is not formatted correctly"));
    }
    if args.write {
        if unchanged {
            return ExitStatus::Success;
        }
        // Writing into the existing file keeps its permissions and ownership.
        let Some(path) = args.file.as_ref() else {
            return ExitStatus::Success;
        };
        return match fs::write(path, formatted) {
            Ok(()) => ExitStatus::Success,
            Err(err) => failure(&format!("failed to write {name}: {err}")),
        };
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(formatted.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitStatus::Success,
        Err(err) => failure(&format!("failed to write to standard output: {err}")),
    }
}

fn read_input(file: Option<&PathBuf>) -> Result<(String, Vec<u8>), String> {
    match file {
        None => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|err| format!("failed to read standard input: {err}"))?;
            Ok(("<stdin>".to_owned(), bytes))
        }
        Some(path) => {
            let name = path.to_string_lossy().into_owned();
            let metadata =
                fs::metadata(path).map_err(|err| format!("failed to read {name}: {err}"))?;
            if metadata.is_dir() {
                return Err("cannot format a directory".to_owned());
            }
            let bytes = fs::read(path).map_err(|err| format!("failed to read {name}: {err}"))?;
            Ok((name, bytes))
        }
    }
}

fn failure(message: &str) -> ExitStatus {
    eprintln!("Error: {message}");
    ExitStatus::Failure
}

fn usage_error(message: &str) -> ExitStatus {
    eprintln!("Error: {message}");
    ExitStatus::Usage
}
