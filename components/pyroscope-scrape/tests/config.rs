//! Arguments of `pyroscope.scrape` decoded from configuration text: defaults (§2, §3), every
//! validation message of §2.1 and their order, Acceptance 9, the `clustering` block (§10), the
//! Bad input rows about arguments, and what `Debug` and the API show.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ferroalloy_pyroscope_scrape::config::{
    BUILTIN_PROFILES, ClusteringConfig, CustomProfile, ProfileType, ScrapeArguments,
};
use ferroalloy_pyroscope_scrape::targets::expand;
use ferroalloy_test_util::decode_args;
use ferroalloy_value::decode::{Arguments, EncodedStmt, Labelled};

fn decode(body: &str) -> ScrapeArguments {
    match decode_args::<ScrapeArguments>(&format!("targets = []\nforward_to = []\n{body}")) {
        Ok(args) => args,
        Err(errors) => panic!("{body}: {errors:?}"),
    }
}

/// The one error of `body` (targets and forward_to added).
fn error(body: &str) -> String {
    match decode_args::<ScrapeArguments>(&format!("targets = []\nforward_to = []\n{body}")) {
        Ok(args) => panic!("{body}: decoded without error: {args:?}"),
        Err(errors) => {
            assert_eq!(errors.len(), 1, "{body}: {errors:?}");
            errors[0].clone()
        }
    }
}

fn types(args: &ScrapeArguments) -> Vec<(String, String, bool)> {
    args.profiling_config
        .enabled_types()
        .into_iter()
        .map(|t| (t.name, t.path, t.delta))
        .collect()
}

fn row(name: &str, path: &str, delta: bool) -> (String, String, bool) {
    (name.to_owned(), path.to_owned(), delta)
}

#[test]
fn defaults_match_the_spec() {
    let args = decode("");
    assert_eq!(args, ScrapeArguments::default());
    assert!(args.targets.is_empty());
    assert!(args.forward_to.is_empty());
    assert_eq!(args.job_name, "");
    assert!(args.params.is_empty());
    assert_eq!(args.scrape_interval.to_string(), "15s");
    assert_eq!(args.scrape_timeout.to_string(), "10s");
    assert_eq!(args.delta_profiling_duration, None);
    assert_eq!(args.scheme, "http");
    assert_eq!(args.profiling_config.path_prefix, "");
    assert_eq!(args.clustering, None);
    assert!(args.client.enable_http2);
    assert!(args.client.follow_redirects);

    assert_eq!(args.interval(), Duration::from_secs(15));
    assert_eq!(args.timeout(), Duration::from_secs(10));
    assert_eq!(args.delta_seconds(), 14);
    // §5.2: 10s, or 10s + 15s − 1s when the URL carries `seconds`.
    assert_eq!(args.fetch_timeout(false), Duration::from_secs(10));
    assert_eq!(args.fetch_timeout(true), Duration::from_secs(24));

    assert_eq!(
        types(&args),
        [
            row("process_cpu", "/debug/pprof/profile", true),
            row("memory", "/debug/pprof/allocs", false),
            row("goroutine", "/debug/pprof/goroutine", false),
            row("mutex", "/debug/pprof/mutex", false),
            row("block", "/debug/pprof/block", false),
        ]
    );
}

