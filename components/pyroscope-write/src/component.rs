//! The `pyroscope.write` component: build, run, update, shutdown and debug info (spec §6.1,
//! §13–§15).
//!
//! Decisions:
//! - Build registers the metric families once, builds one [`Endpoint`] per block (each with its
//!   own HTTP client, so a bad `ca_file` fails the build) and publishes the `receiver` capsule
//!   **once**; Update never publishes (§6.1).
//! - Update matches new blocks to running endpoints by full configuration equality, first
//!   unmatched equal endpoint wins (§14 step 1). Only unmatched blocks get new endpoints; when
//!   any of them fails to build nothing changes. Matched endpoints are the same objects (queue,
//!   client, workers, counters). Removed ones drain on a task the component owns and are shown
//!   in debug info until their drain ends.
//! - Health: the component reports none of its own (runtime §9): a failed build or Update is
//!   shown by the runtime's evaluation health; delivery never affects health (§13).
//! - Run starts the workers and waits; at cancellation it closes the receiver gate and drains
//!   every endpoint concurrently, each bounded by its own `drain_timeout` (§15). If Run's future
//!   is dropped early a guard still stops the receiver and releases every endpoint, whose own
//!   drop aborts its workers and counts what is left as `shutdown`.
//! - Endpoints are created through an [`ExchangeFactory`]: the real one sends over the
//!   endpoint's HTTP client, tests substitute scripted senders to run timelines on a paused
//!   clock (§18).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferroalloy_component::{
    ArgErrors, Arguments, BuildError, Component, EncodedBody, ExportSpec, Exports, Options,
};
use ferroalloy_http_client::{ClientOptions, HttpClient};
use ferroalloy_pyroscope::{ProfilesReceiver, ReceiverRef};
use ferroalloy_value::Object;
use ferroalloy_value::decode::ArgPath;
use ferroalloy_value::value::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::config::{EndpointOptions, PyroscopeWriteArguments};
use crate::endpoint::{DrainReason, Endpoint, EndpointState, Exchange, HttpExchange, WriteMetrics};
use crate::receiver::{ReceiverState, WriteAppendable, WriteReceiver};

/// Creates the exchange (the request sender) of a new endpoint; fails with the client's build
/// error text (`unable to read CA cert: …`).
pub type ExchangeFactory =
    Arc<dyn Fn(&EndpointOptions) -> Result<Arc<dyn Exchange>, String> + Send + Sync>;

/// The real exchange factory: an [`HttpClient`] built from the endpoint's client settings.
pub fn http_exchanges(client_options: ClientOptions) -> ExchangeFactory {
    Arc::new(move |options: &EndpointOptions| {
        let client = HttpClient::build(&options.config.client, &client_options)
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(HttpExchange::new(client)) as Arc<dyn Exchange>)
    })
}

/// The exports of `pyroscope.write`: the `receiver` capsule.
#[derive(Clone, Debug)]
pub struct PyroscopeWriteExports {
    /// The stable receiver handle (capsule type `pyroscope.Appendable`).
    pub receiver: ReceiverRef,
}

impl Exports for PyroscopeWriteExports {
    fn specs() -> &'static [ExportSpec] {
        &[ExportSpec {
            name: "receiver",
            receiver: true,
        }]
    }

    fn to_object(&self) -> Object {
        let mut object = Object::new();
        object.insert("receiver", self.receiver.to_capsule());
        object
    }
}

/// A running `pyroscope.write`.
pub struct PyroscopeWrite {
    opts: Options,
    receiver: Arc<WriteReceiver>,
    exports: PyroscopeWriteExports,
    metrics: WriteMetrics,
    exchanges: ExchangeFactory,
    inner: Mutex<Inner>,
    /// Drains of endpoints removed by Update, and of every endpoint at shutdown.
    drains: TaskTracker,
    /// Cuts the drain tasks short when Run's future is dropped.
    abort_drains: CancellationToken,
}

impl std::fmt::Debug for PyroscopeWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyroscopeWrite")
            .field("id", &self.opts.id)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    running: bool,
    shut_down: bool,
    /// The live endpoints, in config order (the same list the receiver state holds).
    active: Vec<Endpoint>,
    /// Endpoints removed by Update, with their last index, until their drain ends.
    draining: Vec<(usize, Endpoint)>,
}

