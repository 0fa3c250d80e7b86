//! A real `pyroscope.write` for the tests of producer components (`pyroscope.scrape`,
//! `pyroscope.receive_http`) that check the whole chain to a fake Pyroscope server.
//!
//! Design decision: this file is not a module of `ferroalloy-test-util`. That crate cannot depend
//! on `ferroalloy-pyroscope-write`, whose own tests use it (the test build would hold two
//! copies of the write crate with distinct types), so producers' test suites, which have
//! `ferroalloy-pyroscope-write` as a dev-dependency, include this file with `#[path]`.

#![allow(dead_code, unreachable_pub, clippy::panic)]

use ferroalloy_pyroscope::ReceiverRef;
use ferroalloy_pyroscope_write::{EndpointConfig, PyroscopeWrite, PyroscopeWriteArguments};
use ferroalloy_test_util::ComponentHarness;
use ferroalloy_test_util::receiver::exported_receiver;

/// The harness of a `pyroscope.write` under a producer's test.
pub type Writer = ComponentHarness<PyroscopeWrite>;

/// A started `pyroscope.write` with one endpoint at `url` and every other setting at its
/// default, with its `receiver` export (a `forward_to` entry). Panics when the component does
/// not build or publishes no receiver.
pub async fn writer_to(url: &str) -> (Writer, ReceiverRef) {
    let arguments = PyroscopeWriteArguments {
        endpoints: vec![EndpointConfig::new(url)],
        ..PyroscopeWriteArguments::default()
    };
    let mut writer = match Writer::build(arguments).await {
        Ok(writer) => writer,
        Err(failure) => panic!("pyroscope.write did not build: {}", failure.error),
    };
    writer.start();
    let Some(receiver) = exported_receiver(&writer) else {
        panic!("pyroscope.write published no receiver export");
    };
    (writer, receiver)
}
