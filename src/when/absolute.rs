//! Absolute times: `2026-12-01 18:00`, RFC 3339 (`T` or space, `Z` or an offset), a date
//! with `at` and a 12-hour time, and the pieces every phrase shares: dates (`YYYY-MM-DD`,
//! four-digit years only), times of day (`18:00:30.5`, `6:30pm`, `noon`, `midnight`) and UTC
//! offsets (`z`, `utc`, `+01:00`, `-0500`). A well-shaped number out of range is an error
//! here, never a panic or a silent wrap.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};

use super::{Cx, WhenError};

impl Cx {
    /// `2026-12-01 18:00`, `2026-12-01t18:00:00+01:00`, `2026-12-01 at 6pm`, `... 18:00 utc`.
    pub(super) fn date_phrase(
        &self,
        date_text: &str,
        glued_time: Option<&str>,
        rest: &[&str],
    ) -> Result<DateTime<Utc>, WhenError> {
        let date = parse_date(date_text).ok_or_else(|| self.invalid_date())?;
        let time_words: Vec<&str> = match glued_time {
            Some("") => return Err(self.unparseable()),
            Some(t) => std::iter::once(t).chain(rest.iter().copied()).collect(),
            None => rest.strip_prefix(&["at"]).unwrap_or(rest).to_vec(),
        };
        let (clock_text, offset_text) = match time_words.as_slice() {
            [] => return Err(self.missing_time(format!("{date_text} 18:00"))),
            [t] => split_offset(t),
            // An offset written as its own word: `18:00 +01:00`, `18:00 utc`.
            [t, off] if split_offset(t).1.is_none() => (*t, Some(*off)),
            _ => return Err(self.unparseable()),
        };
        let naive = date.and_time(self.clock(clock_text)?);
        match offset_text {
            None => self.resolve(naive),
            Some(off) => {
                let off = parse_offset(off).ok_or_else(|| self.unparseable())?;
                match off.from_local_datetime(&naive) {
                    LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                    _ => Err(self.out_of_range()),
                }
            }
        }
    }
}

/// The ASCII-digit number in `s` if its length is within `min..=max`.
fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Splits a word that looks like `Y-M-D` (optionally followed by `t` and a time)
/// into its date and time parts; `None` when it does not look like a date at all.
pub(super) fn split_date(word: &str) -> Option<(&str, Option<&str>)> {
    let (date, time) = match word.split_once('t') {
        Some((d, t)) => (d, Some(t)),
        None => (word, None),
    };
    let mut parts = date.split('-');
    let shaped = parts.clone().count() == 3
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    shaped.then_some((date, time))
}

