//! End-to-end tests: the real `ferroalloy` binary on real files.

mod fmt;
mod validate;
mod http_api;
mod run;
