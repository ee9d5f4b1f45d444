//! Publish times for postez: this module owns parsing the `--at` time phrases
//! (`tomorrow 9am`, `in 2h`, `18:00`, `2026-12-01 18:00`, RFC 3339, ...) against an
//! injected "now" and IANA zone, plus zone names, durations (`--timeout`,
//! `--interval`, `late_limit`) and the human-readable rendering of instants.
//! It never reads the clock or the environment itself and never prints: callers
//! pass `now` and the zone in, so every answer is reproducible and testable.
//! Input is untrusted user text, so every failure is a [`WhenError`], never a panic.

use std::fmt::{Display, Write as _};

use chrono::{
    DateTime, Datelike, Days, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime,
    NaiveTime, Offset, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// Examples offered whenever the phrase is not recognised at all.
const EXAMPLES: &str = "try `tomorrow 9am`, `in 2h`, `18:00` or `2026-12-01 18:00`";
/// 9999-12-31T23:59:59Z: later instants would not print as RFC 3339, and nobody
/// schedules a video that far out, so anything beyond is treated as overflow.
const LATEST_TIMESTAMP: i64 = 253_402_300_799;
/// How much of the user's input is quoted back in a message.
const MAX_SHOWN_CHARS: usize = 60;

/// Why a time phrase, zone name or duration was rejected.
///
/// Every message is one sentence naming the offending input; [`WhenError::hint`]
/// gives the next thing to type.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum WhenError {
    /// The input was empty or only whitespace.
    #[error("no time was given")]
    Empty,
    /// The input matches none of the accepted forms.
    #[error("`{input}` is not a time postez understands")]
    Unparseable {
        /// The input as typed (whitespace collapsed, possibly shortened).
        input: String,
    },
    /// A date or day phrase without a time of day, such as `tomorrow`.
    #[error("`{input}` needs a time of day")]
    MissingTime {
        /// The input as typed.
        input: String,
        /// The same phrase completed with a time, offered as the hint.
        example: String,
    },
    /// A time of day outside its range, such as `25:00` or `13pm`.
    #[error("`{input}` contains a time of day that does not exist")]
    InvalidTime {
        /// The input as typed.
        input: String,
    },
    /// A date that is not on the calendar, such as `2026-02-30`, or a year that is not four digits.
    #[error("`{input}` contains a date that is not on the calendar")]
    InvalidDate {
        /// The input as typed.
        input: String,
    },
    /// The phrase resolves beyond the year 9999 (or arithmetic overflowed).
    #[error("`{input}` is too far in the future for postez")]
    OutOfRange {
        /// The input as typed.
        input: String,
    },
    /// The local time falls into a daylight-saving gap in the zone.
    #[error("{local} does not exist in {zone}: clocks jump forward at that time")]
    DstGap {
        /// The requested wall-clock time, `YYYY-MM-DD HH:MM`.
        local: String,
        /// The IANA zone name.
        zone: String,
        /// The wall-clock time one hour later, offered as the hint.
        later: String,
    },
    /// The local time happens twice in the zone because clocks go back.
    #[error("{local} happens twice in {zone} because clocks go back; add an explicit UTC offset")]
    DstOverlap {
        /// The requested wall-clock time, `YYYY-MM-DD HH:MM`.
        local: String,
        /// The IANA zone name.
        zone: String,
        /// RFC 3339 form of the first occurrence.
        first: String,
        /// RFC 3339 form of the second occurrence.
        second: String,
    },
    /// The phrase resolves to an instant before now.
    #[error("`{input}` is in the past ({resolved})")]
    InPast {
        /// The input as typed.
        input: String,
        /// The resolved instant as [`describe`] renders it.
        resolved: String,
    },
    /// Not an IANA time zone name.
    #[error("`{input}` is not a time zone postez knows")]
    UnknownZone {
        /// The name as typed.
        input: String,
        /// A known zone whose city part matches, e.g. `Europe/Berlin` for `berlin`.
        suggestion: Option<String>,
    },
    /// Not a duration such as `90s` or `2h30m`.
    #[error("`{input}` is not a duration postez understands")]
    InvalidDuration {
        /// The input as typed.
        input: String,
    },
    /// A duration too large to represent.
    #[error("`{input}` is too long a duration for postez")]
    DurationTooLong {
        /// The input as typed.
        input: String,
    },
}

