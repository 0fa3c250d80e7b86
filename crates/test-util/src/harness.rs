//! A harness that runs one component the way the runtime does, for the component's own tests.
//!
//! [`ComponentHarness::build`] gives the component real [`Options`]: a data path inside a fresh
//! temporary directory (removed when the harness is dropped), its own [`ComponentMetrics`]
//! (labelled `component_id=<id>`), and a publish sink backed by an [`ExportRecorder`] that keeps
//! every published exports object in order and wakes tests waiting for the next one.
//!
//! Design decisions:
//! - Publishing is recorded, not compared: the runtime filters unchanged exports, but a test of a
//!   component must see exactly what the component published (to assert "publish only on
//!   change"), so the recorder keeps duplicates.
//! - [`ComponentHarness::start`] spawns `run` on its own task with a [`CancellationToken`] the
//!   harness owns; [`ComponentHarness::stop`] cancels it and waits, bounded; dropping the harness
//!   cancels and aborts the task, so no test leaks a running component.
//! - Every wait takes a timeout and returns `None`/`false` when it passes, for the test to
//!   assert on.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ferroalloy_component::{
    BuildError, Component, ComponentMetrics, EncodedBody, ExportsSink, Health, Options,
};
use ferroalloy_value::Object;
use tempfile::TempDir;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Records every exports object a component publishes.
///
/// Cheap to clone; clones share the record.
#[derive(Clone)]
pub struct ExportRecorder {
    log: Arc<Mutex<Vec<Object>>>,
    count: Arc<watch::Sender<usize>>,
}

impl Default for ExportRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ExportRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRecorder")
            .field("count", &self.count())
            .finish()
    }
}

impl ExportRecorder {
    /// An empty record.
    pub fn new() -> Self {
        let (count, _) = watch::channel(0);
        Self {
            log: Arc::new(Mutex::new(Vec::new())),
            count: Arc::new(count),
        }
    }

    /// A publish sink that appends to this record.
    pub fn sink(&self) -> ExportsSink {
        let recorder = self.clone();
        Arc::new(move |object: Object| recorder.record(object))
    }

    fn record(&self, object: Object) {
        let len = {
            let mut log = self.lock();
            log.push(object);
            log.len()
        };
        self.count.send_replace(len);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Object>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many objects were published so far.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Every published object, oldest first.
    pub fn all(&self) -> Vec<Object> {
        self.lock().clone()
    }

    /// The most recently published object.
    pub fn latest(&self) -> Option<Object> {
        self.lock().last().cloned()
    }

    /// The object published `n`-th (1-based), waiting up to `timeout` for it to be published.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Option<Object> {
        let mut count = self.count.subscribe();
        let reached = tokio::time::timeout(timeout, count.wait_for(|&c| c >= n)).await;
        match reached {
            Ok(Ok(_)) => self.lock().get(n.checked_sub(1)?).cloned(),
            _ => None,
        }
    }
}

