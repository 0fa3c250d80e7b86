//! Helpers shared by the component tests: building the component, reaching its exported
//! receiver, reading metrics and debug info, and the per-endpoint invariant of §10.3.

#![allow(dead_code, unreachable_pub, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use ferroalloy_pyroscope::{Appendable, Appender, Labels, RawSample, ReceiverRef};
use ferroalloy_pyroscope_write::{EndpointConfig, PyroscopeWrite, PyroscopeWriteArguments};
use ferroalloy_test_util::ComponentHarness;
use ferroalloy_value::decode::ArgValue;

/// The harness type of these tests.
pub type Harness = ComponentHarness<PyroscopeWrite>;

/// Arguments with one endpoint per URL, every other setting at its default.
pub fn args_for(urls: &[String]) -> PyroscopeWriteArguments {
    PyroscopeWriteArguments {
        endpoints: urls.iter().map(EndpointConfig::new).collect(),
        ..PyroscopeWriteArguments::default()
    }
}

/// Build and start the component.
pub async fn start(args: PyroscopeWriteArguments) -> Harness {
    let mut harness = match Harness::build(args).await {
        Ok(h) => h,
        Err(failure) => panic!("build failed: {}", failure.error),
    };
    harness.start();
    harness
}

/// The appender behind the published `receiver` export (what a `forward_to` entry holds).
pub fn appender(harness: &Harness) -> Arc<dyn Appender> {
    let exports = harness.latest_export().expect("exports published at build");
    let value = exports.get("receiver").expect("a receiver export");
    let receiver = ReceiverRef::from_value(value).expect("a pyroscope.Appendable capsule");
    receiver.get().appender()
}

/// Labels from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

/// One sample with `id` and `bytes`.
pub fn sample(id: &str, bytes: &[u8]) -> Vec<RawSample> {
    vec![RawSample::with_id(id, bytes.to_vec())]
}

/// The value of the series `name` whose labels include every `label="value"` of `labels`.
pub fn metric(harness: &Harness, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let text = harness.metrics_text();
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let rest = series.strip_prefix(name)?.strip_prefix('{')?;
        labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// Per endpoint (live and draining): enqueued = sent + dropped + queued + in flight, and the
/// drops by reason sum to the drops (§10.3, §18 item 23).
pub fn assert_invariant(harness: &Harness) {
    for (index, state) in harness.component().endpoint_states() {
        let by_reason: u64 = state.dropped_by_reason.iter().map(|(_, n)| n).sum();
        assert_eq!(
            by_reason, state.dropped_profiles,
            "endpoint {index}: {state:?}"
        );
        assert_eq!(
            state.enqueued_profiles,
            state.sent_profiles
                + state.dropped_profiles
                + state.queue_profiles
                + state.in_flight_profiles,
            "endpoint {index}: {state:?}"
        );
    }
}
