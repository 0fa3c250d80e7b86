//! What the controller keeps per component: the built instance, its applied arguments and
//! exports, its metrics registry, the three health sources and its running task.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use ferroalloy_component::{
    ComponentMetrics, DynArgs, DynComponent, EncodedBody, Health, HealthState,
};
use ferroalloy_value::Object;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

/// The running task of a component.
#[derive(Debug)]
pub(crate) struct TaskHandle {
    /// The tokio id of the task (stable for the life of the task).
    pub(crate) id: tokio::task::Id,
    /// Cancels `run`.
    pub(crate) cancel: CancellationToken,
    /// Drops the task's future (shutdown deadline passed).
    pub(crate) abort: AbortHandle,
    /// Becomes `true` when the task has finished and its health was recorded.
    pub(crate) done: watch::Receiver<bool>,
}

impl TaskHandle {
    /// Whether `run` has returned (or panicked, or was aborted).
    pub(crate) fn finished(&self) -> bool {
        *self.done.borrow()
    }
}

/// One component node's runtime state.
pub(crate) struct ComponentEntry {
    /// The built instance; `None` until a build succeeds.
    pub(crate) component: Option<Arc<dyn DynComponent>>,
    /// The last arguments the component accepted.
    pub(crate) applied: Option<Arc<dyn DynArgs>>,
    /// The last exports published.
    pub(crate) exports: Option<Object>,
    /// The component's registry, kept while the component exists.
    pub(crate) metrics: Option<ComponentMetrics>,
    /// Health from the task's life cycle.
    pub(crate) run_health: Health,
    /// Health from the last evaluation.
    pub(crate) eval_health: Health,
    /// The task, once started.
    pub(crate) task: Option<TaskHandle>,
}

impl ComponentEntry {
    /// A component that has not been built yet.
    pub(crate) fn new() -> Self {
        let created = Health::now(HealthState::Unknown, "component created");
        Self {
            component: None,
            applied: None,
            exports: None,
            metrics: None,
            run_health: created.clone(),
            eval_health: created,
            task: None,
        }
    }
}

/// The health sources of a component, read under the state lock; the component's own
/// `health()` is called later, outside the lock.
#[derive(Clone)]
pub(crate) struct HealthSources {
    pub(crate) run: Health,
    pub(crate) eval: Health,
    pub(crate) component: Option<Arc<dyn DynComponent>>,
}

impl HealthSources {
    pub(crate) fn of(entry: &ComponentEntry) -> Self {
        Self {
            run: entry.run_health.clone(),
            eval: entry.eval_health.clone(),
            component: entry.component.clone(),
        }
    }

    /// The shown health: the least healthy of run, evaluation and the component's own report.
    pub(crate) fn shown(&self) -> Health {
        let reported = self.component.as_ref().and_then(|component| {
            catch_unwind(AssertUnwindSafe(|| component.health())).unwrap_or_else(|payload| {
                Some(Health::unhealthy(format!(
                    "component panicked: {}",
                    panic_message(payload.as_ref())
                )))
            })
        });
        let sources = [Some(&self.run), Some(&self.eval), reported.as_ref()];
        Health::least_healthy(sources.into_iter().flatten())
            .cloned()
            .unwrap_or_else(|| self.run.clone())
    }

    /// The component's debug info (a panic shows as none).
    pub(crate) fn debug_info(&self) -> Option<EncodedBody> {
        let component = self.component.as_ref()?;
        catch_unwind(AssertUnwindSafe(|| component.debug_info()))
            .ok()
            .flatten()
    }
}

/// The text of a panic payload (`&str` or `String`, else a placeholder).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
