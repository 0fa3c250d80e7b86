//! The stable `receiver` handle of `pyroscope.write` (spec §6, §7, §8.1, §9.1, §10.2).
//!
//! Decisions:
//! - One [`WriteReceiver`] lives as long as the component and is exported once (§6.1). It reads
//!   an [`ArcSwap`] of [`ReceiverState`] (`external_labels` + the endpoint set); Update swaps a
//!   new state in, so every holder uses the new configuration at its next call.
//! - Append and AppendIngest never await: they validate, prepare the payload once (one encoded
//!   series frame, or one rewritten query), wrap it in one `Arc<QueueItem>` and hand that same
//!   item to every endpoint's non-blocking [`Endpoint::enqueue`].
//! - Shutdown is a gate, not a flag read in passing: an Append holds the gate's read lock while it
//!   enqueues, and [`WriteReceiver::stop`] takes the write lock, so once `stop` returns no Append
//!   is half-way through an endpoint set that is about to drain. The lock is a `std` `RwLock`
//!   held only for the non-blocking enqueues.
//! - The rows of §6.3 are checked in order: labels (`Rejected`), then shutdown (`Stopped`), then
//!   the no-op cases (zero samples, zero endpoints).

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use arc_swap::ArcSwap;
use ferroalloy_pyroscope::labels::{ingest_query, push_labels, validate};
use ferroalloy_pyroscope::push::encode_series;
use ferroalloy_pyroscope::{AppendError, Appendable, Appender, IncomingProfile, Labels, RawSample};
use tokio::time::Instant;

use crate::endpoint::{Endpoint, QueueItem, RequestType, WriteMetrics};

/// What Append reads on every call: swapped as a whole by Update (§14 step 3).
#[derive(Debug, Default)]
pub struct ReceiverState {
    /// `external_labels`, applied on both paths (§7.2 step 3, §9.1 step 3).
    pub external_labels: BTreeMap<String, String>,
    /// The live endpoints, in config order.
    pub endpoints: Vec<Endpoint>,
}

/// The handle behind the `receiver` export: the same `Arc` for the component's whole life.
#[derive(Debug)]
pub struct WriteReceiver {
    state: ArcSwap<ReceiverState>,
    /// `true` once shutdown began; Appends hold the read side while they enqueue.
    stopped: RwLock<bool>,
    metrics: WriteMetrics,
}

impl WriteReceiver {
    /// A receiver with `state`, observing call latencies on `metrics`.
    pub fn new(state: ReceiverState, metrics: WriteMetrics) -> Self {
        Self {
            state: ArcSwap::from_pointee(state),
            stopped: RwLock::new(false),
            metrics,
        }
    }

    /// The current state.
    pub fn state(&self) -> Arc<ReceiverState> {
        self.state.load_full()
    }

    /// Swap in a new state; returns the previous one. Appends that already loaded the old
    /// state finish with it (§14 step 7).
    pub fn swap(&self, state: ReceiverState) -> Arc<ReceiverState> {
        self.state.swap(Arc::new(state))
    }

    /// Refuse every later Append (`pyroscope.write is shutting down`) and wait for the ones
    /// enqueuing right now. Idempotent.
    pub fn stop(&self) {
        *self.stopped.write().unwrap_or_else(PoisonError::into_inner) = true;
    }

    /// Whether [`WriteReceiver::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Under the shutdown gate: build the item for the current state (`None`: nothing to
    /// send) and enqueue it into every endpoint of that state.
    fn offer(
        &self,
        make: impl FnOnce(&Arc<ReceiverState>) -> Option<QueueItem>,
    ) -> Result<(), AppendError> {
        let stopped = self.stopped.read().unwrap_or_else(PoisonError::into_inner);
        if *stopped {
            return Err(AppendError::Stopped);
        }
        let state = self.state.load_full();
        if state.endpoints.is_empty() {
            return Ok(());
        }
        if let Some(item) = make(&state) {
            let item = Arc::new(item);
            for endpoint in &state.endpoints {
                endpoint.enqueue(&item);
            }
        }
        drop(stopped);
        Ok(())
    }

    /// Append (§6.3, §7.2, §8.1): validate, drop reserved labels, apply external labels, encode
    /// the series once, enqueue the one item into every endpoint.
    pub fn push(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
        let started = Instant::now();
        let result = self.push_inner(labels, samples);
        self.metrics
            .observe_call(RequestType::Push, started.elapsed().as_secs_f64());
        result
    }

    fn push_inner(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
        validate(&labels)?;
        self.offer(|state| {
            if samples.is_empty() {
                return None;
            }
            // The external labels of the state the item goes to: an item never mixes two
            // configurations.
            let pairs = push_labels(labels, state.external_labels.iter());
            let size = samples.iter().map(|s| s.raw_profile.len() as u64).sum();
            let frame = encode_series(pairs, &samples);
            Some(QueueItem::push(frame, samples.len() as u64, size))
        })
    }

    /// AppendIngest (§6.3, §9.1): validate, rewrite the query once, enqueue the unchanged body
    /// into every endpoint.
    pub fn ingest(&self, profile: IncomingProfile) -> Result<(), AppendError> {
        let started = Instant::now();
        let result = self.ingest_inner(profile);
        self.metrics
            .observe_call(RequestType::Ingest, started.elapsed().as_secs_f64());
        result
    }

    fn ingest_inner(&self, profile: IncomingProfile) -> Result<(), AppendError> {
        let seen = self.state.load_full();
        let query = ingest_query(
            &profile.labels,
            seen.external_labels.iter(),
            &profile.raw_query,
        )?;
        self.offer(|state| {
            // Recomputed only when Update swapped the state since validation.
            let query = if Arc::ptr_eq(state, &seen) {
                query
            } else {
                ingest_query(
                    &profile.labels,
                    state.external_labels.iter(),
                    &profile.raw_query,
                )
                .unwrap_or(query)
            };
            Some(QueueItem::ingest(
                profile.raw_body,
                profile.content_type,
                profile.path,
                query,
            ))
        })
    }
}

#[async_trait::async_trait]
impl Appender for WriteReceiver {
    async fn append(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
        self.push(labels, samples)
    }

    async fn append_ingest(&self, profile: IncomingProfile) -> Result<(), AppendError> {
        self.ingest(profile)
    }
}

/// The `Appendable` inside the exported capsule: hands out the receiver itself (§6.2).
#[derive(Debug)]
pub struct WriteAppendable(pub Arc<WriteReceiver>);

impl Appendable for WriteAppendable {
    fn appender(&self) -> Arc<dyn Appender> {
        Arc::clone(&self.0) as Arc<dyn Appender>
    }
}
