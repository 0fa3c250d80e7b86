//! `ferroalloy validate` as a user runs it (runtime §13.3, syntax §11 items 9, 12 and 13).

use std::fs;
use std::path::Path;

use ferroalloy_tests::{conformance_dir, run_in, write_txtar};

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

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

/// Upstream and adapted validator cases that need nothing beyond the language; the cases that
/// need component schemas and the graph are run by the runtime's own tests.
const LANGUAGE_ONLY_CASES: &[&str] = &[
    "default/syntax_errors",
    "adapted/leading_zero",
    "adapted/stdlib",
];

#[test]
fn validator_conformance_cases_that_need_only_the_language() {
    let root = conformance_dir().join("validator");
    let manifest: String = fs::read_to_string(root.join("manifest.json")).expect("manifest");
    for case in LANGUAGE_ONLY_CASES {
        let dir = temp();
        let archive = fs::read_to_string(root.join(format!("{case}.txtar"))).expect("txtar");
        write_txtar(&archive, dir.path());
        let run = run_in(dir.path(), &["validate", "."], b"");
        let expected: Vec<String> = if case.starts_with("adapted/") {
            fs::read_to_string(root.join(format!("{case}.expect")))
                .expect("expect file")
                .lines()
                .map(str::to_owned)
                .collect()
        } else {
            expected_headers_from_manifest(&manifest, case)
        };
        assert_eq!(headers(&run.stderr), expected, "{case}:\n{}", run.stderr);
        let has_error = expected.iter().any(|h| h.starts_with("Error: "));
        assert_eq!(run.code, Some(if has_error { 1 } else { 0 }), "{case}");
        assert_eq!(run.stdout, "", "{case}");
        assert_eq!(
            run.stderr.trim_end().ends_with("Error: validation failed"),
            has_error,
            "{case}: {}",
            run.stderr
        );
    }
}

/// `expect_headers` of one case in the manifest.
fn expected_headers_from_manifest(manifest: &str, case: &str) -> Vec<String> {
    let manifest: serde_json::Value = serde_json::from_str(manifest).expect("manifest is JSON");
    let cases = manifest["cases"].as_array().expect("cases");
    let entry = cases
        .iter()
        .find(|c| c["case"] == case)
        .expect("case in manifest");
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
        "local.file \"a\" {\n\tfilename = array.group_by([], \"k\", false)\n}\n",
    );
    let run = run_in(dir.path(), &["validate", "main.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        headers(&run.stderr),
        [
            "Error: main.alloy:2:13: array.group_by is at stability level \"experimental\", which is below the minimum allowed stability level \"generally-available\". Use --stability.level command-line flag to enable \"experimental\" features"
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
            .starts_with("Error: failed to read missing.alloy: "),
        "{}",
        run.stderr
    );
}
