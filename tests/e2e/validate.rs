//! `ferroalloy validate` as a user runs it (runtime §13.3, syntax §11 items 9, 12 and 13).
#![allow(
    clippy::expect_used,
    reason = "a broken fixture stops the test with a message"
)]

use std::fs;
use std::path::Path;

use ferroalloy_tests::{conformance_dir, run_in, temp, write_txtar};

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("write config");
}

/// The `Error:`/`Warning:` header lines of validate's stderr.
fn headers(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| {
            (line.starts_with("Error: ") || line.starts_with("Warning: "))
                && *line != "Error: validation failed"
        })
        .collect()
}

/// Components the validator corpus uses that ferroalloy may not ship yet (later issues).
const CANDIDATE_COMPONENTS: &[&str] = &[
    "pyroscope.write",
    "pyroscope.scrape",
    "pyroscope.receive_http",
];

/// Every corpus case that declares a candidate component, with the components it declares. A
/// case is skipped exactly while one of them is not shipped; a new case using one of them must
/// be added here, so the list of skipped cases cannot grow silently.
const CASES_USING_CANDIDATES: &[(&str, &[&str])] = &[
    ("adapted/invalid_refs", &["pyroscope.scrape"]),
    ("adapted/mixed", &["pyroscope.write", "pyroscope.scrape"]),
    ("adapted/non_ga", &["pyroscope.scrape"]),
];

/// How one corpus case is checked.
enum Expectation {
    /// The header lines of stderr, in order.
    Headers(Vec<String>),
    /// The whole stderr without its final `Error: validation failed` line.
    Diags(String),
}

/// Every case of the validator corpus: each `adapted/*.txtar` with its `.expect`, and each
/// `same`/`same-headers` entry of the manifest.
fn corpus_cases() -> Vec<(String, Expectation)> {
    let root = conformance_dir().join("validator");
    let mut cases = Vec::new();
    let mut adapted: Vec<String> = fs::read_dir(root.join("adapted"))
        .expect("adapted directory")
        .map(|entry| {
            entry
                .expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|name| name.strip_suffix(".txtar").map(str::to_owned))
        .collect();
    adapted.sort();
    for name in adapted {
        let case = format!("adapted/{name}");
        let expect = fs::read_to_string(root.join(format!("{case}.expect"))).expect("expect file");
        let headers = expect.lines().map(str::to_owned).collect();
        cases.push((case, Expectation::Headers(headers)));
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("manifest.json")).expect("manifest"))
            .expect("manifest is JSON");
    for entry in manifest["cases"].as_array().expect("cases") {
        let case = entry["case"].as_str().expect("case name").to_owned();
        match entry["status"].as_str().expect("status") {
            "same" => {
                let diags =
                    fs::read_to_string(root.join(format!("{case}.diags"))).expect("diags file");
                cases.push((case, Expectation::Diags(diags)));
            }
            "same-headers" => {
                let headers = expected_headers(entry);
                cases.push((case, Expectation::Headers(headers)));
            }
            _ => {}
        }
    }
    cases
}

/// The candidate components the binary does not know.
fn unshipped_components() -> Vec<&'static str> {
    CANDIDATE_COMPONENTS
        .iter()
        .copied()
        .filter(|name| {
            let dir = temp();
            write(
                dir.path(),
                "main.alloy",
                &format!("{name} \"probe\" {{}}\n"),
            );
            let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
            run.stderr.contains(&format!(
                "cannot find the definition of component name \"{name}\""
            ))
        })
        .collect()
}

/// The candidate components declared (as blocks) in a txtar archive.
fn declared_candidates(archive: &str) -> Vec<&'static str> {
    CANDIDATE_COMPONENTS
        .iter()
        .copied()
        .filter(|name| {
            archive
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{name} \"")))
        })
        .collect()
}

