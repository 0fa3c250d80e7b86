//! Process metrics (`process_*`), read from `/proc/self` at scrape time, named and typed as the
//! Prometheus client libraries name them so existing dashboards keep working.
//!
//! `/proc/self/stat` reports CPU time and the start time in clock ticks; the tick rate is
//! `sysconf(_SC_CLK_TCK)`, which is 100 on every Linux configuration we run on (reading it
//! needs `libc`, which the runtime does not otherwise use). A value that cannot be read is left
//! out rather than reported as zero.

use std::fmt::Write as _;
use std::fs;

const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// Append the process families to `out` as text exposition.
pub fn encode_process_metrics(out: &mut String) {
    let stat = fs::read_to_string("/proc/self/stat").ok();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .as_deref()
        .and_then(|s| s.rfind(')').map(|i| &s[i + 1..]))
        .map(|rest| rest.split_whitespace().collect())
        .unwrap_or_default();
    // `fields[0]` is field 3 (state) of proc(5).
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());

    if let (Some(utime), Some(stime)) = (field(14), field(15)) {
        family(
            out,
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            "counter",
            (utime + stime) / CLOCK_TICKS_PER_SECOND,
        );
    }
    if let Some(fds) = fs::read_dir("/proc/self/fd").ok().map(|dir| dir.count()) {
        family(
            out,
            "process_open_fds",
            "Number of open file descriptors.",
            "gauge",
            fds as f64,
        );
    }
    if let Some(max) = max_open_files() {
        family(
            out,
            "process_max_fds",
            "Maximum number of open file descriptors.",
            "gauge",
            max,
        );
    }
    if let Some(vsize) = field(23) {
        family(
            out,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            "gauge",
            vsize,
        );
    }
    if let Some(rss) = resident_bytes() {
        family(
            out,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            "gauge",
            rss,
        );
    }
    if let (Some(start_ticks), Some(boot)) = (field(22), boot_time()) {
        family(
            out,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            "gauge",
            boot + start_ticks / CLOCK_TICKS_PER_SECOND,
        );
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str, value: f64) {
    let _ = write!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    );
}

fn max_open_files() -> Option<f64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return None;
    }
    soft.parse().ok()
}

fn resident_bytes() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line
        .trim_start_matches("VmRSS:")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024.0)
}

fn boot_time() -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|line| line.starts_with("btime "))?;
    line.trim_start_matches("btime ").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_process_family_is_present_on_linux() {
        let mut out = String::new();
        encode_process_metrics(&mut out);
        for name in [
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_max_fds",
            "process_virtual_memory_bytes",
            "process_resident_memory_bytes",
            "process_start_time_seconds",
        ] {
            assert!(
                out.contains(&format!("# TYPE {name} ")),
                "{name} missing from {out}"
            );
        }
    }
}
