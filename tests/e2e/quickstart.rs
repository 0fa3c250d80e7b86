//! The quickstart (`examples/quickstart.alloy`) end to end, and the CPU profile endpoint it
//! scrapes (`GET /debug/pprof/profile`).
//!
//! Design decisions:
//! - the quickstart test runs the example file itself, only with its two ports rewritten to free
//!   ones, in a temporary directory (so `profiles/` lands there);
//! - an idle ferroalloy uses almost no CPU, so a 9-second profile of it can be empty: the tests
//!   keep the process busy with API requests (bounded in count and time) while they wait;
//! - every wait is bounded; nothing asserts how fast something happens.
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ferroalloy_pyroscope::pprof::{Profile, decode_profile, sample_types, string_at};
use ferroalloy_tests::{HttpReply, ferroalloy_binary, free_port, http_request, start_run, temp};
use serde_json::Value;

/// The bound of the wait for the first stored profile (the 60 s).
const PROFILE_WAIT: Duration = Duration::from_secs(60);

/// The most a gzipped profile may decompress to in these tests.
const LIMIT: usize = 64 << 20;

/// Whether `profile` is a CPU profile as Go's `/debug/pprof/profile` serves one.
fn is_cpu_profile(profile: &Profile) -> bool {
    sample_types(profile) == [("samples", "count"), ("cpu", "nanoseconds")]
        && profile.period_type.as_ref().is_some_and(|period| {
            string_at(profile, period.r#type) == "cpu"
                && string_at(profile, period.unit) == "nanoseconds"
        })
        && profile.period == 10_000_000
}

/// Whether `profile` has a sample with CPU time and a symbolized stack.
fn has_named_samples(profile: &Profile) -> bool {
    let named_function = profile
        .function
        .iter()
        .any(|f| !string_at(profile, f.name).is_empty());
    named_function
        && profile
            .sample
            .iter()
            .any(|s| !s.location_id.is_empty() && s.value.len() == 2 && s.value[1] > 0)
}

/// Some work for ferroalloy: `count` API requests (each one costs its HTTP server CPU time).
fn keep_busy(addr: &str, count: usize) {
    for _ in 0..count {
        http_request(addr, "GET", "/metrics", &[]);
        http_request(
            addr,
            "GET",
            "/api/v0/web/components",
            &[("Accept-Encoding", "gzip")],
        );
    }
}

/// `GET /debug/pprof/profile?<query>` while another thread keeps the process busy for as long.
fn profile_while_busy(addr: &str, query: &str, busy_for: Duration) -> HttpReply {
    let stop_at = Instant::now() + busy_for;
    let busy_addr = addr.to_owned();
    let load = thread::spawn(move || {
        // Bounded by time and by count.
        for _ in 0..20_000 {
            if Instant::now() >= stop_at {
                break;
            }
            keep_busy(&busy_addr, 1);
        }
    });
    let reply = http_request(addr, "GET", &format!("/debug/pprof/profile?{query}"), &[]);
    load.join().expect("load thread");
    reply
}

#[test]
fn the_cpu_profile_endpoint_serves_a_gzipped_cpu_pprof_of_the_process() {
    let dir = temp();
    fs::write(dir.path().join("empty.alloy"), "").expect("write config");
    let run = start_run(dir.path(), &["empty.alloy"]);
    run.wait_ready();

    // A short profile of a lightly loaded process can miss it: up to five tries (bounded).
    let started = std::time::SystemTime::now();
    let mut profile = None;
    for _ in 0..5 {
        let reply = profile_while_busy(run.addr(), "seconds=2", Duration::from_secs(2));
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream")
        );
        assert_eq!(
            reply.header("content-disposition"),
            Some("attachment; filename=\"profile\"")
        );
        assert_eq!(&reply.body[..2], &[0x1f, 0x8b], "gzipped");
        let decoded = decode_profile(&reply.body, LIMIT).expect("a pprof profile");
        assert!(is_cpu_profile(&decoded), "{decoded:?}");
        if has_named_samples(&decoded) {
            profile = Some(decoded);
            break;
        }
    }
    let profile = profile.expect("a profile with samples in five tries");
    // Two seconds of sampling, started after the request was sent.
    assert!(
        (1_500_000_000..=30_000_000_000).contains(&profile.duration_nanos),
        "{}",
        profile.duration_nanos
    );
    let started_nanos = started
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_nanos() as i64;
    assert!(
        profile.time_nanos >= started_nanos - 1_000_000_000,
        "{} < {started_nanos}",
        profile.time_nanos
    );
    // The frames are resolved to ferroalloy's own functions, not only the unwinder's.
    let names: Vec<&str> = profile
        .function
        .iter()
        .map(|f| string_at(&profile, f.name))
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("ferroalloy") || n.contains("hyper")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("backtrace::")),
        "the unwinder's frames are dropped: {names:?}"
    );
}

