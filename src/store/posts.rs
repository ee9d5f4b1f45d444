//! Posts and their history: scheduling (insert), reading (`post`, `list`, events), and the
//! user's changes to queued posts (edit, cancel, retry), each a checked state transition.

use super::db::{
    DbError, DbResult, OptionalExtension, Row, ToValue, TransactionBehavior, Tx, params,
};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::media::{Container, Fingerprint, MediaInfo, VideoCodec};
use crate::post::{Event, GroupId, Mode, NewPost, Post, PostId, PostOptions, PostState};
use crate::provider::Platform;

use super::publishing::forget_url_sql;
use super::transitions::{CANCEL, CANCEL_UPLOADED, Change, EDIT, RESCHEDULE_UPLOADED, RETRY};
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

/// How far `list` counts the posts behind a full page: counting every match would read the
/// whole queue (100 000 posts: most of the page's time) to print one number.
pub const COUNT_CAP: usize = 1000;

/// How many posts matched a [`ListFilter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    /// Exactly this many.
    Exactly(usize),
    /// At least this many: counting stopped there.
    AtLeast(usize),
}

impl Matched {
    /// Whether more posts matched than `shown`.
    pub fn exceeds(self, shown: usize) -> bool {
        match self {
            Self::Exactly(n) | Self::AtLeast(n) => n > shown,
        }
    }
}

impl std::fmt::Display for Matched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exactly(n) => write!(f, "{n}"),
            Self::AtLeast(n) => write!(f, "{n}+"),
        }
    }
}

impl ListFilter {
    fn states(&self) -> Vec<PostState> {
        if !self.states.is_empty() {
            // Each state once: the page query has one SELECT per state.
            PostState::ALL
                .into_iter()
                .filter(|s| self.states.contains(s))
                .collect()
        } else if self.all {
            PostState::ALL.to_vec()
        } else {
            PostState::ALL
                .into_iter()
                .filter(|s| s.is_active())
                .collect()
        }
    }

    fn account_condition(&self) -> &'static str {
        if self.account_id.is_some() {
            " AND p.account_id = ?1"
        } else {
            ""
        }
    }
}

