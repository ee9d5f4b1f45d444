//! Time zones: IANA zone names as typed (any ASCII case, or just the city to get a
//! suggestion), and turning a wall-clock time in the zone into an instant. Daylight-saving
//! changes are refused rather than guessed: a time the clocks skip is a [`WhenError::DstGap`],
//! one they show twice a [`WhenError::DstOverlap`].

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::display::{render, wall_clock};
use super::{Cx, WhenError, shown};

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

impl Cx {
    /// Wall-clock time in `zone` to an instant, refusing DST gaps and overlaps.
    pub(super) fn resolve(&self, naive: NaiveDateTime) -> Result<DateTime<Utc>, WhenError> {
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
    pub(super) fn local_now(&self) -> Result<NaiveDateTime, WhenError> {
        let utc = self.now.naive_utc();
        let offset = self.zone.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_offset(offset)
            .ok_or_else(|| self.out_of_range())
    }
}

fn city_matches(full: &str, city: &str) -> bool {
    !city.is_empty()
        && full
            .rsplit('/')
            .next()
            .is_some_and(|last| last.eq_ignore_ascii_case(city))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::tests::{BERLIN, NEW_YORK, check};

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
}