/// Settings of a harness other than the component's arguments.
#[derive(Clone, Debug)]
pub struct HarnessOptions {
    /// The component's id, as the runtime would form it (`local.file.token`).
    pub id: String,
    /// The shutdown deadline handed to the component; also the bound of [`ComponentHarness::stop`].
    pub shutdown_deadline: Duration,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self {
            id: "test.component".to_owned(),
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

/// A build that failed, with what the component published before failing.
#[derive(Debug)]
pub struct BuildFailure {
    /// The build error.
    pub error: BuildError,
    /// Every exports object published during the failed build (usually none).
    pub published: Vec<Object>,
}

/// One component of type `C`, built with real options, optionally running.
pub struct ComponentHarness<C: Component> {
    component: Arc<C>,
    options: Options,
    recorder: ExportRecorder,
    seen: usize,
    cancel: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    data_dir: TempDir,
}

impl<C: Component> std::fmt::Debug for ComponentHarness<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentHarness")
            .field("options", &self.options)
            .field("recorder", &self.recorder)
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

impl<C: Component> ComponentHarness<C> {
    /// Build the component from `args` with the default [`HarnessOptions`]. The component is not
    /// running yet: call [`ComponentHarness::start`].
    pub async fn build(args: C::Args) -> Result<Self, BuildFailure> {
        Self::build_with(HarnessOptions::default(), args).await
    }

    /// Build the component from `args` with `settings`.
    pub async fn build_with(settings: HarnessOptions, args: C::Args) -> Result<Self, BuildFailure> {
        let data_dir = match tempfile::Builder::new()
            .prefix("ferroalloy-harness-")
            .tempdir()
        {
            Ok(dir) => dir,
            Err(error) => {
                return Err(BuildFailure {
                    error: BuildError::Other(format!("failed to create a data directory: {error}")),
                    published: Vec::new(),
                });
            }
        };
        let recorder = ExportRecorder::new();
        let options = Options::new(
            settings.id.clone(),
            data_dir.path().join(&settings.id),
            settings.shutdown_deadline,
            recorder.sink(),
        );
        match C::build(options.clone(), args).await {
            Ok(component) => Ok(Self {
                component,
                options,
                recorder,
                seen: 0,
                cancel: CancellationToken::new(),
                task: None,
                data_dir,
            }),
            Err(error) => Err(BuildFailure {
                error,
                published: recorder.all(),
            }),
        }
    }

    /// Spawn `run` on its own task. Does nothing when it is already running.
    pub fn start(&mut self) {
        if self.is_running() {
            return;
        }
        self.cancel = CancellationToken::new();
        let component = Arc::clone(&self.component);
        let cancel = self.cancel.clone();
        self.task = Some(tokio::spawn(async move { component.run(cancel).await }));
    }

    /// Whether `run` was started and has not returned.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|task| !task.is_finished())
    }

    /// Cancel `run` and wait for it, at most the shutdown deadline. Returns what `run` returned;
    /// an error when it did not return in time (the task is aborted), panicked, or was never
    /// started.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.cancel.cancel();
        let Some(mut task) = self.task.take() else {
            anyhow::bail!("the component was not started");
        };
        match tokio::time::timeout(self.options.shutdown_deadline, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => anyhow::bail!("the component's task failed: {join_error}"),
            Err(_) => {
                task.abort();
                anyhow::bail!(
                    "the component did not stop within {:?}",
                    self.options.shutdown_deadline
                )
            }
        }
    }

    /// Apply new arguments, as the runtime does on re-evaluation.
    pub async fn update(&self, args: C::Args) -> Result<(), BuildError> {
        self.component.update(args).await
    }

    /// The component's own health report.
    pub fn health(&self) -> Option<Health> {
        self.component.health()
    }

    /// The component's debug info.
    pub fn debug_info(&self) -> Option<EncodedBody> {
        self.component.debug_info()
    }

    /// The text exposition of the component's metrics registry.
    pub fn metrics_text(&self) -> String {
        let mut text = String::new();
        // Encoding into a String cannot fail.
        let _ = self.options.metrics.encode(&mut text);
        text
    }

    /// The value of the first sample whose series name is `name` (labels ignored).
    pub fn metric_value(&self, name: &str) -> Option<f64> {
        self.metrics_text().lines().find_map(|line| {
            if line.starts_with('#') {
                return None;
            }
            let (series, value) = line.rsplit_once(' ')?;
            let series_name = series.split('{').next()?;
            (series_name == name).then(|| value.parse().ok()).flatten()
        })
    }

    /// The component.
    pub fn component(&self) -> &Arc<C> {
        &self.component
    }

    /// The options the component was built with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The component's metrics registry.
    pub fn metrics(&self) -> &ComponentMetrics {
        &self.options.metrics
    }

    /// The temporary directory that holds the component's data path; a convenient place for
    /// test files that must live as long as the harness.
    pub fn temp_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The record of published exports.
    pub fn exports(&self) -> &ExportRecorder {
        &self.recorder
    }

    /// The most recently published exports.
    pub fn latest_export(&self) -> Option<Object> {
        self.recorder.latest()
    }

    /// How many exports objects were published so far.
    pub fn export_count(&self) -> usize {
        self.recorder.count()
    }

    /// Treat everything published so far as seen by [`ComponentHarness::next_export`].
    pub fn mark_seen(&mut self) {
        self.seen = self.recorder.count();
    }

    /// The first published object not yet returned by this method (objects published during
    /// build count), waiting up to `timeout`.
    pub async fn next_export(&mut self, timeout: Duration) -> Option<Object> {
        let object = self.recorder.wait_for(self.seen + 1, timeout).await?;
        self.seen += 1;
        Some(object)
    }
}

impl<C: Component> Drop for ComponentHarness<C> {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use ferroalloy_component::{ExportSpec, Exports, FieldVisitor};
    use ferroalloy_value::Value;
    use ferroalloy_value::decode::{ArgErrors, Arguments};
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct CounterArgs {
        start: i64,
    }

    impl Arguments for CounterArgs {
        fn fields<V: FieldVisitor<Self>>(v: &mut V) {
            v.optional("start", |s| &mut s.start);
        }

