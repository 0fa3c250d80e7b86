//! The controller: loads, evaluation, export propagation, running tasks, health and metrics
//! (runtime §6–§9, §12).
//!
//! Design decisions:
//! - All mutable state sits behind one `std::sync::Mutex` that is never held across an
//!   `.await`; component code (`build`, `update`, `run`, `health`, `debug_info`) is always
//!   called outside it, so a component may publish from anywhere without deadlocking.
//! - Loads are serialized by a fair (FIFO) `tokio::sync::Mutex`: triggers queue in arrival
//!   order instead of racing. Each load runs in its own tracked task, so a caller that stops
//!   waiting (an HTTP client that hangs up) never leaves a half-applied load behind. Watch
//!   triggers that queue while another watch load waits coalesce into that one.
//! - Phases 1–3 touch nothing live (D6). Only then does the load pause the propagation queue
//!   and wait for running evaluations, so propagation and loads never evaluate one node at
//!   once; the queue resumes after phase 7 without the ids of removed nodes.
//! - Each started component runs as one task of the controller's `TaskTracker` with a child
//!   token of the controller's token; a small watcher task awaits its `JoinHandle` to record
//!   `exited` (clean, error or panic) health. Dropping the controller cancels every task.

mod entry;
mod evaluate;
mod queue;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferroalloy_component::{BoxFuture, ComponentRegistry, Health, HealthState, Stability};
use ferroalloy_syntax::parser::parse_file;
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile, Span};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::entry::{ComponentEntry, HealthSources, TaskHandle, panic_message};
use self::queue::EvaluationQueue;
use crate::config::sources::{SourceError, config_hash, read_sources};
use crate::graph::logging::LoggingArgs;
use crate::graph::{Graph, NodeKind, ParsedFile};
use crate::metrics::RuntimeMetrics;
use crate::metrics::exposition::MergedExposition;
use crate::metrics::process::encode_process_metrics;
use crate::status::{
    ComponentInfo, ControlPlane, LoadOutcome, LoadReport, LogSettings, LoggingControl,
    ReloadStatus, Trigger,
};

/// What the controller needs to run a configuration.
pub struct ControllerConfig {
    /// The component types (`ferroalloy_components::register_all()`).
    pub registry: ComponentRegistry,
    /// The configuration file or directory (runtime §2).
    pub config_path: PathBuf,
    /// `--storage.path`; a component's data path is `<storage>/<id>`.
    pub storage_path: PathBuf,
    /// `--stability.level`.
    pub stability: Stability,
    /// `--feature.component-shutdown-deadline`: how long removal and shutdown wait for `run`.
    pub shutdown_deadline: Duration,
    /// Applies the `logging` block's settings.
    pub logging: Arc<dyn LoggingControl>,
}

/// How shutdown went (runtime §8 step 2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Components whose task was still running at the deadline and was aborted.
    pub aborted: Vec<String>,
    /// Whether a second signal cut draining short ([`Controller::abort_shutdown`]).
    pub interrupted: bool,
}

/// Runs the configuration: loads it, evaluates and runs its components, and keeps their
/// health, exports and metrics. Drives [`ControlPlane`] for the HTTP server.
pub struct Controller {
    config: ControllerConfig,
    weak: Weak<Controller>,
    state: Mutex<State>,
    loads: tokio::sync::Mutex<()>,
    pending_watch: Mutex<Option<watch::Receiver<Option<Option<LoadReport>>>>>,
    token: CancellationToken,
    interrupt: CancellationToken,
    shutting_down: AtomicBool,
    ready: AtomicBool,
    tracker: TaskTracker,
    idle: Notify,
    metrics: RuntimeMetrics,
    parallelism: usize,
}

struct State {
    graph: Arc<Graph>,
    pending_graph: Option<Arc<Graph>>,
    components: HashMap<String, ComponentEntry>,
    logging: Option<LoggingArgs>,
    queue: EvaluationQueue,
    status: ReloadStatus,
    module_path: PathBuf,
}

