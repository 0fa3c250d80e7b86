//! Helpers for the end-to-end tests: locating the real `ferroalloy` binary, running it on
//! temporary configuration files, and capturing what a user would see.
//!
//! This crate only serves tests, so a broken fixture stops the test with a message.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// A fresh temporary directory, removed when dropped.
pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Write `text` to `path`, replacing what was there.
pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}

/// The path of the `ferroalloy` binary built for this test run.
///
/// `cargo test --workspace` builds it next to the test executables' directory; when a test of
/// this crate runs alone, it is built once with the same cargo.
pub fn ferroalloy_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executables live in target/<profile>/deps");
        let binary = profile_dir.join(format!("ferroalloy{}", std::env::consts::EXE_SUFFIX));
        if !binary.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "-p", "ferroalloy-runtime", "--bin", "ferroalloy"])
                .status()
                .expect("run cargo build");
            assert!(
                status.success(),
                "cargo build of the ferroalloy binary failed"
            );
        }
        binary
    })
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output as text.
    pub stdout: String,
    /// Standard error as text.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Run `ferroalloy <args>` in `dir` with `stdin` as standard input, `NO_COLOR` set, and wait for
/// it to finish.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(ferroalloy_binary())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferroalloy");
    if let Some(mut input) = child.stdin.take() {
        // A process that exits before reading its input (a usage error) closes the pipe early.
        if let Err(err) = input.write_all(stdin) {
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::BrokenPipe,
                "write stdin: {err}"
            );
        }
    }
    child
        .wait_with_output()
        .expect("wait for ferroalloy")
        .into()
}

/// The repository's copy of Alloy's syntax conformance corpus.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/syntax")
}

/// Write the files of a txtar archive (`-- name --` headers) into `dir`.
pub fn write_txtar(archive: &str, dir: &Path) {
    let mut current: Option<(String, String)> = None;
    let flush = |entry: Option<(String, String)>| {
        if let Some((name, content)) = entry {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create txtar directory");
            }
            std::fs::write(path, content).expect("write txtar file");
        }
    };
    for line in archive.split_inclusive('\n') {
        let trimmed = line.trim_end_matches('\n');
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|rest| rest.strip_suffix(" --"))
        {
            flush(current.take());
            current = Some((name.to_owned(), String::new()));
        } else if let Some((_, content)) = current.as_mut() {
            content.push_str(line);
        }
    }
    flush(current);
}

/// A reply read by [`http_request`].
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("invalid JSON ({err}): {}", self.text()))
    }

    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a new loopback connection (`Connection: close`), with a 30 s
/// bound on the whole exchange.
pub fn http_request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> HttpReply {
    use std::io::{Read, Write};
    use std::time::Duration;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to ferroalloy");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Content-Length: 0\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    parse_http_reply(&response)
}

fn parse_http_reply(bytes: &[u8]) -> HttpReply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        let mut data = body.as_slice();
        let mut out = Vec::new();
        loop {
            let end = data
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("chunk size line");
            let size_text = String::from_utf8_lossy(&data[..end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
                .expect("chunk size");
            data = &data[end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&data[..size]);
            data = &data[size + 2..];
        }
        body = out;
    }
    HttpReply {
        status,
        headers,
        body,
    }
}