impl PyroscopeWrite {
    /// Build with `exchanges` creating each endpoint's sender (tests pass scripted ones).
    pub async fn build_with(
        opts: Options,
        args: PyroscopeWriteArguments,
        exchanges: ExchangeFactory,
    ) -> Result<Arc<Self>, BuildError> {
        args.validate()?;
        let metrics = WriteMetrics::register(&opts.metrics);
        let endpoints = {
            let _span = opts.span.enter();
            let mut endpoints = Vec::with_capacity(args.endpoints.len());
            for (i, cfg) in args.endpoints.iter().enumerate() {
                let endpoint = new_endpoint(i, cfg, &metrics, &exchanges)?;
                tracing::info!(
                    endpoint = %endpoint.options().redacted_url,
                    name = %endpoint.options().name,
                    state = "added",
                    "endpoint configured"
                );
                endpoints.push(endpoint);
            }
            endpoints
        };
        let receiver = Arc::new(WriteReceiver::new(
            ReceiverState {
                external_labels: args.external_labels.clone(),
                endpoints: endpoints.clone(),
            },
            metrics.clone(),
        ));
        let exports = PyroscopeWriteExports {
            receiver: ProfilesReceiver::capsule(Arc::new(WriteAppendable(Arc::clone(&receiver)))),
        };
        opts.publish(&exports);
        Ok(Arc::new(Self {
            opts,
            receiver,
            exports,
            metrics,
            exchanges,
            inner: Mutex::new(Inner {
                active: endpoints,
                ..Inner::default()
            }),
            drains: TaskTracker::new(),
            abort_drains: CancellationToken::new(),
        }))
    }

    /// The stable receiver handle (the object inside the exported capsule).
    pub fn receiver(&self) -> &Arc<WriteReceiver> {
        &self.receiver
    }

    /// The published exports (the same value for the component's whole life).
    pub fn exports(&self) -> &PyroscopeWriteExports {
        &self.exports
    }

    /// Snapshots of the live endpoints (config order) then the draining ones, with their index.
    pub fn endpoint_states(&self) -> Vec<(usize, EndpointState)> {
        let inner = self.lock();
        let mut out: Vec<(usize, EndpointState)> = inner
            .active
            .iter()
            .enumerate()
            .map(|(i, e)| (i, e.state()))
            .collect();
        out.extend(
            inner
                .draining
                .iter()
                .filter(|(_, e)| !e.is_drained())
                .map(|(i, e)| (*i, e.state())),
        );
        out
    }

    /// The live endpoints, in config order (tests compare identities across updates).
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.lock().active.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drain `endpoint` on a task the component owns (stopped early only when Run is dropped).
    fn spawn_drain(&self, endpoint: Endpoint, reason: DrainReason) {
        let deadline = Instant::now() + endpoint.options().queue.drain_timeout;
        let abort = self.abort_drains.clone();
        self.drains.spawn(
            async move {
                tokio::select! {
                    _ = endpoint.drain(deadline, reason) => {}
                    () = abort.cancelled() => {}
                }
            }
            .instrument(self.opts.span.clone()),
        );
    }

    /// §15: refuse new items, drain every endpoint concurrently, wait for every drain.
    async fn shutdown(&self) {
        self.receiver.stop();
        {
            let mut inner = self.lock();
            inner.shut_down = true;
            inner.running = false;
            let active = std::mem::take(&mut inner.active);
            for endpoint in active.iter().cloned() {
                self.spawn_drain(endpoint, DrainReason::Shutdown);
            }
            // Kept for debug info while draining; an endpoint already draining from an Update
            // keeps its earlier deadline and reason (its task is already in `drains`).
            let mut draining: Vec<(usize, Endpoint)> = active.into_iter().enumerate().collect();
            draining.extend(std::mem::take(&mut inner.draining));
            inner.draining = draining;
        }
        self.receiver.swap(ReceiverState::default());
        self.drains.close();
        self.drains.wait().await;
    }

    /// What Run's drop guard does when the future is dropped before shutdown finished.
    fn abandon(&self) {
        self.receiver.stop();
        self.abort_drains.cancel();
        let released = {
            let mut inner = self.lock();
            inner.shut_down = true;
            inner.running = false;
            let mut released: Vec<Endpoint> = std::mem::take(&mut inner.active);
            released.extend(
                std::mem::take(&mut inner.draining)
                    .into_iter()
                    .map(|(_, e)| e),
            );
            released
        };
        self.receiver.swap(ReceiverState::default());
        // Dropping the last handles aborts the workers and counts the rest as `shutdown`.
        drop(released);
    }
}

/// Resolve and create endpoint `index` from `cfg`.
fn new_endpoint(
    index: usize,
    cfg: &crate::config::EndpointConfig,
    metrics: &WriteMetrics,
    exchanges: &ExchangeFactory,
) -> Result<Endpoint, BuildError> {
    let options = EndpointOptions::new(cfg).map_err(|errors| {
        let mut nested = ArgErrors::new();
        nested.nest(ArgPath::field("endpoint").index(index), Err(errors));
        BuildError::Arguments(nested)
    })?;
    let exchange = exchanges(&options).map_err(BuildError::Other)?;
    Ok(Endpoint::with_exchange(
        Arc::new(options),
        metrics,
        exchange,
    ))
}

/// Marks Run finished; when dropped unfinished (the runtime dropped Run's future), abandons.
struct RunGuard<'a> {
    component: &'a PyroscopeWrite,
    finished: bool,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.component.abandon();
        }
    }
}

