//! The web UI in headless Chromium (runtime §11): each page of a running `ferroalloy run` is
//! loaded in a real browser, what a person would see (the rendered DOM) is compared with the web
//! API, and a screenshot of each page is kept under `target/ui-artifacts/`.
//!
//! Chromium is `$CHROMIUM` or `/usr/bin/chromium` (`.ci/browser.sh` installs it). Without it
//! the tests print one skip line and pass, unless `FERROALLOY_REQUIRE_BROWSER=1`, when they
//! fail.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

mod chromium;
mod pprof_target;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chromium::Chromium;
use ferroalloy_pyroscope::generated::perftools::profiles::{Profile, Sample, ValueType};
use ferroalloy_pyroscope::pprof::encode_gzip;
use ferroalloy_tests::{
    RunningFerroalloy, free_port, http_request, http_request_with_body, start_run, write,
};
use pprof_target::PprofTarget;
use serde_json::Value as Json;

/// A `pyroscope.scrape "<label>"` of goroutine profiles only, every 5 s, with `settings`
/// (attributes, one per line) added.
fn goroutine_scrape(label: &str, settings: &str) -> String {
    format!(
        r#"
pyroscope.scrape "{label}" {{
{settings}
  scrape_interval = "5s"

  profiling_config {{
    profile.process_cpu {{ enabled = false }}
    profile.memory {{ enabled = false }}
    profile.mutex {{ enabled = false }}
    profile.block {{ enabled = false }}
  }}
}}
"#
    )
}

/// `pyroscope.scrape "s"`: a live target at `live_port` and a dead one at `dead_port`,
/// forwarding to the pipeline's `pyroscope.write`.
fn scrape_config(live_port: u16, dead_port: u16) -> String {
    goroutine_scrape(
        "s",
        &format!(
            r#"  targets = [
    {{"__address__" = "127.0.0.1:{live_port}", "service_name" = "ui-test"}},
    {{"__address__" = "127.0.0.1:{dead_port}", "service_name" = "ui-test"}},
  ]
  forward_to     = [pyroscope.write.w.receiver]
  job_name       = "ui"
  scrape_timeout = "2s""#
        ),
    )
}

/// `pyroscope.scrape "pending"`: one target at `port` with an hour's timeout, forwarding
/// nowhere.
fn pending_scrape_config(port: u16) -> String {
    goroutine_scrape(
        "pending",
        &format!(
            r#"  targets        = [{{"__address__" = "127.0.0.1:{port}"}}]
  forward_to     = []
  scrape_timeout = "1h""#
        ),
    )
}

/// The content of the secret file: it must never reach a page.
const SECRET_CONTENT: &str = "file-s3cr3t-content";
/// The `basic_auth` password of the writer: it must never reach a page.
const SECRET_PASSWORD: &str = "s3cr3t-pw";

/// Where the screenshots go: `<target dir>/ui-artifacts/`.
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // <target>/<profile>/deps/browser-<hash>
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("test executables live in <target>/<profile>/deps");
    let dir = target.join("ui-artifacts");
    fs::create_dir_all(&dir).expect("create the artifacts directory");
    dir
}

/// The pipeline of the brief: `local.file` components (a secret one; `source`, whose content
/// names the file `reader` reads; `lonely`, whose file is deleted once running), a
/// `pyroscope.write` with a `basic_auth` password and a dead endpoint, and a
/// `pyroscope.receive_http` forwarding to it.
struct Pipeline {
    dir: tempfile::TempDir,
    dead_port: u16,
    receiver_port: u16,
    remote_timeout: Option<&'static str>,
}