#[test]
fn the_profile_type_table() {
    let table: Vec<_> = BUILTIN_PROFILES
        .iter()
        .map(|b| (b.block, b.name, b.enabled, b.path, b.delta))
        .collect();
    assert_eq!(
        table,
        [
            (
                "profile.process_cpu",
                "process_cpu",
                true,
                "/debug/pprof/profile",
                true
            ),
            (
                "profile.memory",
                "memory",
                true,
                "/debug/pprof/allocs",
                false
            ),
            (
                "profile.goroutine",
                "goroutine",
                true,
                "/debug/pprof/goroutine",
                false
            ),
            ("profile.mutex", "mutex", true, "/debug/pprof/mutex", false),
            ("profile.block", "block", true, "/debug/pprof/block", false),
            ("profile.fgprof", "fgprof", false, "/debug/fgprof", true),
            (
                "profile.godeltaprof_memory",
                "godeltaprof_memory",
                false,
                "/debug/pprof/delta_heap",
                false
            ),
            (
                "profile.godeltaprof_mutex",
                "godeltaprof_mutex",
                false,
                "/debug/pprof/delta_mutex",
                false
            ),
            (
                "profile.godeltaprof_block",
                "godeltaprof_block",
                false,
                "/debug/pprof/delta_block",
                false
            ),
        ]
    );
    // Every block of the table is accepted with all three attributes (`delta` on godeltaprof
    // blocks too).
    let all = BUILTIN_PROFILES
        .iter()
        .map(|b| {
            format!(
                "{} {{\n enabled = true\n delta = false\n path = \"/p/{}\"\n }}",
                b.block, b.name
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let args = decode(&format!("profiling_config {{\n{all}\n}}"));
    let enabled = args.profiling_config.enabled_types();
    assert_eq!(enabled.len(), 9);
    assert!(
        enabled
            .iter()
            .all(|t| t.path == format!("/p/{}", t.name) && !t.delta)
    );
}

#[test]
fn a_written_block_keeps_the_defaults_it_omits() {
    let args = decode(
        "profiling_config {\n profile.block { enabled = false }\n profile.memory { path = \"/debug/pprof/heap\" }\n profile.fgprof { enabled = true }\n}",
    );
    let config = &args.profiling_config;
    assert!(!config.block.enabled);
    assert_eq!(config.block.path, "/debug/pprof/block");
    assert!(config.memory.enabled);
    assert_eq!(config.memory.path, "/debug/pprof/heap");
    assert!(!config.memory.delta);
    assert_eq!(config.fgprof.path, "/debug/fgprof");
    assert!(config.fgprof.delta);
    assert_eq!(
        types(&args),
        [
            row("process_cpu", "/debug/pprof/profile", true),
            row("memory", "/debug/pprof/heap", false),
            row("goroutine", "/debug/pprof/goroutine", false),
            row("mutex", "/debug/pprof/mutex", false),
            row("fgprof", "/debug/fgprof", true),
        ]
    );
    // An empty `profiling_config` block is the default one.
    assert_eq!(
        decode("profiling_config {}").profiling_config,
        ScrapeArguments::default().profiling_config
    );
}

#[test]
fn custom_profiles_add_types_and_replace_builtins() {
    let args = decode(
        r#"profiling_config {
            profile.custom "x" {
                enabled = true
                path = "/foo239"
            }
            profile.custom "memory" {
                enabled = true
                path = "/debug/pprof/heap"
            }
            profile.custom "goroutine" {
                enabled = false
                path = "/g"
            }
            profile.custom "cpu2" {
                enabled = true
                path = "/c"
                delta = true
            }
        }"#,
    );
    let config = &args.profiling_config;
    assert_eq!(
        types(&args),
        [
            row("process_cpu", "/debug/pprof/profile", true),
            row("memory", "/debug/pprof/heap", false),
            row("mutex", "/debug/pprof/mutex", false),
            row("block", "/debug/pprof/block", false),
            row("x", "/foo239", false),
            row("cpu2", "/c", true),
        ]
    );
    assert_eq!(config.overridden_builtins(), ["memory", "goroutine"]);
    assert!(decode("").profiling_config.overridden_builtins().is_empty());

    // The client-side delta columns follow the type name (§3 last row, §5.5).
    let enabled = config.enabled_types();
    let by_name = |name: &str| enabled.iter().find(|t| t.name == name).unwrap();
    assert_eq!(
        by_name("memory").client_delta(),
        Some(&[("alloc_objects", "count"), ("alloc_space", "bytes")][..])
    );
    assert_eq!(by_name("x").client_delta(), None);
    assert_eq!(by_name("process_cpu").client_delta(), None);
    assert_eq!(
        by_name("block").client_delta(),
        Some(&[("contentions", "count"), ("delay", "nanoseconds")][..])
    );

    // `enabled` and `path` are required in a custom block.
    let message = error("profiling_config {\n profile.custom \"y\" { enabled = true }\n}");
    assert_eq!(message, "missing required attribute \"path\"");
}

#[test]
fn godeltaprof_types_are_renamed_and_never_client_delta() {
    let godeltaprof = ProfileType {
        name: "godeltaprof_mutex".to_owned(),
        path: "/debug/pprof/delta_mutex".to_owned(),
        delta: false,
        custom: false,
    };
    assert_eq!(godeltaprof.final_name(), "mutex");
    assert!(godeltaprof.is_godeltaprof());
    assert_eq!(godeltaprof.client_delta(), None);
    let memory_delta = ProfileType {
        name: "memory".to_owned(),
        path: "/debug/pprof/allocs".to_owned(),
        delta: true,
        custom: false,
    };
    assert_eq!(memory_delta.final_name(), "memory");
    assert_eq!(memory_delta.client_delta(), None);
}

#[test]
fn every_validation_message_of_2_1() {
    // Rule 1.
    assert_eq!(
        error("scrape_timeout = \"0s\""),
        "scrape_timeout must be greater than 0"
    );
    assert_eq!(
        error("scrape_timeout = \"-1s\""),
        "scrape_timeout must be greater than 0"
    );
    // Rule 2 (D7: Alloy panics later).
    assert_eq!(
        error("scrape_interval = \"0s\""),
        "scrape_interval must be greater than 0"
    );
    // Rule 3, with CPU (delta = true) enabled by default.
    assert_eq!(
        error("scrape_interval = \"1s\""),
        "scrape_interval must be at least 2 seconds when using delta profiling"
    );
    assert_eq!(
        error("delta_profiling_duration = \"1s\""),
        "delta_profiling_duration must be larger than 1 second when using delta profiling"
    );
    assert_eq!(
        error("scrape_interval = \"15s\"\ndelta_profiling_duration = \"15s\""),
        "delta_profiling_duration must be at least 1 second smaller than scrape_interval when using delta profiling"
    );
    assert_eq!(
        error("scrape_interval = \"15s\"\ndelta_profiling_duration = \"14.5s\""),
        "delta_profiling_duration must be at least 1 second smaller than scrape_interval when using delta profiling"
    );
    // Rule 4. Written as text, an empty label is refused by the decoder already (the syntax
    // rule, same meaning); arguments built in code reach the component's own rule.
    assert_eq!(
        error("profiling_config {\n profile.custom \"\" {\n enabled = true\n path = \"/x\"\n }\n}"),
        "block \"profile.custom\" requires non-empty label"
    );
    let mut args = ScrapeArguments::default();
    args.profiling_config.custom.push(Labelled {
        label: String::new(),
        block: CustomProfile {
            enabled: true,
            path: "/x".to_owned(),
            delta: false,
        },
    });
    let errors = args.validate().unwrap_err();
    assert_eq!(
        errors.0[0].message,
        "profile.custom block label must not be empty"
    );
    assert_eq!(
        errors.0[0].path.to_string(),
        "profiling_config.profile.custom[0]"
    );
    assert_eq!(
        error(
            "profiling_config {\n profile.custom \"x\" {\n enabled = true\n path = \"/a\"\n }\n profile.custom \"x\" {\n enabled = false\n path = \"/b\"\n }\n}"
        ),
        "profile.custom \"x\" is defined more than once"
    );
    // Rule 5 (http-client.md §3.6).
    assert_eq!(
        error("bearer_token = \"a\"\nbearer_token_file = \"/f\""),
        "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured"
    );
    assert_eq!(
        error("no_proxy = \"a\""),
        "if no_proxy is configured, proxy_url must also be configured"
    );
    // The nested client blocks (§3.2–§3.5) and attribute decoding.
    assert_eq!(
        error("basic_auth {\n password = \"p\"\n password_file = \"/f\"\n}"),
        "at most one of basic_auth password & password_file must be configured"
    );
    assert_eq!(
        error("tls_config {\n min_version = \"TLS1.2\"\n}"),
        "unknown TLS version: TLS1.2"
    );
}

#[test]
fn validation_runs_in_the_spec_order() {
    // Rule 1 before rule 2.
    assert_eq!(
        error("scrape_timeout = \"0s\"\nscrape_interval = \"0s\""),
        "scrape_timeout must be greater than 0"
    );
    // The interval rule before the delta_profiling_duration rules.
    assert_eq!(
        error("scrape_interval = \"1s\"\ndelta_profiling_duration = \"1s\""),
        "scrape_interval must be at least 2 seconds when using delta profiling"
    );
    // Rule 3 before rule 4.
    assert_eq!(
        error(
            "scrape_interval = \"1s\"\nprofiling_config {\n profile.custom \"x\" {\n enabled = false\n path = \"/x\"\n }\n profile.custom \"x\" {\n enabled = false\n path = \"/y\"\n }\n}"
        ),
        "scrape_interval must be at least 2 seconds when using delta profiling"
    );
    // Rules 1–4 before the host-level client rules (rule 5)...
    assert_eq!(
        error("scrape_timeout = \"0s\"\nbearer_token = \"a\"\nbearer_token_file = \"/f\""),
        "scrape_timeout must be greater than 0"
    );
    // ...but the nested client blocks run at decode, before rule 1.
    assert_eq!(
        error(
            "scrape_timeout = \"0s\"\nbasic_auth {\n password = \"p\"\n password_file = \"/f\"\n}"
        ),
        "at most one of basic_auth password & password_file must be configured"
    );
}

#[test]
fn acceptance_9_short_intervals() {
    // D1: unset delta_profiling_duration means scrape_interval − 1s.
    let args = decode("scrape_interval = \"10s\"");
    assert_eq!(args.delta_seconds(), 9);
    let expansion = expand(&ScrapeArguments {
        targets: vec![[("__address__".to_owned(), "localhost:4040".to_owned())].into()],
        ..args
    });
    let cpu: Vec<_> = expansion
        .jobs
        .iter()
        .filter(|j| j.url.contains("seconds"))
        .map(|j| j.url.as_str())
        .collect();
    assert_eq!(cpu, ["http://localhost:4040/debug/pprof/profile?seconds=9"]);

    // No delta type enabled: sub-second intervals are valid.
    let args = decode(
        "scrape_interval = \"0.5s\"\nprofiling_config {\n profile.process_cpu { enabled = false }\n}",
    );
    assert_eq!(args.interval(), Duration::from_millis(500));
    // The delta rules apply to the effective types: fgprof is delta too.
    assert_eq!(
        error(
            "scrape_interval = \"0.5s\"\nprofiling_config {\n profile.process_cpu { enabled = false }\n profile.fgprof { enabled = true }\n}"
        ),
        "scrape_interval must be at least 2 seconds when using delta profiling"
    );
    // An explicit delta_profiling_duration in range is used as it is.
    let args = decode("scrape_interval = \"15s\"\ndelta_profiling_duration = \"5s\"");
    assert_eq!(args.delta_seconds(), 5);
    // Without a delta type, delta_profiling_duration is not checked.
    decode(
        "delta_profiling_duration = \"1s\"\nprofiling_config {\n profile.process_cpu { enabled = false }\n}",
    );
}

#[test]
fn clustering_is_accepted() {
    assert_eq!(
        decode("clustering {\n enabled = true\n}").clustering,
        Some(ClusteringConfig { enabled: true })
    );
    assert_eq!(
        decode("clustering {\n enabled = false\n}").clustering,
        Some(ClusteringConfig { enabled: false })
    );
    assert_eq!(
        error("clustering {}"),
        "missing required attribute \"enabled\""
    );
}

#[test]
fn targets_and_forward_to_are_required_and_forward_to_may_be_null() {
    let errors = decode_args::<ScrapeArguments>("").unwrap_err();
    assert!(
        errors.contains(&"missing required attribute \"targets\"".to_owned()),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"missing required attribute \"forward_to\"".to_owned()),
        "{errors:?}"
    );
    let args = decode_args::<ScrapeArguments>("targets = []\nforward_to = null").unwrap();
    assert!(args.forward_to.is_empty());
}

#[test]
fn all_attributes_decode() {
    let args = decode(
        r#"job_name = "j"
        params = { "debug" = ["1", "2"] }
        scrape_interval = "30s"
        scrape_timeout = "5s"
        delta_profiling_duration = "20s"
        scheme = "https"
        bearer_token = "t0ps3cret"
        http_headers = { "X-Tenant" = ["a"] }
        tls_config {
            insecure_skip_verify = true
        }
        profiling_config {
            path_prefix = "/v1"
        }"#,
    );
    assert_eq!(args.job_name, "j");
    assert_eq!(args.params["debug"], ["1", "2"]);
    assert_eq!(args.interval(), Duration::from_secs(30));
    assert_eq!(args.timeout(), Duration::from_secs(5));
    assert_eq!(args.delta_seconds(), 20);
    assert_eq!(args.scheme, "https");
    assert_eq!(args.client.bearer_token.expose(), "t0ps3cret");
    assert!(args.client.tls_config.insecure_skip_verify);
    assert_eq!(args.profiling_config.path_prefix, "/v1");
    // Debug shows no secret.
    let shown = format!("{args:?}");
    assert!(!shown.contains("t0ps3cret"), "{shown}");

    // The API shows the applied arguments without their defaults, and no secret.
    let body = args.to_body();
    let names: Vec<&str> = body
        .0
        .iter()
        .map(|s| match s {
            EncodedStmt::Attr { name, .. } | EncodedStmt::Block { name, .. } => name.as_str(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "targets",
            "forward_to",
            "job_name",
            "params",
            "scrape_interval",
            "scrape_timeout",
            "delta_profiling_duration",
            "scheme",
            "bearer_token",
            "http_headers",
            "tls_config",
            "profiling_config",
        ]
    );
    let json = body.to_api_json().to_string();
    assert!(!json.contains("t0ps3cret"), "{json}");
}

#[test]
fn the_reference_page_example_decodes() {
    let page = include_str!("../../../docs/components/pyroscope.scrape.md");
    let start = page
        .find("pyroscope.scrape \"go_apps\" {")
        .expect("example in the page");
    let body_start = start + page[start..].find('\n').unwrap() + 1;
    let body_end = body_start + page[body_start..].find("\n}\n").unwrap();
    let body = page[body_start..body_end].replace("pyroscope.write.default.receiver", "");
    let args = decode_args::<ScrapeArguments>(&body).unwrap();
    assert_eq!(args.targets.len(), 2);
    assert_eq!(args.interval(), Duration::from_secs(30));
    let names: Vec<String> = args
        .profiling_config
        .enabled_types()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        ["process_cpu", "goroutine", "mutex", "godeltaprof_memory"]
    );
    let urls: Vec<String> = expand(&args).jobs.into_iter().map(|j| j.url).collect();
    assert!(
        urls.contains(&"http://app-1:6060/debug/pprof/profile?seconds=29".to_owned()),
        "{urls:?}"
    );
}
