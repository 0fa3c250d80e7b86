//! Delivery to one endpoint: its bounded queue, its workers, its requests and retries (spec
//! `pyroscope-write.md` §8.2–§8.4, §9.2–§9.3, §10, §11, per-endpoint parts of §12–§15).
//!
//! The component puts one shared [`QueueItem`] into every [`Endpoint`] with
//! [`Endpoint::enqueue`], which never blocks and never awaits; `max_shards` workers per endpoint
//! take batches from the head of the queue and send them, retrying per §11.
//!
//! Decisions:
//! - An [`Endpoint`] is a cheap clone of one shared instance; Update keeps the same instance for
//!   an unchanged block (§14), so queue, client, workers and debug counters carry over.
//! - Workers are spawned by [`Endpoint::start`] (with Run) on the endpoint's own `TaskTracker`
//!   and end when the queue is closed and empty, or at once when the endpoint is aborted (the
//!   end of a drain, or the last clone of the endpoint being dropped). An aborted worker counts
//!   its in-flight batch as dropped; leftovers in the queue are counted when the drain ends or,
//!   should nobody drain, when the last reference goes. Nothing is lost without a count (§10.3).
//! - Only one worker at a time takes items ("the filler"): it holds an async lock while it waits
//!   for a first item and, with `max_series_per_send > 1`, for companions. Taken items are in
//!   flight: they no longer count against the queue limits and cannot be evicted.
//! - The HTTP exchange sits behind [`Exchange`] so timelines can run on a paused clock with a
//!   scripted sender; [`HttpExchange`] is the real one over the endpoint's `HttpClient`.
//! - All locks are `std::sync::Mutex`es held for a few field updates, never across an await.
//!   Lock order: queue, then stats.

mod backoff;
mod exchange;
mod metrics;
mod response;
mod worker;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use bytes::Bytes;
use ferroalloy_http_client::{BuildError, ClientOptions, HttpClient};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::EndpointOptions;

pub use backoff::{Backoff, parse_retry_after};
pub use exchange::{
    Exchange, ExchangeError, ExchangeRequest, ExchangeResponse, HttpExchange, RESPONSE_BODY_LIMIT,
};
pub use metrics::{EndpointMetrics, LATENCY_BUCKETS, RequestType, WriteMetrics};

/// What an item carries (§10.1).
#[derive(Clone, Debug)]
pub enum Payload {
    /// One series of an Append: its encoded `PushRequest` frame (§8.1).
    Push {
        /// Tag `0x0A`, varint length, series bytes: itself a one-series `PushRequest`.
        frame: Bytes,
    },
    /// One AppendIngest body, forwarded unchanged (§9).
    Ingest {
        /// The request body exactly as received.
        body: Bytes,
        /// Every incoming `Content-Type` value, in order.
        content_types: Vec<String>,
        /// The incoming path (`/ingest`), joined to the endpoint URL's path.
        path: String,
        /// The rewritten, encoded query (§9.1 step 5), without `?`.
        query: String,
    },
}

/// One unit of work, shared (one `Arc`) by every endpoint queue.
#[derive(Clone, Debug)]
pub struct QueueItem {
    /// The payload.
    pub payload: Payload,
    /// Profiles it counts: the samples of the series, or 1 for an ingest body.
    pub profiles: u64,
    /// Its size: the sum of `raw_profile` lengths, or the ingest body length.
    pub size: u64,
    /// When the Append / AppendIngest call put it in the queues.
    pub enqueued_at: Instant,
}

impl QueueItem {
    /// A push item enqueued now.
    pub fn push(frame: Bytes, profiles: u64, size: u64) -> Self {
        Self {
            payload: Payload::Push { frame },
            profiles,
            size,
            enqueued_at: Instant::now(),
        }
    }

    /// An ingest item enqueued now (1 profile, size = body length).
    pub fn ingest(body: Bytes, content_types: Vec<String>, path: String, query: String) -> Self {
        let size = body.len() as u64;
        Self {
            payload: Payload::Ingest {
                body,
                content_types,
                path,
                query,
            },
            profiles: 1,
            size,
            enqueued_at: Instant::now(),
        }
    }

    /// `Push` or `Ingest`.
    pub fn request_type(&self) -> RequestType {
        match self.payload {
            Payload::Push { .. } => RequestType::Push,
            Payload::Ingest { .. } => RequestType::Ingest,
        }
    }
}

