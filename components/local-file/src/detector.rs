//! Change detection (spec §3.3): a watch on the file's parent directory, re-armed when lost.
//!
//! Design decisions:
//! - The *directory* is watched, not the file: an atomic replace (rename over the file) or a
//!   Kubernetes `..data` symlink swap replaces the inode a file watch would follow, while the
//!   directory sees every such change as an event. Any event in the directory requests a read;
//!   the content comparison in the component filters the noise. Only the events a read causes
//!   itself (open, read-only close) are dropped, or every read would request the next one.
//! - Watcher callbacks run on notify's thread. They only set a flag and wake the component's
//!   task ([`ReadRequests`]); reads happen on that task, after the settle delay, coalesced.
//! - A watch is lost when the directory is removed or renamed (an event on the directory
//!   itself) or replaced (its device and inode changed). The fallback poll calls
//!   [`DirWatch::ensure_armed`] on every tick, which sets the watch up again; the read on the
//!   same tick reports the file's state as health.
//! - A watcher error is treated as a change: it requests a read, so a real problem shows as
//!   health instead of only in a log line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// Read requests from detectors to the component's task, coalesced.
///
/// [`ReadRequests::request`] may be called from any thread, any number of times; the task sees
/// one pending request until it calls [`ReadRequests::take`].
#[derive(Debug, Default)]
pub struct ReadRequests {
    pending: AtomicBool,
    wake: Notify,
}

impl ReadRequests {
    /// Ask for a read.
    pub fn request(&self) {
        self.pending.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Wait until a request may be pending (check with [`ReadRequests::take`]).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Clear the pending request, returning whether there was one.
    pub fn take(&self) -> bool {
        self.pending.swap(false, Ordering::SeqCst)
    }
}

/// The directory that holds `file` (`.` for a bare file name).
pub fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// A non-recursive notification watch on one directory.
pub struct DirWatch {
    dir: PathBuf,
    component_id: String,
    requests: Arc<ReadRequests>,
    watcher: Option<RecommendedWatcher>,
    identity: Option<DirIdentity>,
    lost: Arc<AtomicBool>,
    warned: bool,
}

impl std::fmt::Debug for DirWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirWatch")
            .field("dir", &self.dir)
            .field("armed", &self.watcher.is_some())
            .finish_non_exhaustive()
    }
}

impl DirWatch {
    /// Watch the parent directory of `file`, sending read requests to `requests`. A failure is
    /// logged as a warning; [`DirWatch::ensure_armed`] retries.
    pub fn new(file: &Path, component_id: &str, requests: Arc<ReadRequests>) -> Self {
        let mut watch = Self {
            dir: parent_dir(file),
            component_id: component_id.to_owned(),
            requests,
            watcher: None,
            identity: None,
            lost: Arc::new(AtomicBool::new(false)),
            warned: false,
        };
        watch.arm();
        watch
    }

    /// Whether a watch is set up and not known to be lost.
    pub fn is_armed(&self) -> bool {
        self.watcher.is_some() && !self.lost.load(Ordering::SeqCst)
    }

    /// Set the watch up again when it failed, was lost, or the directory was replaced.
    pub fn ensure_armed(&mut self) {
        let replaced = self.identity.is_some() && DirIdentity::of(&self.dir) != self.identity;
        if self.is_armed() && !replaced {
            return;
        }
        if self.watcher.is_some() && !self.warned {
            tracing::warn!(
                component_id = %self.component_id,
                path = %self.dir.display(),
                "lost the watch on the directory; setting it up again"
            );
            self.warned = true;
        }
        self.arm();
    }

    fn arm(&mut self) {
        self.watcher = None;
        self.lost = Arc::new(AtomicBool::new(false));
        match self.watch() {
            Ok(watcher) => {
                self.watcher = Some(watcher);
                self.identity = DirIdentity::of(&self.dir);
                if self.warned {
                    tracing::info!(
                        component_id = %self.component_id,
                        path = %self.dir.display(),
                        "watching the directory again"
                    );
                }
                self.warned = false;
            }
            Err(error) => {
                // One warning per outage; the fallback poll keeps reading meanwhile.
                if !self.warned {
                    tracing::warn!(
                        component_id = %self.component_id,
                        path = %self.dir.display(),
                        %error,
                        "failed to watch the directory; relying on the fallback poll"
                    );
                    self.warned = true;
                }
                self.identity = None;
            }
        }
    }

    fn watch(&self) -> notify::Result<RecommendedWatcher> {
        let requests = Arc::clone(&self.requests);
        let lost = Arc::clone(&self.lost);
        let dir = self.dir.clone();
        let component_id = self.component_id.clone();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            match event {
                Ok(event) => {
                    if is_own_read(&event.kind) {
                        return;
                    }
                    if is_about_dir_itself(&event, &dir) {
                        lost.store(true, Ordering::SeqCst);
                    }
                }
                Err(error) => {
                    tracing::debug!(%component_id, %error, "file watcher error; reading the file");
                }
            }
            requests.request();
        })?;
        watcher.watch(&self.dir, RecursiveMode::NonRecursive)?;
        Ok(watcher)
    }
}

/// Events a read of the file causes by itself.
fn is_own_read(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

/// The watched directory itself was removed or moved away: the watch is gone.
fn is_about_dir_itself(event: &Event, dir: &Path) -> bool {
    matches!(
        event.kind,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
    ) && event.paths.iter().any(|path| path == dir)
}

/// What tells one directory from another created at the same path later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DirIdentity {
    device: u64,
    inode: u64,
}

impl DirIdentity {
    #[cfg(unix)]
    fn of(dir: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(dir).ok()?;
        Some(Self {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }

    #[cfg(not(unix))]
    fn of(dir: &Path) -> Option<Self> {
        std::fs::metadata(dir).ok().map(|_| Self {
            device: 0,
            inode: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bare_file_name_lives_in_the_working_directory() {
        assert_eq!(parent_dir(Path::new("token")), PathBuf::from("."));
        assert_eq!(parent_dir(Path::new("/run/token")), PathBuf::from("/run"));
        assert_eq!(parent_dir(Path::new("a/b")), PathBuf::from("a"));
    }

    #[test]
    fn requests_coalesce_until_taken() {
        let requests = ReadRequests::default();
        assert!(!requests.take());
        requests.request();
        requests.request();
        assert!(requests.take());
        assert!(!requests.take());
    }

    #[tokio::test]
    async fn a_lost_directory_is_watched_again_once_it_returns() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let requests = Arc::new(ReadRequests::default());
        let mut watch = DirWatch::new(&dir.join("f"), "local.file.t", Arc::clone(&requests));
        assert!(watch.is_armed());

        std::fs::remove_dir(&dir).unwrap();
        let lost = ferroalloy_test_util::eventually(Duration::from_secs(5), || !watch.is_armed());
        assert!(lost.await, "the removal of the directory was not noticed");
        watch.ensure_armed();
        assert!(!watch.is_armed(), "armed on a missing directory");

        std::fs::create_dir(&dir).unwrap();
        watch.ensure_armed();
        assert!(watch.is_armed());
        requests.take();
        std::fs::write(dir.join("f"), "x").unwrap();
        let requested =
            ferroalloy_test_util::eventually(Duration::from_secs(5), || requests.take());
        assert!(requested.await, "no request after the directory returned");
    }
}