impl WhenError {
    /// The next thing to type to fix the error, phrased as a suggestion.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Empty | Self::Unparseable { .. } => EXAMPLES.to_string(),
            Self::MissingTime { example, .. } => format!("try `{example}`"),
            Self::InvalidTime { .. } => {
                "hours run 0-23 (or 1-12 with am/pm) and minutes 0-59, e.g. `18:00` or `6:30pm`"
                    .to_string()
            }
            Self::InvalidDate { .. } => {
                "write the date as YYYY-MM-DD with a real day of the month, e.g. `2026-12-01 18:00`"
                    .to_string()
            }
            Self::OutOfRange { .. } => {
                "use a nearer time, such as `in 2h` or `2026-12-01 18:00`".to_string()
            }
            Self::DstGap { later, .. } => format!("try `{later}`, one hour later"),
            Self::DstOverlap { first, second, .. } => {
                format!("write `{first}` (first occurrence) or `{second}` (second occurrence)")
            }
            Self::InPast { .. } => "use a time after now, such as `in 10m`".to_string(),
            Self::UnknownZone {
                suggestion: Some(zone),
                ..
            } => format!("did you mean `{zone}`? `timedatectl list-timezones` lists all names"),
            Self::UnknownZone { .. } => "use an IANA tz database name such as `Europe/Berlin` or \
                 `UTC`; `timedatectl list-timezones` lists them all"
                .to_string(),
            Self::InvalidDuration { .. } => "try `90s`, `5m`, `2h30m` or `1d`".to_string(),
            Self::DurationTooLong { .. } => {
                "use a shorter duration, such as `2h30m` or `7d`".to_string()
            }
        })
    }
}

/// Parse `input` as a publish time. `now` is the current instant; `zone` resolves local (zone-less) times.
/// Rejects times before `now` ([`WhenError::InPast`] with hint). `now` itself (the word) is allowed and returns `now`.
///
/// Accepted (case-insensitive): `now`; RFC 3339 (`T` or space, `Z` or offset);
/// local `YYYY-MM-DD HH:MM[:SS]` / `6pm` / `6:30pm`; a time of day alone (next
/// occurrence); `in 2h`, `+90m`, `2h30m`; `today`/`tomorrow`/weekday/`next`
/// weekday followed by an optional `at` and a time of day.
pub fn parse(input: &str, now: DateTime<Utc>, zone: Tz) -> Result<DateTime<Utc>, WhenError> {
    let cx = Cx {
        shown: shown(input),
        words: words(input),
        now,
        zone,
    };
    if cx.words.is_empty() {
        return Err(WhenError::Empty);
    }
    if cx.words == ["now"] {
        return Ok(now);
    }
    let at = cx.instant()?;
    if at.timestamp() > LATEST_TIMESTAMP {
        return Err(cx.out_of_range());
    }
    if at < now {
        return Err(WhenError::InPast {
            input: cx.shown,
            resolved: describe(at, zone, now),
        });
    }
    Ok(at)
}

/// Parse an IANA zone name ("Europe/Berlin", also "UTC"); unknown → [`WhenError::UnknownZone`] with hint pointing at `timedatectl list-timezones` or the tz database.
///
/// Matching ignores ASCII case and surrounding whitespace.
pub fn parse_zone(name: &str) -> Result<Tz, WhenError> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Ok(tz);
    }
    // Zone names are unique ignoring ASCII case, so `europe/berlin` is unambiguous.
    let all = chrono_tz::TZ_VARIANTS.iter();
    if let Some(tz) = all.clone().find(|tz| tz.name().eq_ignore_ascii_case(name)) {
        return Ok(*tz);
    }
    // People often type just the city (`Berlin`, `new york`): offer the full name.
    let city = name.replace(' ', "_");
    let suggestion = all
        .map(|tz| tz.name())
        .find(|full| city_matches(full, &city))
        .map(str::to_string);
    Err(WhenError::UnknownZone {
        input: shown(name),
        suggestion,
    })
}

