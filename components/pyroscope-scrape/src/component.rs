//! The `pyroscope.scrape` component: build, run, update, shutdown, health and debug info
//! (spec §6, §7).
//!
//! Decisions:
//! - Build validates, builds the one HTTP client all jobs share, expands the targets and starts
//!   one loop per job at once; every loop is a child of the component's kill token, cancelled
//!   when Run ends, when Run's future is dropped, or when the component is dropped.
//! - Update applies the §6 table by diffing, never by restarting: the new client (rebuilt only
//!   when the client settings changed) and arguments are published to every job through one
//!   `watch` channel (interval, timeout, client from each job's next scrape; `forward_to` at the
//!   next hand-off); the targets are expanded again and jobs are matched by key — a kept key
//!   keeps its loop, baseline and phase (its spec is refreshed for `job` or `__` labels), a new
//!   key starts a loop, a vanished key is stopped at once (its in-flight fetch is aborted).
//!   A failed validation or client build changes nothing and makes the component unhealthy.
//! - Shutdown cancels every loop and waits for them; the loops end at their next poll because
//!   each wait, fetch and hand-off sits under the job's token, so it is bounded even during a
//!   `seconds=14` CPU fetch (D8).
//! - Scrape failures never change the component's health (§7); they are in debug info.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferroalloy_component::timestamp::rfc3339_nanos;
use ferroalloy_component::{
    Arguments, BuildError, Component, EncodedBody, Health, NoExports, Options,
};
use ferroalloy_http_client::{ClientOptions, HttpClient};
use ferroalloy_pyroscope::Labels;
use ferroalloy_value::Object;
use ferroalloy_value::value::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ScrapeArguments;
use crate::job::{Job, JobHealth, JobStatus, ScrapeSettings};
use crate::job_spec::{Expansion, InvalidTarget};
use crate::metrics::ScrapeMetrics;
use crate::targets::expand;

/// Go's zero `time.Time` in RFC 3339: `last_scrape` before any attempt (§7).
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// A running `pyroscope.scrape`.
pub struct PyroscopeScrape {
    opts: Options,
    metrics: ScrapeMetrics,
    settings: watch::Sender<Arc<ScrapeSettings>>,
    state: Mutex<State>,
    health: Mutex<Health>,
    loops: TaskTracker,
    kill: CancellationToken,
}

impl std::fmt::Debug for PyroscopeScrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyroscopeScrape")
            .field("id", &self.opts.id)
            .finish_non_exhaustive()
    }
}

struct State {
    /// The running jobs, in URL order.
    jobs: Vec<Arc<Job>>,
    /// The invalid targets of the current arguments.
    invalid: Vec<InvalidTarget>,
    shut_down: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn build_client(args: &ScrapeArguments) -> Result<HttpClient, BuildError> {
    HttpClient::build(&args.client, &ClientOptions::default())
        .map_err(|e| BuildError::Other(e.to_string()))
}

fn job_count_message(jobs: usize, invalid: usize) -> String {
    if invalid == 0 {
        format!("scraping {jobs} jobs")
    } else {
        format!("scraping {jobs} jobs ({invalid} invalid targets skipped)")
    }
}

/// Warn about what is accepted but changes nothing or surprises (§3, §10), once: at build, and
/// at an Update only for what was not already the case before.
fn warn_once(args: &ScrapeArguments, previous: Option<&ScrapeArguments>) {
    let clustering = |a: &ScrapeArguments| a.clustering.as_ref().is_some_and(|c| c.enabled);
    if clustering(args) && !previous.is_some_and(clustering) {
        tracing::warn!(
            "clustering is enabled but ferroalloy runs as a single node: every target is scraped \
             by this instance"
        );
    }
    let before = previous
        .map(|p| p.profiling_config.overridden_builtins())
        .unwrap_or_default();
    for name in args.profiling_config.overridden_builtins() {
        if !before.contains(&name) {
            tracing::warn!(
                profile = name,
                "a profile.custom block replaces the built-in profile type of the same name"
            );
        }
    }
}

/// Log the invalid targets (§4.6) when the list changed.
fn log_invalid(invalid: &[InvalidTarget], previous: &[InvalidTarget]) {
    if invalid == previous {
        return;
    }
    for target in invalid {
        let labels: Vec<String> = target
            .labels
            .iter()
            .map(|(name, value)| format!("{name}={value:?}"))
            .collect();
        tracing::warn!(
            reason = %target.reason,
            labels = %labels.join(", "),
            "skipping invalid scrape target"
        );
    }
}

impl PyroscopeScrape {
    /// The jobs' specs and statuses, in URL order (tests and debug info).
    pub fn job_statuses(&self) -> Vec<(Arc<crate::job_spec::JobSpec>, JobStatus)> {
        lock(&self.state)
            .jobs
            .iter()
            .map(|job| (job.spec(), job.status()))
            .collect()
    }

