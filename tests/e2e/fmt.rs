//! `ferroalloy fmt` as a user runs it (runtime §13.2, syntax §9, §11 items 6, 7 and 15).

use std::fs;

use ferroalloy_tests::{conformance_dir, run_in, temp};

#[test]
fn formats_every_printer_case_through_stdin_like_alloy() {
    let dir = temp();
    let printer = conformance_dir().join("printer");
    let mut checked = 0;
    for entry in fs::read_dir(&printer).expect("printer corpus") {
        let path = entry.expect("corpus entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("expect") {
            continue;
        }
        let input = fs::read(path.with_extension("in")).expect("matching .in file");
        let expect = fs::read_to_string(&path).expect(".expect file");
        let run = run_in(dir.path(), &["fmt"], &input);
        assert_eq!(run.code, Some(0), "{}: {}", path.display(), run.stderr);
        assert_eq!(
            run.stdout,
            format!("{}\n", expect.trim_end()),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} printer cases found");
}

#[test]
fn syntax_errors_print_every_diagnostic_on_one_line_and_nothing_on_stdout() {
    let dir = temp();
    fs::write(
        dir.path().join("bad.alloy"),
        "a = [\n  1,\n  2\n]\nb = 'x'\n",
    )
    .expect("write");
    let run = run_in(dir.path(), &["fmt", "bad.alloy"], b"");
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines.contains(&"bad.alloy:3:4: missing ',' in expression list"),
        "{}",
        run.stderr
    );
    assert!(
        lines.contains(&"bad.alloy:5:5: illegal single-quoted string; use double quotes"),
        "{}",
        run.stderr
    );
    let (last, diagnostics) = lines.split_last().expect("some output");
    assert_eq!(*last, "Error: encountered errors during formatting");
    assert!(
        diagnostics
            .iter()
            .all(|line| line.starts_with("bad.alloy:")),
        "{}",
        run.stderr
    );
}

#[test]
fn standard_input_is_named_stdin_in_diagnostics() {
    let run = run_in(temp().path(), &["fmt", "-"], b"a = 1 +\n");
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("<stdin>:2:1: expected expression, got EOF\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn top_level_attributes_format_normally() {
    let run = run_in(temp().path(), &["fmt"], b"a=1\nbb   =   2\n");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "a  = 1\nbb = 2\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn test_flag_accepts_formatted_and_rejects_unformatted_files() {
    let dir = temp();
    fs::write(
        dir.path().join("ok.alloy"),
        "local.file \"a\" {\n\tfilename = \"x\"\n}\n",
    )
    .expect("write");
    fs::write(
        dir.path().join("ugly.alloy"),
        "local.file \"a\" {\nfilename=\"x\"\n}\n",
    )
    .expect("write");

    let ok = run_in(dir.path(), &["fmt", "-t", "ok.alloy"], b"");
    assert_eq!(
        (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
        (Some(0), "", "")
    );

    let ugly = run_in(dir.path(), &["fmt", "--test", "ugly.alloy"], b"");
    assert_eq!(ugly.code, Some(1));
    assert_eq!(ugly.stdout, "");
    assert_eq!(
        ugly.stderr,
        "Error: file ugly.alloy is not formatted correctly\n"
    );
}

#[test]
fn write_flag_rewrites_in_place_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp();
    let path = dir.path().join("main.alloy");
    fs::write(&path, "local.file \"a\" {\nfilename=\"x\"\n}\n").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");

    let run = run_in(dir.path(), &["fmt", "-w", "main.alloy"], b"");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), "", "")
    );
    assert_eq!(
        fs::read_to_string(&path).expect("read back"),
        "local.file \"a\" {\n\tfilename = \"x\"\n}\n"
    );
    let mode = fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

#[test]
fn write_flag_leaves_a_formatted_file_untouched() {
    let dir = temp();
    let path = dir.path().join("main.alloy");
    fs::write(&path, "a = 1\n").expect("write");
    let before = fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = run_in(dir.path(), &["fmt", "-w", "main.alloy"], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let after = fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after, "an unchanged file must not be rewritten");
}

#[test]
fn conflicting_and_impossible_flags_are_usage_errors() {
    let dir = temp();
    let stdin = run_in(dir.path(), &["fmt", "-w", "-"], b"a = 1\n");
    assert_eq!(stdin.code, Some(2));
    assert_eq!(stdin.stderr, "Error: cannot use -w with standard input\n");
    let no_file = run_in(dir.path(), &["fmt", "-w"], b"a = 1\n");
    assert_eq!(no_file.code, Some(2));
    assert_eq!(no_file.stderr, "Error: cannot use -w with standard input\n");

    fs::write(dir.path().join("x.alloy"), "a = 1\n").expect("write");
    let both = run_in(dir.path(), &["fmt", "-w", "-t", "x.alloy"], b"");
    assert_eq!(both.code, Some(2));
    assert_eq!(
        both.stderr,
        "Error: cannot use -w/--write and -t/--test at the same time\n"
    );
}

#[test]
fn a_directory_or_a_missing_file_is_one_error_line() {
    let dir = temp();
    let run = run_in(dir.path(), &["fmt", "."], b"");
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    assert_eq!(run.stderr, "Error: cannot format a directory\n");

    let missing = run_in(dir.path(), &["fmt", "nope.alloy"], b"");
    assert_eq!(missing.code, Some(1));
    assert!(
        missing
            .stderr
            .starts_with("Error: failed to read nope.alloy: "),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stderr.lines().count(), 1);
}

#[test]
fn invalid_utf8_is_a_positioned_error() {
    let run = run_in(temp().path(), &["fmt"], b"a = \"x\xff\"\n");
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("<stdin>:1:7: illegal UTF-8 encoding\n"),
        "{}",
        run.stderr
    );
}