impl Controller {
    /// A controller with nothing loaded yet.
    pub fn new(config: ControllerConfig) -> Arc<Self> {
        let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
        Arc::new_cyclic(|weak| Controller {
            config,
            weak: weak.clone(),
            state: Mutex::new(State {
                graph: Arc::new(Graph::default()),
                pending_graph: None,
                components: HashMap::new(),
                logging: None,
                queue: EvaluationQueue::default(),
                status: ReloadStatus::default(),
                module_path: PathBuf::new(),
            }),
            loads: tokio::sync::Mutex::new(()),
            pending_watch: Mutex::new(None),
            token: CancellationToken::new(),
            interrupt: CancellationToken::new(),
            shutting_down: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            tracker: TaskTracker::new(),
            idle: Notify::new(),
            metrics: RuntimeMetrics::new(),
            parallelism,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Component code never runs under this lock, so a poisoned lock only means a panic in
        // the controller's own bookkeeping; the state is still consistent enough to serve.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_shutting_down_flag(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Run a load (the initial load with [`Trigger::Startup`]) and report it; `None` once
    /// shutdown has begun. Loads are serialized; a watch trigger that arrives while another
    /// watch load is waiting shares that load's report.
    pub async fn load(&self, trigger: Trigger) -> Option<LoadReport> {
        if self.is_shutting_down_flag() {
            return None;
        }
        let controller = self.weak.upgrade()?;
        let sender = if trigger == Trigger::Watch {
            let joined = {
                let mut pending = self
                    .pending_watch
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match pending.as_ref() {
                    Some(receiver) => Err(receiver.clone()),
                    None => {
                        let (sender, receiver) = watch::channel(None);
                        *pending = Some(receiver);
                        Ok(sender)
                    }
                }
            };
            match joined {
                Ok(sender) => Some(sender),
                Err(mut receiver) => {
                    return match receiver.wait_for(Option::is_some).await {
                        Ok(report) => report.clone().flatten(),
                        Err(_) => None,
                    };
                }
            }
        } else {
            None
        };
        let task = self.tracker.spawn(async move {
            let _serialized = controller.loads.lock().await;
            if sender.is_some() {
                controller
                    .pending_watch
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
            }
            let report = if controller.is_shutting_down_flag() {
                None
            } else {
                Some(controller.load_serialized(trigger).await)
            };
            if let Some(sender) = sender {
                sender.send_replace(Some(report.clone()));
            }
            report
        });
        task.await.ok().flatten()
    }

    async fn load_serialized(&self, trigger: Trigger) -> LoadReport {
        let time = SystemTime::now();
        let started = Instant::now();
        let mut diagnostics = Diagnostics::new();
        let (outcome, hash, files) = self.run_phases(trigger, &mut diagnostics).await;
        let report = LoadReport {
            time,
            trigger,
            outcome,
            duration: started.elapsed(),
            config_hash: hash,
            files,
            diagnostics,
        };
        self.record(&report);
        report
    }

    async fn run_phases(
        &self,
        trigger: Trigger,
        diagnostics: &mut Diagnostics,
    ) -> (LoadOutcome, String, Vec<String>) {
        // Phase 1: read.
        let path = &self.config.config_path;
        let (sources, encoding) = match read_sources(path) {
            Ok(read) => read,
            Err(SourceError::Read { path: file, source }) => {
                let src = SourceFile::new(file, "");
                diagnostics.push(Diagnostic::error(
                    &src,
                    Span::new(0, 0),
                    format!("reading config path {:?}: {source}", path.to_string_lossy()),
                ));
                return (LoadOutcome::Rejected, String::new(), Vec::new());
            }
        };
        let hash = config_hash(&sources.files);
        let files: Vec<String> = sources.files.iter().map(|f| f.name().to_owned()).collect();
        diagnostics.extend(encoding);

        // Phase 2: parse.
        let mut parsed = Vec::with_capacity(sources.files.len());
        for src in &sources.files {
            let (file, parse_diagnostics) = parse_file(src);
            diagnostics.extend(parse_diagnostics);
            parsed.push(ParsedFile {
                src: src.clone(),
                file,
            });
        }
        if diagnostics.has_errors() {
            return (LoadOutcome::Rejected, hash, files);
        }

        // Phase 3: the graph.
        let (graph, graph_diagnostics) =
            Graph::build(&parsed, &self.config.registry, self.config.stability);
        diagnostics.extend(graph_diagnostics);
        if diagnostics.has_errors() {
            return (LoadOutcome::Rejected, hash, files);
        }
        let graph = Arc::new(graph);

        // Nothing live has been touched so far. Pause propagation before phase 4.
        self.pause_queue().await;
        let removed: Vec<String> = {
            let mut state = self.lock();
            state.pending_graph = Some(Arc::clone(&graph));
            state.module_path = sources.module_path.clone();
            // Phase 4: diff.
            let removed = state
                .components
                .keys()
                .filter(|id| {
                    !matches!(
                        graph.node(id).map(|n| &n.kind),
                        Some(NodeKind::Component(_))
                    )
                })
                .cloned()
                .collect();
            for node in graph.nodes() {
                if node.is_component() {
                    state
                        .components
                        .entry(node.id.clone())
                        .or_insert_with(ComponentEntry::new);
                }
            }
            removed
        };

        // Phase 5: stop removed components before anything is built.
        self.stop_tasks(
            &removed,
            Instant::now() + self.config.shutdown_deadline,
            None,
        )
        .await;
        let dropped: Vec<ComponentEntry> = {
            let mut state = self.lock();
            let dropped = removed
                .iter()
                .filter_map(|id| state.components.remove(id))
                .collect();
            state.queue.retain(|id| graph.node(id).is_some());
            dropped
        };
        drop(dropped);

        // Phase 6: evaluate every node.
        self.metrics.evaluating.inc();
        let mut succeeded = HashSet::new();
        let mut failed = false;
        for id in graph.evaluation_order() {
            let Some(node) = graph.node(id) else { continue };
            self.lock().queue.remove(id);
            match self.evaluate_node(&graph, node, true).await {
                Ok(()) => {
                    succeeded.insert(id.to_owned());
                }
                Err(errors) => {
                    failed = true;
                    diagnostics.extend(errors);
                }
            }
        }
        if graph.node("logging").is_none() {
            let previous = self.lock().logging.take();
            if previous.is_some()
                && let Err(message) = self.config.logging.apply(LogSettings::default())
            {
                tracing::error!("failed to restore the default logging settings: {message}");
            }
        }
        self.metrics.evaluating.dec();
        let outcome = if failed {
            LoadOutcome::Partial
        } else {
            LoadOutcome::Ok
        };

        // Phase 7: swap in the new graph and start tasks.
        if trigger == Trigger::Startup && outcome != LoadOutcome::Ok {
            let dropped: Vec<ComponentEntry> = {
                let mut state = self.lock();
                state.pending_graph = None;
                state.graph = Arc::new(Graph::default());
                state.queue.retain(|_| false);
                state.queue.resume();
                state.components.drain().map(|(_, entry)| entry).collect()
            };
            drop(dropped);
            return (outcome, hash, files);
        }
        let mut state = self.lock();
        state.graph = Arc::clone(&graph);
        state.pending_graph = None;
        for node in graph.nodes() {
            if !matches!(node.kind, NodeKind::Component(_)) {
                continue;
            }
            let start = state.components.get(&node.id).is_some_and(|entry| {
                entry.component.is_some()
                    && match &entry.task {
                        None => true,
                        Some(task) => task.finished() && succeeded.contains(&node.id),
                    }
            });
            if start {
                self.start_task(&mut state, &node.id);
            }
        }
        self.metrics.set_graph_connections(graph.data_flow_edges());
        state.queue.retain(|id| graph.node(id).is_some());
        state.queue.resume();
        self.pump(&mut state);
        drop(state);
        if trigger == Trigger::Startup {
            self.ready.store(true, Ordering::SeqCst);
        }
        (outcome, hash, files)
    }

    /// Phase 8: record the result, update metrics, log.
    fn record(&self, report: &LoadReport) {
        let unix = report
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.metrics
            .record_load(report.trigger, report.outcome, &report.config_hash, unix);
        {
            let mut state = self.lock();
            if report.outcome == LoadOutcome::Ok {
                state.status.last_success = Some((report.time, report.config_hash.clone()));
            }
            state.status.last_reload = Some(report.clone());
        }
        for warning in report
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| !d.is_error())
        {
            tracing::warn!("{warning}");
        }
        if report.trigger == Trigger::Startup {
            return;
        }
        if report.outcome == LoadOutcome::Ok {
            tracing::info!(trigger = report.trigger.as_str(), "config reloaded");
        } else {
            let errors: Vec<String> = report
                .diagnostics
                .sorted()
                .into_iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect();
            tracing::error!(
                trigger = report.trigger.as_str(),
                outcome = report.outcome.as_str(),
                diagnostics = %errors.join("; "),
                "failed to reload config"
            );
        }
    }

    async fn pause_queue(&self) {
        self.lock().queue.pause();
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().queue.is_idle() {
                return;
            }
            notified.await;
        }
    }

    /// Start the task of built component `id`.
    fn start_task(&self, state: &mut State, id: &str) {
        if self.is_shutting_down_flag() {
            return;
        }
        let Some(entry) = state.components.get_mut(id) else {
            return;
        };
        let Some(component) = entry.component.clone() else {
            return;
        };
        let cancel = self.token.child_token();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            component.run(cancel.clone())
        }));
        let run = match run {
            Ok(run) => run,
            Err(payload) => {
                entry.run_health = Health::now(
                    HealthState::Exited,
                    format!("component panicked: {}", panic_message(payload.as_ref())),
                );
                return;
            }
        };
        let handle = self.tracker.spawn(run);
        let task_id = handle.id();
        let (done_tx, done) = watch::channel(false);
        entry.run_health = Health::healthy("started component");
        entry.task = Some(TaskHandle {
            id: task_id,
            cancel,
            abort: handle.abort_handle(),
            done,
        });
        let controller = self.weak.clone();
        let id = id.to_owned();
        self.tracker.spawn(async move {
            let health = match handle.await {
                Ok(Ok(())) => Health::now(HealthState::Exited, "component shut down cleanly"),
                Ok(Err(error)) => {
                    tracing::error!(component_id = %id, "component shut down with error: {error:#}");
                    Health::now(HealthState::Exited, format!("component shut down with error: {error:#}"))
                }
                Err(join) if join.is_panic() => {
                    let message = format!("component panicked: {}", panic_message(join.into_panic().as_ref()));
                    tracing::error!(component_id = %id, "{message}");
                    Health::now(HealthState::Exited, message)
                }
                Err(_) => Health::now(
                    HealthState::Exited,
                    "component shut down with error: task aborted at the shutdown deadline",
                ),
            };
            if let Some(controller) = controller.upgrade()
                && let Some(entry) = controller.lock().components.get_mut(&id)
                && entry.task.as_ref().is_some_and(|task| task.id == task_id)
            {
                entry.run_health = health;
            }
            done_tx.send_replace(true);
        });
    }

    /// Cancel the tasks of `ids` and wait for them until `deadline`; abort the ones still
    /// running then (or at once when `interrupt` fires). Returns the aborted ids.
    async fn stop_tasks(
        &self,
        ids: &[String],
        deadline: Instant,
        interrupt: Option<&CancellationToken>,
    ) -> Vec<String> {
        let tasks: Vec<_> = {
            let state = self.lock();
            ids.iter()
                .filter_map(|id| {
                    let task = state.components.get(id)?.task.as_ref()?;
                    Some((
                        id.clone(),
                        task.cancel.clone(),
                        task.abort.clone(),
                        task.done.clone(),
                    ))
                })
                .collect()
        };
        for (_, cancel, _, _) in &tasks {
            cancel.cancel();
        }
        let mut aborted = Vec::new();
        for (id, _, abort, mut done) in tasks {
            let interrupted = async {
                match interrupt {
                    Some(token) => token.cancelled().await,
                    None => std::future::pending().await,
                }
            };
            let finished = tokio::select! {
                result = tokio::time::timeout_at(deadline, done.wait_for(|done| *done)) => result.is_ok(),
                () = interrupted => false,
            };
            if !finished {
                tracing::error!(
                    component_id = %id,
                    "component {id} did not stop before the shutdown deadline; aborting its task"
                );
                abort.abort();
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), done.wait_for(|done| *done)).await;
                aborted.push(id);
            }
        }
        aborted
    }

    /// Stop every component, one shutdown layer at a time (runtime §8 step 2), then drop them.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.ready.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + self.config.shutdown_deadline;
        let (mut layers, all): (Vec<Vec<String>>, Vec<String>) = {
            let mut state = self.lock();
            state.queue.pause();
            let layers = state
                .graph
                .shutdown_layers()
                .into_iter()
                .map(|layer| layer.into_iter().map(str::to_owned).collect())
                .collect();
            (layers, state.components.keys().cloned().collect())
        };
        let layered: HashSet<&String> = layers.iter().flatten().collect();
        let rest: Vec<String> = all
            .iter()
            .filter(|id| !layered.contains(id))
            .cloned()
            .collect();
        layers.push(rest);
        let mut report = ShutdownReport::default();
        for layer in &layers {
            if self.interrupt.is_cancelled() {
                report.interrupted = true;
            }
            let interrupt = Some(&self.interrupt).filter(|_| true);
            let past = if report.interrupted {
                Instant::now()
            } else {
                deadline
            };
            report
                .aborted
                .extend(self.stop_tasks(layer, past, interrupt).await);
        }
        report.interrupted |= self.interrupt.is_cancelled();
        self.token.cancel();
        self.tracker.close();
        tokio::select! {
            () = self.tracker.wait() => {}
            () = tokio::time::sleep_until(deadline) => {}
            () = self.interrupt.cancelled() => report.interrupted = true,
        }
        let dropped: Vec<ComponentEntry> = {
            let mut state = self.lock();
            state.components.drain().map(|(_, entry)| entry).collect()
        };
        drop(dropped);
        report
    }

    /// A second signal: stop waiting for components and return from [`Controller::shutdown`].
    pub fn abort_shutdown(&self) {
        self.interrupt.cancel();
    }

    /// Wait until no export change is waiting for or undergoing evaluation (for tests and
    /// benchmarks that need propagation to have settled).
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.lock();
                if state.queue.is_idle() && state.queue.len() == 0 {
                    return;
                }
            }
            notified.await;
        }
    }

    /// The tokio id of component `id`'s running task (tasks of kept components survive
    /// reloads, so the id stays the same).
    pub fn task_id(&self, id: &str) -> Option<tokio::task::Id> {
        self.lock()
            .components
            .get(id)?
            .task
            .as_ref()
            .map(|task| task.id)
    }

    fn info(
        &self,
        graph: &Graph,
        state: &State,
        id: &str,
    ) -> Option<(ComponentInfo, HealthSources)> {
        let node = graph.node(id)?;
        if !matches!(node.kind, NodeKind::Component(_)) {
            return None;
        }
        let entry = state.components.get(id)?;
        let components_only = |ids: Vec<&str>| -> Vec<String> {
            ids.into_iter()
                .filter(|other| {
                    matches!(
                        graph.node(other).map(|n| &n.kind),
                        Some(NodeKind::Component(_))
                    )
                })
                .map(str::to_owned)
                .collect()
        };
        let sources = HealthSources::of(entry);
        let info = ComponentInfo {
            id: node.id.clone(),
            name: node.name.clone(),
            label: node.label.clone(),
            references_to: components_only(graph.dependencies(id)),
            referenced_by: components_only(graph.dependants(id)),
            data_flow_edges_to: components_only(graph.data_flow_edges_to(id)),
            health: sources.run.clone(),
            arguments: entry.applied.as_ref().map(|args| args.to_body()),
            exports: entry.exports.clone(),
            debug_info: None,
        };
        Some((info, sources))
    }

    fn finish_info((mut info, sources): (ComponentInfo, HealthSources)) -> ComponentInfo {
        info.health = sources.shown();
        info.debug_info = sources.debug_info();
        info
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

impl ControlPlane for Controller {
    fn reload(&self, trigger: Trigger) -> BoxFuture<'_, Option<LoadReport>> {
        Box::pin(self.load(trigger))
    }

    fn components(&self) -> Vec<ComponentInfo> {
        let partial: Vec<_> = {
            let state = self.lock();
            let graph = Arc::clone(&state.graph);
            graph
                .evaluation_order()
                .into_iter()
                .filter_map(|id| self.info(&graph, &state, id))
                .collect()
        };
        partial.into_iter().map(Self::finish_info).collect()
    }

    fn component(&self, id: &str) -> Option<ComponentInfo> {
        let partial = {
            let state = self.lock();
            let graph = Arc::clone(&state.graph);
            self.info(&graph, &state, id)
        };
        partial.map(Self::finish_info)
    }

    fn reload_status(&self) -> ReloadStatus {
        self.lock().status.clone()
    }

    fn encode_metrics(&self, out: &mut String) {
        let (sources, registries): (Vec<(String, HealthSources)>, Vec<_>) = {
            let state = self.lock();
            let graph = Arc::clone(&state.graph);
            let sources = graph
                .evaluation_order()
                .into_iter()
                .filter_map(|id| {
                    Some((id.to_owned(), HealthSources::of(state.components.get(id)?)))
                })
                .collect();
            let registries = state
                .components
                .values()
                .filter_map(|e| e.metrics.clone())
                .collect();
            (sources, registries)
        };
        let shown: Vec<(String, HealthState)> = sources
            .iter()
            .map(|(id, s)| (id.clone(), s.shown().state))
            .collect();
        self.metrics
            .set_health(shown.iter().map(|(id, state)| (id.as_str(), *state)));

        let mut merged = MergedExposition::new();
        let mut text = String::new();
        encode_process_metrics(&mut text);
        merged.add(&text);
        text.clear();
        if self.metrics.encode(&mut text).is_ok() {
            merged.add(&text);
        }
        for registry in registries {
            text.clear();
            if registry.encode(&mut text).is_ok() {
                merged.add(&text);
            }
        }
        merged.write_to(out);
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.is_shutting_down_flag()
    }

    fn is_shutting_down(&self) -> bool {
        self.is_shutting_down_flag()
    }
}
