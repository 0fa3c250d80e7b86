//! `ferroalloy run` as a user runs it: flags, start-up, reloads by HTTP, signal and file watch,
//! the `logging` block, shutdown (runtime §7, §8, §13.1, §15 items 2, 3, 6–10, 15, 16, 20,
//! 22 and 24 adapted to `local.file`, §16).
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use ferroalloy_tests::{RunningFerroalloy, run_in, start_run, temp, write};

/// `local.file "<label>" { filename = "<dir>/<label>.txt" }`, creating the file with `content`.
fn file_block(dir: &Path, label: &str, content: &str) -> String {
    let path = dir.join(format!("{label}.txt"));
    write(&path, content);
    format!(
        "local.file \"{label}\" {{\n  filename = \"{}\"\n}}\n",
        path.display()
    )
}

fn reload_count(run: &RunningFerroalloy, trigger: &str) -> u64 {
    run.get("/metrics")
        .text()
        .lines()
        .filter(|line| {
            line.starts_with("ferroalloy_config_loads_total{")
                && line.contains(&format!("trigger=\"{trigger}\""))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|n| n as u64)
        .sum()
}

fn metric_value(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[test]
fn rejected_and_unknown_flags_exit_2_and_ignored_flags_only_warn() {
    let dir = temp();
    write(&dir.path().join("x.alloy"), "");
    for args in [
        &["run", "--cluster.enabled=true", "x.alloy"][..],
        &["run", "--cluster.enabled", "x.alloy"],
        &["run", "--config.format=yaml", "x.alloy"],
        &["run", "--no-such-flag", "x.alloy"],
        &["run", "--log.level=loud", "x.alloy"],
        &["run", "--server.http.listen-addr=nonsense", "x.alloy"],
        &[
            "run",
            "--feature.component-shutdown-deadline=soon",
            "x.alloy",
        ],
        &["run", "--stability.level=alpha", "x.alloy"],
        &["run"],
    ] {
        let run = run_in(dir.path(), args, b"");
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
    }

    let mut run = start_run(
        dir.path(),
        &[
            "--disable-reporting",
            "--cluster.enabled=false",
            "--config.format=alloy",
            "--server.http.enable-pprof=false",
            "x.alloy",
        ],
    );
    run.wait_ready();
    let log = run.stderr();
    for flag in [
        "--disable-reporting",
        "--cluster.enabled",
        "--config.format",
    ] {
        assert!(
            log.contains(&format!(
                "level=warn msg=\"the {flag} flag has no effect in ferroalloy\""
            )),
            "{flag}: {log}"
        );
    }
    assert!(log.contains("msg=\"ferroalloy is running\""), "{log}");
    run.signal("TERM");
    assert_eq!(run.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn start_up_failures_exit_1_with_the_reason() {
    let dir = temp();
    write(&dir.path().join("x.alloy"), "");

    // The configuration path does not exist.
    let run = run_in(
        dir.path(),
        &[
            "run",
            "--server.http.listen-addr=127.0.0.1:0",
            "--storage.path=data",
            "missing.alloy",
        ],
        b"",
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("reading config path \"missing.alloy\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .trim_end()
            .ends_with("Error: could not perform the initial load successfully")
    );

    // The listen address is in use.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = holder.local_addr().expect("addr").to_string();
    let run = run_in(
        dir.path(),
        &[
            "run",
            &format!("--server.http.listen-addr={addr}"),
            "x.alloy",
        ],
        b"",
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("failed to listen on {addr}: ")),
        "{}",
        run.stderr
    );

    // The storage path cannot be created (a regular file is in the way).
    write(&dir.path().join("blocker"), "");
    let run = run_in(
        dir.path(),
        &[
            "run",
            "--server.http.listen-addr=127.0.0.1:0",
            "--storage.path=blocker/data",
            "x.alloy",
        ],
        b"",
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("blocker/data"), "{}", run.stderr);
    assert!(run.stderr.contains("os error"), "{}", run.stderr);
}

#[test]
fn a_failed_initial_load_prints_every_diagnostic_and_exits_1() {
    let dir = temp();
    write(
        &dir.path().join("main.alloy"),
        "local.file \"x\" {\n}\n\nlocal.file \"y\" {\n  filename = 3\n}\n",
    );
    let run = run_in(
        dir.path(),
        &[
            "run",
            "--server.http.listen-addr=127.0.0.1:0",
            "--storage.path=data",
            "main.alloy",
        ],
        b"",
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Error: main.alloy:1:1: missing required attribute \"filename\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Error: main.alloy:4:1: failed to read file: 3: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .trim_end()
            .ends_with("Error: could not perform the initial load successfully"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_configurations_are_valid() {
    let dir = temp();
    fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
    write(&dir.path().join("conf.d/notes.txt"), "not a config");
    write(&dir.path().join("empty.alloy"), "");
    for path in ["conf.d", "empty.alloy"] {
        let mut run = start_run(dir.path(), &[path]);
        run.wait_ready();
        assert_eq!(run.get("/api/v0/web/components").text(), "[]");
        run.signal("INT");
        assert_eq!(run.wait_exit(Duration::from_secs(30)), Some(0), "{path}");
    }
}

#[test]
fn ready_answers_503_until_a_slow_initial_load_finishes() {
    let dir = temp();
    let fifo = dir.path().join("slow.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    write(
        &dir.path().join("main.alloy"),
        &format!(
            "local.file \"slow\" {{\n  filename = \"{}\"\n}}\n",
            fifo.display()
        ),
    );
    let mut run = start_run(dir.path(), &["main.alloy"]);
    let reply = run.get("/-/ready");
    assert_eq!(
        (reply.status, reply.text()),
        (503, "ferroalloy is not ready.\n".to_owned())
    );
    // Opening the FIFO for writing unblocks the component's read.
    let mut writer = fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the FIFO for writing");
    writer.write_all(b"finally").expect("write the FIFO");
    drop(writer);
    run.wait_ready();
    run.signal("TERM");
    assert_eq!(run.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn reloads_over_http_reject_bad_configurations_and_keep_the_running_one() {
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let good = format!(
        "{}\n{}",
        file_block(dir.path(), "a", "A"),
        file_block(dir.path(), "b", "B")
    );
    write(&config, &good);
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    let failures = |run: &RunningFerroalloy| {
        metric_value(
            &run.get("/metrics").text(),
            "alloy_config_load_failures_total",
        )
    };
    assert_eq!(failures(&run), Some(0.0));

    // Item 6: a syntax error.
    write(
        &config,
        &format!("{good}\nlocal.file \"c\" {{\n  filename = \n}}\n"),
    );
    let reply = run.post("/-/reload");
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("config reload rejected; the running configuration is unchanged:")
    );
    assert!(
        lines
            .next()
            .is_some_and(|line| line.starts_with("main.alloy:")),
        "{text}"
    );
    assert!(text.ends_with('\n'));
    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["outcome"], "rejected");
    assert_eq!(status["lastReload"]["trigger"], "http");
    assert_eq!(failures(&run), Some(1.0));
    let ids: Vec<String> = run
        .get("/api/v0/web/components")
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["localID"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["local.file.a", "local.file.b"]);

    // Item 7: a reference to a component that does not exist.
    write(
        &config,
        &format!("{good}\nlocal.file \"t\" {{\n  filename = local.file.nope.content\n}}\n"),
    );
    let reply = run.get("/-/reload");
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .text()
            .contains("component \"local.file.nope.content\" does not exist or is out of scope"),
        "{}",
        reply.text()
    );

    // Item 8: a cycle.
    write(
        &config,
        "local.file \"a\" {\n  filename = local.file.b.content\n}\n\nlocal.file \"b\" {\n  filename = local.file.a.content\n}\n",
    );
    let reply = run.post("/-/reload");
    assert_eq!(reply.status, 400);
    let text = reply.text();
    let cycles: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("cycle detected: local.file.a, local.file.b"))
        .collect();
    assert_eq!(cycles.len(), 2, "{text}");
    assert!(
        cycles.iter().all(|line| line.starts_with("main.alloy:")),
        "{text}"
    );
    assert_eq!(failures(&run), Some(3.0));
    assert_eq!(
        run.get("/api/v0/web/components/local.file.a").json()["health"]["state"],
        "healthy"
    );
}

#[test]
fn a_partial_reload_keeps_the_last_good_arguments_until_a_fixed_reload() {
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let old = dir.path().join("old.txt");
    let new = dir.path().join("new.txt");
    write(&old, "old content");
    write(&new, "new content");
    let block = |filename: &Path, extra: &str| {
        format!(
            "local.file \"w\" {{\n  filename = \"{}\"\n{extra}}}\n\n{}",
            filename.display(),
            file_block(dir.path(), "other", "x")
        )
    };
    write(&config, &block(&old, ""));
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();

    // Item 9: a new filename and a bad duration in the same block.
    write(&config, &block(&new, "  poll_frequency = \"soon\"\n"));
    let reply = run.post("/-/reload");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.text().lines().next(),
        Some("config reload applied with errors; failed components keep their previous arguments:")
    );
    let detail = run.get("/api/v0/web/components/local.file.w").json();
    assert_eq!(detail["health"]["state"], "unhealthy");
    let message = detail["health"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("component evaluation failed: main.alloy:3:20: ")
            && message.ends_with("invalid duration \"soon\""),
        "{message}"
    );
    assert_eq!(
        detail["arguments"][0]["value"]["value"],
        old.display().to_string()
    );
    assert_eq!(detail["exports"][0]["value"]["value"], "\"old content\"");
    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["outcome"], "partial");
    let unhealthy = run.get("/-/healthy");
    assert_eq!(
        (unhealthy.status, unhealthy.text()),
        (500, "unhealthy components: local.file.w\n".to_owned())
    );

    // Item 10: the fixed configuration applies.
    write(&config, &block(&new, ""));
    let reply = run.post("/-/reload");
    assert_eq!(
        (reply.status, reply.text()),
        (200, "config reloaded\n".to_owned())
    );
    let detail = run.get("/api/v0/web/components/local.file.w").json();
    assert_eq!(detail["health"]["state"], "healthy");
    assert_eq!(
        detail["arguments"][0]["value"]["value"],
        new.display().to_string()
    );
    assert_eq!(detail["exports"][0]["value"]["value"], "\"new content\"");
}

#[test]
fn the_file_watch_reloads_once_per_change_and_sighup_always_reloads() {
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let first = file_block(dir.path(), "a", "A");
    write(&config, &first);
    let run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();
    assert_eq!(reload_count(&run, "watch"), 0);

    // An edit: exactly one reload, within 2 s of the write.
    let second = format!("{first}\n{}", file_block(dir.path(), "b", "B"));
    write(&config, &second);
    let written = Instant::now();
    let reloaded = run.wait_until(Duration::from_secs(10), |run| {
        reload_count(run, "watch") >= 1
    });
    assert!(reloaded, "{}", run.stderr());
    assert!(
        written.elapsed() < Duration::from_secs(3),
        "{:?}",
        written.elapsed()
    );
    assert_eq!(run.get("/api/v0/web/components/local.file.b").status, 200);
    // Let a second debounce period pass: still one.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(reload_count(&run, "watch"), 1);

    // Touching it (same content) reloads nothing.
    write(&config, &second);
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(reload_count(&run, "watch"), 1);

    // SIGHUP reloads even when nothing changed.
    run.signal("HUP");
    let signalled = run.wait_until(Duration::from_secs(10), |run| {
        reload_count(run, "signal") == 1
    });
    assert!(signalled, "{}", run.stderr());
    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["trigger"], "signal");
    assert_eq!(status["lastReload"]["outcome"], "ok");
}

#[test]
fn concurrent_reload_requests_all_get_answers_and_never_overlap() {
    let dir = temp();
    write(
        &dir.path().join("main.alloy"),
        &format!(
            "{}\n{}",
            file_block(dir.path(), "a", "A"),
            file_block(dir.path(), "b", "B")
        ),
    );
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    let addr = run.addr().to_owned();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (addr, stop) = (addr.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut highest = 0.0f64;
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && Instant::now() < deadline {
                let text = ferroalloy_tests::http_request(&addr, "GET", "/metrics", &[]).text();
                if let Some(value) = metric_value(&text, "alloy_component_controller_evaluating") {
                    highest = highest.max(value);
                }
            }
            highest
        })
    };
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                ferroalloy_tests::http_request(&addr, "POST", "/-/reload", &[])
            })
        })
        .collect();
    let replies: Vec<_> = requests
        .into_iter()
        .map(|handle| handle.join().expect("request thread"))
        .collect();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let highest = sampler.join().expect("sampler thread");
    assert_eq!(replies.len(), 20);
    for reply in &replies {
        assert_eq!(
            (reply.status, reply.text()),
            (200, "config reloaded\n".to_owned())
        );
    }
    assert_eq!(reload_count(&run, "http"), 20);
    assert!(highest <= 1.0, "evaluating reached {highest}");
}

