//! The `pyroscope.scrape` component (spec `pyroscope-scrape.md`): pulls pprof profiles over
//! HTTP from targets, one request per (target, profile type) per interval, and hands each
//! profile with its labels to every receiver of `forward_to`.

pub mod config;
pub mod job_spec;
pub mod targets;
