//! A component's own Prometheus registry.
//!
//! Every series a component registers carries the const labels `component_path="/"` and
//! `component_id="<id>"` (runtime §12). The runtime keeps the registry while the component exists
//! and drops it when the component is removed, so its series disappear from `/metrics`; families
//! of one name from several components are merged by the runtime's exposition.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prometheus_client::encoding::text::encode_registry;
use prometheus_client::registry::{Metric, Registry};

/// A registry scoped to one component. Cheap to clone; clones share the registry.
#[derive(Clone, Debug)]
pub struct ComponentMetrics {
    registry: Arc<Mutex<Registry>>,
}

impl ComponentMetrics {
    /// A registry whose series are labelled with `component_id` (and `component_path="/"`).
    pub fn new(component_id: &str) -> Self {
        let registry = Registry::with_labels(
            [
                ("component_path".into(), "/".into()),
                ("component_id".into(), component_id.to_owned().into()),
            ]
            .into_iter(),
        );
        Self {
            registry: Arc::new(Mutex::new(registry)),
        }
    }

    /// Register `metric` under `name` (without a unit suffix; counters get `_total` on
    /// exposition) with `help`.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// Append the text exposition of every series (no `# EOF` line) to `out`.
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        let registry = self.lock();
        let mut text = String::new();
        encode_registry(&mut text, &registry)?;
        out.push_str(&text);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while registering leaves the registry usable: registration is one push.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    #[test]
    fn series_carry_the_component_labels() {
        let metrics = ComponentMetrics::new("local.file.token");
        let reads: Counter = Counter::default();
        metrics.register("local_file_reads", "reads of the file", reads.clone());
        reads.inc();
        let mut text = String::new();
        metrics.encode(&mut text).unwrap();
        assert!(
            text.contains(
                "local_file_reads_total{component_path=\"/\",component_id=\"local.file.token\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE local_file_reads counter"), "{text}");
    }
}