#[test]
fn the_logging_block_switches_level_and_format_on_reload() {
    let dir = temp();
    let config = dir.path().join("main.alloy");
    let block = file_block(dir.path(), "a", "A");
    write(&config, &block);
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    assert!(!run.stderr().contains("level=debug"));

    write(
        &config,
        &format!("logging {{\n  level = \"debug\"\n}}\n\n{block}"),
    );
    assert_eq!(run.post("/-/reload").status, 200);
    assert_eq!(run.post("/-/reload").status, 200);
    let debug = run.wait_until(Duration::from_secs(10), |run| {
        run.stderr().contains("level=debug")
    });
    assert!(debug, "{}", run.stderr());

    // Item 24: a bad level is a partial load and the previous level stays.
    write(
        &config,
        &format!("logging {{\n  level = \"loud\"\n}}\n\n{block}"),
    );
    let reply = run.post("/-/reload");
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().contains("unrecognized log level \"loud\""),
        "{}",
        reply.text()
    );
    let before = run.stderr().matches("level=debug").count();
    assert_eq!(run.post("/-/reload").status, 400);
    let more = run.wait_until(Duration::from_secs(10), |run| {
        run.stderr().matches("level=debug").count() > before
    });
    assert!(more, "debug logging stopped:\n{}", run.stderr());

    // JSON lines carry the same keys.
    write(
        &config,
        &format!("logging {{\n  format = \"json\"\n}}\n\n{block}"),
    );
    assert_eq!(run.post("/-/reload").status, 200);
    let json_line = run.wait_until(Duration::from_secs(10), |run| {
        let _ = run.get("/-/reload");
        run.stderr()
            .lines()
            .any(|line| line.starts_with("{\"ts\":"))
    });
    assert!(json_line, "{}", run.stderr());
    let stderr = run.stderr();
    let line = stderr
        .lines()
        .find(|line| line.starts_with("{\"ts\":"))
        .expect("a JSON line");
    let json: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
    assert!(
        json["level"].is_string() && json["msg"].is_string(),
        "{line}"
    );
}