#[test]
#[allow(
    clippy::print_stderr,
    reason = "the skipped cases are listed for whoever runs the test"
)]
fn the_validator_corpus_passes() {
    let root = conformance_dir().join("validator");
    let unshipped = unshipped_components();
    let mut skipped: Vec<(String, Vec<&str>)> = Vec::new();
    let mut ran = 0;
    for (case, expectation) in corpus_cases() {
        let archive = fs::read_to_string(root.join(format!("{case}.txtar"))).expect("txtar");
        let missing: Vec<&str> = declared_candidates(&archive)
            .into_iter()
            .filter(|name| unshipped.contains(name))
            .collect();
        if !missing.is_empty() {
            skipped.push((case, missing));
            continue;
        }
        let dir = temp();
        write_txtar(&archive, dir.path());
        let run = run_in(dir.path(), &["validate", "."], b"");
        ran += 1;
        let has_error = match &expectation {
            Expectation::Headers(expected) => {
                assert_eq!(headers(&run.stderr), *expected, "{case}:\n{}", run.stderr);
                expected.iter().any(|h| h.starts_with("Error: "))
            }
            Expectation::Diags(diags) => {
                let ours = run
                    .stderr
                    .trim_end()
                    .strip_suffix("Error: validation failed")
                    .unwrap_or(&run.stderr)
                    .trim_end();
                assert_eq!(ours, diags.trim_end(), "{case}");
                diags.starts_with("Error: ") || diags.contains("\nError: ")
            }
        };
        assert_eq!(run.code, Some(if has_error { 1 } else { 0 }), "{case}");
        assert_eq!(run.stdout, "", "{case}");
        assert_eq!(
            run.stderr
                .trim_end()
                .ends_with("\n\nError: validation failed")
                || run.stderr == "Error: validation failed\n",
            has_error,
            "{case}: {}",
            run.stderr
        );
    }

    for (case, missing) in &skipped {
        eprintln!(
            "not run: {case}: declares {}, not shipped yet",
            missing.join(", ")
        );
    }
    let skipped_names: Vec<&str> = skipped.iter().map(|(case, _)| case.as_str()).collect();
    let expected_skips: Vec<&str> = CASES_USING_CANDIDATES
        .iter()
        .filter(|(_, components)| components.iter().any(|c| unshipped.contains(c)))
        .map(|(case, _)| *case)
        .collect();
    assert_eq!(
        skipped_names, expected_skips,
        "the cases that cannot run are exactly those declaring unshipped components"
    );
    // Every case that declares a candidate is in the list, shipped or not.
    for (case, _) in corpus_cases() {
        let archive = fs::read_to_string(root.join(format!("{case}.txtar"))).expect("txtar");
        let declared = declared_candidates(&archive);
        let listed = CASES_USING_CANDIDATES.iter().find(|(c, _)| *c == case);
        assert_eq!(
            listed
                .map(|(_, components)| components.to_vec())
                .unwrap_or_default(),
            declared,
            "{case}: CASES_USING_CANDIDATES is out of date"
        );
    }
    assert!(ran >= 8, "only {ran} corpus cases ran");
}

/// `expect_headers` of one manifest entry.
fn expected_headers(entry: &serde_json::Value) -> Vec<String> {
    entry["expect_headers"]
        .as_array()
        .expect("expect_headers")
        .iter()
        .map(|h| h.as_str().expect("header text").to_owned())
        .collect()
}

#[test]
fn default_syntax_errors_pretty_output_matches_alloy_where_the_manifest_says_so() {
    let root = conformance_dir().join("validator/default");
    let dir = temp();
    write_txtar(
        &fs::read_to_string(root.join("syntax_errors.txtar")).expect("txtar"),
        dir.path(),
    );
    let run = run_in(dir.path(), &["validate", "."], b"");
    let alloy = fs::read_to_string(root.join("syntax_errors.diags")).expect("diags");
    // The manifest records that only the two E9 excerpts differ (a caret past the end of a line).
    let ours: Vec<&str> = run.stderr.split("\n\n").collect();
    let theirs: Vec<&str> = alloy.trim_end().split("\n\n").collect();
    let main_alloy_blocks = 8;
    assert_eq!(
        ours[..main_alloy_blocks],
        theirs[..main_alloy_blocks],
        "{}",
        run.stderr
    );
}

