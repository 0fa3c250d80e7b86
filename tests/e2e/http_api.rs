//! The HTTP API of a real `ferroalloy run` (runtime §10, §15 items 1, 18, 19 and 23 adapted to
//! `local.file`, §16's HTTP rows).
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a broken fixture stops the test with a message"
)]

use std::path::Path;
use std::time::Duration;

use ferroalloy_tests::{http_request, start_run, temp, write};

/// `local.file "a"` reads `<dir>/a.txt`, which names `<dir>/b.txt`; `local.file "b"` reads the
/// file `a` names; `local.file "c"` is on its own.
fn chained_config(dir: &Path) -> String {
    write(&dir.join("b.txt"), "bee");
    write(&dir.join("a.txt"), &dir.join("b.txt").display().to_string());
    write(&dir.join("c.txt"), "sea");
    format!(
        "local.file \"a\" {{\n  filename = \"{a}\"\n}}\n\nlocal.file \"b\" {{\n  filename = local.file.a.content\n}}\n\nlocal.file \"c\" {{\n  filename = \"{c}\"\n}}\n",
        a = dir.join("a.txt").display(),
        c = dir.join("c.txt").display(),
    )
}

#[test]
fn components_are_listed_in_evaluation_order_with_references_and_data_flow() {
    let dir = temp();
    write(&dir.path().join("main.alloy"), &chained_config(dir.path()));
    let run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();

    let list = run.get("/api/v0/web/components");
    assert_eq!(list.status, 200);
    assert_eq!(list.header("content-type"), Some("application/json"));
    let json = list.json();
    let ids: Vec<&str> = json
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["localID"].as_str().expect("localID"))
        .collect();
    assert_eq!(ids, ["local.file.a", "local.file.b", "local.file.c"]);
    assert_eq!(json[0]["referencedBy"], serde_json::json!(["local.file.b"]));
    assert_eq!(
        json[0]["dataFlowEdgesTo"],
        serde_json::json!(["local.file.b"])
    );
    assert_eq!(json[1]["referencesTo"], serde_json::json!(["local.file.a"]));
    assert_eq!(json[1]["dataFlowEdgesTo"], serde_json::json!([]));
    assert_eq!(json[1]["health"]["state"], "healthy");
    assert_eq!(json[1]["arguments"], serde_json::json!([]), "list form");

    let detail = run.get("/api/v0/web/components/local.file.b");
    assert_eq!(detail.status, 200);
    let json = detail.json();
    assert_eq!(json["name"], "local.file");
    assert_eq!(json["label"], "b");
    assert_eq!(
        json["arguments"][0],
        serde_json::json!({"name": "filename", "type": "attr",
            "value": {"type": "string", "value": dir.path().join("b.txt").display().to_string()}})
    );
    assert_eq!(
        json["exports"],
        serde_json::json!([{"name": "content", "type": "attr",
            "value": {"type": "capsule", "value": "\"bee\""}}])
    );
    let updated = json["health"]["updatedTime"].as_str().expect("time");
    assert!(updated.ends_with('Z') && updated.contains('T'), "{updated}");
}

#[test]
fn unknown_ids_and_paths_are_404_and_reload_status_reports_the_startup_load() {
    let dir = temp();
    write(&dir.path().join("main.alloy"), &chained_config(dir.path()));
    let run = start_run(dir.path(), &["main.alloy"]);
    run.wait_ready();

    for path in [
        "/api/v0/web/components/does.not.exist",
        "/api/v0/web/components/local.file%2Fa",
        "/api/v0/web/components/local/file.a",
        "/api/nope",
        "/-/nope",
        "/api/v0/component/local.file.a/anything",
    ] {
        let reply = run.get(path);
        assert_eq!(
            (reply.status, reply.text()),
            (404, "404 page not found\n".to_owned()),
            "{path}"
        );
    }
    // Any other GET under the UI prefix is a client-side route of the UI (runtime §10).
    let page = run.get("/nope");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<base href=\"/\">"), "{}", page.text());
    let decoded = run.get("/api/v0/web/components/local%2Efile%2Ea");
    assert_eq!(decoded.status, 200);
    assert_eq!(decoded.json()["localID"], "local.file.a");
    assert_eq!(run.post("/metrics").status, 405);
    assert_eq!(
        http_request(run.addr(), "DELETE", "/-/reload", &[]).status,
        405
    );
    let modules = run.get("/api/v0/web/modules/x/components");
    assert_eq!(
        (modules.status, modules.text()),
        (500, "module not found\n".to_owned())
    );

    let status = run.get("/api/v0/web/reload-status").json();
    assert_eq!(status["lastReload"]["trigger"], "startup");
    assert_eq!(status["lastReload"]["outcome"], "ok");
    assert_eq!(
        status["lastReload"]["files"],
        serde_json::json!(["main.alloy"])
    );
    assert!(status["lastSuccess"].is_object(), "{status}");
    assert_eq!(
        status["lastSuccess"]["configHash"],
        status["lastReload"]["configHash"]
    );
    assert_eq!(
        status["lastReload"]["configHash"].as_str().map(str::len),
        Some(64)
    );

    let healthy = run.get("/-/healthy");
    assert_eq!(
        (healthy.status, healthy.text()),
        (200, "All ferroalloy components are healthy.\n".to_owned())
    );
    let zipped = http_request(
        run.addr(),
        "GET",
        "/api/v0/web/components",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(&zipped.body[..2], &[0x1f, 0x8b]);
}

