//! Real third-party peers (`PEERS.md`) against the real `ferroalloy` binary.
//!
//! - [`receive_http`]: the Python and Node Pyroscope SDKs pushing into `pyroscope.receive_http`,
//!   forwarded by `pyroscope.write` to the fake Pyroscope server;
//! - [`scrape`]: `pyroscope.scrape` pulling from Go's `net/http/pprof` and from the Node SDK's
//!   pull-mode middleware.
//!
//! Design decisions:
//! - the peers are installed by `.ci/peers.sh` into `target/peers` (or
//!   `$FERROALLOY_PEERS_DIR`); a test whose peers are missing prints one line saying it was
//!   skipped and why, unless `FERROALLOY_REQUIRE_PEERS=1` (CI), where it fails naming them;
//! - every profile that reaches the fake server is checked by the real decoder, `go tool pprof
//!   -raw`, not only by ours;
//! - every child process (client, target, the binary) is killed when its guard drops, and every
//!   wait is bounded in time.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod proxy;
mod receive_http;
mod scrape;
mod support;
