//! A recording profiles receiver for the tests of producer components (`pyroscope.scrape`,
//! `pyroscope.receive_http`), and reading a consumer component's `receiver` export.
//!
//! [`Recorder`] is what such a test puts in `forward_to`: it keeps every
//! [`Appender::append`] and [`Appender::append_ingest`] call in arrival order and answers them
//! with `Ok(())`, or with an error the test scripts with [`Recorder::fail_with`].
//!
//! Design decisions:
//! - One recorder serves both kinds of call: a producer that never forwards raw `/ingest`
//!   requests simply leaves [`Recorder::ingests`] empty, which its tests can assert.
//! - A scripted error answers every later call of either kind until it is cleared, and the call
//!   is recorded anyway: a test sees what a refusing receiver was offered.
//! - [`Recorder::receiver`] makes a new capsule on each call. Capsules compare by identity, so
//!   two entries for the same recorder are two distinct `forward_to` receivers, as two
//!   references to one component are in a configuration.
//! - A poisoned lock (a test thread panicked while holding it) is recovered: the record is still
//!   the record, and the panic already fails the test.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferroalloy_component::Component;
use ferroalloy_pyroscope::{
    AppendError, Appendable, Appender, IncomingProfile, Labels, ProfilesReceiver, RawSample,
    ReceiverRef,
};
use ferroalloy_value::decode::ArgValue as _;

use crate::ComponentHarness;

/// One recorded [`Appender::append`] call: the labels and the samples, as given.
pub type Append = (Labels, Vec<RawSample>);

/// A receiver that records every call and answers with a scripted error, if any.
#[derive(Debug, Default)]
pub struct Recorder {
    appends: Mutex<Vec<Append>>,
    ingests: Mutex<Vec<IncomingProfile>>,
    fail: Mutex<Option<AppendError>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Recorder {
    /// A new recorder that accepts every call.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A `forward_to` entry that reaches this recorder (a new capsule on each call).
    pub fn receiver(self: &Arc<Self>) -> ReceiverRef {
        ProfilesReceiver::capsule(Arc::new(RecorderHandle(Arc::clone(self))))
    }

    /// Answer every later call with `error` (`None`: accept again). Calls are recorded either
    /// way.
    pub fn fail_with(&self, error: Option<AppendError>) {
        *lock(&self.fail) = error;
    }

    /// Every `append` call so far, in arrival order.
    pub fn appends(&self) -> Vec<Append> {
        lock(&self.appends).clone()
    }

    /// Every `append_ingest` call so far, in arrival order.
    pub fn ingests(&self) -> Vec<IncomingProfile> {
        lock(&self.ingests).clone()
    }

    /// The number of calls of either kind so far.
    pub fn calls(&self) -> usize {
        lock(&self.appends).len() + lock(&self.ingests).len()
    }

    /// The `append` calls whose `__name__` label is `name`, in arrival order.
    pub fn named(&self, name: &str) -> Vec<Append> {
        lock(&self.appends)
            .iter()
            .filter(|(labels, _)| labels.get("__name__") == Some(name))
            .cloned()
            .collect()
    }

    /// Wait up to `timeout` until at least `n` `append` calls named `name` arrived; whether they
    /// did.
    pub async fn wait_named(&self, name: &str, n: usize, timeout: Duration) -> bool {
        crate::eventually(timeout, || self.named(name).len() >= n).await
    }

    fn answer(&self) -> Result<(), AppendError> {
        match lock(&self.fail).clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Appender for Recorder {
    async fn append(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
        lock(&self.appends).push((labels, samples));
        self.answer()
    }

    async fn append_ingest(&self, profile: IncomingProfile) -> Result<(), AppendError> {
        lock(&self.ingests).push(profile);
        self.answer()
    }
}

/// The [`Appendable`] inside a recorder's capsule.
struct RecorderHandle(Arc<Recorder>);

impl Appendable for RecorderHandle {
    fn appender(&self) -> Arc<dyn Appender> {
        Arc::clone(&self.0) as Arc<dyn Appender>
    }
}

/// The `receiver` export (a `pyroscope.Appendable` capsule) of the exports `harness`'s component
/// published last, e.g. a `pyroscope.write` that a producer under test forwards to; `None` when
/// nothing was published or `receiver` is missing or not such a capsule.
pub fn exported_receiver<C: Component>(harness: &ComponentHarness<C>) -> Option<ReceiverRef> {
    let exports = harness.latest_export()?;
    ReceiverRef::from_value(exports.get("receiver")?).ok()
}

#[cfg(test)]
mod tests {
    use ferroalloy_value::decode::ArgValue as _;

    use super::*;

    #[tokio::test]
    async fn records_both_kinds_of_call_through_the_capsule() {
        let recorder = Recorder::new();
        let appender = recorder.receiver().get().appender();
        let labels = Labels::from_pairs([("__name__", "memory"), ("service_name", "s")]);
        let sample = RawSample::with_id("x", vec![1u8, 2]);
        assert_eq!(
            appender.append(labels.clone(), vec![sample.clone()]).await,
            Ok(())
        );
        let profile = IncomingProfile {
            path: "/ingest".to_owned(),
            ..IncomingProfile::default()
        };
        assert_eq!(appender.append_ingest(profile.clone()).await, Ok(()));
        assert_eq!(
            recorder.appends(),
            vec![(labels.clone(), vec![sample.clone()])]
        );
        assert_eq!(recorder.ingests(), vec![profile]);
        assert_eq!(recorder.calls(), 2);
        assert_eq!(recorder.named("memory"), vec![(labels, vec![sample])]);
        assert!(recorder.named("goroutine").is_empty());
        assert!(
            recorder
                .wait_named("memory", 1, Duration::from_secs(5))
                .await
        );
    }

    #[tokio::test]
    async fn a_scripted_error_answers_every_call_until_cleared() {
        let recorder = Recorder::new();
        let appender = recorder.receiver().get().appender();
        recorder.fail_with(Some(AppendError::Rejected("no".to_owned())));
        assert_eq!(
            appender.append(Labels::new(), Vec::new()).await,
            Err(AppendError::Rejected("no".to_owned()))
        );
        assert_eq!(
            appender.append_ingest(IncomingProfile::default()).await,
            Err(AppendError::Rejected("no".to_owned()))
        );
        recorder.fail_with(None);
        assert_eq!(appender.append(Labels::new(), Vec::new()).await, Ok(()));
        assert_eq!(recorder.calls(), 3, "refused calls are recorded too");
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_calls_that_never_come_gives_up() {
        let recorder = Recorder::new();
        assert!(
            !recorder
                .wait_named("memory", 1, Duration::from_secs(1))
                .await
        );
    }

    #[test]
    fn each_receiver_is_a_distinct_capsule() {
        let recorder = Recorder::new();
        assert_ne!(
            recorder.receiver().to_value(),
            recorder.receiver().to_value()
        );
    }
}