/// Why profiles were dropped (§10.3); the discriminant indexes per-reason arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Evicted as the oldest to make room.
    QueueFull = 0,
    /// Larger than the queue on its own.
    TooLarge = 1,
    /// Reached `profile_age_limit`.
    TooOld = 2,
    /// A non-retryable response or local error.
    Rejected = 3,
    /// The attempt budget is spent.
    RetriesExhausted = 4,
    /// The endpoint was removed by Update.
    Removed = 5,
    /// Still undelivered when the shutdown drain ended.
    Shutdown = 6,
}

impl DropReason {
    /// Every reason, in discriminant order.
    pub const ALL: [DropReason; 7] = [
        Self::QueueFull,
        Self::TooLarge,
        Self::TooOld,
        Self::Rejected,
        Self::RetriesExhausted,
        Self::Removed,
        Self::Shutdown,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::TooLarge => "too_large",
            Self::TooOld => "too_old",
            Self::Rejected => "rejected",
            Self::RetriesExhausted => "retries_exhausted",
            Self::Removed => "removed",
            Self::Shutdown => "shutdown",
        }
    }
}

/// Why an endpoint drains: removal by Update (leftovers `removed`) or shutdown (`shutdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainReason {
    /// Removed by Update (§14 step 5).
    Removed,
    /// The component shuts down (§15).
    Shutdown,
}

impl DrainReason {
    fn drop_reason(self) -> DropReason {
        match self {
            Self::Removed => DropReason::Removed,
            Self::Shutdown => DropReason::Shutdown,
        }
    }
}

/// What a finished drain did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainSummary {
    /// Profiles delivered while draining.
    pub delivered: u64,
    /// Profiles dropped while draining (any reason), leftovers included.
    pub dropped: u64,
}

/// A snapshot of one endpoint for debug info (§13). Counters start at zero when the endpoint is
/// created and belong to this instance only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointState {
    /// `name`.
    pub name: String,
    /// The redacted URL.
    pub url: String,
    /// Whether the endpoint is draining (removed by Update, or shutting down).
    pub draining: bool,
    /// Profiles waiting (not in flight).
    pub queue_profiles: u64,
    /// Bytes waiting.
    pub queue_bytes: u64,
    /// Requests being attempted or waiting to retry.
    pub in_flight_requests: u64,
    /// Profiles taken into batches and not yet sent or dropped.
    pub in_flight_profiles: u64,
    /// Profiles offered to this endpoint.
    pub enqueued_profiles: u64,
    /// Profiles delivered.
    pub sent_profiles: u64,
    /// Profiles dropped, any reason.
    pub dropped_profiles: u64,
    /// Retries made (waits followed by another attempt).
    pub retries: u64,
    /// Dropped profiles per reason, every reason of [`DropReason::ALL`] in that order.
    pub dropped_by_reason: Vec<(&'static str, u64)>,
    /// Failed requests since the last success.
    pub consecutive_failures: u64,
    /// RFC 3339 UTC time of the last delivery, `""` if never.
    pub last_success: String,
    /// RFC 3339 UTC time of the last failure or drop, `""` if never.
    pub last_error_time: String,
    /// The final error text of the last failed request, or `dropped <k> profiles: <reason>`.
    pub last_error: String,
}

/// One endpoint: its options, client, queue and workers. Clones share the instance.
#[derive(Clone)]
pub struct Endpoint {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.handle.shared.options.name)
            .field("url", &self.handle.shared.options.redacted_url)
            .finish_non_exhaustive()
    }
}

/// Owns the workers: dropping the last clone of an [`Endpoint`] aborts them.
struct Handle {
    shared: Arc<Shared>,
    tracker: TaskTracker,
    started: AtomicBool,
    draining: AtomicBool,
    drained: CancellationToken,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.abort.cancel();
    }
}

impl Endpoint {
    /// Build the endpoint's HTTP client (may fail with the client's build error, §14 step 2)
    /// and an idle endpoint: items queue up until [`Endpoint::start`].
    pub fn new(
        options: Arc<EndpointOptions>,
        metrics: &WriteMetrics,
        client_options: &ClientOptions,
    ) -> Result<Self, BuildError> {
        let client = HttpClient::build(&options.config.client, client_options)?;
        Ok(Self::with_exchange(
            options,
            metrics,
            Arc::new(HttpExchange::new(client)),
        ))
    }

