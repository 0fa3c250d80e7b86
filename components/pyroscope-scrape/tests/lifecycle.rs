//! Lifecycle and observation (spec §5.1, §6, §7; Acceptance 10, 14, 15): shutdown during a held
//! fetch, phases from job keys, debug info through a target's life, invalid targets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::*;
use ferroalloy_pyroscope_scrape::schedule;
use ferroalloy_pyroscope_scrape::targets::expand;

/// Acceptance 15: shutdown during a `seconds` fetch the target holds completes within 1 s, and
/// the fetch is given up.
#[tokio::test]
async fn shutdown_during_a_held_fetch_is_prompt() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/profile", Reply::Hang);
    let mut harness = start(single(&target, vec![], "3s", &["process_cpu"])).await;
    assert!(target.wait_count("/debug/pprof/profile", 1, WAIT).await);
    assert_eq!(
        target.received()[0].path_and_query,
        "/debug/pprof/profile?seconds=2"
    );
    let started = Instant::now();
    harness.stop().await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    assert!(
        ferroalloy_test_util::eventually(WAIT, || target.abandoned() >= 1).await,
        "the held fetch is aborted"
    );
}

/// Acceptance 14, from the keys: the same arguments give the same keys, hence the same phases,
/// in every run; 20 jobs of 20 targets do not all start within one 100 ms window of a 3 s
/// interval.
#[test]
fn phases_are_stable_and_spread() {
    let targets: Vec<_> = (0..20)
        .map(|i| {
            target(&[
                ("__address__", "127.0.0.1:6060"),
                ("service_name", "app"),
                ("replica", &i.to_string()),
            ])
        })
        .collect();
    let arguments = args(targets, vec![], "3s", &["goroutine"]);
    let interval = Duration::from_secs(3);
    let phases = |a: &ferroalloy_pyroscope_scrape::config::ScrapeArguments| -> Vec<i128> {
        expand(a)
            .jobs
            .iter()
            .map(|job| schedule::phase(job.key, interval))
            .collect()
    };
    let first = phases(&arguments);
    assert_eq!(first.len(), 20);
    assert_eq!(first, phases(&arguments.clone()), "same input, same phases");
    let min = first.iter().min().unwrap();
    let max = first.iter().max().unwrap();
    assert!(max - min > 100_000_000, "phases {first:?} are bunched");
    assert!(first.iter().all(|p| (0..3_000_000_000).contains(p)));
}

/// §5.1: a job never runs two scrapes at once; slots missed by a slow scrape are skipped, not
/// caught up (requests of the job never overlap and come at most once per slot).
#[tokio::test]
async fn a_slow_scrape_skips_slots_without_overlap() {
    let target = FakeTarget::start().await;
    let slow = Duration::from_millis(2500);
    target.reply(
        "/debug/pprof/goroutine",
        Reply::Delay(slow, Box::new(Reply::pprof(goroutine_profile()))),
    );
    let _harness = start(single(&target, vec![], "1s", &["goroutine"])).await;
    assert!(target.wait_count("/debug/pprof/goroutine", 3, WAIT).await);
    let arrivals: Vec<SystemTime> = target.received().iter().map(|r| r.at).collect();
    for pair in arrivals.windows(2) {
        let gap = pair[1].duration_since(pair[0]).unwrap_or_default();
        assert!(gap >= slow, "a request came {gap:?} after the previous one");
    }
}

/// Find a label value that puts the job's first slot at least 1.5 s into a 3 s interval from
/// now, so the "before the first scrape" state can be observed without racing the scheduler.
fn far_replica(address: &str) -> String {
    let interval = Duration::from_secs(3);
    for i in 0..1000 {
        let replica = i.to_string();
        let arguments = args(
            vec![target(&[("__address__", address), ("replica", &replica)])],
            vec![],
            "3s",
            &["goroutine"],
        );
        let key = expand(&arguments).jobs[0].key;
        let now = schedule::unix_nanos(SystemTime::now());
        let slot = schedule::next_slot(now, interval, schedule::phase(key, interval));
        if slot - now > 1_500_000_000 {
            return replica;
        }
    }
    panic!("no label value with a far slot");
}

