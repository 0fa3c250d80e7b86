//! Update semantics over loopback (§14, §18 items 17–19): kept endpoints are the same objects
//! with the same queues and connections, removed ones drain, added ones start, a failed Update
//! changes nothing, and the exported handle never changes.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{appender, args_for, assert_invariant, labels, sample, start};
use ferroalloy_component::BuildError;
use ferroalloy_test_util::eventually;
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, Route};

const WAIT: Duration = Duration::from_secs(15);

fn ids(server: &FakePyroscope) -> Vec<usize> {
    server
        .received_series()
        .iter()
        .flat_map(|s| s.samples.iter())
        .filter_map(|s| s.id.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_loses_nothing_on_kept_endpoints() {
    let a = FakePyroscope::start().await.expect("server a");
    let b = FakePyroscope::start().await.expect("server b");
    let c = FakePyroscope::start().await.expect("server c");
    let harness = start(args_for(&[a.url(), b.url()])).await;
    let exports_before = harness.export_count();
    let export_before = harness.latest_export();
    let endpoint_a = harness.component().endpoints()[0].clone();
    let endpoint_b = harness.component().endpoints()[1].clone();
    let appender = appender(&harness);

    // 200 Appends per second, numbered, until told to stop.
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let producer = tokio::spawn({
        let (next, stop, appender) = (next.clone(), stop.clone(), appender.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            while !stop.load(Ordering::SeqCst) {
                tick.tick().await;
                let id = next.fetch_add(1, Ordering::SeqCst);
                appender
                    .append(
                        labels(&[("service_name", "s")]),
                        sample(&id.to_string(), b"p"),
                    )
                    .await
                    .expect("accepted");
            }
        }
    });
    assert!(eventually(WAIT, || next.load(Ordering::SeqCst) >= 60).await);
    harness
        .update(args_for(&[a.url(), c.url()]))
        .await
        .expect("update applies");
    let first_after_update = next.load(Ordering::SeqCst);
    assert!(
        eventually(WAIT, || next.load(Ordering::SeqCst)
            >= first_after_update + 60)
        .await
    );
    stop.store(true, Ordering::SeqCst);
    producer.await.expect("producer ends");
    let total = next.load(Ordering::SeqCst);

    // A: every profile exactly once, no drop, no closed connection, counters carried over.
    a.wait_for(Route::Push, total, WAIT)
        .await
        .expect("A gets all");
    let mut got_a = ids(&a);
    got_a.sort_unstable();
    assert_eq!(got_a, (0..total).collect::<Vec<_>>());
    assert_eq!(a.connections().closed, 0);
    let kept = harness.component().endpoints()[0].clone();
    assert!(kept.ptr_eq(&endpoint_a), "A is the same endpoint object");
    let state_a = kept.state();
    assert_eq!(state_a.enqueued_profiles, total as u64);
    assert!(eventually(WAIT, || kept.state().sent_profiles == total as u64).await);
    assert_eq!(kept.state().dropped_profiles, 0);

    // B and C split the sequence at the swap: B holds what was appended before it (delivered by
    // its drain), C everything after it. An Append racing the swap may find B's queue closed and
    // count `removed` there (it still reached A), so at most that many ids are in neither.
    assert!(eventually(WAIT, || endpoint_b.is_drained()).await);
    let got_b: BTreeSet<usize> = ids(&b).into_iter().collect();
    let state_b = endpoint_b.state();
    assert_eq!(state_b.sent_profiles, got_b.len() as u64, "{state_b:?}");
    assert_eq!(
        state_b.enqueued_profiles,
        state_b.sent_profiles + state_b.dropped_profiles,
        "{state_b:?}"
    );
    assert!(state_b.dropped_profiles <= 2, "{state_b:?}");
    // C also gets what was appended between the swap and `first_after_update`, so a count of
    // requests does not say the rest has arrived: wait for the ids themselves.
    let c_has_the_rest = || {
        let got: BTreeSet<usize> = ids(&c).into_iter().collect();
        (first_after_update..total).all(|id| got.contains(&id))
    };
    assert!(eventually(WAIT, c_has_the_rest).await, "C gets the rest");
    let got_c: BTreeSet<usize> = ids(&c).into_iter().collect();
    let swap = *got_c.first().expect("C received profiles");
    assert!(swap <= first_after_update, "C started at {swap}");
    assert!(
        got_b.last().is_none_or(|last| *last < swap),
        "B got profiles appended after the swap: {got_b:?} / C from {swap}"
    );
    assert!(got_c.iter().all(|id| *id >= swap && *id < total));
    let in_neither = (0..total)
        .filter(|id| !got_b.contains(id) && !got_c.contains(id))
        .count();
    assert_eq!(in_neither as u64, state_b.dropped_profiles, "{state_b:?}");

    // The handle never changed.
    assert_eq!(harness.export_count(), exports_before);
    assert_eq!(harness.latest_export(), export_before);
    assert_invariant(&harness);
}

#[tokio::test]
async fn a_labels_only_update_keeps_every_endpoint() {
    let server = FakePyroscope::start().await.expect("server");
    let mut args = args_for(&[server.url()]);
    args.external_labels = BTreeMap::from([("env".to_owned(), "old".to_owned())]);
    let harness = start(args.clone()).await;
    let before = harness.component().endpoints();
    let appender = appender(&harness);
    appender
        .append(labels(&[("service_name", "s")]), sample("1", b"p"))
        .await
        .expect("accepted");
    server.wait_for(Route::Push, 1, WAIT).await.expect("first");
    args.external_labels = BTreeMap::from([("env".to_owned(), "new".to_owned())]);
    harness.update(args).await.expect("update applies");
    let after = harness.component().endpoints();
    assert!(before[0].ptr_eq(&after[0]), "same endpoint object");
    appender
        .append(labels(&[("service_name", "s")]), sample("2", b"p"))
        .await
        .expect("accepted");
    server.wait_for(Route::Push, 2, WAIT).await.expect("second");
    let envs: Vec<String> = server
        .received_series()
        .iter()
        .filter_map(|s| s.label("env").map(str::to_owned))
        .collect();
    assert_eq!(envs, ["old", "new"]);
    assert_eq!(server.connections().closed, 0);
    assert_eq!(harness.export_count(), 1);
}

#[tokio::test]
async fn a_failed_update_changes_nothing() {
    let server = FakePyroscope::start().await.expect("server");
    let harness = start(args_for(&[server.url()])).await;
    let before = harness.component().endpoints();
    let mut bad = args_for(&[server.url()]);
    let missing = harness.temp_dir().join("missing-ca.pem");
    bad.endpoints[0].client.tls_config.ca_file = missing.display().to_string();
    let err = harness
        .update(bad)
        .await
        .expect_err("the CA file is missing");
    assert!(matches!(err, BuildError::Other(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "unable to read CA cert: unable to read file {}: ",
            missing.display()
        )),
        "{text}"
    );
    let after = harness.component().endpoints();
    assert_eq!(after.len(), 1);
    assert!(before[0].ptr_eq(&after[0]));
    appender(&harness)
        .append(labels(&[("service_name", "s")]), sample("", b"p"))
        .await
        .expect("accepted");
    server
        .wait_for(Route::Push, 1, WAIT)
        .await
        .expect("old endpoint delivers");
    assert_eq!(harness.export_count(), 1);

    // An invalid configuration given in code is refused the same way.
    let mut invalid = args_for(&[server.url()]);
    invalid.endpoints[0].url = "ftp://x".into();
    let err = harness.update(invalid).await.expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "endpoint[0].url: endpoint url must use the http or https scheme, got \"ftp\""
    );
}

#[tokio::test]
async fn reordering_blocks_keeps_every_endpoint_and_duplicates_match_in_order() {
    let a = FakePyroscope::start().await.expect("server a");
    let b = FakePyroscope::start().await.expect("server b");
    let harness = start(args_for(&[a.url(), b.url(), a.url()])).await;
    let before = harness.component().endpoints();
    harness
        .update(args_for(&[b.url(), a.url(), a.url()]))
        .await
        .expect("update applies");
    let after = harness.component().endpoints();
    assert!(after[0].ptr_eq(&before[1]));
    assert!(after[1].ptr_eq(&before[0]));
    assert!(after[2].ptr_eq(&before[2]));
    // Removing one duplicate drains it; the other keeps delivering.
    harness
        .update(args_for(&[a.url()]))
        .await
        .expect("update applies");
    let last = harness.component().endpoints();
    assert!(last[0].ptr_eq(&before[0]));
    let states = harness.component().endpoint_states();
    assert!(!states.is_empty());
    let debug = harness.debug_info().expect("debug info");
    let blocks: Vec<_> = debug.blocks("endpoint").collect();
    assert!(!blocks.is_empty());
    assert_eq!(
        blocks[0].get("state").and_then(|v| v.as_str()),
        Some("active")
    );
    assert!(
        eventually(WAIT, || harness.component().endpoint_states().len() == 1).await,
        "removed endpoints leave debug info once drained"
    );
}
