//! Client-side delta and pass-through at component level (spec §5.4–§5.6; Acceptance 3, 4, 12;
//! Bad input "gzip magic followed by garbage").

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

/// Acceptance 3: after k successful memory scrapes exactly k−1 memory profiles were forwarded;
/// goroutine is forwarded from its first scrape.
#[tokio::test]
async fn the_first_memory_scrape_is_dropped() {
    let target = FakeTarget::start().await;
    serve_memory(&target);
    target.reply("/debug/pprof/goroutine", Reply::pprof(goroutine_profile()));
    let recorder = Recorder::new();
    let harness = start(single(
        &target,
        vec![recorder.receiver()],
        "1s",
        &["memory", "goroutine"],
    ))
    .await;
    assert!(target.wait_count("/debug/pprof/allocs", 3, WAIT).await);
    let info = wait_info(&harness, "/debug/pprof/allocs", WAIT, |t| t.health == "up").await;
    assert_eq!(info.last_error, "");
    // Between scrapes (no request in flight) k scrapes have produced k−1 profiles.
    let settled = ferroalloy_test_util::eventually(WAIT, || {
        let scrapes = target.count("/debug/pprof/allocs");
        scrapes >= 3 && recorder.named("memory").len() == scrapes - 1
    })
    .await;
    assert!(
        settled,
        "{} scrapes, {} forwarded",
        target.count("/debug/pprof/allocs"),
        recorder.named("memory").len()
    );

    assert!(recorder.wait_named("goroutine", 1, WAIT).await);
    let goroutines = recorder.named("goroutine");
    assert_eq!(
        &goroutines[0].1[0].raw_profile[..],
        &goroutine_profile()[..],
        "non-delta profiles are forwarded byte for byte"
    );
}

/// Acceptance 4 with synthetic profiles: gzip, all four sample types, period 524288,
/// `duration_nanos` close to the interval, the allocation columns as deltas, in-use columns as
/// they are, `__delta__="false"`.
#[tokio::test]
async fn forwarded_memory_profiles_are_deltas() {
    let target = FakeTarget::start().await;
    serve_memory(&target);
    let recorder = Recorder::new();
    let _harness = start(single(
        &target,
        vec![recorder.receiver()],
        "2s",
        &["memory"],
    ))
    .await;
    assert!(recorder.wait_named("memory", 2, WAIT).await);
    for (labels, samples) in recorder.named("memory").iter().take(2) {
        assert_eq!(labels.get("__delta__"), Some("false"));
        assert_eq!(samples.len(), 1);
        assert_eq!(samples[0].id, "");
        let bytes = &samples[0].raw_profile;
        assert!(bytes.starts_with(&[0x1f, 0x8b]), "gzip");
        let profile = decode(bytes);
        let expected: Vec<(String, String)> = MEMORY_TYPES
            .iter()
            .map(|(t, u)| ((*t).to_owned(), (*u).to_owned()))
            .collect();
        assert_eq!(type_names(&profile), expected);
        assert_eq!(profile.period, 524_288);
        let two_seconds = 2_000_000_000_f64;
        let ratio = profile.duration_nanos as f64 / two_seconds;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "duration_nanos {} is not within 10% of 2s",
            profile.duration_nanos
        );
        // main.alloc grows by 10 objects / 1000 bytes per scrape; main.idle is constant in
        // alloc but still in use, so it stays with zero alloc deltas.
        let mut values = leaf_values(&profile);
        values.sort();
        assert_eq!(
            values,
            vec![
                ("main.alloc".to_owned(), vec![10, 1000, 1, 100]),
                ("main.idle".to_owned(), vec![0, 0, 1, 100]),
            ]
        );
    }
}

/// Bad input: gzip magic followed by garbage on a memory job → `down` with `computing delta: …`;
/// the baseline is unchanged, so the next good scrape is forwarded as a delta against the
/// scrape before the garbage.
#[tokio::test]
async fn garbage_keeps_the_baseline() {
    let target = FakeTarget::start().await;
    let garbage = vec![
        0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02,
    ];
    target.respond("/debug/pprof/allocs", move |n| match n {
        1 => Reply::pprof(memory_profile(1, now_nanos())),
        2 => Reply::pprof(garbage.clone()),
        _ => Reply::pprof(memory_profile(3, now_nanos())),
    });
    let recorder = Recorder::new();
    let harness = start(single(
        &target,
        vec![recorder.receiver()],
        "1s",
        &["memory"],
    ))
    .await;
    let info = wait_info(&harness, "/debug/pprof/allocs", WAIT, |t| {
        t.health == "down"
    })
    .await;
    assert!(
        info.last_error.starts_with("computing delta: "),
        "{}",
        info.last_error
    );
    assert!(recorder.appends().is_empty());
    assert!(recorder.wait_named("memory", 1, WAIT).await);
    let profile = decode(&recorder.named("memory")[0].1[0].raw_profile);
    let alloc = leaf_values(&profile)
        .into_iter()
        .find(|(name, _)| name == "main.alloc")
        .unwrap();
    assert_eq!(
        alloc.1,
        vec![20, 2000, 1, 100],
        "delta of scrape 3 against scrape 1"
    );
    wait_info(&harness, "/debug/pprof/allocs", WAIT, |t| t.health == "up").await;
}

/// Acceptance 12, fake-target half: a godeltaprof memory job forwards the target's bytes
/// unchanged from the first scrape, as `__name__="memory"` with `__delta__="false"`.
#[tokio::test]
async fn godeltaprof_is_passed_through_unchanged() {
    let target = FakeTarget::start().await;
    let first = memory_profile(7, 1_700_000_000_000_000_000);
    target.respond("/debug/pprof/delta_heap", |n| {
        Reply::pprof(memory_profile(6 + n as i64, 1_700_000_000_000_000_000))
    });
    let recorder = Recorder::new();
    let _harness = start(single(
        &target,
        vec![recorder.receiver()],
        "1s",
        &["godeltaprof_memory"],
    ))
    .await;
    assert!(recorder.wait_named("memory", 1, WAIT).await);
    let (labels, samples) = &recorder.named("memory")[0];
    assert_eq!(
        &samples[0].raw_profile[..],
        &first[..],
        "the first scrape's bytes, unchanged"
    );
    assert_eq!(labels.get("__delta__"), Some("false"));
    assert_eq!(
        labels.get("__profile_path__"),
        Some("/debug/pprof/delta_heap")
    );
}

/// `delta = true` on memory asks the target for a delta (`seconds=N`) and forwards it from the
/// first scrape without subtracting again (D3).
#[tokio::test]
async fn target_side_delta_is_not_subtracted_again() {
    let target = FakeTarget::start().await;
    let fixed = memory_profile(4, 1_700_000_000_000_000_000);
    target.reply("/debug/pprof/allocs", Reply::pprof(fixed.clone()));
    let recorder = Recorder::new();
    let mut arguments = single(&target, vec![recorder.receiver()], "2s", &["memory"]);
    arguments.profiling_config.memory.delta = true;
    let _harness = start(arguments).await;
    assert!(recorder.wait_named("memory", 2, WAIT).await);
    for (labels, samples) in recorder.named("memory").iter().take(2) {
        assert_eq!(&samples[0].raw_profile[..], &fixed[..]);
        assert_eq!(labels.get("__delta__"), Some("false"));
    }
    assert_eq!(
        target.received()[0].path_and_query,
        "/debug/pprof/allocs?seconds=1"
    );
}
