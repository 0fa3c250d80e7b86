//! Target expansion (spec §4) through the public API, from arguments decoded from configuration
//! text: Acceptance 6 (URLs), 7 (`service_name`), 8 (`job`), 17 (identical targets), §4.3's
//! passed-through labels, the job key (§4.4), godeltaprof (§4.2 step 11) and the Bad input rows
//! about targets (§4.6).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferroalloy_pyroscope_scrape::config::ScrapeArguments;
use ferroalloy_pyroscope_scrape::job_spec::{Expansion, JobSpec};
use ferroalloy_pyroscope_scrape::targets::{expand, job_key};
use ferroalloy_test_util::decode_args;

/// Expand the arguments of `body` (`forward_to = []` added).
fn expansion(body: &str) -> Expansion {
    match decode_args::<ScrapeArguments>(&format!("forward_to = []\n{body}")) {
        Ok(args) => expand(&args),
        Err(errors) => panic!("{body}: {errors:?}"),
    }
}

/// The URLs of the jobs of `targets` (an Alloy list) with extra arguments `extra`.
fn urls(targets: &str, extra: &str) -> Vec<String> {
    let expansion = expansion(&format!("targets = {targets}\n{extra}"));
    assert!(expansion.invalid.is_empty(), "{:?}", expansion.invalid);
    expansion.jobs.into_iter().map(|j| j.url).collect()
}

/// The five default URLs on `base`, with `query` on all and `cpu_query` on the CPU one.
fn default_urls(base: &str, query: &str, cpu_query: &str) -> Vec<String> {
    vec![
        format!("{base}/debug/pprof/allocs{query}"),
        format!("{base}/debug/pprof/block{query}"),
        format!("{base}/debug/pprof/goroutine{query}"),
        format!("{base}/debug/pprof/mutex{query}"),
        format!("{base}/debug/pprof/profile{cpu_query}"),
    ]
}

/// `profile.<t> { enabled = false }` lines for every default type except those in `keep`.
fn only(keep: &[&str]) -> String {
    ["process_cpu", "memory", "goroutine", "mutex", "block"]
        .iter()
        .filter(|t| !keep.contains(t))
        .map(|t| format!("profile.{t} {{ enabled = false }}\n"))
        .collect()
}

fn label<'a>(job: &'a JobSpec, name: &str) -> Option<&'a str> {
    job.labels.get(name)
}

fn job_for<'a>(expansion: &'a Expansion, path: &str) -> &'a JobSpec {
    expansion
        .jobs
        .iter()
        .find(|j| j.url.contains(path))
        .unwrap_or_else(|| panic!("no job for {path}: {:?}", expansion.jobs))
}

