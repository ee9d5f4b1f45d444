//! The Google project's daily upload allowance, as postez counts it before anything is sent.
//! §5.1: a project gets "100 videos.insert calls … per day" in their own bucket, and "daily
//! quotas reset at midnight Pacific Time". Every YouTube account postez has shares the user's
//! one Google project, so the YouTube posts queued for a Pacific-time day are counted together,
//! whatever their channel. `schedule` and `import` warn with [`warnings`] (a warning, not a
//! refusal: the posts past the allowance are held at their first `quotaExceeded` until the
//! reset); `doctor` shows [`UploadDay::of`] today's count.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::Los_Angeles;

use super::SEAM_PLATFORM;
use crate::config::Config;
use crate::env::Env;
use crate::error::Result;
use crate::store::Store;

/// A Pacific-time day: the span one day's upload allowance covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadDay {
    /// The date in America/Los_Angeles.
    pub date: NaiveDate,
    /// Its first instant (midnight PT, DST-aware).
    pub start: DateTime<Utc>,
    /// The next day's first instant.
    pub end: DateTime<Utc>,
}

impl UploadDay {
    /// The Pacific-time day `at` falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        let date = at.with_timezone(&Los_Angeles).date_naive();
        // Midnight always exists in Los Angeles (clocks change at 2 a.m.); `earliest` still
        // answers should a rule ever move the change to midnight.
        let start = Los_Angeles
            .from_local_datetime(&date.and_time(NaiveTime::MIN))
            .earliest()
            .map_or(at, |t| t.with_timezone(&Utc));
        Self {
            date,
            start,
            end: super::codes::next_pacific_midnight(at),
        }
    }

    /// How many YouTube uploads the queue makes this day (seen at `now`), on every channel:
    /// counted by the day the upload starts (`due_at`: an upload ahead's is when it was
    /// queued), not the day it goes public.
    pub fn queued(&self, store: &Store, now: DateTime<Utc>) -> Result<usize> {
        store.count_queued(SEAM_PLATFORM, self.start, self.end, now)
    }

    /// The date as people read it, with its zone ("Tuesday 1 December 2026, Pacific time").
    pub fn describe(&self) -> String {
        format!("{}, Pacific time", self.date.format("%A %-d %B %Y"))
    }
}

/// A warning for each Pacific-time day among `times` (when the posts just queued are
/// uploaded: their `due_at`) that now has more YouTube uploads queued than the project's
/// allowance (`youtube_daily_uploads`).
pub fn warnings(
    store: &Store,
    config: &Config,
    times: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let allowance = config.youtube_daily_uploads() as usize;
    let mut days: Vec<UploadDay> = times.iter().map(|t| UploadDay::of((*t).max(now))).collect();
    days.sort_by_key(|d| d.date);
    days.dedup();
    let mut out = Vec::new();
    for day in days {
        let queued = day.queued(store, now)?;
        if queued > allowance {
            out.push(format!(
                "{queued} YouTube uploads are queued for {}, and your Google project may make {allowance} a day (youtube_daily_uploads): the {} past the allowance will wait for the next day, when the quota resets at midnight Pacific time",
                day.describe(),
                queued - allowance
            ));
        }
    }
    Ok(out)
}

/// `doctor`'s YouTube quota line ([`doctor`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One sentence: the client in use, today's queued uploads against the allowance, holds.
    pub message: String,
    /// Something needs attention (a hold, or today past the allowance).
    pub warn: bool,
    /// What to do about it.
    pub fix: Option<String>,
}

/// The client in use (its id is public: it is in every authorize URL), any hold on a
/// channel's posts, and how many uploads are queued for today (Pacific time) against the
/// allowance.
pub fn doctor(env: &Env, config: &Config, store: &Store, now: DateTime<Utc>) -> Result<Report> {
    let client = match (&env.youtube_client_id, &config.youtube_client_id) {
        (Some(id), _) => format!("client {id} (POSTEZ_YOUTUBE_CLIENT_ID)"),
        (None, Some(id)) => format!("client {id} (setting youtube_client_id)"),
        (None, None) => "no client id".to_string(),
    };
    let allowance = config.youtube_daily_uploads() as usize;
    let today = UploadDay::of(now);
    let queued = today.queued(store, now)?;
    let mut parts = vec![
        client,
        format!(
            "{queued} of {allowance} uploads a day queued for today ({})",
            today.describe()
        ),
    ];
    let mut fixes = Vec::new();
    let mut held = false;
    for account in store.accounts()? {
        if account.platform != SEAM_PLATFORM {
            continue;
        }
        for hold in store.holds(account.id, now)? {
            held = true;
            let until = hold.until.map_or_else(
                || "until it is connected again".to_string(),
                |t| format!("until {}", crate::store::db_time(t)),
            );
            parts.push(format!(
                "{}'s posts held {until}: {}",
                account.name(),
                hold.message
            ));
            if let Some(hint) = hold.hint {
                fixes.push(hint);
            }
        }
    }
    if !held {
        parts.push("no quota hold".into());
    }
    let over = queued > allowance;
    if over {
        fixes.push(format!(
            "move {} of today's posts to another day (`postez edit ID --at …`), or set youtube_daily_uploads if Google granted your project more",
            queued - allowance
        ));
    }
    Ok(Report {
        message: parts.join("; "),
        warn: held || over,
        fix: (!fixes.is_empty()).then(|| fixes.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_pacific_time_with_dst() {
        // Winter (PST, UTC−8).
        let day = UploadDay::of(utc("2026-01-15T07:59:00Z"));
        assert_eq!(day.date.to_string(), "2026-01-14");
        assert_eq!(day.start, utc("2026-01-14T08:00:00Z"));
        assert_eq!(day.end, utc("2026-01-15T08:00:00Z"));
        // Summer (PDT, UTC−7).
        let day = UploadDay::of(utc("2026-07-01T07:00:00Z"));
        assert_eq!(day.start, utc("2026-07-01T07:00:00Z"));
        assert_eq!(day.end, utc("2026-07-02T07:00:00Z"));
        // The day clocks spring forward (8 March 2026) is 23 hours long.
        let day = UploadDay::of(utc("2026-03-08T12:00:00Z"));
        assert_eq!(day.end - day.start, chrono::Duration::hours(23));
        assert_eq!(
            UploadDay::of(utc("2026-12-01T20:00:00Z")).describe(),
            "Tuesday 1 December 2026, Pacific time"
        );
    }
}