    /// An idle endpoint sending through `exchange` (tests use scripted exchanges).
    pub fn with_exchange(
        options: Arc<EndpointOptions>,
        metrics: &WriteMetrics,
        exchange: Arc<dyn Exchange>,
    ) -> Self {
        let metrics = metrics.endpoint(&options.redacted_url);
        metrics
            .queue_capacity_profiles
            .inc_by(i64::try_from(options.queue.capacity).unwrap_or(i64::MAX));
        metrics
            .queue_capacity_bytes
            .inc_by(i64::try_from(options.queue.capacity_bytes).unwrap_or(i64::MAX));
        let headers = worker::RequestHeaders::new(&options.headers, options.remote_timeout);
        let shared = Arc::new(Shared {
            headers,
            options,
            metrics,
            exchange,
            queue: Mutex::new(Queue::default()),
            stats: Mutex::new(Stats::default()),
            notify: Notify::new(),
            filler: tokio::sync::Mutex::new(()),
            closing: CancellationToken::new(),
            abort: CancellationToken::new(),
            drain_reason: AtomicU8::new(DropReason::Shutdown as u8),
            drain_deadline: Mutex::new(None),
            finished: AtomicBool::new(false),
        });
        Self {
            handle: Arc::new(Handle {
                shared,
                tracker: TaskTracker::new(),
                started: AtomicBool::new(false),
                draining: AtomicBool::new(false),
                drained: CancellationToken::new(),
            }),
        }
    }

    /// The options this endpoint runs with.
    pub fn options(&self) -> &Arc<EndpointOptions> {
        &self.handle.shared.options
    }

    /// Whether `self` and `other` are the same instance.
    pub fn ptr_eq(&self, other: &Endpoint) -> bool {
        Arc::ptr_eq(&self.handle, &other.handle)
    }

    /// Spawn the `max_shards` workers (once; later calls do nothing). Must run inside a tokio
    /// runtime.
    pub fn start(&self) {
        let h = &self.handle;
        if h.started.swap(true, Ordering::SeqCst) {
            return;
        }
        for _ in 0..h.shared.options.queue.max_shards {
            h.tracker.spawn(worker::run(Arc::clone(&h.shared)));
        }
    }

    /// Offer `item` (§10.2): count it, then drop it `too_large`, or evict from the head
    /// (`queue_full`) until it fits and append it; a closed queue drops it `removed`. Never
    /// blocks on the network and never fails: drops are counted, not returned.
    pub fn enqueue(&self, item: &Arc<QueueItem>) {
        let s = &self.handle.shared;
        let opts = &s.options.queue;
        s.metrics.enqueued_profiles.inc_by(item.profiles);
        s.lock_stats().enqueued += item.profiles;
        let mut evicted = Vec::new();
        let refused = {
            let mut q = s.lock_queue();
            if q.closed {
                Some(DropReason::Removed)
            } else if item.profiles > opts.capacity as u64 || item.size > opts.capacity_bytes {
                Some(DropReason::TooLarge)
            } else {
                while q.profiles + item.profiles > opts.capacity as u64
                    || q.bytes + item.size > opts.capacity_bytes
                {
                    match s.pop_front(&mut q) {
                        Some(old) => evicted.push(old),
                        None => break,
                    }
                }
                q.profiles += item.profiles;
                q.bytes += item.size;
                q.items.push_back(Arc::clone(item));
                s.metrics.queue_profiles.inc_by(gauge(item.profiles));
                s.metrics.queue_bytes.inc_by(gauge(item.size));
                None
            }
        };
        if !evicted.is_empty() {
            s.drop_items(&evicted, DropReason::QueueFull, false, None);
        }
        match refused {
            Some(reason) => s.drop_items(std::slice::from_ref(item), reason, false, None),
            None => s.notify.notify_one(),
        }
    }

