//! `pyroscope.scrape` pulling from real targets (scrape spec Acceptance 1, 2, 10, 11, 12, 15
//! and 16): Go's `net/http/pprof` (`fixtures/pproftarget.go`) and the pull-mode middleware of
//! `@pyroscope/nodejs` 0.6.4 on express 4 (`fixtures/node_pull_target.js`), forwarded by
//! `pyroscope.write` to the fake Pyroscope server.
//!
//! Design decisions:
//! - where a test must know exactly what the target was asked and answered (Acceptance 2, 16)
//!   or whether a fetch is in flight (15),
//!   the target sits behind [`RecordingProxy`]; the instance label is then the proxy's address;
//! - health is read where a user reads it: the component's debug info (`target` blocks) from
//!   the runtime's API;
//! - every delivered profile is parsed by `go tool pprof -raw`.

use std::process::Command;
use std::time::{Duration, Instant};

use ferroalloy_pyroscope::pprof::is_gzip;
use ferroalloy_test_util::pyroscope_server::ReceivedSeries;
use ferroalloy_tests::{free_port, http_request};
use serde_json::Value;

use crate::proxy::RecordingProxy;
use crate::support::{
    Peer, Peers, Pipeline, Process, WAIT, attr_str, block_bodies, canonical_samples, decode,
    fixture, raw_duration_seconds, sample_types, statement,
};

/// The scrape interval of every test (so CPU jobs ask for `seconds=2`).
const INTERVAL: &str = "3s";

/// The default profile types and their `__name__`.
const DEFAULT_NAMES: [&str; 5] = ["process_cpu", "memory", "goroutine", "mutex", "block"];

/// Profiling config disabling every default type except `keep`.
fn only(keep: &[&str]) -> String {
    let mut text = String::from("  profiling_config {\n");
    for name in DEFAULT_NAMES {
        if !keep.contains(&name) {
            text.push_str(&format!(
                "    profile.{name} {{\n      enabled = false\n    }}\n"
            ));
        }
    }
    text.push_str("  }\n");
    text
}

/// `pyroscope.scrape "s"` of one target (the body of a target map), every [`INTERVAL`], with
/// `extra` (attributes and blocks) inside.
fn scrape_block(target: &str, extra: &str) -> String {
    format!(
        "pyroscope.scrape \"s\" {{\n  targets         = [{{{target}}}]\n  scrape_interval = \"{INTERVAL}\"\n  forward_to      = [pyroscope.write.w.receiver]\n{extra}}}\n"
    )
}

/// The target map of the Go target at `addr`, as in the spec's Acceptance pipeline.
fn go_target_map(addr: &str) -> String {
    format!("\"__address__\" = \"{addr}\", \"service_name\" = \"peer.go.app\", \"env\" = \"test\"")
}

