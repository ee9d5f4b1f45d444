//! Day phrases: `today 18:00`, `tomorrow at 9am`, `fri 6pm`, `next friday 18:00`, and which
//! day a time of day means when no day is given: the next time the clock shows it. A bare
//! time or a weekday whose moment has passed today means the next such day; `today` at a
//! past time stays in the past, for [`parse`](super::parse) to refuse.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use super::{Cx, WhenError};

/// The day part of a day phrase.
enum Day {
    /// Understood so that `yesterday 18:00` is refused for being in the past (and a bad clock
    /// in it for what is wrong with it), not as words postez does not know (issue 10).
    Yesterday,
    Today,
    Tomorrow,
    /// The next such weekday whose time is still ahead (may be today).
    On(Weekday),
    /// The first such weekday strictly after today.
    Next(Weekday),
}

impl Cx {
    /// `today 18:00`, `tomorrow at 9am`, `fri 18:00`, `next friday 6pm`.
    pub(super) fn day_phrase(&self, words: &[&str]) -> Result<DateTime<Utc>, WhenError> {
        let (day, used) = match words {
            ["yesterday", ..] => (Day::Yesterday, 1),
            ["today", ..] => (Day::Today, 1),
            ["tomorrow", ..] => (Day::Tomorrow, 1),
            ["next", w, ..] => (Day::Next(weekday(w).ok_or_else(|| self.unparseable())?), 2),
            [w, ..] => (Day::On(weekday(w).ok_or_else(|| self.unparseable())?), 1),
            [] => return Err(self.unparseable()),
        };
        let (phrase, rest) = words
            .split_at_checked(used)
            .ok_or_else(|| self.unparseable())?;
        let rest = rest.strip_prefix(&["at"]).unwrap_or(rest);
        let time = match rest {
            // "yesterday" needs no time to be wrong: offer a day that can work.
            [] if matches!(day, Day::Yesterday) => {
                return Err(self.missing_time("tomorrow 9am".into()));
            }
            [] => return Err(self.missing_time(format!("{} 9am", phrase.join(" ")))),
            [t] => self.clock(t)?,
            _ => return Err(self.unparseable()),
        };
        let today = self.today()?;
        match day {
            Day::Yesterday => {
                let day = today
                    .checked_sub_days(chrono::Days::new(1))
                    .ok_or_else(|| self.out_of_range())?;
                self.resolve(day.and_time(time))
            }
            Day::Today => self.resolve(today.and_time(time)),
            Day::Tomorrow => self.resolve(self.add_days(today, 1)?.and_time(time)),
            Day::On(w) => self.upcoming(self.add_days(today, days_until(today, w))?, time, 7),
            Day::Next(w) => {
                let n = match days_until(today, w) {
                    0 => 7,
                    n => n,
                };
                self.resolve(self.add_days(today, n)?.and_time(time))
            }
        }
    }

    /// `time` on `date` if that is still ahead of now, else `step` days later.
    pub(super) fn upcoming(
        &self,
        date: NaiveDate,
        time: NaiveTime,
        step: u64,
    ) -> Result<DateTime<Utc>, WhenError> {
        let naive = date.and_time(time);
        let passed = match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.with_timezone(&Utc) < self.now,
            // Only roll over when both occurrences are gone; otherwise ask which one.
            LocalResult::Ambiguous(a, b) => a.max(b).with_timezone(&Utc) < self.now,
            // A skipped wall time is "passed" when the local clock is already beyond it.
            LocalResult::None => naive < self.local_now()?,
        };
        let date = if passed {
            self.add_days(date, step)?
        } else {
            date
        };
        self.resolve(date.and_time(time))
    }
}

pub(super) fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Days from `today` to the next `target` weekday, 0 when today is that day.
fn days_until(today: NaiveDate, target: Weekday) -> u64 {
    let from = today.weekday().num_days_from_monday();
    u64::from((target.num_days_from_monday() + 7 - from) % 7)
}

#[cfg(test)]
mod tests {
    use crate::when::tests::{BERLIN, THU, check};

    #[test]
    fn day_phrases() {
        check(&[
            (THU, BERLIN, "today 18:00", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "today at 6pm", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "today 9am", "InPast"),
            (THU, BERLIN, "yesterday 18:00", "InPast"),
            (THU, BERLIN, "yesterday 25:99", "InvalidTime"),
            (THU, BERLIN, "tomorrow 9am", "2026-12-04T08:00:00Z"),
            (THU, BERLIN, "tomorrow at 9am", "2026-12-04T08:00:00Z"),
            (THU, BERLIN, "  Tomorrow   9 AM ", "2026-12-04T08:00:00Z"),
            (THU, BERLIN, "tomorrow noon", "2026-12-04T11:00:00Z"),
            (THU, BERLIN, "friday 18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "Fri 18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "next friday 18:00", "2026-12-04T17:00:00Z"),
            (THU, BERLIN, "thursday 18:00", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "thu 9am", "2026-12-10T08:00:00Z"),
            (THU, BERLIN, "next thursday 18:00", "2026-12-10T17:00:00Z"),
            (THU, BERLIN, "monday 9:30am", "2026-12-07T08:30:00Z"),
            (THU, BERLIN, "wed at 6 pm", "2026-12-09T17:00:00Z"),
            (THU, BERLIN, "sun 18:00", "2026-12-06T17:00:00Z"),
            (THU, BERLIN, "tomorrow", "MissingTime"),
            (THU, BERLIN, "tomorrow at", "MissingTime"),
            (THU, BERLIN, "friday", "MissingTime"),
            (THU, BERLIN, "next friday", "MissingTime"),
            (THU, BERLIN, "tomorrow 25:00", "InvalidTime"),
            (THU, BERLIN, "tomorow 9am", "Unparseable"),
            (THU, BERLIN, "next", "Unparseable"),
            (THU, BERLIN, "next tomorrow 9am", "Unparseable"),
            (THU, BERLIN, "tomorrow 9am 10am", "Unparseable"),
            (THU, BERLIN, "friday 18", "Unparseable"),
        ]);
    }
}
