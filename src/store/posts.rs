//! Posts and their history: scheduling (insert), reading (`post`, `list`, events), and the
//! user's changes to queued posts (edit, cancel, retry), each a checked state transition.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::media::{Container, Fingerprint, MediaInfo, VideoCodec};
use crate::post::{Event, Mode, NewPost, Options, Post, PostId, PostState, Privacy};

use super::transitions::{CANCEL, Change, EDIT, RETRY};
use super::{Store, db_err, db_time, insert_event, opt_time, parse_time, text_enum};

/// Which posts `list` shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only posts in these states; empty means the active ones (or all with `all`).
    pub states: Vec<PostState>,
    /// Only this account's posts.
    pub account_id: Option<i64>,
    /// Include published, sent and cancelled posts.
    pub all: bool,
    /// At most this many rows (0 = no limit).
    pub limit: usize,
}

const POST_COLUMNS: &str = "p.id, p.state, p.phase, p.platform, p.account_id, \
    COALESCE(a.username, a.display_name, a.remote_id), p.file, p.copied, p.file_size, \
    p.file_mtime_ns, p.file_hash, p.container, p.duration_ms, p.width, p.height, p.fps, p.codec, \
    p.caption, p.mode, p.privacy, p.allow_comments, p.allow_duet, p.allow_stitch, p.cover_at_ms, \
    p.brand_organic, p.branded_content, p.ai_generated, p.scheduled_at, p.timezone, p.attempts, \
    p.next_attempt_at, p.last_error, p.last_error_code, p.last_error_hint, p.publish_id, \
    p.post_id, p.created_at, p.updated_at";

const POST_FROM: &str = "posts p LEFT JOIN accounts a ON a.id = p.account_id";

fn post_from_row(row: &Row<'_>) -> rusqlite::Result<Post> {
    let container: String = row.get(11)?;
    let container = match container.as_str() {
        "mp4" => Container::Mp4,
        "mov" => Container::Mov,
        "webm" => Container::Webm,
        _ => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                11,
                rusqlite::types::Type::Text,
                format!("unexpected container `{container}`").into(),
            ));
        }
    };
    let codec: Option<String> = row.get(16)?;
    let privacy: Option<String> = row.get(19)?;
    Ok(Post {
        id: row.get(0)?,
        state: text_enum(1, row.get(1)?)?,
        phase: row.get(2)?,
        platform: row.get(3)?,
        account_id: row.get(4)?,
        account: row.get(5)?,
        file: row.get(6)?,
        copied: row.get(7)?,
        fingerprint: Fingerprint {
            size: row.get(8)?,
            mtime_ns: row.get(9)?,
            sample_sha256: row.get(10)?,
        },
        media: MediaInfo {
            container,
            size: row.get(8)?,
            duration_ms: row.get(12)?,
            width: row.get(13)?,
            height: row.get(14)?,
            fps: row.get(15)?,
            codec: codec.map(|c| VideoCodec::from_label(&c)),
        },
        caption: row.get(17)?,
        options: Options {
            mode: text_enum::<Mode>(18, row.get(18)?)?,
            privacy: privacy.map(|p| text_enum::<Privacy>(19, p)).transpose()?,
            allow_comments: row.get(20)?,
            allow_duet: row.get(21)?,
            allow_stitch: row.get(22)?,
            cover_at_ms: row.get(23)?,
            brand_organic: row.get(24)?,
            branded_content: row.get(25)?,
            ai_generated: row.get(26)?,
        },
        scheduled_at: parse_time(&row.get::<_, String>(27)?)?,
        timezone: row.get(28)?,
        attempts: row.get(29)?,
        next_attempt_at: opt_time(row.get(30)?)?,
        last_error: row.get(31)?,
        last_error_code: row.get(32)?,
        last_error_hint: row.get(33)?,
        publish_id: row.get(34)?,
        post_id: row.get(35)?,
        created_at: parse_time(&row.get::<_, String>(36)?)?,
        updated_at: parse_time(&row.get::<_, String>(37)?)?,
    })
}

