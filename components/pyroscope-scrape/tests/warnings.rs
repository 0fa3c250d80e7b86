//! Log lines said once (spec §3, §4.6, §10): `clustering { enabled = true }`, a
//! `profile.custom` replacing a built-in, and invalid targets (once per change of the target
//! set). Its own binary so the subscriber can be the global one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ferroalloy_pyroscope_scrape::config::{ClusteringConfig, CustomProfile};
use ferroalloy_value::decode::Labelled;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn count(&self, needle: &str) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines().filter(|l| l.contains(needle)).count()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn warnings_are_logged_once() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

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