/// The page query of `list`: one SELECT per state, each in publishing order from an index whose
/// equality columns are its WHERE (`posts_due`, or `posts_by_account` for one account), merged by
/// SQLite's ordered UNION ALL. One `state IN (…)` SELECT would read and sort every match instead,
/// because no index yields several states' rows in time order.
fn page_sql(filter: &ListFilter) -> String {
    let arms = filter
        .states()
        .iter()
        .map(|s| {
            format!(
                "SELECT {POST_COLUMNS}, p.scheduled_at AS sort_at, p.id AS sort_id \
                 FROM {POST_FROM} WHERE p.state = '{}'{}",
                s.as_str(),
                filter.account_condition()
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    // No limit is no LIMIT: SQLite's `-1` is an error on PostgreSQL.
    let limit = match filter.limit {
        0 => String::new(),
        n => format!(" LIMIT {n}"),
    };
    format!("{arms} ORDER BY sort_at, sort_id{limit}")
}

/// Counts matches of `filter` up to `cap` only (an index range read no further than that).
fn count_sql(filter: &ListFilter, cap: usize) -> String {
    let states = filter
        .states()
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM posts p WHERE p.state IN ({states}){} LIMIT {cap}) AS m",
        filter.account_condition()
    )
}

const POST_COLUMNS: &str = "p.id, p.state, p.phase, p.platform, p.account_id, \
    COALESCE(a.username, a.display_name, a.remote_id), p.file, p.copied, p.file_size, \
    p.file_mtime_ns, p.file_hash, p.container, p.duration_ms, p.width, p.height, p.fps, p.codec, \
    p.caption, p.mode, p.options, p.scheduled_at, p.timezone, p.attempts, p.next_attempt_at, \
    p.last_error, p.last_error_code, p.last_error_hint, json_extract(p.checkpoint, '$.id'), \
    p.post_id, p.created_at, p.updated_at, p.due_at, p.group_id, p.media_id";

/// A post's options as stored: their serde form (migration 0006), the platform's own struct
/// untagged, read back by the row's platform ([`PostOptions::from_stored`]). `mode` is in it
/// too, and in its own column for the hold queries; both are written from the same value, here
/// and in `edit_post`, and the column is what is read back. Options of another platform than
/// the post's would be read back in the wrong shape, so they are refused.
fn options_json(post: &NewPost) -> Result<String> {
    if post.options.platform().as_str() != post.platform {
        return Err(Error::Internal(format!(
            "a {} post was given {} options",
            post.platform,
            post.options.platform()
        )));
    }
    serde_json::to_string(&post.options)
        .map_err(|e| Error::Internal(format!("post options could not be written as JSON: {e}")))
}

const POST_FROM: &str = "posts p LEFT JOIN accounts a ON a.id = p.account_id";

fn post_from_row(row: &Row<'_>) -> DbResult<Post> {
    let container: String = row.get(11)?;
    let container = match container.as_str() {
        "mp4" => Container::Mp4,
        "mov" => Container::Mov,
        "webm" => Container::Webm,
        _ => {
            return Err(DbError::conversion(
                11,
                format!("unexpected container `{container}`"),
            ));
        }
    };
    let codec: Option<String> = row.get(16)?;
    let platform: String = row.get(3)?;
    let options: String = row.get(19)?;
    // The row's platform says which shape its options have; the column's mode wins over the
    // JSON's (the hold queries filter on the column).
    let options = PostOptions::from_stored(
        text_enum::<Platform>(3, platform.clone())?,
        text_enum::<Mode>(18, row.get(18)?)?,
        &options,
    )
    .map_err(|e| DbError::conversion(19, e.to_string()))?;
    Ok(Post {
        id: row.get(0)?,
        state: text_enum(1, row.get(1)?)?,
        phase: row.get(2)?,
        platform,
        account_id: row.get(4)?,
        account: row.get(5)?,
        group: row.get::<_, Option<i64>>(32)?.map(crate::post::GroupId),
        media_id: row.get(33)?,
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
        options,
        scheduled_at: parse_time(&row.get::<_, String>(20)?)?,
        timezone: row.get(21)?,
        attempts: row.get(22)?,
        next_attempt_at: opt_time(row.get(23)?)?,
        last_error: row.get(24)?,
        last_error_code: row.get(25)?,
        last_error_hint: row.get(26)?,
        publish_id: row.get(27)?,
        post_id: row.get(28)?,
        created_at: parse_time(&row.get::<_, String>(29)?)?,
        updated_at: parse_time(&row.get::<_, String>(30)?)?,
        due_at: parse_time(&row.get::<_, String>(31)?)?,
    })
}

impl Store {
    /// Insert posts, each with its `scheduled` event, all or none.
    pub fn insert_posts(&mut self, posts: &[NewPost], now: DateTime<Utc>) -> Result<Vec<PostId>> {
        self.insert_grouped(posts, false, now).map(|(_, ids)| ids)
    }

    /// Insert the posts of one cross-post (one per account) and the group that ties them, in
    /// one transaction: all of them, or none and no group.
    pub fn insert_group(
        &mut self,
        posts: &[NewPost],
        now: DateTime<Utc>,
    ) -> Result<(GroupId, Vec<PostId>)> {
        let (group, ids) = self.insert_grouped(posts, true, now)?;
        let group = group.ok_or_else(|| Error::Internal("a group was not created".into()))?;
        Ok((group, ids))
    }

    fn insert_grouped(
        &mut self,
        posts: &[NewPost],
        grouped: bool,
        now: DateTime<Utc>,
    ) -> Result<(Option<GroupId>, Vec<PostId>)> {
        let mut done = self.insert_batches(&[(grouped, posts.to_vec())], now)?;
        done.pop()
            .ok_or_else(|| Error::Internal("a batch was not inserted".into()))
    }

    /// Insert several batches in one transaction (`import`: all rows, or none): each batch is
    /// the posts of one new group when its flag is set, else posts of no group. Returns each
    /// batch's group and post ids, in order.
    pub fn insert_batches(
        &mut self,
        batches: &[(bool, Vec<NewPost>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<(Option<GroupId>, Vec<PostId>)>> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let mut done = Vec::with_capacity(batches.len());
        for (grouped, posts) in batches {
            let grouped = *grouped;
            let mut ids = Vec::with_capacity(posts.len());
            let group = if grouped {
                let id: i64 = tx
                    .query_row(
                        "INSERT INTO post_groups (created_at) VALUES (?1) RETURNING id",
                        [db_time(now)],
                        |r| r.get(0),
                    )
                    .map_err(map)?;
                Some(id)
            } else {
                None
            };
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO posts (state, platform, account_id, file, copied, file_size, \
                         file_mtime_ns, file_hash, container, duration_ms, width, height, fps, codec, \
                         caption, mode, options, scheduled_at, timezone, created_at, updated_at, \
                         due_at, group_id, media_id) \
                         VALUES ('scheduled', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                         ?14, ?15, ?16, ?17, ?18, ?19, ?19, ?20, ?21, ?22) RETURNING id",
                    )
                    .map_err(map)?;
                let stamp = db_time(now);
                for post in posts {
                    // An upload ahead is due for upload now; any other post at its time.
                    let due_at = if post.upload_ahead {
                        post.scheduled_at.min(now)
                    } else {
                        post.scheduled_at
                    };
                    let id: PostId = insert
                        .query_row(
                            params![
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
                                post.options.mode().as_str(),
                                options_json(post)?,
                                db_time(post.scheduled_at),
                                post.timezone,
                                stamp,
                                db_time(due_at),
                                group,
                                post.media_id,
                            ],
                            |r| r.get(0),
                        )
                        .map_err(map)?;
                    let mut detail = serde_json::json!({
                        "scheduled_at": db_time(post.scheduled_at),
                        "timezone": post.timezone,
                    });
                    if post.upload_ahead {
                        detail["upload_ahead"] = true.into();
                    }
                    if let Some(group) = group {
                        detail["group"] = GroupId(group).to_string().into();
                    }
                    insert_event(&tx, id, now, "scheduled", &detail).map_err(map)?;
                    ids.push(id);
                }
            }
            done.push((group.map(GroupId), ids));
        }
        tx.commit().map_err(map)?;
        Ok(done)
    }

    /// The posts of a group, in id order (the order they were scheduled in), or an error
    /// naming the group when there is none.
    pub fn group_posts(&self, group: GroupId) -> Result<Vec<Post>> {
        let sql =
            format!("SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.group_id = ?1 ORDER BY p.id");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err())?;
        let posts = stmt
            .query_map([group.0], post_from_row)
            .and_then(Iterator::collect::<DbResult<Vec<Post>>>)
            .map_err(self.err())?;
        if posts.is_empty() {
            return Err(Error::invalid(
                format!("there is no group {group} in the queue"),
                Some("run `postez list --all` to see the ids".into()),
            ));
        }
        Ok(posts)
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

    /// Posts matching `filter`, in publishing order, and how many matched in all (counted up to
    /// [`COUNT_CAP`] or the page size, whichever is more). A page costs the page, not the queue.
    pub fn list(&self, filter: &ListFilter) -> Result<(Vec<Post>, Matched)> {
        let sql = page_sql(filter);
        tracing::trace!(%sql, "list page query");
        let params: Vec<i64> = filter.account_id.into_iter().collect();
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        let posts = stmt
            .query_map(params.clone(), post_from_row)
            .map_err(self.err())?
            .collect::<DbResult<Vec<_>>>()
            .map_err(self.err())?;
        // A short page is the whole match; a full one may have more behind it.
        if filter.limit == 0 || posts.len() < filter.limit {
            let matched = Matched::Exactly(posts.len());
            return Ok((posts, matched));
        }
        let cap = COUNT_CAP.max(filter.limit + 1);
        let counted: usize = self
            .conn
            .query_row(&count_sql(filter, cap), params.clone(), |r| r.get(0))
            .map_err(self.err())?;
        let matched = if counted >= cap {
            Matched::AtLeast(cap)
        } else {
            Matched::Exactly(counted)
        };
        Ok((posts, matched))
    }

    /// How many posts the queue holds, in every state (`purge` reports it).
    pub fn count_posts(&self) -> Result<usize> {
        self.conn
            .query_row("SELECT COUNT(*) FROM posts", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// How many of `platform`'s posts still to be uploaded (scheduled or publishing, not
    /// held by the platform yet) are uploaded in `[from, to)`, seen at `now`: a platform's
    /// daily upload allowance is spent when the upload starts, at the post's `due_at` (an
    /// upload ahead goes up at the next run, not at its time), or at the next run for one
    /// already due. Times are stored as fixed-width UTC text, so they compare as text.
    pub fn count_queued(
        &self,
        platform: Platform,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM posts WHERE platform = ?1 \
                 AND state IN ('scheduled', 'publishing') AND upload_complete = 0 \
                 AND MAX(due_at, ?4) >= ?2 AND MAX(due_at, ?4) < ?3",
                params![platform, db_time(from), db_time(to), db_time(now)],
                |r| r.get(0),
            )
            .map_err(self.err())
    }

    /// Posts of the same video (the fingerprint's sample hash, so a copy counts too) for the
    /// same account (`None`: posts waiting for an account), except cancelled and failed ones:
    /// the ones that went or will go out. In publishing order.
    pub fn posts_of_video(&self, file_hash: &str, account_id: Option<i64>) -> Result<Vec<Post>> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM {POST_FROM} WHERE p.file_hash = ?1 \
             AND p.account_id IS NOT DISTINCT FROM ?2 AND p.state NOT IN ('cancelled', 'failed') \
             ORDER BY p.scheduled_at, p.id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(self.err())?;
        stmt.query_map(params![file_hash, account_id], post_from_row)
            .map_err(self.err())?
            .collect::<DbResult<Vec<_>>>()
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
        rows.collect::<DbResult<Vec<_>>>().map_err(self.err())
    }

    /// The private copies (`schedule --copy`) the queue records, for `purge` to delete.
    pub fn copied_files(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT file FROM posts WHERE copied = 1")
            .map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<DbResult<Vec<_>>>().map_err(self.err())
    }

    /// Make `change` (its state, and the fields `set_sql` gives) if the post is in one of its
    /// `from` states, recording `event`. Returns `WrongState` when it is not (or another
    /// process got there first). `set_sql` is told whether the post holds an upload its
    /// platform may have finished unconfirmed ([`crate::provider::Rules::upload_may_exist_before_confirmed`])
    /// or holds until its time: only a retry may touch such a post, and it must keep the upload
    /// (and the platform's id) for the next run to ask.
    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        id: PostId,
        change: Change,
        action: &'static str,
        set_sql: &dyn Fn(bool) -> String,
        set_params: &[&dyn ToValue],
        event: (&str, serde_json::Value),
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        transition_in(
            &tx, &self.path, id, change, action, set_sql, set_params, event, now,
        )?;
        tx.commit().map_err(map)?;
        self.post(id)
    }
}