/// A scrape target process on 127.0.0.1 (its log in its own directory).
struct Target {
    process: Process,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Target {
    /// The Go target on `port`, once it answers `/debug/pprof/`.
    fn go(peers: &Peers, port: u16) -> Target {
        let mut command = Command::new(peers.path("pproftarget"));
        command.arg("-addr").arg(format!("127.0.0.1:{port}"));
        Target::start("pproftarget", command, port, "/debug/pprof/")
    }

    /// The Node pull target, once it answers `/debug/pprof/heap`.
    fn node(peers: &Peers) -> Target {
        let port = free_port();
        let mut command = Command::new("node");
        command
            .arg(fixture("node_pull_target.js"))
            .arg(port.to_string())
            .env("NODE_PATH", peers.path("node064/node_modules"));
        Target::start("node_pull_target", command, port, "/debug/pprof/heap")
    }

    fn start(name: &str, command: Command, port: u16, probe: &str) -> Target {
        let dir = tempfile::tempdir().expect("temporary directory");
        let process = Process::spawn(name, command, dir.path());
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        loop {
            if std::net::TcpStream::connect(&addr).is_ok()
                && http_request(&addr, "GET", probe, &[]).status == 200
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not serve {probe}:\n{}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Target {
            process,
            addr,
            _dir: dir,
        }
    }
}

/// One `target` entry of the scrape component's debug info.
#[derive(Clone, Debug)]
struct Job {
    url: String,
    health: String,
    last_error: String,
    last_scrape: String,
    last_scrape_duration: String,
    labels: Value,
}

/// The scrape component's jobs, in debug-info order.
fn jobs(p: &Pipeline) -> Vec<Job> {
    let component = p.component("pyroscope.scrape.s");
    block_bodies(&component["debugInfo"], "target")
        .into_iter()
        .map(|body| Job {
            url: attr_str(body, "url"),
            health: attr_str(body, "health"),
            last_error: attr_str(body, "last_error"),
            last_scrape: attr_str(body, "last_scrape"),
            last_scrape_duration: attr_str(body, "last_scrape_duration"),
            labels: statement(body, "labels").map_or(Value::Null, |s| s["value"].clone()),
        })
        .collect()
}

/// Wait until `check` holds for the jobs (which must not be empty); the jobs then.
fn wait_jobs(
    p: &Pipeline,
    what: &str,
    timeout: Duration,
    check: impl Fn(&[Job]) -> bool,
) -> Vec<Job> {
    let mut seen = Vec::new();
    let ok = p.run.wait_until(timeout, |_| {
        seen = jobs(p);
        !seen.is_empty() && check(&seen)
    });
    assert!(ok, "{what}: jobs {seen:#?}\nlog:\n{}", p.run.stderr());
    seen
}

/// The component must be healthy (the scrape block was accepted).
fn assert_healthy(p: &Pipeline) {
    let component = p.component("pyroscope.scrape.s");
    assert_eq!(component["health"]["state"], "healthy", "{component}");
}

/// The labels the fake server must see for a job named `name` (scrape §4.3): `__delta__`
/// for memory, mutex and block, the scope labels, the target's labels and `instance`.
fn expected_labels(
    series: &ReceivedSeries,
    name: &str,
    instance: &str,
    target_labels: &[(&str, &str)],
) -> Vec<(String, String)> {
    let version = series.label("otel.scope.version").unwrap_or_default();
    assert!(version.starts_with('v'), "otel.scope.version {version:?}");
    let mut labels: Vec<(String, String)> = vec![
        ("__name__".into(), name.into()),
        ("instance".into(), instance.into()),
        (
            "otel.scope.name".into(),
            "com.grafana.alloy/pyroscope.scrape".into(),
        ),
        ("otel.scope.version".into(), version.into()),
    ];
    if matches!(name, "memory" | "mutex" | "block") {
        labels.push(("__delta__".into(), "false".into()));
    }
    labels.extend(
        target_labels
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into())),
    );
    labels.sort();
    labels
}

/// The series of `__name__` `name`, in arrival order.
fn named<'a>(series: &'a [ReceivedSeries], name: &str) -> Vec<&'a ReceivedSeries> {
    series
        .iter()
        .filter(|s| s.label("__name__") == Some(name))
        .collect()
}

/// The Go target on a free port and `ferroalloy run` with `block(target address)` after the
/// writer; the component must be healthy. `None` when the test is skipped.
fn go_pipeline(test: &str, block: impl FnOnce(&str) -> String) -> Option<(Target, Pipeline)> {
    let peers = Peers::require(test, &[Peer::Go, Peer::PprofTarget])?;
    let target = Target::go(&peers, free_port());
    let p = Pipeline::start("", |_| block(&target.addr));
    assert_healthy(&p);
    Some((target, p))
}

// ---------------------------------------------------------------------------------------------

