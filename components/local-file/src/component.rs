//! The `local.file` component: build, run, update, health, debug info (spec §3).
//!
//! Design decisions:
//! - One async mutex ([`LocalFile::core`]) serialises every read with every update, and holds
//!   the applied arguments and the last published export. A read therefore always uses the
//!   arguments in force, and an update's read cannot interleave with a detector's read of the
//!   previous file.
//! - The export is published only when the content or `is_secret` changed, so an unchanged file
//!   never re-evaluates dependants (Alloy republishes on every read).
//! - `run` owns the detector. `update` only reads and publishes; when `filename`, `detector` or
//!   `poll_frequency` changed it hands the new detector settings to `run` through a watch
//!   channel, and `run` replaces the detector. A failed update changes nothing but health.
//! - Re-reads are requested (by events or ticks), coalesced, and done after a settle delay of
//!   [`SETTLE_DELAY`], so a write in progress is not exported half done; at most one read
//!   happens per settle delay however many events arrive.
//! - Reads in `run` race the cancellation token: once `run` returns, no read result is applied.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use ferroalloy_component::{
    BuildError, Component, EncodedBody, ExportSpec, Exports, Health, Options,
};
use ferroalloy_value::{Capsule, Object, OptionalSecret, Value};
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::config::{Detector, LocalFileArguments};
use crate::detector::{DirWatch, ReadRequests};
use crate::read::{FileContent, ReadError, read_file};
use ferroalloy_component::timestamp::rfc3339_nanos as rfc3339;

/// How long a requested re-read waits, so a write in progress is not exported half done
/// (Alloy: 30 ms).
pub const SETTLE_DELAY: Duration = Duration::from_millis(30);

/// The longest timer period used; a larger `poll_frequency` polls this often, which keeps every
/// deadline far inside what the clock can represent (it is longer than any process lives).
const MAX_POLL_PERIOD: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The health message after a successful read.
pub const HEALTHY_MESSAGE: &str = "read file";

/// The metric set to the time of the last successful read.
pub const LAST_ACCESSED_METRIC: &str = "local_file_timestamp_last_accessed_unix_seconds";

/// The exports of `local.file`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFileExports {
    /// The file's content at the last successful read, secret when `is_secret = true`.
    pub content: OptionalSecret,
}

impl Exports for LocalFileExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "content",
            receiver: false,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert(
            "content",
            Value::Capsule(Capsule::OptionalSecret(self.content.clone())),
        );
        object
    }
}

/// What the detector of `run` is built from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DetectorSettings {
    filename: PathBuf,
    detector: Detector,
    period: Duration,
}

impl DetectorSettings {
    fn of(args: &LocalFileArguments) -> Self {
        Self {
            filename: PathBuf::from(&args.filename),
            detector: args.detector_kind(),
            period: args
                .poll_period()
                .clamp(Duration::from_nanos(1), MAX_POLL_PERIOD),
        }
    }
}

/// Applied arguments and the last published export, guarded together.
struct Core {
    args: LocalFileArguments,
    /// `None` until the first publish.
    published: Option<LocalFileExports>,
}

/// What health and debug info show; read without waiting for a read in progress.
struct Status {
    health: Health,
    filename: String,
    detector: Detector,
    last_read: Option<SystemTime>,
    last_error: String,
    size_bytes: u64,
}

/// The `local.file` component.
pub struct LocalFile {
    opts: Options,
    core: tokio::sync::Mutex<Core>,
    status: Mutex<Status>,
    detector: watch::Sender<DetectorSettings>,
    last_accessed: Gauge<f64, AtomicU64>,
}

impl std::fmt::Debug for LocalFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFile")
            .field("id", &self.opts.id)
            .finish_non_exhaustive()
    }
}

impl LocalFile {
    fn status(&self) -> MutexGuard<'_, Status> {
        // Status updates are plain assignments; a poisoned lock still holds a usable value.
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Record a successful read of `content` and publish it if it differs from the export.
    fn apply_read(&self, core: &mut Core, content: FileContent) {
        let now = SystemTime::now();
        let exports = LocalFileExports {
            content: OptionalSecret::new(content.0, core.args.is_secret),
        };
        {
            let mut status = self.status();
            status.health = Health::healthy(HEALTHY_MESSAGE);
            status.filename.clone_from(&core.args.filename);
            status.detector = core.args.detector_kind();
            status.last_read = Some(now);
            status.last_error.clear();
            status.size_bytes = exports.content.expose().len() as u64;
        }
        self.last_accessed.set(unix_seconds(now));
        if core.published.as_ref() != Some(&exports) {
            self.opts.publish(&exports);
            core.published = Some(exports);
        }
    }

    /// Record a failed read: unhealthy, logged with the path, export kept.
    fn apply_failure(&self, error: &ReadError) {
        let message = error.to_string();
        let mut status = self.status();
        let _entered = self.opts.span.enter();
        // The same failure on every poll tick is logged once, then at debug level.
        if status.last_error == message {
            tracing::debug!(error = %message, "failed to read file");
        } else {
            tracing::error!(error = %message, "failed to read file");
        }
        status.health = Health::unhealthy(message.clone());
        status.last_error = message;
    }