#[test]
fn sigterm_shuts_down_cleanly_and_a_second_signal_exits_1_at_once() {
    let dir = temp();
    write(
        &dir.path().join("main.alloy"),
        &file_block(dir.path(), "a", "A"),
    );

    let mut run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();
    run.signal("TERM");
    assert_eq!(
        run.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("msg=\"ferroalloy stopped\""));

    // A client that never finishes its request head keeps the server's shutdown waiting; the
    // second signal does not wait for it.
    let mut run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();
    let mut slow = std::net::TcpStream::connect(run.addr()).expect("connect");
    slow.write_all(b"GET /-/ready HTTP/1.1\r\nHost: x\r\n")
        .expect("partial head");
    run.signal("TERM");
    let shutting = run.wait_until(Duration::from_secs(10), |run| {
        run.stderr().contains("received a termination signal")
    });
    assert!(shutting, "{}", run.stderr());
    run.signal("TERM");
    let started = Instant::now();
    assert_eq!(
        run.wait_exit(Duration::from_secs(30)),
        Some(1),
        "{}",
        run.stderr()
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    drop(slow);
}

#[test]
fn the_file_watch_sees_new_files_in_a_directory_and_files_replaced_by_rename() {
    let dir = temp();
    let conf = dir.path().join("conf.d");
    fs::create_dir(&conf).expect("mkdir");
    write(&conf.join("a.alloy"), &file_block(dir.path(), "a", "A"));
    let run = start_run(dir.path(), &["conf.d"]);
    run.wait_ready();

    write(&conf.join("b.alloy"), &file_block(dir.path(), "b", "B"));
    let reloaded = run.wait_until(Duration::from_secs(10), |run| {
        reload_count(run, "watch") == 1
    });
    assert!(reloaded, "{}", run.stderr());
    assert_eq!(run.get("/api/v0/web/components/local.file.b").status, 200);
    assert_eq!(
        run.get("/api/v0/web/reload-status").json()["lastReload"]["files"],
        serde_json::json!(["conf.d/a.alloy", "conf.d/b.alloy"])
    );

    // Replaced by rename, as editors and Kubernetes do.
    let staged = dir.path().join("staged.alloy");
    write(
        &staged,
        &format!(
            "{}\n{}",
            file_block(dir.path(), "a", "A"),
            file_block(dir.path(), "c", "C")
        ),
    );
    fs::rename(&staged, conf.join("a.alloy")).expect("rename over a.alloy");
    let reloaded = run.wait_until(Duration::from_secs(10), |run| {
        reload_count(run, "watch") == 2
    });
    assert!(reloaded, "{}", run.stderr());
    assert_eq!(run.get("/api/v0/web/components/local.file.c").status, 200);
}
