//! Go-compatible durations: every row of syntax §6.3, the duration rows of the eval corpus, and
//! round-trip properties.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ferroalloy_value::duration::{Duration, DurationError};
use proptest::prelude::*;

fn canonical(text: &str) -> String {
    match Duration::parse(text) {
        Ok(d) => d.to_string(),
        Err(e) => panic!("{text:?} should parse, got {e}"),
    }
}

fn error(text: &str) -> String {
    match Duration::parse(text) {
        Ok(d) => panic!("{text:?} should fail, got {d}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn spec_table_rows() {
    for (input, want) in [
        ("1h30m", "1h30m0s"),
        ("1.5h", "1h30m0s"),
        ("90m", "1h30m0s"),
        ("1500ms", "1.5s"),
        (".5s", "500ms"),
        ("1us", "1µs"),
        ("1µs", "1µs"),
        ("1μs", "1µs"),
        ("3600s", "1h0m0s"),
        ("-1m", "-1m0s"),
        ("0", "0s"),
        ("9223372036854775807ns", "2562047h47m16.854775807s"),
    ] {
        assert_eq!(canonical(input), want, "input {input:?}");
    }
    assert_eq!(
        Duration::parse("1h30m").map(Duration::as_nanos),
        Ok(5_400_000_000_000)
    );
}

#[test]
fn corpus_rows_ok() {
    for (input, want) in [
        ("1h30m", "1h30m0s"),
        ("1.5h", "1h30m0s"),
        (".5s", "500ms"),
        ("1.s", "1s"),
        ("1us", "1µs"),
        ("1µs", "1µs"),
        ("1μs", "1µs"),
        ("0", "0s"),
        ("-1m", "-1m0s"),
        ("+2s", "2s"),
        ("90s", "1m30s"),
        ("1500ms", "1.5s"),
        ("1001us", "1.001ms"),
        ("26h3m0.5s", "26h3m0.5s"),
        ("9223372036854775807ns", "2562047h47m16.854775807s"),
        ("-9223372036854775808ns", "-2562047h47m16.854775808s"),
        ("1ns", "1ns"),
        ("3600s", "1h0m0s"),
    ] {
        assert_eq!(canonical(input), want, "input {input:?}");
    }
}

#[test]
fn corpus_rows_errors() {
    for (input, want) in [
        ("10", r#"time: missing unit in duration "10""#),
        ("1d", r#"time: unknown unit "d" in duration "1d""#),
        ("", r#"time: invalid duration """#),
        ("s", r#"time: invalid duration "s""#),
        (".s", r#"time: invalid duration ".s""#),
        (" 1s", r#"time: invalid duration " 1s""#),
        ("1h-1m", r#"time: unknown unit "h-" in duration "1h-1m""#),
        ("1e3s", r#"time: unknown unit "e" in duration "1e3s""#),
        (
            "9223372036854775808ns",
            r#"time: invalid duration "9223372036854775808ns""#,
        ),
        ("3000000h", r#"time: invalid duration "3000000h""#),
    ] {
        assert_eq!(error(input), want, "input {input:?}");
    }
}

#[test]
fn more_go_cases() {
    // From Go's time package tests (parseDurationTests).
    for (input, nanos) in [
        ("5s", 5_000_000_000i64),
        ("30s", 30_000_000_000),
        ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000),
        ("+5s", 5_000_000_000),
        ("-0", 0),
        ("+0", 0),
        ("5.0s", 5_000_000_000),
        ("5.6s", 5_600_000_000),
        ("5.s", 5_000_000_000),
        (".5s", 500_000_000),
        ("1.0s", 1_000_000_000),
        ("1.00s", 1_000_000_000),
        ("1.004s", 1_004_000_000),
        ("1.0040s", 1_004_000_000),
        ("100.00100s", 100_001_000_000),
        ("10ns", 10),
        ("11us", 11_000),
        ("12µs", 12_000),
        ("12μs", 12_000),
        ("13ms", 13_000_000),
        ("14s", 14_000_000_000),
        ("15m", 900_000_000_000),
        ("16h", 57_600_000_000_000),
        ("3h30m", 12_600_000_000_000),
        ("10.5s4m", 250_500_000_000),
        ("-2m3.4s", -123_400_000_000),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006),
        ("39h9m14.425s", 140_954_425_000_000),
        ("52763797000ns", 52_763_797_000),
        ("0.3333333333333333333h", 1_200_000_000_000),
        ("9007199254740993ns", 9_007_199_254_740_993),
        ("9223372036854775.807us", i64::MAX),
        ("9223372036854ms775us807ns", i64::MAX),
        ("-9223372036854775.808us", i64::MIN),
        ("-2562047h47m16.854775808s", i64::MIN),
        ("0.100000000000000000000h", 360_000_000_000),
        ("0.830103483285477580700h", 2_988_372_539_827),
    ] {
        assert_eq!(
            Duration::parse(input).map(Duration::as_nanos),
            Ok(nanos),
            "input {input:?}"
        );
    }
    for input in [
        "",
        "3",
        "-",
        "s",
        ".",
        "-.",
        ".s",
        "+.s",
        "1d",
        "\u{85}\u{85}",
        "\u{ffff}",
        "9223372036854775810ns",
        "9223372036854775808ns",
        "-9223372036854775809ns",
        "2562047h47m16.854775808s",
    ] {
        assert!(
            Duration::parse(input).is_err(),
            "input {input:?} should fail"
        );
    }
}

#[test]
fn error_kinds_and_quoting() {
    assert_eq!(
        Duration::parse("3"),
        Err(DurationError::MissingUnit {
            input: "3".to_owned()
        })
    );
    assert_eq!(
        error("1x\"y"),
        r#"time: unknown unit "x\"y" in duration "1x\"y""#
    );
    assert_eq!(error("1\t"), r#"time: unknown unit "\t" in duration "1\t""#);
    assert_eq!(error("1é"), r#"time: unknown unit "é" in duration "1é""#);
    assert_eq!(
        error("1\u{200b}"),
        r#"time: unknown unit "\u200b" in duration "1\u200b""#
    );
    assert_eq!(
        error("1\u{1}"),
        r#"time: unknown unit "\x01" in duration "1\x01""#
    );
}

#[test]
fn formatting_matches_go() {
    for (nanos, want) in [
        (0i64, "0s"),
        (1, "1ns"),
        (1_100, "1.1µs"),
        (2_200_000, "2.2ms"),
        (3_300_000_000, "3.3s"),
        (-4_000_000_000, "-4s"),
        (4 * 60 * 1_000_000_000 + 5_000_000_000, "4m5s"),
        (4 * 60 * 1_000_000_000 + 5_001_000_000, "4m5.001s"),
        (
            5 * 3_600_000_000_000 + 6 * 60_000_000_000 + 7_001_000_000,
            "5h6m7.001s",
        ),
        (8 * 60_000_000_000 + 1, "8m0.000000001s"),
        (i64::MAX, "2562047h47m16.854775807s"),
        (i64::MIN, "-2562047h47m16.854775808s"),
        (-1, "-1ns"),
        (999, "999ns"),
        (1_000, "1µs"),
        (999_999, "999.999µs"),
        (1_000_000, "1ms"),
    ] {
        assert_eq!(
            Duration::from_nanos(nanos).to_string(),
            want,
            "nanos {nanos}"
        );
    }
}

#[test]
fn std_bridge() {
    assert_eq!(
        Duration::from_nanos(1_500).to_std(),
        Some(std::time::Duration::from_nanos(1_500))
    );
    assert_eq!(Duration::from_nanos(-1).to_std(), None);
    assert_eq!(
        Duration::from_std(std::time::Duration::from_secs(90)),
        Some(Duration::from_nanos(90_000_000_000))
    );
    assert_eq!(
        Duration::from_std(std::time::Duration::from_secs(u64::MAX)),
        None
    );
    assert_eq!(
        "1m".parse::<Duration>(),
        Ok(Duration::from_nanos(60_000_000_000))
    );
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(nanos in any::<i64>()) {
        let d = Duration::from_nanos(nanos);
        prop_assert_eq!(Duration::parse(&d.to_string()), Ok(d));
    }

    #[test]
    fn parse_then_format_is_canonical(nanos in any::<i64>()) {
        let text = Duration::from_nanos(nanos).to_string();
        let again = Duration::parse(&text).map(|d| d.to_string());
        prop_assert_eq!(again, Ok(text));
    }

    #[test]
    fn parse_never_panics(text in ".{0,24}") {
        let _ = Duration::parse(&text);
    }

    #[test]
    fn parse_of_digit_and_unit_soup_never_panics(text in "[-+]?[0-9.]{0,22}(ns|us|µs|ms|s|m|h|x)?[0-9.]{0,3}") {
        let _ = Duration::parse(&text);
    }
}
