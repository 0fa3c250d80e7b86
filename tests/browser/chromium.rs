//! Headless Chromium driven as a process (PEERS.md §6): `--dump-dom` for the rendered DOM and
//! `--screenshot` for a picture, each in a fresh profile directory and bounded by a timeout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one browser run may take before it is killed.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// Virtual time given to a page, so its scripts have fetched and rendered before the DOM is
/// read or the picture taken (the UI refreshes every 5 s).
const VIRTUAL_TIME_BUDGET_MS: &str = "10000";

/// A Chromium binary.
pub(crate) struct Chromium {
    path: PathBuf,
}

impl Chromium {
    /// `$CHROMIUM` or `/usr/bin/chromium`. When neither exists: panics if
    /// `FERROALLOY_REQUIRE_BROWSER=1`, else prints one skip line and returns `None`.
    pub(crate) fn find() -> Option<Self> {
        let path = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        if path.is_file() {
            return Some(Chromium { path });
        }
        if std::env::var("FERROALLOY_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "FERROALLOY_REQUIRE_BROWSER=1 but there is no Chromium at {} (run .ci/browser.sh or set CHROMIUM)",
                path.display()
            );
        }
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no Chromium at {} (run .ci/browser.sh or set CHROMIUM)",
            path.display()
        );
        None
    }

    /// The DOM of `url` after its scripts have run, serialized as HTML.
    pub(crate) fn dump_dom(&self, url: &str) -> String {
        let stdout = self.run(&["--window-size=1280,900", "--dump-dom", url]);
        let dom = String::from_utf8_lossy(&stdout).into_owned();
        assert!(
            dom.contains("</html>"),
            "no DOM from chromium for {url}: {dom}"
        );
        dom
    }

    /// A PNG of `url` at `size` (width, height) written to `out`, in the light colour scheme.
    pub(crate) fn screenshot(&self, url: &str, size: (u32, u32), out: &Path) {
        self.screenshot_in(url, size, out, &[]);
    }

    /// Like [`Chromium::screenshot`], with `prefers-color-scheme: dark`.
    pub(crate) fn screenshot_dark(&self, url: &str, size: (u32, u32), out: &Path) {
        self.screenshot_in(
            url,
            size,
            out,
            &[
                "--force-dark-mode",
                "--blink-settings=preferredColorScheme=0",
            ],
        );
    }

    fn screenshot_in(&self, url: &str, size: (u32, u32), out: &Path, scheme: &[&str]) {
        let _ = std::fs::remove_file(out);
        let window = format!("--window-size={},{}", size.0, size.1);
        let target = format!("--screenshot={}", out.display());
        let mut args = vec!["--hide-scrollbars", window.as_str(), target.as_str()];
        args.extend_from_slice(scheme);
        args.push(url);
        self.run(&args);
        let written = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
        assert!(
            written > 0,
            "chromium wrote no screenshot of {url} to {}",
            out.display()
        );
    }

    /// Run Chromium with the common flags and `args`; its stdout. Killed after [`RUN_TIMEOUT`].
    fn run(&self, args: &[&str]) -> Vec<u8> {
        let profile = tempfile::tempdir().expect("chromium profile directory");
        let mut child = Command::new(&self.path)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
            ])
            .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("start {}: {err}", self.path.display()));
        let mut stdout_pipe = child.stdout.take().expect("stdout pipe");
        let mut stderr_pipe = child.stderr.take().expect("stderr pipe");
        let stdout = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout_pipe.read_to_end(&mut bytes);
            bytes
        });
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr_pipe.read_to_end(&mut bytes);
            bytes
        });
        let deadline = Instant::now() + RUN_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("poll chromium") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within {RUN_TIMEOUT:?}: {args:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        assert!(
            status.success(),
            "chromium {args:?} failed with {status}:\n{}",
            String::from_utf8_lossy(&stderr)
        );
        stdout
    }
}
