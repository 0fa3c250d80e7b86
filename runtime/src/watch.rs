//! `--config.watch` (runtime §7.1): reload when the configuration files change.
//!
//! Design decisions:
//! - The watch is on the config file's directory (or the config directory), not recursive, so a
//!   file replaced by rename or the `..data` symlink swap of a Kubernetes-mounted file is seen
//!   like an in-place write.
//! - Events are not queued: notify's thread only stores one wake-up permit in a
//!   [`tokio::sync::Notify`], so an event flood costs nothing and coalesces by construction.
//! - After the first event the watcher waits until no event has arrived for [`QUIET_PERIOD`],
//!   re-reads the sources and reloads with [`Trigger::Watch`] only when their combined hash
//!   differs from the last attempted load's (so a `touch` or a rewrite with equal content does
//!   nothing). Events that arrive during a reload start a new quiet period afterwards.
//! - Everything runs on one task owned by the caller's [`TaskTracker`] and stops with the
//!   caller's [`CancellationToken`]; the notify watcher lives inside that task and is dropped
//!   with it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::sources::{config_hash, read_sources};
use crate::status::{ControlPlane, Trigger};

/// How long no event must arrive before a reload is considered.
pub const QUIET_PERIOD: Duration = Duration::from_secs(1);

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The watcher could not be created or the directory could not be watched.
    #[error("failed to watch {path} for configuration changes: {source}")]
    Watch {
        /// The directory.
        path: String,
        /// notify's error.
        #[source]
        source: notify::Error,
    },
}

/// The directory to watch for `config_path` (a file's directory, or the directory itself).
pub fn watched_directory(config_path: &Path) -> PathBuf {
    if config_path.is_dir() {
        return config_path.to_path_buf();
    }
    match config_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The combined hash of the sources at `config_path` now; empty when they cannot be read (as
/// a load that cannot read them records).
pub fn current_hash(config_path: &Path) -> String {
    match read_sources(config_path) {
        Ok((sources, _)) => config_hash(&sources.files),
        Err(_) => String::new(),
    }
}

/// Start watching `config_path` on a task of `tracker`; the task reloads `control` when the
/// sources change and stops when `cancel` fires.
pub fn spawn(
    config_path: &Path,
    control: Arc<dyn ControlPlane>,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> Result<(), WatchError> {
    let directory = watched_directory(config_path);
    let watch_error = |source| WatchError::Watch {
        path: directory.display().to_string(),
        source,
    };
    let events = Arc::new(Notify::new());
    let sender = events.clone();
    let mut watcher: RecommendedWatcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(_) => sender.notify_one(),
            Err(err) => tracing::warn!(error = %err, "error while watching configuration files"),
        })
        .map_err(watch_error)?;
    watcher
        .watch(&directory, RecursiveMode::NonRecursive)
        .map_err(watch_error)?;
    tracing::debug!(directory = %directory.display(), "watching configuration files");
    let config_path = config_path.to_path_buf();
    tracker.spawn(async move {
        // Keep the watcher alive exactly as long as the task.
        let _watcher = watcher;
        debounce(events, QUIET_PERIOD, cancel, || {
            reload_if_changed(&config_path, control.as_ref())
        })
        .await;
    });
    Ok(())
}

/// Reload with [`Trigger::Watch`] when the sources' hash differs from the last attempted
/// load's; returns whether a reload ran.
pub async fn reload_if_changed(config_path: &Path, control: &dyn ControlPlane) -> bool {
    let hash = current_hash(config_path);
    let last = control
        .reload_status()
        .last_reload
        .map(|report| report.config_hash);
    if last.as_deref() == Some(hash.as_str()) {
        return false;
    }
    tracing::info!("configuration files changed, reloading");
    control.reload(Trigger::Watch).await.is_some()
}

/// Wait for an event on `events`, then for `quiet` without one, then run `on_quiet`; repeat
/// until `cancel` fires.
pub async fn debounce<F, Fut>(
    events: Arc<Notify>,
    quiet: Duration,
    cancel: CancellationToken,
    mut on_quiet: F,
) where
    F: FnMut() -> Fut,
    Fut: Future,
{
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = events.notified() => {}
        }
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = events.notified() => {}
                () = tokio::time::sleep(quiet) => break,
            }
        }
        if cancel.is_cancelled() {
            return;
        }
        // Not raced against `cancel`: a load is never dropped half-way; once shutdown has
        // begun the controller answers at once.
        on_quiet().await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::time::Instant;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_events_runs_the_action_once_after_a_quiet_second() {
        let events = Arc::new(Notify::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let ran_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let cancel = CancellationToken::new();
        let start = Instant::now();
        let task = {
            let (events, runs, ran_at, cancel) =
                (events.clone(), runs.clone(), ran_at.clone(), cancel.clone());
            tokio::spawn(debounce(events, QUIET_PERIOD, cancel, move || {
                runs.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut times) = ran_at.lock() {
                    times.push(start.elapsed());
                }
                async {}
            }))
        };
        for _ in 0..5 {
            events.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 0, "still inside the burst");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let times = ran_at.lock().map(|t| t.clone()).unwrap_or_default();
        // The last event came at 1.2 s; the action runs one quiet second later.
        assert_eq!(times, vec![Duration::from_millis(2200)]);

        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1, "no event, no action");
        events.notify_one();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        cancel.cancel();
        assert!(task.await.is_ok());
    }

    #[test]
    fn the_watched_directory_is_the_files_directory_or_the_directory_itself() {
        let dir = tempfile::tempdir().expect("temporary directory");
        assert_eq!(watched_directory(dir.path()), dir.path());
        let file = dir.path().join("main.alloy");
        assert_eq!(watched_directory(&file), dir.path());
        assert_eq!(watched_directory(Path::new("main.alloy")), Path::new("."));
    }
}