impl Component for PyroscopeWrite {
    type Args = PyroscopeWriteArguments;
    type Exports = PyroscopeWriteExports;

    async fn build(opts: Options, args: Self::Args) -> Result<Arc<Self>, BuildError> {
        Self::build_with(opts, args, http_exchanges(ClientOptions::default())).await
    }

    async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
        let span = self.opts.span.clone();
        let mut guard = RunGuard {
            component: &self,
            finished: false,
        };
        async {
            {
                let mut inner = guard.component.lock();
                if !inner.shut_down {
                    inner.running = true;
                    for endpoint in &inner.active {
                        endpoint.start();
                    }
                }
            }
            cancel.cancelled().await;
            guard.component.shutdown().await;
        }
        .instrument(span)
        .await;
        guard.finished = true;
        Ok(())
    }

    async fn update(&self, args: Self::Args) -> Result<(), BuildError> {
        args.validate()?;
        let _span = self.opts.span.enter();
        let mut inner = self.lock();
        if inner.shut_down {
            return Ok(());
        }
        inner.draining.retain(|(_, e)| !e.is_drained());
        // §14 step 1: multiset match in order, by full configuration equality.
        let mut unmatched: Vec<Option<(usize, Endpoint)>> =
            inner.active.iter().cloned().enumerate().map(Some).collect();
        let mut next: Vec<(Endpoint, bool)> = Vec::with_capacity(args.endpoints.len());
        for (i, cfg) in args.endpoints.iter().enumerate() {
            let found = unmatched.iter_mut().find(|slot| {
                slot.as_ref()
                    .is_some_and(|(_, e)| e.options().config == *cfg)
            });
            match found.and_then(Option::take) {
                Some((_, endpoint)) => next.push((endpoint, false)),
                // §14 step 2: a failed build changes nothing.
                None => next.push((new_endpoint(i, cfg, &self.metrics, &self.exchanges)?, true)),
            }
        }
        let endpoints: Vec<Endpoint> = next.iter().map(|(e, _)| e.clone()).collect();
        // §14 step 3: one atomic swap of labels and endpoint set.
        self.receiver.swap(ReceiverState {
            external_labels: args.external_labels.clone(),
            endpoints: endpoints.clone(),
        });
        for (endpoint, added) in &next {
            if *added && inner.running {
                endpoint.start();
            }
            tracing::info!(
                endpoint = %endpoint.options().redacted_url,
                name = %endpoint.options().name,
                state = if *added { "added" } else { "kept" },
                "endpoint configured"
            );
        }
        inner.active = endpoints;
        // §14 step 5: removed endpoints drain without Update waiting.
        for (index, endpoint) in unmatched.into_iter().flatten() {
            tracing::info!(
                endpoint = %endpoint.options().redacted_url,
                name = %endpoint.options().name,
                state = "removed",
                "endpoint configured"
            );
            self.spawn_drain(endpoint.clone(), DrainReason::Removed);
            inner.draining.push((index, endpoint));
        }
        Ok(())
    }

    fn debug_info(&self) -> Option<EncodedBody> {
        let mut body = EncodedBody::new();
        for (index, state) in self.endpoint_states() {
            body.block("endpoint", None, state_body(index, &state));
        }
        Some(body)
    }
}

fn count(v: u64) -> Value {
    Value::int(i64::try_from(v).unwrap_or(i64::MAX))
}

/// One `endpoint` block of debug info (§13).
fn state_body(index: usize, state: &EndpointState) -> EncodedBody {
    let mut body = EncodedBody::new();
    body.attr("index", count(index as u64));
    body.attr("name", Value::string(state.name.as_str()));
    body.attr("url", Value::string(state.url.as_str()));
    body.attr(
        "state",
        Value::string(if state.draining { "draining" } else { "active" }),
    );
    body.attr("queue_profiles", count(state.queue_profiles));
    body.attr("queue_bytes", count(state.queue_bytes));
    body.attr("in_flight_requests", count(state.in_flight_requests));
    body.attr("enqueued_profiles", count(state.enqueued_profiles));
    body.attr("sent_profiles", count(state.sent_profiles));
    body.attr("dropped_profiles", count(state.dropped_profiles));
    body.attr("retries", count(state.retries));
    let mut by_reason = Object::new();
    for (reason, n) in &state.dropped_by_reason {
        by_reason.insert(*reason, count(*n));
    }
    body.attr("dropped_by_reason", Value::Object(by_reason));
    body.attr("consecutive_failures", count(state.consecutive_failures));
    body.attr("last_success", Value::string(state.last_success.as_str()));
    body.attr(
        "last_error_time",
        Value::string(state.last_error_time.as_str()),
    );
    body.attr("last_error", Value::string(state.last_error.as_str()));
    body
}