/// A running `ferroalloy run`, killed when dropped.
pub struct RunningFerroalloy {
    child: std::process::Child,
    addr: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Start `ferroalloy run --server.http.listen-addr=127.0.0.1:0 --storage.path=<dir>/data
/// <args>` in `dir` and wait (up to 30 s) until it logs the address it listens on. Panics with
/// the captured stderr when it exits first.
pub fn start_run(dir: &Path, args: &[&str]) -> RunningFerroalloy {
    try_start_run(dir, args).unwrap_or_else(|run| {
        panic!(
            "ferroalloy run exited with {:?} before listening:\n{}",
            run.code, run.stderr
        )
    })
}

/// Like [`start_run`], but returns the finished run when the process exits before listening.
pub fn try_start_run(dir: &Path, args: &[&str]) -> Result<RunningFerroalloy, Run> {
    use std::io::BufRead;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    let storage = format!("--storage.path={}", dir.join("data").display());
    let mut child = Command::new(ferroalloy_binary())
        .arg("run")
        .arg("--server.http.listen-addr=127.0.0.1:0")
        .arg(storage)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferroalloy run");
    let stderr = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().expect("stderr pipe");
    let reader = {
        let stderr = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = stderr.lock().unwrap_or_else(|p| p.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let logged = stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(addr) = listening_addr(&logged) {
            return Ok(RunningFerroalloy {
                child,
                addr,
                stderr,
                reader: Some(reader),
            });
        }
        if let Some(status) = child.try_wait().expect("poll ferroalloy") {
            let _ = reader.join();
            let mut stdout = String::new();
            if let Some(mut out) = child.stdout.take() {
                use std::io::Read;
                let _ = out.read_to_string(&mut stdout);
            }
            let text = stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Err(Run {
                code: status.code(),
                stdout,
                stderr: text,
            });
        }
        assert!(
            Instant::now() < deadline,
            "ferroalloy did not log its address within 30 s:\n{logged}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The address of the `msg="now listening" addr=<addr>` log line.
pub fn listening_addr(log: &str) -> Option<String> {
    log.lines()
        .find(|line| line.contains("msg=\"now listening\""))
        .and_then(|line| line.split(" addr=").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
}

impl RunningFerroalloy {
    /// `host:port` of the HTTP server.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> HttpReply {
        http_request(&self.addr, "GET", path, &[])
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> HttpReply {
        http_request(&self.addr, "POST", path, &[])
    }

    /// Everything written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Poll `check` every 20 ms until it holds or `timeout` passes; whether it held.
    pub fn wait_until(
        &self,
        timeout: std::time::Duration,
        mut check: impl FnMut(&Self) -> bool,
    ) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if check(self) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Wait (up to 30 s) until `/-/ready` answers 200.
    pub fn wait_ready(&self) {
        let ready = self.wait_until(std::time::Duration::from_secs(30), |run| {
            run.get("/-/ready").status == 200
        });
        assert!(ready, "ferroalloy did not become ready:\n{}", self.stderr());
    }

    /// Send `signal` (`TERM`, `INT`, `HUP`) with `kill -s`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} failed");
    }

    /// Wait up to `timeout` for the process to exit; its exit code, or `None` when it is still
    /// running (or was killed by a signal).
    pub fn wait_exit(&mut self, timeout: std::time::Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll ferroalloy") {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status.code();
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for RunningFerroalloy {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP/1.1 request with a body over a new loopback connection (`Connection: close`, a
/// `Content-Length` header), with a 30 s bound on the whole exchange.
pub fn http_request_with_body(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    use std::io::{Read, Write};
    use std::time::Duration;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(30)))
        .expect("write timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream
        .write_all(head.as_bytes())
        .expect("send request head");
    stream.write_all(body).expect("send request body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    parse_http_reply(&response)
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// The sum of the values of every sample line of `metrics` (Prometheus text) whose name is
/// `name` and whose labels include every `name="value"` pair of `labels`; `None` when no line
/// matches.
pub fn metric_sum(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in metrics.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let (line_name, line_labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if line_name != name {
            continue;
        }
        let all = labels.iter().all(|(k, v)| {
            let pair = format!("{k}=\"{v}\"");
            line_labels.starts_with(&pair) || line_labels.contains(&format!(",{pair}"))
        });
        if !all {
            continue;
        }
        if let Ok(v) = value.parse::<f64>() {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

/// One HTTP/1.1 request with `body` over a new loopback connection (`Connection: close`), with
/// a 30 s bound on the whole exchange. A refused or broken connection, or a peer that closes
/// without answering, is returned as the I/O error (a stopped server is something tests check).
pub fn try_http_request_with_body(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpReply> {
    use std::io::{Read, Write};
    use std::time::Duration;
    let socket: std::net::SocketAddr = addr
        .parse()
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))?;
    let mut stream = std::net::TcpStream::connect_timeout(&socket, Duration::from_secs(10))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    if !response.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed without a response",
        ));
    }
    Ok(parse_http_reply(&response))
}