#[test]
fn a_second_cpu_profile_while_one_runs_is_refused_like_go() {
    let dir = temp();
    fs::write(dir.path().join("empty.alloy"), "").expect("write config");
    let run = start_run(dir.path(), &["empty.alloy"]);
    run.wait_ready();

    // Two 3-second profiles asked for within a second of each other always overlap: whichever
    // starts first wins, the other is refused.
    let addr = run.addr().to_owned();
    let first =
        thread::spawn(move || http_request(&addr, "GET", "/debug/pprof/profile?seconds=3", &[]));
    thread::sleep(Duration::from_millis(300));
    let second = run.get("/debug/pprof/profile?seconds=3");
    let first = first.join().expect("first request");
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 500], "{} / {}", first.text(), second.text());
    let refused = if first.status == 500 { &first } else { &second };
    assert_eq!(
        refused.text(),
        "Could not enable CPU profiling: cpu profiling already in use\n"
    );
    assert_eq!(
        refused.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(refused.header("x-go-pprof"), Some("1"));

    // Once it is over, profiling works again; a non-numeric `seconds` means 30 in Go, but a
    // duration above the limit is refused at once.
    let again = run.get("/debug/pprof/profile?seconds=1");
    assert_eq!(again.status, 200, "{}", again.text());
    for other in ["/debug/pprof/heap", "/debug/pprof/goroutine?debug=1"] {
        let unknown = run.get(other);
        assert_eq!(
            (unknown.status, unknown.text()),
            (404, "Unknown profile\n".to_owned()),
            "{other}"
        );
    }
    let too_long = run.get("/debug/pprof/profile?seconds=3601");
    assert_eq!(too_long.status, 400);
    assert_eq!(
        too_long.text(),
        "profile duration exceeds the server's limit of 3600 seconds\n"
    );
}

#[test]
fn the_cpu_profile_endpoint_can_be_disabled() {
    let dir = temp();
    fs::write(dir.path().join("empty.alloy"), "").expect("write config");
    let run = start_run(
        dir.path(),
        &["--server.http.enable-pprof=false", "empty.alloy"],
    );
    run.wait_ready();
    // The path is then the UI's like any other: no profile is taken.
    let reply = run.get("/debug/pprof/profile?seconds=1");
    assert_ne!(
        reply.header("content-type"),
        Some("application/octet-stream"),
        "{}",
        reply.text()
    );
    assert!(!reply.body.starts_with(&[0x1f, 0x8b]));
    assert!(
        !run.stderr().contains("enable-pprof flag has no effect"),
        "{}",
        run.stderr()
    );
}

// ---------------------------------------------------------------------------------------------
// the quickstart

/// `examples/quickstart.alloy` with its HTTP server port (12345) and its receiver port (4040)
/// replaced where the configuration uses them (the comments keep the defaults). Each token is
/// replaced whole, with its closing quote or line end, so a chosen port that contains `4040`
/// (e.g. 40407) is neither mistaken for a leftover nor rewritten by a later replacement.
fn quickstart_config(http_port: u16, receive_port: u16) -> String {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quickstart.alloy");
    let mut text = fs::read_to_string(&example).expect("read examples/quickstart.alloy");
    let replacements = [
        (
            "\"127.0.0.1:12345\"".to_owned(),
            format!("\"127.0.0.1:{http_port}\""),
        ),
        (
            "\"http://127.0.0.1:4040\"".to_owned(),
            format!("\"http://127.0.0.1:{receive_port}\""),
        ),
        ("= 4040\n".to_owned(), format!("= {receive_port}\n")),
    ];
    for (default, chosen) in &replacements {
        assert_eq!(
            text.matches(default.as_str()).count(),
            1,
            "the example no longer has {default} once"
        );
        text = text.replace(default.as_str(), chosen);
    }
    for (default, chosen) in &replacements {
        assert!(
            !text.contains(default.as_str()),
            "{default} left in:\n{text}"
        );
        assert!(
            text.contains(chosen.as_str()),
            "{chosen} missing in:\n{text}"
        );
    }
    text
}