impl Store {
    /// Insert posts, each with its `scheduled` event, all or none.
    pub fn insert_posts(&mut self, posts: &[NewPost], now: DateTime<Utc>) -> Result<Vec<PostId>> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let mut ids = Vec::with_capacity(posts.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO posts (state, platform, account_id, file, copied, file_size, \
                     file_mtime_ns, file_hash, container, duration_ms, width, height, fps, codec, \
                     caption, mode, privacy, allow_comments, allow_duet, allow_stitch, cover_at_ms, \
                     brand_organic, branded_content, ai_generated, scheduled_at, timezone, \
                     created_at, updated_at) VALUES ('scheduled', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                     ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, \
                     ?25, ?26, ?26)",
                )
                .map_err(map)?;
            let stamp = db_time(now);
            for post in posts {
                let o = &post.options;
                insert
                    .execute(params![
                        post.platform,
                        post.account_id,
                        post.file,
                        post.copied,
                        post.fingerprint.size,
                        post.fingerprint.mtime_ns,
                        post.fingerprint.sample_sha256,
                        post.media.container.as_str(),
                        post.media.duration_ms,
                        post.media.width,
                        post.media.height,
                        post.media.fps,
                        post.media.codec.as_ref().map(ToString::to_string),
                        post.caption,
                        o.mode.as_str(),
                        o.privacy.map(Privacy::as_str),
                        o.allow_comments,
                        o.allow_duet,
                        o.allow_stitch,
                        o.cover_at_ms,
                        o.brand_organic,
                        o.branded_content,
                        o.ai_generated,
                        db_time(post.scheduled_at),
                        post.timezone,
                        stamp,
                    ])
                    .map_err(map)?;
                let id = tx.last_insert_rowid();
                let detail = serde_json::json!({
                    "scheduled_at": db_time(post.scheduled_at),
                    "timezone": post.timezone,
                });
                insert_event(&tx, id, now, "scheduled", &detail).map_err(map)?;
                ids.push(id);
            }
        }
        tx.commit().map_err(map)?;
        Ok(ids)
    }

    /// One post, or `NoSuchPost`.
    pub fn post(&self, id: PostId) -> Result<Post> {
        let sql = format!("SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.id = ?1");
        self.conn
            .query_row(&sql, [id], post_from_row)
            .optional()
            .map_err(self.err())?
            .ok_or(Error::NoSuchPost { id })
    }

    /// Posts matching `filter`, in publishing order, and how many matched in all.
    pub fn list(&self, filter: &ListFilter) -> Result<(Vec<Post>, usize)> {
        let states: Vec<PostState> = if !filter.states.is_empty() {
            filter.states.clone()
        } else if filter.all {
            PostState::ALL.to_vec()
        } else {
            PostState::ALL
                .into_iter()
                .filter(|s| s.is_active())
                .collect()
        };
        let in_list = states
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(",");
        let mut conditions = format!("p.state IN ({in_list})");
        if filter.account_id.is_some() {
            conditions.push_str(" AND p.account_id = ?1");
        }
        let limit = if filter.limit == 0 {
            -1
        } else {
            filter.limit as i64
        };
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE {conditions} \
             ORDER BY p.scheduled_at, p.id LIMIT {limit}"
        );
        let count_sql = format!("SELECT COUNT(*) FROM posts p WHERE {conditions}");
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let params: Vec<i64> = filter.account_id.into_iter().collect();
        let posts = stmt
            .query_map(rusqlite::params_from_iter(&params), post_from_row)
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        let total = if filter.limit != 0 && posts.len() == filter.limit {
            self.conn
                .query_row(&count_sql, rusqlite::params_from_iter(&params), |r| {
                    r.get(0)
                })
                .map_err(self.err())?
        } else {
            posts.len()
        };
        Ok((posts, total))
    }

    /// Posts of the same video (the fingerprint's sample hash, so a copy counts too) for the
    /// same account (`None`: posts waiting for an account), except cancelled and failed ones:
    /// the ones that went or will go out. In publishing order.
    pub fn posts_of_video(&self, file_hash: &str, account_id: Option<i64>) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.file_hash = ?1 \
             AND p.account_id IS ?2 AND p.state NOT IN ('cancelled', 'failed') \
             ORDER BY p.scheduled_at, p.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        stmt.query_map(params![file_hash, account_id], post_from_row)
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// A post's history, oldest first.
    pub fn events(&self, id: PostId) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, kind, detail FROM events WHERE post_id = ?1 ORDER BY id")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([id], |row| {
                let detail: String = row.get(2)?;
                Ok(Event {
                    at: parse_time(&row.get::<_, String>(0)?)?,
                    kind: row.get(1)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// The private copies (`schedule --copy`) the queue records, for `purge` to delete.
    pub fn copied_files(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT file FROM posts WHERE copied = 1")
            .map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// Make `change` (its state, and the fields of `set_sql`) if the post is in one of its
    /// `from` states, recording `event`. Returns `WrongState` when it is not (or another
    /// process got there first).
    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        id: PostId,
        change: Change,
        action: &'static str,
        set_sql: &str,
        set_params: &[&dyn rusqlite::ToSql],
        event: (&str, serde_json::Value),
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM posts WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(map)?;
        let state: PostState = match state {
            None => return Err(Error::NoSuchPost { id }),
            Some(s) => text_enum(1, s).map_err(map)?,
        };
        if !change.from.contains(&state) {
            return Err(Error::WrongState { id, state, action });
        }
        // A post whose upload TikTok has in full (waiting for TikTok's verdict after a login
        // problem) can be neither changed nor withdrawn from here: TikTok may publish it.
        let uploaded: bool = tx
            .query_row(
                "SELECT upload_complete FROM posts WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .map_err(map)?;
        if uploaded && state == PostState::Scheduled && action != "retried" {
            return Err(Error::invalid(
                format!("post {id} is already uploaded to TikTok and waits for its verdict, so it cannot be {action}"),
                Some("the next `postez run` learns the outcome; after that it can be retried or edited".into()),
            ));
        }
        let sql = format!(
            "UPDATE posts SET {}, {set_sql}, updated_at = ?1 WHERE id = ?2 AND {}",
            change.set(),
            change.guard()
        );
        let mut all: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(set_params.len() + 2);
        let stamp = db_time(now);
        all.push(&stamp);
        all.push(&id);
        all.extend_from_slice(set_params);
        tx.execute(&sql, all.as_slice()).map_err(map)?;
        insert_event(&tx, id, now, event.0, &event.1).map_err(map)?;
        tx.commit().map_err(map)?;
        self.post(id)
    }

    /// Replace a scheduled or failed post's content with `new` (same validation as schedule
    /// happened in the caller), recording which fields changed. A half-done upload of the old
    /// content is dropped: TikTok cannot publish an incomplete upload, and the next run starts
    /// a new one with the new content.
    pub fn edit_post(
        &mut self,
        id: PostId,
        new: &NewPost,
        changed: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let o = &new.options;
        let scheduled_at = db_time(new.scheduled_at);
        let privacy = o.privacy.map(Privacy::as_str);
        let codec = new.media.codec.as_ref().map(ToString::to_string);
        let container = new.media.container.as_str();
        let detail = serde_json::json!({ "changed": changed });
        self.transition(
            id,
            EDIT,
            "edited",
            "account_id = ?3, file = ?4, copied = ?5, file_size = ?6, file_mtime_ns = ?7, \
             file_hash = ?8, container = ?9, duration_ms = ?10, width = ?11, height = ?12, \
             fps = ?13, codec = ?14, caption = ?15, mode = ?16, privacy = ?17, \
             allow_comments = ?18, allow_duet = ?19, allow_stitch = ?20, cover_at_ms = ?21, \
             brand_organic = ?22, branded_content = ?23, ai_generated = ?24, scheduled_at = ?25, \
             timezone = ?26, publish_id = NULL, upload_url = NULL, upload_expires_at = NULL, \
             chunk_size = NULL, chunks_done = 0, upload_complete = 0",
            &[
                &new.account_id,
                &new.file,
                &new.copied,
                &new.fingerprint.size,
                &new.fingerprint.mtime_ns,
                &new.fingerprint.sample_sha256,
                &container,
                &new.media.duration_ms,
                &new.media.width,
                &new.media.height,
                &new.media.fps,
                &codec,
                &new.caption,
                &o.mode.as_str(),
                &privacy,
                &o.allow_comments,
                &o.allow_duet,
                &o.allow_stitch,
                &o.cover_at_ms,
                &o.brand_organic,
                &o.branded_content,
                &o.ai_generated,
                &scheduled_at,
                &new.timezone,
            ],
            ("edited", detail),
            now,
        )
    }

    /// Cancel a scheduled or failed post.
    pub fn cancel(&mut self, id: PostId, now: DateTime<Utc>) -> Result<Post> {
        self.transition(
            id,
            CANCEL,
            "cancelled",
            "phase = NULL",
            &[],
            ("cancelled", serde_json::json!({})),
            now,
        )
    }

    /// Give a post queued before any account was connected the account it is published with,
    /// so that account's holds and pauses cover it from now on. A post that has one keeps it.
    pub fn adopt_account(&mut self, id: PostId, account_id: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE posts SET account_id = ?2 WHERE id = ?1 AND account_id IS NULL",
                params![id, account_id],
            )
            .map_err(db_err(&self.path))?;
        Ok(())
    }

    /// Put a failed or cancelled post back in the queue for `at`, with a fresh attempt count.
    pub fn retry(&mut self, id: PostId, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Post> {
        let at_text = db_time(at);
        self.transition(
            id,
            RETRY,
            "retried",
            "phase = NULL, attempts = 0, next_attempt_at = NULL, \
             last_error = NULL, last_error_code = NULL, last_error_hint = NULL, \
             publish_id = NULL, upload_url = NULL, upload_expires_at = NULL, chunk_size = NULL, \
             chunks_done = 0, upload_complete = 0, scheduled_at = ?3",
            &[&at_text],
            ("retried", serde_json::json!({ "scheduled_at": at_text })),
            now,
        )
    }

    /// The newest `limit` events of all posts, newest first, with their post's id.
    pub fn recent_events(&self, limit: usize) -> Result<Vec<(PostId, Event)>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT post_id, at, kind, detail FROM events ORDER BY id DESC LIMIT ?1",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([limit as i64], |row| {
                let detail: String = row.get(3)?;
                Ok((
                    row.get(0)?,
                    Event {
                        at: parse_time(&row.get::<_, String>(1)?)?,
                        kind: row.get(2)?,
                        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    },
                ))
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{now, sample_post};

    #[test]
    fn insert_and_read_back_round_trips() {
        let mut store = Store::open_in_memory().unwrap();
        let post = sample_post(now() + chrono::Duration::hours(2));
        let ids = store
            .insert_posts(std::slice::from_ref(&post), now())
            .unwrap();
        let read = store.post(ids[0]).unwrap();
        assert_eq!(read.state, PostState::Scheduled);
        assert_eq!(read.options, post.options);
        assert_eq!(read.media, post.media);
        assert_eq!(read.caption, post.caption);
        assert_eq!(read.scheduled_at, post.scheduled_at);
        let events = store.events(ids[0]).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "scheduled");
    }

    #[test]
    fn cancel_and_retry_respect_states() {
        let mut store = Store::open_in_memory().unwrap();
        let ids = store.insert_posts(&[sample_post(now())], now()).unwrap();
        let id = ids[0];
        assert!(matches!(
            store.retry(id, now(), now()),
            Err(Error::WrongState {
                state: PostState::Scheduled,
                ..
            })
        ));
        store.cancel(id, now()).unwrap();
        assert!(matches!(
            store.cancel(id, now()),
            Err(Error::WrongState {
                state: PostState::Cancelled,
                ..
            })
        ));
        assert!(matches!(
            store.cancel(999, now()),
            Err(Error::NoSuchPost { id: 999 })
        ));
        let kinds: Vec<_> = store
            .events(id)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["scheduled", "cancelled"]);
        // Retry brings a cancelled post back.
        let back = store.retry(id, now(), now()).unwrap();
        assert_eq!(back.state, PostState::Scheduled);
    }

    #[test]
    fn list_orders_by_time_and_hides_finished_posts() {
        let mut store = Store::open_in_memory().unwrap();
        let later = sample_post(now() + chrono::Duration::hours(5));
        let sooner = sample_post(now() + chrono::Duration::hours(1));
        let ids = store
            .insert_posts(&[later, sooner.clone(), sooner], now())
            .unwrap();
        store.cancel(ids[2], now()).unwrap();
        let (posts, total) = store.list(&ListFilter::default()).unwrap();
        assert_eq!(
            posts.iter().map(|p| p.id).collect::<Vec<_>>(),
            [ids[1], ids[0]]
        );
        assert_eq!(total, 2);
        let all = ListFilter {
            all: true,
            limit: 1,
            ..ListFilter::default()
        };
        let (posts, total) = store.list(&all).unwrap();
        assert_eq!((posts.len(), total), (1, 3));
    }
}