/// Parse a duration like "90s", "5m", "1m", "2h30m", "1d", "1h 30m" (used for `--timeout`, `--interval`, `late_limit` config). "0" is zero.
///
/// `m` is minutes. Units: s/sec/second, m/min/minute, h/hr/hour, d/day, w/week
/// (plurals too); parts may be separated by spaces, `,` or `and`.
pub fn parse_duration(input: &str) -> Result<Duration, WhenError> {
    let lower = input.trim().to_lowercase();
    if lower == "0" {
        return Ok(Duration::zero());
    }
    duration_body(&lower).map_err(|e| match e {
        DurationError::Syntax => WhenError::InvalidDuration {
            input: shown(input),
        },
        DurationError::Overflow => WhenError::DurationTooLong {
            input: shown(input),
        },
    })
}

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

/// Parsing context: the input in its two shapes plus the injected clock and zone.
struct Cx {
    /// The input as quoted back in messages.
    shown: String,
    /// Lower-cased words, with a detached `am`/`pm` glued to the preceding number.
    words: Vec<String>,
    now: DateTime<Utc>,
    zone: Tz,
}

/// The day part of a day phrase.
enum Day {
    Today,
    Tomorrow,
    /// The next such weekday whose time is still ahead (may be today).
    On(Weekday),
    /// The first such weekday strictly after today.
    Next(Weekday),
}

impl Cx {
    /// Dispatches on the shape of the words; `now` has been handled by the caller.
    fn instant(&self) -> Result<DateTime<Utc>, WhenError> {
        let words: Vec<&str> = self.words.iter().map(String::as_str).collect();
        if let [first, rest @ ..] = words.as_slice() {
            if *first == "in" {
                return self.after(&rest.join(" "));
            }
            if let Some(body) = self.words.join(" ").strip_prefix('+') {
                return self.after(body);
            }
            if let Some((date, glued_time)) = split_date(first) {
                return self.date_phrase(date, glued_time, rest);
            }
        }
        match words.as_slice() {
            [first, ..] if *first == "next" || weekday(first).is_some() => self.day_phrase(&words),
            ["today" | "tomorrow", ..] => self.day_phrase(&words),
            ["at", time] => {
                let time = self.clock(time)?;
                self.upcoming(self.today()?, time, 1)
            }
            [word] => match parse_clock(word) {
                Ok(Some(time)) => self.upcoming(self.today()?, time, 1),
                Ok(None) => self.after(word),
                Err(BadClock) => Err(self.invalid_time()),
            },
            _ => self.after(&self.words.join(" ")),
        }
    }

    /// `now + body` for `in 2h`, `+90m` and bare `2h30m`: an exact instant, so DST
    /// never matters here.
    fn after(&self, body: &str) -> Result<DateTime<Utc>, WhenError> {
        match duration_body(body) {
            Ok(d) => self
                .now
                .checked_add_signed(d)
                .ok_or_else(|| self.out_of_range()),
            Err(DurationError::Overflow) => Err(self.out_of_range()),
            Err(DurationError::Syntax) => Err(self.unparseable()),
        }
    }

