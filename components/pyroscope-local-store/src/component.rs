//! The `pyroscope.local_store` component: build, run, update, the `receiver` export, health,
//! debug info and metrics.
//!
//! Decisions:
//! - The `receiver` capsule is built once and published once at build: producers keep the same
//!   handle across updates, and an update that moves the directory takes effect at their next
//!   append.
//! - Every file operation (creating the directory, scanning it, writing, renaming, rotating)
//!   runs on a blocking thread; an append awaits it, so a producer learns whether its profile was
//!   stored. Appends are serialized by the store's lock (they hold it only on blocking threads).
//! - A directory that cannot be created or written never fails the build or an update: the
//!   component is unhealthy with the error, each append retries (and is refused with the error
//!   while it fails), and the first write that succeeds makes it healthy again. The receiver
//!   export stays usable, so the producers' configuration keeps evaluating.
//! - `/ingest` requests are refused (as an invalid profile): they carry formats other than
//!   pprof and their labels in a query; the push API is the way in.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use ferroalloy_component::{
    Arguments, BuildError, Component, ComponentMetrics, EncodedBody, ExportSpec, Exports, Health,
    Options,
};
use ferroalloy_pyroscope::{
    AppendError, Appendable, Appender, IncomingProfile, Labels, ProfilesReceiver, RawSample,
    ReceiverRef,
};
use ferroalloy_value::Object;
use ferroalloy_value::value::Value;
use prometheus_client::metrics::counter::Counter;
use tokio_util::sync::CancellationToken;

use crate::config::LocalStoreArguments;
use crate::store::{Store, StoreError};

/// The text of the refusal of an `/ingest` request.
pub const INGEST_REFUSED: &str =
    "pyroscope.local_store does not store /ingest requests: send profiles with the push API";

/// The exports of `pyroscope.local_store`: the `receiver` capsule.
#[derive(Clone, Debug)]
pub struct LocalStoreExports {
    /// The stable receiver handle (capsule type `pyroscope.Appendable`).
    pub receiver: ReceiverRef,
}

impl Exports for LocalStoreExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "receiver",
            receiver: true,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert("receiver", self.receiver.to_capsule());
        object
    }
}

/// The counters of one component.
#[derive(Clone, Debug, Default)]
struct StoreMetrics {
    profiles: Counter,
    bytes: Counter,
    errors: Counter,
}

impl StoreMetrics {
    fn register(registry: &ComponentMetrics) -> Self {
        let metrics = Self::default();
        registry.register(
            "pyroscope_local_store_profiles",
            "Profiles written to the directory.",
            metrics.profiles.clone(),
        );
        registry.register(
            "pyroscope_local_store_bytes",
            "Bytes of profile files written to the directory.",
            metrics.bytes.clone(),
        );
        registry.register(
            "pyroscope_local_store_errors",
            "Profiles that could not be written.",
            metrics.errors.clone(),
        );
        metrics
    }
}

/// What debug info and health show.
#[derive(Debug)]
struct Status {
    health: Health,
    directory: PathBuf,
    max_profiles: u64,
    files: usize,
    profiles_written: u64,
    bytes_written: u64,
    last_file: String,
    last_error: String,
}

/// The state shared by the component and its receiver.
#[derive(Debug)]
struct Shared {
    /// Locked only on blocking threads (file I/O happens under it).
    store: Mutex<Store>,
    status: Mutex<Status>,
    metrics: StoreMetrics,
    span: tracing::Span,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }

    fn writing_to(directory: &Path) -> Health {
        Health::healthy(format!("writing profiles to {}", directory.display()))
    }

    fn record_error(&self, err: &StoreError) {
        let message = err.to_string();
        let _span = self.span.enter();
        tracing::warn!(error = %message, "failed to store a profile");
        let mut status = self.status();
        status.last_error = message.clone();
        status.health = Health::unhealthy(message);
    }

    /// Prepare `store` and show the outcome (blocking).
    fn prepare(&self, store: &mut Store) {
        let outcome = store.prepare();
        let mut status = self.status();
        status.directory = store.root().to_path_buf();
        status.files = store.file_count();
        match outcome {
            Ok(()) => status.health = Self::writing_to(store.root()),
            Err(err) => {
                drop(status);
                self.record_error(&err);
            }
        }
    }

    /// Write every sample of one series (blocking); stops at the first failure.
    fn write_series(&self, labels: &Labels, samples: &[RawSample]) -> Result<(), AppendError> {
        let mut store = lock(&self.store);
        for sample in samples {
            match store.write(labels, sample, SystemTime::now()) {
                Ok(written) => {
                    self.metrics.profiles.inc();
                    self.metrics.bytes.inc_by(written.bytes);
                    let mut status = self.status();
                    status.profiles_written += 1;
                    status.bytes_written += written.bytes;
                    status.last_file = written.path.display().to_string();
                    status.files = store.file_count();
                    if status.health.state != ferroalloy_component::HealthState::Healthy {
                        status.health = Self::writing_to(store.root());
                    }
                }
                Err(err) => {
                    self.metrics.errors.inc();
                    self.record_error(&err);
                    return Err(AppendError::Other(err.to_string()));
                }
            }
        }
        Ok(())
    }
}

