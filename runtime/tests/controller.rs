//! Behaviour of the controller in-process (runtime §6–§9, §12, §15 items 3, 6–13, 16, 17, 24).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use ferroalloy_component::HealthState;
use ferroalloy_runtime::status::{ControlPlane, LoadOutcome, LoadReport, LogLevel, Trigger};
use ferroalloy_value::Value;
use support::{Fixture, calls_of, publish_source, stopped_in_order};

async fn load(fixture: &Fixture, trigger: Trigger) -> LoadReport {
    fixture
        .controller
        .load(trigger)
        .await
        .expect("not shutting down")
}

fn errors(report: &LoadReport) -> Vec<String> {
    report
        .diagnostics
        .sorted()
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect()
}

fn health(fixture: &Fixture, id: &str) -> (HealthState, String) {
    let info = fixture.controller.component(id).expect("component exists");
    (info.health.state, info.health.message)
}

fn metrics(fixture: &Fixture) -> String {
    let mut out = String::new();
    fixture.controller.encode_metrics(&mut out);
    out
}

async fn idle(fixture: &Fixture) {
    tokio::time::timeout(Duration::from_secs(10), fixture.controller.wait_idle())
        .await
        .expect("propagation settles");
}

/// Wait (bounded) until `check` holds.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    check()
}