impl Pipeline {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = |name: &str| dir.path().join(name);
        write(&path("secret.txt"), SECRET_CONTENT);
        write(&path("target.txt"), "the target's content");
        write(
            &path("source.txt"),
            &path("target.txt").display().to_string(),
        );
        write(&path("lonely.txt"), "soon gone");
        let pipeline = Pipeline {
            dir,
            dead_port: free_port(),
            receiver_port: free_port(),
            remote_timeout: None,
        };
        pipeline.write_config("");
        pipeline
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> String {
        let file = |name: &str| self.path(name).display().to_string();
        let timeout = self
            .remote_timeout
            .map(|t| format!("    remote_timeout = \"{t}\"\n"))
            .unwrap_or_default();
        format!(
            r#"local.file "secret" {{
  filename  = "{secret}"
  is_secret = true
}}

local.file "source" {{
  filename = "{source}"
}}

local.file "reader" {{
  filename = local.file.source.content
}}

local.file "lonely" {{
  filename = "{lonely}"
}}

pyroscope.write "w" {{
  endpoint {{
    url = "http://127.0.0.1:{port}/"
{timeout}
    basic_auth {{
      username = "u"
      password = "{password}"
    }}
  }}

  endpoint {{
    name                = "backup"
    url                 = "http://127.0.0.1:{port}/backup"
    max_backoff_retries = 2
    min_backoff_period  = "50ms"
    max_backoff_period  = "50ms"
  }}
}}

pyroscope.receive_http "r" {{
  http {{
    listen_address = "127.0.0.1"
    listen_port    = {receiver_port}
  }}
  forward_to = [pyroscope.write.w.receiver]
}}
"#,
            secret = file("secret.txt"),
            source = file("source.txt"),
            lonely = file("lonely.txt"),
            port = self.dead_port,
            receiver_port = self.receiver_port,
            password = SECRET_PASSWORD,
        )
    }

    fn write_config(&self, extra: &str) {
        write(
            &self.path("main.alloy"),
            &format!("{}{extra}", self.config()),
        );
    }

    fn start(&self, args: &[&str]) -> RunningFerroalloy {
        let mut all = vec!["--config.watch=false"];
        all.extend_from_slice(args);
        all.push("main.alloy");
        let run = start_run(self.dir.path(), &all);
        run.wait_ready();
        run
    }
}

/// The browser, or `None` (after one skip line) when it is missing and not required.
fn browser() -> Option<Chromium> {
    Chromium::find()
}

/// The opening tag of the first element whose attributes include `attribute` (`data-id="x"`).
fn element_tag<'a>(dom: &'a str, attribute: &str) -> Option<&'a str> {
    let at = dom.find(attribute)?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    Some(&dom[start..=end])
}

/// Text as Chromium serializes it inside an element.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

/// `text` quoted as the UI prints a string (Go's `%q`), for the printable ASCII texts of
/// error messages.
fn go_quote(text: &str) -> String {
    assert!(
        text.chars().all(|c| c == ' ' || c.is_ascii_graphic()),
        "not printable ASCII: {text:?}"
    );
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The part of `dom` after `start` and before the next `end`.
fn between<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    dom.split_once(start)
        .and_then(|(_, rest)| rest.split(end).next())
        .unwrap_or_else(|| panic!("no {start} in the page:\n{dom}"))
}

/// The component page shows `message` as its health message.
fn assert_health_message(page: &str, message: &str) {
    assert!(
        page.contains(&format!(
            "<span id=\"health-message\">{}</span>",
            html_text(message)
        )),
        "health message {message:?} not shown:\n{page}"
    );
}

fn components(run: &RunningFerroalloy, prefix: &str) -> Vec<Json> {
    run.get(&format!("{prefix}api/v0/web/components"))
        .json()
        .as_array()
        .expect("component array")
        .clone()
}

