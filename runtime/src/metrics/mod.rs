//! The runtime's own metrics and the `/metrics` exposition (runtime §12).
//!
//! Design decisions:
//! - One [`prometheus_client`] registry holds the runtime families; the first seven of the
//!   spec's table sit in a sub-registry with the const labels `controller_id=""`,
//!   `controller_path="/"` (in that order, so series read as Alloy's sorted labels do).
//! - Gauges that describe the current graph (health counts, per-component health, data-flow
//!   edges, the config hash) are rewritten from the controller's state when they change or at
//!   scrape time, so a removed component's series vanish with it.
//! - `alloy_component_evaluation_slow_seconds` keeps Alloy's name: prometheus-client would
//!   expose a counter as `…_total`, so this one family is written by hand.
//! - The exposition of the runtime registry, every component registry and the process metrics
//!   are merged by family name ([`exposition::MergedExposition`]).

pub mod exposition;
pub mod process;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};

use ferroalloy_component::HealthState;
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::status::{LoadOutcome, Trigger};

/// Histogram buckets of the evaluation timings, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.005, 0.025, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

type Labels = Vec<(String, String)>;

/// The runtime's metric families.
pub struct RuntimeMetrics {
    registry: Registry,
    /// `alloy_component_controller_running_components{health_type}`
    pub running_components: Family<Labels, Gauge>,
    /// `alloy_component_controller_evaluating`
    pub evaluating: Gauge,
    /// `alloy_component_evaluation_seconds`
    pub evaluation_seconds: Histogram,
    /// `alloy_component_dependencies_wait_seconds`
    pub dependencies_wait_seconds: Histogram,
    /// `alloy_component_evaluation_queue_size`
    pub evaluation_queue_size: Gauge,
    /// `alloy_component_graph_connection{from,to}`
    pub graph_connection: Family<Labels, Gauge>,
    /// `alloy_config_hash{sha256,cluster_name}`
    pub config_hash: Family<Labels, Gauge>,
    /// `alloy_config_last_load_successful`
    pub last_load_successful: Gauge,
    /// `alloy_config_last_load_success_timestamp_seconds`
    pub last_load_success_timestamp: Gauge<f64, AtomicU64>,
    /// `alloy_config_load_failures_total`
    pub load_failures: Counter,
    /// `ferroalloy_component_health{component_id,health_type}`
    pub component_health: Family<Labels, Gauge>,
    /// `ferroalloy_config_loads_total{trigger,outcome}`
    pub loads: Family<Labels, Counter>,
    slow_seconds: Mutex<BTreeMap<String, f64>>,
}