#[test]
fn a_top_level_attribute_and_a_parse_error_are_reported_in_one_run() {
    let dir = temp();
    write(dir.path(), "main.alloy", "a = {\n  x = 1\n}\n");
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:1:1: unrecognized attribute a",
            "Error: main.alloy:2:8: missing ',' in field list",
        ]
    );
}

#[test]
fn a_leading_zero_is_a_warning_and_validation_succeeds() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = 010\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        headers(&run.stderr),
        [
            "Warning: main.alloy:2:13: number literal 010 has a leading zero: ferroalloy reads it as decimal 10, Grafana Alloy reads it as octal 8"
        ]
    );
    assert!(!run.stderr.contains("validation failed"));
}

#[test]
fn a_leading_zero_that_is_not_octal_ends_after_the_decimal_value() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = 09\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(
        headers(&run.stderr),
        [
            "Warning: main.alloy:2:13: number literal 09 has a leading zero: ferroalloy reads it as decimal 9"
        ]
    );
}

#[test]
fn deprecated_aliases_warn_at_the_identifier() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = coalesce(env(\"UNSET_FERRO_VAR\"), \"x\")\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        headers(&run.stderr),
        [
            "Warning: main.alloy:2:22: this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives"
        ]
    );
}

#[test]
fn evaluation_errors_are_positioned_and_fail_validation() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = \"x\" + 1 / 0\n\tis_secret = string.format(\"%d\")\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:2:23: 0 divide by zero error",
            "Error: main.alloy:3:14: string.format missing argument for verb %d",
        ]
    );
    assert!(
        run.stderr.ends_with("\nError: validation failed\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn experimental_functions_need_the_stability_flag() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = string.join(array.group_by([], \"k\", false), \",\")\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:2:25: array.group_by is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features"
        ]
    );
    let allowed = run_in(
        dir.path(),
        &[
            "validate",
            "--stability.level",
            "experimental",
            "main.alloy",
        ],
        b"",
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
}

#[test]
fn references_to_component_exports_are_left_to_the_graph() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = \"/x\"\n}\n\nlocal.file \"b\" {\n\tfilename = local.file.a.content + \"/suffix\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn a_directory_names_files_by_path_and_reports_all_files_together() {
    let dir = temp();
    let conf = dir.path().join("conf.d");
    fs::create_dir(&conf).expect("mkdir");
    write(&conf, "b.alloy", "x = 1\n");
    write(&conf, "a.alloy", "local.file \"a\" {\n\tfilename = [\n}\n");
    write(&conf, "ignored.txt", "this is not a config {{{");
    let run = run_in(dir.path(), &["validate", "conf.d"], b"");
    assert_eq!(run.code, Some(1));
    let headers = headers(&run.stderr);
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("Error: conf.d/a.alloy:3:1: ")),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"Error: conf.d/b.alloy:1:1: unrecognized attribute x"),
        "{headers:?}"
    );
    assert!(!run.stderr.contains("ignored.txt"));
}

