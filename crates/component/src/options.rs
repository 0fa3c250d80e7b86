//! What the runtime hands a component when it builds it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferroalloy_value::Object;

use crate::component::Exports;
use crate::metrics::ComponentMetrics;

/// Receives a component's exports. The runtime compares each published object with the stored
/// one and re-evaluates direct dependants only when they differ (runtime §6.3).
pub type ExportsSink = Arc<dyn Fn(Object) + Send + Sync>;

/// The runtime's side of one component: identity, storage, metrics, logging and publishing.
#[derive(Clone)]
pub struct Options {
    /// The component's id (`local.file.token`).
    pub id: String,
    /// Where the component may keep data (`<--storage.path>/<id>`); created by the component
    /// when it needs it.
    pub data_path: PathBuf,
    /// The component's own metrics registry.
    pub metrics: ComponentMetrics,
    /// A tracing span with `component_path="/"` and `component_id=<id>`; enter it (or
    /// `instrument` futures with it) so every log line names the component.
    pub span: tracing::Span,
    /// How long shutdown waits for `run` to return.
    pub shutdown_deadline: Duration,
    publish: ExportsSink,
}

impl Options {
    /// Options for component `id`, publishing through `publish`.
    pub fn new(
        id: impl Into<String>,
        data_path: PathBuf,
        shutdown_deadline: Duration,
        publish: ExportsSink,
    ) -> Self {
        let id = id.into();
        let span = tracing::info_span!("component", component_path = "/", component_id = %id);
        Self {
            metrics: ComponentMetrics::new(&id),
            id,
            data_path,
            span,
            shutdown_deadline,
            publish,
        }
    }

    /// Publish new exports (from any task, at any time).
    pub fn publish<E: Exports>(&self, exports: &E) {
        (self.publish)(exports.to_object());
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("id", &self.id)
            .field("data_path", &self.data_path)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .finish_non_exhaustive()
    }
}