impl Default for RuntimeMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeMetrics {
    /// Every family registered, `alloy_build_info` set.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let running_components = Family::<Labels, Gauge>::default();
        let evaluating = Gauge::default();
        let evaluation_seconds = Histogram::new(BUCKETS);
        let dependencies_wait_seconds = Histogram::new(BUCKETS);
        let evaluation_queue_size = Gauge::default();
        let graph_connection = Family::<Labels, Gauge>::default();
        {
            let controller = registry.sub_registry_with_labels(
                [
                    ("controller_id".into(), "".into()),
                    ("controller_path".into(), "/".into()),
                ]
                .into_iter(),
            );
            controller.register(
                "alloy_component_controller_running_components",
                "Total number of running components.",
                running_components.clone(),
            );
            controller.register(
                "alloy_component_controller_evaluating",
                "Tracks if the controller is currently in the middle of a graph evaluation",
                evaluating.clone(),
            );
            controller.register(
                "alloy_component_evaluation_seconds",
                "Time spent performing component evaluation",
                evaluation_seconds.clone(),
            );
            controller.register(
                "alloy_component_dependencies_wait_seconds",
                "Time spent by components waiting to be evaluated after their dependency is updated.",
                dependencies_wait_seconds.clone(),
            );
            controller.register(
                "alloy_component_evaluation_queue_size",
                "Tracks the number of components waiting to be evaluated in the worker pool",
                evaluation_queue_size.clone(),
            );
            controller.register(
                "alloy_component_graph_connection",
                "The data-flow edges between components: 1 per edge",
                graph_connection.clone(),
            );
        }
        let config_hash = Family::<Labels, Gauge>::default();
        registry.register(
            "alloy_config_hash",
            "Hash of the currently active config file.",
            config_hash.clone(),
        );
        let last_load_successful = Gauge::default();
        registry.register(
            "alloy_config_last_load_successful",
            "Config loaded successfully.",
            last_load_successful.clone(),
        );
        let last_load_success_timestamp = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "alloy_config_last_load_success_timestamp_seconds",
            "Timestamp of the last successful configuration load.",
            last_load_success_timestamp.clone(),
        );
        let load_failures = Counter::default();
        registry.register(
            "alloy_config_load_failures",
            "Configuration load failures.",
            load_failures.clone(),
        );
        let build_info = Family::<Labels, Gauge>::default();
        registry.register(
            "alloy_build_info",
            "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alloy was built, and the goos and goarch for the build.",
            build_info.clone(),
        );
        build_info.get_or_create(&build_info_labels()).set(1);
        let component_health = Family::<Labels, Gauge>::default();
        registry.register(
            "ferroalloy_component_health",
            "1 for the current shown health state of each component, 0 for the other states",
            component_health.clone(),
        );
        let loads = Family::<Labels, Counter>::default();
        registry.register(
            "ferroalloy_config_loads",
            "Configuration loads by trigger and outcome.",
            loads.clone(),
        );
        Self {
            registry,
            running_components,
            evaluating,
            evaluation_seconds,
            dependencies_wait_seconds,
            evaluation_queue_size,
            graph_connection,
            config_hash,
            last_load_successful,
            last_load_success_timestamp,
            load_failures,
            component_health,
            loads,
            slow_seconds: Mutex::new(BTreeMap::new()),
        }
    }

    /// Count one load.
    pub fn record_load(&self, trigger: Trigger, outcome: LoadOutcome, hash: &str, unix_time: f64) {
        self.loads
            .get_or_create(&vec![
                ("trigger".to_owned(), trigger.as_str().to_owned()),
                ("outcome".to_owned(), outcome.as_str().to_owned()),
            ])
            .inc();
        self.config_hash.clear();
        self.config_hash
            .get_or_create(&vec![
                ("sha256".to_owned(), hash.to_owned()),
                ("cluster_name".to_owned(), String::new()),
            ])
            .set(1);
        if outcome == LoadOutcome::Ok {
            self.last_load_successful.set(1);
            self.last_load_success_timestamp.set(unix_time);
        } else {
            self.last_load_successful.set(0);
            self.load_failures.inc();
        }
    }

    /// Replace the data-flow edge series.
    pub fn set_graph_connections<'a>(&self, edges: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.graph_connection.clear();
        for (from, to) in edges {
            self.graph_connection
                .get_or_create(&vec![
                    ("from".to_owned(), from.to_owned()),
                    ("to".to_owned(), to.to_owned()),
                ])
                .set(1);
        }
    }

    /// Replace the health series from the shown state of every component.
    pub fn set_health<'a>(&self, states: impl IntoIterator<Item = (&'a str, HealthState)>) {
        self.component_health.clear();
        let mut counts = [0i64; 4];
        for (id, state) in states {
            for (i, candidate) in HealthState::ALL.iter().enumerate() {
                let current = *candidate == state;
                if current {
                    counts[i] += 1;
                }
                self.component_health
                    .get_or_create(&vec![
                        ("component_id".to_owned(), id.to_owned()),
                        ("health_type".to_owned(), candidate.as_str().to_owned()),
                    ])
                    .set(i64::from(current));
            }
        }
        for (i, state) in HealthState::ALL.iter().enumerate() {
            self.running_components
                .get_or_create(&vec![("health_type".to_owned(), state.as_str().to_owned())])
                .set(counts[i]);
        }
    }

    /// Add `seconds` spent in an evaluation of `id` that took longer than a minute.
    pub fn add_slow_evaluation(&self, id: &str, seconds: f64) {
        let mut slow = self
            .slow_seconds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *slow.entry(id.to_owned()).or_default() += seconds;
    }

    /// Append the runtime families as text exposition (no `# EOF`).
    pub fn encode(&self, out: &mut String) -> std::fmt::Result {
        encode_registry(out, &self.registry)?;
        out.push_str(
            "# HELP alloy_component_evaluation_slow_seconds Number of seconds spent evaluating components that take longer than 1 minute to evaluate\n\
             # TYPE alloy_component_evaluation_slow_seconds counter\n",
        );
        let slow = self
            .slow_seconds
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (id, seconds) in slow.iter() {
            writeln!(
                out,
                "alloy_component_evaluation_slow_seconds{{controller_id=\"\",controller_path=\"/\",component_id=\"{}\"}} {seconds}",
                escape_label(id)
            )?;
        }
        Ok(())
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn build_info_labels() -> Labels {
    let pairs = [
        ("version", concat!("v", env!("CARGO_PKG_VERSION"))),
        ("revision", env!("FERROALLOY_REVISION")),
        ("branch", "HEAD"),
        ("goversion", env!("FERROALLOY_RUSTC_VERSION")),
        ("goos", std::env::consts::OS),
        ("goarch", std::env::consts::ARCH),
        ("tags", "builtinassets"),
    ];
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_families_carry_the_const_labels() {
        let metrics = RuntimeMetrics::new();
        metrics.set_health([("a.b.c", HealthState::Healthy)]);
        let mut out = String::new();
        metrics.encode(&mut out).unwrap();
        assert!(
            out.contains(
                "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 1"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "ferroalloy_component_health{component_id=\"a.b.c\",health_type=\"exited\"} 0"
            ),
            "{out}"
        );
        assert!(out.contains("alloy_build_info{version=\"v"), "{out}");
        assert!(out.contains("alloy_component_evaluation_seconds_bucket{controller_id=\"\",controller_path=\"/\",le=\"0.005\"} 0"), "{out}");
    }
}