#[test]
fn default_expansion_of_one_target() {
    assert_eq!(
        urls(r#"[{"__address__" = "localhost:4040"}]"#, ""),
        default_urls("http://localhost:4040", "", "?seconds=14")
    );
}

#[test]
fn acceptance_6_url_table() {
    // Port completion.
    assert_eq!(
        urls(r#"[{"__address__" = "localhost"}]"#, ""),
        default_urls("http://localhost:80", "", "?seconds=14")
    );
    assert_eq!(
        urls(
            r#"[{"__address__" = "localhost", "__scheme__" = "https"}]"#,
            ""
        ),
        default_urls("https://localhost:443", "", "?seconds=14")
    );
    assert_eq!(
        urls(r#"[{"__address__" = "localhost"}]"#, r#"scheme = "https""#),
        default_urls("https://localhost:443", "", "?seconds=14")
    );
    // path_prefix, and the target's prefix winning over it.
    let prefixed = urls(
        r#"[{"__address__" = "localhost:4040"}]"#,
        "profiling_config {\n path_prefix = \"/foo\"\n}",
    );
    assert!(
        prefixed.contains(&"http://localhost:4040/foo/debug/pprof/profile?seconds=14".to_owned()),
        "{prefixed:?}"
    );
    assert_eq!(
        prefixed,
        default_urls("http://localhost:4040/foo", "", "?seconds=14")
    );
    assert_eq!(
        urls(
            r#"[{"__address__" = "localhost:4040", "__profile_path_prefix__" = "/bar"}]"#,
            "profiling_config {\n path_prefix = \"/foo\"\n}",
        ),
        default_urls("http://localhost:4040/bar", "", "?seconds=14")
    );
    // params on every URL, seconds only on CPU (D9: params never mutated).
    assert_eq!(
        urls(
            r#"[{"__address__" = "localhost:4040"}]"#,
            r#"params = {"debug" = ["1"]}"#
        ),
        default_urls("http://localhost:4040", "?debug=1", "?debug=1&seconds=14")
    );
    // delta_profiling_duration.
    assert_eq!(
        urls(
            r#"[{"__address__" = "localhost:4040"}]"#,
            "delta_profiling_duration = \"5s\"\nscrape_interval = \"15s\""
        ),
        default_urls("http://localhost:4040", "", "?seconds=5")
    );
    // fgprof and a custom type.
    let mut expected = default_urls("http://localhost:4040", "", "?seconds=14");
    expected.insert(
        4,
        "http://localhost:4040/debug/fgprof?seconds=14".to_owned(),
    );
    expected.push("http://localhost:4040/foo239".to_owned());
    expected.sort();
    assert_eq!(
        urls(
            r#"[{"__address__" = "localhost:4040"}]"#,
            r#"profiling_config {
                profile.fgprof { enabled = true }
                profile.custom "x" {
                    enabled = true
                    path = "/foo239"
                }
            }"#
        ),
        expected
    );
}

#[test]
fn url_paths_are_joined_and_cleaned() {
    let with_prefix = |prefix: &str| {
        urls(
            r#"[{"__address__" = "h:1"}]"#,
            &format!(
                "profiling_config {{\n path_prefix = \"{prefix}\"\n{}}}",
                only(&["process_cpu"])
            ),
        )
    };
    assert_eq!(
        with_prefix("v1/"),
        ["http://h:1/v1/debug/pprof/profile?seconds=14"]
    );
    assert_eq!(
        with_prefix("//a/./b/../"),
        ["http://h:1/a/debug/pprof/profile?seconds=14"]
    );
    // A trailing slash of the profile path is kept.
    assert_eq!(
        urls(
            r#"[{"__address__" = "h:1", "__profile_path__" = "/debug/pprof/"}]"#,
            "profiling_config {\n profile.process_cpu { enabled = false }\n}",
        ),
        ["http://h:1/debug/pprof/"]
    );
}

#[test]
fn query_parameters_follow_params_and_param_labels() {
    // Every value of every key, keys sorted, escaped like Go's url.Values.Encode.
    let all = urls(
        r#"[{"__address__" = "h:1"}]"#,
        &format!(
            r#"params = {{"z" = ["1", "2"], "a b" = ["x&y"], "empty" = []}}
        profiling_config {{
            {}
        }}"#,
            only(&["process_cpu"])
        ),
    );
    assert_eq!(
        all,
        ["http://h:1/debug/pprof/profile?a+b=x%26y&seconds=14&z=1&z=2"]
    );
    // A target's __param_<k> sets k; params' first value wins over the target's own label
    // (§4.2 step 4 overwrites it).
    let expansion = expansion(&format!(
        r#"targets = [{{"__address__" = "h:1", "__param_foo" = "t", "__param_debug" = "2"}}]
        params = {{"debug" = ["1", "3"]}}
        profiling_config {{
            {}
        }}"#,
        only(&["goroutine"])
    ));
    let [job] = expansion.jobs.as_slice() else {
        panic!("{:?}", expansion.jobs)
    };
    assert_eq!(
        job.url,
        "http://h:1/debug/pprof/goroutine?debug=1&debug=3&foo=t"
    );
    assert_eq!(label(job, "__param_debug"), Some("1"));
    assert_eq!(label(job, "__param_foo"), Some("t"));
}

#[test]
fn acceptance_7_service_name() {
    let service_name = |target: &str| {
        let expansion = expansion(&format!("targets = [{target}]"));
        let names: Vec<_> = expansion
            .jobs
            .iter()
            .map(|j| label(j, "service_name").unwrap_or("<none>").to_owned())
            .collect();
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(names.iter().all(|n| *n == names[0]), "{names:?}");
        names[0].clone()
    };
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "service_name" = "given", "__meta_docker_container_name" = "/d"}"#
        ),
        "given"
    );
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "__meta_kubernetes_pod_annotation_pyroscope_io_service_name" = "annotated", "__meta_kubernetes_namespace" = "ns", "__meta_kubernetes_pod_container_name" = "c"}"#
        ),
        "annotated"
    );
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "__meta_kubernetes_namespace" = "ns", "__meta_kubernetes_pod_container_name" = "c", "__meta_docker_container_name" = "/d"}"#
        ),
        "ns/c"
    );
    // Only one of namespace and container: not used.
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "__meta_kubernetes_namespace" = "ns", "__meta_docker_container_name" = "/docker-name"}"#
        ),
        "/docker-name"
    );
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "__meta_dockerswarm_container_label_service_name" = "swarm1", "__meta_dockerswarm_service_name" = "swarm2"}"#
        ),
        "swarm1"
    );
    assert_eq!(
        service_name(r#"{"__address__" = "h:1", "__meta_dockerswarm_service_name" = "swarm2"}"#),
        "swarm2"
    );
    // Empty values do not count.
    assert_eq!(
        service_name(
            r#"{"__address__" = "h:1", "service_name" = "", "__meta_docker_container_name" = ""}"#
        ),
        "unspecified"
    );
    assert_eq!(service_name(r#"{"__address__" = "h:1"}"#), "unspecified");
}

#[test]
fn acceptance_8_job_label() {
    let jobs = |body: &str| {
        let expansion = expansion(body);
        assert_eq!(expansion.jobs.len(), 5);
        expansion
            .jobs
            .iter()
            .map(|j| (label(j, "job").map(str::to_owned), j.job_name.clone()))
            .collect::<Vec<_>>()
    };
    let target = r#"targets = [{"__address__" = "h:1"}]"#;
    assert!(jobs(target).iter().all(|j| *j == (None, String::new())));
    assert!(
        jobs(&format!("{target}\njob_name = \"j\""))
            .iter()
            .all(|j| *j == (Some("j".to_owned()), "j".to_owned()))
    );
    assert!(
        jobs("targets = [{\"__address__\" = \"h:1\", \"job\" = \"t\"}]\njob_name = \"j\"")
            .iter()
            .all(|j| *j == (Some("t".to_owned()), "j".to_owned()))
    );
}

#[test]
fn acceptance_17_identical_targets_are_one_set_of_jobs() {
    let expansion = expansion(
        r#"targets = [
            {"__address__" = "127.0.0.1:6060", "env" = "test"},
            {"__address__" = "127.0.0.1:6060", "env" = "test"},
            {"__address__" = "127.0.0.1:6060", "env" = "prod"},
        ]"#,
    );
    assert_eq!(expansion.jobs.len(), 10);
    let mut keys: Vec<u64> = expansion.jobs.iter().map(|j| j.key).collect();
    keys.dedup();
    assert_eq!(keys.len(), 10);
    // URL order, then key order for equal URLs.
    let urls: Vec<&str> = expansion.jobs.iter().map(|j| j.url.as_str()).collect();
    let mut sorted = urls.clone();
    sorted.sort();
    assert_eq!(urls, sorted);
    // An address written with and without its default port is the same target.
    let expansion =
        self::expansion(r#"targets = [{"__address__" = "h"}, {"__address__" = "h:80"}]"#);
    assert_eq!(expansion.jobs.len(), 5);
}

#[test]
fn labels_passed_to_the_receiver() {
    let expansion = expansion(
        r#"targets = [{
            "__address__" = "127.0.0.1:6060",
            "service_name" = "app",
            "env" = "test",
            "__meta_kubernetes_pod_name" = "p1",
        }]
        params = {"debug" = ["1"]}
        profiling_config {
            path_prefix = "/v1"
        }"#,
    );
    let memory = job_for(&expansion, "/allocs");
    let names: Vec<(&str, &str)> = memory.labels.iter().collect();
    assert_eq!(
        names,
        [
            ("__address__", "127.0.0.1:6060"),
            ("__meta_kubernetes_pod_name", "p1"),
            ("__name__", "memory"),
            ("__param_debug", "1"),
            ("__profile_path__", "/debug/pprof/allocs"),
            ("__profile_path_prefix__", "/v1"),
            ("__scheme__", "http"),
            ("env", "test"),
            ("instance", "127.0.0.1:6060"),
            ("service_name", "app"),
        ]
    );
    assert_eq!(memory.profile_name, "memory");
    assert_eq!(
        memory.client_delta,
        Some(vec![("alloc_objects", "count"), ("alloc_space", "bytes")])
    );
    assert!(memory.marks_delta_false());
    assert!(!memory.godeltaprof);
    assert_eq!(memory.delta_seconds, None);

    let cpu = job_for(&expansion, "/profile");
    assert_eq!(cpu.profile_name, "process_cpu");
    assert_eq!(cpu.delta_seconds, Some(14));
    assert_eq!(cpu.client_delta, None);
    assert!(!cpu.marks_delta_false());
    assert_eq!(
        cpu.url,
        "http://127.0.0.1:6060/v1/debug/pprof/profile?debug=1&seconds=14"
    );

    for (path, columns) in [
        (
            "/mutex",
            vec![("contentions", "count"), ("delay", "nanoseconds")],
        ),
        (
            "/block",
            vec![("contentions", "count"), ("delay", "nanoseconds")],
        ),
    ] {
        let job = job_for(&expansion, path);
        assert_eq!(job.client_delta, Some(columns), "{path}");
        assert!(job.marks_delta_false(), "{path}");
    }
    assert_eq!(job_for(&expansion, "/goroutine").client_delta, None);
}

