//! The profile directory: file names, atomic writes, the index and rotation. Plain blocking
//! file I/O; the component calls it from a blocking thread.
//!
//! Layout: `<root>/<service_name>/<__name__>-<UTC time>-<seq>.pb.gz`, one gzipped pprof per
//! profile, plus `<root>/index.jsonl` with one JSON object per profile written.
//!
//! Design decisions:
//! - A file is written under a hidden temporary name in its final directory, then renamed: a
//!   reader (or a crash) never sees half a profile. Temporary files left by a crash are removed
//!   when the directory is scanned.
//! - Label values become one safe path segment each ([`file_segment`]): only `A-Z a-z 0-9 - _ .`
//!   survive, everything else (`/`, `\`, spaces, control and non-ASCII characters) becomes `_`;
//!   a leading `.` becomes `_` (no `..`, no hidden names); an empty value is `unknown`; at most
//!   [`MAX_SEGMENT_BYTES`] bytes.
//! - The files to rotate are counted from what is on disk (every `*.pb.gz` in a direct
//!   subdirectory) when the directory is first used, oldest by modification time first, then
//!   kept in memory in write order: beyond `max_profiles` the oldest are deleted.
//! - The index only grows by appends; when it holds more than twice `max_profiles` lines it is
//!   rewritten (atomically) with only the lines whose file still exists, so it stays bounded.
//! - The sequence number makes names unique within a millisecond; a name that exists already
//!   (after a restart) takes the next number.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ferroalloy_component::timestamp::rfc3339_millis;
use ferroalloy_pyroscope::pprof::{gzip, is_gzip};
use ferroalloy_pyroscope::{Labels, RawSample};

/// The name of the index file in the root directory.
pub const INDEX_FILE: &str = "index.jsonl";

/// The suffix of every profile file.
pub const PROFILE_SUFFIX: &str = ".pb.gz";

/// The longest path segment made from a label value.
pub const MAX_SEGMENT_BYTES: usize = 100;

/// How many sequence numbers a write tries before giving up on finding a free name.
const MAX_NAME_ATTEMPTS: u32 = 1000;

/// Why a profile could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The root or a service directory could not be created.
    #[error("failed to create directory {}: {source}", path.display())]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The root directory could not be listed.
    #[error("failed to read directory {}: {source}", path.display())]
    ReadDirectory {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A profile file or the index could not be written.
    #[error("failed to write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Every candidate name for a profile was taken.
    #[error("failed to find a free file name for {}", path.display())]
    NoFreeName {
        /// The last name tried.
        path: PathBuf,
    },
}

/// One profile written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The file's path.
    pub path: PathBuf,
    /// The file's path relative to the root, with `/` separators (as in the index).
    pub relative: String,
    /// The file's size.
    pub bytes: u64,
}

/// A profile directory and the files it holds.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    max_profiles: usize,
    /// The profile files, oldest first; `None` until the directory was scanned.
    files: Option<VecDeque<PathBuf>>,
    /// Lines in the index (counted when the directory is scanned).
    index_lines: usize,
    seq: u64,
}