    /// Close the queue and deliver what is queued and in flight until `deadline`; then abort
    /// in-flight requests and drop the rest with `reason` (§14 step 5, §15). Starts the workers
    /// if Run never did. A second call waits for the first drain and keeps its deadline.
    pub async fn drain(&self, deadline: Instant, reason: DrainReason) -> DrainSummary {
        let h = &self.handle;
        let s = &h.shared;
        if h.draining.swap(true, Ordering::SeqCst) {
            h.drained.cancelled().await;
            return DrainSummary::default();
        }
        let (sent_before, dropped_before) = {
            let st = s.lock_stats();
            (st.sent, st.dropped)
        };
        s.drain_reason
            .store(reason.drop_reason() as u8, Ordering::SeqCst);
        *s.drain_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(deadline);
        s.lock_queue().closed = true;
        s.closing.cancel();
        self.start();
        h.tracker.close();
        if s.options.queue.drain_timeout.is_zero() {
            s.abort.cancel();
        }
        tokio::select! {
            () = h.tracker.wait() => {}
            () = tokio::time::sleep_until(deadline) => {
                s.abort.cancel();
                h.tracker.wait().await;
            }
        }
        s.finish();
        let summary = {
            let st = s.lock_stats();
            DrainSummary {
                delivered: st.sent - sent_before,
                dropped: st.dropped - dropped_before,
            }
        };
        if summary.dropped > 0 {
            tracing::warn!(
                endpoint = %s.options.redacted_url,
                name = %s.options.name,
                delivered = summary.delivered,
                dropped = summary.dropped,
                reason = reason.drop_reason().as_str(),
                "endpoint drain finished with drops"
            );
        } else {
            tracing::info!(
                endpoint = %s.options.redacted_url,
                name = %s.options.name,
                delivered = summary.delivered,
                dropped = summary.dropped,
                "endpoint drain finished"
            );
        }
        h.drained.cancel();
        summary
    }

    /// Whether [`Endpoint::drain`] has been called.
    pub fn is_draining(&self) -> bool {
        self.handle.draining.load(Ordering::SeqCst)
    }

    /// Whether the endpoint's workers have all ended after a drain.
    pub fn is_drained(&self) -> bool {
        self.handle.drained.is_cancelled()
    }

    /// A snapshot for debug info (§13).
    pub fn state(&self) -> EndpointState {
        let s = &self.handle.shared;
        let (queue_profiles, queue_bytes) = {
            let q = s.lock_queue();
            (q.profiles, q.bytes)
        };
        let st = s.lock_stats();
        EndpointState {
            name: s.options.name.clone(),
            url: s.options.redacted_url.clone(),
            draining: self.is_draining(),
            queue_profiles,
            queue_bytes,
            in_flight_requests: st.in_flight_requests,
            in_flight_profiles: st.in_flight_profiles,
            enqueued_profiles: st.enqueued,
            sent_profiles: st.sent,
            dropped_profiles: st.dropped,
            retries: st.retries,
            dropped_by_reason: DropReason::ALL
                .iter()
                .map(|r| (r.as_str(), st.dropped_by_reason[*r as usize]))
                .collect(),
            consecutive_failures: st.consecutive_failures,
            last_success: st.last_success.map(backoff::rfc3339).unwrap_or_default(),
            last_error_time: st.last_error_time.map(backoff::rfc3339).unwrap_or_default(),
            last_error: st.last_error.clone(),
        }
    }
}

fn gauge(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Arc<QueueItem>>,
    profiles: u64,
    bytes: u64,
    closed: bool,
}

#[derive(Default)]
struct Stats {
    enqueued: u64,
    sent: u64,
    dropped: u64,
    dropped_by_reason: [u64; DropReason::ALL.len()],
    retries: u64,
    consecutive_failures: u64,
    in_flight_requests: u64,
    in_flight_profiles: u64,
    last_success: Option<SystemTime>,
    last_error_time: Option<SystemTime>,
    last_error: String,
    drop_log: [DropLog; DropReason::ALL.len()],
}

/// Rate limit of the warn line for `queue_full`, `too_large` and `too_old` drops (§16).
#[derive(Default, Clone, Copy)]
struct DropLog {
    last: Option<Instant>,
    pending: u64,
}

const DROP_LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// State shared by an endpoint's handle and workers.
struct Shared {
    options: Arc<EndpointOptions>,
    /// The constant request headers, built once from `options`.
    headers: worker::RequestHeaders,
    metrics: EndpointMetrics,
    exchange: Arc<dyn Exchange>,
    queue: Mutex<Queue>,
    stats: Mutex<Stats>,
    /// Wakes the filler when an item arrives.
    notify: Notify,
    /// Held by the one worker taking items.
    filler: tokio::sync::Mutex<()>,
    /// The queue is closed: workers end once it is empty.
    closing: CancellationToken,
    /// Stop now: abort in-flight requests and waits.
    abort: CancellationToken,
    /// The [`DropReason`] of what an abort leaves.
    drain_reason: AtomicU8,
    /// The drain deadline, which also bounds attempts.
    drain_deadline: Mutex<Option<Instant>>,
    /// Leftovers and gauge contributions have been accounted.
    finished: AtomicBool,
}

