//! RFC 3339 timestamps in UTC, without a date-time dependency: the one formatter behind log
//! lines, health times in the API and times in components' debug info.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// `time` in RFC 3339 UTC with exactly three fraction digits: `2026-08-21T09:40:27.123Z`.
pub fn rfc3339_millis(time: SystemTime) -> String {
    let (secs, nanos) = unix_parts(time);
    let mut out = date_time(secs);
    let _ = write!(out, ".{:03}Z", nanos / 1_000_000);
    out
}

/// `time` in RFC 3339 UTC with up to nine fraction digits, trailing zeros dropped (Go's
/// `time.RFC3339Nano`): `2026-08-21T09:40:27.123456789Z`, `2026-08-21T09:40:27Z`.
pub fn rfc3339_nanos(time: SystemTime) -> String {
    let (secs, nanos) = unix_parts(time);
    let mut out = date_time(secs);
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Whole seconds since the Unix epoch (negative before it) and the nanoseconds past them.
fn unix_parts(time: SystemTime) -> (i64, u32) {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (
            i64::try_from(after.as_secs()).unwrap_or(i64::MAX / 2),
            after.subsec_nanos(),
        ),
        Err(err) => {
            let before = err.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX / 2);
            match before.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch (proleptic Gregorian calendar, UTC).
fn date_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Howard Hinnant's `civil_from_days`: the date of a day number counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc3339_formats() {
        let at = |secs: u64, nanos: u32| UNIX_EPOCH + Duration::new(secs, nanos);
        assert_eq!(rfc3339_nanos(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nanos(at(1_787_305_227, 123_456_789)),
            "2026-08-21T09:40:27.123456789Z"
        );
        assert_eq!(
            rfc3339_nanos(at(1_787_305_227, 120_000_000)),
            "2026-08-21T09:40:27.12Z"
        );
        assert_eq!(
            rfc3339_millis(at(1_787_305_227, 5_999_999)),
            "2026-08-21T09:40:27.005Z"
        );
        assert_eq!(rfc3339_nanos(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_nanos(at(4_107_542_399, 0)), "2100-02-28T23:59:59Z");
        let before = UNIX_EPOCH - Duration::new(1, 500_000_000);
        assert_eq!(rfc3339_nanos(before), "1969-12-31T23:59:58.5Z");
    }
}
