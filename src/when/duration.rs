//! Durations: one or more `<number><unit>` parts (`90s`, `2h30m`, `1 hour, 30 minutes`,
//! `2h and 30m`), summed with overflow checks. They are read for `--timeout`, `--interval`
//! and `late_limit` through [`parse_duration`](super::parse_duration), and as the body of
//! `in 2h`, `+90m` and a bare `2h30m`, which add an exact span to now, so DST never matters.

use chrono::{DateTime, Duration, Utc};

use super::{Cx, WhenError};

impl Cx {
    /// `now + body` for `in 2h`, `+90m` and bare `2h30m`: an exact instant, so DST
    /// never matters here.
    pub(super) fn after(&self, body: &str) -> Result<DateTime<Utc>, WhenError> {
        match duration_body(body) {
            Ok(d) => self
                .now
                .checked_add_signed(d)
                .ok_or_else(|| self.out_of_range()),
            Err(DurationError::Overflow) => Err(self.out_of_range()),
            Err(DurationError::Syntax) => Err(self.unparseable()),
        }
    }
}

pub(super) enum DurationError {
    Syntax,
    Overflow,
}

/// Seconds per unit word, `None` for unknown units.
fn unit_seconds(unit: &str) -> Option<i64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    })
}

/// One or more `<number><unit>` parts (lower-case input), summed with overflow checks.
pub(super) fn duration_body(text: &str) -> Result<Duration, DurationError> {
    let mut total = Duration::zero();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(DurationError::Syntax);
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at_checked(end).ok_or(DurationError::Syntax)?;
        let tail = tail.trim_start();
        let end = tail
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at_checked(end).ok_or(DurationError::Syntax)?;
        let per = unit_seconds(unit).ok_or(DurationError::Syntax)?;
        if number.is_empty() {
            return Err(DurationError::Syntax);
        }
        // Only digits remain, so a parse failure can only mean overflow.
        let n: i64 = number.parse().map_err(|_| DurationError::Overflow)?;
        let part = n
            .checked_mul(per)
            .and_then(Duration::try_seconds)
            .ok_or(DurationError::Overflow)?;
        total = total.checked_add(&part).ok_or(DurationError::Overflow)?;
        rest = tail.trim_start();
        // Optional separator between parts (`2 hours, 30 minutes`, `2h and 30m`),
        // which must be followed by another part.
        let separated = rest.strip_prefix(',').or_else(|| rest.strip_prefix("and "));
        if let Some(after) = separated {
            rest = after.trim_start();
            if rest.is_empty() {
                return Err(DurationError::Syntax);
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use crate::when::parse_duration;
    use crate::when::tests::{BERLIN, THU, check, kind};

    #[test]
    fn relative_forms() {
        check(&[
            (THU, BERLIN, "in 2h", "2026-12-03T14:00:00Z"),
            (THU, BERLIN, "IN 2H", "2026-12-03T14:00:00Z"),
            (THU, BERLIN, "in 90 minutes", "2026-12-03T13:30:00Z"),
            (THU, BERLIN, "in 2 hours 30 minutes", "2026-12-03T14:30:00Z"),
            (
                THU,
                BERLIN,
                "in 2 hours and 30 mins",
                "2026-12-03T14:30:00Z",
            ),
            (THU, BERLIN, "in 1h 30m", "2026-12-03T13:30:00Z"),
            (THU, BERLIN, "in 1d", "2026-12-04T12:00:00Z"),
            (THU, BERLIN, "in 1 week", "2026-12-10T12:00:00Z"),
            (THU, BERLIN, "in 30s", "2026-12-03T12:00:30Z"),
            (THU, BERLIN, "in 3 secs", "2026-12-03T12:00:03Z"),
            (THU, BERLIN, "in 2 hrs", "2026-12-03T14:00:00Z"),
            (THU, BERLIN, "+90m", "2026-12-03T13:30:00Z"),
            (THU, BERLIN, "+2h30m", "2026-12-03T14:30:00Z"),
            (THU, BERLIN, "+ 5m", "2026-12-03T12:05:00Z"),
            (THU, BERLIN, "2h30m", "2026-12-03T14:30:00Z"),
            (THU, BERLIN, "45m", "2026-12-03T12:45:00Z"),
            (THU, BERLIN, "1h 30m", "2026-12-03T13:30:00Z"),
            (THU, BERLIN, "in 0m", THU),
            (THU, BERLIN, "in 1000000d", "4764-10-30T12:00:00Z"),
            (THU, BERLIN, "in 3000000d", "OutOfRange"),
            (THU, BERLIN, "in 999999999999h", "OutOfRange"),
            (THU, BERLIN, "in 99999999999999999999h", "OutOfRange"),
            (THU, BERLIN, "in", "Unparseable"),
            (THU, BERLIN, "in 2", "Unparseable"),
            (THU, BERLIN, "in 2x", "Unparseable"),
            (THU, BERLIN, "in 2h and", "Unparseable"),
            (THU, BERLIN, "-5m", "Unparseable"),
            (THU, BERLIN, "+", "Unparseable"),
        ]);
    }

    #[test]
    fn durations() {
        for (input, want) in [
            ("90s", Some(90)),
            ("5m", Some(300)),
            ("1m", Some(60)),
            ("2h30m", Some(9_000)),
            ("1d", Some(86_400)),
            ("1h 30m", Some(5_400)),
            ("1 hour, 30 minutes", Some(5_400)),
            (" 5M ", Some(300)),
            ("2w", Some(1_209_600)),
            ("0", Some(0)),
            ("0s", Some(0)),
            ("", None),
            ("5", None),
            ("1h30", None),
            ("-5m", None),
            ("5 parsecs", None),
            ("2h,", None),
        ] {
            let got = parse_duration(input).ok().map(|d| d.num_seconds());
            assert_eq!(got, want, "{input:?}");
        }
        for input in [
            "99999999999999999999s",
            "9223372036854775807s",
            "9999999999999w",
        ] {
            let e = parse_duration(input).expect_err(input);
            assert_eq!(kind(&e), "DurationTooLong", "{input}");
        }
        let e = parse_duration("5x").expect_err("5x");
        assert_eq!(e.to_string(), "`5x` is not a duration postez understands");
        assert_eq!(
            e.hint().as_deref(),
            Some("try `90s`, `5m`, `2h30m` or `1d`")
        );
    }
}