#[test]
fn the_ui_prefix_moves_the_web_api() {
    let dir = temp();
    write(&dir.path().join("main.alloy"), &chained_config(dir.path()));
    let run = start_run(
        dir.path(),
        &["--server.http.ui-path-prefix=/alloy", "main.alloy"],
    );
    run.wait_ready();
    assert_eq!(run.get("/alloy/api/v0/web/components").status, 200);
    assert_eq!(run.get("/api/v0/web/components").status, 404);
    let bare = run.get("/alloy");
    assert_eq!(bare.status, 302);
    assert_eq!(bare.header("location"), Some("/alloy/"));
}

#[test]
fn metrics_count_components_by_health_and_drop_removed_components() {
    let dir = temp();
    let config = dir.path().join("main.alloy");
    write(&config, &chained_config(dir.path()));
    let run = start_run(dir.path(), &["--config.watch=false", "main.alloy"]);
    run.wait_ready();
    let metrics = run.get("/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(
        text.lines().any(|line| line
            == "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("component_id=\"local.file.c\""),
        "per-component series:\n{text}"
    );

    let without_c: String = chained_config(dir.path())
        .split("\n\nlocal.file \"c\"")
        .next()
        .expect("config")
        .to_owned();
    write(&config, &format!("{without_c}\n"));
    let reload = run.post("/-/reload");
    assert_eq!(
        (reload.status, reload.text()),
        (200, "config reloaded\n".to_owned())
    );
    let text = run.get("/metrics").text();
    assert!(!text.contains("local.file.c"), "{text}");
    assert!(
        text.lines().any(|line| line
            == "alloy_component_controller_running_components{controller_id=\"\",controller_path=\"/\",health_type=\"healthy\"} 2"),
        "{text}"
    );
    assert_eq!(run.get("/api/v0/web/components/local.file.c").status, 404);
}

#[test]
fn a_secret_file_content_appears_in_no_response_log_or_metric() {
    let dir = temp();
    let secret = "s3cr3t-pw";
    write(&dir.path().join("secret.txt"), secret);
    write(
        &dir.path().join("main.alloy"),
        &format!(
            "local.file \"s\" {{\n  filename  = \"{}\"\n  is_secret = true\n}}\n",
            dir.path().join("secret.txt").display()
        ),
    );
    let run = start_run(dir.path(), &["--log.level=debug", "main.alloy"]);
    run.wait_ready();
    let detail = run.get("/api/v0/web/components/local.file.s");
    assert_eq!(
        detail.json()["exports"],
        serde_json::json!([{"name": "content", "type": "attr",
            "value": {"type": "capsule", "value": "(secret)"}}])
    );
    let mut seen = Vec::new();
    for path in [
        "/api/v0/web/components",
        "/api/v0/web/components/local.file.s",
        "/api/v0/web/reload-status",
        "/metrics",
        "/-/healthy",
        "/-/reload",
    ] {
        let reply = run.get(path);
        seen.push((path, reply.text()));
    }
    for (path, text) in &seen {
        assert!(!text.contains(secret), "{path}: {text}");
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(!run.stderr().contains(secret), "{}", run.stderr());
}
