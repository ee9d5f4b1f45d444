//! Holds on an account's posts: a platform quota holds the posts it concerns until its window
//! has passed, and a ban pauses the account until the user connects it again. A hold is saved
//! once for the account and stamped on each post it concerns (reason in `last_error`, end in
//! `next_attempt_at`), so `list`/`show` explain every held post, `due`/claim skip them with the
//! indexes they already use, and `fail_missed` never counts a held post as missed.

use super::db::{DbResult, OptionalExtension, TransactionBehavior, params};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::post::{Mode, PostId};

use super::{Store, db_err, db_time, insert_event};

/// Which of an account's posts a hold concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    /// Direct posts only (TikTok's posts-per-day and active-creator caps).
    Direct,
    /// Drafts only (TikTok's five pending inbox drafts a day).
    Draft,
    /// Every post (a paused account).
    All,
}

impl AppliesTo {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Draft => "draft",
            Self::All => "all",
        }
    }

    /// The hold that concerns posts of `mode` only.
    pub fn mode(mode: Mode) -> Self {
        match mode {
            Mode::Direct => Self::Direct,
            Mode::Draft => Self::Draft,
        }
    }
}

/// A hold on some of an account's posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    /// Which posts.
    pub applies_to: AppliesTo,
    /// When it ends by itself; `None` for a pause, which ends when the user connects again.
    pub until: Option<DateTime<Utc>>,
    /// The platform's error code that caused it.
    pub code: String,
    /// One sentence: why.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
    /// Since when.
    pub since: DateTime<Utc>,
}

impl Hold {
    /// Whether it still holds at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|t| t > now)
    }

    /// Whether it concerns posts of `mode`.
    pub fn covers(&self, mode: Mode) -> bool {
        self.applies_to == AppliesTo::All || self.applies_to == AppliesTo::mode(mode)
    }

    /// A pause: only the user lifts it.
    pub fn is_pause(&self) -> bool {
        self.until.is_none()
    }
}

/// The active pause of the account, as an SQL condition on `posts` (for claims and misses).
pub(super) const NOT_PAUSED: &str = "NOT EXISTS (SELECT 1 FROM account_holds h \
     WHERE h.account_id = posts.account_id AND h.until IS NULL)";

impl Store {
    /// Save `hold` for the account (replacing one for the same posts) and stamp it on every
    /// queued post of the account it concerns that has not started uploading (a quota: those
    /// due before it ends; a pause: all). Returns the stamped posts.
    pub fn hold_account(
        &mut self,
        account_id: i64,
        hold: &Hold,
        now: DateTime<Utc>,
    ) -> Result<Vec<PostId>> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        tx.execute(
            "INSERT INTO account_holds (account_id, applies_to, until, code, message, \
             hint, since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (account_id, applies_to) DO UPDATE SET until = excluded.until, \
             code = excluded.code, message = excluded.message, hint = excluded.hint, \
             since = excluded.since",
            params![
                account_id,
                hold.applies_to.as_str(),
                hold.until.map(db_time),
                hold.code,
                hold.message,
                hold.hint,
                db_time(hold.since),
            ],
        )
        .map_err(map)?;
        let mode = match hold.applies_to {
            AppliesTo::All => None,
            other => Some(other.as_str()),
        };
        let ids: Vec<PostId> = {
            let mut stmt = match hold.until {
                // A quota: posts that would come due inside the window wait for its end. One
                // whose upload TikTok accepted already passed the quota, so it goes on.
                Some(_) => tx.prepare(
                    "UPDATE posts SET next_attempt_at = ?2, last_error = ?3, \
                     last_error_code = ?4, last_error_hint = ?5, updated_at = ?6 \
                     WHERE account_id = ?1 AND state = 'scheduled' AND checkpoint IS NULL \
                     AND (CAST(?7 AS TEXT) IS NULL OR mode = ?7) AND due_at < ?2 \
                     AND (next_attempt_at IS NULL OR next_attempt_at < ?2) RETURNING id",
                ),
                // A pause: every queued post says why it waits; an upload TikTok has in full
                // is only ever polled, so it stays as it is.
                None => tx.prepare(
                    "UPDATE posts SET last_error = ?3, last_error_code = ?4, \
                     last_error_hint = ?5, updated_at = ?6 \
                     WHERE account_id = ?1 AND state = 'scheduled' AND upload_complete = 0 \
                     AND (CAST(?7 AS TEXT) IS NULL OR mode = ?7) \
                     RETURNING id",
                ),
            }
            .map_err(map)?;
            let rows = stmt
                .query_map(
                    params![
                        account_id,
                        hold.until.map(db_time),
                        hold.message,
                        hold.code,
                        hold.hint,
                        db_time(now),
                        mode,
                    ],
                    |r| r.get(0),
                )
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        let detail = serde_json::json!({
            "code": hold.code,
            "message": hold.message,
            "until": hold.until.map(db_time),
        });
        for id in &ids {
            insert_event(&tx, *id, now, "held", &detail).map_err(map)?;
        }
        tx.commit().map_err(map)?;
        Ok(ids)
    }

