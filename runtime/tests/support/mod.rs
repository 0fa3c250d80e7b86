//! Test component types and a controller fixture for the controller tests.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ferroalloy_component::{
    ArgErrors, Arguments, BuildError, Component, ComponentRegistry, ExportSpec, Exports,
    FieldVisitor, NoExports, Options, Stability, registration,
};
use ferroalloy_runtime::controller::{Controller, ControllerConfig};
use ferroalloy_runtime::status::{LogSettings, LoggingControl};
use ferroalloy_value::decode::CapsuleType;
use ferroalloy_value::{Object, Value};
use prometheus_client::metrics::counter::Counter as PromCounter;
use tokio_util::sync::CancellationToken;

/// Calls seen by the test components, by component id.
#[derive(Clone, Debug, Default)]
pub struct Calls {
    pub builds: usize,
    pub updates: usize,
    pub runs: usize,
    pub drops: usize,
    pub stops: usize,
}

fn calls() -> &'static Mutex<HashMap<String, Calls>> {
    static CALLS: OnceLock<Mutex<HashMap<String, Calls>>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

fn stop_order() -> &'static Mutex<Vec<String>> {
    static ORDER: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    ORDER.get_or_init(Default::default)
}

fn sources() -> &'static Mutex<HashMap<String, Options>> {
    static SOURCES: OnceLock<Mutex<HashMap<String, Options>>> = OnceLock::new();
    SOURCES.get_or_init(Default::default)
}

fn record(id: &str, f: impl FnOnce(&mut Calls)) {
    f(calls().lock().unwrap().entry(id.to_owned()).or_default());
}

/// The calls component `id` has seen.
pub fn calls_of(id: &str) -> Calls {
    calls().lock().unwrap().get(id).cloned().unwrap_or_default()
}

/// Ids whose `run` returned, in order (only ids ending with `suffix`).
pub fn stopped_in_order(suffix: &str) -> Vec<String> {
    stop_order()
        .lock()
        .unwrap()
        .iter()
        .filter(|id| id.ends_with(suffix))
        .cloned()
        .collect()
}

/// Publish `value` as `out` of the `test.source` component `id`.
pub fn publish_source(id: &str, value: Value) {
    let opts = sources()
        .lock()
        .unwrap()
        .get(id)
        .cloned()
        .expect("source built");
    opts.publish(&ValueExports { out: value });
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueExports {
    pub out: Value,
}

impl Exports for ValueExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "out",
            receiver: false,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert("out", self.out.clone());
        object
    }
}

// ---- test.counter: exports its `value` as `out`, counts every call ----

#[derive(Clone, Debug, PartialEq)]
pub struct CounterArgs {
    value: Value,
    note: Value,
    fail_build: bool,
}

impl Default for CounterArgs {
    fn default() -> Self {
        Self {
            value: Value::Null,
            note: Value::Null,
            fail_build: false,
        }
    }
}

impl Arguments for CounterArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("value", |s| &mut s.value);
        v.optional("note", |s| &mut s.note);
        v.optional("fail_build", |s| &mut s.fail_build);
    }
}

pub struct Counter {
    opts: Options,
    updates: PromCounter,
}

impl Drop for Counter {
    fn drop(&mut self) {
        record(&self.opts.id, |c| c.drops += 1);
    }
}

impl Component for Counter {
    type Args = CounterArgs;
    type Exports = ValueExports;

    async fn build(opts: Options, args: CounterArgs) -> Result<Arc<Self>, BuildError> {
        record(&opts.id, |c| c.builds += 1);
        if args.fail_build {
            return Err(BuildError::Arguments(ArgErrors::one(
                "fail_build",
                "build refused",
            )));
        }
        let updates = PromCounter::default();
        opts.metrics
            .register("test_counter_updates", "updates applied", updates.clone());
        opts.publish(&ValueExports {
            out: args.value.clone(),
        });
        Ok(Arc::new(Self { opts, updates }))
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        record(&self.opts.id, |c| c.runs += 1);
        cancel.cancelled().await;
        record(&self.opts.id, |c| c.stops += 1);
        stop_order().lock().unwrap().push(self.opts.id.clone());
        Ok(())
    }

    async fn update(&self, args: CounterArgs) -> Result<(), BuildError> {
        record(&self.opts.id, |c| c.updates += 1);
        if args.fail_build {
            return Err(BuildError::Arguments(ArgErrors::one(
                "fail_build",
                "update refused",
            )));
        }
        self.updates.inc();
        self.opts.publish(&ValueExports { out: args.value });
        Ok(())
    }
}

// ---- test.source: publishes on demand from the test ----

#[derive(Clone, Debug, PartialEq)]
pub struct SourceArgs {
    initial: Value,
}

impl Default for SourceArgs {
    fn default() -> Self {
        Self {
            initial: Value::Null,
        }
    }
}

impl Arguments for SourceArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("initial", |s| &mut s.initial);
    }
}

pub struct Source {
    id: String,
}

impl Component for Source {
    type Args = SourceArgs;
    type Exports = ValueExports;