#[test]
fn an_instance_label_of_the_target_is_kept() {
    let expansion = expansion(r#"targets = [{"__address__" = "h", "instance" = "mine"}]"#);
    assert!(
        expansion.jobs.iter().all(
            |j| label(j, "instance") == Some("mine") && label(j, "__address__") == Some("h:80")
        )
    );
}

#[test]
fn godeltaprof_jobs_are_renamed_and_marked() {
    let expansion = expansion(
        r#"targets = [{"__address__" = "h:1"}]
        profiling_config {
            profile.godeltaprof_memory { enabled = true }
            profile.godeltaprof_mutex { enabled = true }
            profile.godeltaprof_block { enabled = true }
            profile.memory { delta = true }
        }"#,
    );
    for (path, name) in [
        ("/delta_heap", "memory"),
        ("/delta_mutex", "mutex"),
        ("/delta_block", "block"),
    ] {
        let job = job_for(&expansion, path);
        assert_eq!(job.profile_name, name, "{path}");
        assert_eq!(label(job, "__name__"), Some(name), "{path}");
        assert!(job.godeltaprof, "{path}");
        assert_eq!(job.client_delta, None, "{path}");
        assert!(job.marks_delta_false(), "{path}");
        assert_eq!(job.delta_seconds, None, "{path}");
    }
    // memory with delta = true: the target's delta, asked with seconds, no client-side delta.
    let memory = job_for(&expansion, "/allocs");
    assert_eq!(memory.url, "http://h:1/debug/pprof/allocs?seconds=14");
    assert_eq!(memory.client_delta, None);
    assert!(!memory.godeltaprof);
    assert!(memory.marks_delta_false());
    // A target's own __name__ is renamed too.
    let expansion = self::expansion(
        r#"targets = [{"__address__" = "h:1", "__name__" = "godeltaprof_block", "__profile_path__" = "/d"}]
        profiling_config {
            profile.process_cpu { enabled = false }
        }"#,
    );
    let [job] = expansion.jobs.as_slice() else {
        panic!("{:?}", expansion.jobs)
    };
    assert_eq!(job.url, "http://h:1/d");
    assert_eq!(job.profile_name, "block");
    assert!(job.godeltaprof);
}

#[test]
fn a_target_with_name_and_path_yields_at_most_two_jobs() {
    let expansion = expansion(
        r#"targets = [{"__address__" = "h:1", "__name__" = "custom", "__profile_path__" = "/p"}]
        profiling_config {
            profile.fgprof { enabled = true }
        }"#,
    );
    let urls: Vec<&str> = expansion.jobs.iter().map(|j| j.url.as_str()).collect();
    assert_eq!(urls, ["http://h:1/p", "http://h:1/p?seconds=14"]);
    assert!(expansion.jobs.iter().all(|j| j.profile_name == "custom"));
}

#[test]
fn a_custom_type_replacing_a_builtin() {
    let expansion = expansion(
        r#"targets = [{"__address__" = "h:1"}]
        profiling_config {
            profile.custom "memory" {
                enabled = true
                path = "/debug/pprof/heap"
            }
            profile.custom "block" {
                enabled = false
                path = "/debug/pprof/block"
            }
        }"#,
    );
    let urls: Vec<&str> = expansion.jobs.iter().map(|j| j.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "http://h:1/debug/pprof/goroutine",
            "http://h:1/debug/pprof/heap",
            "http://h:1/debug/pprof/mutex",
            "http://h:1/debug/pprof/profile?seconds=14",
        ]
    );
    let memory = job_for(&expansion, "/heap");
    assert_eq!(memory.profile_name, "memory");
    assert!(memory.client_delta.is_some());
}

