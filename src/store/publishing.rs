//! The queue as `run` uses it: failing missed posts, finding and claiming due ones, saving an
//! upload's state before and during it, its events, and settling how an attempt ended.

use super::db::{DbError, DbResult, OptionalExtension, TransactionBehavior, Tx, params};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::post::PostId;
use crate::provider::{Checkpoint, Notice, Platform};

use super::holds::NOT_PAUSED;
use super::transitions::{CLAIM, FAIL, HOLD, MISS, PUBLISH, REQUEUE, SEND};
use super::{Store, db_err, db_time, insert_event};

/// Where an upload stands, as saved before and during it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadState {
    /// The platform's handle on the upload, once one was started.
    pub checkpoint: Option<Checkpoint>,
    /// Chunks the platform acknowledged.
    pub chunks_done: u64,
    /// The last chunk was acknowledged: only the status remains to learn.
    pub upload_complete: bool,
}

/// How a publishing attempt ended, for [`Store::settle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// Live: `published`, with the public post id if TikTok gave one.
    Published(Option<String>),
    /// Live, but not as asked: `published`, with the platform's note kept in the post's
    /// `last_error*` columns (a published post has no error) for `list` and `show`.
    PublishedNoted {
        /// The public post id.
        post_id: Option<String>,
        /// What changed and why.
        note: Notice,
    },
    /// On the platform, which makes it public at `at` by itself: `uploaded`, due again (for
    /// the confirming run) at `at`.
    Uploaded {
        /// The platform's id of the post (for `show` and the confirming run).
        post_id: String,
        /// When the platform makes it public.
        at: DateTime<Utc>,
        /// Why it is still not public when its time has passed (the confirming run found it
        /// held still): shown by `show`, and a later run asks again.
        late: Option<String>,
        /// Not asked again before then (a late post is asked less and less often); `None`
        /// makes it due at `at`.
        next_check: Option<DateTime<Utc>>,
    },
    /// In the creator's inbox: `sent_to_inbox`.
    SentToInbox,
    /// Gave up: `failed`.
    Failed {
        /// Platform or postez error code.
        code: Option<String>,
        /// One sentence.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// Temporary trouble: back to `scheduled` (to `uploaded` for a post the platform holds)
    /// with one more attempt counted.
    RetryAt {
        /// Earliest next try.
        at: DateTime<Utc>,
        /// Why.
        message: String,
        /// Whether the saved upload must be dropped (a new init is needed).
        reset_upload: bool,
    },
    /// Not attempted (no usable login, creator blocked, interrupted before init): back to
    /// `scheduled` (to `uploaded` for a post the platform holds) as it was, without counting
    /// an attempt.
    Release {
        /// Why.
        message: String,
    },
    /// Held for the account's sake (a quota, a pause, refused app credentials, a login to
    /// renew): back to `scheduled` (to `uploaded` for a post the platform holds, unless its
    /// upload is dropped) without counting an attempt, with the reason for
    /// `list`/`show`, and not before `until` when it is given.
    Hold {
        /// Earliest next try (a quota's end); `None` keeps the post due.
        until: Option<DateTime<Utc>>,
        /// Platform error code.
        code: Option<String>,
        /// Why.
        message: String,
        /// What to do.
        hint: Option<String>,
        /// Whether the saved upload must be dropped (TikTok failed it).
        reset_upload: bool,
    },
}

/// Once a post is settled its upload address is of no use, and it carries a signature: it is
/// dropped, the platform's id for the publish kept (for `show` and support requests).
const FORGET_URL: &str = "checkpoint = json_remove(checkpoint, '$.upload_url')";

/// [`FORGET_URL`] for a post that ends without a confirmed publish (failed, missed,
/// cancelled), except on platforms that may hold the whole upload unconfirmed
/// ([`crate::provider::Rules::upload_may_exist_before_confirmed`]): there the address is how the next run
/// asks whether the video already exists, so a retry does not upload it again.
pub(super) fn forget_url_sql() -> String {
    let keep: Vec<String> = Platform::ALL
        .iter()
        .filter(|p| p.rules().upload_may_exist_before_confirmed())
        .map(|p| format!("'{}'", p.as_str()))
        .collect();
    if keep.is_empty() {
        return FORGET_URL.into();
    }
    format!(
        "checkpoint = CASE WHEN platform IN ({}) THEN checkpoint \
         ELSE json_remove(checkpoint, '$.upload_url') END",
        keep.join(", ")
    )
}