    async fn build(opts: Options, args: SourceArgs) -> Result<Arc<Self>, BuildError> {
        record(&opts.id, |c| c.builds += 1);
        opts.publish(&ValueExports { out: args.initial });
        sources()
            .lock()
            .unwrap()
            .insert(opts.id.clone(), opts.clone());
        Ok(Arc::new(Self { id: opts.id }))
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        record(&self.id, |c| c.runs += 1);
        cancel.cancelled().await;
        stop_order().lock().unwrap().push(self.id.clone());
        Ok(())
    }

    async fn update(&self, _: SourceArgs) -> Result<(), BuildError> {
        record(&self.id, |c| c.updates += 1);
        Ok(())
    }
}

// ---- test.panic: the first `run` panics ----

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PanicArgs {
    tag: String,
}

impl Arguments for PanicArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("tag", |s| &mut s.tag);
    }
}

pub struct Panicky {
    id: String,
}

impl Component for Panicky {
    type Args = PanicArgs;
    type Exports = NoExports;

    async fn build(opts: Options, _: PanicArgs) -> Result<Arc<Self>, BuildError> {
        Ok(Arc::new(Self { id: opts.id }))
    }

    #[allow(clippy::panic)]
    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut first = false;
        record(&self.id, |c| {
            c.runs += 1;
            first = c.runs == 1;
        });
        if first {
            panic!("boom");
        }
        cancel.cancelled().await;
        Ok(())
    }

    async fn update(&self, _: PanicArgs) -> Result<(), BuildError> {
        Ok(())
    }
}

// ---- test.sink: a receiver export that never changes ----

#[derive(Debug)]
pub struct SinkHandle;

impl CapsuleType for SinkHandle {
    const TYPE_NAME: &'static str = "test.Sink";
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SinkArgs {
    tag: String,
}

impl Arguments for SinkArgs {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("tag", |s| &mut s.tag);
    }
}

#[derive(Clone)]
pub struct SinkExports {
    receiver: Value,
}

impl Exports for SinkExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "receiver",
            receiver: true,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert("receiver", self.receiver.clone());
        object
    }
}

pub struct Sink {
    id: String,
    opts: Options,
    exports: SinkExports,
}

impl Component for Sink {
    type Args = SinkArgs;
    type Exports = SinkExports;

    async fn build(opts: Options, _: SinkArgs) -> Result<Arc<Self>, BuildError> {
        let handle = ferroalloy_value::decode::CapsuleRef::new(Arc::new(SinkHandle));
        let exports = SinkExports {
            receiver: handle.to_capsule(),
        };
        opts.publish(&exports);
        Ok(Arc::new(Self {
            id: opts.id.clone(),
            opts,
            exports,
        }))
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        record(&self.id, |c| c.runs += 1);
        cancel.cancelled().await;
        Ok(())
    }

    async fn update(&self, _: SinkArgs) -> Result<(), BuildError> {
        record(&self.id, |c| c.updates += 1);
        // Publishing the same handle again must not re-evaluate anything.
        self.opts.publish(&self.exports);
        Ok(())
    }
}

// ---- test.stubborn: ignores cancellation ----

pub struct Stubborn;

impl Component for Stubborn {
    type Args = SinkArgs;
    type Exports = NoExports;

    async fn build(_: Options, _: SinkArgs) -> Result<Arc<Self>, BuildError> {
        Ok(Arc::new(Self))
    }

    async fn run(self: Arc<Self>, _: CancellationToken) -> anyhow::Result<()> {
        std::future::pending::<()>().await;
        Ok(())
    }

    async fn update(&self, _: SinkArgs) -> Result<(), BuildError> {
        Ok(())
    }
}

pub fn registry() -> ComponentRegistry {
    let ga = Stability::GenerallyAvailable;
    ComponentRegistry::new(vec![
        registration::<Counter>("test.counter", ga),
        registration::<Source>("test.source", ga),
        registration::<Panicky>("test.panic", ga),
        registration::<Sink>("test.sink", ga),
        registration::<Stubborn>("test.stubborn", ga),
    ])
    .expect("valid test registry")
}

/// Records what the controller asked the logging setup to apply.
#[derive(Default)]
pub struct RecordingLogging {
    pub applied: Mutex<Vec<LogSettings>>,
    pub refuse: AtomicBool,
}

impl LoggingControl for RecordingLogging {
    fn apply(&self, settings: LogSettings) -> Result<(), String> {
        if self.refuse.load(Ordering::SeqCst) {
            return Err("logging refused".into());
        }
        self.applied.lock().unwrap().push(settings);
        Ok(())
    }
}

/// A controller over `<tmp>/main.alloy`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub controller: Arc<Controller>,
    pub logging: Arc<RecordingLogging>,
}

impl Fixture {
    pub fn new(config: &str) -> Self {
        Self::with_deadline(config, Duration::from_secs(10))
    }

    pub fn with_deadline(config: &str, deadline: Duration) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.alloy"), config).unwrap();
        let logging = Arc::new(RecordingLogging::default());
        let controller = Controller::new(ControllerConfig {
            registry: registry(),
            config_path: dir.path().join("main.alloy"),
            storage_path: dir.path().join("data"),
            stability: Stability::GenerallyAvailable,
            shutdown_deadline: deadline,
            logging: logging.clone(),
        });
        Self {
            dir,
            controller,
            logging,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("main.alloy")
    }

    pub fn write(&self, config: &str) {
        std::fs::write(self.path(), config).unwrap();
    }
}