#[test]
fn job_keys_are_fnv1a_and_stable() {
    let expansion = expansion(&format!(
        r#"targets = [{{"__address__" = "127.0.0.1:6060", "service_name" = "app"}}]
        profiling_config {{
            {}
        }}"#,
        only(&["goroutine"])
    ));
    let [job] = expansion.jobs.as_slice() else {
        panic!("{:?}", expansion.jobs)
    };
    assert_eq!(job.url, "http://127.0.0.1:6060/debug/pprof/goroutine");
    // FNV-1a 64 of "instance" ff "127.0.0.1:6060" ff "service_name" ff "app" ff
    // "http://127.0.0.1:6060/debug/pprof/goroutine", computed from the definition (offset
    // basis cbf29ce484222325, prime 100000001b3): a change of algorithm changes every phase.
    assert_eq!(job.key, 0x5bd1_9add_e07d_aa53);
    assert_eq!(job_key(&job.labels, &job.url), job.key);
    // `__` labels do not count; label order does not matter.
    let mut labels = job.labels.clone();
    labels.set("__meta_x", "y");
    assert_eq!(job_key(&labels, &job.url), job.key);
    labels.set("env", "a");
    assert_ne!(job_key(&labels, &job.url), job.key);
}

#[test]
fn bad_input_targets_are_skipped_alone() {
    let expansion = expansion(
        r#"targets = [
            {"env" = "no-address"},
            {"__address__" = "http://h:1"},
            {"__address__" = "h", "__scheme__" = "ftp"},
            {"__address__" = "good:1"},
            {"__address__" = "", "instance" = "x"},
        ]"#,
    );
    let reasons: Vec<&str> = expansion
        .invalid
        .iter()
        .map(|t| t.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "no address",
            "\"http://h:1\" is not a valid hostname",
            "invalid scheme: \"ftp\"",
            "no address",
        ]
    );
    assert_eq!(expansion.invalid[0].labels.get("env"), Some("no-address"));
    assert_eq!(expansion.invalid[2].labels.get("__address__"), Some("h"));
    // The valid target is scraped with every default type.
    assert_eq!(
        expansion
            .jobs
            .iter()
            .map(|j| j.url.clone())
            .collect::<Vec<_>>(),
        default_urls("http://good:1", "", "?seconds=14")
    );
}

#[test]
fn ipv6_and_odd_addresses() {
    assert_eq!(
        urls(r#"[{"__address__" = "[::1]"}]"#, ""),
        default_urls("http://[::1]:80", "", "?seconds=14")
    );
    assert_eq!(
        urls(r#"[{"__address__" = "[::1]:6060"}]"#, ""),
        default_urls("http://[::1]:6060", "", "?seconds=14")
    );
    // Too many colons: no port completion, and no `/`, so it is used as written.
    assert_eq!(
        urls(r#"[{"__address__" = "a:b:c"}]"#, "")[0],
        "http://a:b:c/debug/pprof/allocs"
    );
}

#[test]
fn no_targets_or_no_types_give_no_jobs() {
    assert_eq!(expansion("targets = []"), Expansion::default());
    let expansion = expansion(&format!(
        r#"targets = [{{"__address__" = "h:1"}}, {{"env" = "x"}}]
        profiling_config {{
            {}
        }}"#,
        only(&[])
    ));
    assert!(expansion.jobs.is_empty());
    // An invalid target is still reported.
    assert_eq!(expansion.invalid.len(), 1);
    assert_eq!(expansion.invalid[0].reason, "no address");
}
