//! The figures of DESIGN.md's `pyroscope.write` budget rows that criterion's wall-time
//! throughput does not give, printed as a table:
//!
//! 1. **CPU per profile as the endpoint count grows** (1, 2, 4 fast endpoints), beside the
//!    direct baseline's CPU for the same requests: process CPU time (`utime + stime` of
//!    `/proc/self/stat`, every thread) before and after a measured batch. The sinks run in a
//!    child process, so this is the forwarder's (or the baseline client's) CPU alone.
//! 2. **2 healthy endpoints with a third that never answers**: healthy-endpoint throughput
//!    against the same 2 endpoints without the dead one, and the latency of each `append` call
//!    (p50, p99, max) in both. The dead queue is filled first, so every measured append also
//!    evicts from it.
//! 3. **Memory under a dead endpoint**: `VmRSS` growth after pushing 3x the dead endpoint's
//!    `capacity_bytes` through the component, for two capacities and for no dead endpoint at
//!    all. Each case runs in a fresh process (this binary re-executed with `PYBENCH_MEMORY`),
//!    because freed heap is not returned to the system and would hide the next case's growth.
//!
//! Rows 1 and 2 are measured **interleaved** (forwarder, baseline, forwarder, …, `ROUNDS` times)
//! and reported as medians of per-round ratios, so load from other processes on the shared
//! 2-core machine hits both sides of each ratio alike.

#![allow(missing_docs)] // a bench binary
#![allow(clippy::expect_used, clippy::panic, clippy::print_stdout)] // setup failures break the bench; it prints

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Runtime;

use common::{Direct, Rig, SinkProcess, mean_size, median, process_cpu, quantile, rss, say};

/// Interleaved rounds per figure.
const ROUNDS: usize = 7;
/// Profiles per measured round, appended [`BATCH`] at a time.
const PROFILES: usize = 8192;
/// Appends between waits for delivery (as in the criterion bench).
const BATCH: usize = 256;
/// Selects the memory case in a re-executed process: the dead capacity in bytes, or `none`.
const MEMORY_ENV: &str = "PYBENCH_MEMORY";
/// The default `capacity_bytes`.
const DEFAULT_CAPACITY: u64 = 64 << 20;

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

async fn forward(rig: &mut Rig, profiles: usize, lat: Option<&mut Vec<Duration>>) -> Duration {
    let mut lat = lat;
    let mut total = Duration::ZERO;
    for _ in 0..profiles.div_ceil(BATCH) {
        total += rig.round(BATCH, lat.as_deref_mut()).await;
    }
    total
}

async fn direct(direct: &mut Direct, profiles: usize) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..profiles.div_ceil(BATCH) {
        total += direct.round(BATCH).await;
    }
    total
}

/// One measured run: (profiles per second, CPU µs per profile).
fn measure(rt: &Runtime, run: impl Future<Output = Duration>) -> (f64, f64) {
    let cpu0 = process_cpu("self");
    let wall = rt.block_on(run);
    let cpu = process_cpu("self").saturating_sub(cpu0);
    let profiles = PROFILES.div_ceil(BATCH) * BATCH;
    (
        profiles as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / profiles as f64,
    )
}

