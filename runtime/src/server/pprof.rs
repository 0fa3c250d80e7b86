//! `GET /debug/pprof/profile?seconds=N`: a CPU profile of this process, served the way Go's
//! `net/http/pprof` serves one, so `pyroscope.scrape`'s `process_cpu` (or `go tool pprof`) can
//! profile ferroalloy like any Go program.
//!
//! Design decisions:
//! - Sampling is pprof-rs's process-wide `SIGPROF` timer at [`FREQUENCY`] Hz. Samples whose
//!   program counter is in `libc`, `libgcc`, `pthread` or the vDSO are skipped: unwinding from a
//!   signal handler that interrupted those libraries can deadlock on their locks.
//! - Everything that blocks (starting the timer, waiting N seconds, symbolizing, encoding and
//!   gzipping) runs on a blocking thread, never on an async worker. The handler only awaits it.
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
//! - The profile is built from pprof-rs's *unresolved* frames (raw instruction addresses), not
//!   its resolved report nor its protobuf codec: resolving through backtrace-rs parses the
//!   binary's DWARF and keeps it for the life of the process. [`symbols`] names functions from
//!   the ELF symbol tables instead, read on the first profile and kept (about 1 MB): function
//!   names, no files, lines or inlined calls.
//! - pprof-rs is patched (`vendor/pprof/FERROALLOY.md`): its in-memory sample table has 256
//!   entries instead of 16,384 (68 MB, allocated at every profile; evicted stacks already
//!   spill to its temporary file), and starting a profiler no longer resolves a backtrace (which
//!   parsed the binary's DWARF into a cache kept for the life of the process). RSS stays within
//!   a few MB of idle however many profiles are taken: see `docs/performance.md`.
//! - One location per address (the interrupted instruction's, then each return address minus
//!   one, the call instruction, as symbolizers expect) with its mapping, so `go tool pprof`
//!   shows addresses; one function per name; one mapping per executable mapping of the process,
//!   the binary first, with its build id. An address no symbol table covers stays a location
//!   without a line. Samples of the same stack on different threads are merged (Go's CPU
//!   profiles carry no thread label).

pub mod symbols;

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

use self::symbols::ProcessSymbols;

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
    let report = guard.report().build_unresolved();
    // Stop sampling before the (slow) symbolization below.
    drop(guard);
    let report = match report {
        Ok(report) => report,
        Err(err) => return Outcome::ReportFailed(err.to_string()),
    };
    let stacks: Vec<SampledStack> = report
        .data
        .iter()
        .map(|(frames, count)| SampledStack {
            addresses: frames
                .frames
                .iter()
                .map(|frame| frame.ip() as usize as u64)
                .collect(),
            count: i64::try_from(*count).unwrap_or(0),
        })
        .collect();
    let timing = ProfileTiming {
        start: report.timing.start_time,
        duration: report.timing.duration,
        frequency: report.timing.frequency,
    };
    drop(report);
    let started = Instant::now();
    let symbols = ProcessSymbols::shared();
    let loaded = started.elapsed();
    let profile = build_profile(&stacks, &timing, symbols);
    tracing::debug!(
        samples = stacks.len(),
        symbol_tables_bytes = symbols.heap_bytes(),
        load_ms = loaded.as_secs_f64() * 1000.0,
        symbolize_ms = (started.elapsed() - loaded).as_secs_f64() * 1000.0,
        "built the cpu profile"
    );
    Outcome::Profile(encode_gzip(&profile))
}

/// Whether a function belongs to the unwinder that took the sample (the innermost frames of
/// every stack, when the signal handler's own frame is not found).
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

/// pprof-rs's `SIGPROF` handler: it and the frames inside it are the unwinder's, and the frame
/// after it is the kernel's signal trampoline.
const SIGNAL_HANDLER: &str = "perf_signal_handler";

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

/// A stack the profiler sampled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampledStack {
    /// The instruction address of each frame, the innermost first: the interrupted instruction,
    /// then return addresses.
    pub addresses: Vec<u64>,
    /// How many times the stack was sampled.
    pub count: i64,
}

/// When and how fast a profile sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileTiming {
    /// When sampling started.
    pub start: SystemTime,
    /// How long it sampled.
    pub duration: Duration,
    /// Samples per second.
    pub frequency: i32,
}