#[test]
fn an_empty_directory_and_a_comment_only_file_are_valid() {
    let dir = temp();
    let run = run_in(dir.path(), &["validate", "."], b"");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
    write(
        dir.path(),
        "main.alloy",
        "// nothing here yet\n/* still nothing */\n",
    );
    let run = run_in(dir.path(), &["validate", "."], b"");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn encoding_problems_are_positioned() {
    let dir = temp();
    fs::write(dir.path().join("utf16.alloy"), b"\xff\xfea\x00").expect("write");
    fs::write(
        dir.path().join("bad.alloy"),
        b"local.file \"a\" {\n\tfilename = \"\xc3\x28\"\n}\n",
    )
    .expect("write");
    let run = run_in(dir.path(), &["validate", "."], b"");
    assert_eq!(run.code, Some(1));
    let headers = headers(&run.stderr);
    assert!(
        headers.contains(&"Error: bad.alloy:2:14: illegal UTF-8 encoding"),
        "{headers:?}"
    );
    assert!(
        headers.contains(&"Error: utf16.alloy:1:1: configuration is encoded with UTF16LittleEndian but must be utf8"),
        "{headers:?}"
    );
}

#[test]
fn a_missing_path_is_one_error_line() {
    let run = run_in(temp().path(), &["validate", "missing.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("Error: reading config path \"missing.alloy\": "),
        "{}",
        run.stderr
    );
}

#[test]
fn an_attribute_with_a_reference_is_checked_for_name_and_structure_only() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = \"/a\"\n}\n\nlocal.file \"b\" {\n\tfilename  = local.file.a.content\n\tis_secret = local.file.a.content\n\tdetector  = \"inotify\" + local.file.a.content\n\tbogus     = local.file.a.content\n}\n\nlocal.file \"c\" {\n\tis_secret = local.file.a.content\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    // `is_secret` would not convert and `detector` would fail `validate`, but both wait for
    // the running graph; the unknown name and the missing required attribute do not.
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:9:2: unrecognized attribute name \"bogus\"",
            "Error: main.alloy:12:1: missing required attribute \"filename\"",
        ]
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn validate_hooks_run_when_every_attribute_is_decodable() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = \"/a\"\n\tdetector = \"inotify\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        ["Error: main.alloy:3:2: unrecognized detector \"inotify\", expected fsnotify or poll"]
    );
}

#[test]
fn components_with_graph_errors_are_not_decoded() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = nope.x\n\tbogus    = 1\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(
        headers(&run.stderr),
        ["Error: main.alloy:2:13: component \"nope.x\" does not exist or is out of scope"]
    );
}

#[test]
fn logging_values_are_checked() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "logging {\n\tlevel       = \"loud\"\n\tformat      = \"xml\"\n\tdestination = \"file\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:2:2: unrecognized log level \"loud\"",
            "Error: main.alloy:3:2: unrecognized log format \"xml\"",
            "Error: main.alloy:4:2: unrecognized log destination \"file\"",
        ]
    );
    write(
        dir.path(),
        "main.alloy",
        "logging {\n\tlevel  = \"debug\"\n\tformat = \"json\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn duplicate_ids_across_files_name_both_files() {
    // Runtime §15 item 4.
    let dir = temp();
    write(
        dir.path(),
        "a.alloy",
        "local.file \"x\" {\n\tfilename = \"/a\"\n}\n",
    );
    write(
        dir.path(),
        "b.alloy",
        "local.file \"x\" {\n\tfilename = \"/b\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "."], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        ["Error: b.alloy:1:1: block local.file.x already declared at a.alloy:1:1"]
    );
}

#[test]
fn ignored_blocks_warn_and_unsupported_blocks_fail() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "livedebugging {\n\tenabled = true\n}\n\nimport.file \"m\" {\n\tfilename = \"/m\"\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Warning: main.alloy:1:1: the \"livedebugging\" block has no effect in ferroalloy",
            "Error: main.alloy:5:1: the \"import.file\" block is not supported by ferroalloy",
        ]
    );
}

#[test]
fn module_path_is_the_directory_of_the_configuration() {
    let dir = temp();
    write(
        dir.path(),
        "main.alloy",
        "local.file \"a\" {\n\tfilename = module_path + \"/x\"\n\tis_secret = module_path\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    // `module_path` is a string in the scope, so it does not convert to bool.
    assert_eq!(
        headers(&run.stderr),
        ["Error: main.alloy:3:14: module_path should be bool, got string"]
    );
}
