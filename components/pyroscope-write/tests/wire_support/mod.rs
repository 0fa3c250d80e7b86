//! Helpers shared by the delivery tests that run against the fake Pyroscope server.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferroalloy_component::ComponentMetrics;
use ferroalloy_http_client::ClientOptions;
use ferroalloy_pyroscope::RawSample;
use ferroalloy_pyroscope::push::encode_series;
use ferroalloy_pyroscope::types_v1::LabelPair;
use ferroalloy_pyroscope_write::config::{EndpointConfig, EndpointOptions};
use ferroalloy_pyroscope_write::endpoint::{Endpoint, EndpointState, QueueItem, WriteMetrics};
use ferroalloy_test_util::args::decode_args;
use tokio::time::Instant;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Setup {
    registry: ComponentMetrics,
    metrics: WriteMetrics,
}

impl Setup {
    pub fn new() -> Self {
        let registry = ComponentMetrics::new("pyroscope.write.wire");
        let metrics = WriteMetrics::register(&registry);
        Self { registry, metrics }
    }

    pub fn endpoint(&self, body: &str) -> Endpoint {
        let cfg: EndpointConfig = decode_args(body).unwrap_or_else(|e| panic!("{e:?}"));
        let options = Arc::new(EndpointOptions::new(&cfg).unwrap());
        let ep = Endpoint::new(options, &self.metrics, &ClientOptions::default()).unwrap();
        ep.start();
        ep
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        self.registry.encode(&mut out).unwrap();
        out
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> Vec<LabelPair> {
    pairs
        .iter()
        .map(|(n, v)| LabelPair {
            name: (*n).to_owned(),
            value: (*v).to_owned(),
        })
        .collect()
}

pub fn push_item(service: &str, profile: &'static [u8]) -> Arc<QueueItem> {
    let samples = [RawSample {
        id: "x".to_owned(),
        raw_profile: Bytes::from_static(profile),
    }];
    let frame = encode_series(
        labels(&[("__name__", "process_cpu"), ("service_name", service)]),
        &samples,
    );
    Arc::new(QueueItem::push(frame, 1, profile.len() as u64))
}

/// Wait (bounded, real clock) until every enqueued profile is sent or dropped.
pub async fn settle(endpoint: &Endpoint) -> EndpointState {
    let deadline = Instant::now() + WAIT;
    loop {
        let s = endpoint.state();
        if s.sent_profiles + s.dropped_profiles == s.enqueued_profiles && s.in_flight_requests == 0
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "endpoint never settled: {:?}",
            endpoint.state()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