/// A pprof CPU profile (`samples/count`, `cpu/nanoseconds`) of sampled stacks, their addresses
/// resolved with `symbols`.
pub fn build_profile(
    stacks: &[SampledStack],
    timing: &ProfileTiming,
    symbols: &ProcessSymbols,
) -> Profile {
    let frequency = i64::from(timing.frequency.max(1));
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
    let mut function_ids: HashMap<&str, u64> = HashMap::new();
    let mut locations: Vec<Location> = Vec::new();
    let mut location_ids: HashMap<u64, u64> = HashMap::new();
    let mut sample_index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut samples: Vec<Sample> = Vec::new();

    for sampled in stacks {
        if sampled.count <= 0 {
            continue;
        }
        // A return address is looked up one byte before, at the call instruction.
        let mut frames: Vec<(u64, symbols::Resolved<'_>)> = sampled
            .addresses
            .iter()
            .filter(|address| **address > 0)
            .map(|address| (address - 1, symbols.resolve(address - 1)))
            .collect();
        let unwinder = match frames
            .iter()
            .position(|(_, resolved)| resolved.name == Some(SIGNAL_HANDLER))
        {
            Some(handler) => {
                let leaf = (handler + 2).min(frames.len());
                // The interrupted instruction is no return address: it is looked up as it is.
                if let Some(frame) = frames.get_mut(leaf) {
                    let address = frame.0 + 1;
                    *frame = (address, symbols.resolve(address));
                }
                leaf
            }
            None => frames
                .iter()
                .take_while(|(_, resolved)| resolved.name.is_some_and(is_unwinder))
                .count(),
        };
        let mut stack = Vec::with_capacity(frames.len() - unwinder);
        for (address, resolved) in &frames[unwinder..] {
            let location_id = match location_ids.get(address) {
                Some(id) => *id,
                None => {
                    let line = resolved.name.map(|name| {
                        let function_id = *function_ids.entry(name).or_insert_with(|| {
                            let id = functions.len() as u64 + 1;
                            let name = strings.intern(name);
                            functions.push(Function {
                                id,
                                name,
                                system_name: name,
                                ..Function::default()
                            });
                            id
                        });
                        Line {
                            function_id,
                            ..Line::default()
                        }
                    });
                    let id = locations.len() as u64 + 1;
                    locations.push(Location {
                        id,
                        mapping_id: resolved.mapping.map_or(0, |index| index as u64 + 1),
                        address: *address,
                        line: line.into_iter().collect(),
                        ..Location::default()
                    });
                    location_ids.insert(*address, id);
                    id
                }
            };
            stack.push(location_id);
        }
        let count = sampled.count;
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

    let time_nanos = timing.start.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
    });
    let mappings = symbols
        .mappings()
        .iter()
        .enumerate()
        .map(|(index, mapping)| Mapping {
            id: index as u64 + 1,
            memory_start: mapping.start,
            memory_limit: mapping.limit,
            file_offset: mapping.file_offset,
            filename: strings.intern(&mapping.path),
            build_id: strings.intern(&mapping.build_id),
            has_functions: mapping.has_functions(),
            ..Mapping::default()
        })
        .collect();
    Profile {
        sample_type: vec![samples_count, cpu_nanoseconds],
        mapping: mappings,
        sample: samples,
        location: locations,
        function: functions,
        string_table: strings.strings,
        time_nanos,
        duration_nanos: i64::try_from(timing.duration.as_nanos()).unwrap_or(i64::MAX),
        period_type: Some(cpu_nanoseconds),
        period,
        ..Profile::default()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use super::symbols::{MappedFile, SymbolTable};
    use super::*;

    /// A process with the binary `/bin/app` at `0x1000..0x9000` (linked at its file offsets),
    /// `libc.so.6` at `0x10000..0x11000` without a symbol table, nothing elsewhere.
    fn fake_process() -> ProcessSymbols {
        let table = SymbolTable::from_functions(
            [
                (0x1000, 0x100, "backtrace::backtrace::trace_unsynchronized"),
                (0x1100, 0x100, "pprof::profiler::perf_signal_handler_caller"),
                (0x1200, 0x100, SIGNAL_HANDLER),
                (0x2000, 0x100, "app::inner"),
                (0x3000, 0x100, "app::outer"),
                (0x4000, 0x100, "main"),
            ]
            .map(|(start, size, name)| (start, size, Cow::Borrowed(name))),
        );
        let mut binary = MappedFile::new(0x1000, 0x9000, 0x1000, "/bin/app", Some(Arc::new(table)));
        binary.build_id = "0badc0de".to_owned();
        let libc = MappedFile::new(0x10000, 0x11000, 0, "/lib/libc.so.6", None);
        ProcessSymbols::from_mappings(vec![binary, libc])
    }

    fn timing() -> ProfileTiming {
        ProfileTiming {
            start: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            duration: Duration::from_secs(9),
            frequency: FREQUENCY,
        }
    }

    fn stack(addresses: &[u64], count: i64) -> SampledStack {
        SampledStack {
            addresses: addresses.to_vec(),
            count,
        }
    }

    /// The names of a sample's stack, `0x…` for a location without a function.
    fn stack_names(profile: &Profile, sample: &Sample) -> Vec<String> {
        let text = |i: i64| profile.string_table[usize::try_from(i).unwrap_or(0)].clone();
        sample
            .location_id
            .iter()
            .map(|id| {
                let location = &profile.location[usize::try_from(*id - 1).unwrap_or(0)];
                match location.line.first() {
                    Some(line) => text(
                        profile.function[usize::try_from(line.function_id - 1).unwrap_or(0)].name,
                    ),
                    None => format!("{:#x}", location.address),
                }
            })
            .collect()
    }

    #[test]
    fn profiles_are_built_from_sampled_addresses() {
        // Return addresses: each resolves at the address before it.
        let unwound_inline = [0x1001, 0x1101, 0x2011, 0x3021, 0x4001];
        let stacks = [
            // The same stack on two threads, under the unwinder's frames.
            stack(&unwound_inline, 3),
            stack(&unwound_inline, 4),
            // `main` at another address; a zero count is no sample.
            stack(&[0x4051], 1),
            stack(&[0x4061], 0),
        ];
        let profile = build_profile(&stacks, &timing(), &fake_process());
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
        let mut samples: Vec<(Vec<i64>, Vec<String>)> = profile
            .sample
            .iter()
            .map(|s| (s.value.clone(), stack_names(&profile, s)))
            .collect();
        samples.sort();
        assert_eq!(
            samples,
            [
                (vec![1, 10_000_000], vec!["main".to_owned()]),
                (
                    vec![7, 70_000_000],
                    vec![
                        "app::inner".to_owned(),
                        "app::outer".to_owned(),
                        "main".to_owned()
                    ]
                ),
            ]
        );
        // `main` at two addresses is one function and two locations, at the call instructions.
        let names: Vec<&str> = profile.function.iter().map(|f| text(f.name)).collect();
        assert_eq!(names.iter().filter(|n| **n == "main").count(), 1);
        let mut addresses: Vec<u64> = profile.location.iter().map(|l| l.address).collect();
        addresses.sort_unstable();
        assert_eq!(addresses, [0x2010, 0x3020, 0x4000, 0x4050]);
        assert!(profile.location.iter().all(|l| l.mapping_id == 1));
        // Function level: no files, no lines.
        assert!(profile.function.iter().all(|f| f.filename == 0));
        assert!(
            profile
                .location
                .iter()
                .all(|l| l.line.len() == 1 && l.line[0].line == 0)
        );
    }

    #[test]
    fn frames_up_to_the_signal_trampoline_are_dropped_and_unknown_addresses_kept() {
        // The unwinder, pprof-rs's signal handler, the trampoline in libc, then the program,
        // interrupted at the first instruction of `app::inner` (an address looked up as it is);
        // the outermost frames in libc (no symbol table) and outside every mapping (the vDSO).
        let stacks = [stack(
            &[
                0x1001,
                0x1201,
                0x10101,
                0x2000,
                0x4001,
                0x10201,
                0x7fff_0001,
            ],
            2,
        )];
        let profile = build_profile(&stacks, &timing(), &fake_process());
        assert_eq!(profile.sample.len(), 1);
        assert_eq!(
            stack_names(&profile, &profile.sample[0]),
            ["app::inner", "main", "0x10200", "0x7fff0000"]
        );
        let mapping_of = |address: u64| {
            profile
                .location
                .iter()
                .find(|l| l.address == address)
                .map(|l| l.mapping_id)
        };
        assert_eq!(mapping_of(0x2000), Some(1));
        assert_eq!(mapping_of(0x10200), Some(2));
        assert_eq!(mapping_of(0x7fff_0000), Some(0));

        let text = |i: i64| profile.string_table[usize::try_from(i).unwrap_or(0)].as_str();
        let mappings: Vec<(u64, u64, u64, u64, &str, &str, bool)> = profile
            .mapping
            .iter()
            .map(|m| {
                (
                    m.id,
                    m.memory_start,
                    m.memory_limit,
                    m.file_offset,
                    text(m.filename),
                    text(m.build_id),
                    m.has_functions,
                )
            })
            .collect();
        assert_eq!(
            mappings,
            [
                (1, 0x1000, 0x9000, 0x1000, "/bin/app", "0badc0de", true),
                (2, 0x10000, 0x11000, 0, "/lib/libc.so.6", "", false),
            ]
        );
    }

    #[inline(never)]
    fn a_function_the_symbol_table_knows(value: u64) -> u64 {
        value.wrapping_mul(31).rotate_left(7)
    }

    #[test]
    fn the_symbol_table_of_the_running_binary_resolves_its_functions() {
        let symbols = ProcessSymbols::load();
        let function = a_function_the_symbol_table_knows as fn(u64) -> u64;
        assert_eq!(function(1), 31 << 7);
        let address = function as usize as u64;
        for inside in [address, address + 1] {
            let resolved = symbols.resolve(inside);
            assert_eq!(resolved.mapping, Some(0), "{:?}", symbols.mappings());
            let name = resolved.name.unwrap_or_default();
            assert!(
                name.ends_with("tests::a_function_the_symbol_table_knows"),
                "{name:?}"
            );
            assert!(!name.contains("::h"), "no hash suffix: {name}");
        }
        // The binary's mapping comes first, under its own path.
        let binary = &symbols.mappings()[0];
        let executable = std::env::current_exe().map(|p| p.display().to_string());
        assert_eq!(
            Ok(binary.path.clone()),
            executable.map_err(|e| e.to_string())
        );
        assert!(binary.contains(address) && binary.has_functions());
        // Kept small: function names only.
        assert!(
            symbols.heap_bytes() < 64 * 1024 * 1024,
            "{}",
            symbols.heap_bytes()
        );
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
