//! `GET /debug/pprof/profile?seconds=N`: a CPU profile of this process, served the way Go's
//! `net/http/pprof` serves one, so `pyroscope.scrape`'s `process_cpu` (or `go tool pprof`) can
//! profile ferroalloy like any Go program.
//!
//! Design decisions:
//! - Sampling is pprof-rs's process-wide `SIGPROF` timer at [`FREQUENCY`] Hz. Samples whose
//!   program counter is in `libc`, `libgcc`, `pthread` or the vDSO are skipped: unwinding from a
//!   signal handler that interrupted those libraries can deadlock on their locks.
//! - Everything that blocks (starting the timer, waiting N seconds, symbolizing frames from the
//!   binary's debug info, encoding and gzipping) runs on a blocking thread, never on an async
//!   worker. The handler only awaits it.
//! - The wait is a `recv_timeout` on a channel whose sender the handler's future owns: if the
//!   client goes away and the server drops the request's future, the sender drops, the wait ends
//!   at once and the profiler stops. The profiler never runs longer than the N seconds asked for.
//! - One profile at a time (the timer is process-wide): a second request while one runs gets
//!   Go's `500 Could not enable CPU profiling: cpu profiling already in use`.
//! - `seconds` as in Go: missing, not an integer, zero or negative means 30. Go bounds the
//!   duration only by the server's write timeout, which ferroalloy's server does not have; a
//!   duration above [`MAX_SECONDS`] gets a `400` in the shape of Go's write-timeout refusal.
//! - Only the CPU profile exists: any other name under `/debug/pprof/` (heap, goroutine, …) gets
//!   Go's `404 Unknown profile`.
//! - The profile is built from the resolved frames (not pprof-rs's own protobuf codec): one
//!   function per (name, file), one location per frame with a line per inlined call, samples of
//!   the same stack on different threads merged (Go's CPU profiles carry no thread label).

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ferroalloy_pyroscope::labels::parse_query;
use ferroalloy_pyroscope::pprof::{
    Function, Line, Location, Mapping, Profile, Sample, ValueType, encode_gzip,
};

/// The path of the CPU profile endpoint.
pub const PROFILE_PATH: &str = "/debug/pprof/profile";

/// The profile duration when `seconds` is missing, zero, negative or not an integer (Go's).
pub const DEFAULT_SECONDS: u64 = 30;

/// The longest profile served: one hour.
pub const MAX_SECONDS: u64 = 3600;

/// Samples per second.
pub const FREQUENCY: i32 = 100;

/// Shared libraries whose frames are not sampled (see the module docs).
const BLOCKLIST: [&str; 4] = ["libc", "libgcc", "pthread", "vdso"];

/// The `text/plain` content type of error responses.
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The routes of the pprof endpoints, mergeable into the server's router: the CPU profile, and
/// Go's `404 Unknown profile` for every other profile name under `/debug/pprof/` (rather than
/// the UI's entry page, which a scraper would report as an undecodable profile).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(PROFILE_PATH, get(profile))
        .route("/debug/pprof/{*name}", get(unknown_profile))
}

async fn unknown_profile() -> Response {
    go_error(StatusCode::NOT_FOUND, "Unknown profile")
}

/// The duration asked for by a raw query string; `None` when it is above [`MAX_SECONDS`].
fn requested_seconds(raw_query: Option<&str>) -> Option<u64> {
    // Go's `r.FormValue("seconds")`: the first value, percent-decoded.
    let value = raw_query
        .map(parse_query)
        .unwrap_or_default()
        .into_iter()
        .find(|(name, _)| name == b"seconds")
        .map(|(_, value)| String::from_utf8_lossy(&value).into_owned())
        .unwrap_or_default();
    let seconds = match value.parse::<i64>() {
        Ok(seconds) if seconds > 0 => seconds.unsigned_abs(),
        _ => DEFAULT_SECONDS,
    };
    (seconds <= MAX_SECONDS).then_some(seconds)
}

