//! When a job scrapes (spec §5.1): pure functions over Unix-nanosecond wall-clock values.
//!
//! Decisions:
//! - A job's phase is `key mod interval` (nanoseconds), so the same job lands on the same
//!   offset in every interval, across restarts, and jobs spread over the interval. No jitter.
//! - Slots are the instants `t` with `t mod interval = phase`. A job waits for the first slot at
//!   or after "now"; after a scrape of slot `s` it waits for the first slot after `s` that is not
//!   already past, so slots missed by a long scrape are skipped, never caught up.
//! - Times are `i128` nanoseconds since the Unix epoch: no overflow for any real clock, and a
//!   clock before 1970 still computes (Euclidean remainder).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds of `interval`, at least 1 (validation refuses 0; this keeps the arithmetic
/// total).
fn interval_nanos(interval: Duration) -> i128 {
    i128::try_from(interval.as_nanos())
        .unwrap_or(i128::MAX)
        .max(1)
}

/// The phase of a job with `key` in `interval`: nanoseconds past each interval boundary.
pub fn phase(key: u64, interval: Duration) -> i128 {
    i128::from(key).rem_euclid(interval_nanos(interval))
}

/// The first slot at or after `now`.
pub fn next_slot(now: i128, interval: Duration, phase: i128) -> i128 {
    let interval = interval_nanos(interval);
    let offset = (phase - now).rem_euclid(interval);
    now + offset
}

/// The slot to wait for after a scrape of `previous` ended at `now`: the first slot after
/// `previous` that is not in the past. Slots between are skipped.
pub fn slot_after(previous: i128, now: i128, interval: Duration, phase: i128) -> i128 {
    next_slot(now.max(previous + 1), interval, phase)
}

/// `time` in nanoseconds since the Unix epoch (negative before it).
pub fn unix_nanos(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

/// How long from `now` until `slot` (zero when it is not in the future).
pub fn until(slot: i128, now: i128) -> Duration {
    u64::try_from(slot - now).map_or(Duration::ZERO, Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i128 = 1_000_000_000;

    #[test]
    fn phase_is_the_key_modulo_the_interval() {
        let three = Duration::from_secs(3);
        assert_eq!(phase(0, three), 0);
        assert_eq!(phase(3 * S as u64 + 7, three), 7);
        assert_eq!(phase(u64::MAX, three), i128::from(u64::MAX) % (3 * S));
        assert!(phase(u64::MAX, three) < 3 * S);
    }

    #[test]
    fn next_slot_is_the_first_matching_instant_at_or_after_now() {
        let interval = Duration::from_secs(15);
        let p = 4 * S;
        // 1_700_000_000 s is 113_333_333 intervals + 5 s.
        let now = 1_700_000_000 * S;
        assert_eq!(next_slot(now, interval, p), now - 5 * S + 15 * S + 4 * S);
        let on_slot = now - 5 * S + 4 * S;
        assert_eq!(
            next_slot(on_slot, interval, p),
            on_slot,
            "a slot now is taken"
        );
        assert_eq!(next_slot(on_slot + 1, interval, p), on_slot + 15 * S);
        let slot = next_slot(now + 123, interval, p);
        assert_eq!(slot.rem_euclid(15 * S), p);
        assert!(slot >= now + 123 && slot < now + 123 + 15 * S);
    }

    #[test]
    fn missed_slots_are_skipped() {
        let interval = Duration::from_secs(3);
        let p = S / 2;
        let previous = 1_000 * 3 * S + p;
        // The scrape ended before the next slot: that slot.
        assert_eq!(
            slot_after(previous, previous + S, interval, p),
            previous + 3 * S
        );
        // A scrape that lasted 7.2 intervals: the next slot after its end, no burst.
        let end = previous + 7 * 3 * S + S / 5;
        assert_eq!(slot_after(previous, end, interval, p), previous + 8 * 3 * S);
        // A scrape that ended exactly on its own slot (clock coarse): never the same slot twice.
        assert_eq!(
            slot_after(previous, previous, interval, p),
            previous + 3 * S
        );
    }

    #[test]
    fn times_before_the_epoch_still_compute() {
        let interval = Duration::from_secs(2);
        assert_eq!(next_slot(-S, interval, 0), 0);
        assert_eq!(unix_nanos(UNIX_EPOCH - Duration::from_secs(1)), -S);
        assert_eq!(unix_nanos(UNIX_EPOCH + Duration::from_nanos(5)), 5);
        assert_eq!(until(10, 4), Duration::from_nanos(6));
        assert_eq!(until(4, 10), Duration::ZERO);
    }
}