fn fanout_cpu(rt: &Runtime, sinks: &SinkProcess, payloads: &[Bytes]) {
    say("== fan-out: throughput and CPU per profile (medians of interleaved rounds)");
    say(
        "endpoints | forwarder profiles/s | direct profiles/s | throughput ratio | \
         forwarder CPU us/profile | direct CPU us/profile | CPU ratio | forwarder CPU - direct CPU",
    );
    let mut cpu_at_one = f64::NAN;
    let mut over_at_one = f64::NAN;
    for n in [1usize, 2, 4] {
        let mut rig = rt.block_on(Rig::start(sinks, n, 0, None, payloads));
        let mut base = Direct::new(sinks, n, payloads);
        // Warm both: connections open, allocator settled.
        rt.block_on(forward(&mut rig, BATCH * 2, None));
        rt.block_on(direct(&mut base, BATCH * 2));
        let (mut f_tp, mut d_tp, mut f_cpu, mut d_cpu, mut tp_ratio, mut cpu_ratio) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..ROUNDS {
            let (ft, fc) = measure(rt, forward(&mut rig, PROFILES, None));
            let (dt, dc) = measure(rt, direct(&mut base, PROFILES));
            f_tp.push(ft);
            d_tp.push(dt);
            f_cpu.push(fc);
            d_cpu.push(dc);
            tp_ratio.push(ft / dt);
            cpu_ratio.push(fc / dc);
        }
        rt.block_on(rig.stop());
        let (fc, dc) = (median(&mut f_cpu), median(&mut d_cpu));
        if n == 1 {
            cpu_at_one = fc;
            over_at_one = fc - dc;
        }
        say(format!(
            "{n} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.2} | {:.1}",
            median(&mut f_tp),
            median(&mut d_tp),
            median(&mut tp_ratio),
            fc,
            dc,
            median(&mut cpu_ratio),
            fc - dc,
        ));
        if n > 1 {
            let extra = (n - 1) as f64;
            say(format!(
                "  {n} endpoints: forwarder CPU/profile x{:.2} of 1 endpoint; overhead above the \
                 direct requests grows by {:+.1}% of the 1-endpoint CPU per extra endpoint",
                fc / cpu_at_one,
                ((fc - dc) - over_at_one) / extra / cpu_at_one * 100.0,
            ));
        }
    }
}

fn dead_endpoint(rt: &Runtime, sinks: &SinkProcess, payloads: &[Bytes]) {
    say("== 2 healthy endpoints, with and without a third that never answers");
    let mut alone = rt.block_on(Rig::start(sinks, 2, 0, None, payloads));
    let mut with_dead = rt.block_on(Rig::start(sinks, 2, 1, None, payloads));
    let fill = (DEFAULT_CAPACITY as usize / mean_size(payloads)).next_multiple_of(BATCH) + BATCH;
    rt.block_on(forward(&mut alone, BATCH * 2, None));
    rt.block_on(forward(&mut with_dead, fill, None));
    let (mut a_tp, mut d_tp, mut ratio) = (vec![], vec![], vec![]);
    let (mut a_lat, mut d_lat) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (at, _) = measure(rt, forward(&mut alone, PROFILES, Some(&mut a_lat)));
        let (dt, _) = measure(rt, forward(&mut with_dead, PROFILES, Some(&mut d_lat)));
        a_tp.push(at);
        d_tp.push(dt);
        ratio.push(dt / at);
    }
    let (queued, queued_profiles, dropped) = with_dead.dead_state().expect("a dead endpoint");
    rt.block_on(alone.stop());
    rt.block_on(with_dead.stop());
    say(
        "case | healthy profiles/s | append p50 us | append p99 us | append p99.9 us | append max us | appends timed",
    );
    for (name, tp, lat) in [
        ("2 healthy", &mut a_tp, &mut a_lat),
        ("2 healthy + 1 dead", &mut d_tp, &mut d_lat),
    ] {
        let count = lat.len();
        say(format!(
            "{name} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {count}",
            median(tp),
            quantile(lat, 0.50).as_secs_f64() * 1e6,
            quantile(lat, 0.99).as_secs_f64() * 1e6,
            quantile(lat, 0.999).as_secs_f64() * 1e6,
            quantile(lat, 1.0).as_secs_f64() * 1e6,
        ));
    }
    say(format!(
        "healthy throughput with the dead endpoint / without (median of per-round ratios): {:.3}",
        median(&mut ratio)
    ));
    say(format!(
        "dead endpoint at the end: {queued_profiles} profiles, {:.1} MiB queued \
         (capacity_bytes {:.0} MiB), {dropped} dropped",
        mib(queued),
        mib(DEFAULT_CAPACITY),
    ));
}

