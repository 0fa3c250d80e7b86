//! The unit of scraping: one (target, profile type) pair after label building, as
//! [`crate::targets::expand`] produces it and the job loops run it (spec §4.1).
//!
//! This is the interface between the target side (arguments → jobs) and the scraping side
//! (jobs → requests → receivers); neither reaches into the other.

use ferroalloy_pyroscope::Labels;

/// One scrape job (spec §4.1): scheduled, fetched, delta-tracked and reported on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// The job's identity (§4.4): FNV-1a over the non-`__` labels and the URL. Equal keys are
    /// one job; the key also sets the job's phase in the interval (§5.1).
    pub key: u64,
    /// The full URL fetched (§4.5).
    pub url: String,
    /// The final `__name__` (after the godeltaprof rename, §4.2 step 11).
    pub profile_name: String,
    /// The labels of §4.2, `__`-prefixed ones included, without the scope labels and without
    /// `__delta__` (both added at hand-off, §4.3). Shown in debug info as they are.
    pub labels: Labels,
    /// `Some(N)` when the URL carries `seconds=N` (a `delta = true` type): the target holds the
    /// response for N seconds, so the timeout bound grows (§5.2).
    pub delta_seconds: Option<u64>,
    /// The `(type, unit)` columns of the client-side delta (§5.5), when it applies to this job.
    pub client_delta: Option<Vec<(&'static str, &'static str)>>,
    /// A godeltaprof job (§5.6): forwarded as received from the first scrape.
    pub godeltaprof: bool,
    /// `job_name` of the arguments (debug info `job`, may be empty).
    pub job_name: String,
}

impl JobSpec {
    /// Whether profiles of this job carry `__delta__="false"` (§4.3): every job whose final
    /// `__name__` is `memory`, `mutex` or `block`.
    pub fn marks_delta_false(&self) -> bool {
        matches!(self.profile_name.as_str(), "memory" | "mutex" | "block")
    }
}

/// A target that cannot be scraped (§4.6): skipped on its own, listed in debug info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidTarget {
    /// The target's labels as given (plus what label building set before it failed).
    pub labels: Labels,
    /// `no address`, `invalid scheme: "ftp"`, `"http://h:1" is not a valid hostname`.
    pub reason: String,
}

/// What a set of arguments expands to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Jobs with distinct keys, in URL order (then key order for equal URLs).
    pub jobs: Vec<JobSpec>,
    /// Invalid targets, in target order.
    pub invalid: Vec<InvalidTarget>,
}