/// `YYYY-MM-DD` (month and day may be one digit); four-digit years only, which
/// keeps absurd years like 99999 out.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let year = digits(parts.next()?, 4, 4)?;
    let month = digits(parts.next()?, 1, 2)?;
    let day = digits(parts.next()?, 1, 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// A clock-shaped word whose numbers are out of range, and which ones, as a clause for the
/// message: "hour 25 and minute 99 are out of range (hours 0-23, minutes 0-59)".
pub(super) struct BadClock(pub(super) String);

/// Which of a clock's numbers are out of range (issue 10: `25:99` must say what is wrong).
fn bad_clock(hour: u32, minute: u32, second: u32, am_pm: bool) -> BadClock {
    let hours = if am_pm { "1-12 with am/pm" } else { "0-23" };
    let mut bad = Vec::new();
    if (am_pm && !(1..=12).contains(&hour)) || (!am_pm && hour > 23) {
        bad.push((format!("hour {hour}"), format!("hours {hours}")));
    }
    if minute > 59 {
        bad.push((format!("minute {minute}"), "minutes 0-59".to_string()));
    }
    if second > 59 {
        bad.push((format!("second {second}"), "seconds 0-59".to_string()));
    }
    let (what, ranges): (Vec<String>, Vec<String>) = bad.into_iter().unzip();
    BadClock(match what.len() {
        0 => "it is not a time of day".to_string(),
        1 => format!("{} is out of range ({})", what[0], ranges[0]),
        _ => format!(
            "{} are out of range ({})",
            what.join(" and "),
            ranges.join(", ")
        ),
    })
}

/// `18:00`, `18:00:30.5`, `9am`, `9:30pm`, `noon`, `midnight`. `Ok(None)` means
/// "not a time of day at all", so callers can try other readings.
pub(super) fn parse_clock(word: &str) -> Result<Option<NaiveTime>, BadClock> {
    match word {
        "noon" => return Ok(NaiveTime::from_hms_opt(12, 0, 0)),
        "midnight" => return Ok(Some(NaiveTime::MIN)),
        _ => {}
    }
    let (body, pm) = if let Some(b) = word.strip_suffix("am") {
        (b, Some(false))
    } else if let Some(b) = word.strip_suffix("pm") {
        (b, Some(true))
    } else {
        (word, None)
    };
    let parts: Vec<&str> = body.split(':').collect();
    let (hour, minute, second, nano) = match parts.as_slice() {
        [h] if pm.is_some() => (digits(h, 1, 2), Some(0), Some(0), Some(0)),
        [h, m] => (digits(h, 1, 2), digits(m, 2, 2), Some(0), Some(0)),
        [h, m, s] => {
            let (whole, frac) = match s.split_once(['.', ',']) {
                Some((w, f)) => (w, fraction_nanos(f)),
                None => (*s, Some(0)),
            };
            (digits(h, 1, 2), digits(m, 2, 2), digits(whole, 2, 2), frac)
        }
        _ => return Ok(None),
    };
    let (Some(hour), Some(minute), Some(second), Some(nano)) = (hour, minute, second, nano) else {
        return Ok(None);
    };
    let clock = match pm {
        // 12am is midnight and 12pm is noon; 0am and 13pm are nonsense.
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return Err(bad_clock(hour, minute, second, true)),
        None => hour,
    };
    NaiveTime::from_hms_nano_opt(clock, minute, second, nano)
        .map(Some)
        .ok_or_else(|| bad_clock(hour, minute, second, pm.is_some()))
}

/// Fractional-second digits to nanoseconds; digits beyond nanoseconds are dropped.
fn fraction_nanos(frac: &str) -> Option<u32> {
    if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = frac.bytes().chain(std::iter::repeat(b'0')).take(9);
    Some(padded.fold(0, |acc, b| acc * 10 + u32::from(b - b'0')))
}

/// Splits `18:00:00+01:00` / `18:00z` into clock and offset text.
fn split_offset(word: &str) -> (&str, Option<&str>) {
    match word.find(['z', '+', '-']) {
        Some(at) => match word.split_at_checked(at) {
            Some((clock, off)) => (clock, Some(off)),
            None => (word, None),
        },
        None => (word, None),
    }
}

/// `z`, `utc`, `+01:00`, `-0500`, `+05`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "z" || text == "utc" {
        return FixedOffset::east_opt(0);
    }
    let (sign, body) = match text.strip_prefix('+') {
        Some(body) => (1, body),
        None => (-1, text.strip_prefix('-')?),
    };
    let (h, m) = match body.split_once(':') {
        Some(hm) => hm,
        None if body.len() == 4 => body.split_at_checked(2)?,
        None => (body, "00"),
    };
    let (h, m) = (digits(h, 2, 2)?, digits(m, 2, 2)?);
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * i32::try_from(h * 3600 + m * 60).ok()?)
}

#[cfg(test)]
mod tests {
    use crate::when::tests::{BERLIN, NEW_YORK, THU, check};

