//! Log lines said once (spec §3, §4.6, §10): `clustering { enabled = true }`, a
//! `profile.custom` replacing a built-in, and invalid targets (once per change of the target
//! set). Its own binary so the subscriber can be the global one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use ferroalloy_pyroscope_scrape::config::{ClusteringConfig, CustomProfile};
use ferroalloy_test_util::CapturedLogs;
use ferroalloy_value::decode::Labelled;

#[tokio::test]
async fn warnings_are_logged_once() {
    let captured = CapturedLogs::install_global(tracing::Level::INFO).expect("first subscriber");

    let mut arguments = args(
        vec![
            target(&[("__address__", "127.0.0.1:9")]),
            target(&[("service_name", "no-address")]),
        ],
        vec![],
        "30s",
        &["goroutine"],
    );
    arguments.clustering = Some(ClusteringConfig { enabled: true });
    arguments.profiling_config.custom.push(Labelled {
        label: "memory".into(),
        block: CustomProfile {
            enabled: true,
            path: "/debug/pprof/heap".into(),
            delta: false,
        },
    });
    let harness = start(arguments.clone()).await;
    harness.update(arguments.clone()).await.unwrap();
    assert_eq!(captured.count("clustering is enabled"), 1);
    assert_eq!(captured.count("replaces the built-in profile type"), 1);
    assert_eq!(captured.count("profile=\"memory\""), 1);
    assert_eq!(captured.count("skipping invalid scrape target"), 1);
    assert_eq!(captured.count("no address"), 1);
    let urls: Vec<String> = targets_info(&harness).into_iter().map(|t| t.url).collect();
    assert!(
        urls.contains(&"http://127.0.0.1:9/debug/pprof/heap".to_owned()),
        "{urls:?}"
    );

    // A changed target set logs its invalid targets again; clustering off then on warns again.
    arguments.targets.push(target(&[("__address__", "h/x")]));
    arguments.clustering = None;
    harness.update(arguments.clone()).await.unwrap();
    assert_eq!(captured.count("skipping invalid scrape target"), 3);
    arguments.clustering = Some(ClusteringConfig { enabled: true });
    harness.update(arguments).await.unwrap();
    assert_eq!(captured.count("clustering is enabled"), 2);
}
