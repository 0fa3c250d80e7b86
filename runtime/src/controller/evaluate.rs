//! Evaluating one node (runtime §6.1–6.2) and propagating exports (§6.3).
//!
//! Design decisions:
//! - Each evaluation builds its scope from the exports of the node's own dependencies only
//!   (nested under their id segments, plus `module_path`), read under the state lock when the
//!   evaluation starts. That is the snapshot the spec asks for, and it costs O(dependencies)
//!   instead of copying every component's exports for every evaluation.
//! - `build` and `update` run in their own tracked task so that a panic comes back as a
//!   [`tokio::task::JoinError`] with its payload (`component panicked: <payload>`) instead of
//!   unwinding through the controller; decoding is synchronous and guarded by `catch_unwind`.
//! - A component built outside a load starts at once (D9); inside a load, in phase 7.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use ferroalloy_component::{BuildError, DynArgs, ExportsSink, Health, Options, Registration};
use ferroalloy_syntax::{Diagnostic, Diagnostics};
use ferroalloy_value::decode::validation_diagnostics;
use ferroalloy_value::eval::{Evaluator, Scope};
use ferroalloy_value::{Object, Value};
use tokio::time::Instant;

use super::entry::{ComponentEntry, panic_message};
use super::{Controller, State};
use crate::graph::logging::{LoggingArgs, decode_logging};
use crate::graph::{Graph, Node, NodeKind};
use crate::status::{LogFormat, LogLevel, LogSettings};

/// How long an evaluation may take before it is logged and counted as slow.
const SLOW_EVALUATION: Duration = Duration::from_secs(60);