/// Go's `serveError`: the text and a newline, `text/plain`, `X-Go-Pprof: 1`.
fn go_error(status: StatusCode, text: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::HeaderName::from_static("x-go-pprof"),
                HeaderValue::from_static("1"),
            ),
        ],
        format!("{text}\n"),
    )
        .into_response()
}

/// How a profiling run ended.
enum Outcome {
    /// The gzipped profile.
    Profile(Bytes),
    /// The profiler could not start (`cpu profiling already in use`, …).
    NotStarted(String),
    /// The profiler ran but its report could not be built.
    ReportFailed(String),
    /// The handler went away before the duration was over.
    Abandoned,
}

async fn profile(RawQuery(query): RawQuery) -> Response {
    let Some(seconds) = requested_seconds(query.as_deref()) else {
        return go_error(
            StatusCode::BAD_REQUEST,
            &format!("profile duration exceeds the server's limit of {MAX_SECONDS} seconds"),
        );
    };
    // Dropping `_stop` (with this future) ends the wait on the blocking thread.
    let (_stop, stopped) = mpsc::channel::<()>();
    let run =
        tokio::task::spawn_blocking(move || run_profiler(Duration::from_secs(seconds), &stopped));
    match run.await {
        Ok(Outcome::Profile(body)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"profile\""),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Outcome::NotStarted(reason)) => go_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("Could not enable CPU profiling: {reason}"),
        ),
        Ok(Outcome::ReportFailed(reason)) => go_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("could not build the cpu profile: {reason}"),
        ),
        Ok(Outcome::Abandoned) | Err(_) => go_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the cpu profile was abandoned",
        ),
    }
}

/// On a blocking thread: profile for `duration` (or until `stop`'s sender is dropped), then
/// symbolize, build and gzip the profile.
fn run_profiler(duration: Duration, stop: &mpsc::Receiver<()>) -> Outcome {
    let guard = match pprof::ProfilerGuardBuilder::default()
        .frequency(FREQUENCY)
        .blocklist(&BLOCKLIST)
        .build()
    {
        Ok(guard) => guard,
        Err(pprof::Error::Running) => {
            return Outcome::NotStarted("cpu profiling already in use".to_owned());
        }
        Err(err) => return Outcome::NotStarted(err.to_string()),
    };
    match stop.recv_timeout(duration) {
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return Outcome::Abandoned,
    }
    let report = guard.report().build();
    // Stop sampling before the (slow) profile building below.
    drop(guard);
    match report {
        Ok(report) => Outcome::Profile(encode_gzip(&build_profile(&report))),
        Err(err) => Outcome::ReportFailed(err.to_string()),
    }
}

/// The id of the one mapping of a profile: the ferroalloy binary (frames are already
/// symbolized, so tools need no address ranges).
const MAIN_MAPPING: u64 = 1;

