//! Capturing what code under test logs through `tracing`, for tests that assert on log lines
//! (what is said, how often, and that no secret is).
//!
//! [`CapturedLogs::install_global`] installs a plain-text `fmt` subscriber (no ANSI colours) at
//! a given level as the process's global default, writing into memory; [`CapturedLogs::text`]
//! and [`CapturedLogs::count`] read what was written.
//!
//! Design decisions:
//! - The subscriber is the global one, not a thread-scoped default: tracing caches each
//!   call site's interest process-wide, so a scoped subscriber in one test can be missed by
//!   call sites first hit on other threads (a component's tasks, another test). A test binary
//!   that captures logs therefore holds one such test, and a second install fails.
//! - [`CapturedLogs`] is also a `MakeWriter`, for a test that builds its own subscriber.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tracing::subscriber::SetGlobalDefaultError;

/// The text logged so far, shared by clones.
#[derive(Clone, Debug, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Install a plain-text subscriber of events at `max_level` and above as the global default,
    /// writing into a new capture; fails when a global subscriber is already set.
    pub fn install_global(max_level: tracing::Level) -> Result<Self, SetGlobalDefaultError> {
        let captured = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(max_level)
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)?;
        Ok(captured)
    }

    /// Everything logged so far (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// How many logged lines contain `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.text().lines().filter(|l| l.contains(needle)).count()
    }

    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_subscriber_writes_lines_into_the_capture() {
        let captured = CapturedLogs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "t", "hello");
            tracing::info!(target: "t", "hello again");
            tracing::info!(target: "t", "bye");
        });
        assert_eq!(captured.count("hello"), 2);
        assert_eq!(captured.count("bye"), 1);
        assert!(captured.text().contains("INFO"), "{}", captured.text());
    }
}
