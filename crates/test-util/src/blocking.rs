//! A [`FakePyroscope`] for tests that are not async, such as the end-to-end tests that drive
//! the real binary with `std::process` and blocking sockets.
//!
//! [`BlockingFakePyroscope`] owns a tokio runtime of its own that serves the server, so the test
//! thread never needs one; waits run on that runtime ([`BlockingFakePyroscope::wait_for`],
//! [`BlockingFakePyroscope::block_on`]).
//!
//! Design decisions:
//! - One runtime (one worker thread) per server: a test that needs two servers starts two, and
//!   each stops with its own value, so there is no shared fixture to order.
//! - Dropping stops the server first ([`FakePyroscope::shutdown`], which ends held and delayed
//!   requests) and then the runtime, so no task outlives the fixture.

use std::future::Future;
use std::time::Duration;

use crate::pyroscope_server::{FakePyroscope, ReceivedRequest, Route, StartError, WaitTimeout};

/// Why a [`BlockingFakePyroscope`] did not start.
#[derive(Debug, thiserror::Error)]
pub enum BlockingStartError {
    /// The runtime that serves the server could not be built.
    #[error("failed to build the fake pyroscope server's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The server itself did not start.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// A [`FakePyroscope`] on 127.0.0.1 served by a runtime it owns; stopped when dropped.
#[derive(Debug)]
pub struct BlockingFakePyroscope {
    /// Always `Some` until [`Drop`] takes it to shut it down.
    server: Option<FakePyroscope>,
    runtime: tokio::runtime::Runtime,
}

impl BlockingFakePyroscope {
    /// Start a plain HTTP server ([`FakePyroscope::start`]) on a new runtime.
    pub fn start() -> Result<Self, BlockingStartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(BlockingStartError::Runtime)?;
        let server = runtime.block_on(FakePyroscope::start())?;
        Ok(Self {
            server: Some(server),
            runtime,
        })
    }

    /// The server: its address, scripts, fallbacks and records.
    pub fn server(&self) -> &FakePyroscope {
        match &self.server {
            Some(server) => server,
            // `server` is taken only by `drop`, after which `self` cannot be borrowed.
            None => unreachable!("the fake pyroscope server is taken only when dropped"),
        }
    }

    /// [`FakePyroscope::url`]: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server().url()
    }

    /// [`FakePyroscope::wait_for`], blocking the calling thread: wait until at least `n`
    /// requests to `route` arrived, at most `timeout`; the requests to `route` by then.
    pub fn wait_for(
        &self,
        route: Route,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedRequest>, WaitTimeout> {
        self.block_on(self.server().wait_for(route, n, timeout))
    }

    /// Run `future` to completion on the server's runtime, blocking the calling thread (which
    /// must not be a runtime's own thread).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for BlockingFakePyroscope {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_and_waits_without_a_runtime_of_the_caller() -> Result<(), Box<dyn std::error::Error>>
    {
        let fake = BlockingFakePyroscope::start()?;
        let url = fake.url();
        let address = url.trim_start_matches("http://").to_owned();
        let mut stream = std::net::TcpStream::connect(&address)?;
        std::io::Write::write_all(
            &mut stream,
            format!(
                "POST /ingest?name=app HTTP/1.1\r\nHost: {address}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
            )
            .as_bytes(),
        )?;
        let mut reply = String::new();
        std::io::Read::read_to_string(&mut stream, &mut reply)?;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        let got = fake.wait_for(Route::Ingest, 1, Duration::from_secs(10))?;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].path, "/ingest");
        assert_eq!(fake.server().count(Route::Ingest), 1);
        Ok(())
    }

    #[test]
    fn a_wait_that_is_not_met_ends_with_its_timeout() -> Result<(), Box<dyn std::error::Error>> {
        let fake = BlockingFakePyroscope::start()?;
        let err = fake
            .wait_for(Route::Push, 1, Duration::from_millis(50))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|text| text.contains("push")), "a timeout");
        Ok(())
    }
}