/// Whether a symbol belongs to the unwinder that took the sample (the innermost frames of every
/// stack, above the signal handler that pprof-rs already removes).
fn is_unwinder(name: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "backtrace::",
        "<backtrace::",
        "pprof::",
        "<pprof::",
        "_Unwind_",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// The strings of a profile, each stored once; index 0 is `""`.
struct StringTable {
    strings: Vec<String>,
    index: HashMap<String, i64>,
}

impl StringTable {
    fn new() -> Self {
        Self {
            strings: vec![String::new()],
            index: HashMap::from([(String::new(), 0)]),
        }
    }

    fn intern(&mut self, text: &str) -> i64 {
        if let Some(index) = self.index.get(text) {
            return *index;
        }
        let index = i64::try_from(self.strings.len()).unwrap_or(i64::MAX);
        self.strings.push(text.to_owned());
        self.index.insert(text.to_owned(), index);
        index
    }
}

/// A pprof CPU profile (`samples/count`, `cpu/nanoseconds`) of a pprof-rs report.
pub fn build_profile(report: &pprof::Report) -> Profile {
    let frequency = i64::from(report.timing.frequency.max(1));
    let period = 1_000_000_000 / frequency;
    let mut strings = StringTable::new();
    let samples_count = ValueType {
        r#type: strings.intern("samples"),
        unit: strings.intern("count"),
    };
    let cpu_nanoseconds = ValueType {
        r#type: strings.intern("cpu"),
        unit: strings.intern("nanoseconds"),
    };

    let mut functions: Vec<Function> = Vec::new();
    let mut function_ids: HashMap<(String, String), u64> = HashMap::new();
    let mut locations: Vec<Location> = Vec::new();
    let mut location_ids: HashMap<Vec<(u64, i64)>, u64> = HashMap::new();
    let mut sample_index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut samples: Vec<Sample> = Vec::new();

    for (frames, count) in &report.data {
        let count = i64::try_from(*count).unwrap_or(0);
        if count <= 0 {
            continue;
        }
        let unwinder = frames
            .frames
            .iter()
            .take_while(|frame| frame.iter().all(|symbol| is_unwinder(&symbol.name())))
            .count();
        let mut stack = Vec::with_capacity(frames.frames.len());
        for frame in &frames.frames[unwinder..] {
            // One line per symbol of the frame: the innermost inlined call first, as pprof wants.
            let mut lines = Vec::with_capacity(frame.len());
            for symbol in frame {
                let name = symbol.name();
                let filename = symbol.filename().into_owned();
                let key = (name, filename);
                let function_id = match function_ids.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = functions.len() as u64 + 1;
                        functions.push(Function {
                            id,
                            name: strings.intern(&key.0),
                            system_name: strings.intern(&symbol.sys_name()),
                            filename: strings.intern(&key.1),
                            ..Function::default()
                        });
                        function_ids.insert(key, id);
                        id
                    }
                };
                lines.push((function_id, i64::from(symbol.lineno())));
            }
            let location_id = match location_ids.get(&lines) {
                Some(id) => *id,
                None => {
                    let id = locations.len() as u64 + 1;
                    locations.push(Location {
                        id,
                        mapping_id: MAIN_MAPPING,
                        line: lines
                            .iter()
                            .map(|(function_id, line)| Line {
                                function_id: *function_id,
                                line: *line,
                                ..Line::default()
                            })
                            .collect(),
                        ..Location::default()
                    });
                    location_ids.insert(lines, id);
                    id
                }
            };
            stack.push(location_id);
        }
        match sample_index.get(&stack) {
            Some(index) => {
                let sample = &mut samples[*index];
                sample.value[0] = sample.value[0].saturating_add(count);
                sample.value[1] = sample.value[1].saturating_add(count.saturating_mul(period));
            }
            None => {
                sample_index.insert(stack.clone(), samples.len());
                samples.push(Sample {
                    location_id: stack,
                    value: vec![count, count.saturating_mul(period)],
                    label: Vec::new(),
                });
            }
        }
    }

    let time_nanos = report
        .timing
        .start_time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
        });
    let binary = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let mapping = Mapping {
        id: MAIN_MAPPING,
        filename: strings.intern(&binary),
        has_functions: true,
        has_filenames: true,
        has_line_numbers: true,
        has_inline_frames: true,
        ..Mapping::default()
    };
    Profile {
        sample_type: vec![samples_count, cpu_nanoseconds],
        mapping: vec![mapping],
        sample: samples,
        location: locations,
        function: functions,
        string_table: strings.strings,
        time_nanos,
        duration_nanos: i64::try_from(report.timing.duration.as_nanos()).unwrap_or(i64::MAX),
        period_type: Some(cpu_nanoseconds),
        period,
        ..Profile::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn symbol(name: &str, line: u32) -> pprof::Symbol {
        pprof::Symbol {
            name: Some(name.as_bytes().to_vec()),
            addr: None,
            lineno: Some(line),
            filename: Some("src/main.rs".into()),
        }
    }

    fn frames(thread_id: u64, stack: Vec<Vec<pprof::Symbol>>) -> pprof::Frames {
        pprof::Frames {
            frames: stack,
            thread_name: format!("worker-{thread_id}"),
            thread_id,
            sample_timestamp: SystemTime::now(),
        }
    }

    #[test]
    fn profiles_are_built_from_resolved_frames() {
        let stack = || {
            vec![
                vec![symbol("backtrace::backtrace::trace_unsynchronized", 1)],
                vec![symbol("pprof::profiler::perf_signal_handler_caller", 2)],
                vec![symbol("app::inner", 10), symbol("app::outer", 20)],
                vec![symbol("main", 30)],
            ]
        };
        let mut report = pprof::Report {
            data: HashMap::new(),
            timing: Default::default(),
        };
        report.data.insert(frames(1, stack()), 3);
        report.data.insert(frames(2, stack()), 4);
        report
            .data
            .insert(frames(3, vec![vec![symbol("main", 31)]]), 1);
        report.timing.frequency = FREQUENCY;
        report.timing.duration = Duration::from_secs(9);
        report.timing.start_time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);

        let profile = build_profile(&report);
        let text = |i: i64| profile.string_table[usize::try_from(i).unwrap_or(0)].as_str();
        let types: Vec<(&str, &str)> = profile
            .sample_type
            .iter()
            .map(|t| (text(t.r#type), text(t.unit)))
            .collect();
        assert_eq!(types, [("samples", "count"), ("cpu", "nanoseconds")]);
        let period_type = profile.period_type.unwrap_or_default();
        assert_eq!(
            (text(period_type.r#type), text(period_type.unit)),
            ("cpu", "nanoseconds")
        );
        assert_eq!(profile.period, 10_000_000);
        assert_eq!(profile.time_nanos, 1_700_000_000_000_000_000);
        assert_eq!(profile.duration_nanos, 9_000_000_000);
        assert_eq!(profile.string_table[0], "");

        // The same stack on two threads is one sample; the unwinder's frames are gone.
        let mut samples: Vec<(Vec<i64>, usize)> = profile
            .sample
            .iter()
            .map(|s| (s.value.clone(), s.location_id.len()))
            .collect();
        samples.sort();
        assert_eq!(
            samples,
            [(vec![1, 10_000_000], 1), (vec![7, 70_000_000], 2)]
        );
        let names: Vec<&str> = profile.function.iter().map(|f| text(f.name)).collect();
        assert!(
            !names
                .iter()
                .any(|n| n.contains("backtrace") || n.contains("pprof")),
            "{names:?}"
        );
        // An inlined call is one location with a line per function, the innermost first.
        let inlined = profile
            .location
            .iter()
            .find(|l| l.line.len() == 2)
            .map(|l| {
                l.line
                    .iter()
                    .map(|line| {
                        let function =
                            &profile.function[usize::try_from(line.function_id - 1).unwrap_or(0)];
                        (text(function.name), line.line)
                    })
                    .collect::<Vec<_>>()
            });
        assert_eq!(inlined, Some(vec![("app::inner", 10), ("app::outer", 20)]));
        // `main` at two lines is one function and two locations.
        assert_eq!(names.iter().filter(|n| **n == "main").count(), 1);
        assert_eq!(profile.location.len(), 3);
        assert!(
            profile
                .location
                .iter()
                .all(|l| l.mapping_id == MAIN_MAPPING)
        );
        assert_eq!(profile.mapping.len(), 1);
    }

    fn seconds(query: Option<&str>) -> Option<u64> {
        requested_seconds(query)
    }

    #[test]
    fn seconds_follow_go() {
        assert_eq!(seconds(None), Some(30));
        assert_eq!(seconds(Some("")), Some(30));
        assert_eq!(seconds(Some("seconds=0")), Some(30));
        assert_eq!(seconds(Some("seconds=-5")), Some(30));
        assert_eq!(seconds(Some("seconds=abc")), Some(30));
        assert_eq!(seconds(Some("seconds=1.5")), Some(30));
        assert_eq!(seconds(Some("seconds=9")), Some(9));
        assert_eq!(seconds(Some("seconds=%2B7")), Some(7));
        assert_eq!(seconds(Some("seconds=4&seconds=8")), Some(4));
        assert_eq!(seconds(Some("x=1&seconds=3600")), Some(3600));
        assert_eq!(seconds(Some("seconds=3601")), None);
    }
}