/// Acceptance 1, 2 and 4: every default type arrives with exactly the
/// spec's labels, from exactly the five URLs, as pprof that `go tool pprof` parses.
#[test]
fn go_target_every_default_profile_type_arrives_with_exact_labels_from_the_five_urls() {
    let test = "scrape_go_every_type";
    let Some(peers) = Peers::require(test, &[Peer::Go, Peer::PprofTarget]) else {
        return;
    };
    let target = Target::go(&peers, free_port());
    let proxy = RecordingProxy::start(&target.addr);
    let instance = proxy.addr();
    let p = Pipeline::start("", |_| scrape_block(&go_target_map(&instance), ""));
    assert_healthy(&p);

    let server = p.fake.server();
    let mut series = Vec::new();
    let arrived = p.run.wait_until(WAIT, |_| {
        series = server.received_series();
        DEFAULT_NAMES.iter().all(|n| !named(&series, n).is_empty())
    });
    assert!(
        arrived,
        "not every type arrived: {:?}\n{}",
        series
            .iter()
            .map(|s| s.label("__name__"))
            .collect::<Vec<_>>(),
        p.run.stderr()
    );

    let target_labels = [("env", "test"), ("service_name", "peer.go.app")];
    for s in &series {
        let name = s.label("__name__").unwrap_or_default().to_owned();
        assert!(DEFAULT_NAMES.contains(&name.as_str()), "{name}");
        let got: Vec<(String, String)> = s.labels.clone();
        assert_eq!(got, expected_labels(s, &name, &instance, &target_labels));
        assert_eq!(s.samples.len(), 1, "{name}: one profile per scrape");
        for sample in &s.samples {
            let raw = p.go_pprof(&name, &sample.raw_profile);
            let profile = decode(&name, &sample.raw_profile);
            match name.as_str() {
                "process_cpu" => {
                    assert_eq!(sample_types(&profile), ["samples/count", "cpu/nanoseconds"]);
                    let duration = raw_duration_seconds(&raw);
                    assert!(
                        duration.is_some_and(|d| (1.9..=2.5).contains(&d)),
                        "CPU duration {duration:?}:\n{raw}"
                    );
                }
                "memory" => {
                    assert!(sample.gzipped, "memory deltas are gzipped");
                    assert_eq!(
                        sample_types(&profile),
                        [
                            "alloc_objects/count",
                            "alloc_space/bytes",
                            "inuse_objects/count",
                            "inuse_space/bytes"
                        ]
                    );
                    assert_eq!(profile.period, 524_288);
                    // Acceptance 4: the delta covers one interval (3 s), within 10%.
                    let covered = profile.duration_nanos as f64 / 1e9;
                    assert!(
                        (2.7..=3.3).contains(&covered),
                        "memory delta duration {covered} s, expected 3 s ± 10%"
                    );
                }
                "goroutine" => assert_eq!(sample_types(&profile), ["goroutine/count"]),
                _ => assert_eq!(
                    sample_types(&profile),
                    ["contentions/count", "delay/nanoseconds"]
                ),
            }
        }
    }

    // Acceptance 2: the five URLs, in URL order in debug info, and nothing else asked.
    let base = format!("http://{instance}");
    let expected: Vec<String> = [
        "/debug/pprof/allocs",
        "/debug/pprof/block",
        "/debug/pprof/goroutine",
        "/debug/pprof/mutex",
        "/debug/pprof/profile?seconds=2",
    ]
    .iter()
    .map(|path| format!("{base}{path}"))
    .collect();
    let urls: Vec<String> = jobs(&p).into_iter().map(|j| j.url).collect();
    assert_eq!(urls, expected);
    let mut asked: Vec<String> = proxy.exchanges().into_iter().map(|e| e.target).collect();
    asked.sort();
    asked.dedup();
    let paths: Vec<String> = expected
        .iter()
        .map(|u| u[base.len()..].to_owned())
        .collect();
    assert_eq!(asked, paths);
}

/// Acceptance 10: `unknown` before the first scrape, `up` after, `down` with a transport error
/// naming the URL when the target stops, `up` again when it comes back.
#[test]
fn go_target_health_follows_the_target_going_away_and_coming_back() {
    let test = "scrape_go_health";
    let Some(peers) = Peers::require(test, &[Peer::Go, Peer::PprofTarget]) else {
        return;
    };
    let port = free_port();
    let mut target = Target::go(&peers, port);
    let addr = target.addr.clone();
    let started = Instant::now();
    let p = Pipeline::start("", |_| scrape_block(&go_target_map(&addr), ""));
    assert_healthy(&p);

    // A CPU scrape holds its reply 2 s, so within 2 s of starting the binary the CPU job cannot
    // have finished a scrape.
    let first = jobs(&p);
    if started.elapsed() < Duration::from_millis(1800) {
        let cpu = first
            .iter()
            .find(|j| j.url.contains("/debug/pprof/profile"))
            .unwrap_or_else(|| panic!("no CPU job: {first:#?}"));
        assert_eq!(cpu.health, "unknown", "{cpu:#?}");
        assert!(cpu.last_scrape.starts_with("0001-01-01"), "{cpu:#?}");
        assert_eq!(cpu.last_error, "");
    }
    assert_eq!(first.len(), 5, "{first:#?}");
    assert!(first.iter().all(|j| j.labels != Value::Null), "{first:#?}");

    let up = wait_jobs(&p, "all up", WAIT, |jobs| {
        jobs.iter().all(|j| j.health == "up")
    });
    for job in &up {
        assert_eq!(job.last_error, "", "{job:#?}");
        assert!(!job.last_scrape.starts_with("0001-01-01"), "{job:#?}");
        assert!(
            !job.last_scrape_duration.is_empty() && job.last_scrape_duration != "0s",
            "{job:#?}"
        );
    }

    target.process.kill();
    let down = wait_jobs(&p, "all down naming the target", WAIT, |jobs| {
        jobs.iter()
            .all(|j| j.health == "down" && j.last_error.contains(&addr))
    });
    assert!(down.iter().all(|j| j.labels != Value::Null));

    let _target = Target::go(&peers, port);
    wait_jobs(&p, "all up again", WAIT, |jobs| {
        jobs.iter()
            .all(|j| j.health == "up" && j.last_error.is_empty())
    });
}

