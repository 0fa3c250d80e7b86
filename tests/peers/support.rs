//! What every peer test needs: locating the installed peers (and skipping or failing when they
//! are missing), child processes killed on drop, the fake Pyroscope server on a runtime owned by
//! the test, `ferroalloy run` on a configuration file, the runtime's component API, and
//! validation of profiles with `go tool pprof` and the pprof decoder.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ferroalloy_pyroscope::generated::perftools::profiles::Profile;
use ferroalloy_pyroscope::pprof::decode_profile;
use ferroalloy_test_util::BlockingFakePyroscope;
use ferroalloy_test_util::pyroscope_server::{FakePyroscope, ReceivedRequest, Route};
use ferroalloy_tests::{RunningFerroalloy, start_run};
use serde_json::Value;

/// The bound of every wait that does not say otherwise.
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// How large a decoded profile may be.
const PROFILE_LIMIT: usize = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// the peers

/// A peer installed by `.ci/peers.sh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// `go` on `PATH` (scrape target builds and `go tool pprof`).
    Go,
    /// `<peers>/pproftarget`, the stdlib Go scrape target.
    PprofTarget,
    /// `<peers>/py14`: `pyroscope-io` 1.4.0.
    Py14,
    /// `<peers>/py08`: `pyroscope-io` 0.8.16.
    Py08,
    /// `<peers>/node064`: `@pyroscope/nodejs` 0.6.4 and express 4.
    Node064,
    /// `<peers>/node0413`: `@pyroscope/nodejs` 0.4.13.
    Node0413,
}

/// The installed peers: the directory `.ci/peers.sh` filled.
#[derive(Clone, Debug)]
pub(crate) struct Peers {
    dir: PathBuf,
}

/// The workspace root.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// The fixture file `name` of `tests/peers/fixtures`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers/fixtures")
        .join(name)
}