    /// The account's holds still in force at `now`.
    pub fn holds(&self, account_id: i64, now: DateTime<Utc>) -> Result<Vec<Hold>> {
        Ok(self
            .account(account_id)?
            .map(|a| a.holds)
            .unwrap_or_default()
            .into_iter()
            .filter(|h| h.active(now))
            .collect())
    }

    /// Forget holds whose window has passed (their posts carry their own `next_attempt_at`).
    pub fn drop_expired_holds(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM account_holds WHERE until IS NOT NULL AND until <= ?1",
                [db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Due posts of paused accounts, which `claim_due` leaves alone: `(account id, posts)`.
    pub fn paused_due(&self, now: DateTime<Utc>) -> Result<Vec<(i64, Vec<PostId>)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.account_id, p.id FROM account_holds h JOIN posts p \
                 ON p.account_id = h.account_id WHERE h.until IS NULL \
                 AND p.state IN ('scheduled', 'uploaded') AND p.due_at <= ?1 \
                 AND (p.next_attempt_at IS NULL OR p.next_attempt_at <= ?1) \
                 ORDER BY p.account_id, p.scheduled_at, p.id",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([db_time(now)], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))
            .map_err(self.err())?;
        let mut out: Vec<(i64, Vec<PostId>)> = Vec::new();
        for row in rows {
            let (account, id) = row.map_err(self.err())?;
            match out.last_mut() {
                Some((a, ids)) if *a == account => ids.push(id),
                _ => out.push((account, vec![id])),
            }
        }
        Ok(out)
    }

    /// Lift the account's pause (the user connected it again): its posts that waited for it
    /// lose the reason and count as due from `now` (the queue's clock), so a late limit does
    /// not fail them as missed for the time they were held. Returns how many posts waited, or
    /// `None` when the account was not paused.
    pub fn lift_pause(&mut self, account_id: i64, now: DateTime<Utc>) -> Result<Option<usize>> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let code: Option<String> = tx
            .query_row(
                "DELETE FROM account_holds WHERE account_id = ?1 AND until IS NULL RETURNING code",
                [account_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(map)?;
        let Some(code) = code else {
            return Ok(None);
        };
        let stamp = db_time(now);
        let ids: Vec<PostId> = {
            let mut stmt = tx
                // Those stamped by the pause, and those that came due while it lasted.
                .prepare(
                    "UPDATE posts SET \
                     last_error = CASE WHEN last_error_code = ?2 THEN NULL ELSE last_error END, \
                     last_error_hint = CASE WHEN last_error_code = ?2 THEN NULL \
                     ELSE last_error_hint END, \
                     last_error_code = CASE WHEN last_error_code = ?2 THEN NULL \
                     ELSE last_error_code END, \
                     next_attempt_at = MAX(COALESCE(next_attempt_at, ?3), ?3), updated_at = ?3 \
                     WHERE account_id = ?1 AND state = 'scheduled' \
                     AND (last_error_code = ?2 OR due_at <= ?3) RETURNING id",
                )
                .map_err(map)?;
            let rows = stmt
                .query_map(params![account_id, code, stamp], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &ids {
            insert_event(&tx, *id, now, "resumed", &serde_json::json!({})).map_err(map)?;
        }
        tx.commit().map_err(map)?;
        Ok(Some(ids.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AccountProfile;
    use crate::store::tests::{now, sample_post};

    fn account(store: &mut Store) -> i64 {
        let profile = AccountProfile {
            platform: crate::provider::Platform::TikTok,
            remote_id: "open-1".into(),
            token_store: "file".into(),
            access_expires_at: now(),
            refresh_expires_at: Some(now()),
            ..AccountProfile::default()
        };
        store.upsert_account(&profile, now()).unwrap().id
    }

    fn hold(applies_to: AppliesTo, until: Option<DateTime<Utc>>) -> Hold {
        Hold {
            applies_to,
            until,
            code: "spam_risk_too_many_pending_share".into(),
            message: "five drafts wait".into(),
            hint: Some("finish them".into()),
            since: now(),
        }
    }

    #[test]
    fn a_quota_holds_the_posts_it_concerns_until_its_end() {
        let mut store = Store::open_in_memory().unwrap();
        let acc = account(&mut store);
        let mut draft = sample_post(now());
        draft.account_id = Some(acc);
        let o = draft.options.tiktok_mut().unwrap();
        o.mode = Mode::Draft;
        o.privacy = None;
        let mut direct = draft.clone();
        direct.options.tiktok_mut().unwrap().mode = Mode::Direct;
        let mut late_draft = draft.clone();
        late_draft.scheduled_at = now() + chrono::Duration::hours(30);
        let ids = store
            .insert_posts(&[draft, direct, late_draft], now())
            .unwrap();
        let until = now() + chrono::Duration::hours(24);
        let held = store
            .hold_account(acc, &hold(AppliesTo::Draft, Some(until)), now())
            .unwrap();
        assert_eq!(held, [ids[0]]);
        let p = store.post(ids[0]).unwrap();
        assert_eq!(p.next_attempt_at, Some(until));
        assert_eq!(p.attempts, 0);
        assert_eq!(p.last_error.as_deref(), Some("five drafts wait"));
        // Inside the window only the direct post is due; after it, the draft too.
        assert_eq!(store.due(now()).unwrap(), [ids[1]]);
        assert!(
            store
                .fail_missed(until, chrono::Duration::hours(1))
                .unwrap()
                == [ids[1]]
        );
        assert_eq!(store.due(until).unwrap(), [ids[0]]);
        assert_eq!(store.holds(acc, now()).unwrap().len(), 1);
        assert!(store.holds(acc, until).unwrap().is_empty());
    }

    #[test]
    fn a_pause_keeps_posts_from_claims_and_misses_until_lifted() {
        let mut store = Store::open_in_memory().unwrap();
        let acc = account(&mut store);
        let mut post = sample_post(now());
        post.account_id = Some(acc);
        let ids = store.insert_posts(&[post], now()).unwrap();
        let mut pause = hold(AppliesTo::All, None);
        pause.code = "spam_risk_user_banned_from_posting".into();
        store.hold_account(acc, &pause, now()).unwrap();
        let later = now() + chrono::Duration::days(3);
        assert!(store.due(later).unwrap().is_empty());
        assert!(store.claim_due(later, 1).unwrap().is_empty());
        assert!(
            store
                .fail_missed(later, chrono::Duration::hours(1))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.paused_due(later).unwrap(), [(acc, ids.clone())]);
        // Connecting again lifts it; the post is due from then on, not missed.
        assert_eq!(store.lift_pause(acc, later).unwrap(), Some(1));
        assert_eq!(store.lift_pause(acc, later).unwrap(), None);
        assert!(store.holds(acc, later).unwrap().is_empty());
        assert!(
            store
                .fail_missed(later, chrono::Duration::hours(1))
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.due(later).unwrap(), ids);
        assert_eq!(store.post(ids[0]).unwrap().last_error, None);
    }
}