        fn validate(&self) -> Result<(), ArgErrors> {
            if self.start < 0 {
                return Err(ArgErrors::one("start", "start must not be negative"));
            }
            Ok(())
        }
    }

    #[derive(Clone)]
    struct CounterExports {
        value: i64,
    }

    impl Exports for CounterExports {
        fn specs() -> &'static [ExportSpec] {
            &[ExportSpec {
                name: "value",
                receiver: false,
            }]
        }

        fn to_object(&self) -> Object {
            let mut object = Object::new();
            object.insert("value", Value::int(self.value));
            object
        }
    }

    /// Publishes `start` at build and `start + n` for every update; counts updates in a metric.
    struct TestCounter {
        opts: Options,
        updates: Counter,
        calls: AtomicUsize,
        stopped: AtomicBool,
    }

    impl Component for TestCounter {
        type Args = CounterArgs;
        type Exports = CounterExports;

        async fn build(opts: Options, args: CounterArgs) -> Result<Arc<Self>, BuildError> {
            if args.start == 13 {
                opts.publish(&CounterExports { value: 13 });
                return Err(BuildError::Other("unlucky start".into()));
            }
            let updates = Counter::default();
            opts.metrics
                .register("test_updates", "updates applied", updates.clone());
            opts.publish(&CounterExports { value: args.start });
            Ok(Arc::new(Self {
                opts,
                updates,
                calls: AtomicUsize::new(0),
                stopped: AtomicBool::new(false),
            }))
        }

        async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
            cancel.cancelled().await;
            self.stopped.store(true, Ordering::SeqCst);
            Ok(())
        }

        async fn update(&self, args: CounterArgs) -> Result<(), BuildError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            self.updates.inc();
            let n = i64::try_from(n).map_err(|e| BuildError::Other(e.to_string()))?;
            self.opts.publish(&CounterExports {
                value: args.start + n,
            });
            Ok(())
        }

        fn health(&self) -> Option<Health> {
            Some(Health::healthy("counting"))
        }
    }

    fn value_of(object: &Object) -> Option<&Value> {
        object.get("value")
    }

    #[tokio::test]
    async fn records_exports_runs_updates_and_stops() {
        let settings = HarnessOptions {
            id: "test.counter.a".into(),
            ..Default::default()
        };
        let mut harness =
            ComponentHarness::<TestCounter>::build_with(settings, CounterArgs { start: 5 })
                .await
                .unwrap();
        let first = harness.next_export(Duration::from_secs(1)).await.unwrap();
        assert_eq!(value_of(&first), Some(&Value::int(5)));
        assert!(
            harness
                .next_export(Duration::from_millis(20))
                .await
                .is_none()
        );

        harness.start();
        assert!(harness.is_running());
        harness.update(CounterArgs { start: 10 }).await.unwrap();
        let second = harness.next_export(Duration::from_secs(1)).await.unwrap();
        assert_eq!(value_of(&second), Some(&Value::int(11)));
        assert_eq!(harness.export_count(), 2);
        assert_eq!(
            harness.health().map(|h| h.message),
            Some("counting".to_owned())
        );
        assert_eq!(harness.metric_value("test_updates_total"), Some(1.0));
        assert!(
            harness
                .metrics_text()
                .contains("component_id=\"test.counter.a\""),
            "{}",
            harness.metrics_text()
        );
        assert!(harness.options().data_path.starts_with(harness.temp_dir()));

        harness.stop().await.unwrap();
        assert!(harness.component().stopped.load(Ordering::SeqCst));
        assert!(!harness.is_running());
    }

    #[tokio::test]
    async fn a_failed_build_reports_what_was_published() {
        let failure = ComponentHarness::<TestCounter>::build(CounterArgs { start: 13 })
            .await
            .unwrap_err();
        assert_eq!(failure.error.to_string(), "unlucky start");
        assert_eq!(failure.published.len(), 1);
    }

    #[tokio::test]
    async fn stop_without_start_is_an_error() {
        let mut harness = ComponentHarness::<TestCounter>::build(CounterArgs::default())
            .await
            .unwrap();
        assert!(harness.stop().await.is_err());
    }

    #[test]
    fn decoding_reports_validation_messages() {
        let args: CounterArgs = crate::decode_args("start = 3").unwrap();
        assert_eq!(args.start, 3);
        let errors = crate::decode_args::<CounterArgs>("start = -1").unwrap_err();
        assert_eq!(errors, vec!["start must not be negative".to_owned()]);
        let errors = crate::decode_args::<CounterArgs>("stop = 1").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