impl Store {
    /// A store writing under `root` (absolute), keeping at most `max_profiles` files. No I/O
    /// until [`Store::prepare`] or [`Store::write`].
    pub fn new(root: PathBuf, max_profiles: u64) -> Self {
        Self {
            root,
            max_profiles: usize::try_from(max_profiles).unwrap_or(usize::MAX).max(1),
            files: None,
            index_lines: 0,
            seq: 0,
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many profile files the store holds (as far as it knows).
    pub fn file_count(&self) -> usize {
        self.files.as_ref().map_or(0, VecDeque::len)
    }

    /// Keep at most `max_profiles` files from now on, deleting the oldest beyond it.
    pub fn set_max_profiles(&mut self, max_profiles: u64) {
        self.max_profiles = usize::try_from(max_profiles).unwrap_or(usize::MAX).max(1);
        self.rotate();
    }

    /// Create the root when missing, scan it once (count the profile files, remove temporary
    /// files left by a crash, rotate). Later calls only check that the root still exists.
    pub fn prepare(&mut self) -> Result<(), StoreError> {
        fs::create_dir_all(&self.root).map_err(|source| StoreError::CreateDirectory {
            path: self.root.clone(),
            source,
        })?;
        if self.files.is_none() {
            let files = scan(&self.root)?;
            self.index_lines = count_lines(&self.root.join(INDEX_FILE));
            self.files = Some(files.into());
            self.rotate();
        }
        Ok(())
    }

    /// Write one profile: its labels pick the file name, its bytes are stored gzipped (as
    /// received when they already are), then the index gets a line and the oldest files
    /// beyond `max_profiles` are deleted.
    pub fn write(
        &mut self,
        labels: &Labels,
        sample: &RawSample,
        now: SystemTime,
    ) -> Result<Written, StoreError> {
        self.prepare()?;
        let service = file_segment(labels.get("service_name").unwrap_or(""));
        let name = file_segment(labels.get("__name__").unwrap_or(""));
        let directory = self.root.join(&service);
        fs::create_dir_all(&directory).map_err(|source| StoreError::CreateDirectory {
            path: directory.clone(),
            source,
        })?;
        let data = if is_gzip(&sample.raw_profile) {
            sample.raw_profile.clone()
        } else {
            gzip(&sample.raw_profile)
        };
        let time = rfc3339_millis(now);
        let stamp = time.replace(['-', ':'], "");
        let (file_name, path) = self.free_name(&directory, &name, &stamp)?;
        write_atomically(&directory, &file_name, &data)?;
        let relative = format!("{service}/{file_name}");
        self.append_index(&relative, labels, sample, &time, data.len())?;
        if let Some(files) = self.files.as_mut() {
            files.push_back(path.clone());
        }
        self.rotate();
        Ok(Written {
            path,
            relative,
            bytes: data.len() as u64,
        })
    }

    fn free_name(
        &mut self,
        directory: &Path,
        name: &str,
        stamp: &str,
    ) -> Result<(String, PathBuf), StoreError> {
        let mut last = directory.to_path_buf();
        for _ in 0..MAX_NAME_ATTEMPTS {
            let file_name = format!("{name}-{stamp}-{}{PROFILE_SUFFIX}", self.seq);
            self.seq = self.seq.wrapping_add(1);
            let path = directory.join(&file_name);
            if !path.exists() {
                return Ok((file_name, path));
            }
            last = path;
        }
        Err(StoreError::NoFreeName { path: last })
    }

    fn append_index(
        &mut self,
        relative: &str,
        labels: &Labels,
        sample: &RawSample,
        time: &str,
        bytes: usize,
    ) -> Result<(), StoreError> {
        let mut label_object = serde_json::Map::new();
        for (name, value) in labels.iter() {
            label_object.insert(name.to_owned(), value.into());
        }
        let mut entry = serde_json::Map::new();
        entry.insert("time".into(), time.into());
        entry.insert("path".into(), relative.into());
        entry.insert("labels".into(), serde_json::Value::Object(label_object));
        entry.insert("bytes".into(), bytes.into());
        if !sample.id.is_empty() {
            entry.insert("id".into(), sample.id.as_str().into());
        }
        let mut line = serde_json::Value::Object(entry).to_string();
        line.push('\n');
        let path = self.root.join(INDEX_FILE);
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .map_err(|source| StoreError::Write {
                path: path.clone(),
                source,
            })?;
        self.index_lines += 1;
        if self.index_lines > self.max_profiles.saturating_mul(2) {
            self.compact_index();
        }
        Ok(())
    }

    /// Rewrite the index with only the lines whose file still exists.
    fn compact_index(&mut self) {
        let path = self.root.join(INDEX_FILE);
        let Ok(text) = fs::read_to_string(&path) else {
            return;
        };
        let kept: Vec<&str> = text
            .lines()
            .filter(|line| {
                serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|entry| entry.get("path")?.as_str().map(|p| self.root.join(p)))
                    .is_some_and(|file| file.exists())
            })
            .collect();
        let mut data = kept.join("\n");
        if !data.is_empty() {
            data.push('\n');
        }
        match write_atomically(&self.root, INDEX_FILE, data.as_bytes()) {
            Ok(()) => self.index_lines = kept.len(),
            Err(err) => tracing::warn!(error = %err, "failed to compact the profile index"),
        }
    }

    /// Delete the oldest files beyond `max_profiles`.
    fn rotate(&mut self) {
        let Some(files) = self.files.as_mut() else {
            return;
        };
        while files.len() > self.max_profiles {
            let Some(oldest) = files.pop_front() else {
                break;
            };
            match fs::remove_file(&oldest) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => {
                    tracing::warn!(file = %oldest.display(), error = %err, "failed to delete an old profile");
                }
            }
        }
    }
}

/// A label value as one safe path segment (see the module docs).
pub fn file_segment(value: &str) -> String {
    let mut segment: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_SEGMENT_BYTES)
        .collect();
    if segment.is_empty() {
        return "unknown".to_owned();
    }
    if segment.starts_with('.') {
        segment.replace_range(..1, "_");
    }
    segment
}

/// Write `data` to `directory/name` through a hidden temporary file and a rename.
fn write_atomically(directory: &Path, name: &str, data: &[u8]) -> Result<(), StoreError> {
    let path = directory.join(name);
    let temporary = directory.join(format!(".{name}.tmp"));
    let written = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(data))
        .and_then(|()| fs::rename(&temporary, &path));
    written.map_err(|source| {
        let _ = fs::remove_file(&temporary);
        StoreError::Write { path, source }
    })
}

/// The profile files under `root` (in its direct subdirectories), oldest first; temporary files
/// left by a crash are removed on the way.
fn scan(root: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let read_error = |source| StoreError::ReadDirectory {
        path: root.to_path_buf(),
        source,
    };
    let mut found: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in fs::read_dir(root).map_err(read_error)? {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(children) = fs::read_dir(entry.path()) else {
            continue;
        };
        for child in children.flatten() {
            let name = child.file_name();
            let name = name.to_string_lossy();
            let path = child.path();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(PROFILE_SUFFIX) {
                continue;
            }
            let Ok(metadata) = child.metadata() else {
                continue;
            };
            if metadata.is_file() {
                let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                found.push((modified, path));
            }
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// The number of lines of a file (0 when it cannot be read).
fn count_lines(path: &Path) -> usize {
    fs::read(path).map_or(0, |data| data.iter().filter(|b| **b == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_become_safe_segments() {
        assert_eq!(file_segment("ferroalloy"), "ferroalloy");
        assert_eq!(file_segment("a/b\\c d"), "a_b_c_d");
        assert_eq!(file_segment(""), "unknown");
        assert_eq!(file_segment(".."), "_.");
        assert_eq!(file_segment(".hidden"), "_hidden");
        assert_eq!(file_segment("app.v1-2_x"), "app.v1-2_x");
        assert_eq!(file_segment("é\n"), "__");
        assert_eq!(file_segment(&"x".repeat(300)).len(), MAX_SEGMENT_BYTES);
    }
}