/// The appender behind the `receiver` export.
#[derive(Debug)]
struct StoreAppender(Arc<Shared>);

#[async_trait::async_trait]
impl Appender for StoreAppender {
    async fn append(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
        if samples.is_empty() {
            return Ok(());
        }
        let shared = self.0.clone();
        tokio::task::spawn_blocking(move || shared.write_series(&labels, &samples))
            .await
            .map_err(|err| AppendError::Other(format!("failed to store a profile: {err}")))?
    }

    async fn append_ingest(&self, _profile: IncomingProfile) -> Result<(), AppendError> {
        Err(AppendError::Rejected(INGEST_REFUSED.to_owned()))
    }
}

/// The `Appendable` inside the exported capsule.
#[derive(Debug)]
struct StoreAppendable(Arc<StoreAppender>);

impl Appendable for StoreAppendable {
    fn appender(&self) -> Arc<dyn Appender> {
        self.0.clone()
    }
}

/// A running `pyroscope.local_store`.
#[derive(Debug)]
pub struct LocalStore {
    shared: Arc<Shared>,
    exports: LocalStoreExports,
}

/// `directory` resolved against the working directory.
fn resolve(directory: &str) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(directory),
        Err(_) => PathBuf::from(directory),
    }
}

impl LocalStore {
    /// The published exports (the same value for the component's whole life).
    pub fn exports(&self) -> &LocalStoreExports {
        &self.exports
    }

    /// The directory profiles are written to (absolute).
    pub fn directory(&self) -> PathBuf {
        self.shared.status().directory.clone()
    }
}

impl Component for LocalStore {
    type Args = LocalStoreArguments;
    type Exports = LocalStoreExports;

    async fn build(opts: Options, args: Self::Args) -> Result<Arc<Self>, BuildError> {
        args.validate()?;
        let root = resolve(&args.directory);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(root.clone(), args.max_profiles)),
            status: Mutex::new(Status {
                health: Shared::writing_to(&root),
                directory: root,
                max_profiles: args.max_profiles,
                files: 0,
                profiles_written: 0,
                bytes_written: 0,
                last_file: String::new(),
                last_error: String::new(),
            }),
            metrics: StoreMetrics::register(&opts.metrics),
            span: opts.span.clone(),
        });
        {
            let shared = shared.clone();
            tokio::task::spawn_blocking(move || shared.prepare(&mut lock(&shared.store)))
                .await
                .map_err(|err| BuildError::Other(format!("failed to prepare the store: {err}")))?;
        }
        let appender = Arc::new(StoreAppender(shared.clone()));
        let exports = LocalStoreExports {
            receiver: ProfilesReceiver::capsule(Arc::new(StoreAppendable(appender))),
        };
        opts.publish(&exports);
        Ok(Arc::new(Self { shared, exports }))
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        cancel.cancelled().await;
        Ok(())
    }

    async fn update(&self, args: Self::Args) -> Result<(), BuildError> {
        args.validate()?;
        let root = resolve(&args.directory);
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = lock(&shared.store);
            if store.root() != root {
                *store = Store::new(root, args.max_profiles);
                shared.prepare(&mut store);
            } else {
                store.set_max_profiles(args.max_profiles);
                shared.status().files = store.file_count();
            }
            shared.status().max_profiles = args.max_profiles;
        })
        .await
        .map_err(|err| BuildError::Other(format!("failed to update the store: {err}")))
    }

    fn health(&self) -> Option<Health> {
        Some(self.shared.status().health.clone())
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        let status = self.shared.status();
        let count = |n: u64| Value::int(i64::try_from(n).unwrap_or(i64::MAX));
        let mut body = EncodedBody::new();
        body.attr(
            "directory",
            Value::string(status.directory.display().to_string()),
        );
        body.attr("max_profiles", count(status.max_profiles));
        body.attr("files", count(status.files as u64));
        body.attr("profiles_written", count(status.profiles_written));
        body.attr("bytes_written", count(status.bytes_written));
        body.attr("last_file", Value::string(status.last_file.as_str()));
        body.attr("last_error", Value::string(status.last_error.as_str()));
        Some(body)
    }
}
