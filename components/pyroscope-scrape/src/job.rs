//! The loop of one scrape job (spec §5): wait for its slot, fetch, client-side delta or
//! pass-through, hand-off to every receiver, record the outcome for debug info.
//!
//! Decisions:
//! - Everything that an Update may change without restarting the job — the HTTP client, the
//!   interval, the timeout and `forward_to` — lives in one [`ScrapeSettings`] behind a `watch`
//!   channel shared by all jobs of a component. A job reads the client and bounds when a scrape
//!   starts and `forward_to` at hand-off (§5.7), so a new value is used from the next scrape
//!   and no job restarts; a change also wakes a waiting job to re-phase on a new interval.
//! - The job's [`JobSpec`] can be replaced for a job whose key did not change (its `job` or
//!   `__`-labels changed); the loop reads it at each scrape. The baseline of the client-side
//!   delta is the loop's own state: it survives every Update that keeps the key, and is rebuilt
//!   only when the set of delta columns changes.
//! - One task per job, stopped by its own cancellation token; the token interrupts the wait,
//!   the fetch and the hand-off alike (dropping the future aborts the HTTP exchange), so a
//!   vanished job or a component shutdown never waits for a `seconds=14` CPU fetch.
//! - A scrape never overlaps the next one: the loop computes its next slot only after the
//!   scrape ended ([`crate::schedule::slot_after`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use ferroalloy_http_client::HttpClient;
use ferroalloy_pyroscope::pprof::{DeltaProfiler, PprofError};
use ferroalloy_pyroscope::{Appendable as _, Labels, RawSample, ReceiverRef};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::config::ScrapeArguments;
use crate::fetch::{BODY_LIMIT, FetchError, FetchRequest, fetch};
use crate::job_spec::JobSpec;
use crate::metrics::ScrapeMetrics;
use crate::schedule;

/// The `otel.scope.name` every forwarded profile carries when it has none (§4.3).
pub const SCOPE_NAME: &str = "com.grafana.alloy/pyroscope.scrape";

/// The `otel.scope.version` added next to [`SCOPE_NAME`] (§4.3).
pub const SCOPE_VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The settings all jobs of a component share, replaced as a whole by an Update: the client
/// and the last good arguments (interval, timeout, `forward_to`).
#[derive(Clone, Debug)]
pub struct ScrapeSettings {
    /// The component's HTTP client (connections shared by every job).
    pub client: HttpClient,
    /// The arguments the client was built from.
    pub args: Arc<ScrapeArguments>,
}

/// A job's health as debug info shows it (§7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobHealth {
    /// No scrape finished yet.
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl JobHealth {
    /// `unknown`, `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobHealth::Unknown => "unknown",
            JobHealth::Up => "up",
            JobHealth::Down => "down",
        }
    }
}

/// The outcome of a job's last scrape (§7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobStatus {
    /// `unknown` before the first scrape, then `up` or `down`.
    pub health: JobHealth,
    /// The text of the last failure; empty when `up`.
    pub last_error: String,
    /// When the last attempt started.
    pub last_scrape: Option<SystemTime>,
    /// Fetch + delta + hand-off of the last attempt.
    pub last_scrape_duration: Duration,
}

impl Default for JobStatus {
    fn default() -> Self {
        Self {
            health: JobHealth::Unknown,
            last_error: String::new(),
            last_scrape: None,
            last_scrape_duration: Duration::ZERO,
        }
    }
}

/// Why a scrape failed; `Display` is the `last_error` text.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    /// The request or the response failed (§5.2, §5.3).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The client-side delta could not decode the profile (§5.5 step 1).
    #[error("computing delta: {0}")]
    Delta(PprofError),
    /// One or more receivers refused the profile: their errors in `forward_to` order, joined
    /// by `; ` (§5.7).
    #[error("{0}")]
    Forward(String),
}

/// A running job: its spec and status, shared between its loop and the component.
#[derive(Debug)]
pub struct Job {
    spec: Mutex<Arc<JobSpec>>,
    status: Mutex<JobStatus>,
    cancel: CancellationToken,
}