/// Acceptance 11: while someone else holds Go's CPU profiler, the CPU job is `down` with the
/// target's 500, and `up` again afterwards.
#[test]
fn a_busy_cpu_profiler_turns_the_cpu_job_down_with_the_targets_500_then_up_again() {
    let Some((target, p)) = go_pipeline("scrape_go_busy_profiler", |addr| {
        scrape_block(&go_target_map(addr), &only(&["process_cpu"]))
    }) else {
        return;
    };
    let addr = target.addr.clone();
    wait_jobs(&p, "cpu up", WAIT, |jobs| {
        jobs.len() == 1 && jobs[0].health == "up"
    });

    // A manual 6 s profile; started again when a scrape held the profiler.
    let manual = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + WAIT;
            while Instant::now() < deadline {
                let reply = http_request(&addr, "GET", "/debug/pprof/profile?seconds=6", &[]);
                if reply.status == 200 {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        })
    };
    let busy = "server returned HTTP status (500) Could not enable CPU profiling: cpu profiling already in use";
    wait_jobs(&p, "cpu down with the 500", WAIT, |jobs| {
        jobs[0].health == "down" && jobs[0].last_error == busy
    });
    assert!(
        manual.join().expect("manual profile thread"),
        "the manual profile never ran"
    );
    wait_jobs(&p, "cpu up after the manual profile", WAIT, |jobs| {
        jobs[0].health == "up" && jobs[0].last_error.is_empty()
    });
}

/// Acceptance 12, the 404 half: the stdlib target has no `delta_heap`.
#[test]
fn godeltaprof_memory_against_the_stdlib_target_is_down_with_its_404() {
    let config = only(&[]).replace(
        "  profiling_config {\n",
        "  profiling_config {\n    profile.godeltaprof_memory {\n      enabled = true\n    }\n",
    );
    let Some((target, p)) = go_pipeline("scrape_go_godeltaprof_404", |addr| {
        scrape_block(&go_target_map(addr), &config)
    }) else {
        return;
    };
    let addr = &target.addr;
    let jobs = wait_jobs(&p, "delta_heap down", WAIT, |jobs| {
        jobs.len() == 1
            && jobs[0].health == "down"
            && jobs[0].last_error == "server returned HTTP status (404) Unknown profile"
    });
    assert_eq!(jobs[0].url, format!("http://{addr}/debug/pprof/delta_heap"));
    assert_eq!(p.fake.server().request_count(), 0, "nothing forwarded");
}

/// Acceptance 15: SIGTERM while a CPU fetch is in flight: the process exits 0 within 1 s
/// (the fetch is aborted, not awaited). The target sits behind the proxy, which shows when the
/// fetch is in flight.
#[test]
fn shutdown_during_a_cpu_fetch_completes_within_a_second() {
    let test = "scrape_go_shutdown_mid_fetch";
    let Some(peers) = Peers::require(test, &[Peer::Go, Peer::PprofTarget]) else {
        return;
    };
    let target = Target::go(&peers, free_port());
    let proxy = RecordingProxy::start(&target.addr);
    // 5 s interval: the CPU fetch is held 4 s of every 5.
    let block = scrape_block(&go_target_map(&proxy.addr()), &only(&["process_cpu"]))
        .replace("scrape_interval = \"3s\"", "scrape_interval = \"5s\"");
    let mut p = Pipeline::start("", |_| block);
    assert_healthy(&p);
    let jobs = wait_jobs(&p, "cpu job", WAIT, |jobs| jobs.len() == 1);
    assert!(
        jobs[0].url.ends_with("/debug/pprof/profile?seconds=4"),
        "{jobs:?}"
    );

    let in_flight = p.run.wait_until(WAIT, |_| proxy.in_flight() == 1);
    assert!(in_flight, "never saw the scrape's CPU fetch in flight");
    let sent = Instant::now();
    p.run.signal("TERM");
    let code = p.run.wait_exit(Duration::from_secs(10));
    let took = sent.elapsed();
    assert_eq!(code, Some(0), "{}", p.run.stderr());
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    assert!(
        proxy.exchanges().is_empty(),
        "the fetch was aborted, not completed: {:?}",
        proxy.exchanges()
    );
}

