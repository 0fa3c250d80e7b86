//! The controller with the shipped `local.file` (runtime §15 items 12 and 13).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use ferroalloy_component::{HealthState, Stability};
use ferroalloy_runtime::controller::{Controller, ControllerConfig};
use ferroalloy_runtime::status::{ControlPlane, LoadOutcome, LogSettings, LoggingControl, Trigger};

struct NoLogging;

impl LoggingControl for NoLogging {
    fn apply(&self, _: LogSettings) -> Result<(), String> {
        Ok(())
    }
}

async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_naming_a_missing_file_fails_then_builds_once_the_name_is_good() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("main.alloy");
    let p = dir.path().join("p");
    let missing = dir.path().join("missing");
    let existing = dir.path().join("existing");
    std::fs::write(&existing, "hello").unwrap();
    std::fs::write(&p, missing.to_string_lossy().as_bytes()).unwrap();
    std::fs::write(&config, "").unwrap();
    let controller = Controller::new(ControllerConfig {
        registry: ferroalloy_components::register_all().unwrap(),
        config_path: config.clone(),
        storage_path: dir.path().join("data"),
        stability: Stability::GenerallyAvailable,
        shutdown_deadline: Duration::from_secs(10),
        logging: Arc::new(NoLogging),
    });
    let startup = controller.load(Trigger::Startup).await.unwrap();
    assert_eq!(startup.outcome, LoadOutcome::Ok);

    std::fs::write(
        &config,
        format!(
            "local.file \"p\" {{\n  filename = {:?}\n}}\n\nlocal.file \"q\" {{\n  filename = local.file.p.content\n}}\n",
            p.to_string_lossy()
        ),
    )
    .unwrap();
    let report = controller.load(Trigger::Http).await.unwrap();
    assert_eq!(report.outcome, LoadOutcome::Partial);
    let q = controller.component("local.file.q").unwrap();
    assert_eq!(q.health.state, HealthState::Unhealthy);
    assert!(
        q.health
            .message
            .starts_with("component evaluation failed: "),
        "{}",
        q.health.message
    );
    assert!(
        controller.task_id("local.file.q").is_none(),
        "q is not running"
    );

    std::fs::write(&p, existing.to_string_lossy().as_bytes()).unwrap();
    assert!(
        eventually(|| controller.task_id("local.file.q").is_some()).await,
        "q builds and starts without a reload"
    );
    assert!(
        eventually(|| {
            controller.component("local.file.q").is_some_and(|q| {
                q.health.state == HealthState::Healthy
                    && q.exports
                        .as_ref()
                        .and_then(|e| e.get("content"))
                        .is_some_and(|content| format!("{content:?}").contains("\"hello\""))
            })
        })
        .await
    );
    let report = controller.shutdown().await;
    assert!(report.aborted.is_empty());
}
