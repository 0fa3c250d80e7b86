//! Component timelines on a paused clock with scripted senders instead of sockets (§18 items
//! 11, 20, 21): the encode-once sharing, the shutdown drain, and an unbounded retry loop that
//! ends when its endpoint is removed. Also the drop of Run's future (§15).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_component::{BoxFuture, Component, Options};
use ferroalloy_pyroscope::{AppendError, Appender, Labels, RawSample};
use ferroalloy_pyroscope_write::endpoint::{
    Exchange, ExchangeError, ExchangeRequest, ExchangeResponse,
};
use ferroalloy_pyroscope_write::{
    EndpointConfig, ExchangeFactory, PyroscopeWrite, PyroscopeWriteArguments,
};
use ferroalloy_value::duration::Duration as GoDuration;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A sender that records every request body and answers `status` after `delay`.
struct Scripted {
    status: u16,
    delay: Duration,
    bodies: Mutex<Vec<(Instant, Bytes)>>,
}

impl Scripted {
    fn new(status: u16, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            status,
            delay,
            bodies: Mutex::new(Vec::new()),
        })
    }

    fn bodies(&self) -> Vec<(Instant, Bytes)> {
        self.bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Exchange for Scripted {
    fn send(
        &self,
        request: ExchangeRequest,
    ) -> BoxFuture<'_, Result<ExchangeResponse, ExchangeError>> {
        Box::pin(async move {
            self.bodies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((Instant::now(), request.body));
            tokio::time::sleep(self.delay).await;
            Ok(ExchangeResponse {
                status: StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK),
                headers: HeaderMap::new(),
                body: Bytes::new(),
                complete: true,
            })
        })
    }
}

/// Every endpoint gets its own sender from `senders`, in creation order.
fn factory(senders: Vec<Arc<Scripted>>) -> ExchangeFactory {
    let senders = Mutex::new(senders.into_iter());
    Arc::new(move |_| {
        senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next()
            .map(|s| s as Arc<dyn Exchange>)
            .ok_or_else(|| "no scripted sender left".to_owned())
    })
}

fn options() -> Options {
    Options::new(
        "pyroscope.write.test",
        PathBuf::from("/nonexistent"),
        Duration::from_secs(60),
        Arc::new(|_| {}),
    )
}

fn endpoint(url: &str, edit: impl FnOnce(&mut EndpointConfig)) -> EndpointConfig {
    let mut cfg = EndpointConfig::new(url);
    edit(&mut cfg);
    cfg
}

fn go(d: Duration) -> GoDuration {
    GoDuration::from_std(d).unwrap_or(GoDuration::ZERO)
}

async fn append_one(receiver: &dyn Appender, id: &str) -> Result<(), AppendError> {
    receiver
        .append(
            Labels::from_pairs([("service_name", "s")]),
            vec![RawSample::with_id(id, b"pprof".to_vec())],
        )
        .await
}

