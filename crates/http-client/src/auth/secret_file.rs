//! Secrets kept in files (`bearer_token_file`, `credentials_file`, `password_file`,
//! `client_secret_file`), spec §9.
//!
//! Decisions:
//! - The value a request uses is the file's current content with leading and trailing Unicode
//!   whitespace removed (`str::trim`, like Go's `strings.TrimSpace`), so a rotated token is used
//!   by the next request without a reload.
//! - One `stat` per request: the content is cached with the file's length, modification time and
//!   (on Unix) device and inode, and re-read only when one of them changed. A write that keeps the
//!   length within the same timestamp tick would be missed, so a file modified less than
//!   [`RACY_WINDOW`] before it was read is not trusted and is read again on every use until it is
//!   older (git's "racily clean" rule). Rotation by rename changes the inode; in-place rewrites
//!   change the length or, outside the window, the time.
//! - The read is synchronous: a `stat` of a local file takes microseconds and the content is
//!   small and read only when it changed; a blocking-pool hop per request would cost more.
//! - Errors name the file by path only; the content never appears in an error or in `Debug`.
//! - A failed read fails that request only and keeps nothing: the next request tries again.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use ferroalloy_value::Secret;

/// A file modified less than this long before it was read is re-read on every use.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// A file whose content could not be read. Displays as
/// `unable to read file <path>: <io error>`.
#[derive(Debug, thiserror::Error)]
#[error("unable to read file {}: {source}", path.display())]
pub struct SecretFileError {
    /// The file, as configured.
    pub path: PathBuf,
    /// The platform error.
    #[source]
    pub source: io::Error,
}

/// What identifies one version of the file without reading it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            dev: meta.dev(),
            #[cfg(unix)]
            ino: meta.ino(),
        }
    }
}

struct Cached {
    stamp: Stamp,
    /// False while the file's modification time is within [`RACY_WINDOW`] of the read.
    trusted: bool,
    value: Secret,
}

/// A secret read from a file, re-read when the file changes.
pub struct SecretFile {
    path: PathBuf,
    cache: Mutex<Option<Cached>>,
}

impl fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SecretFile {
    /// A secret kept in `path` (relative paths resolve against the working directory). Nothing
    /// is read until [`SecretFile::read`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            cache: Mutex::new(None),
        }
    }

    /// The configured path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's current content, trimmed. One `stat`, plus a read when the file changed.
    pub fn read(&self) -> Result<Secret, SecretFileError> {
        let fail = |source| SecretFileError {
            path: self.path.clone(),
            source,
        };
        let stamp = std::fs::metadata(&self.path).map(|m| Stamp::of(&m));
        let stamp = match stamp {
            Ok(stamp) => stamp,
            Err(e) => {
                self.forget();
                return Err(fail(e));
            }
        };
        {
            let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(cached) = cache.as_ref()
                && cached.trusted
                && cached.stamp == stamp
            {
                return Ok(cached.value.clone());
            }
        }
        let read_at = SystemTime::now();
        let (stamp, content) = match read_with_stamp(&self.path) {
            Ok(read) => read,
            Err(e) => {
                self.forget();
                return Err(fail(e));
            }
        };
        let value = Secret::new(content.trim());
        let trusted = stamp
            .modified
            .and_then(|m| read_at.duration_since(m).ok())
            .is_some_and(|age| age >= RACY_WINDOW);
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = Some(Cached {
            stamp,
            trusted,
            value: value.clone(),
        });
        Ok(value)
    }

    fn forget(&self) {
        *self.cache.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Read the file and stat the open handle, so the stamp describes the content read.
fn read_with_stamp(path: &Path) -> io::Result<(Stamp, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let stamp = Stamp::of(&file.metadata()?);
    let mut content = String::new();
    file.read_to_string(&mut content)?;
    Ok((stamp, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(path: &Path) {
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("open: {e}"));
        let past = SystemTime::now() - Duration::from_secs(3600);
        file.set_modified(past)
            .unwrap_or_else(|e| panic!("set_modified: {e}"));
    }

    #[test]
    fn trims_and_rereads_on_change() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("token");
        std::fs::write(&path, " \tt1\n").unwrap_or_else(|e| panic!("write: {e}"));
        let secret = SecretFile::new(&path);
        assert_eq!(
            secret.read().map(|s| s.expose().to_owned()).ok(),
            Some("t1".into())
        );
        std::fs::write(&path, "t2").unwrap_or_else(|e| panic!("write: {e}"));
        assert_eq!(
            secret.read().map(|s| s.expose().to_owned()).ok(),
            Some("t2".into())
        );
    }

    #[test]
    fn same_length_rewrite_is_seen() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("token");
        std::fs::write(&path, "aaaa").unwrap_or_else(|e| panic!("write: {e}"));
        let secret = SecretFile::new(&path);
        assert_eq!(
            secret.read().map(|s| s.expose().to_owned()).ok(),
            Some("aaaa".into())
        );
        // Same length, written within the racy window: must not be served from the cache.
        std::fs::write(&path, "bbbb").unwrap_or_else(|e| panic!("write: {e}"));
        assert_eq!(
            secret.read().map(|s| s.expose().to_owned()).ok(),
            Some("bbbb".into())
        );
    }

    #[test]
    fn old_unchanged_file_is_served_from_cache() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("token");
        std::fs::write(&path, "cached").unwrap_or_else(|e| panic!("write: {e}"));
        old(&path);
        let secret = SecretFile::new(&path);
        assert_eq!(
            secret.read().map(|s| s.expose().to_owned()).ok(),
            Some("cached".into())
        );
        let guard = secret.cache.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(guard.as_ref().is_some_and(|c| c.trusted));
    }

    #[test]
    fn missing_file_names_the_path_only() {
        let secret = SecretFile::new("/nonexistent/ferroalloy/token");
        let err = secret
            .read()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("unable to read file /nonexistent/ferroalloy/token: "),
            "{err}"
        );
    }

    #[test]
    fn debug_shows_no_content() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("token");
        std::fs::write(&path, "hunter2").unwrap_or_else(|e| panic!("write: {e}"));
        let secret = SecretFile::new(&path);
        let _ = secret.read();
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