    /// Start loops for `expansion`, keeping jobs whose key is unchanged and stopping the rest.
    fn apply(&self, state: &mut State, expansion: Expansion) {
        let mut running: HashMap<u64, Arc<Job>> = state
            .jobs
            .drain(..)
            .map(|job| (job.spec().key, job))
            .collect();
        let mut jobs = Vec::with_capacity(expansion.jobs.len());
        for spec in expansion.jobs {
            match running.remove(&spec.key) {
                Some(job) => {
                    if *job.spec() != spec {
                        job.set_spec(spec);
                    }
                    jobs.push(job);
                }
                None => jobs.push(Job::spawn(
                    spec,
                    self.settings.subscribe(),
                    self.metrics.clone(),
                    &self.loops,
                    &self.kill,
                    self.opts.span.clone(),
                )),
            }
        }
        for job in running.into_values() {
            job.stop();
        }
        {
            let _span = self.opts.span.enter();
            log_invalid(&expansion.invalid, &state.invalid);
        }
        state.jobs = jobs;
        state.invalid = expansion.invalid;
    }

    /// Stop every loop and wait for them.
    async fn shutdown(&self) {
        lock(&self.state).shut_down = true;
        self.kill.cancel();
        self.loops.close();
        self.loops.wait().await;
    }

    fn fail(&self, error: BuildError) -> BuildError {
        *lock(&self.health) = Health::unhealthy(error.to_string());
        error
    }
}

impl Drop for PyroscopeScrape {
    fn drop(&mut self) {
        self.kill.cancel();
    }
}

/// Cancels every loop when Run's future is dropped before it finished.
struct KillGuard {
    kill: CancellationToken,
}

impl Drop for KillGuard {
    fn drop(&mut self) {
        self.kill.cancel();
    }
}

impl Component for PyroscopeScrape {
    type Args = ScrapeArguments;
    type Exports = NoExports;

    async fn build(opts: Options, args: Self::Args) -> Result<Arc<Self>, BuildError> {
        args.validate()?;
        let client = build_client(&args)?;
        {
            let _span = opts.span.enter();
            warn_once(&args, None);
        }
        let expansion = expand(&args);
        let metrics = ScrapeMetrics::register(&opts.metrics);
        let (settings, _) = watch::channel(Arc::new(ScrapeSettings {
            client,
            args: Arc::new(args),
        }));
        let component = Arc::new(Self {
            opts,
            metrics,
            settings,
            state: Mutex::new(State {
                jobs: Vec::new(),
                invalid: Vec::new(),
                shut_down: false,
            }),
            health: Mutex::new(Health::healthy("starting")),
            loops: TaskTracker::new(),
            kill: CancellationToken::new(),
        });
        {
            let mut state = lock(&component.state);
            component.apply(&mut state, expansion);
            *lock(&component.health) =
                Health::healthy(job_count_message(state.jobs.len(), state.invalid.len()));
        }
        Ok(component)
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        let _guard = KillGuard {
            kill: self.kill.clone(),
        };
        cancel.cancelled().await;
        self.shutdown().await;
        Ok(())
    }

    async fn update(&self, args: Self::Args) -> Result<(), BuildError> {
        args.validate().map_err(|e| self.fail(e.into()))?;
        let previous = Arc::clone(&self.settings.borrow().args);
        let client = if previous.client == args.client {
            self.settings.borrow().client.clone()
        } else {
            build_client(&args).map_err(|e| self.fail(e))?
        };
        let mut state = lock(&self.state);
        if state.shut_down {
            return Ok(());
        }
        {
            let _span = self.opts.span.enter();
            warn_once(&args, Some(&previous));
        }
        let expansion = expand(&args);
        self.settings.send_replace(Arc::new(ScrapeSettings {
            client,
            args: Arc::new(args),
        }));
        self.apply(&mut state, expansion);
        *lock(&self.health) =
            Health::healthy(job_count_message(state.jobs.len(), state.invalid.len()));
        Ok(())
    }

    fn health(&self) -> Option<Health> {
        Some(lock(&self.health).clone())
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        let mut entries: Vec<(String, EncodedBody)> = Vec::new();
        {
            let state = lock(&self.state);
            for job in &state.jobs {
                let spec = job.spec();
                let status = job.status();
                entries.push((
                    spec.url.clone(),
                    target_body(&spec.job_name, &spec.url, &spec.labels, &status),
                ));
            }
            let job_name = self.settings.borrow().args.job_name.clone();
            for target in &state.invalid {
                let status = JobStatus {
                    health: JobHealth::Down,
                    last_error: target.reason.clone(),
                    ..JobStatus::default()
                };
                entries.push((
                    String::new(),
                    target_body(&job_name, "", &target.labels, &status),
                ));
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut body = EncodedBody::new();
        for (_, entry) in entries {
            body.block("target", None, entry);
        }
        Some(body)
    }
}

/// One `target` block of debug info (§7).
fn target_body(job_name: &str, url: &str, labels: &Labels, status: &JobStatus) -> EncodedBody {
    let mut sorted: Vec<(&str, &str)> = labels.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut label_object = Object::new();
    for (name, value) in sorted {
        label_object.insert(name, Value::string(value));
    }
    let mut body = EncodedBody::new();
    body.attr("job", Value::string(job_name));
    body.attr("url", Value::string(url));
    body.attr("health", Value::string(status.health.as_str()));
    body.attr("labels", Value::Object(label_object));
    body.attr("last_error", Value::string(status.last_error.as_str()));
    body.attr(
        "last_scrape",
        Value::string(
            status
                .last_scrape
                .map_or_else(|| ZERO_TIME.to_owned(), rfc3339_nanos),
        ),
    );
    let duration = ferroalloy_value::duration::Duration::from_std(status.last_scrape_duration)
        .unwrap_or_default();
    body.attr("last_scrape_duration", Value::string(duration.to_string()));
    body
}
