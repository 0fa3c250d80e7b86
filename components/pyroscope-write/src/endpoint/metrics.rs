//! The metrics of §12.
//!
//! Decisions:
//! - Every family is registered once per component ([`WriteMetrics::register`]); an endpoint
//!   takes its handles with [`WriteMetrics::endpoint`]. Endpoints that share a redacted URL share
//!   series, so gauges only ever move by increments and decrements, never `set`.
//! - The HELP texts of Alloy's metrics are Alloy's; the added metrics have their own.
//! - The per-request series (`pyroscope_write_latency` by stage, `pyroscope_write_requests` by
//!   status code, the `-` call latencies) are looked up in their family once, on first use, and
//!   the handle is kept: a series still appears only once something was observed in it, but a
//!   request no longer builds a label vector and hashes it into the family's map.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ferroalloy_component::ComponentMetrics;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::DropReason;

/// A label set: `(name, value)` pairs.
type Labels = Vec<(&'static str, String)>;

/// The buckets of `pyroscope_write_latency`, in seconds.
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The kind of request a latency or request count belongs to; the discriminant indexes
/// per-kind handle caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// Connect push of series.
    Push = 0,
    /// Raw `/ingest` forwarding.
    Ingest = 1,
}

/// The stage a `pyroscope_write_latency{type="<kind>_<stage>"}` observation measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Enqueue to first attempt.
    Queue = 0,
    /// First attempt to the end of the request (retries included).
    Endpoint = 1,
    /// One attempt.
    Downstream = 2,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Endpoint => "endpoint",
            Self::Downstream => "downstream",
        }
    }
}

/// The per-request series of one endpoint, resolved on first use.
#[derive(Debug, Default)]
struct SeriesCache {
    /// `pyroscope_write_latency`, indexed by `kind * 3 + stage`.
    latency: [OnceLock<Histogram>; 6],
    /// `pyroscope_write_requests` by kind and status code (a handful of codes per endpoint).
    requests: Mutex<Vec<(RequestType, String, Counter)>>,
}

impl RequestType {
    /// `push` or `ingest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Ingest => "ingest",
        }
    }
}

/// Every metric family of `pyroscope.write`, registered on one component's registry.
#[derive(Clone, Debug)]
pub struct WriteMetrics {
    inner: Arc<Families>,
}

#[derive(Debug)]
struct Families {
    sent_bytes: Family<Labels, Counter>,
    dropped_bytes: Family<Labels, Counter>,
    sent_profiles: Family<Labels, Counter>,
    dropped_profiles: Family<Labels, Counter>,
    retries: Family<Labels, Counter>,
    latency: HistogramFamily,
    enqueued_profiles: Family<Labels, Counter>,
    dropped_by_reason: Family<Labels, Counter>,
    queue_profiles: Family<Labels, Gauge>,
    queue_bytes: Family<Labels, Gauge>,
    queue_capacity_profiles: Family<Labels, Gauge>,
    queue_capacity_bytes: Family<Labels, Gauge>,
    in_flight_requests: Family<Labels, Gauge>,
    requests: Family<Labels, Counter>,
    /// `endpoint="-"` call latencies, indexed by [`RequestType`]; filled on first use.
    calls: [OnceLock<Histogram>; 2],
}

impl WriteMetrics {
    /// Create the families and register them on `registry` (once per component).
    pub fn register(registry: &ComponentMetrics) -> Self {
        let f = Families {
            sent_bytes: Family::default(),
            dropped_bytes: Family::default(),
            sent_profiles: Family::default(),
            dropped_profiles: Family::default(),
            retries: Family::default(),
            latency: HistogramFamily::new_with_constructor(latency_histogram),
            enqueued_profiles: Family::default(),
            dropped_by_reason: Family::default(),
            queue_profiles: Family::default(),
            queue_bytes: Family::default(),
            queue_capacity_profiles: Family::default(),
            queue_capacity_bytes: Family::default(),
            in_flight_requests: Family::default(),
            requests: Family::default(),
            calls: [OnceLock::new(), OnceLock::new()],
        };
        registry.register(
            "pyroscope_write_sent_bytes",
            "Total number of compressed bytes sent to Pyroscope.",
            f.sent_bytes.clone(),
        );
        registry.register(
            "pyroscope_write_dropped_bytes",
            "Total number of compressed bytes dropped by Pyroscope.",
            f.dropped_bytes.clone(),
        );
        registry.register(
            "pyroscope_write_sent_profiles",
            "Total number of profiles sent to Pyroscope.",
            f.sent_profiles.clone(),
        );
        registry.register(
            "pyroscope_write_dropped_profiles",
            "Total number of profiles dropped by Pyroscope.",
            f.dropped_profiles.clone(),
        );
        registry.register(
            "pyroscope_write_retries",
            "Total number of retries to Pyroscope.",
            f.retries.clone(),
        );
        registry.register(
            "pyroscope_write_latency",
            "Write latency for sending profiles to pyroscope",
            f.latency.clone(),
        );
        registry.register(
            "pyroscope_write_enqueued_profiles",
            "Total number of profiles offered to the endpoint's queue.",
            f.enqueued_profiles.clone(),
        );
        registry.register(
            "pyroscope_write_dropped_profiles_by_reason",
            "Total number of profiles dropped, by reason.",
            f.dropped_by_reason.clone(),
        );
        registry.register(
            "pyroscope_write_queue_profiles",
            "Number of profiles waiting in the endpoint's queue.",
            f.queue_profiles.clone(),
        );
        registry.register(
            "pyroscope_write_queue_bytes",
            "Number of bytes waiting in the endpoint's queue.",
            f.queue_bytes.clone(),
        );
        registry.register(
            "pyroscope_write_queue_capacity_profiles",
            "Configured queue capacity in profiles.",
            f.queue_capacity_profiles.clone(),
        );
        registry.register(
            "pyroscope_write_queue_capacity_bytes",
            "Configured queue capacity in bytes.",
            f.queue_capacity_bytes.clone(),
        );
        registry.register(
            "pyroscope_write_in_flight_requests",
            "Number of requests being attempted or waiting to retry.",
            f.in_flight_requests.clone(),
        );
        registry.register(
            "pyroscope_write_requests",
            "Total number of request attempts, by type and status code.",
            f.requests.clone(),
        );
        Self { inner: Arc::new(f) }
    }