/// `ferroalloy run` of the quickstart, killed when dropped.
struct Quickstart {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Quickstart {
    fn start(dir: &Path) -> Self {
        let http_port = free_port();
        let receive_port = free_port();
        fs::write(
            dir.join("quickstart.alloy"),
            quickstart_config(http_port, receive_port),
        )
        .expect("write the quickstart");
        let addr = format!("127.0.0.1:{http_port}");
        let log = dir.join("ferroalloy.log");
        let child = Command::new(ferroalloy_binary())
            .arg("run")
            .arg(format!("--server.http.listen-addr={addr}"))
            .arg("--storage.path=data")
            .arg("quickstart.alloy")
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("create the log file"))
            .spawn()
            .expect("start ferroalloy run");
        Self { child, addr, log }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path`, or `None` while the server does not answer.
    fn try_get(&self, path: &str) -> Option<HttpReply> {
        std::net::TcpStream::connect(&self.addr).ok()?;
        Some(http_request(&self.addr, "GET", path, &[]))
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stored CPU profiles with samples: `(path relative to profiles/, profile)`.
fn stored_cpu_profiles(profiles: &Path) -> Vec<(String, Profile)> {
    let Ok(entries) = fs::read_dir(profiles.join("ferroalloy")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("process_cpu-") && name.ends_with(".pb.gz")) {
            continue;
        }
        let Ok(bytes) = fs::read(entry.path()) else {
            continue;
        };
        if let Ok(profile) = decode_profile(&bytes, LIMIT)
            && is_cpu_profile(&profile)
            && has_named_samples(&profile)
        {
            found.push((format!("ferroalloy/{name}"), profile));
        }
    }
    found
}

#[test]
fn the_quickstart_stores_cpu_profiles_of_ferroalloy_itself() {
    let dir = temp();
    let run = Quickstart::start(dir.path());
    let deadline = Instant::now() + PROFILE_WAIT;
    let mut ready = false;
    while !ready && Instant::now() < deadline {
        ready = run
            .try_get("/-/ready")
            .is_some_and(|reply| reply.status == 200);
        if !ready {
            thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(ready, "ferroalloy did not become ready:\n{}", run.log());

    // Keep ferroalloy busy until a profile with samples is on disk (bounded: PROFILE_WAIT).
    let profiles = dir.path().join("profiles");
    let mut stored = Vec::new();
    while stored.is_empty() && Instant::now() < deadline {
        keep_busy(&run.addr, 10);
        stored = stored_cpu_profiles(&profiles);
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !stored.is_empty(),
        "no process_cpu profile with samples in {} within {PROFILE_WAIT:?}; files: {:?}\n{}",
        profiles.display(),
        fs::read_dir(profiles.join("ferroalloy"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            .unwrap_or_default(),
        run.log()
    );

    // The index names the file, with the labels the scrape gave it.
    let index = fs::read_to_string(profiles.join("index.jsonl")).expect("index.jsonl");
    let (path, _) = &stored[0];
    let entry: Value = index
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry["path"] == path.as_str())
        .unwrap_or_else(|| panic!("{path} is not in the index:\n{index}"));
    assert_eq!(entry["labels"]["service_name"], "ferroalloy");
    assert_eq!(entry["labels"]["__name__"], "process_cpu");
    assert_eq!(
        entry["labels"]["instance"],
        run.addr.as_str(),
        "scraped from its own server"
    );

    // Every component of the pipeline is there and healthy.
    let list = run
        .try_get("/api/v0/web/components")
        .expect("the API answers");
    assert_eq!(list.status, 200);
    let json = list.json();
    let components = json.as_array().expect("a list of components");
    let mut ids: Vec<&str> = components
        .iter()
        .map(|c| c["localID"].as_str().unwrap_or(""))
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "pyroscope.local_store.profiles",
            "pyroscope.receive_http.local",
            "pyroscope.scrape.self",
            "pyroscope.write.local",
        ]
    );
    for component in components {
        assert_eq!(
            component["health"]["state"],
            "healthy",
            "{component}\n{}",
            run.log()
        );
    }
}

#[test]
fn a_client_that_goes_away_stops_its_cpu_profile() {
    use std::io::Write as _;
    let dir = temp();
    fs::write(dir.path().join("empty.alloy"), "").expect("write config");
    let run = start_run(dir.path(), &["empty.alloy"]);
    run.wait_ready();

    // Ask for 30 seconds, then hang up.
    let mut stream = std::net::TcpStream::connect(run.addr()).expect("connect");
    write!(
        stream,
        "GET /debug/pprof/profile?seconds=30 HTTP/1.1\r\nHost: {}\r\n\r\n",
        run.addr()
    )
    .expect("send the request");
    thread::sleep(Duration::from_millis(500));
    drop(stream);

    // The profiler is free again long before the 30 seconds are over (bounded: 10 tries).
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let reply = run.get("/debug/pprof/profile?seconds=1");
        statuses.push(reply.status);
        if reply.status == 200 {
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
}