impl Peers {
    /// The peers `test` needs, or `None` after printing one line saying why it was skipped.
    /// With `FERROALLOY_REQUIRE_PEERS=1` a missing peer fails the test instead.
    pub(crate) fn require(test: &str, needed: &[Peer]) -> Option<Peers> {
        let dir = std::env::var_os("FERROALLOY_PEERS_DIR")
            .map_or_else(|| workspace_root().join("target/peers"), PathBuf::from);
        let peers = Peers { dir };
        let missing: Vec<String> = needed.iter().filter_map(|p| peers.missing(*p)).collect();
        if missing.is_empty() {
            return Some(peers);
        }
        let why = format!(
            "missing peers: {} (peers dir {}); run .ci/peers.sh to install them",
            missing.join(", "),
            peers.dir.display()
        );
        if std::env::var("FERROALLOY_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{test}: {why}");
        }
        // Written around the test harness' capture so the skip is visible.
        let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
        None
    }

    /// Why `peer` is unusable, `None` when it is installed.
    fn missing(&self, peer: Peer) -> Option<String> {
        let ok = match peer {
            Peer::Go => Command::new("go")
                .arg("version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            Peer::PprofTarget => self.path("pproftarget").is_file(),
            Peer::Py14 => self.python_package("py14") == Some("1.4.0".into()),
            Peer::Py08 => self.python_package("py08") == Some("0.8.16".into()),
            Peer::Node064 => {
                self.npm_package("node064", "@pyroscope/nodejs") == Some("0.6.4".into())
                    && self.npm_package("node064", "express").is_some()
            }
            Peer::Node0413 => {
                self.npm_package("node0413", "@pyroscope/nodejs") == Some("0.4.13".into())
            }
        };
        (!ok).then(|| match peer {
            Peer::Go => "go (not on PATH)".to_owned(),
            Peer::PprofTarget => "pproftarget (the built Go target)".to_owned(),
            Peer::Py14 => "py14 (venv with pyroscope-io 1.4.0)".to_owned(),
            Peer::Py08 => "py08 (venv with pyroscope-io 0.8.16)".to_owned(),
            Peer::Node064 => "node064 (@pyroscope/nodejs 0.6.4 and express 4)".to_owned(),
            Peer::Node0413 => "node0413 (@pyroscope/nodejs 0.4.13)".to_owned(),
        })
    }

    /// A path inside the peers directory.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The `pyroscope-io` version installed in venv `venv`.
    fn python_package(&self, venv: &str) -> Option<String> {
        let out = Command::new(self.path(&format!("{venv}/bin/python")))
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('pyroscope-io'))",
            ])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The version of npm package `package` under prefix `prefix`.
    fn npm_package(&self, prefix: &str, package: &str) -> Option<String> {
        let manifest = self.path(&format!("{prefix}/node_modules/{package}/package.json"));
        let text = std::fs::read_to_string(manifest).ok()?;
        let json: Value = serde_json::from_str(&text).ok()?;
        json["version"].as_str().map(str::to_owned)
    }

    /// The CPython version of venv `venv` (`3.11.7`), as `pyroscope-io` reports it.
    pub(crate) fn python_version(&self, venv: &str) -> String {
        let out = Command::new(self.path(&format!("{venv}/bin/python")))
            .args(["-c", "import platform; print(platform.python_version())"])
            .output()
            .expect("run the venv's python");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// The version of the `node` on `PATH` (`20.20.2`).
pub(crate) fn node_version() -> String {
    let out = Command::new("node")
        .args(["-p", "process.versions.node"])
        .output()
        .expect("run node");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

// ---------------------------------------------------------------------------------------------
// child processes

/// A child process (a client, a scrape target) whose output goes to a log file; killed when
/// dropped.
pub(crate) struct Process {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Process {
    /// Start `command` with stdout and stderr appended to `<dir>/<name>.log`.
    pub(crate) fn spawn(name: &str, mut command: Command, dir: &Path) -> Process {
        let log = dir.join(format!("{name}.log"));
        let file = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .expect("open the process log");
        let err = file.try_clone().expect("clone the log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Process {
            child,
            name: name.to_owned(),
            log,
        }
    }

    /// What the process wrote so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait (at most `timeout`) for the process to exit; panics with its log when it does not.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll a child process") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {timeout:?}:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill the process and reap it.
    pub(crate) fn kill(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------------------------------------
// the fake Pyroscope server

/// The writer's fake Pyroscope server, on a runtime of its own, with this suite's wait bound.
pub(crate) struct Fake(BlockingFakePyroscope);

impl Fake {
    /// Start one on 127.0.0.1.
    pub(crate) fn start() -> Fake {
        Fake(BlockingFakePyroscope::start().expect("start the fake Pyroscope server"))
    }

    /// The server.
    pub(crate) fn server(&self) -> &FakePyroscope {
        self.0.server()
    }

    /// Wait (at most [`WAIT`]) until `n` requests to `route` arrived; all requests to `route`.
    pub(crate) fn wait_for(&self, route: Route, n: usize) -> Vec<ReceivedRequest> {
        self.0
            .wait_for(route, n, WAIT)
            .unwrap_or_else(|err| panic!("fake pyroscope server: {err}"))
    }
}

// ---------------------------------------------------------------------------------------------
// ferroalloy

/// `ferroalloy run` on one configuration file, with a fake Pyroscope server for its writer and a
/// scratch directory (logs, profiles for `go tool pprof`). Dropped in field order: the process is
/// killed first.
pub(crate) struct Pipeline {
    /// The running binary.
    pub(crate) run: RunningFerroalloy,
    /// The writer's endpoint.
    pub(crate) fake: Fake,
    /// Scratch directory (configuration, data, logs, profile files).
    pub(crate) dir: tempfile::TempDir,
}

/// A `pyroscope.write "w"` block sending to `url` with `X-Scope-OrgID: <tenant>` (none when
/// `tenant` is empty).
pub(crate) fn writer_block(url: &str, tenant: &str) -> String {
    let headers = if tenant.is_empty() {
        String::new()
    } else {
        format!("\n    headers = {{\n      \"X-Scope-OrgID\" = \"{tenant}\",\n    }}")
    };
    format!("pyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{url}\"{headers}\n  }}\n}}\n")
}

impl Pipeline {
    /// Start a fake server, then `ferroalloy run` on `writer_block(fake, tenant)` followed by
    /// `config(fake url)`; waits until the runtime is ready.
    pub(crate) fn start(tenant: &str, config: impl FnOnce(&str) -> String) -> Pipeline {
        let fake = Fake::start();
        let url = fake.server().url();
        let dir = tempfile::tempdir().expect("temporary directory");
        let text = format!("{}\n{}", writer_block(&url, tenant), config(&url));
        std::fs::write(dir.path().join("main.alloy"), text).expect("write main.alloy");
        let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
        run.wait_ready();
        Pipeline { run, fake, dir }
    }

    /// The component object of `id` (detail form).
    pub(crate) fn component(&self, id: &str) -> Value {
        let reply = self.run.get(&format!("/api/v0/web/components/{id}"));
        assert_eq!(reply.status, 200, "{id}: {}", reply.text());
        reply.json()
    }

    /// The metrics text.
    pub(crate) fn metrics(&self) -> String {
        self.run.get("/metrics").text()
    }

    /// Validate `profile` with `go tool pprof -raw` (exit 0); its output.
    pub(crate) fn go_pprof(&self, what: &str, profile: &[u8]) -> String {
        go_pprof_raw(self.dir.path(), what, profile)
    }
}

/// The statement named `name` of an encoded body (runtime §10.2).
pub(crate) fn statement<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_array()
        .and_then(|items| items.iter().find(|s| s["name"] == name))
}

/// The string value of attribute `name` of a body (`""` when absent or not a string).
pub(crate) fn attr_str(body: &Value, name: &str) -> String {
    statement(body, name)
        .and_then(|s| s["value"]["value"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The bodies of every block named `name` of an encoded body, in order.
pub(crate) fn block_bodies<'a>(body: &'a Value, name: &str) -> Vec<&'a Value> {
    body.as_array()
        .map(|items| {
            items
                .iter()
                .filter(|s| s["name"] == name && s["type"] == "block")
                .map(|s| &s["body"])
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// profiles

/// Write `profile` to `<dir>/<what>.pprof` (a unique name) and run `go tool pprof -raw` on it;
/// panics unless it exits 0. Returns its standard output.
pub(crate) fn go_pprof_raw(dir: &Path, what: &str, profile: &[u8]) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let safe: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let file = dir.join(format!("{n:04}-{safe}.pprof"));
    std::fs::write(&file, profile).expect("write a profile file");
    let tmp = dir.join("pprof-tmp");
    std::fs::create_dir_all(&tmp).expect("pprof tmp dir");
    let out = Command::new("go")
        .args(["tool", "pprof", "-raw"])
        .arg(&file)
        .env("PPROF_TMPDIR", &tmp)
        .output()
        .expect("run go tool pprof");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "go tool pprof -raw rejected {what} ({} bytes, {}): {}\n{stdout}",
        profile.len(),
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `Duration:` of a `go tool pprof -raw` header, in seconds.
pub(crate) fn raw_duration_seconds(raw: &str) -> Option<f64> {
    raw.lines()
        .find_map(|line| line.strip_prefix("Duration: "))
        .and_then(|d| d.trim().trim_end_matches('s').parse().ok())
}

/// Decode a pprof (gzipped or not).
pub(crate) fn decode(what: &str, profile: &[u8]) -> Profile {
    decode_profile(profile, PROFILE_LIMIT).unwrap_or_else(|e| panic!("{what}: not a pprof: {e}"))
}

/// A string of the profile's string table (`""` when out of range).
pub(crate) fn string(profile: &Profile, index: i64) -> &str {
    usize::try_from(index)
        .ok()
        .and_then(|i| profile.string_table.get(i))
        .map_or("", String::as_str)
}

/// The sample types as `type/unit`.
pub(crate) fn sample_types(profile: &Profile) -> Vec<String> {
    profile
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", string(profile, t.r#type), string(profile, t.unit)))
        .collect()
}

/// Every value of string sample label `key` over all samples, in order.
pub(crate) fn sample_label_values(profile: &Profile, key: &str) -> Vec<String> {
    profile
        .sample
        .iter()
        .flat_map(|s| s.label.iter())
        .filter(|l| string(profile, l.key) == key && l.str != 0)
        .map(|l| string(profile, l.str).to_owned())
        .collect()
}

/// The profile's samples resolved to text and aggregated: each sample with a non-zero value as
/// (stack of `function file:line` frames, sorted labels, values), identical stacks and labels
/// summed, sorted. Two profiles with the same data compare equal whatever their ids.
pub(crate) fn canonical_samples(profile: &Profile) -> Vec<(Vec<String>, Vec<String>, Vec<i64>)> {
    use std::collections::BTreeMap;
    let mut out: BTreeMap<(Vec<String>, Vec<String>), Vec<i64>> = BTreeMap::new();
    for sample in &profile.sample {
        if sample.value.iter().all(|v| *v == 0) {
            continue;
        }
        let stack: Vec<String> = sample
            .location_id
            .iter()
            .map(|id| {
                let Some(loc) = profile.location.iter().find(|l| l.id == *id) else {
                    return format!("location {id}?");
                };
                let frames: Vec<String> = loc
                    .line
                    .iter()
                    .map(|line| {
                        let f = profile.function.iter().find(|f| f.id == line.function_id);
                        let (name, file) = f.map_or(("", ""), |f| {
                            (string(profile, f.name), string(profile, f.filename))
                        });
                        format!("{name} {file}:{}", line.line)
                    })
                    .collect();
                format!("{:#x} {}", loc.address, frames.join(" | "))
            })
            .collect();
        let mut labels: Vec<String> = sample
            .label
            .iter()
            .map(|l| {
                format!(
                    "{}={}#{}{}",
                    string(profile, l.key),
                    string(profile, l.str),
                    l.num,
                    string(profile, l.num_unit)
                )
            })
            .collect();
        labels.sort();
        let entry = out
            .entry((stack, labels))
            .or_insert_with(|| vec![0; sample.value.len()]);
        for (sum, v) in entry.iter_mut().zip(&sample.value) {
            *sum += v;
        }
    }
    out.into_iter().map(|((s, l), v)| (s, l, v)).collect()
}