impl Job {
    /// Start the loop of `spec` on `tracker`, stopped by a child of `parent`.
    pub fn spawn(
        spec: JobSpec,
        settings: watch::Receiver<Arc<ScrapeSettings>>,
        metrics: ScrapeMetrics,
        tracker: &TaskTracker,
        parent: &CancellationToken,
        span: tracing::Span,
    ) -> Arc<Job> {
        let job = Arc::new(Job {
            spec: Mutex::new(Arc::new(spec)),
            status: Mutex::new(JobStatus::default()),
            cancel: parent.child_token(),
        });
        let runner = Arc::clone(&job);
        tracker.spawn(async move { runner.run(settings, metrics).await }.instrument(span));
        job
    }

    /// The job's current spec.
    pub fn spec(&self) -> Arc<JobSpec> {
        Arc::clone(&lock(&self.spec))
    }

    /// Replace the spec of a job whose key is unchanged (labels, `job_name`); used from the
    /// next scrape.
    pub fn set_spec(&self, spec: JobSpec) {
        *lock(&self.spec) = Arc::new(spec);
    }

    /// A snapshot of the last scrape's outcome.
    pub fn status(&self) -> JobStatus {
        lock(&self.status).clone()
    }

    /// Stop the loop now, aborting an in-flight fetch.
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    async fn run(
        &self,
        mut settings: watch::Receiver<Arc<ScrapeSettings>>,
        metrics: ScrapeMetrics,
    ) {
        let mut delta = JobDelta::default();
        let mut previous: Option<i128> = None;
        loop {
            let current = settings.borrow_and_update().clone();
            let interval = current.args.interval();
            let phase = schedule::phase(self.spec().key, interval);
            let now = schedule::unix_nanos(SystemTime::now());
            let slot = match previous {
                None => schedule::next_slot(now, interval, phase),
                Some(previous) => schedule::slot_after(previous, now, interval, phase),
            };
            tokio::select! {
                () = self.cancel.cancelled() => return,
                changed = settings.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // New interval (phase) or client: compute the slot again.
                    continue;
                }
                () = tokio::time::sleep(schedule::until(slot, now)) => {}
            }
            previous = Some(slot);
            let started = SystemTime::now();
            let clock = Instant::now();
            let spec = self.spec();
            let settings_now = settings.borrow().clone();
            let result = tokio::select! {
                () = self.cancel.cancelled() => return,
                result = scrape_once(&spec, &settings_now, &settings, &mut delta, &metrics) => result,
            };
            let mut status = lock(&self.status);
            status.last_scrape = Some(started);
            status.last_scrape_duration = clock.elapsed();
            match result {
                Ok(()) => {
                    status.health = JobHealth::Up;
                    status.last_error.clear();
                }
                Err(error) => {
                    tracing::debug!(url = %spec.url, %error, "scrape failed");
                    status.health = JobHealth::Down;
                    status.last_error = error.to_string();
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client-side delta state of a job: the profiler and the columns it was built for.
#[derive(Default)]
struct JobDelta {
    columns: Option<Vec<(&'static str, &'static str)>>,
    profiler: Option<DeltaProfiler>,
}

impl JobDelta {
    /// The profiler for `columns`, rebuilt (baseline dropped) when the columns changed.
    fn profiler(&mut self, columns: &[(&'static str, &'static str)]) -> &mut DeltaProfiler {
        if self.columns.as_deref() != Some(columns) {
            self.columns = Some(columns.to_vec());
            self.profiler = None;
        }
        self.profiler
            .get_or_insert_with(|| DeltaProfiler::new(columns.iter().copied()))
    }
}

/// One scrape: fetch, delta or pass-through, hand-off.
async fn scrape_once(
    spec: &JobSpec,
    settings: &ScrapeSettings,
    receivers: &watch::Receiver<Arc<ScrapeSettings>>,
    delta: &mut JobDelta,
    metrics: &ScrapeMetrics,
) -> Result<(), ScrapeError> {
    let bound = settings.args.fetch_timeout(spec.delta_seconds.is_some());
    let body = fetch(
        &settings.client,
        FetchRequest {
            url: &spec.url,
            profile_name: &spec.profile_name,
            bound,
            decode_check: spec.client_delta.is_none(),
        },
    )
    .await?;
    let profile = match &spec.client_delta {
        Some(columns) => {
            let profiler = delta.profiler(columns);
            match profiler
                .delta_bytes(&body, BODY_LIMIT)
                .map_err(ScrapeError::Delta)?
            {
                Some(bytes) => bytes,
                // First scrape: the baseline is stored, nothing is forwarded (§5.5 step 4).
                None => return Ok(()),
            }
        }
        None => {
            delta.columns = None;
            delta.profiler = None;
            body
        }
    };
    let forward_to = receivers.borrow().args.forward_to.clone();
    hand_off(&forward_to, forwarded_labels(spec), profile, metrics).await
}

/// The labels a job's profiles carry (§4.3): the job's labels, the scope labels when absent,
/// and `__delta__="false"` for `memory`, `mutex` and `block`.
pub fn forwarded_labels(spec: &JobSpec) -> Labels {
    let mut labels = spec.labels.clone();
    if labels.get("otel.scope.name").is_none() {
        labels.push("otel.scope.name", SCOPE_NAME);
    }
    if labels.get("otel.scope.name") == Some(SCOPE_NAME)
        && labels.get("otel.scope.version").is_none()
    {
        labels.push("otel.scope.version", SCOPE_VERSION);
    }
    if spec.marks_delta_false() {
        labels.set("__delta__", "false");
    }
    labels
}

/// Append one sample to every receiver (§5.7): all are tried; the failures, in order, joined.
pub async fn hand_off(
    forward_to: &[ReceiverRef],
    labels: Labels,
    profile: Bytes,
    metrics: &ScrapeMetrics,
) -> Result<(), ScrapeError> {
    let started = Instant::now();
    let mut errors = Vec::new();
    for receiver in forward_to {
        let sample = RawSample::new(profile.clone());
        if let Err(error) = receiver
            .get()
            .appender()
            .append(labels.clone(), vec![sample])
            .await
        {
            errors.push(error.to_string());
        }
    }
    metrics.observe_fanout(started.elapsed().as_secs_f64());
    if errors.is_empty() {
        if !forward_to.is_empty() {
            metrics.forwarded(1);
        }
        Ok(())
    } else {
        Err(ScrapeError::Forward(errors.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, labels: &[(&str, &str)]) -> JobSpec {
        JobSpec {
            key: 1,
            url: "http://h:80/x".into(),
            profile_name: name.into(),
            labels: Labels::from_pairs(labels.iter().copied()),
            delta_seconds: None,
            client_delta: None,
            godeltaprof: false,
            job_name: String::new(),
        }
    }

    #[test]
    fn scope_labels_and_delta_marker() {
        let labels = forwarded_labels(&spec("memory", &[("__name__", "memory")]));
        assert_eq!(labels.get("otel.scope.name"), Some(SCOPE_NAME));
        assert_eq!(labels.get("otel.scope.version"), Some(SCOPE_VERSION));
        assert!(SCOPE_VERSION.starts_with('v'));
        assert_eq!(labels.get("__delta__"), Some("false"));

        let labels = forwarded_labels(&spec("process_cpu", &[("otel.scope.name", "mine")]));
        assert_eq!(labels.get("otel.scope.name"), Some("mine"));
        assert_eq!(labels.get("otel.scope.version"), None);
        assert_eq!(labels.get("__delta__"), None);

        let labels = forwarded_labels(&spec("block", &[("otel.scope.version", "x")]));
        assert_eq!(labels.get("otel.scope.version"), Some("x"));
        assert_eq!(labels.len(), 3);
    }

    #[test]
    fn the_profiler_is_rebuilt_only_when_columns_change() {
        let mut delta = JobDelta::default();
        let memory = [("alloc_objects", "count"), ("alloc_space", "bytes")];
        let profile = ferroalloy_pyroscope::pprof::Profile {
            sample_type: vec![ferroalloy_pyroscope::pprof::ValueType { r#type: 1, unit: 2 }],
            string_table: vec![String::new(), "alloc_objects".into(), "count".into()],
            ..Default::default()
        };
        assert!(delta.profiler(&memory).delta(profile.clone()).is_none());
        assert!(delta.profiler(&memory).has_baseline());
        let mutex = [("contentions", "count"), ("delay", "nanoseconds")];
        assert!(!delta.profiler(&mutex).has_baseline());
    }

    #[test]
    fn statuses() {
        assert_eq!(JobHealth::Unknown.as_str(), "unknown");
        assert_eq!(JobStatus::default().health, JobHealth::Unknown);
        assert_eq!(
            ScrapeError::Forward("a; b".into()).to_string(),
            "a; b",
            "receiver errors are shown as they are"
        );
    }
}