    /// `2026-12-01 18:00`, `2026-12-01t18:00:00+01:00`, `2026-12-01 at 6pm`, `... 18:00 utc`.
    fn date_phrase(
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

    /// `today 18:00`, `tomorrow at 9am`, `fri 18:00`, `next friday 6pm`.
    fn day_phrase(&self, words: &[&str]) -> Result<DateTime<Utc>, WhenError> {
        let (day, used) = match words {
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
            [] => return Err(self.missing_time(format!("{} 9am", phrase.join(" ")))),
            [t] => self.clock(t)?,
            _ => return Err(self.unparseable()),
        };
        let today = self.today()?;
        match day {
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
    fn upcoming(
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

    /// Wall-clock time in `zone` to an instant, refusing DST gaps and overlaps.
    fn resolve(&self, naive: NaiveDateTime) -> Result<DateTime<Utc>, WhenError> {
        match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                let (first, second) = if a <= b { (a, b) } else { (b, a) };
                let rfc = "%Y-%m-%dT%H:%M:%S%:z";
                Err(WhenError::DstOverlap {
                    local: wall_clock(naive),
                    zone: self.zone.name().to_string(),
                    first: render(first.format(rfc)),
                    second: render(second.format(rfc)),
                })
            }
            LocalResult::None => Err(WhenError::DstGap {
                local: wall_clock(naive),
                zone: self.zone.name().to_string(),
                later: naive
                    .checked_add_signed(Duration::hours(1))
                    .map_or_else(|| wall_clock(naive), wall_clock),
            }),
        }
    }

    /// Current wall-clock time in `zone`; checked because chrono's `naive_local`
    /// panics when an extreme `now` plus the offset leaves chrono's range.
    fn local_now(&self) -> Result<NaiveDateTime, WhenError> {
        let utc = self.now.naive_utc();
        let offset = self.zone.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_offset(offset)
            .ok_or_else(|| self.out_of_range())
    }

    fn today(&self) -> Result<NaiveDate, WhenError> {
        Ok(self.local_now()?.date())
    }

    fn add_days(&self, date: NaiveDate, n: u64) -> Result<NaiveDate, WhenError> {
        date.checked_add_days(Days::new(n))
            .ok_or_else(|| self.out_of_range())
    }

    /// A time-of-day word, or the matching error.
    fn clock(&self, word: &str) -> Result<NaiveTime, WhenError> {
        match parse_clock(word) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(self.unparseable()),
            Err(BadClock) => Err(self.invalid_time()),
        }
    }

    fn unparseable(&self) -> WhenError {
        WhenError::Unparseable {
            input: self.shown.clone(),
        }
    }

    fn invalid_time(&self) -> WhenError {
        WhenError::InvalidTime {
            input: self.shown.clone(),
        }
    }

    fn invalid_date(&self) -> WhenError {
        WhenError::InvalidDate {
            input: self.shown.clone(),
        }
    }

    fn out_of_range(&self) -> WhenError {
        WhenError::OutOfRange {
            input: self.shown.clone(),
        }
    }

    fn missing_time(&self, example: String) -> WhenError {
        WhenError::MissingTime {
            input: self.shown.clone(),
            example,
        }
    }
}

/// Input as quoted in messages: whitespace collapsed, control characters
/// replaced (they could corrupt a terminal), and shortened if long.
fn shown(input: &str) -> String {
    let joined = input.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = joined
        .chars()
        .take(MAX_SHOWN_CHARS)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if joined.chars().nth(MAX_SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Lower-cased words; `6 pm` becomes `6pm` so both spellings share one path.
fn words(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in input.split_whitespace() {
        let word = word.to_lowercase();
        match out.last_mut() {
            Some(prev)
                if (word == "am" || word == "pm")
                    && prev.ends_with(|c: char| c.is_ascii_digit()) =>
            {
                prev.push_str(&word);
            }
            _ => out.push(word),
        }
    }
    out
}

/// Formats into a `String` without `to_string`, which panics if a `Display` impl errors.
fn render(value: impl Display) -> String {
    let mut out = String::new();
    let _ = write!(out, "{value}");
    out
}

/// `YYYY-MM-DD HH:MM`, with seconds only when present.
fn wall_clock(naive: NaiveDateTime) -> String {
    let fmt = if naive.second() == 0 {
        "%Y-%m-%d %H:%M"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    render(naive.format(fmt))
}

fn city_matches(full: &str, city: &str) -> bool {
    !city.is_empty()
        && full
            .rsplit('/')
            .next()
            .is_some_and(|last| last.eq_ignore_ascii_case(city))
}

fn weekday(word: &str) -> Option<Weekday> {
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
fn split_date(word: &str) -> Option<(&str, Option<&str>)> {
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

/// A clock-shaped word whose numbers are out of range.
struct BadClock;

/// `18:00`, `18:00:30.5`, `9am`, `9:30pm`, `noon`, `midnight`. `Ok(None)` means
/// "not a time of day at all", so callers can try other readings.
fn parse_clock(word: &str) -> Result<Option<NaiveTime>, BadClock> {
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
    let hour = match pm {
        // 12am is midnight and 12pm is noon; 0am and 13pm are nonsense.
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return Err(BadClock),
        None => hour,
    };
    NaiveTime::from_hms_nano_opt(hour, minute, second, nano)
        .map(Some)
        .ok_or(BadClock)
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

enum DurationError {
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
fn duration_body(text: &str) -> Result<Duration, DurationError> {
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
    use super::*;
    use proptest::prelude::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;
    const NEW_YORK: Tz = chrono_tz::America::New_York;
    /// Thursday; 13:00 CET in Berlin, 07:00 EST in New York.
    const THU: &str = "2026-12-03T12:00:00Z";

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    /// Variant name, so tables can state the expected error kind.
    fn kind(e: &WhenError) -> &'static str {
        match e {
            WhenError::Empty => "Empty",
            WhenError::Unparseable { .. } => "Unparseable",
            WhenError::MissingTime { .. } => "MissingTime",
            WhenError::InvalidTime { .. } => "InvalidTime",
            WhenError::InvalidDate { .. } => "InvalidDate",
            WhenError::OutOfRange { .. } => "OutOfRange",
            WhenError::DstGap { .. } => "DstGap",
            WhenError::DstOverlap { .. } => "DstOverlap",
            WhenError::InPast { .. } => "InPast",
            WhenError::UnknownZone { .. } => "UnknownZone",
            WhenError::InvalidDuration { .. } => "InvalidDuration",
            WhenError::DurationTooLong { .. } => "DurationTooLong",
        }
    }

    /// Rows of (now, zone, input, expected): an RFC 3339 instant or an error kind.
    fn check(rows: &[(&str, Tz, &str, &str)]) {
        for &(now, zone, input, want) in rows {
            let got = parse(input, utc(now), zone);
            match (&got, want.contains(':')) {
                (Ok(t), true) => assert_eq!(*t, utc(want), "{input:?} at {now} in {zone}"),
                (Err(e), false) => assert_eq!(kind(e), want, "{input:?} at {now}: {e}"),
                _ => panic!("{input:?} at {now} in {zone}: got {got:?}, want {want}"),
            }
        }
    }

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
    fn day_phrases() {
        check(&[
            (THU, BERLIN, "today 18:00", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "today at 6pm", "2026-12-03T17:00:00Z"),
            (THU, BERLIN, "today 9am", "InPast"),
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

    #[test]
    fn dst_europe_berlin() {
        // Saturday before the spring gap (02:00 -> 03:00 on Sunday 2026-03-29).
        let sat = "2026-03-28T12:00:00Z";
        // Sunday 01:30 CET, before the gap; Sunday 12:00 CEST, after it.
        let (early, late) = ("2026-03-29T00:30:00Z", "2026-03-29T10:00:00Z");
        // Saturday before the autumn overlap (03:00 -> 02:00 on Sunday 2026-10-25).
        let sat_oct = "2026-10-24T12:00:00Z";
        check(&[
            (sat, BERLIN, "tomorrow 2:30am", "DstGap"),
            (sat, BERLIN, "2026-03-29 02:30", "DstGap"),
            (sat, BERLIN, "sunday 2:30am", "DstGap"),
            (sat, BERLIN, "tomorrow 1:30am", "2026-03-29T00:30:00Z"),
            (sat, BERLIN, "tomorrow 3:30am", "2026-03-29T01:30:00Z"),
            (sat, BERLIN, "in 1d", "2026-03-29T12:00:00Z"),
            (
                sat,
                BERLIN,
                "2026-03-29T02:30:00+01:00",
                "2026-03-29T01:30:00Z",
            ),
            (early, BERLIN, "18:00", "2026-03-29T16:00:00Z"),
            (early, BERLIN, "2:30", "DstGap"),
            (late, BERLIN, "2:30", "2026-03-30T00:30:00Z"),
            (sat_oct, BERLIN, "tomorrow 2:30am", "DstOverlap"),
            (sat_oct, BERLIN, "2026-10-25 02:30", "DstOverlap"),
            (
                sat_oct,
                BERLIN,
                "2026-10-25T02:30:00+02:00",
                "2026-10-25T00:30:00Z",
            ),
            (
                sat_oct,
                BERLIN,
                "2026-10-25T02:30:00+01:00",
                "2026-10-25T01:30:00Z",
            ),
            (sat_oct, BERLIN, "tomorrow 3:30am", "2026-10-25T02:30:00Z"),
            (sat_oct, BERLIN, "tomorrow 1:30am", "2026-10-24T23:30:00Z"),
            (
                "2026-10-25T00:00:00Z",
                BERLIN,
                "18:00",
                "2026-10-25T17:00:00Z",
            ),
            // 02:45 CEST: the second 02:30 is still ahead, so postez asks.
            ("2026-10-25T00:45:00Z", BERLIN, "2:30", "DstOverlap"),
            // 11:00 CET: both 02:30s have passed, so it is tomorrow's.
            (
                "2026-10-25T10:00:00Z",
                BERLIN,
                "2:30",
                "2026-10-26T01:30:00Z",
            ),
        ]);
    }

    #[test]
    fn dst_america_new_york() {
        let sat = "2026-03-07T17:00:00Z"; // 12:00 EST, gap is Sunday 02:00-03:00
        let sat_nov = "2026-10-31T16:00:00Z"; // 12:00 EDT, overlap is Sunday 01:00-02:00
        check(&[
            (sat, NEW_YORK, "tomorrow 2:30am", "DstGap"),
            (sat, NEW_YORK, "2026-03-08 02:00", "DstGap"),
            (sat, NEW_YORK, "tomorrow 3:30am", "2026-03-08T07:30:00Z"),
            (sat, NEW_YORK, "tomorrow 1:59am", "2026-03-08T06:59:00Z"),
            (
                "2026-03-08T06:00:00Z",
                NEW_YORK,
                "18:00",
                "2026-03-08T22:00:00Z",
            ),
            (sat_nov, NEW_YORK, "tomorrow 1:30am", "DstOverlap"),
            (sat_nov, NEW_YORK, "tomorrow 2:30am", "2026-11-01T07:30:00Z"),
            (
                sat_nov,
                NEW_YORK,
                "2026-11-01T01:30:00-05:00",
                "2026-11-01T06:30:00Z",
            ),
            (
                "2026-11-01T04:00:00Z",
                NEW_YORK,
                "18:00",
                "2026-11-01T23:00:00Z",
            ),
        ]);
    }

    #[test]
    fn error_messages_and_hints() {
        let now = utc(THU);
        let err = |input: &str| parse(input, now, BERLIN).expect_err(input);
        let e = err("tomorow 9am");
        assert_eq!(
            e.to_string(),
            "`tomorow 9am` is not a time postez understands"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("try `tomorrow 9am`, `in 2h`, `18:00` or `2026-12-01 18:00`")
        );
        assert_eq!(
            err("Tomorrow").hint().as_deref(),
            Some("try `tomorrow 9am`")
        );
        assert_eq!(
            err("next fri").hint().as_deref(),
            Some("try `next fri 9am`")
        );
        let e = err("2026-12-01");
        assert_eq!(e.to_string(), "`2026-12-01` needs a time of day");
        assert_eq!(e.hint().as_deref(), Some("try `2026-12-01 18:00`"));
        let e = err("today 9am");
        assert_eq!(
            e.to_string(),
            "`today 9am` is in the past (Thu 2026-12-03 09:00 CET, 4h ago)"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("use a time after now, such as `in 10m`")
        );
        let e = parse("tomorrow 2:30am", utc("2026-03-28T12:00:00Z"), BERLIN).expect_err("gap");
        assert_eq!(
            e.to_string(),
            "2026-03-29 02:30 does not exist in Europe/Berlin: clocks jump forward at that time"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("try `2026-03-29 03:30`, one hour later")
        );
        let e = parse("2026-10-25 2:30:15am", utc("2026-10-24T12:00:00Z"), BERLIN)
            .expect_err("overlap");
        assert_eq!(
            e.to_string(),
            "2026-10-25 02:30:15 happens twice in Europe/Berlin because clocks go back; \
             add an explicit UTC offset"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some(
                "write `2026-10-25T02:30:15+02:00` (first occurrence) or \
                 `2026-10-25T02:30:15+01:00` (second occurrence)"
            )
        );
        let long = format!("{} 9am", "x".repeat(200));
        let shown_len = err(&long).to_string().chars().count();
        assert!(shown_len < 120, "long input is shortened: {shown_len}");
        assert_eq!(
            err("bad\u{1b}[2Jinput").to_string(),
            "`bad\u{fffd}[2Jinput` is not a time postez understands"
        );
        assert!(WhenError::Empty.hint().is_some());
    }

    #[test]
    fn zones() {
        for (name, want) in [
            ("Europe/Berlin", Some(BERLIN)),
            (" America/New_York ", Some(NEW_YORK)),
            ("UTC", Some(chrono_tz::UTC)),
            ("utc", Some(chrono_tz::UTC)),
            ("europe/berlin", Some(BERLIN)),
            ("Mars/Olympus", None),
            ("", None),
        ] {
            assert_eq!(parse_zone(name).ok(), want, "{name:?}");
        }
        let e = parse_zone("Europe/Berln").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "`Europe/Berln` is not a time zone postez knows"
        );
        assert!(
            e.hint()
                .is_some_and(|h| h.contains("timedatectl list-timezones"))
        );
        let e = parse_zone("new york").expect_err("city only");
        assert_eq!(
            e.hint().as_deref(),
            Some("did you mean `America/New_York`? `timedatectl list-timezones` lists all names")
        );
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

    #[test]
    fn latest_constant_is_end_of_year_9999() {
        assert_eq!(
            DateTime::from_timestamp(LATEST_TIMESTAMP, 0),
            Some(utc("9999-12-31T23:59:59Z"))
        );
    }

    /// Words the grammar reacts to, glued together at random by the proptest.
    const TOKENS: &[&str] = &[
        "0",
        "1",
        "2",
        "9",
        "12",
        "18",
        "24",
        "99",
        "2026",
        "99999",
        "999999999999",
        ":",
        ":00",
        ".",
        ",",
        "am",
        "pm",
        "in",
        "at",
        "and",
        "now",
        "noon",
        "midnight",
        "today",
        "tomorrow",
        "next",
        "fri",
        "friday",
        "mon",
        "s",
        "m",
        "h",
        "d",
        "w",
        "min",
        "hours",
        "weeks",
        "+",
        "-",
        "t",
        "T",
        "z",
        "Z",
        "utc",
        "+01:00",
        "-05:00",
        "2026-03-29",
        "2026-10-25",
        "2026-02-30",
        "02:30",
        "é",
        "\u{0}",
        " ",
    ];

    fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
        let (min, max) = (
            DateTime::<Utc>::MIN_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp(),
        );
        prop_oneof![
            // Mostly realistic clocks, plus the whole representable range.
            3 => 0i64..4_102_444_800,
            1 => min..=max,
        ]
        .prop_filter_map("in range", |s| DateTime::from_timestamp(s, 0))
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(&chrono_tz::TZ_VARIANTS[..])
    }

    fn grammar_soup() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(prop::sample::select(TOKENS), 0..8),
            any::<bool>(),
        )
            .prop_map(|(tokens, spaced)| tokens.join(if spaced { " " } else { "" }))
    }

    /// Calls every entry point; the property is that none panics and that any
    /// accepted phrase other than `now` lands in `now..=year 9999`.
    fn exercise(input: &str, now: DateTime<Utc>, zone: Tz) {
        if let Ok(t) = parse(input, now, zone) {
            assert!(t >= now, "{input:?} resolved before now");
            assert!(input.trim().eq_ignore_ascii_case("now") || t.timestamp() <= LATEST_TIMESTAMP);
            let _ = describe(t, zone, now);
        }
        if let Err(e) = parse(input, now, zone) {
            let _ = (e.to_string(), e.hint());
        }
        let _ = parse_duration(input).map(human_duration);
        let _ = parse_zone(input).map_err(|e| e.hint());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        #[test]
        fn arbitrary_text_never_panics(input in ".{0,40}", now in any_now(), zone in any_zone()) {
            exercise(&input, now, zone);
        }

        #[test]
        fn grammar_soup_never_panics(input in grammar_soup(), now in any_now(), zone in any_zone()) {
            exercise(&input, now, zone);
        }

        #[test]
        fn relative_minutes_are_exact(n in 0i64..1_000_000, now in any_now()) {
            let want = now.checked_add_signed(Duration::minutes(n));
            let got = parse(&format!("in {n}m"), now, chrono_tz::UTC).ok();
            if want.is_some_and(|w| w.timestamp() <= LATEST_TIMESTAMP) {
                prop_assert_eq!(got, want);
            }
        }
    }
}
