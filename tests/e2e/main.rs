//! End-to-end tests: the real `ferroalloy` binary on real files.
//!
//! A broken fixture (a temp dir that cannot be made, a binary that cannot start) ends the test
//! with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod fmt;
mod http_api;
mod pipeline;
mod quickstart;
mod run;
mod scrape_runtime;
mod shutdown;
mod validate;
