//! Update semantics (spec §6, Acceptance 13, Bad input validation rows): `forward_to` swaps keep
//! baselines, removed targets stop at once (their in-flight fetch aborted), interval, timeout
//! and client changes keep jobs and baselines, a failed Update changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use ferroalloy_component::HealthState;

/// The `inuse_objects` value of `main.alloc` is the request number `n` (a pass-through
/// column), so a forwarded profile tells which scrape it came from.
fn serve_numbered_memory(target: &FakeTarget) {
    target.respond("/debug/pprof/allocs", |n| {
        let n = n as i64;
        Reply::pprof(ferroalloy_pyroscope::pprof::encode_gzip(&profile(
            &MEMORY_TYPES,
            &[(&["main.alloc", "main.main"], &[10 * n, 1000 * n, n, 100])],
            now_nanos(),
            524_288,
        )))
    });
}

fn scrape_number(sample: &ferroalloy_pyroscope::RawSample) -> i64 {
    let values = leaf_values(&decode(&sample.raw_profile));
    values[0].1[2]
}

/// Acceptance 13 (receiver half): after `forward_to` changes, the next memory scrape goes to
/// the new receiver and is not dropped (the baseline is kept, no job restarts).
#[tokio::test]
async fn a_forward_to_swap_keeps_the_baseline() {
    let target = FakeTarget::start().await;
    serve_numbered_memory(&target);
    let old = Recorder::new();
    let new = Recorder::new();
    let arguments = single(&target, vec![old.receiver()], "1s", &["memory"]);
    let harness = start(arguments.clone()).await;
    assert!(old.wait_named("memory", 1, WAIT).await);
    let before = target.count("/debug/pprof/allocs");
    let mut swapped = arguments;
    swapped.forward_to = vec![new.receiver()];
    harness.update(swapped).await.unwrap();
    assert!(new.wait_named("memory", 1, WAIT).await);
    let first_new = scrape_number(&new.named("memory")[0].1[0]);
    assert!(
        first_new == before as i64 || first_new == before as i64 + 1,
        "the first scrape after the swap ({first_new}) is forwarded, not dropped (update at {before})"
    );
    for (_, samples) in old.named("memory") {
        assert!(scrape_number(&samples[0]) <= before as i64);
    }
}

/// Acceptance 13 (target half): a removed target gets no request once the Update returned; the
/// kept one goes on being scraped.
#[tokio::test]
async fn a_removed_target_is_not_scraped_again() {
    let kept = FakeTarget::start().await;
    let removed = FakeTarget::start().await;
    for t in [&kept, &removed] {
        t.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    }
    let kept_target = target(&[("__address__", &kept.address())]);
    let removed_target = target(&[("__address__", &removed.address())]);
    let harness = start(args(
        vec![kept_target.clone(), removed_target],
        vec![],
        "1s",
        &["goroutine"],
    ))
    .await;
    assert!(removed.wait_count("/debug/pprof/goroutine", 1, WAIT).await);
    harness
        .update(args(vec![kept_target], vec![], "1s", &["goroutine"]))
        .await
        .unwrap();
    let at_update = removed.count("/debug/pprof/goroutine");
    let kept_at_update = kept.count("/debug/pprof/goroutine");
    assert!(
        kept.wait_count("/debug/pprof/goroutine", kept_at_update + 2, WAIT)
            .await
    );
    assert_eq!(removed.count("/debug/pprof/goroutine"), at_update);
    assert_eq!(targets_info(&harness).len(), 1);
}

/// §6: a vanished job's in-flight fetch is aborted at once.
#[tokio::test]
async fn a_removed_job_aborts_its_fetch() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::Hang);
    let mut arguments = single(&target, vec![], "1s", &["goroutine"]);
    arguments.scrape_timeout = dur("1m");
    let harness = start(arguments.clone()).await;
    assert!(target.wait_count("/debug/pprof/goroutine", 1, WAIT).await);
    arguments.targets.clear();
    harness.update(arguments).await.unwrap();
    assert!(
        ferroalloy_test_util::eventually(Duration::from_secs(1), || target.abandoned() >= 1).await,
        "the held request is given up within 1s"
    );
}