fn health_of(run: &RunningFerroalloy, id: &str) -> (String, String) {
    let detail = run.get(&format!("/api/v0/web/components/{id}")).json();
    (
        detail["health"]["state"].as_str().unwrap_or("").to_owned(),
        detail["health"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
    )
}

/// Every page's raw bytes as served (entry page and assets) and every rendered DOM seen.
fn assert_no_secret(what: &str, text: &str) {
    for secret in [SECRET_CONTENT, SECRET_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

#[test]
fn pages_show_what_the_api_reports_and_never_a_secret() {
    let Some(browser) = browser() else { return };
    let artifacts = artifacts_dir();
    let pipeline = Pipeline::new();
    let run = pipeline.start(&[]);
    let base = format!("http://{}/", run.addr());

    // The entry page and every asset as served: no secret, only same-origin resources.
    for path in [
        "/",
        "/graph",
        "/component/local.file.secret",
        "/assets/app.js",
        "/assets/syntax.js",
        "/assets/app.css",
        "/assets/favicon.svg",
    ] {
        let reply = run.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_no_secret(path, &reply.text());
        let policy = reply.header("content-security-policy").unwrap_or("");
        assert!(policy.starts_with("default-src 'none'"), "{path}: {policy}");
    }
    let entry = run.get("/component/local.file.secret").text();
    let links = [" src=\"", " href=\""]
        .into_iter()
        .flat_map(|name| entry.split(name).skip(1));
    for attribute in links {
        assert!(
            !attribute.starts_with("http") && !attribute.starts_with("//"),
            "the entry page loads an outside resource: {attribute}"
        );
    }
    assert_eq!(run.get("/assets/nope.js").status, 404);

    // `lonely` loses its file while running: unhealthy, with the read error as its message.
    fs::remove_file(pipeline.path("lonely.txt")).expect("delete lonely.txt");
    let unhealthy = run.wait_until(Duration::from_secs(10), |run| {
        health_of(run, "local.file.lonely").0 == "unhealthy"
    });
    assert!(unhealthy, "local.file.lonely did not turn unhealthy");

    // One profile into the receiver: the writer's endpoints try to deliver it to a dead port.
    let profile = encode_gzip(&Profile {
        string_table: vec!["".into(), "cpu".into(), "nanoseconds".into()],
        sample_type: vec![ValueType { r#type: 1, unit: 2 }],
        sample: vec![Sample {
            value: vec![7],
            ..Sample::default()
        }],
        ..Profile::default()
    });
    let reply = http_request_with_body(
        &format!("127.0.0.1:{}", pipeline.receiver_port),
        "POST",
        "/ingest?name=app&from=1&until=2&format=pprof",
        &[("Content-Type", "binary/octet-stream")],
        &profile,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    // The backup endpoint gives up after its retries (a last error, a drop); the main one
    // keeps retrying.
    let endpoint_value = |run: &RunningFerroalloy, index: usize, name: &str| {
        let detail = run.get("/api/v0/web/components/pyroscope.write.w").json();
        detail["debugInfo"][index]["body"]
            .as_array()
            .and_then(|body| body.iter().find(|s| s["name"] == name))
            .map(|s| s["value"]["value"].clone())
            .unwrap_or(Json::Null)
    };
    let delivered = run.wait_until(Duration::from_secs(20), |run| {
        endpoint_value(run, 1, "last_error") != "" && endpoint_value(run, 0, "retries") != 0
    });
    assert!(delivered, "the dead endpoints never failed");

    // The list: every component with its ID, health badge and message, as the API says.
    let dom = browser.dump_dom(&base);
    assert_no_secret("the list page", &dom);
    let list = components(&run, "/");
    assert_eq!(list.len(), 6);
    for component in &list {
        let id = component["localID"].as_str().expect("id");
        let state = component["health"]["state"].as_str().expect("state");
        let message = component["health"]["message"].as_str().expect("message");
        let row = element_tag(&dom, &format!("data-id=\"{id}\""))
            .unwrap_or_else(|| panic!("no row for {id}:\n{dom}"));
        assert!(row.contains(&format!("row-{state}")), "{id}: {row}");
        assert!(
            dom.contains(&format!(
                "<a href=\"component/{id}\" class=\"component-id\">{id}</a>"
            )),
            "{id} has no link to its page"
        );
        assert!(
            dom.contains(&html_text(message)),
            "{id}: message {message:?}"
        );
    }
    assert!(
        dom.contains("<span class=\"badge badge-unhealthy\">unhealthy</span>"),
        "{dom}"
    );
    assert!(dom.contains("Last successful load:"), "banner: {dom}");
    browser.screenshot(&base, (1280, 800), &artifacts.join("list-wide.png"));
    browser.screenshot_dark(&base, (1280, 800), &artifacts.join("list-dark-wide.png"));

    // The list filtered to failing components shows only `lonely`.
    let failing = browser.dump_dom(&format!("{base}?health=failing"));
    assert!(
        failing.contains("data-id=\"local.file.lonely\""),
        "{failing}"
    );
    assert!(
        !failing.contains("data-id=\"local.file.source\""),
        "{failing}"
    );

    // Sorted by health (the phone's sort control shows the order): the failing one first.
    let sorted = browser.dump_dom(&format!("{base}?sort=health"));
    let control = between(&sorted, "<select id=\"sort\"", "</select>");
    assert!(
        control.contains("<option value=\"health\" selected=\"\">Health</option>"),
        "{control}"
    );
    let first_row = between(&sorted, "<tbody>", "</tr>");
    assert!(
        first_row.contains("data-id=\"local.file.lonely\""),
        "{first_row}"
    );
    browser.screenshot(
        &format!("{base}?sort=health"),
        (390, 844),
        &artifacts.join("list-phone.png"),
    );

    // The unhealthy component's page: why it fails, when, and who depends on it.
    let (_, lonely_message) = health_of(&run, "local.file.lonely");
    assert!(
        lonely_message.starts_with("failed to read file:"),
        "{lonely_message}"
    );
    let page = browser.dump_dom(&format!("{base}component/local.file.lonely"));
    assert_health_message(&page, &lonely_message);
    browser.screenshot(
        &format!("{base}component/local.file.lonely"),
        (390, 844),
        &artifacts.join("detail-unhealthy-phone.png"),
    );

    // `source` is referenced by `reader`: its page links to it under Dependants.
    let page = browser.dump_dom(&format!("{base}component/local.file.source"));
    let dependants = between(&page, "id=\"dependants\"", "</section>");
    assert!(
        dependants.contains(
            "<a href=\"component/local.file.reader\" class=\"component-id\">local.file.reader</a>"
        ),
        "{dependants}"
    );
    let page = browser.dump_dom(&format!("{base}component/local.file.reader"));
    let dependencies = between(&page, "id=\"dependencies\"", "</section>");
    assert!(
        dependencies.contains("component/local.file.source"),
        "{dependencies}"
    );

    // The secret file's page shows (secret) and never the content.
    let page = browser.dump_dom(&format!("{base}component/local.file.secret"));
    assert_no_secret("local.file.secret's page", &page);
    assert!(page.contains("(secret)"), "{page}");

    // The writer's page: arguments in configuration syntax, the password as (secret), each
    // endpoint's delivery state from its debug info.
    let detail = run.get("/api/v0/web/components/pyroscope.write.w").json();
    let page = browser.dump_dom(&format!("{base}component/pyroscope.write.w"));
    assert_no_secret("pyroscope.write.w's page", &page);
    assert!(
        page.contains(&format!(
            "<code>\"http://127.0.0.1:{}/\"</code>",
            pipeline.dead_port
        )),
        "the url in configuration syntax: {page}"
    );
    assert!(page.contains("<code>(secret)</code>"), "{page}");
    let endpoint = detail["debugInfo"]
        .as_array()
        .and_then(|body| body.iter().find(|s| s["name"] == "endpoint"))
        .expect("an endpoint block in the debug info");
    // Two endpoints: one table, a row per endpoint, a column per short delivery-state
    // attribute; the long ones (the drops by reason, the last error) on a line under the row.
    let debug = between(&page, "id=\"debug-info\"", "</main>");
    // Column names and URLs may wrap at <wbr>s; compared without them.
    let table = &between(debug, "data-block=\"endpoint\"", "</table>").replace("<wbr>", "");
    for statement in endpoint["body"].as_array().expect("endpoint body") {
        let name = statement["name"].as_str().expect("name");
        let under_the_row = ["dropped_by_reason", "last_error"].contains(&name);
        let heading = if under_the_row {
            format!("<dt>{name}</dt>")
        } else {
            format!("<th scope=\"col\" title=\"{name}\">")
        };
        assert!(table.contains(&heading), "{name} missing: {table}");
        assert_eq!(
            table.matches(&format!("data-column=\"{name}\"")).count(),
            2,
            "{name}: {table}"
        );
    }
    for url in [
        format!("http://127.0.0.1:{}/", pipeline.dead_port),
        format!("http://127.0.0.1:{}/backup", pipeline.dead_port),
    ] {
        assert!(
            table.contains(&format!(
                "<td data-column=\"url\"><code class=\"value\">\"{url}\"</code></td>"
            )),
            "{url}: {table}"
        );
    }
    assert!(
        table.contains("<code class=\"value\">\"backup\"</code>"),
        "{table}"
    );
    // The backup endpoint's final failure as the API reports it: its last error (naming the
    // dead URL) and its drop.
    let error = endpoint_value(&run, 1, "last_error");
    let error = error.as_str().expect("last_error");
    assert!(error.contains("/backup"), "{error}");
    assert!(
        table.contains(&format!(
            "<div class=\"field\" data-column=\"last_error\"><dt>last_error</dt><dd>\
             <code class=\"value\">{}</code></dd></div>",
            html_text(&go_quote(error))
        )),
        "{error}: {table}"
    );
    assert_eq!(endpoint_value(&run, 1, "dropped_profiles"), 1);
    assert!(
        table.contains("<td data-column=\"enqueued_profiles\"><code class=\"value\">1</code></td>"),
        "{table}"
    );
    assert!(
        table.contains("<td data-column=\"dropped_profiles\"><code class=\"value\">1</code></td>"),
        "{table}"
    );
    browser.screenshot(
        &format!("{base}component/pyroscope.write.w"),
        (1280, 1700),
        &artifacts.join("detail-write-wide.png"),
    );
    browser.screenshot_dark(
        &format!("{base}component/pyroscope.write.w"),
        (390, 3200),
        &artifacts.join("detail-write-dark-phone.png"),
    );

    // The graph: one node per component coloured by health, one edge per data-flow edge.
    let graph = browser.dump_dom(&format!("{base}graph"));
    assert_no_secret("the graph", &graph);
    for component in &list {
        let id = component["localID"].as_str().expect("id");
        let state = component["health"]["state"].as_str().expect("state");
        let node = element_tag(&graph, &format!("data-id=\"{id}\""))
            .unwrap_or_else(|| panic!("no node for {id}:\n{graph}"));
        assert!(node.contains(&format!("node-{state}")), "{id}: {node}");
        assert!(node.contains(&format!("href=\"component/{id}\"")), "{node}");
        for target in component["dataFlowEdgesTo"].as_array().expect("edges") {
            let target = target.as_str().expect("edge target");
            assert!(
                graph.contains(&format!("data-from=\"{id}\" data-to=\"{target}\"")),
                "edge {id} -> {target}: {graph}"
            );
        }
    }
    assert!(graph.contains("data-from=\"pyroscope.receive_http.r\" data-to=\"pyroscope.write.w\""));
    browser.screenshot(
        &format!("{base}graph"),
        (1280, 640),
        &artifacts.join("graph-wide.png"),
    );
    browser.screenshot(
        &format!("{base}graph"),
        (390, 700),
        &artifacts.join("graph-phone.png"),
    );
}

/// The `target` blocks of `pyroscope.scrape.s`'s debug info, each as its fields' JSON values.
fn scrape_targets(run: &RunningFerroalloy) -> Vec<serde_json::Map<String, Json>> {
    let detail = run.get("/api/v0/web/components/pyroscope.scrape.s").json();
    detail["debugInfo"]
        .as_array()
        .expect("debug info")
        .iter()
        .filter(|s| s["name"] == "target")
        .map(|block| {
            block["body"]
                .as_array()
                .expect("target body")
                .iter()
                .map(|s| {
                    (
                        s["name"].as_str().expect("name").to_owned(),
                        s["value"]["value"].clone(),
                    )
                })
                .collect()
        })
        .collect()
}

/// A string field of a target.
fn field<'a>(target: &'a serde_json::Map<String, Json>, name: &str) -> &'a str {
    target[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string: {target:?}"))
}

#[test]
fn the_scrape_page_shows_each_target_as_the_api_reports_it() {
    let Some(browser) = browser() else { return };
    let artifacts = artifacts_dir();
    let live = PprofTarget::start();
    let dead_port = free_port();
    // A target that takes the connection and never answers: its scrape stays in flight, so
    // the target stays `unknown`.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the silent target");
    let silent_port = silent.local_addr().expect("silent address").port();
    let pipeline = Pipeline::new();
    pipeline.write_config(&format!(
        "{}{}",
        scrape_config(live.port(), dead_port),
        pending_scrape_config(silent_port)
    ));
    let run = pipeline.start(&[]);
    let base = format!("http://{}/", run.addr());
    let live_url = format!("http://127.0.0.1:{}/debug/pprof/goroutine", live.port());
    let dead_url = format!("http://127.0.0.1:{dead_port}/debug/pprof/goroutine");

    // Both targets scraped once: the live one up, the dead one down with its error.
    let scraped = run.wait_until(Duration::from_secs(20), |run| {
        let targets = scrape_targets(run);
        targets.len() == 2 && targets.iter().all(|t| field(t, "health") != "unknown")
    });
    assert!(
        scraped,
        "the targets were not scraped: {:?}",
        scrape_targets(&run)
    );
    let targets = scrape_targets(&run);
    let by_url = |url: &str| {
        targets
            .iter()
            .find(|t| field(t, "url") == url)
            .unwrap_or_else(|| panic!("no target {url}: {targets:?}"))
            .clone()
    };
    assert_eq!(field(&by_url(&live_url), "health"), "up");
    assert_eq!(field(&by_url(&dead_url), "health"), "down");
    assert!(!field(&by_url(&dead_url), "last_error").is_empty());

    // The page against the API read before and after it (a scrape in between changes the
    // times: read again, a bounded number of times).
    let mut seen = None;
    for _ in 0..5 {
        let before = scrape_targets(&run);
        let page = browser.dump_dom(&format!("{base}component/pyroscope.scrape.s"));
        if scrape_targets(&run) == before {
            seen = Some((page, before));
            break;
        }
    }
    let (page, targets) = seen.expect("the debug info kept changing while the page loaded");
    let debug = between(&page, "id=\"debug-info\"", "</main>");
    let table = &between(debug, "data-block=\"target\"", "</table>").replace("<wbr>", "");
    let rows: Vec<&str> = table.split("<tbody class=\"block-row").skip(1).collect();
    assert_eq!(rows.len(), 2, "one row per target: {table}");
    for target in &targets {
        let url = field(target, "url");
        let row = rows
            .iter()
            .find(|row| {
                row.contains(&format!(
                    "<td data-column=\"url\"><code class=\"value\">\"{url}\"</code></td>"
                ))
            })
            .unwrap_or_else(|| panic!("no row for {url}: {table}"));
        let health = field(target, "health");
        let colour = if health == "up" {
            "healthy"
        } else {
            "unhealthy"
        };
        assert!(row.starts_with(&format!(" row-{colour}\"")), "{url}: {row}");
        assert!(
            row.contains(&format!(
                "<td data-column=\"health\"><span class=\"badge badge-{colour} badge-target\" \
                 data-state=\"{health}\">{health}</span></td>"
            )),
            "{url}: health {health}: {row}"
        );
        assert!(
            row.contains("<td data-column=\"job\"><code class=\"value\">\"ui\"</code></td>"),
            "{row}"
        );
        let last_scrape = field(target, "last_scrape");
        assert!(
            row.contains(&format!(
                "<td data-column=\"last_scrape\"><time datetime=\"{last_scrape}\" title=\"{last_scrape}\">"
            )),
            "{url}: last scrape {last_scrape}: {row}"
        );
        let day = &last_scrape[..10];
        assert!(row.contains(&format!(">{day} ")), "{url}: {day}: {row}");
        let duration = field(target, "last_scrape_duration");
        assert!(
            row.contains(&format!(
                "<td data-column=\"last_scrape_duration\"><code class=\"value\">\"{duration}\"</code></td>"
            )),
            "{url}: duration {duration}: {row}"
        );
        assert!(
            row.contains("<code class=\"value pair\">service_name = \"ui-test\"</code>"),
            "{url}: labels: {row}"
        );
        let error = field(target, "last_error");
        assert!(
            row.contains(&format!(
                "<div class=\"field\" data-column=\"last_error\"><dt>last_error</dt><dd>\
                 <code class=\"value\">{}</code></dd></div>",
                html_text(&go_quote(error))
            )),
            "{url}: error {error:?}: {row}"
        );
    }
    // The silent target, not scraped yet: a yellow `unknown` badge, its last scrape `never`
    // (Go's zero time, as the API reports it).
    let pending = run
        .get("/api/v0/web/components/pyroscope.scrape.pending")
        .json();
    let target = &pending["debugInfo"][0]["body"];
    let value_of = |name: &str| {
        target
            .as_array()
            .and_then(|body| body.iter().find(|s| s["name"] == name))
            .and_then(|s| s["value"]["value"].as_str())
            .unwrap_or_else(|| panic!("no {name} in {pending}"))
            .to_owned()
    };
    assert_eq!(value_of("health"), "unknown", "{pending}");
    assert_eq!(value_of("last_scrape"), "0001-01-01T00:00:00Z", "{pending}");
    let page = browser.dump_dom(&format!("{base}component/pyroscope.scrape.pending"));
    let debug = between(&page, "id=\"debug-info\"", "</main>");
    assert!(
        debug.contains(
            "<tr data-name=\"health\"><th scope=\"row\">health</th><td><span class=\"badge \
             badge-unknown badge-target\" data-state=\"unknown\">unknown</span></td></tr>"
        ),
        "{debug}"
    );
    assert!(
        debug.contains(
            "<tr data-name=\"last_scrape\"><th scope=\"row\">last_scrape</th><td><span \
             class=\"muted never\" title=\"0001-01-01T00:00:00Z\">never</span></td></tr>"
        ),
        "{debug}"
    );

    browser.screenshot(
        &format!("{base}component/pyroscope.scrape.s"),
        (1280, 2000),
        &artifacts.join("detail-scrape-wide.png"),
    );
    browser.screenshot(
        &format!("{base}component/pyroscope.scrape.s"),
        (390, 2900),
        &artifacts.join("detail-scrape-phone.png"),
    );
    browser.screenshot(
        &format!("{base}graph"),
        (1280, 520),
        &artifacts.join("graph-scrape-wide.png"),
    );
}

#[test]
fn bad_reloads_show_in_the_banner_and_on_the_failing_component() {
    let Some(browser) = browser() else { return };
    let artifacts = artifacts_dir();
    let mut pipeline = Pipeline::new();
    let run = pipeline.start(&[]);
    let base = format!("http://{}/", run.addr());

    // A partial reload: the writer keeps its last good arguments and says why it failed.
    pipeline.remote_timeout = Some("soon");
    pipeline.write_config("");
    let reload = run.post("/-/reload");
    assert_eq!(reload.status, 400, "{}", reload.text());
    let (state, message) = health_of(&run, "pyroscope.write.w");
    assert_eq!(state, "unhealthy");
    assert!(
        message.starts_with("component evaluation failed:"),
        "{message}"
    );
    let page = browser.dump_dom(&format!("{base}component/pyroscope.write.w"));
    assert_health_message(&page, &message);
    assert!(
        page.contains("id=\"last-good\""),
        "the last-good note: {page}"
    );
    assert!(page.contains("reload applied with errors"), "{page}");
    let arguments = between(&page, "id=\"arguments\"", "id=\"exports\"");
    assert!(
        !arguments.contains("remote_timeout"),
        "the failed value is not applied: {arguments}"
    );
    assert_no_secret("pyroscope.write.w's page", &page);

    // A syntax error: rejected, and every page's banner shows the diagnostics.
    pipeline.remote_timeout = None;
    pipeline.write_config("local.file \"broken\" {\n  filename = \n");
    let reload = run.post("/-/reload");
    assert_eq!(reload.status, 400, "{}", reload.text());
    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["outcome"], "rejected");
    let diagnostics: Vec<String> = status["lastReload"]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["text"].as_str().expect("text").to_owned())
        .collect();
    assert!(!diagnostics.is_empty());
    for page in ["", "graph", "component/local.file.source"] {
        let dom = browser.dump_dom(&format!("{base}{page}"));
        let banner = between(&dom, "id=\"banner\"", "</div>");
        assert!(banner.contains("banner-error"), "{page}: {banner}");
        assert!(banner.contains("Last reload rejected"), "{page}: {banner}");
        assert!(
            banner.contains("<code class=\"outcome\">rejected</code>"),
            "{banner}"
        );
        for text in &diagnostics {
            assert!(
                banner.contains(&html_text(text)),
                "{page}: {text} in {banner}"
            );
        }
        assert_no_secret(page, &dom);
    }
    browser.screenshot(
        &base,
        (1280, 800),
        &artifacts.join("banner-rejected-wide.png"),
    );
    browser.screenshot(
        &base,
        (390, 844),
        &artifacts.join("banner-rejected-phone.png"),
    );
}

#[test]
fn the_ui_follows_the_path_prefix() {
    let Some(browser) = browser() else { return };
    let pipeline = Pipeline::new();
    let run = pipeline.start(&["--server.http.ui-path-prefix=/alloy"]);
    let base = format!("http://{}/alloy/", run.addr());
    let list = components(&run, "/alloy/");
    let dom = browser.dump_dom(&base);
    for component in &list {
        let id = component["localID"].as_str().expect("id");
        assert!(dom.contains(&format!("data-id=\"{id}\"")), "{id}: {dom}");
    }
    let page = browser.dump_dom(&format!("{base}component/local.file.source"));
    assert!(
        page.contains("<span id=\"component-id\">local.file.source</span>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"badge badge-healthy\">healthy</span>"),
        "{page}"
    );
    assert_eq!(run.get("/").status, 404, "nothing outside the prefix");
    assert_eq!(
        http_request(run.addr(), "GET", "/alloy/graph", &[]).status,
        200
    );
}

/// The value printer of the UI (`runtime/ui/syntax.js`) on the API encodings of
/// `conformance/syntax/encoding/values.jsonl`, plus Go `%q` quoting and object keys.
#[test]
fn values_print_in_configuration_syntax() {
    let Some(browser) = browser() else { return };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/ui/syntax.js");
    let values =
        fs::read_to_string(ferroalloy_tests::conformance_dir().join("encoding/values.jsonl"))
            .expect("read values.jsonl");
    let mut cases: Vec<(String, Json, &str)> = Vec::new();
    let expected = [
        ("null", "null"),
        ("number", "54"),
        ("string", "\"Hello, world!\""),
        ("bool", "true"),
        ("simple array", "[0, 1, 2, 3, 4]"),
        ("nested array", "[\n  \"testing\",\n  [0, 1, 2],\n]"),
        (
            "object",
            "{\n  fizz = \"buzz\",\n  foo = \"bar\",\n  year = 2023,\n}",
        ),
        ("function", "function"),
        ("capsule", "(secret)"),
        ("nil array", "[]"),
        ("nil object", "{}"),
        ("optional secret, not secret", "\"foobar\""),
        ("optional secret, secret", "(secret)"),
        ("float", "1.5"),
    ];
    for line in values.lines().filter(|line| !line.trim().is_empty()) {
        let case: Json = serde_json::from_str(line).expect("a JSON line");
        let name = case["name"].as_str().expect("name").to_owned();
        let want = expected
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
            .unwrap_or_else(|| panic!("no expected text for the conformance case {name:?}"));
        cases.push((name, case["json"].clone(), want));
    }
    let string = |s: &str| serde_json::json!({"type": "string", "value": s});
    cases.push((
        "escapes".to_owned(),
        string("a\"b\\\n\t\u{1}\u{7f}é\u{200b}\u{a0}😀"),
        r#""a\"b\\\n\t\x01\x7fé\u200b\u00a0😀""#,
    ));
    cases.push((
        "keys".to_owned(),
        serde_json::json!({"type": "object", "value": [
            {"key": "plain_key", "value": {"type": "number", "value": 1}},
            {"key": "needs-quotes", "value": {"type": "array", "value": []}},
        ]}),
        "{\n  plain_key = 1,\n  \"needs-quotes\" = [],\n}",
    ));
    // The page prints each case's result as JSON into one <pre>, read back from the DOM.
    let inputs: Vec<Json> = cases.iter().map(|(_, json, _)| json.clone()).collect();
    // The library is inlined, not loaded from a file: nothing to fetch, nothing to time out.
    let library = fs::read_to_string(&script)
        .expect("read runtime/ui/syntax.js")
        .replace("</script", "<\\/script");
    let page_dir = tempfile::tempdir().expect("temporary directory");
    let page = page_dir.path().join("syntax.html");
    let inputs = serde_json::to_string(&inputs)
        .expect("encode the cases")
        .replace('<', "\\u003c");
    write(
        &page,
        &format!(
            "<!doctype html><html><body><pre id=\"out\"></pre>\
             <script>{library}</script>\
             <script>const cases = {inputs};\
             document.getElementById('out').textContent = \
             JSON.stringify(cases.map((c) => FerroSyntax.format(c)));</script></body></html>"
        ),
    );
    let dom = browser.dump_dom(&format!("file://{}", page.display()));
    let printed = between(&dom, "<pre id=\"out\">", "</pre>")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let printed: Vec<String> =
        serde_json::from_str(&printed).unwrap_or_else(|err| panic!("no results ({err}):\n{dom}"));
    assert_eq!(printed.len(), cases.len());
    for ((name, _, want), got) in cases.iter().zip(&printed) {
        assert_eq!(got, want, "{name}");
    }
}