/// Acceptance 10: `unknown` before the first scrape; `up` with `last_scrape` and a non-zero
/// `last_scrape_duration` after; the target stopped → `down` with a transport error within one
/// interval; restarted on the same port → `up` again.
#[tokio::test]
async fn debug_info_follows_the_target() {
    let mut target = FakeTarget::start().await;
    let address = target.address();
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let replica = far_replica(&address);
    let mut arguments = args(
        vec![common::target(&[
            ("__address__", &address),
            ("replica", &replica),
        ])],
        vec![],
        "3s",
        &["goroutine"],
    );
    arguments.job_name = "pods".into();
    let harness = start(arguments).await;
    let before = targets_info(&harness);
    assert_eq!(before.len(), 1);
    let info = &before[0];
    assert_eq!(info.health, "unknown");
    assert_eq!(info.job, "pods");
    assert_eq!(info.url, format!("http://{address}/debug/pprof/goroutine"));
    assert_eq!(info.last_error, "");
    assert_eq!(info.last_scrape, "0001-01-01T00:00:00Z");
    assert_eq!(info.last_scrape_duration, "0s");
    assert_eq!(
        info.labels.get("__name__").map(String::as_str),
        Some("goroutine")
    );
    assert_eq!(info.labels.get("job").map(String::as_str), Some("pods"));
    assert_eq!(info.labels.get("instance"), Some(&address));
    assert!(!info.labels.contains_key("otel.scope.name"));

    let up = wait_info(&harness, "/goroutine", WAIT, |t| t.health == "up").await;
    assert_eq!(up.last_error, "");
    assert!(
        up.last_scrape.ends_with('Z') && up.last_scrape.starts_with("20"),
        "{}",
        up.last_scrape
    );
    assert_ne!(up.last_scrape_duration, "0s");

    target.stop().await;
    let down = wait_info(&harness, "/goroutine", Duration::from_secs(5), |t| {
        t.health == "down"
    })
    .await;
    assert!(
        down.last_error
            .starts_with(&format!("Get \"http://{address}/debug/pprof/goroutine\": ")),
        "{}",
        down.last_error
    );

    let restarted = FakeTarget::start_on(target.addr()).await;
    restarted.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let again = wait_info(&harness, "/goroutine", WAIT, |t| t.health == "up").await;
    assert_eq!(again.last_error, "");
}

/// Bad input, target rows at component level (D2): invalid targets are skipped on their own,
/// listed in debug info as `down` with their reason and `url = ""`; the valid one is scraped.
#[tokio::test]
async fn invalid_targets_are_listed_and_the_rest_is_scraped() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let harness = start(args(
        vec![
            common::target(&[("service_name", "no-address")]),
            common::target(&[("__address__", "http://h:1")]),
            common::target(&[("__address__", "h"), ("__scheme__", "ftp")]),
            common::target(&[("__address__", &target.address())]),
        ],
        vec![],
        "1s",
        &["goroutine"],
    ))
    .await;
    let infos = targets_info(&harness);
    assert_eq!(infos.len(), 4);
    let invalid: Vec<(&str, &str, &str)> = infos
        .iter()
        .filter(|t| t.url.is_empty())
        .map(|t| (t.health.as_str(), t.last_error.as_str(), t.url.as_str()))
        .collect();
    assert_eq!(
        invalid,
        vec![
            ("down", "no address", ""),
            ("down", "\"http://h:1\" is not a valid hostname", ""),
            ("down", "invalid scheme: \"ftp\"", ""),
        ]
    );
    assert_eq!(
        infos[0].labels.get("service_name").map(String::as_str),
        Some("no-address")
    );
    assert!(target.wait_count("/debug/pprof/goroutine", 1, WAIT).await);
    wait_info(&harness, "/debug/pprof/goroutine", WAIT, |t| {
        t.health == "up"
    })
    .await;
}