    /// Re-read the file named by the applied arguments.
    async fn reread(&self) {
        let mut core = self.core.lock().await;
        match read_file(PathBuf::from(&core.args.filename)).await {
            Ok(content) => self.apply_read(&mut core, content),
            Err(error) => self.apply_failure(&error),
        }
    }

    /// Run one detector; `true` when its settings changed (run the next one), `false` when
    /// `cancel` fired.
    async fn run_detector(
        &self,
        settings: DetectorSettings,
        settings_rx: &mut watch::Receiver<DetectorSettings>,
        cancel: &CancellationToken,
    ) -> bool {
        let requests = Arc::new(ReadRequests::default());
        let mut dir_watch = match settings.detector {
            Detector::Fsnotify => Some(DirWatch::new(
                &settings.filename,
                &self.opts.id,
                Arc::clone(&requests),
            )),
            Detector::Poll => None,
        };
        if dir_watch.is_some() {
            // A change between the last read (build or update) and the watch being set up
            // raised no event; one read now closes that gap.
            requests.request();
        }
        let mut ticks = tokio::time::interval_at(Instant::now() + settings.period, settings.period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut settle: Option<Instant> = None;
        loop {
            let settle_at = settle.unwrap_or_else(Instant::now);
            tokio::select! {
                biased;
                () = cancel.cancelled() => return false,
                changed = settings_rx.changed() => {
                    // A closed channel cannot happen while `self` lives; treat it as a stop.
                    return changed.is_ok();
                }
                () = tokio::time::sleep_until(settle_at), if settle.is_some() => {
                    settle = None;
                    tokio::select! {
                        biased;
                        () = cancel.cancelled() => return false,
                        () = self.reread() => {}
                    }
                }
                () = requests.woken() => {
                    if requests.take() && settle.is_none() {
                        settle = Some(Instant::now() + SETTLE_DELAY);
                    }
                }
                _ = ticks.tick() => {
                    if let Some(dir_watch) = dir_watch.as_mut() {
                        dir_watch.ensure_armed();
                    }
                    if settle.is_none() {
                        settle = Some(Instant::now() + SETTLE_DELAY);
                    }
                }
            }
            if settle.is_some() {
                // Requests made before the delayed read starts are served by it.
                requests.take();
            }
        }
    }
}

impl Component for LocalFile {
    type Args = LocalFileArguments;
    type Exports = LocalFileExports;

    async fn build(opts: Options, args: LocalFileArguments) -> Result<Arc<Self>, BuildError> {
        // The runtime reports a build error with the component; no log line here.
        let content = read_file(PathBuf::from(&args.filename))
            .await
            .map_err(|error| BuildError::Other(error.to_string()))?;
        let last_accessed = Gauge::<f64, AtomicU64>::default();
        opts.metrics.register(
            LAST_ACCESSED_METRIC,
            "The last successful read of the file, as a Unix timestamp",
            last_accessed.clone(),
        );
        let (detector, _) = watch::channel(DetectorSettings::of(&args));
        let status = Status {
            health: Health::healthy(HEALTHY_MESSAGE),
            filename: args.filename.clone(),
            detector: args.detector_kind(),
            last_read: None,
            last_error: String::new(),
            size_bytes: 0,
        };
        let component = Arc::new(Self {
            core: tokio::sync::Mutex::new(Core {
                args,
                published: None,
            }),
            opts,
            status: Mutex::new(status),
            detector,
            last_accessed,
        });
        {
            let mut core = component.core.lock().await;
            component.apply_read(&mut core, content);
        }
        Ok(component)
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        let mut settings_rx = self.detector.subscribe();
        loop {
            let settings = settings_rx.borrow_and_update().clone();
            if !self.run_detector(settings, &mut settings_rx, &cancel).await {
                return Ok(());
            }
        }
    }

    async fn update(&self, args: LocalFileArguments) -> Result<(), BuildError> {
        let mut core = self.core.lock().await;
        match read_file(PathBuf::from(&args.filename)).await {
            Ok(content) => {
                core.args = args;
                self.apply_read(&mut core, content);
                let settings = DetectorSettings::of(&core.args);
                self.detector.send_if_modified(|current| {
                    let changed = *current != settings;
                    *current = settings;
                    changed
                });
                Ok(())
            }
            Err(error) => {
                self.apply_failure(&error);
                Err(BuildError::Other(error.to_string()))
            }
        }
    }

    fn health(&self) -> Option<Health> {
        Some(self.status().health.clone())
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        let status = self.status();
        let mut body = EncodedBody::new();
        body.attr("filename", Value::string(status.filename.clone()));
        body.attr("detector", Value::string(status.detector.as_str()));
        body.attr(
            "last_read",
            Value::string(status.last_read.map(rfc3339).unwrap_or_default()),
        );
        body.attr("last_error", Value::string(status.last_error.clone()));
        body.attr(
            "size_bytes",
            Value::int(i64::try_from(status.size_bytes).unwrap_or(i64::MAX)),
        );
        Some(body)
    }
}

fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
