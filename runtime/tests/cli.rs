//! Command-line parsing of the real binary: usage errors exit 2, `--version` names the build.
#![allow(
    clippy::expect_used,
    reason = "a binary that cannot be started ends the test"
)]

use std::process::Command;

fn ferroalloy(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferroalloy"))
        .args(args)
        .output()
        .expect("run ferroalloy");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn version_names_the_version_revision_and_compiler() {
    let (code, stdout, _) = ferroalloy(&["--version"]);
    assert_eq!(code, Some(0));
    let expected_prefix = format!("ferroalloy v{} (revision ", env!("CARGO_PKG_VERSION"));
    assert!(stdout.starts_with(&expected_prefix), "{stdout}");
    assert!(stdout.contains(", rustc "), "{stdout}");
}

#[test]
fn unknown_commands_flags_and_missing_arguments_are_usage_errors() {
    for args in [
        &["frobnicate"][..],
        &["fmt", "--bogus"],
        &["validate"],
        &["validate", "a", "b"],
        &[],
    ] {
        let (code, stdout, stderr) = ferroalloy(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(!stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn a_bad_stability_level_is_a_usage_error() {
    let (code, _, stderr) = ferroalloy(&["validate", "--stability.level", "beta", "x.alloy"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("beta"), "{stderr}");
}