impl Controller {
    /// Evaluate `node` of `graph`, recording its evaluation health; the error is the
    /// evaluation's diagnostics. `in_load` decides when a newly built component starts.
    pub(super) async fn evaluate_node(
        &self,
        graph: &Graph,
        node: &Node,
        in_load: bool,
    ) -> Result<(), Vec<Diagnostic>> {
        let start = Instant::now();
        let evaluation = async {
            match &node.kind {
                NodeKind::Component(registration) => {
                    self.evaluate_component(graph, node, registration, in_load)
                        .await
                }
                NodeKind::Logging => self.evaluate_logging(graph, node),
            }
        };
        tokio::pin!(evaluation);
        let mut warn_every = tokio::time::interval_at(start + SLOW_EVALUATION, SLOW_EVALUATION);
        let result = loop {
            tokio::select! {
                result = &mut evaluation => break result,
                _ = warn_every.tick() => {
                    tracing::warn!(
                        component_id = %node.id,
                        "evaluation of component {} is taking longer than 1 minute", node.id
                    );
                }
            }
        };
        let elapsed = start.elapsed();
        self.metrics
            .evaluation_seconds
            .observe(elapsed.as_secs_f64());
        if elapsed > SLOW_EVALUATION {
            self.metrics
                .add_slow_evaluation(&node.id, elapsed.as_secs_f64());
        }
        if let NodeKind::Component(_) = node.kind {
            let health = match &result {
                Ok(()) => Health::healthy("component evaluated"),
                Err(diagnostics) => {
                    let diagnostics = Diagnostics::from(diagnostics.clone());
                    let first = diagnostics
                        .first_error()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "unknown error".to_owned());
                    Health::unhealthy(format!("component evaluation failed: {first}"))
                }
            };
            if let Some(entry) = self.lock().components.get_mut(&node.id) {
                entry.eval_health = health;
            }
        }
        result
    }

    /// The scope `node` is evaluated in: the exports of its dependencies and `module_path`,
    /// or a diagnostic for each reference to a component that was never built.
    fn scope_for(
        &self,
        state: &State,
        graph: &Graph,
        node: &Node,
    ) -> Result<Scope, Vec<Diagnostic>> {
        let mut scope = Scope::new();
        scope.set(
            "module_path",
            Value::string(state.module_path.to_string_lossy()),
        );
        let mut roots = Object::new();
        let mut seen = HashSet::new();
        let mut missing = Vec::new();
        for reference in &node.references {
            if !matches!(
                graph.node(&reference.target).map(|n| &n.kind),
                Some(NodeKind::Component(_))
            ) {
                continue;
            }
            match state.components.get(&reference.target) {
                Some(entry) if entry.component.is_some() => {
                    if seen.insert(reference.target.as_str()) {
                        let exports = entry.exports.clone().unwrap_or_default();
                        insert_at(&mut roots, &reference.target, exports);
                    }
                }
                _ => missing.push(Diagnostic::error(
                    &node.src,
                    reference.span,
                    format!(
                        "component {:?} has not been built, so its exports are unavailable",
                        reference.target
                    ),
                )),
            }
        }
        if !missing.is_empty() {
            return Err(missing);
        }
        for (root, value) in roots.0 {
            scope.set(root, value);
        }
        Ok(scope)
    }

    async fn evaluate_component(
        &self,
        graph: &Graph,
        node: &Node,
        registration: &Registration,
        in_load: bool,
    ) -> Result<(), Vec<Diagnostic>> {
        let (scope, component, applied) = {
            let mut state = self.lock();
            let scope = self.scope_for(&state, graph, node)?;
            let entry = state
                .components
                .entry(node.id.clone())
                .or_insert_with(ComponentEntry::new);
            (scope, entry.component.clone(), entry.applied.clone())
        };
        let decode = registration.decode;
        let args = catch_unwind(AssertUnwindSafe(|| {
            decode(&node.block, &Evaluator::new(&node.src, &scope))
        }))
        .map_err(|payload| vec![self.block_error(node, panicked(payload.as_ref()))])??;

        let Some(component) = component else {
            return self
                .build_component(node, registration, args, in_load)
                .await;
        };
        if applied
            .as_ref()
            .is_some_and(|applied| applied.equals(args.as_ref()))
        {
            return Ok(());
        }
        let update_args = Arc::clone(&args);
        let update = self
            .tracker
            .spawn(async move { component.update(update_args).await });
        match update.await {
            Ok(Ok(())) => {
                if let Some(entry) = self.lock().components.get_mut(&node.id) {
                    entry.applied = Some(args);
                }
                Ok(())
            }
            Ok(Err(error)) => Err(self.build_error(node, error)),
            Err(join) => Err(vec![self.block_error(node, join_message(join))]),
        }
    }

    async fn build_component(
        &self,
        node: &Node,
        registration: &Registration,
        args: Arc<dyn DynArgs>,
        in_load: bool,
    ) -> Result<(), Vec<Diagnostic>> {
        let opts = Options::new(
            node.id.clone(),
            self.config.storage_path.join(&node.id),
            self.config.shutdown_deadline,
            self.publisher(&node.id),
        );
        let metrics = opts.metrics.clone();
        let build = registration.build;
        let build_args = Arc::clone(&args);
        let built = self
            .tracker
            .spawn(async move { build(opts, build_args).await });
        let component = match built.await {
            Ok(Ok(component)) => component,
            Ok(Err(error)) => {
                self.forget_exports(&node.id);
                return Err(self.build_error(node, error));
            }
            Err(join) => {
                self.forget_exports(&node.id);
                return Err(vec![self.block_error(node, join_message(join))]);
            }
        };
        let mut state = self.lock();
        let Some(entry) = state.components.get_mut(&node.id) else {
            return Ok(());
        };
        entry.component = Some(component);
        entry.applied = Some(args);
        entry.metrics = Some(metrics);
        if !in_load {
            // D9: dependants that failed for want of these exports get another chance, and
            // the component runs without waiting for a reload.
            self.start_task(&mut state, &node.id);
            self.schedule_dependants(&mut state, &node.id);
        }
        Ok(())
    }

    fn evaluate_logging(&self, graph: &Graph, node: &Node) -> Result<(), Vec<Diagnostic>> {
        let scope = {
            let state = self.lock();
            self.scope_for(&state, graph, node)?
        };
        let decoded = decode_logging(&node.block, &Evaluator::new(&node.src, &scope))?;
        let Some(args) = decoded.as_any().downcast_ref::<LoggingArgs>().cloned() else {
            return Ok(());
        };
        let mut state = self.lock();
        if state.logging.as_ref() == Some(&args) {
            return Ok(());
        }
        self.config
            .logging
            .apply(log_settings(&args))
            .map_err(|message| vec![self.block_error(node, message)])?;
        state.logging = Some(args);
        Ok(())
    }

    /// The sink a component publishes its exports through.
    fn publisher(&self, id: &str) -> ExportsSink {
        let controller = self.weak.clone();
        let id = id.to_owned();
        Arc::new(move |exports: Object| {
            if let Some(controller) = controller.upgrade() {
                controller.publish(&id, exports);
            }
        })
    }

    /// Store `exports` of `id` and schedule its direct dependants when they changed (§6.3).
    pub(super) fn publish(&self, id: &str, exports: Object) {
        let mut state = self.lock();
        let Some(entry) = state.components.get_mut(id) else {
            return;
        };
        if entry.exports.as_ref() == Some(&exports) {
            return;
        }
        entry.exports = Some(exports);
        self.schedule_dependants(&mut state, id);
    }

    fn forget_exports(&self, id: &str) {
        if let Some(entry) = self.lock().components.get_mut(id) {
            entry.exports = None;
        }
    }

    /// Queue the direct dependants of `id` in the graph being loaded, else the running one.
    pub(super) fn schedule_dependants(&self, state: &mut State, id: &str) {
        let graph = state
            .pending_graph
            .clone()
            .unwrap_or_else(|| Arc::clone(&state.graph));
        let now = Instant::now();
        for dependant in graph.dependants(id) {
            state.queue.schedule(dependant, now);
        }
        self.pump(state);
    }

    /// Start queued evaluations up to the worker limit.
    pub(super) fn pump(&self, state: &mut State) {
        if !self.is_shutting_down_flag() {
            while let Some((id, scheduled)) = state.queue.next(self.parallelism) {
                self.metrics
                    .dependencies_wait_seconds
                    .observe(scheduled.elapsed().as_secs_f64());
                let controller = self.weak.clone();
                self.tracker.spawn(async move {
                    if let Some(controller) = controller.upgrade() {
                        controller.evaluate_queued(&id).await;
                    }
                });
            }
        }
        self.metrics
            .evaluation_queue_size
            .set(i64::try_from(state.queue.len()).unwrap_or(i64::MAX));
    }

    async fn evaluate_queued(&self, id: &str) {
        let graph = Arc::clone(&self.lock().graph);
        if let Some(node) = graph.node(id)
            && let Err(diagnostics) = self.evaluate_node(&graph, node, false).await
        {
            for diagnostic in &diagnostics {
                tracing::error!(component_id = %id, "component evaluation failed: {diagnostic}");
            }
        }
        let mut state = self.lock();
        state.queue.finished(id);
        if state.queue.is_idle() {
            self.idle.notify_waiters();
        }
        self.pump(&mut state);
    }

    fn block_error(&self, node: &Node, message: String) -> Diagnostic {
        Diagnostic::error(&node.src, node.block.span(), message)
    }

    fn build_error(&self, node: &Node, error: BuildError) -> Vec<Diagnostic> {
        match error {
            BuildError::Arguments(errors) => {
                let diagnostics =
                    validation_diagnostics(&errors, &node.block.body, node.block.span(), &node.src);
                if diagnostics.is_empty() {
                    vec![self.block_error(node, errors.to_string())]
                } else {
                    diagnostics
                }
            }
            BuildError::Other(message) => vec![self.block_error(node, message)],
        }
    }
}

/// Put `value` at the `.`-separated `id` inside `root`, creating objects on the way.
fn insert_at(root: &mut Object, id: &str, value: Object) {
    let mut segments = id.split('.').peekable();
    let mut object = root;
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            object.insert(segment, Value::Object(value));
            return;
        }
        let slot = object
            .0
            .entry(segment.to_owned())
            .or_insert_with(|| Value::Object(Object::new()));
        if !matches!(slot, Value::Object(_)) {
            *slot = Value::Object(Object::new());
        }
        let Value::Object(inner) = slot else {
            return;
        };
        object = inner;
    }
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> String {
    format!("component panicked: {}", panic_message(payload))
}

fn join_message(join: tokio::task::JoinError) -> String {
    if join.is_panic() {
        panicked(join.into_panic().as_ref())
    } else {
        "component task was cancelled".to_owned()
    }
}

/// The settings of validated `logging` arguments.
pub(super) fn log_settings(args: &LoggingArgs) -> LogSettings {
    LogSettings {
        level: args
            .level
            .as_deref()
            .and_then(|level| LogLevel::parse(level).ok()),
        format: LogFormat::parse(&args.format).unwrap_or_default(),
    }
}