#[tokio::test(start_paused = true)]
async fn every_endpoint_sends_the_same_allocation() {
    let senders: Vec<_> = (0..3).map(|_| Scripted::new(200, Duration::ZERO)).collect();
    let args = PyroscopeWriteArguments {
        endpoints: (1..=3)
            .map(|i| endpoint(&format!("http://h{i}:4040"), |_| {}))
            .collect(),
        ..PyroscopeWriteArguments::default()
    };
    let component = PyroscopeWrite::build_with(options(), args, factory(senders.clone()))
        .await
        .expect("built");
    let receiver = component.receiver().clone();
    append_one(receiver.as_ref(), "x").await.expect("accepted");
    let cancel = CancellationToken::new();
    let run = tokio::spawn(component.clone().run(cancel.clone()));
    for _ in 0..100 {
        if senders.iter().all(|s| !s.bodies().is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let bodies: Vec<Bytes> = senders.iter().map(|s| s.bodies()[0].1.clone()).collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!(
        bodies[0].as_ptr(),
        bodies[1].as_ptr(),
        "one shared allocation"
    );
    assert_eq!(
        bodies[1].as_ptr(),
        bodies[2].as_ptr(),
        "one shared allocation"
    );
    cancel.cancel();
    run.await.expect("joined").expect("clean stop");
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_until_the_deadline_and_counts_the_rest() {
    let sender = Scripted::new(200, Duration::from_millis(800));
    let args = PyroscopeWriteArguments {
        endpoints: vec![endpoint("http://h:4040", |cfg| {
            cfg.queue_config.max_shards = 1.0;
            cfg.queue_config.drain_timeout = go(Duration::from_secs(2));
        })],
        ..PyroscopeWriteArguments::default()
    };
    let component = PyroscopeWrite::build_with(options(), args, factory(vec![sender.clone()]))
        .await
        .expect("built");
    let receiver = component.receiver().clone();
    let endpoint = component.endpoints()[0].clone();
    for i in 0..5 {
        append_one(receiver.as_ref(), &i.to_string())
            .await
            .expect("queued before run");
    }
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let run = tokio::spawn(component.clone().run(cancel.clone()));
    cancel.cancel();
    run.await.expect("joined").expect("clean stop");
    let took = started.elapsed();
    assert!(took <= Duration::from_millis(2100), "run took {took:?}");
    assert!(took >= Duration::from_secs(2), "run took {took:?}");
    assert!(endpoint.is_drained());
    assert!(
        component.endpoint_states().is_empty(),
        "drained endpoints leave debug info"
    );
    let state = &endpoint.state();
    assert_eq!(state.sent_profiles, 2, "{state:?}");
    assert_eq!(state.dropped_profiles, 3, "{state:?}");
    let shutdown = state
        .dropped_by_reason
        .iter()
        .find(|(r, _)| *r == "shutdown")
        .map(|(_, n)| *n);
    assert_eq!(shutdown, Some(3));
    assert_eq!(state.enqueued_profiles, 5);
    let err = append_one(receiver.as_ref(), "late")
        .await
        .expect_err("refused after shutdown");
    assert_eq!(err, AppendError::Stopped);
    assert_eq!(err.to_string(), "pyroscope.write is shutting down");
}

#[tokio::test(start_paused = true)]
async fn removing_an_endpoint_that_retries_forever_ends_its_workers() {
    let baseline = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let dead = Scripted::new(503, Duration::ZERO);
    let args = PyroscopeWriteArguments {
        endpoints: vec![endpoint("http://dead:4040", |cfg| {
            cfg.max_backoff_retries = 0;
            cfg.min_backoff_period = go(Duration::from_millis(100));
            cfg.max_backoff_period = go(Duration::from_secs(1));
            cfg.queue_config.drain_timeout = GoDuration::ZERO;
        })],
        ..PyroscopeWriteArguments::default()
    };
    let component = PyroscopeWrite::build_with(options(), args, factory(vec![dead.clone()]))
        .await
        .expect("built");
    let cancel = CancellationToken::new();
    let run = tokio::spawn(component.clone().run(cancel.clone()));
    append_one(component.receiver().as_ref(), "x")
        .await
        .expect("accepted");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(
        dead.bodies().len() > 10,
        "retries go on: {}",
        dead.bodies().len()
    );
    let removed = component.endpoints()[0].clone();
    component
        .update(PyroscopeWriteArguments::default())
        .await
        .expect("update applies");
    for _ in 0..100 {
        if removed.is_drained() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(removed.is_drained());
    let state = removed.state();
    let by_reason = |reason: &str| {
        state
            .dropped_by_reason
            .iter()
            .find(|(r, _)| *r == reason)
            .map(|(_, n)| *n)
    };
    assert_eq!(by_reason("removed"), Some(1), "{state:?}");
    assert_eq!(state.in_flight_requests, 0);
    let attempts = dead.bodies().len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(dead.bodies().len(), attempts, "no request after removal");
    drop(removed);
    // Only the component's run task is left of what this test started.
    assert_eq!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        baseline + 1
    );
    cancel.cancel();
    run.await.expect("joined").expect("clean stop");
    assert_eq!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        baseline
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_runs_future_still_counts_every_profile() {
    let sender = Scripted::new(200, Duration::from_secs(3600));
    let args = PyroscopeWriteArguments {
        endpoints: vec![endpoint("http://h:4040", |cfg| {
            cfg.queue_config.max_shards = 1.0;
        })],
        ..PyroscopeWriteArguments::default()
    };
    let opts = options();
    let component = PyroscopeWrite::build_with(opts.clone(), args, factory(vec![sender.clone()]))
        .await
        .expect("built");
    let endpoint = component.endpoints()[0].clone();
    for i in 0..4 {
        append_one(component.receiver().as_ref(), &i.to_string())
            .await
            .expect("accepted");
    }
    let cancel = CancellationToken::new();
    let run = tokio::spawn(component.clone().run(cancel));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sender.bodies().len(), 1, "one request in flight");
    run.abort();
    let _ = run.await;
    let err = append_one(component.receiver().as_ref(), "late")
        .await
        .expect_err("refused");
    assert_eq!(err, AppendError::Stopped);
    // The component no longer holds the endpoint; the last handle goes here, which aborts the
    // in-flight request and counts it and the queued ones as `shutdown`.
    assert!(component.endpoints().is_empty());
    assert_eq!(endpoint.state().enqueued_profiles, 4);
    drop(endpoint);
    let dropped = || {
        let mut text = String::new();
        let _ = opts.metrics.encode(&mut text);
        text.lines()
            .find(|l| {
                l.starts_with("pyroscope_write_dropped_profiles_by_reason_total{")
                    && l.contains("reason=\"shutdown\"")
            })
            .and_then(|l| l.rsplit_once(' '))
            .and_then(|(_, v)| v.parse::<f64>().ok())
    };
    for _ in 0..100 {
        if dropped() == Some(4.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(dropped(), Some(4.0));
}
