//! Instants and durations for people: `Fri 2026-12-04 18:00 CET, in 2d 3h`, `3h ago`,
//! `1h 30m`. Every function here formats without panicking, even for the extreme instants
//! chrono can hold, so an error message about a wild input can always be shown.

use std::fmt::{Display, Write as _};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

/// "Fri 2026-12-04 18:00 CET, in 2d 3h" — the instant shown in `zone` with abbreviation, and its distance from now.
///
/// Seconds are shown only when they are not zero.
#[must_use]
pub fn describe(instant: DateTime<Utc>, zone: Tz, now: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&zone);
    let fmt = if local.second() == 0 {
        "%a %Y-%m-%d %H:%M %Z"
    } else {
        "%a %Y-%m-%d %H:%M:%S %Z"
    };
    format!("{}, {}", render(local.format(fmt)), relative(instant, now))
}

/// "in 2d 3h", "in 45m", "in 30s", "now", "3h ago" — at most two units, rounded down.
///
/// Anything less than a second away counts as "now".
#[must_use]
pub fn relative(instant: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = instant.signed_duration_since(now).num_seconds();
    match secs {
        0 => "now".to_string(),
        s if s > 0 => format!("in {}", two_units(s.unsigned_abs())),
        s => format!("{} ago", two_units(s.unsigned_abs())),
    }
}

/// "2d 3h", "1h 30m", "45m", "30s" — at most two units.
///
/// The largest non-zero unit and the one below it, rounded down; zero is "0s" and
/// negative durations get a leading `-`.
#[must_use]
pub fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds();
    let sign = if secs < 0 { "-" } else { "" };
    format!("{sign}{}", two_units(secs.unsigned_abs()))
}

/// `secs` as its largest non-zero unit plus the next smaller one, if non-zero.
fn two_units(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let Some(big) = UNITS.iter().position(|(size, _)| secs >= *size) else {
        return "0s".to_string();
    };
    // Only adjacent units, so "2d 0h 5m" reads "2d" rather than skipping to minutes.
    let mut parts = Vec::with_capacity(2);
    let mut rest = secs;
    for (size, name) in UNITS.iter().skip(big).take(2) {
        let count = rest / size;
        rest %= size;
        if count > 0 {
            parts.push(format!("{count}{name}"));
        }
    }
    parts.join(" ")
}

/// Formats into a `String` without `to_string`, which panics if a `Display` impl errors.
pub(super) fn render(value: impl Display) -> String {
    let mut out = String::new();
    let _ = write!(out, "{value}");
    out
}

/// `YYYY-MM-DD HH:MM`, with seconds only when present.
pub(super) fn wall_clock(naive: NaiveDateTime) -> String {
    let fmt = if naive.second() == 0 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    render(naive.format(fmt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::tests::{BERLIN, NEW_YORK, utc};

    #[test]
    fn rendering() {
        let now = utc("2026-12-02T14:00:00Z");
        let h = Duration::hours;
        for (offset, want) in [
            (Duration::zero(), "now"),
            (Duration::milliseconds(500), "now"),
            (Duration::milliseconds(-999), "now"),
            (Duration::seconds(30), "in 30s"),
            (Duration::minutes(45), "in 45m"),
            (Duration::seconds(3_659), "in 1h"),
            (h(2) + Duration::minutes(59), "in 2h 59m"),
            (h(51), "in 2d 3h"),
            (h(48) + Duration::minutes(5), "in 2d"),
            (-h(3), "3h ago"),
            (-Duration::seconds(90), "1m 30s ago"),
        ] {
            assert_eq!(relative(now + offset, now), want, "{offset}");
        }
        for (d, want) in [
            (Duration::zero(), "0s"),
            (Duration::seconds(30), "30s"),
            (Duration::minutes(45), "45m"),
            (Duration::minutes(90), "1h 30m"),
            (h(51), "2d 3h"),
            (Duration::weeks(1), "7d"),
            (-Duration::seconds(90), "-1m 30s"),
        ] {
            assert_eq!(human_duration(d), want);
        }
        assert!(!human_duration(Duration::MIN).is_empty());
        assert!(!human_duration(Duration::MAX).is_empty());
        let cases = [
            (
                "2026-12-04T17:00:00Z",
                BERLIN,
                "Fri 2026-12-04 18:00 CET, in 2d 3h",
            ),
            (
                "2026-12-02T11:00:00Z",
                BERLIN,
                "Wed 2026-12-02 12:00 CET, 3h ago",
            ),
            (
                "2026-07-01T16:00:30Z",
                NEW_YORK,
                "Wed 2026-07-01 12:00:30 EDT, 153d 21h ago",
            ),
            (
                "2026-12-02T14:00:00Z",
                chrono_tz::UTC,
                "Wed 2026-12-02 14:00 UTC, now",
            ),
        ];
        for (instant, zone, want) in cases {
            assert_eq!(describe(utc(instant), zone, now), want);
        }
        // Extreme instants must render, not panic.
        for zone in [BERLIN, NEW_YORK, chrono_tz::Pacific::Kiritimati] {
            assert!(!describe(DateTime::<Utc>::MAX_UTC, zone, now).is_empty());
            assert!(!describe(DateTime::<Utc>::MIN_UTC, zone, now).is_empty());
        }
    }
}