/// Acceptance 16: the Node pull target with `profile.memory` at `/debug/pprof/heap`: the wall
/// profile is forwarded byte for byte from the first scrape; the heap from the second, with the
/// target's values (no delta column, so nothing subtracted).
#[test]
fn node_pull_target_wall_from_the_first_scrape_heap_from_the_second_with_its_values() {
    let test = "scrape_node_pull";
    let Some(peers) = Peers::require(test, &[Peer::Go, Peer::Node064]) else {
        return;
    };
    let target = Target::node(&peers);
    let proxy = RecordingProxy::start(&target.addr);
    let instance = proxy.addr();
    let config = only(&["process_cpu", "memory"]).replace(
        "  profiling_config {\n",
        "  profiling_config {\n    profile.memory {\n      path = \"/debug/pprof/heap\"\n    }\n",
    );
    let p = Pipeline::start("", |_| {
        scrape_block(
            &format!("\"__address__\" = \"{instance}\", \"service_name\" = \"peer.node.pull\""),
            &config,
        )
    });
    assert_healthy(&p);

    let server = p.fake.server();
    let mut series = Vec::new();
    let arrived = p.run.wait_until(WAIT, |_| {
        series = server.received_series();
        named(&series, "memory").len() >= 2 && !named(&series, "process_cpu").is_empty()
    });
    assert!(arrived, "{} series\n{}", series.len(), p.run.stderr());
    // Read after the series: every forwarded heap has been answered by then.
    let exchanges = proxy.exchanges();
    let answered = |path: &str| -> Vec<Vec<u8>> {
        exchanges
            .iter()
            .filter(|e| e.target == path && e.status == 200)
            .map(|e| e.body.clone())
            .collect()
    };
    let heaps = answered("/debug/pprof/heap");
    let walls = answered("/debug/pprof/profile?seconds=2");

    let target_labels = [("service_name", "peer.node.pull")];
    let cpu = named(&series, "process_cpu");
    for s in &cpu {
        assert_eq!(
            s.labels,
            expected_labels(s, "process_cpu", &instance, &target_labels)
        );
        let bytes = &s.samples[0].raw_profile;
        p.go_pprof("node wall", bytes);
        assert_eq!(
            sample_types(&decode("node wall", bytes)),
            ["sample/count", "wall/nanoseconds"]
        );
        assert!(
            walls.iter().any(|w| w == bytes),
            "forwarded wall = a target reply, byte for byte"
        );
    }
    assert_eq!(
        &cpu[0].samples[0].raw_profile[..],
        &walls[0][..],
        "the first wall reply is forwarded"
    );

    let memory = named(&series, "memory");
    assert!(
        memory.len() < heaps.len(),
        "{} heap profiles forwarded from {} scrapes: the first is dropped",
        memory.len(),
        heaps.len()
    );
    for (j, s) in memory.iter().enumerate() {
        assert_eq!(
            s.labels,
            expected_labels(s, "memory", &instance, &target_labels)
        );
        let bytes = &s.samples[0].raw_profile;
        assert!(is_gzip(bytes));
        p.go_pprof("node heap", bytes);
        let forwarded = decode("forwarded heap", bytes);
        let original = decode("target heap", &heaps[j + 1]);
        assert_eq!(sample_types(&forwarded), ["objects/count", "space/bytes"]);
        assert_eq!(sample_types(&forwarded), sample_types(&original));
        assert_eq!(
            canonical_samples(&forwarded),
            canonical_samples(&original),
            "forwarded heap {j} carries the values of scrape {}",
            j + 1
        );
    }
}