/// Acceptance 13 (timeout half) and §6 third row: changing `scrape_timeout`, then
/// `scrape_interval` and the client settings keeps the memory job and its baseline (no
/// first-scrape drop follows), and the new client is used from the next scrape.
#[tokio::test]
async fn timeout_interval_and_client_changes_keep_the_baseline() {
    let target = FakeTarget::start().await;
    serve_numbered_memory(&target);
    let recorder = Recorder::new();
    let mut arguments = single(&target, vec![recorder.receiver()], "1s", &["memory"]);
    let harness = start(arguments.clone()).await;
    assert!(recorder.wait_named("memory", 1, WAIT).await);

    arguments.scrape_timeout = dur("5s");
    harness.update(arguments.clone()).await.unwrap();
    let n = target.count("/debug/pprof/allocs");
    assert!(target.wait_count("/debug/pprof/allocs", n + 2, WAIT).await);

    arguments.scrape_interval = dur("2s");
    arguments.client.http_headers.insert(
        "X-After".to_owned(),
        vec![ferroalloy_value::Secret::new("update")],
    );
    harness.update(arguments).await.unwrap();
    let n = target.count("/debug/pprof/allocs");
    assert!(target.wait_count("/debug/pprof/allocs", n + 2, WAIT).await);

    // Every scrape but the very first was forwarded.
    let settled = ferroalloy_test_util::eventually(WAIT, || {
        recorder.named("memory").len() == target.count("/debug/pprof/allocs") - 1
    })
    .await;
    assert!(settled, "a scrape after an update was dropped");
    let numbers: Vec<i64> = recorder
        .named("memory")
        .iter()
        .map(|(_, s)| scrape_number(&s[0]))
        .collect();
    let expected: Vec<i64> = (2..=numbers.len() as i64 + 1).collect();
    assert_eq!(numbers, expected);
    let last = target.received().pop().unwrap();
    assert_eq!(last.headers.get("x-after").unwrap(), "update");
}

/// Bad input, validation rows: each invalid Update fails with the §2.1 message, makes the
/// component unhealthy and leaves the previous arguments running; a good Update heals it.
#[tokio::test]
async fn a_failed_update_changes_nothing() {
    let target = FakeTarget::start().await;
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let good = single(&target, vec![], "1s", &["goroutine"]);
    let harness = start(good.clone()).await;
    assert_eq!(harness.health().unwrap().state, HealthState::Healthy);

    let mut zero_timeout = good.clone();
    zero_timeout.scrape_timeout = dur("0s");
    let mut cpu_1s = good.clone();
    cpu_1s.profiling_config.process_cpu.enabled = true;
    let mut short_delta = good.clone();
    short_delta.profiling_config.process_cpu.enabled = true;
    short_delta.scrape_interval = dur("15s");
    short_delta.delta_profiling_duration = Some(dur("1s"));
    let mut long_delta = short_delta.clone();
    long_delta.delta_profiling_duration = Some(dur("15s"));
    let mut duplicate = good.clone();
    for _ in 0..2 {
        duplicate
            .profiling_config
            .custom
            .push(ferroalloy_value::decode::Labelled {
                label: "x".into(),
                block: ferroalloy_pyroscope_scrape::config::CustomProfile {
                    enabled: true,
                    path: "/x".into(),
                    delta: false,
                },
            });
    }
    let mut two_tokens = good.clone();
    two_tokens.client.bearer_token = ferroalloy_value::Secret::new("t");
    two_tokens.client.bearer_token_file = "/tmp/token".into();
    let cases = [
        (zero_timeout, "scrape_timeout must be greater than 0"),
        (
            cpu_1s,
            "scrape_interval must be at least 2 seconds when using delta profiling",
        ),
        (
            short_delta,
            "delta_profiling_duration must be larger than 1 second when using delta profiling",
        ),
        (
            long_delta,
            "delta_profiling_duration must be at least 1 second smaller than scrape_interval \
             when using delta profiling",
        ),
        (duplicate, "profile.custom \"x\" is defined more than once"),
        (
            two_tokens,
            "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file \
             must be configured",
        ),
    ];
    for (bad, message) in cases {
        let error = harness.update(bad).await.unwrap_err().to_string();
        assert!(
            error.contains(message),
            "{error:?} does not contain {message:?}"
        );
        let health = harness.health().unwrap();
        assert_eq!(health.state, HealthState::Unhealthy);
        assert!(health.message.contains(message), "{}", health.message);
    }
    let n = target.count("/debug/pprof/goroutine");
    assert!(
        target
            .wait_count("/debug/pprof/goroutine", n + 1, WAIT)
            .await,
        "the previous arguments keep running"
    );
    assert_eq!(targets_info(&harness).len(), 1);
    harness.update(good).await.unwrap();
    assert_eq!(harness.health().unwrap().state, HealthState::Healthy);
}

/// A client that cannot be built (unreadable CA file) fails the build and, later, an Update.
#[tokio::test]
async fn a_client_build_error_fails_build_and_update() {
    let mut bad = args(vec![], vec![], "1s", &["goroutine"]);
    bad.client.tls_config.ca_file = "/nonexistent/ca.pem".into();
    let failure = Harness::build(bad.clone()).await.unwrap_err();
    assert!(
        failure
            .error
            .to_string()
            .starts_with("unable to read CA cert: unable to read file /nonexistent/ca.pem"),
        "{}",
        failure.error
    );
    let harness = start(args(vec![], vec![], "1s", &["goroutine"])).await;
    let error = harness.update(bad).await.unwrap_err().to_string();
    assert!(error.starts_with("unable to read CA cert"), "{error}");
    assert_eq!(harness.health().unwrap().state, HealthState::Unhealthy);
}
