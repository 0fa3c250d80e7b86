//! Retry waits (§11.3): dskit-compatible jittered backoff and `Retry-After`.
//!
//! Decisions:
//! - The jitter source is a tiny xorshift64* generator seeded from std's per-process random
//!   hash keys: no dependency, and no need for cryptographic quality.
//! - `Retry-After` takes integer seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime, as
//!   RFC 9110 requires recipients to accept); anything else is ignored.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// The backoff schedule of one request.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    lo: Duration,
    hi: Duration,
    rng: XorShift,
}

impl Backoff {
    /// A fresh schedule between `min` and `max` (`min > max` makes every wait `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max,
            lo: min,
            hi: min.saturating_mul(2).min(max),
            rng: XorShift::seeded(),
        }
    }

    /// The next wait: uniform in `[lo, hi)`, after which the window doubles until its top
    /// reaches the maximum.
    pub fn next_delay(&mut self) -> Duration {
        if self.lo >= self.hi {
            return self.lo;
        }
        let span = (self.hi - self.lo).as_nanos() as u64;
        let delay = self.lo + Duration::from_nanos(self.rng.below(span));
        if self.hi < self.max {
            self.lo = self.lo.saturating_mul(2).min(self.max);
            self.hi = self.hi.saturating_mul(2).min(self.max);
        }
        delay
    }

    /// Clamp a server-requested wait to `[min, max]`; `min` when `min > max`.
    pub fn clamp(&self, wait: Duration) -> Duration {
        if self.min > self.max {
            self.min
        } else {
            wait.clamp(self.min, self.max)
        }
    }
}

#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn seeded() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x9e37_79b9_7f4a_7c15);
        Self(hasher.finish() | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[0, n)` (n > 0), without modulo bias worth caring about for jitter.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// Parse a `Retry-After` value: non-negative integer seconds, or an HTTP-date (a past date is
/// zero). `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`,
/// asctime `Sun Nov  6 08:49:37 1994` (RFC 9110 §5.6.7).
fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

/// RFC 3339 UTC, `2024-05-01T12:00:00Z`.
pub(super) fn rfc3339(t: SystemTime) -> String {
    ferroalloy_component::timestamp::rfc3339_nanos(t)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn windows_double_until_the_maximum() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(300));
        let mut lo = Duration::from_millis(500);
        for _ in 0..9 {
            let d = b.next_delay();
            assert!(d >= lo && d < lo * 2, "{d:?} not in [{lo:?}, {:?})", lo * 2);
            lo *= 2;
        }
        // [256, 300) for good.
        for _ in 0..5 {
            let d = b.next_delay();
            assert!(
                d >= Duration::from_secs(256) && d < Duration::from_secs(300),
                "{d:?}"
            );
        }
    }

    #[test]
    fn min_above_max_waits_min() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(1));
        assert_eq!(b.next_delay(), Duration::from_secs(2));
        assert_eq!(b.next_delay(), Duration::from_secs(2));
        assert_eq!(b.clamp(Duration::from_secs(600)), Duration::from_secs(2));
        let equal = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        assert_eq!(equal.clone().next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:38 1994", now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn rfc3339_formats_utc() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(rfc3339(t), "1994-11-06T08:49:37Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
