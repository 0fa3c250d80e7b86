//! The component's metrics (spec §7), registered once in its own registry:
//! `pyroscope_fanout_latency` (histogram, seconds, Prometheus' default buckets) and
//! `pyroscope_forwarded_entries_total` (counter).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;

use ferroalloy_component::ComponentMetrics;

/// Prometheus' default histogram buckets (Go client `prometheus.DefBuckets`).
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metric handles of one component. Cheap to clone; clones share the series.
#[derive(Clone, Debug)]
pub struct ScrapeMetrics {
    fanout_latency: Histogram,
    forwarded_entries: Counter,
}

impl ScrapeMetrics {
    /// Register both metrics in `registry`.
    pub fn register(registry: &ComponentMetrics) -> Self {
        let fanout_latency = Histogram::new(DEFAULT_BUCKETS);
        let forwarded_entries = Counter::default();
        registry.register(
            "pyroscope_fanout_latency",
            "Write latency for sending to pyroscope profiles.",
            fanout_latency.clone(),
        );
        registry.register(
            "pyroscope_forwarded_entries",
            "Number of profiles forwarded to the receivers of forward_to.",
            forwarded_entries.clone(),
        );
        Self {
            fanout_latency,
            forwarded_entries,
        }
    }

    /// Unregistered handles, for jobs run outside a component (unit tests).
    pub fn detached() -> Self {
        Self {
            fanout_latency: Histogram::new(DEFAULT_BUCKETS),
            forwarded_entries: Counter::default(),
        }
    }

    /// One fan-out took `seconds`.
    pub fn observe_fanout(&self, seconds: f64) {
        self.fanout_latency.observe(seconds);
    }

    /// `n` samples reached every receiver.
    pub fn forwarded(&self, n: u64) {
        self.forwarded_entries.inc_by(n);
    }
}
