//! The component's metrics (spec §10): connection gauges (MUST) and per-route request metrics
//! (SHOULD), registered once in the component's own registry.

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use ferroalloy_component::ComponentMetrics;

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn size_histogram() -> Histogram {
    // 1 KiB … 256 MiB, by powers of 4.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        1024.0, 4.0, 10,
    ))
}

/// The metric families of one component.
#[derive(Clone, Debug)]
pub struct Metrics {
    connections: Gauge,
    connections_limit: Gauge,
    duration: HistogramFamily,
    message_bytes: HistogramFamily,
    inflight: Family<Labels, Gauge>,
}

impl Metrics {
    /// Register every family in `registry`.
    pub fn register(registry: &ComponentMetrics) -> Self {
        let connections_family = Family::<Labels, Gauge>::default();
        let limit_family = Family::<Labels, Gauge>::default();
        let protocol: Labels = vec![("protocol", "http".to_owned())];
        let connections = connections_family.get_or_create(&protocol).clone();
        let connections_limit = limit_family.get_or_create(&protocol).clone();
        registry.register(
            "pyroscope_receive_http_tcp_connections",
            "Current number of accepted TCP connections.",
            connections_family,
        );
        registry.register(
            "pyroscope_receive_http_tcp_connections_limit",
            "The maximum number of TCP connections that can be accepted (0 = no limit).",
            limit_family,
        );
        let duration: HistogramFamily = Family::new_with_constructor(duration_histogram);
        let message_bytes: HistogramFamily = Family::new_with_constructor(size_histogram);
        let inflight = Family::<Labels, Gauge>::default();
        registry.register(
            "pyroscope_receive_http_request_duration_seconds",
            "Time (in seconds) spent serving HTTP requests.",
            duration.clone(),
        );
        registry.register(
            "pyroscope_receive_http_request_message_bytes",
            "Size (in bytes) of messages received in the request.",
            message_bytes.clone(),
        );
        registry.register(
            "pyroscope_receive_http_inflight_requests",
            "Current number of inflight requests.",
            inflight.clone(),
        );
        Self {
            connections,
            connections_limit,
            duration,
            message_bytes,
            inflight,
        }
    }

    /// Set the open-connection gauge.
    pub fn set_connections(&self, n: usize) {
        self.connections.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// Set the connection-limit gauge (0 = none).
    pub fn set_connections_limit(&self, n: usize) {
        self.connections_limit
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    /// A request started.
    pub fn request_started(&self, method: &str, route: &'static str) {
        self.inflight
            .get_or_create(&method_route(method, route))
            .inc();
    }

    /// A request ended with `status` after `seconds`, having read `bytes` of body.
    pub fn request_finished(
        &self,
        method: &str,
        route: &'static str,
        status: u16,
        seconds: f64,
        bytes: usize,
    ) {
        let labels = method_route(method, route);
        self.inflight.get_or_create(&labels).dec();
        self.message_bytes
            .get_or_create(&labels)
            .observe(bytes as f64);
        let mut labels = labels;
        labels.push(("status_code", status.to_string()));
        labels.push(("ws", "false".to_owned()));
        self.duration.get_or_create(&labels).observe(seconds);
    }
}

fn method_route(method: &str, route: &'static str) -> Labels {
    vec![("method", method.to_owned()), ("route", route.to_owned())]
}