/// In a fresh process: push 3x `capacity` bytes of profiles through 2 healthy endpoints and,
/// unless `capacity` is `None`, one dead endpoint with that `capacity_bytes`; print one line.
fn memory_case(capacity: Option<u64>) {
    let sinks = SinkProcess::start();
    let payloads = common::payloads();
    let rt = common::runtime();
    let mut rig = rt.block_on(Rig::start(
        &sinks,
        2,
        usize::from(capacity.is_some()),
        capacity,
        &payloads,
    ));
    // Measured before anything is appended: every append also lands in the dead queue.
    let (before, _) = rss();
    let volume = 3 * capacity.unwrap_or(DEFAULT_CAPACITY);
    let profiles = (volume as usize / mean_size(&payloads)).next_multiple_of(BATCH);
    rt.block_on(forward(&mut rig, profiles, None));
    let (after, peak) = rss();
    let (queued, _, dropped) = rig.dead_state().unwrap_or((0, 0, 0));
    rt.block_on(rig.stop());
    say(format!(
        "memory {} {profiles} {before} {after} {peak} {queued} {dropped}",
        capacity.map_or_else(|| "none".to_owned(), |c| c.to_string()),
    ));
}

fn memory(_sinks: &SinkProcess) {
    say("== memory: VmRSS growth after pushing 3x capacity_bytes through 2 healthy + 1 dead");
    say(
        "dead capacity_bytes | profiles pushed | RSS before MiB | RSS after MiB | growth MiB | \
         growth / capacity | peak RSS MiB | dead queue MiB | dropped by the dead endpoint",
    );
    let exe = std::env::current_exe().expect("the bench binary's path");
    for case in [
        (16u64 << 20).to_string(),
        DEFAULT_CAPACITY.to_string(),
        "none".to_owned(),
    ] {
        let output = Command::new(&exe)
            .env(MEMORY_ENV, &case)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("run a memory case");
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("memory "))
            .unwrap_or_else(|| panic!("memory case {case} printed no result: {text}"));
        let f: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> u64 { f.get(i).and_then(|v| v.parse().ok()).unwrap_or(0) };
        let (before, after, peak, queued, dropped) = (num(2), num(3), num(4), num(5), num(6));
        let growth = after.saturating_sub(before);
        let capacity = f.first().and_then(|v| v.parse::<u64>().ok());
        say(format!(
            "{} | {} | {:.1} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {dropped}",
            capacity.map_or_else(
                || "no dead endpoint".to_owned(),
                |c| format!("{:.0} MiB", mib(c))
            ),
            num(1),
            mib(before),
            mib(after),
            mib(growth),
            capacity.map_or_else(
                || "-".to_owned(),
                |c| format!("{:.2}", growth as f64 / c as f64)
            ),
            mib(peak),
            mib(queued),
        ));
    }
}

fn main() {
    common::sink_main_if_child();
    if let Some(case) = std::env::var_os(MEMORY_ENV) {
        let case = case.to_string_lossy().into_owned();
        memory_case(case.parse().ok());
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument selects sections.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let sinks = SinkProcess::start();
    say(format!(
        "pyroscope.write figures: {} sinks in process {}, payloads 10-50 KB gzip pprof",
        sinks.sinks.len(),
        sinks.pid()
    ));
    if wanted("memory") {
        memory(&sinks);
    }
    let payloads = common::payloads();
    say(format!(
        "payloads: {} gzip pprof profiles, {}..{} bytes, mean {} bytes",
        payloads.len(),
        payloads.iter().map(Bytes::len).min().unwrap_or(0),
        payloads.iter().map(Bytes::len).max().unwrap_or(0),
        mean_size(&payloads),
    ));
    let rt = common::runtime();
    if wanted("fanout") {
        fanout_cpu(&rt, &sinks, &payloads);
    }
    if wanted("dead") {
        dead_endpoint(&rt, &sinks, &payloads);
    }
}
