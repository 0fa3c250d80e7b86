//! Bad input "body > 256 MiB" (spec §5.3): a target streaming more than the cap fails the
//! scrape with `response body exceeds 268435456 bytes`, and memory stays bounded: the body is
//! never buffered past the cap, so a 1 GiB chunked body costs at most the cap. Its own test
//! binary, so the peak RSS it checks is its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;

/// The process's peak resident set size in bytes (`VmHWM` of `/proc/self/status`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_body_over_the_cap_fails_with_bounded_memory() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::Stream { total: 300 << 20 });
    let recorder = Recorder::new();
    let mut arguments = single(&target, vec![recorder.receiver()], "1s", &["goroutine"]);
    arguments.scrape_timeout = dur("2m");
    let mut harness = start(arguments).await;
    let info = wait_info(
        &harness,
        "/debug/pprof/goroutine",
        Duration::from_secs(120),
        |t| t.health != "unknown",
    )
    .await;
    harness.stop().await.unwrap();
    assert_eq!(info.health, "down");
    assert_eq!(info.last_error, "response body exceeds 268435456 bytes");
    assert!(recorder.appends().is_empty());
    let peak = peak_rss();
    assert!(
        peak < 384 << 20,
        "peak RSS {} MiB: the body was buffered",
        peak >> 20
    );
}