/// Forget a post's upload (TikTok failed it, so a new one starts next time).
fn reset(tx: &Tx<'_>, id: PostId) -> DbResult<()> {
    tx.execute(
        "UPDATE posts SET checkpoint = NULL, chunks_done = 0, upload_complete = 0 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

/// The claim: every due post (`due_at`: an upload ahead is due when queued, its confirmation at
/// its time), except those of a paused account (they wait for the user).
fn claim_sql() -> String {
    format!(
        "UPDATE posts SET {}, phase = 'claimed', claimed_by = ?2, \
         claimed_at = ?1, updated_at = ?1 WHERE {} \
         AND due_at <= ?1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
         AND {NOT_PAUSED} RETURNING id",
        CLAIM.set(),
        CLAIM.guard()
    )
}

impl Store {
    /// Fail (reason `missed`) scheduled posts whose time passed more than `late_limit` ago, so
    /// a runner that was down for days does not publish stale posts. Returns their ids.
    pub fn fail_missed(
        &mut self,
        now: DateTime<Utc>,
        late_limit: chrono::Duration,
    ) -> Result<Vec<PostId>> {
        let cutoff = db_time(now - late_limit);
        // `scheduled_at < cutoff` follows from the MAX(…) test but, unlike it, lets SQLite
        // range-scan `posts_due`: without it every run read every queued post (issue 6).
        // A post whose whole upload TikTok holds is never "missed": TikTok publishes it
        // whatever postez does, and the `retry` a miss invites would upload it a second time.
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let ids: Vec<PostId> = {
            let mut stmt = tx
                .prepare(&format!(
                    "UPDATE posts SET {}, phase = NULL, {}, last_error_code = 'missed', \
                     last_error = 'its time passed while no run was publishing', \
                     last_error_hint = 'queue it again with `postez retry ' || id || '`', \
                     updated_at = ?2 WHERE {} AND scheduled_at < ?1 \
                     AND MAX(scheduled_at, COALESCE(next_attempt_at, scheduled_at)) < ?1 \
                     AND upload_complete = 0 AND {NOT_PAUSED} RETURNING id",
                    MISS.set(),
                    forget_url_sql(),
                    MISS.guard()
                ))
                .map_err(map)?;
            let rows = stmt
                .query_map(params![cutoff, db_time(now)], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &ids {
            insert_event(&tx, *id, now, "missed", &serde_json::json!({})).map_err(map)?;
        }
        tx.commit().map_err(map)?;
        Ok(ids)
    }

    /// Posts left `publishing` by a run that died (call with the run lock held).
    pub fn orphans(&self) -> Result<Vec<PostId>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id FROM posts WHERE state = 'publishing' ORDER BY scheduled_at, id",
            )
            .map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Due posts, without claiming them (`--dry-run`): the ones [`Store::claim_due`] would
    /// claim, confirmations of posts the platform holds included.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<PostId>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT id FROM posts WHERE {} AND due_at <= ?1 \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) AND {NOT_PAUSED} \
                 ORDER BY due_at, id",
                CLAIM.guard()
            ))
            .map_err(self.err())?;
        let rows = stmt
            .query_map([db_time(now)], |r| r.get(0))
            .map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Atomically move every due post to `publishing` and return them.
    pub fn claim_due(&mut self, now: DateTime<Utc>, run: i64) -> Result<Vec<PostId>> {
        let map = db_err(&self.path);
        let stamp = db_time(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let ids: Vec<PostId> = {
            let mut stmt = tx.prepare(&claim_sql()).map_err(map)?;
            // On the shared queue a claim is this runner's (its fence); here, the run's.
            let owner = if self.is_shared() {
                super::runner_id().to_owned()
            } else {
                run.to_string()
            };
            let rows = stmt
                .query_map(params![stamp, owner], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &ids {
            insert_event(&tx, *id, now, "claimed", &serde_json::json!({ "run": run }))
                .map_err(map)?;
        }
        tx.commit().map_err(map)?;
        let mut ids = ids;
        ids.sort_unstable();
        Ok(ids)
    }

    /// The saved upload of a post.
    pub fn upload_state(&self, id: PostId) -> Result<UploadState> {
        self.conn
            .query_row(
                "SELECT checkpoint, chunks_done, upload_complete FROM posts WHERE id = ?1",
                [id],
                |r| {
                    let checkpoint: Option<String> = r.get(0)?;
                    let checkpoint = checkpoint
                        .map(|c| serde_json::from_str::<Checkpoint>(&c))
                        .transpose()
                        .map_err(|e| DbError::conversion(0, e.to_string()))?;
                    Ok(UploadState {
                        checkpoint,
                        chunks_done: r.get(1)?,
                        upload_complete: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(self.err())?
            .ok_or(Error::NoSuchPost { id })
    }

    /// Save a fresh upload's checkpoint: this commit happens before the first byte is sent.
    pub fn save_init(
        &mut self,
        id: PostId,
        checkpoint: &Checkpoint,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        tx.execute(
            "UPDATE posts SET phase = 'uploading', checkpoint = ?2, chunks_done = 0, \
             upload_complete = 0, updated_at = ?3 WHERE id = ?1 AND state = 'publishing'",
            params![
                id,
                serde_json::to_string(checkpoint).map_err(|e| Error::Io(e.into()))?,
                db_time(now)
            ],
        )
        .map_err(map)?;
        insert_event(
            &tx,
            id,
            now,
            "init",
            &serde_json::json!({ "publish_id": checkpoint.id }),
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// Record acknowledged chunks (and, with `complete`, that the whole file is in).
    pub fn save_progress(
        &mut self,
        id: PostId,
        chunks_done: u64,
        complete: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        tx.execute(
            "UPDATE posts SET chunks_done = ?2, upload_complete = ?3, phase = ?5, \
             updated_at = ?4 WHERE id = ?1",
            params![
                id,
                chunks_done,
                complete,
                db_time(now),
                if complete { "processing" } else { "uploading" }
            ],
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// Append a history entry.
    pub fn add_event(
        &mut self,
        id: PostId,
        kind: &str,
        detail: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        insert_event(&self.conn, id, now, kind, detail).map_err(self.err())
    }

    /// Upload a post ahead no more (its time is too close for the platform to hold it): it is
    /// uploaded the normal way, now.
    pub fn upload_now(&mut self, id: PostId, now: DateTime<Utc>) -> Result<()> {
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        tx.execute(
            "UPDATE posts SET due_at = scheduled_at, updated_at = ?2 WHERE id = ?1",
            params![id, db_time(now)],
        )
        .map_err(map)?;
        insert_event(
            &tx,
            id,
            now,
            "upload_ahead_dropped",
            &serde_json::json!({ "reason": "too close to its time" }),
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// Record the platform's id of a post being published whose upload the platform has in
    /// full (an upload ahead): from then on the post counts as on the platform.
    pub fn save_post_id(&mut self, id: PostId, post_id: &str, now: DateTime<Utc>) -> Result<()> {
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        tx.execute(
            "UPDATE posts SET post_id = ?2, updated_at = ?3 WHERE id = ?1 \
             AND state = 'publishing' AND upload_complete = 1",
            params![id, post_id, db_time(now)],
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// Drop a post's upload address once its platform gave a final verdict on the upload (it
    /// failed it): there is nothing left to ask about, so a retry uploads anew. The platform's
    /// id for it stays, for `show` and support requests; the upload no longer counts as
    /// complete, so a post the platform held and then deleted or rejected is not taken for one
    /// it still holds (which `retry` would only ask about again).
    pub fn forget_upload(&mut self, id: PostId) -> Result<()> {
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        tx.execute(
            &format!("UPDATE posts SET {FORGET_URL}, upload_complete = 0 WHERE id = ?1"),
            [id],
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// End a publishing attempt (see [`Settle`]). Only touches posts still `publishing`.
    pub fn settle(&mut self, id: PostId, how: &Settle, now: DateTime<Utc>) -> Result<()> {
        let stamp = db_time(now);
        let map = db_err(&self.path);
        let tx = self.fenced(id)?;
        // A post the platform holds until its time, claimed to be confirmed, goes back to
        // `uploaded` when the run leaves it (a login to renew, a hold, an interruption), not to
        // `scheduled`: it is still on the platform. Unless its upload is dropped (the platform
        // failed it), which starts a new one.
        let on_platform: bool = tx
            .query_row(
                "SELECT post_id IS NOT NULL AND upload_complete = 1 FROM posts WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(map)?
            .unwrap_or(false);
        let back = |reset: bool| if on_platform && !reset { HOLD } else { REQUEUE };
        let (kind, detail) = match how {
            Settle::Published(post_id) => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, post_id = ?2, \
                         {FORGET_URL}, last_error = NULL, last_error_code = NULL, \
                         last_error_hint = NULL, updated_at = ?3 WHERE id = ?1 AND {}",
                        PUBLISH.set(),
                        PUBLISH.guard()
                    ),
                    params![id, post_id, stamp],
                )
                .map_err(map)?;
                ("published", serde_json::json!({ "post_id": post_id }))
            }
            Settle::PublishedNoted { post_id, note } => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, post_id = ?2, \
                         {FORGET_URL}, last_error = ?3, last_error_code = ?4, \
                         last_error_hint = ?5, updated_at = ?6 WHERE id = ?1 AND {}",
                        PUBLISH.set(),
                        PUBLISH.guard()
                    ),
                    params![id, post_id, note.message, note.code, note.hint, stamp],
                )
                .map_err(map)?;
                (
                    "published",
                    serde_json::json!({ "post_id": post_id, "note": note }),
                )
            }
            Settle::Uploaded {
                post_id,
                at,
                late,
                next_check,
            } => {
                // Due again at its time, for the run that confirms it; the time is the one the
                // platform holds (an edit whose reply was lost may have moved it). The upload
                // address is of no use any more (the platform's id is kept).
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, post_id = ?2, scheduled_at = ?3, due_at = ?3, \
                         next_attempt_at = ?6, \
                         {FORGET_URL}, last_error = ?4, last_error_code = NULL, \
                         last_error_hint = NULL, updated_at = ?5 WHERE id = ?1 AND {}",
                        HOLD.set(),
                        HOLD.guard()
                    ),
                    params![id, post_id, db_time(*at), late, stamp, next_check.map(db_time)],
                )
                .map_err(map)?;
                (
                    "on_platform",
                    serde_json::json!({ "post_id": post_id, "public_at": db_time(*at), "late": late }),
                )
            }
            Settle::SentToInbox => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, {FORGET_URL}, \
                         last_error = NULL, last_error_code = NULL, last_error_hint = NULL, \
                         updated_at = ?2 WHERE id = ?1 AND {}",
                        SEND.set(),
                        SEND.guard()
                    ),
                    params![id, stamp],
                )
                .map_err(map)?;
                ("sent_to_inbox", serde_json::json!({}))
            }
            Settle::Failed {
                code,
                message,
                hint,
            } => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, {}, \
                         last_error = ?2, last_error_code = ?3, last_error_hint = ?4, \
                         updated_at = ?5 WHERE id = ?1 AND {}",
                        FAIL.set(),
                        forget_url_sql(),
                        FAIL.guard()
                    ),
                    params![id, message, code, hint, stamp],
                )
                .map_err(map)?;
                (
                    "failed",
                    serde_json::json!({ "code": code, "message": message }),
                )
            }
            Settle::RetryAt {
                at,
                message,
                reset_upload,
            } => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, attempts = attempts + 1, \
                         next_attempt_at = ?2, last_error = ?3, last_error_code = NULL, \
                         last_error_hint = NULL, updated_at = ?4 WHERE id = ?1 AND {}",
                        back(*reset_upload).set(),
                        back(*reset_upload).guard()
                    ),
                    params![id, db_time(*at), message, stamp],
                )
                .map_err(map)?;
                if *reset_upload {
                    reset(&tx, id).map_err(map)?;
                }
                (
                    "retry",
                    serde_json::json!({ "next_attempt_at": db_time(*at), "message": message }),
                )
            }
            Settle::Release { message } => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, updated_at = ?2 WHERE id = ?1 AND {}",
                        back(false).set(),
                        back(false).guard()
                    ),
                    params![id, stamp],
                )
                .map_err(map)?;
                ("released", serde_json::json!({ "message": message }))
            }
            Settle::Hold {
                until,
                code,
                message,
                hint,
                reset_upload,
            } => {
                tx.execute(
                    &format!(
                        "UPDATE posts SET {}, phase = NULL, \
                         next_attempt_at = COALESCE(?2, next_attempt_at), last_error = ?3, \
                         last_error_code = ?4, last_error_hint = ?5, updated_at = ?6 \
                         WHERE id = ?1 AND {}",
                        back(*reset_upload).set(),
                        back(*reset_upload).guard()
                    ),
                    params![id, until.map(db_time), message, code, hint, stamp],
                )
                .map_err(map)?;
                if *reset_upload {
                    reset(&tx, id).map_err(map)?;
                }
                (
                    "held",
                    serde_json::json!({
                        "code": code,
                        "message": message,
                        "until": until.map(db_time),
                    }),
                )
            }
        };
        insert_event(&tx, id, now, kind, &detail).map_err(map)?;
        tx.commit().map_err(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A post whose whole upload TikTok holds is never failed as missed, however long it waits
    /// (a login to renew, a hold): TikTok publishes it, and `retry` would upload it again.
    #[test]
    fn a_complete_upload_is_never_missed() {
        use crate::store::tests::{now, sample_post};
        let mut store = Store::open_in_memory().unwrap();
        let ids = store
            .insert_posts(&[sample_post(now()), sample_post(now())], now())
            .unwrap();
        store
            .conn
            .execute(
                "UPDATE posts SET checkpoint = '{\"id\":\"v_pub_1\"}', upload_complete = 1 WHERE id = ?1",
                [ids[0]],
            )
            .unwrap();
        let later = now() + chrono::Duration::days(3);
        let missed = store
            .fail_missed(later, chrono::Duration::hours(24))
            .unwrap();
        assert_eq!(missed, vec![ids[1]]);
        assert_eq!(
            store.post(ids[0]).unwrap().state,
            crate::post::PostState::Scheduled
        );
    }

    /// An upload ahead is claimed as soon as it is queued; once the platform holds it, it is
    /// claimed again only at its time (to confirm it), at the time the platform holds.
    #[test]
    fn an_upload_ahead_is_due_now_and_its_confirmation_at_its_time() {
        use crate::post::PostState;
        use crate::store::tests::{now, sample_post};
        let mut store = Store::open_in_memory().unwrap();
        let at = now() + chrono::Duration::hours(1);
        let mut ahead = sample_post(at);
        ahead.upload_ahead = true;
        let ids = store
            .insert_posts(&[ahead, sample_post(at)], now())
            .unwrap();
        assert!(store.post(ids[0]).unwrap().upload_ahead());
        assert!(!store.post(ids[1]).unwrap().upload_ahead());
        assert_eq!(store.claim_due(now(), 1).unwrap(), vec![ids[0]]);
        let held_until = at + chrono::Duration::minutes(5);
        store
            .settle(
                ids[0],
                &Settle::Uploaded {
                    post_id: "vid".into(),
                    at: held_until,
                    late: None,
                    next_check: None,
                },
                now(),
            )
            .unwrap();
        let post = store.post(ids[0]).unwrap();
        assert_eq!(post.state, PostState::Uploaded);
        assert_eq!(post.post_id.as_deref(), Some("vid"));
        assert_eq!(post.scheduled_at, held_until, "the platform's time");
        assert_eq!(store.claim_due(at, 2).unwrap(), vec![ids[1]]);
        assert_eq!(store.claim_due(held_until, 3).unwrap(), vec![ids[0]]);
        assert_eq!(store.post(ids[0]).unwrap().state, PostState::Publishing);
    }

    #[test]
    fn due_and_queue_queries_use_indexes() {
        let store = Store::open_in_memory().unwrap();
        if store.is_shared() {
            return; // SQLite's query plans; PostgreSQL's planner picks its own.
        }
        let plan = |sql: &str| -> String {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let due = plan("SELECT id FROM posts WHERE state = 'scheduled' AND due_at <= 'x'");
        assert!(due.contains("posts_work"), "{due}");
        let page = plan("SELECT id FROM posts ORDER BY scheduled_at, id LIMIT 50");
        assert!(page.contains("posts_queue"), "{page}");
        // The 24-hour repeat check of schedule and import.
        let video = plan("SELECT id FROM posts p WHERE p.file_hash = 'x' AND p.account_id IS 1");
        assert!(video.contains("posts_by_video"), "{video}");
        // The claim itself, with its pause check (a lookup by the holds' primary key).
        let claim = plan(&claim_sql().replace("?1", "'x'").replace("?2", "'1'"));
        assert!(claim.contains("posts_work"), "{claim}");
        assert!(!claim.contains("SCAN posts"), "{claim}");
        // EXPLAIN names the table by its alias in the query (`h`).
        assert!(claim.contains("SEARCH h USING"), "{claim}");
        assert!(!claim.contains("SCAN h"), "{claim}");
    }
}
