//! The export-propagation queue (runtime §6.3).
//!
//! An insertion-ordered set of node ids waiting for evaluation, the set being evaluated, and the
//! ids scheduled again while they were being evaluated. A node waits in the queue at most once,
//! is never handed out while it is running, and a node scheduled while running is evaluated
//! once more when it finishes. The queue itself spawns nothing: the controller takes ids from it
//! up to its worker limit.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use tokio::time::Instant;

/// Ids waiting for evaluation and ids being evaluated.
#[derive(Debug, Default)]
pub(crate) struct EvaluationQueue {
    waiting: IndexMap<String, Instant>,
    running: HashSet<String>,
    again: HashMap<String, Instant>,
    paused: bool,
}

impl EvaluationQueue {
    /// Schedule `id`, remembering when (for the dependency wait histogram).
    pub(crate) fn schedule(&mut self, id: &str, at: Instant) {
        if self.running.contains(id) {
            self.again.entry(id.to_owned()).or_insert(at);
        } else if !self.waiting.contains_key(id) {
            self.waiting.insert(id.to_owned(), at);
        }
    }

    /// The next id to evaluate, when the queue runs and fewer than `limit` are running; the id
    /// is marked running. Returns the time it was scheduled.
    pub(crate) fn next(&mut self, limit: usize) -> Option<(String, Instant)> {
        if self.paused || self.running.len() >= limit {
            return None;
        }
        let (id, at) = self.waiting.shift_remove_index(0)?;
        self.running.insert(id.clone());
        Some((id, at))
    }

    /// `id` finished evaluating; requeue it when it was scheduled meanwhile.
    pub(crate) fn finished(&mut self, id: &str) {
        self.running.remove(id);
        if let Some(at) = self.again.remove(id) {
            self.schedule(id, at);
        }
    }

    /// Stop handing out ids.
    pub(crate) fn pause(&mut self) {
        self.paused = true;
    }

    /// Hand out ids again.
    pub(crate) fn resume(&mut self) {
        self.paused = false;
    }

    /// Whether nothing is being evaluated.
    pub(crate) fn is_idle(&self) -> bool {
        self.running.is_empty()
    }

    /// Drop `id` from the waiting ids (a load evaluates it itself).
    pub(crate) fn remove(&mut self, id: &str) {
        self.waiting.shift_remove(id);
        self.again.remove(id);
    }

    /// Keep only the ids `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.waiting.retain(|id, _| keep(id));
        self.again.retain(|id, _| keep(id));
    }

    /// Number of ids waiting.
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_wait_once_and_rerun_once_after_running() {
        let now = Instant::now();
        let mut queue = EvaluationQueue::default();
        queue.schedule("a", now);
        queue.schedule("b", now);
        queue.schedule("a", now);
        assert_eq!(queue.len(), 2);
        let (first, _) = queue.next(4).unwrap();
        assert_eq!(first, "a");
        queue.schedule("a", now);
        queue.schedule("a", now);
        assert_eq!(queue.len(), 1, "a running one is not queued beside itself");
        let (second, _) = queue.next(4).unwrap();
        assert_eq!(second, "b");
        assert!(queue.next(4).is_none());
        queue.finished("a");
        assert_eq!(queue.next(4).map(|(id, _)| id), Some("a".to_owned()));
        queue.pause();
        queue.schedule("c", now);
        assert!(queue.next(4).is_none());
        queue.resume();
        assert!(queue.next(1).is_none(), "the worker limit holds");
    }
}