    /// Observe the duration of an Append (`push_total`) or AppendIngest (`ingest_total`) call,
    /// with `endpoint="-"`.
    pub fn observe_call(&self, kind: RequestType, seconds: f64) {
        self.inner.calls[kind as usize]
            .get_or_init(|| {
                let ty = match kind {
                    RequestType::Push => "push_total",
                    RequestType::Ingest => "ingest_total",
                };
                self.inner.latency.get_or_create_owned(&vec![
                    ("endpoint", "-".to_owned()),
                    ("type", ty.to_owned()),
                ])
            })
            .observe(seconds);
    }

    /// The handles of one endpoint, labelled `endpoint=<redacted_url>`.
    pub fn endpoint(&self, redacted_url: &str) -> EndpointMetrics {
        let f = &self.inner;
        let l: Labels = vec![("endpoint", redacted_url.to_owned())];
        let by_reason = DropReason::ALL.map(|reason| {
            f.dropped_by_reason.get_or_create_owned(&vec![
                ("endpoint", redacted_url.to_owned()),
                ("reason", reason.as_str().to_owned()),
            ])
        });
        EndpointMetrics {
            families: self.clone(),
            endpoint: redacted_url.to_owned(),
            cache: Arc::default(),
            sent_bytes: f.sent_bytes.get_or_create_owned(&l),
            dropped_bytes: f.dropped_bytes.get_or_create_owned(&l),
            sent_profiles: f.sent_profiles.get_or_create_owned(&l),
            dropped_profiles: f.dropped_profiles.get_or_create_owned(&l),
            retries: f.retries.get_or_create_owned(&l),
            enqueued_profiles: f.enqueued_profiles.get_or_create_owned(&l),
            dropped_by_reason: by_reason,
            queue_profiles: f.queue_profiles.get_or_create_owned(&l),
            queue_bytes: f.queue_bytes.get_or_create_owned(&l),
            queue_capacity_profiles: f.queue_capacity_profiles.get_or_create_owned(&l),
            queue_capacity_bytes: f.queue_capacity_bytes.get_or_create_owned(&l),
            in_flight_requests: f.in_flight_requests.get_or_create_owned(&l),
        }
    }
}

/// The metric handles of one endpoint (label `endpoint` = its redacted URL).
#[derive(Clone, Debug)]
pub struct EndpointMetrics {
    families: WriteMetrics,
    endpoint: String,
    cache: Arc<SeriesCache>,
    pub(super) sent_bytes: Counter,
    pub(super) dropped_bytes: Counter,
    pub(super) sent_profiles: Counter,
    pub(super) dropped_profiles: Counter,
    pub(super) retries: Counter,
    pub(super) enqueued_profiles: Counter,
    pub(super) dropped_by_reason: [Counter; DropReason::ALL.len()],
    pub(super) queue_profiles: Gauge,
    pub(super) queue_bytes: Gauge,
    pub(super) queue_capacity_profiles: Gauge,
    pub(super) queue_capacity_bytes: Gauge,
    pub(super) in_flight_requests: Gauge,
}

impl EndpointMetrics {
    /// The `endpoint` label value.
    pub fn endpoint_label(&self) -> &str {
        &self.endpoint
    }

    /// Count one attempt in `pyroscope_write_requests_total`.
    pub(super) fn count_request(&self, kind: RequestType, status_code: &str) {
        let counter = {
            let mut known = self
                .cache
                .requests
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match known
                .iter()
                .find(|(k, code, _)| *k == kind && code == status_code)
            {
                Some((_, _, counter)) => counter.clone(),
                None => {
                    let counter = self.families.inner.requests.get_or_create_owned(&vec![
                        ("endpoint", self.endpoint.clone()),
                        ("type", kind.as_str().to_owned()),
                        ("status_code", status_code.to_owned()),
                    ]);
                    known.push((kind, status_code.to_owned(), counter.clone()));
                    counter
                }
            }
        };
        counter.inc();
    }

    /// Observe `pyroscope_write_latency{type="<kind>_<stage>"}`.
    pub(super) fn observe_latency(&self, kind: RequestType, stage: Stage, seconds: f64) {
        self.cache.latency[kind as usize * 3 + stage as usize]
            .get_or_init(|| {
                self.families.inner.latency.get_or_create_owned(&vec![
                    ("endpoint", self.endpoint.clone()),
                    ("type", format!("{}_{}", kind.as_str(), stage.as_str())),
                ])
            })
            .observe(seconds);
    }

    /// Count a drop of `profiles` profiles of `bytes` bytes for `reason`.
    pub(super) fn count_drop(&self, reason: DropReason, profiles: u64, bytes: u64) {
        self.dropped_profiles.inc_by(profiles);
        self.dropped_bytes.inc_by(bytes);
        self.dropped_by_reason[reason as usize].inc_by(profiles);
    }
}
