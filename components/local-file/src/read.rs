//! Reading the file: bounded in size, UTF-8 only (spec §2).
//!
//! The read runs on the blocking pool (a FIFO or a slow network filesystem may block). The
//! size bound holds for files whose size the metadata does not tell (FIFOs, `/proc`): at most
//! [`MAX_FILE_SIZE`]` + 1` bytes are ever read into memory.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest file `local.file` exports: 64 MiB.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused (missing, permission denied, a directory, …).
    #[error("failed to read file: {path}: {source}", path = .path.display())]
    Io {
        /// The path as configured.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The content is not UTF-8.
    #[error("failed to read file: {path}: content is not valid UTF-8", path = .path.display())]
    NotUtf8 {
        /// The path as configured.
        path: PathBuf,
    },
    /// The file is larger than [`MAX_FILE_SIZE`].
    #[error("failed to read file: {path}: file is larger than {MAX_FILE_SIZE} bytes", path = .path.display())]
    TooLarge {
        /// The path as configured.
        path: PathBuf,
    },
}

/// The content of one successful read.
#[derive(Clone, PartialEq, Eq)]
pub struct FileContent(pub String);

impl fmt::Debug for FileContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the content: it may be a secret.
        write!(f, "FileContent({} bytes)", self.0.len())
    }
}

/// Read `path` on the blocking pool.
pub async fn read_file(path: PathBuf) -> Result<FileContent, ReadError> {
    let for_error = path.clone();
    match tokio::task::spawn_blocking(move || read_file_blocking(&path)).await {
        Ok(result) => result,
        Err(join_error) => Err(ReadError::Io {
            path: for_error,
            source: io::Error::other(format!("the read task failed: {join_error}")),
        }),
    }
}

/// Read `path` on the calling thread.
pub fn read_file_blocking(path: &Path) -> Result<FileContent, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    if metadata.is_file() && metadata.len() > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
        });
    }
    String::from_utf8(bytes)
        .map(FileContent)
        .map_err(|_| ReadError::NotUtf8 {
            path: path.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bytes_unchanged_and_names_the_path_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "a\n").unwrap();
        assert_eq!(read_file_blocking(&path).unwrap().0, "a\n");

        let missing = dir.path().join("missing");
        let error = read_file_blocking(&missing).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("failed to read file: {}: ", missing.display())),
            "{error}"
        );

        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert_eq!(
            read_file_blocking(&path).unwrap_err().to_string(),
            format!(
                "failed to read file: {}: content is not valid UTF-8",
                path.display()
            )
        );
    }

    #[test]
    fn debug_never_shows_the_content() {
        assert_eq!(
            format!("{:?}", FileContent("hunter2".into())),
            "FileContent(7 bytes)"
        );
    }
}
