//! Bounded waiting for a condition.
//!
//! The condition is checked every few milliseconds until it holds or the timeout passes; the
//! caller asserts on the result. Under paused tokio time the checks advance virtual time, so a
//! condition that depends on a tokio timer is reached without real sleeping.

use std::time::Duration;

/// How often [`eventually`] checks its condition.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(10);

/// Check `condition` every [`CHECK_INTERVAL`] until it returns `true` (then `true`) or `timeout`
/// has passed (then `false`, after one last check).
pub async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return condition();
        }
        tokio::time::sleep(CHECK_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn stops_once_the_condition_holds() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let reached = eventually(Duration::from_secs(5), move || {
            seen.fetch_add(1, Ordering::SeqCst) >= 2
        })
        .await;
        assert!(reached);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_timeout() {
        assert!(!eventually(Duration::from_millis(30), || false).await);
    }
}