    #[test]
    fn absolute_forms() {
        check(&[
            (THU, BERLIN, "now", THU),
            (THU, BERLIN, "  NOW  ", THU),
            (
                THU,
                BERLIN,
                "2026-12-04T18:00:00+01:00",
                "2026-12-04T17:00:00Z",
            ),
            (THU, BERLIN, "2026-12-04T17:00:00Z", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-04 17:00:00z", "2026-12-04T17:00:00Z"),
            (
                THU,
                BERLIN,
                "2026-12-04t12:00:00-05:00",
                "2026-12-04T17:00:00Z",
            ),
            (
                THU,
                BERLIN,
                "2026-12-04T17:00:00.25Z",
                "2026-12-04T17:00:00.25Z",
            ),
            (
                THU,
                BERLIN,
                "2026-12-04 17:00:00,5+00:00",
                "2026-12-04T17:00:00.5Z",
            ),
            (
                THU,
                BERLIN,
                "2026-12-04T18:00:00+0100",
                "2026-12-04T17:00:00Z",
            ),
            (
                THU,
                BERLIN,
                "2026-12-04 18:00 +01:00",
                "2026-12-04T17:00:00Z",
            ),
            (THU, BERLIN, "2026-12-04 18:00 UTC", "2026-12-04T18:00:00Z"),
            (THU, BERLIN, "2026-12-04 18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-04 18:00:30", "2026-12-04T17:00:30Z"),
            (THU, BERLIN, "2026-12-04T18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-04 6pm", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-04 6:30PM", "2026-12-04T17:30:00Z"),
            (THU, BERLIN, "2026-12-04  6 pm", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-04 at 18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "2026-12-4 18:00", "2026-12-04T17:00:00Z"),
            (THU, NEW_YORK, "2026-12-04 18:00", "2026-12-04T23:00:00Z"),
            (THU, BERLIN, "9999-12-31 23:00", "9999-12-31T22:00:00Z"),
            (THU, BERLIN, "2026-12-04", "MissingTime"),
            (THU, BERLIN, "2026-12-04 at", "MissingTime"),
            (THU, BERLIN, "2026-12-04T", "Unparseable"),
            (THU, BERLIN, "2026-12-04 18:00 +25:00", "Unparseable"),
            (THU, BERLIN, "2026-12-04 18:00 19:00", "Unparseable"),
            (THU, BERLIN, "2026-02-30 18:00", "InvalidDate"),
            (THU, BERLIN, "2026-13-01 18:00", "InvalidDate"),
            (THU, BERLIN, "99999-01-01 18:00", "InvalidDate"),
            (THU, BERLIN, "2026-12-04 25:00", "InvalidTime"),
            (THU, BERLIN, "9999-12-31T23:59:59-01:00", "OutOfRange"),
            (THU, BERLIN, "2025-12-01 18:00", "InPast"),
            (THU, BERLIN, "2026-12-03 12:59", "InPast"),
            (THU, BERLIN, "2026-12-03T11:59:59Z", "InPast"),
        ]);
    }

    #[test]
    fn time_of_day_forms() {
        check(&[
            (THU, BERLIN, "18:00", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "at 18:00", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "18:00:30", "2026-12-03T17:00:30Z"),
            (THU, BERLIN, "13:00", THU), // exactly now is not in the past
            (THU, BERLIN, "12:00", "2026-12-04T11:00:00Z"),
            (THU, BERLIN, "9am", "2026-12-04T08:00:00Z"),
            (THU, BERLIN, "9 AM", "2026-12-04T08:00:00Z"),
            (THU, BERLIN, "9:30pm", "2026-12-03T20:30:00Z"),
            (THU, BERLIN, "12am", "2026-12-03T23:00:00Z"),
            (THU, BERLIN, "midnight", "2026-12-03T23:00:00Z"),
            (THU, BERLIN, "12pm", "2026-12-04T11:00:00Z"),
            (THU, BERLIN, "noon", "2026-12-04T11:00:00Z"),
            (THU, NEW_YORK, "noon", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "25:00", "InvalidTime"),
            (THU, BERLIN, "24:00", "InvalidTime"),
            (THU, BERLIN, "18:60", "InvalidTime"),
            (THU, BERLIN, "18:00:60", "InvalidTime"),
            (THU, BERLIN, "13pm", "InvalidTime"),
            (THU, BERLIN, "0am", "InvalidTime"),
            (THU, BERLIN, "18", "Unparseable"),
            (THU, BERLIN, "18:0", "Unparseable"),
            (THU, BERLIN, "18:00z", "Unparseable"),
            (THU, BERLIN, "", "Empty"),
            (THU, BERLIN, " \t\n ", "Empty"),
        ]);
    }
}