/// [`Store::transition`]'s checks and change inside the caller's transaction `tx`, so that
/// several posts' changes (a group's edit) commit together or not at all.
#[allow(clippy::too_many_arguments)]
fn transition_in(
    tx: &Tx<'_>,
    path: &std::path::Path,
    id: PostId,
    change: Change,
    action: &'static str,
    set_sql: &dyn Fn(bool) -> String,
    set_params: &[&dyn ToValue],
    event: (&str, serde_json::Value),
    now: DateTime<Utc>,
) -> Result<()> {
    {
        let map = db_err(path);
        let row: Option<(String, bool, String, bool, bool)> = tx
            .query_row(
                "SELECT state, upload_complete, platform, \
                 COALESCE(json_extract(checkpoint, '$.upload_url'), '') <> '', \
                 post_id IS NOT NULL \
                 FROM posts WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(map)?;
        let Some((state, uploaded, platform, has_upload, has_id)) = row else {
            return Err(Error::NoSuchPost { id });
        };
        let state: PostState = text_enum(1, state).map_err(map)?;
        let platform: Platform = text_enum(3, platform).map_err(map)?;
        if !change.from.contains(&state) {
            return Err(Error::WrongState { id, state, action });
        }
        let name = platform.name();
        // A post whose upload the platform has in full (waiting for its verdict after a login
        // problem) can be neither changed nor withdrawn from here: the platform may publish it.
        if uploaded && state == PostState::Scheduled && action != "retried" {
            return Err(Error::invalid(
                format!("post {id} is already uploaded to {name} and waits for its verdict, so it cannot be {action}"),
                Some("the next `postez run` learns the outcome; after that it can be retried or edited".into()),
            ));
        }
        // A post the platform held until its time (its id known, every byte in) that a queue
        // from before the fix of issue 12's review recorded `failed`: the platform publishes it
        // whatever postez does. Only `retry` is let through, and it keeps the video: the next
        // run asks the platform about it instead of uploading a second one.
        let held = uploaded && has_id && state == PostState::Failed;
        if held && action != "retried" {
            return Err(Error::invalid(
                format!(
                    "post {id} is already on {name}, which publishes it at its time, so it cannot be {action} from here"
                ),
                Some(format!(
                    "`postez retry {id}` has the next run ask {name} about it; change or delete it in {name}'s own editor"
                )),
            ));
        }
        // The same for an upload the platform may have finished without postez hearing so
        // (its last reply lost): a new upload would make a second video.
        let may_exist = has_upload && platform.rules().upload_may_exist_before_confirmed();
        if may_exist && action != "retried" {
            return Err(Error::invalid(
                format!(
                    "post {id} has an upload {name} may already hold, so it cannot be {action}"
                ),
                Some(format!(
                    "the next `postez run` asks {name} first; after that it can be {action}"
                )),
            ));
        }
        let sql = format!(
            "UPDATE posts SET {}, {}, updated_at = ?1 WHERE id = ?2 AND {}",
            change.set(),
            set_sql(may_exist || held),
            change.guard()
        );
        let mut all: Vec<&dyn ToValue> = Vec::with_capacity(set_params.len() + 2);
        let stamp = db_time(now);
        all.push(&stamp);
        all.push(&id);
        all.extend_from_slice(set_params);
        tx.execute(&sql, all.as_slice()).map_err(map)?;
        insert_event(tx, id, now, event.0, &event.1).map_err(map)?;
        Ok(())
    }
}

impl Store {
    /// Replace a scheduled or failed post's content with `new` (same validation as schedule
    /// happened in the caller), recording which fields changed. A half-done upload of the old
    /// content is dropped: the platform cannot publish an incomplete upload, and the next run
    /// starts a new one with the new content. (One the platform may hold in full unconfirmed
    /// is refused by `transition`.) A post to be uploaded ahead (`new.upload_ahead`) stays due
    /// as it was, or becomes due now; any other is due at its time.
    pub fn edit_post(
        &mut self,
        id: PostId,
        new: &NewPost,
        changed: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        edit_in(&tx, &self.path, id, new, changed, now)?;
        tx.commit().map_err(map)?;
        self.post(id)
    }

    /// [`Store::edit_post`] for several posts (a group's edit) in one transaction: every post
    /// changes, or none does (one that can no longer be edited fails them all).
    pub fn edit_posts(
        &mut self,
        edits: &[(PostId, NewPost, Vec<&str>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Post>> {
        let map = db_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        for (id, new, changed) in edits {
            edit_in(&tx, &self.path, *id, new, changed, now)?;
        }
        tx.commit().map_err(map)?;
        edits.iter().map(|(id, _, _)| self.post(*id)).collect()
    }

    /// Cancel a scheduled or failed post.
    pub fn cancel(&mut self, id: PostId, now: DateTime<Utc>) -> Result<Post> {
        self.transition(
            id,
            CANCEL,
            "cancelled",
            &|_| format!("phase = NULL, {}", forget_url_sql()),
            &[],
            ("cancelled", serde_json::json!({})),
            now,
        )
    }

    /// Record the new time of a post its platform holds (`uploaded`), once the platform took
    /// it: due again, for the confirming run, at that time.
    pub fn reschedule_uploaded(
        &mut self,
        id: PostId,
        at: DateTime<Utc>,
        timezone: &str,
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let at_text = db_time(at);
        self.transition(
            id,
            RESCHEDULE_UPLOADED,
            "rescheduled",
            &|_| "scheduled_at = ?3, due_at = ?3, timezone = ?4, last_error = NULL".into(),
            &[&at_text, &timezone],
            (
                "rescheduled",
                serde_json::json!({ "scheduled_at": at_text }),
            ),
            now,
        )
    }

    /// Cancel a post its platform held (`uploaded`), once the platform deleted it: nothing of
    /// the upload is left to ask about, so a `retry` uploads anew.
    pub fn cancel_uploaded(&mut self, id: PostId, now: DateTime<Utc>) -> Result<Post> {
        let deleted = self.post(id)?.post_id;
        self.transition(
            id,
            CANCEL_UPLOADED,
            "cancelled",
            &|_| {
                "phase = NULL, checkpoint = NULL, chunks_done = 0, upload_complete = 0, \
                 post_id = NULL, last_error = NULL"
                    .into()
            },
            &[],
            (
                "cancelled",
                serde_json::json!({ "deleted_on_platform": deleted }),
            ),
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

    /// Put a failed or cancelled post back in the queue for `at`, due at `due` (earlier for an
    /// upload ahead), with a fresh attempt count.
    /// An upload the platform may hold in full unconfirmed is kept: the next run asks about it
    /// before uploading anything.
    pub fn retry(
        &mut self,
        id: PostId,
        at: DateTime<Utc>,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let at_text = db_time(at);
        let due_text = db_time(due);
        self.transition(
            id,
            RETRY,
            "retried",
            &|keep_upload| {
                let upload = if keep_upload {
                    ""
                } else {
                    // The id of a video that was on the platform goes with its upload: the
                    // next status check must not read about that video.
                    ", checkpoint = NULL, chunks_done = 0, upload_complete = 0, post_id = NULL"
                };
                format!(
                    "phase = NULL, attempts = 0, next_attempt_at = NULL, \
                     last_error = NULL, last_error_code = NULL, last_error_hint = NULL, \
                     scheduled_at = ?3, due_at = ?4{upload}"
                )
            },
            &[&at_text, &due_text],
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
        rows.collect::<DbResult<Vec<_>>>().map_err(self.err())
    }
}

/// One post's edit inside the caller's transaction ([`Store::edit_post`]).
fn edit_in(
    tx: &Tx<'_>,
    path: &std::path::Path,
    id: PostId,
    new: &NewPost,
    changed: &[&str],
    now: DateTime<Utc>,
) -> Result<()> {
    let scheduled_at = db_time(new.scheduled_at);
    let options = options_json(new)?;
    let codec = new.media.codec.as_ref().map(ToString::to_string);
    let container = new.media.container.as_str();
    let detail = serde_json::json!({ "changed": changed });
    transition_in(
        tx,
        path,
        id,
        EDIT,
        "edited",
        &|_| {
            "account_id = ?3, file = ?4, copied = ?5, file_size = ?6, file_mtime_ns = ?7, \
             file_hash = ?8, container = ?9, duration_ms = ?10, width = ?11, height = ?12, \
             fps = ?13, codec = ?14, caption = ?15, mode = ?16, options = ?17, \
             scheduled_at = ?18, timezone = ?19, checkpoint = NULL, chunks_done = 0, \
             upload_complete = 0, post_id = NULL, media_id = ?21, \
             due_at = CASE WHEN NOT ?20 THEN ?18 \
             WHEN due_at < scheduled_at THEN MIN(due_at, ?18) ELSE ?1 END"
                .into()
        },
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
            &new.options.mode().as_str(),
            &options,
            &scheduled_at,
            &new.timezone,
            &new.upload_ahead,
            &new.media_id,
        ],
        ("edited", detail),
        now,
    )
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

    /// `posts.options` exactly as a TikTok row holds it (migration 0006's `json_object` and
    /// serde's form agree: this field order, compact).
    const STORED_TIKTOK: &str = "{\"mode\":\"direct\",\"privacy\":\"SELF_ONLY\",\
        \"allow_comments\":true,\"allow_duet\":false,\"allow_stitch\":false,\"cover_at_ms\":10,\
        \"brand_organic\":false,\"branded_content\":false,\"ai_generated\":true}";

    fn stored_options(store: &Store, id: PostId) -> String {
        store
            .conn
            .query_row("SELECT options FROM posts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// The TikTok variant is stored untagged: a row's JSON is what it was before options were
    /// tagged by platform, and reading a row and writing it back leaves it byte for byte.
    #[test]
    fn a_tiktok_rows_options_json_survives_read_and_write_unchanged() {
        let mut store = Store::open_in_memory().unwrap();
        let post = sample_post(now() + chrono::Duration::hours(2));
        let id = store
            .insert_posts(std::slice::from_ref(&post), now())
            .unwrap()[0];
        assert_eq!(stored_options(&store, id), STORED_TIKTOK);

        // A row written by an older postez (a draft, with a field it never had left out):
        // read, then written back unchanged by an edit of another field.
        let old = "{\"mode\":\"draft\",\"privacy\":null,\"allow_comments\":false,\
            \"allow_duet\":false,\"allow_stitch\":false,\"cover_at_ms\":null,\
            \"brand_organic\":false,\"branded_content\":false,\"ai_generated\":false}";
        store
            .conn
            .execute(
                "UPDATE posts SET mode = 'draft', options = ?1 WHERE id = ?2",
                params![old, id],
            )
            .unwrap();
        let read = store.post(id).unwrap();
        assert_eq!(read.options.mode(), Mode::Draft);
        assert_eq!(serde_json::to_string(&read.options).unwrap(), old);
        let again = NewPost {
            caption: "new words".into(),
            options: read.options.clone(),
            ..post.clone()
        };
        store.edit_post(id, &again, &["caption"], now()).unwrap();
        assert_eq!(stored_options(&store, id), old);
        assert_eq!(store.post(id).unwrap().options, read.options);
    }

    /// Options are read in the shape of the row's platform; the `mode` column wins over the
    /// JSON's, and a platform postez does not know is refused rather than guessed.
    #[test]
    fn options_are_read_by_the_rows_platform() {
        let read = PostOptions::from_stored(Platform::TikTok, Mode::Draft, STORED_TIKTOK).unwrap();
        assert_eq!(read.platform(), Platform::TikTok);
        let tiktok = read
            .tiktok()
            .expect("a TikTok row reads as TikTok's options");
        assert_eq!(tiktok.mode, Mode::Draft, "the column's mode");
        assert_eq!(tiktok.privacy, Some(crate::post::Privacy::SelfOnly));
        assert!(tiktok.allow_comments && tiktok.ai_generated);
        // A field missing from an old row reads as its default.
        let sparse = PostOptions::from_stored(Platform::TikTok, Mode::Direct, "{}").unwrap();
        assert_eq!(
            sparse,
            PostOptions::TikTok(crate::provider::tiktok::TikTokOptions::plain(Mode::Direct))
        );

        let mut store = Store::open_in_memory().unwrap();
        let id = store.insert_posts(&[sample_post(now())], now()).unwrap()[0];
        assert_eq!(store.post(id).unwrap().options.platform(), Platform::TikTok);
        store
            .conn
            .execute("UPDATE posts SET platform = 'myspace' WHERE id = ?1", [id])
            .unwrap();
        assert!(store.post(id).is_err());
    }

    /// A post whose options are another platform's would be read back in the wrong shape.
    #[test]
    fn options_must_be_the_posts_platforms() {
        let mut store = Store::open_in_memory().unwrap();
        let post = NewPost {
            platform: "youtube".into(),
            ..sample_post(now())
        };
        let err = store.insert_posts(&[post], now()).unwrap_err();
        assert!(matches!(err, Error::Internal(_)), "{err:?}");
        assert_eq!(store.count_posts().unwrap(), 0);
    }

    #[test]
    fn cancel_and_retry_respect_states() {
        let mut store = Store::open_in_memory().unwrap();
        let ids = store.insert_posts(&[sample_post(now())], now()).unwrap();
        let id = ids[0];
        assert!(matches!(
            store.retry(id, now(), now(), now()),
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
        let back = store.retry(id, now(), now(), now()).unwrap();
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
        assert_eq!(total, Matched::Exactly(2));
        let all = ListFilter {
            all: true,
            limit: 1,
            ..ListFilter::default()
        };
        let (posts, total) = store.list(&all).unwrap();
        assert_eq!((posts.len(), total), (1, Matched::Exactly(3)));
    }

    /// Every list filter's page is read from an index in publishing order (no sort of all the
    /// matches, no table scan) and its count stops at the cap: a structural check, no timer.
    #[test]
    fn list_pages_follow_an_index_and_count_to_a_cap() {
        let mut store = Store::open_in_memory().unwrap();
        if store.is_shared() {
            return; // SQLite's query plans; PostgreSQL's planner picks its own.
        }
        let t0 = now() + chrono::Duration::hours(1);
        let posts: Vec<_> = (0..COUNT_CAP as i64 + 5)
            .map(|i| sample_post(t0 + chrono::Duration::minutes(i)))
            .collect();
        store.insert_posts(&posts, now()).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO accounts (id, platform, remote_id, created_at, updated_at) \
                 VALUES (7, 'tiktok', 'open-7', 'x', 'x'); \
                 UPDATE posts SET account_id = 7 WHERE id % 2 = 0; \
                 UPDATE posts SET state = 'failed' WHERE id % 3 = 0; \
                 UPDATE posts SET state = 'published' WHERE id % 5 = 0; \
                 UPDATE posts SET state = 'publishing' WHERE id = 4;",
            )
            .unwrap();
        let plan = |sql: &str| -> String {
            let sql = sql.replace("?1", "7");
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let filter = |states: &[PostState], account_id, all| ListFilter {
            states: states.to_vec(),
            account_id,
            all,
            limit: 10,
        };
        let filters = [
            filter(&[], None, false),
            filter(&[], None, true),
            filter(&[PostState::Failed], None, false),
            filter(&[PostState::Failed, PostState::Scheduled], None, false),
            filter(&[], Some(7), false),
            filter(&[], Some(7), true),
            filter(&[PostState::Published], Some(7), false),
        ];
        for f in &filters {
            let page = plan(&page_sql(f));
            let index = if f.account_id.is_some() {
                "posts_by_account"
            } else {
                "posts_due"
            };
            assert!(
                page.contains(&format!("USING INDEX {index}")),
                "{f:?}: {page}"
            );
            assert!(!page.contains("TEMP B-TREE"), "{f:?}: {page}");
            assert!(!page.contains("SCAN p"), "{f:?}: {page}");
            // And running it sorts nothing and steps through no full scan.
            let lite = store.conn.sqlite().unwrap();
            let mut stmt = lite.prepare(&page_sql(f)).unwrap();
            let params: Vec<i64> = f.account_id.into_iter().collect();
            let ids: Vec<PostId> = stmt
                .query_map(rusqlite::params_from_iter(&params), |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(ids.len(), 10, "{f:?}");
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::Sort), 0, "{f:?}");
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::FullscanStep),
                0,
                "{f:?}"
            );
            let count = plan(&count_sql(f, COUNT_CAP));
            assert!(count.contains("COVERING INDEX"), "{f:?}: {count}");
            assert!(!count.contains("SCAN p"), "{f:?}: {count}");
            // The page is the start of the same posts in the same order as a full sort gives.
            let (listed, matched) = store.list(f).unwrap();
            let mut want = store
                .list(&ListFilter {
                    limit: 0,
                    ..f.clone()
                })
                .unwrap()
                .0;
            want.sort_by_key(|p| (p.scheduled_at, p.id));
            let want: Vec<_> = want.iter().take(10).map(|p| p.id).collect();
            assert_eq!(
                listed.iter().map(|p| p.id).collect::<Vec<_>>(),
                want,
                "{f:?}"
            );
            assert!(matched.exceeds(10), "{f:?}: {matched}");
        }
        // Counting stops at the cap: 1005 posts in every state, 1000+ said.
        let (_, matched) = store.list(&filters[1]).unwrap();
        assert_eq!(matched, Matched::AtLeast(COUNT_CAP));
        assert_eq!(matched.to_string(), "1000+");
        // Below the cap the count is exact: the account has 100 published posts (every 10th).
        let (_, matched) = store.list(&filters[6]).unwrap();
        assert_eq!(matched, Matched::Exactly(100));
        // A state named twice is listed once.
        let twice = filter(&[PostState::Failed, PostState::Failed], None, false);
        let (listed, _) = store.list(&ListFilter { limit: 0, ..twice }).unwrap();
        assert_eq!(listed.len(), 335 - 67); // multiples of 3, less those of 15 (published)
        assert_eq!(store.count_posts().unwrap(), COUNT_CAP + 5);
    }
}