impl Shared {
    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn drain_reason(&self) -> DropReason {
        let v = self.drain_reason.load(Ordering::SeqCst) as usize;
        DropReason::ALL
            .get(v)
            .copied()
            .unwrap_or(DropReason::Shutdown)
    }

    fn drain_deadline(&self) -> Option<Instant> {
        *self
            .drain_deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Remove the head item, updating the queue sums and gauges.
    fn pop_front(&self, q: &mut Queue) -> Option<Arc<QueueItem>> {
        let item = q.items.pop_front()?;
        q.profiles -= item.profiles;
        q.bytes -= item.size;
        self.metrics.queue_profiles.dec_by(gauge(item.profiles));
        self.metrics.queue_bytes.dec_by(gauge(item.size));
        Some(item)
    }

    /// Whether `item` has reached `profile_age_limit` at `now`.
    fn too_old(&self, item: &QueueItem, now: Instant) -> bool {
        self.options
            .queue
            .profile_age_limit
            .is_some_and(|limit| now.saturating_duration_since(item.enqueued_at) >= limit)
    }

    /// Count `items` as dropped for `reason`. `in_flight`: they had been taken from the queue.
    /// `error`: the final error text of a failed request (else `dropped <k> profiles: <reason>`).
    fn drop_items(
        &self,
        items: &[Arc<QueueItem>],
        reason: DropReason,
        in_flight: bool,
        error: Option<String>,
    ) {
        let profiles: u64 = items.iter().map(|i| i.profiles).sum();
        let bytes: u64 = items.iter().map(|i| i.size).sum();
        if items.is_empty() {
            return;
        }
        self.metrics.count_drop(reason, profiles, bytes);
        let log_now = {
            let mut st = self.lock_stats();
            st.dropped += profiles;
            st.dropped_by_reason[reason as usize] += profiles;
            if in_flight {
                st.in_flight_profiles = st.in_flight_profiles.saturating_sub(profiles);
            }
            st.last_error = error
                .unwrap_or_else(|| format!("dropped {profiles} profiles: {}", reason.as_str()));
            st.last_error_time = Some(SystemTime::now());
            if matches!(
                reason,
                DropReason::QueueFull | DropReason::TooLarge | DropReason::TooOld
            ) {
                let now = Instant::now();
                let log = &mut st.drop_log[reason as usize];
                log.pending += profiles;
                if log
                    .last
                    .is_none_or(|last| now.saturating_duration_since(last) >= DROP_LOG_INTERVAL)
                {
                    log.last = Some(now);
                    Some(std::mem::take(&mut log.pending))
                } else {
                    None
                }
            } else {
                None
            }
        };
        if let Some(count) = log_now {
            tracing::warn!(
                endpoint = %self.options.redacted_url,
                reason = reason.as_str(),
                count,
                "dropped profiles"
            );
        }
    }

    /// Count `items` as delivered.
    fn count_sent(&self, items: &[Arc<QueueItem>]) {
        let profiles: u64 = items.iter().map(|i| i.profiles).sum();
        let bytes: u64 = items.iter().map(|i| i.size).sum();
        self.metrics.sent_profiles.inc_by(profiles);
        self.metrics.sent_bytes.inc_by(bytes);
        let mut st = self.lock_stats();
        st.sent += profiles;
        st.in_flight_profiles = st.in_flight_profiles.saturating_sub(profiles);
        st.consecutive_failures = 0;
        st.last_success = Some(SystemTime::now());
    }

    /// Drop what is still queued with the drain reason and take back the capacity gauges
    /// (once).
    fn finish(&self) {
        if self.finished.swap(true, Ordering::SeqCst) {
            return;
        }
        let leftovers: Vec<_> = {
            let mut q = self.lock_queue();
            q.closed = true;
            let mut out = Vec::with_capacity(q.items.len());
            while let Some(item) = self.pop_front(&mut q) {
                out.push(item);
            }
            out
        };
        self.drop_items(&leftovers, self.drain_reason(), false, None);
        let q = &self.options.queue;
        self.metrics
            .queue_capacity_profiles
            .dec_by(i64::try_from(q.capacity).unwrap_or(i64::MAX));
        self.metrics
            .queue_capacity_bytes
            .dec_by(i64::try_from(q.capacity_bytes).unwrap_or(i64::MAX));
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.finish();
    }
}
