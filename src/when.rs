//! Publish times for postez: this module owns parsing the `--at` time phrases
//! (`tomorrow 9am`, `in 2h`, `18:00`, `2026-12-01 18:00`, RFC 3339, ...) against an
//! injected "now" and IANA zone, plus zone names, durations (`--timeout`,
//! `--interval`, `late_limit`) and the human-readable rendering of instants.
//! It never reads the clock or the environment itself and never prints: callers
//! pass `now` and the zone in, so every answer is reproducible and testable.
//! Input is untrusted user text, so every failure is a [`WhenError`], never a panic.
//!
//! This file holds the entry points, [`WhenError`] and the dispatch on a phrase's shape; the
//! grammar pieces live beside it: `absolute` (dates, clock times, UTC offsets), `day`
//! (`today`, `tomorrow`, weekdays, and which day a bare time of day means), `duration`
//! (`2h30m`, also behind `in 2h` and `+90m`) and `zone` (zone names, and wall-clock times
//! to instants across DST changes). `display` renders instants and durations for people.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

mod absolute;
mod day;
mod display;
mod duration;
mod zone;

pub use display::{describe, human_duration, relative};
pub use zone::parse_zone;

use absolute::{BadClock, parse_clock, split_date};
use day::weekday;
use duration::{DurationError, duration_body};

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
    #[error("`{input}` is not a time of day: {detail}")]
    InvalidTime {
        /// The input as typed.
        input: String,
        /// Which number is out of range: "hour 25 is out of range (0-23)".
        detail: String,
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

/// Parsing context: the input in its two shapes plus the injected clock and zone.
struct Cx {
    /// The input as quoted back in messages.
    shown: String,
    /// Lower-cased words, with a detached `am`/`pm` glued to the preceding number.
    words: Vec<String>,
    now: DateTime<Utc>,
    zone: Tz,
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
            ["yesterday" | "today" | "tomorrow", ..] => self.day_phrase(&words),
            ["at", time] => {
                let time = self.clock(time)?;
                self.upcoming(self.today()?, time, 1)
            }
            [word] => match parse_clock(word) {
                Ok(Some(time)) => self.upcoming(self.today()?, time, 1),
                Ok(None) => self.after(word),
                Err(BadClock(detail)) => Err(self.invalid_time(detail)),
            },
            _ => self.after(&self.words.join(" ")),
        }
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
            Err(BadClock(detail)) => Err(self.invalid_time(detail)),
        }
    }

    fn unparseable(&self) -> WhenError {
        WhenError::Unparseable {
            input: self.shown.clone(),
        }
    }

    fn invalid_time(&self, detail: String) -> WhenError {
        WhenError::InvalidTime {
            input: self.shown.clone(),
            detail,
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // `check`, `utc`, `kind` and these constants are shared with the grammar pieces' tests.
    pub(super) const BERLIN: Tz = chrono_tz::Europe::Berlin;
    pub(super) const NEW_YORK: Tz = chrono_tz::America::New_York;
    /// Thursday; 13:00 CET in Berlin, 07:00 EST in New York.
    pub(super) const THU: &str = "2026-12-03T12:00:00Z";

    pub(super) fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    /// Variant name, so tables can state the expected error kind.
    pub(super) fn kind(e: &WhenError) -> &'static str {
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
    pub(super) fn check(rows: &[(&str, Tz, &str, &str)]) {
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
        // An impossible clock says which number is wrong (issue 10).
        for (input, message) in [
            (
                "yesterday 25:99",
                "`yesterday 25:99` is not a time of day: hour 25 and minute 99 are out of range \
                 (hours 0-23, minutes 0-59)",
            ),
            (
                "25:00",
                "`25:00` is not a time of day: hour 25 is out of range (hours 0-23)",
            ),
            (
                "friday 9:75",
                "`friday 9:75` is not a time of day: minute 75 is out of range (minutes 0-59)",
            ),
            (
                "tomorrow 13pm",
                "`tomorrow 13pm` is not a time of day: hour 13 is out of range (hours 1-12 with \
                 am/pm)",
            ),
        ] {
            assert_eq!(err(input).to_string(), message);
        }
        let e = err("yesterday 18:00");
        assert!(matches!(e, WhenError::InPast { .. }), "{e}");
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
