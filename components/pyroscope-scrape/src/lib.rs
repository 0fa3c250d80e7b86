//! The `pyroscope.scrape` component (spec `pyroscope-scrape.md`): pulls pprof profiles over
//! HTTP from targets, one request per (target, profile type) per interval, and hands each
//! profile with its labels to every receiver of `forward_to`.
//!
//! - [`config`] and [`targets`]: arguments, validation, and their expansion into [`job_spec`]s.
//! - [`fetch`]: one scrape request and the checks of its response.
//! - [`schedule`]: when a job scrapes (phase, slots).
//! - [`job`]: the loop of one job: fetch, client-side delta, hand-off, status.
//! - [`component`]: build, update by job key, shutdown, health, debug info; [`metrics`].

pub mod component;
pub mod config;
pub mod fetch;
pub mod job;
pub mod job_spec;
pub mod metrics;
pub mod schedule;
pub mod targets;

use ferroalloy_component::{Registration, Stability};

pub use component::PyroscopeScrape;

/// The registration of `pyroscope.scrape` (generally available).
pub fn registration() -> Registration {
    ferroalloy_component::registration::<PyroscopeScrape>(
        "pyroscope.scrape",
        Stability::GenerallyAvailable,
    )
}
