//! Go-compatible durations (syntax §6.3).
//!
//! Alloy decodes durations with Go's `time.ParseDuration` and prints them with
//! `time.Duration.String`; configurations, the UI and the API show that text, so both directions
//! are ported exactly rather than approximated with `humantime` or `std::time::Duration`:
//!
//! - the parse grammar, the overflow rules (the total must fit in `i64` nanoseconds, −2⁶³ only
//!   with a `-` sign), the truncation of fraction digits below one nanosecond and the
//!   floating-point step Go uses for fractions all match Go bit for bit;
//! - the three error messages are Go's text, except that the input is quoted with the `%q`
//!   rules of syntax §2.5 (`ferroalloy_syntax::quote`, printable Unicode as itself) where Go's
//!   `time` package escapes every non-ASCII byte; the spec fixes `%q`.
//!
//! A [`Duration`] is signed, like Go's. [`Duration::to_std`] is the bridge to timers and refuses
//! negative values.

use std::fmt;
use std::str::FromStr;

use ferroalloy_syntax::quote::quote;

/// A Go-compatible signed duration in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

/// Why a duration text could not be parsed; `Display` is Go's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty input, no digits, bad syntax or a total beyond the `i64` nanosecond range:
    /// `time: invalid duration "<input>"`.
    #[error("time: invalid duration {}", quote(.input))]
    Invalid {
        /// The whole input text.
        input: String,
    },
    /// A number without a unit: `time: missing unit in duration "<input>"`.
    #[error("time: missing unit in duration {}", quote(.input))]
    MissingUnit {
        /// The whole input text.
        input: String,
    },
    /// A unit other than `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`:
    /// `time: unknown unit "<unit>" in duration "<input>"`.
    #[error("time: unknown unit {} in duration {}", quote(.unit), quote(.input))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole input text.
        input: String,
    },
}

const NANOSECOND: u64 = 1;
const MICROSECOND: u64 = 1_000 * NANOSECOND;
const MILLISECOND: u64 = 1_000 * MICROSECOND;
const SECOND: u64 = 1_000 * MILLISECOND;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;

/// 2⁶³, the magnitude of the most negative duration.
const MAX_MAGNITUDE: u64 = 1 << 63;

impl Duration {
    /// Zero.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// A duration of `secs` whole seconds, `None` when it does not fit.
    pub const fn from_secs(secs: i64) -> Option<Self> {
        match secs.checked_mul(SECOND as i64) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whether the duration is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parse Go duration text such as `1h30m`, `-1.5s`, `300ms` or `0`.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        parse(text)
    }

    /// The equivalent `std::time::Duration`, `None` for a negative duration.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    /// The duration equal to `d`, `None` when it exceeds `i64::MAX` nanoseconds (about 292 years).
    pub fn from_std(d: std::time::Duration) -> Option<Self> {
        i64::try_from(d.as_nanos()).ok().map(Self)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl From<Duration> for i64 {
    fn from(d: Duration) -> i64 {
        d.0
    }
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => NANOSECOND,
        "us" | "\u{00b5}s" | "\u{03bc}s" => MICROSECOND,
        "ms" => MILLISECOND,
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        _ => return None,
    })
}

/// A port of Go's `time.ParseDuration`.
fn parse(orig: &str) -> Result<Duration, DurationError> {
    let invalid = || DurationError::Invalid {
        input: orig.to_owned(),
    };
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(Duration(0));
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (mut v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();

        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (x, sc, rest) = leading_fraction(s);
            f = x;
            scale = sc;
            s = rest;
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }

        let unit_len = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(DurationError::MissingUnit {
                input: orig.to_owned(),
            });
        }
        // The unit ends before an ASCII byte (or at the end), so it is whole UTF-8 text.
        let unit_bytes = &s[..unit_len];
        s = &s[unit_len..];
        let unit = unit_nanos(&String::from_utf8_lossy(unit_bytes)).ok_or_else(|| {
            DurationError::UnknownUnit {
                unit: String::from_utf8_lossy(unit_bytes).into_owned(),
                input: orig.to_owned(),
            }
        })?;
        if v > MAX_MAGNITUDE / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            // Go computes the fraction in float64 (exact to the nanosecond for every unit up to
            // hours) and truncates; do the same so results match bit for bit.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > MAX_MAGNITUDE {
                return Err(invalid());
            }
        }
        total = total.checked_add(v).ok_or_else(invalid)?;
        if total > MAX_MAGNITUDE {
            return Err(invalid());
        }
    }
    if neg {
        // total ≤ 2⁶³ here, so the wrapping negation is exact (2⁶³ becomes i64::MIN).
        return Ok(Duration((total as i64).wrapping_neg()));
    }
    i64::try_from(total).map(Duration).map_err(|_| invalid())
}

/// Go's `leadingInt`: the leading digits as a number, `None` beyond 2⁶³.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > MAX_MAGNITUDE / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > MAX_MAGNITUDE {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

/// Go's `leadingFraction`: the leading digits and their scale; digits beyond `u64` precision
/// are consumed and ignored.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale: f64 = 1.0;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        let c = s[i];
        i += 1;
        if overflow {
            continue;
        }
        if x > (MAX_MAGNITUDE - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > MAX_MAGNITUDE {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, &s[i..])
}

impl fmt::Display for Duration {
    /// Go's `time.Duration.String`: `0s`, `1.5µs`, `300ms`, `1h30m0s`, `-2562047h47m16.854775808s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut u = self.0.unsigned_abs();
        let mut out = String::with_capacity(32);
        if self.0 < 0 {
            out.push('-');
        }
        if u < SECOND {
            let (prec, unit) = match u {
                0 => return f.write_str("0s"),
                u if u < MICROSECOND => (0, "ns"),
                u if u < MILLISECOND => (3, "\u{00b5}s"),
                _ => (6, "ms"),
            };
            let (whole, frac) = split_frac(u, prec);
            out.push_str(&whole.to_string());
            out.push_str(&frac);
            out.push_str(unit);
        } else {
            let (secs, frac) = split_frac(u, 9);
            u = secs;
            let seconds = u % 60;
            u /= 60;
            if u > 0 {
                let minutes = u % 60;
                u /= 60;
                if u > 0 {
                    out.push_str(&u.to_string());
                    out.push('h');
                }
                out.push_str(&minutes.to_string());
                out.push('m');
            }
            out.push_str(&seconds.to_string());
            out.push_str(&frac);
            out.push('s');
        }
        f.write_str(&out)
    }
}

/// Split `v` into `v / 10^prec` and the fraction text (`.` plus digits without trailing zeros,
/// empty when the fraction is zero), as Go's `fmtFrac`.
fn split_frac(v: u64, prec: u32) -> (u64, String) {
    if prec == 0 {
        return (v, String::new());
    }
    let pow = 10u64.pow(prec);
    let whole = v / pow;
    let frac = v % pow;
    if frac == 0 {
        return (whole, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (whole, format!(".{}", digits.trim_end_matches('0')))
}
