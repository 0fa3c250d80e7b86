//! Runtime §15 items 1, 3 and 7 exactly as the spec writes them, with the real
//! `pyroscope.scrape` in the graph (the other runtime items are in `run.rs`, `http_api.rs`,
//! `pipeline.rs` and the runtime crate's own tests).
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::path::Path;

use ferroalloy_test_util::BlockingFakePyroscope;
use ferroalloy_test_util::pyroscope_server::FakePyroscope;
use ferroalloy_tests::{RunningFerroalloy, run_in, start_run, temp, write};
use serde_json::{Value, json};

/// The configuration of item 1: `local.file "k"`, `pyroscope.write "w"` and `pyroscope.scrape
/// "s"` whose target is the fake server.
fn item_1_config(dir: &Path, fake: &FakePyroscope) -> String {
    let url = fake.url();
    let address = url.trim_start_matches("http://");
    format!(
        "local.file \"k\" {{\n  filename = \"{}\"\n}}\n\npyroscope.write \"w\" {{\n  endpoint {{\n    url = \"{url}\"\n  }}\n}}\n\npyroscope.scrape \"s\" {{\n  targets    = [{{\"__address__\" = \"{address}\", \"service_name\" = \"a\"}}]\n  forward_to = [pyroscope.write.w.receiver]\n}}\n",
        dir.join("k").display()
    )
}

fn components(run: &RunningFerroalloy) -> Vec<Value> {
    let reply = run.get("/api/v0/web/components");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json().as_array().cloned().expect("an array")
}

fn by_id<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|c| c["localID"] == id)
        .unwrap_or_else(|| panic!("no {id} in {list:?}"))
}

#[test]
fn item_1_a_scrape_wired_to_a_writer_is_listed_with_its_edges() {
    let fake = BlockingFakePyroscope::start().expect("start a fake Pyroscope server");
    let dir = temp();
    write(&dir.path().join("k"), "content");
    write(
        &dir.path().join("main.alloy"),
        &item_1_config(dir.path(), fake.server()),
    );
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    assert_eq!(run.get("/-/ready").status, 200);

    let list = components(&run);
    let ids: Vec<&str> = list.iter().filter_map(|c| c["localID"].as_str()).collect();
    assert_eq!(
        ids,
        ["local.file.k", "pyroscope.write.w", "pyroscope.scrape.s"]
    );
    assert_eq!(
        by_id(&list, "pyroscope.write.w")["referencedBy"],
        json!(["pyroscope.scrape.s"])
    );
    assert_eq!(
        by_id(&list, "pyroscope.scrape.s")["dataFlowEdgesTo"],
        json!(["pyroscope.write.w"])
    );
    assert_eq!(
        by_id(&list, "pyroscope.scrape.s")["referencesTo"],
        json!(["pyroscope.write.w"])
    );
    for component in &list {
        assert_eq!(component["health"]["state"], "healthy", "{component}");
    }
}

#[test]
fn item_3_a_failed_initial_load_shows_every_missing_attribute_and_exits_1() {
    let dir = temp();
    write(
        &dir.path().join("main.alloy"),
        "local.file \"x\" {}\n\npyroscope.scrape \"s\" {}\n",
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
    let messages = [
        "missing required attribute \"filename\"",
        "missing required attribute \"targets\"",
        "missing required attribute \"forward_to\"",
    ];
    let mut from = 0;
    for message in messages {
        let at = run.stderr[from..]
            .find(message)
            .unwrap_or_else(|| panic!("{message} missing or out of order:\n{}", run.stderr));
        // Pretty form: the header line names the file and position, an excerpt follows.
        let line_start = run.stderr[..from + at].rfind('\n').map_or(0, |n| n + 1);
        assert!(
            run.stderr[line_start..].starts_with("Error: main.alloy:"),
            "{message}:\n{}",
            run.stderr
        );
        from += at + message.len();
    }
    assert!(
        run.stderr.contains(" | pyroscope.scrape \"s\" {}"),
        "an excerpt of the scrape block:\n{}",
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
fn item_7_a_reload_adding_a_scrape_with_an_unknown_receiver_is_rejected() {
    let fake = BlockingFakePyroscope::start().expect("start a fake Pyroscope server");
    let dir = temp();
    write(&dir.path().join("k"), "content");
    let config = dir.path().join("main.alloy");
    let good = item_1_config(dir.path(), fake.server());
    write(&config, &good);
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    let before = components(&run);

    let bad = format!(
        "{good}\npyroscope.scrape \"t\" {{\n  targets    = []\n  forward_to = [pyroscope.write.nope.receiver]\n}}\n"
    );
    write(&config, &bad);
    let reload = run.post("/-/reload");
    let body = reload.text();
    assert_eq!(reload.status, 400, "{body}");
    let mut lines = body.lines();
    assert_eq!(
        lines.next(),
        Some("config reload rejected; the running configuration is unchanged:")
    );
    let diagnostic = lines.next().unwrap_or_default();
    assert!(
        diagnostic.starts_with("main.alloy:")
            && diagnostic.ends_with(
                ": component \"pyroscope.write.nope.receiver\" does not exist or is out of scope"
            ),
        "{body}"
    );
    assert_eq!(
        run.get("/api/v0/web/reload-status").json()["lastReload"]["outcome"],
        "rejected"
    );
    let after = components(&run);
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .filter_map(|c| c["localID"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids(&after), ids(&before), "nothing changes");
    assert!(
        run.get("/api/v0/web/components/pyroscope.scrape.t").status == 404,
        "the rejected scrape was not added"
    );
}