const PAIR: &str = "test.counter \"a1\" {\n  value = 1\n}\n\ntest.counter \"b1\" {\n  value = test.counter.a1.out + 1\n}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_load_builds_evaluates_and_starts_in_order() {
    let fixture = Fixture::new(PAIR);
    let report = load(&fixture, Trigger::Startup).await;
    assert_eq!(report.outcome, LoadOutcome::Ok, "{:?}", errors(&report));
    assert_eq!(
        report.files,
        vec![fixture.path().to_string_lossy().into_owned()]
    );
    assert_eq!(report.config_hash.len(), 64);
    assert!(fixture.controller.is_ready());

    let list = fixture.controller.components();
    let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["test.counter.a1", "test.counter.b1"]);
    assert_eq!(list[0].referenced_by, ["test.counter.b1"]);
    assert_eq!(list[1].references_to, ["test.counter.a1"]);
    assert_eq!(list[1].data_flow_edges_to, Vec::<String>::new());
    assert_eq!(list[0].data_flow_edges_to, ["test.counter.b1"]);
    assert_eq!(
        list[1].exports.as_ref().unwrap().get("out"),
        Some(&Value::int(2))
    );
    assert!(list[1].arguments.as_ref().unwrap().get("value").is_some());

    assert!(eventually(|| calls_of("test.counter.b1").runs == 1).await);
    assert_eq!(
        health(&fixture, "test.counter.b1"),
        (HealthState::Healthy, "started component".into())
    );
    assert!(fixture.controller.task_id("test.counter.a1").is_some());

    let status = fixture.controller.reload_status();
    assert_eq!(status.last_reload.unwrap().trigger, Trigger::Startup);
    assert!(status.last_success.is_some());

    let text = metrics(&fixture);
    assert!(text.contains("alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 2"), "{text}");
    assert!(text.contains("alloy_component_graph_connection{controller_id=\"\",controller_path=\"/\",from=\"test.counter.a1\",to=\"test.counter.b1\"} 1"), "{text}");
    assert!(
        text.contains("ferroalloy_config_loads_total{trigger=\"startup\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("alloy_config_last_load_successful 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "alloy_config_hash{{sha256=\"{}\",cluster_name=\"\"}} 1",
            report.config_hash
        )),
        "{text}"
    );
    assert_eq!(
        text.matches("# HELP test_counter_updates ").count(),
        1,
        "{text}"
    );
    assert!(text.contains("component_id=\"test.counter.a1\""), "{text}");
    assert!(text.contains("component_id=\"test.counter.b1\""), "{text}");
    assert!(
        text.contains("# TYPE process_resident_memory_bytes gauge"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_initial_load_drops_everything_built() {
    let fixture = Fixture::new(
        "test.counter \"ok3\" {\n  value = 1\n}\n\ntest.counter \"bad3\" {\n  value = 1\n  fail_build = \"yes\"\n}\n",
    );
    let report = load(&fixture, Trigger::Startup).await;
    assert_eq!(report.outcome, LoadOutcome::Partial);
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!("{}:7:16: ", fixture.path().display())),
        "{errors:?}"
    );
    assert!(!fixture.controller.is_ready());
    assert!(fixture.controller.components().is_empty());
    assert_eq!(calls_of("test.counter.ok3").builds, 1);
    assert_eq!(
        calls_of("test.counter.ok3").drops,
        1,
        "the built component was dropped"
    );
    assert_eq!(calls_of("test.counter.ok3").runs, 0, "nothing was started");
    assert!(fixture.controller.reload_status().last_success.is_none());
    assert!(metrics(&fixture).contains("alloy_config_load_failures_total 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_config_is_rejected_with_its_path() {
    let fixture = Fixture::new("");
    std::fs::remove_file(fixture.path()).unwrap();
    let report = load(&fixture, Trigger::Startup).await;
    assert_eq!(report.outcome, LoadOutcome::Rejected);
    let errors = errors(&report);
    let expected = format!(
        "{}:1:1: reading config path \"{}\": ",
        fixture.path().display(),
        fixture.path().display()
    );
    assert!(errors[0].starts_with(&expected), "{errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_reloads_change_nothing() {
    let fixture = Fixture::new(PAIR.replace("a1", "a6").replace("b1", "b6").as_str());
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    assert!(eventually(|| calls_of("test.counter.b6").runs == 1).await);
    let tasks = (
        fixture.controller.task_id("test.counter.a6"),
        fixture.controller.task_id("test.counter.b6"),
    );
    let before = metrics(&fixture);
    let series = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.contains("component_id=\"test.counter.a6\""))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };

    // A syntax error.
    fixture.write("test.counter \"a6\" {\n  value = \n}\n");
    let report = load(&fixture, Trigger::Http).await;
    assert_eq!(report.outcome, LoadOutcome::Rejected);
    assert!(
        errors(&report)[0].starts_with(&format!("{}:3:1: ", fixture.path().display())),
        "{:?}",
        errors(&report)
    );

    // A reference to a component that does not exist.
    fixture.write(&format!(
        "{}\ntest.counter \"t6\" {{\n  value = test.counter.nope.out\n}}\n",
        PAIR.replace("a1", "a6").replace("b1", "b6")
    ));
    let report = load(&fixture, Trigger::Http).await;
    assert_eq!(report.outcome, LoadOutcome::Rejected);
    assert!(
        errors(&report)[0]
            .ends_with("component \"test.counter.nope.out\" does not exist or is out of scope"),
        "{:?}",
        errors(&report)
    );

    // A cycle.
    fixture.write("test.counter \"a6\" {\n  value = test.counter.b6.out\n}\n\ntest.counter \"b6\" {\n  value = test.counter.a6.out\n}\n");
    let report = load(&fixture, Trigger::Signal).await;
    assert_eq!(report.outcome, LoadOutcome::Rejected);
    let errors = errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.ends_with("cycle detected: test.counter.a6, test.counter.b6")),
        "{errors:?}"
    );

    assert_eq!(
        tasks,
        (
            fixture.controller.task_id("test.counter.a6"),
            fixture.controller.task_id("test.counter.b6")
        )
    );
    assert_eq!(calls_of("test.counter.a6").updates, 0);
    assert_eq!(calls_of("test.counter.a6").builds, 1);
    let after = metrics(&fixture);
    assert_eq!(series(&before), series(&after));
    assert!(
        after.contains("alloy_config_load_failures_total 3"),
        "{after}"
    );
    assert!(
        after.contains("alloy_config_last_load_successful 0"),
        "{after}"
    );
    let status = fixture.controller.reload_status();
    assert_eq!(status.last_reload.unwrap().outcome, LoadOutcome::Rejected);
    assert!(status.last_success.is_some(), "the last success is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_reload_keeps_last_good_and_applies_the_rest() {
    let fixture = Fixture::new(
        "test.counter \"a9\" {\n  value = 1\n}\n\ntest.counter \"b9\" {\n  value = 10\n}\n",
    );
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    let task = fixture.controller.task_id("test.counter.a9");

    fixture.write("test.counter \"a9\" {\n  value = 2\n  fail_build = \"soon\"\n}\n\ntest.counter \"b9\" {\n  value = 11\n}\n");
    let report = load(&fixture, Trigger::Http).await;
    assert_eq!(report.outcome, LoadOutcome::Partial);
    let (state, message) = health(&fixture, "test.counter.a9");
    assert_eq!(state, HealthState::Unhealthy);
    assert!(
        message.starts_with(&format!(
            "component evaluation failed: {}:3:16: ",
            fixture.path().display()
        )),
        "{message}"
    );
    let a = fixture.controller.component("test.counter.a9").unwrap();
    assert_eq!(
        a.arguments.unwrap().get("value"),
        Some(&Value::int(1)),
        "last good arguments"
    );
    assert_eq!(
        a.exports.unwrap().get("out"),
        Some(&Value::int(1)),
        "last good exports"
    );
    assert_eq!(
        fixture.controller.task_id("test.counter.a9"),
        task,
        "still running"
    );
    let b = fixture.controller.component("test.counter.b9").unwrap();
    assert_eq!(
        b.arguments.unwrap().get("value"),
        Some(&Value::int(11)),
        "the rest applies"
    );

    // Fixing it: healthy again, same task.
    fixture
        .write("test.counter \"a9\" {\n  value = 2\n}\n\ntest.counter \"b9\" {\n  value = 11\n}\n");
    assert_eq!(load(&fixture, Trigger::Http).await.outcome, LoadOutcome::Ok);
    assert_eq!(health(&fixture, "test.counter.a9").0, HealthState::Healthy);
    assert_eq!(fixture.controller.task_id("test.counter.a9"), task);
    assert_eq!(calls_of("test.counter.a9").updates, 1);

    // An update that fails: unhealthy with the component's message, last good kept.
    fixture.write("test.counter \"a9\" {\n  value = 3\n  fail_build = true\n}\n\ntest.counter \"b9\" {\n  value = 11\n}\n");
    assert_eq!(
        load(&fixture, Trigger::Http).await.outcome,
        LoadOutcome::Partial
    );
    let (state, message) = health(&fixture, "test.counter.a9");
    assert_eq!(state, HealthState::Unhealthy);
    assert_eq!(
        message,
        format!(
            "component evaluation failed: {}:3:3: update refused",
            fixture.path().display()
        )
    );
    assert_eq!(
        fixture
            .controller
            .component("test.counter.a9")
            .unwrap()
            .arguments
            .unwrap()
            .get("value"),
        Some(&Value::int(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindenting_calls_no_update() {
    let fixture = Fixture::new(PAIR.replace("a1", "a11").replace("b1", "b11").as_str());
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    fixture.write(
        &PAIR
            .replace("a1", "a11")
            .replace("b1", "b11")
            .replace("\n  ", "\n        ")
            .replace(" = ", "   =   "),
    );
    let report = load(&fixture, Trigger::Watch).await;
    assert_eq!(report.outcome, LoadOutcome::Ok, "{:?}", errors(&report));
    idle(&fixture).await;
    assert_eq!(calls_of("test.counter.a11").updates, 0);
    assert_eq!(calls_of("test.counter.b11").updates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_that_builds_after_an_export_change_starts_at_once() {
    let fixture = Fixture::new("test.source \"p12\" {\n  initial = true\n}\n");
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    fixture.write(
        "test.source \"p12\" {\n  initial = true\n}\n\ntest.counter \"q2\" {\n  fail_build = test.source.p12.out\n}\n\ntest.counter \"r2\" {\n  value = test.counter.q2.out\n}\n",
    );
    let report = load(&fixture, Trigger::Http).await;
    assert_eq!(report.outcome, LoadOutcome::Partial);
    let errors = errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[1].ends_with(
            "component \"test.counter.q2\" has not been built, so its exports are unavailable"
        ),
        "{errors:?}"
    );
    assert_eq!(
        health(&fixture, "test.counter.q2").0,
        HealthState::Unhealthy
    );
    assert_eq!(
        fixture.controller.task_id("test.counter.q2"),
        None,
        "not running"
    );
    assert_eq!(
        fixture
            .controller
            .component("test.counter.q2")
            .unwrap()
            .arguments,
        None
    );

    publish_source("test.source.p12", Value::Bool(false));
    idle(&fixture).await;
    assert!(
        fixture.controller.task_id("test.counter.q2").is_some(),
        "started without a reload"
    );
    assert!(eventually(|| calls_of("test.counter.q2").runs == 1).await);
    assert_eq!(health(&fixture, "test.counter.q2").0, HealthState::Healthy);
    assert!(
        fixture.controller.task_id("test.counter.r2").is_some(),
        "its dependant followed"
    );
    assert_eq!(health(&fixture, "test.counter.r2").0, HealthState::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_changes_reach_direct_dependants_once_each() {
    let fixture = Fixture::new(concat!(
        "test.source \"s13\" {\n  initial = \"x\"\n}\n\n",
        "test.counter \"c1\" {\n  value = test.source.s13.out\n}\n\n",
        "test.counter \"c2\" {\n  value = 7\n  note = test.source.s13.out\n}\n\n",
        "test.counter \"c3\" {\n  value = test.counter.c1.out\n}\n\n",
        "test.counter \"c4\" {\n  value = test.counter.c2.out\n}\n\n",
        "test.sink \"k13\" {}\n\n",
        "test.counter \"c5\" {\n  value = test.sink.k13.receiver\n}\n",
    ));
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    publish_source("test.source.s13", Value::string("y"));
    idle(&fixture).await;
    assert_eq!(calls_of("test.counter.c1").updates, 1);
    assert_eq!(calls_of("test.counter.c2").updates, 1);
    assert_eq!(
        calls_of("test.counter.c3").updates,
        1,
        "c1's exports changed"
    );
    assert_eq!(
        calls_of("test.counter.c4").updates,
        0,
        "c2's exports did not change"
    );
    let c3 = fixture.controller.component("test.counter.c3").unwrap();
    assert_eq!(c3.exports.unwrap().get("out"), Some(&Value::string("y")));

    // Publishing equal exports triggers nothing.
    publish_source("test.source.s13", Value::string("y"));
    idle(&fixture).await;
    assert_eq!(calls_of("test.counter.c1").updates, 1);

    // A stable receiver handle republished by an update re-evaluates nobody.
    fixture.write(&std::fs::read_to_string(fixture.path()).unwrap().replace(
        "test.sink \"k13\" {}",
        "test.sink \"k13\" {\n  tag = \"new\"\n}",
    ));
    assert_eq!(load(&fixture, Trigger::Http).await.outcome, LoadOutcome::Ok);
    idle(&fixture).await;
    assert_eq!(calls_of("test.sink.k13").updates, 1);
    assert_eq!(calls_of("test.counter.c5").updates, 0);
    let sink = fixture.controller.component("test.sink.k13").unwrap();
    assert_eq!(sink.referenced_by, ["test.counter.c5"]);
    assert_eq!(
        fixture
            .controller
            .component("test.counter.c5")
            .unwrap()
            .data_flow_edges_to,
        ["test.sink.k13"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reloads_are_serialized() {
    let fixture = Fixture::new(PAIR.replace("a1", "a16").replace("b1", "b16").as_str());
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    let max = Arc::new(AtomicI64::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let controller = fixture.controller.clone();
        let (max, done) = (max.clone(), done.clone());
        tokio::spawn(async move {
            for _ in 0..100_000 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let mut text = String::new();
                controller.encode_metrics(&mut text);
                let value = text
                    .lines()
                    .find(|l| l.starts_with("alloy_component_controller_evaluating{"))
                    .and_then(|l| l.rsplit(' ').next())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0);
                max.fetch_max(value, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        })
    };
    let mut loads = Vec::new();
    for i in 0..20 {
        let controller = fixture.controller.clone();
        let path = fixture.path();
        loads.push(tokio::spawn(async move {
            let text = format!("test.counter \"a16\" {{\n  value = {i}\n}}\n\ntest.counter \"b16\" {{\n  value = test.counter.a16.out + 1\n}}\n");
            if i % 2 == 0 {
                std::fs::write(path, text).unwrap();
            }
            controller.load(Trigger::Http).await
        }));
    }
    let mut reports = 0;
    for handle in loads {
        assert!(handle.await.unwrap().is_some());
        reports += 1;
    }
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();
    assert_eq!(reports, 20);
    assert!(max.load(Ordering::SeqCst) <= 1);
    assert!(
        metrics(&fixture)
            .contains("ferroalloy_config_loads_total{trigger=\"http\",outcome=\"ok\"} 20")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_run_exits_and_restarts_on_the_next_reload() {
    let config = "test.panic \"x17\" {}\n\ntest.counter \"y17\" {\n  value = 1\n}\n";
    let fixture = Fixture::new(config);
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    assert!(eventually(|| health(&fixture, "test.panic.x17").0 == HealthState::Exited).await);
    assert_eq!(
        health(&fixture, "test.panic.x17").1,
        "component panicked: boom"
    );
    assert_eq!(health(&fixture, "test.counter.y17").0, HealthState::Healthy);
    assert!(metrics(&fixture).contains(
        "ferroalloy_component_health{component_id=\"test.panic.x17\",health_type=\"exited\"} 1"
    ));
    let first = fixture.controller.task_id("test.panic.x17");

    assert_eq!(load(&fixture, Trigger::Http).await.outcome, LoadOutcome::Ok);
    assert!(eventually(|| calls_of("test.panic.x17").runs == 2).await);
    assert_ne!(fixture.controller.task_id("test.panic.x17"), first);
    assert!(eventually(|| health(&fixture, "test.panic.x17").0 == HealthState::Healthy).await);
    assert_eq!(
        calls_of("test.counter.y17").runs,
        1,
        "the other component kept its task"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_components_stop_and_lose_their_series() {
    let fixture = Fixture::new(PAIR.replace("a1", "a18").replace("b1", "b18").as_str());
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    assert!(metrics(&fixture).contains("component_id=\"test.counter.b18\""));
    fixture.write("test.counter \"a18\" {\n  value = 1\n}\n");
    assert_eq!(load(&fixture, Trigger::Http).await.outcome, LoadOutcome::Ok);
    assert_eq!(calls_of("test.counter.b18").stops, 1);
    assert!(eventually(|| calls_of("test.counter.b18").drops == 1).await);
    let text = metrics(&fixture);
    assert!(!text.contains("test.counter.b18"), "{text}");
    assert!(fixture.controller.component("test.counter.b18").is_none());
    assert_eq!(fixture.controller.components().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logging_block_applies_and_keeps_previous_settings_on_error() {
    let fixture = Fixture::new("logging {\n  level = \"debug\"\n}\n");
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    assert_eq!(
        fixture
            .logging
            .applied
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .level,
        Some(LogLevel::Debug)
    );
    assert!(
        fixture.controller.components().is_empty(),
        "config nodes are not components"
    );

    fixture.write("logging {\n  level = \"loud\"\n}\n");
    let report = load(&fixture, Trigger::Http).await;
    assert_eq!(report.outcome, LoadOutcome::Partial);
    assert!(
        errors(&report)[0].ends_with("unrecognized log level \"loud\""),
        "{:?}",
        errors(&report)
    );
    assert_eq!(
        fixture.logging.applied.lock().unwrap().len(),
        1,
        "previous settings kept"
    );

    fixture.write("");
    assert_eq!(load(&fixture, Trigger::Http).await.outcome, LoadOutcome::Ok);
    assert_eq!(
        fixture
            .logging
            .applied
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .level,
        None,
        "back to --log.level"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_dependants_first() {
    let fixture = Fixture::new(
        "test.source \"s20\" {}\n\ntest.counter \"c20\" {\n  value = test.source.s20.out\n}\n",
    );
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    assert!(eventually(|| calls_of("test.counter.c20").runs == 1).await);
    let report = fixture.controller.shutdown().await;
    assert_eq!(report, Default::default());
    assert_eq!(
        stopped_in_order("20"),
        ["test.counter.c20", "test.source.s20"]
    );
    assert!(
        eventually(|| calls_of("test.counter.c20").drops == 1).await,
        "dropped after shutdown"
    );
    assert!(fixture.controller.load(Trigger::Http).await.is_none());
    assert!(fixture.controller.is_shutting_down());
    assert!(!fixture.controller.is_ready());
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_a_component_still_running_at_the_deadline() {
    let fixture = Fixture::with_deadline("test.stubborn \"z21\" {}\n", Duration::from_secs(30));
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    let started = tokio::time::Instant::now();
    let report = fixture.controller.shutdown().await;
    assert_eq!(report.aborted, ["test.stubborn.z21"]);
    assert!(!report.interrupted);
    assert!(started.elapsed() >= Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn a_second_signal_cuts_shutdown_short() {
    let fixture = Fixture::with_deadline("test.stubborn \"z22\" {}\n", Duration::from_secs(600));
    assert_eq!(
        load(&fixture, Trigger::Startup).await.outcome,
        LoadOutcome::Ok
    );
    let controller = fixture.controller.clone();
    let shutdown = tokio::spawn(async move { controller.shutdown().await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    fixture.controller.abort_shutdown();
    let report = shutdown.await.unwrap();
    assert!(report.interrupted);
    assert_eq!(report.aborted, ["test.stubborn.z22"]);
}
