//! Reading configuration sources from disk (runtime spec §2).
//!
//! A path names either one file (whatever its extension) or a directory whose regular `.alloy`
//! entries are read in byte order of their names, without recursion. Every file is decoded
//! before anything is parsed, so that the diagnostics of all files are reported together.
//! Diagnostics name a file by the path as given, joined with the entry name for a directory
//! (just the entry name when the path is `.`).

use std::fs;
use std::path::{Path, PathBuf};

use ferroalloy_syntax::lexer::load_source;
use ferroalloy_syntax::{Diagnostic, SourceFile};

/// The decoded files of one configuration path.
#[derive(Clone, Debug)]
pub struct ConfigSources {
    /// The files in load order.
    pub files: Vec<SourceFile>,
    /// The directory of the configuration file, or the directory itself (the `module_path`
    /// scope variable).
    pub module_path: PathBuf,
}

/// Why a configuration path could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path does not exist or cannot be read.
    #[error("reading config path {path:?}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Read every source file under `path`, returning the decoded files and the diagnostics of
/// decoding (invalid UTF-8, byte-order marks).
pub fn read_sources(path: &Path) -> Result<(ConfigSources, Vec<Diagnostic>), SourceError> {
    let shown = path.to_string_lossy().into_owned();
    let read_error = |source| SourceError::Read {
        path: shown.clone(),
        source,
    };
    let metadata = fs::metadata(path).map_err(read_error)?;
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    let module_path;
    if metadata.is_dir() {
        module_path = path.to_path_buf();
        for entry in fs::read_dir(path).map_err(read_error)? {
            let entry = entry.map_err(read_error)?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if !file_name.ends_with(".alloy") {
                continue;
            }
            let entry_path = entry.path();
            if !fs::metadata(&entry_path)
                .map(|m| m.is_file())
                .unwrap_or(false)
            {
                continue;
            }
            let name = if path == Path::new(".") {
                file_name
            } else {
                path.join(&file_name).to_string_lossy().into_owned()
            };
            entries.push((name, entry_path));
        }
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    } else {
        module_path = path.parent().map(Path::to_path_buf).unwrap_or_default();
        entries.push((shown.clone(), path.to_path_buf()));
    }

    let mut files = Vec::with_capacity(entries.len());
    let mut diagnostics = Vec::new();
    for (name, file_path) in entries {
        let bytes = fs::read(&file_path).map_err(|source| SourceError::Read {
            path: name.clone(),
            source,
        })?;
        let (file, file_diagnostics) = decode_file(&name, &bytes);
        files.push(file);
        diagnostics.extend(file_diagnostics);
    }
    Ok((ConfigSources { files, module_path }, diagnostics))
}

/// The combined content hash of `files` (runtime §10.3): lower-case hex SHA-256 over, for each
/// file in load order, its name, a NUL byte, its content and a NUL byte.
pub fn config_hash(files: &[SourceFile]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.name().as_bytes());
        hasher.update([0]);
        hasher.update(file.text().as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Decode one file's bytes into a [`SourceFile`] named `name`, with a diagnostic for every
/// encoding problem (syntax spec §1).
pub fn decode_file(name: &str, bytes: &[u8]) -> (SourceFile, Vec<Diagnostic>) {
    load_source(name, bytes)
}
