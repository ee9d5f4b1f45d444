//! The only module that runs SQL. It owns the SQLite queue: opening it (WAL, busy timeout, private
//! file), the append-only migrations, and typed methods for posts, their history and accounts.
//! Every multi-row change is one transaction, so a failed command never leaves half-written rows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::media::{Container, Fingerprint, MediaInfo, VideoCodec};
use crate::post::{Event, Mode, NewPost, Options, Post, PostId, PostState, Privacy};

/// Migrations, applied in order and counted by `PRAGMA user_version`.
/// Append only: never edit or remove a line above, user_version counts them.
const MIGRATIONS: &[&str] = &[
    include_str!("store/migrations/0001_init.sql"),
    include_str!("store/migrations/0002_runs.sql"),
];

/// How long a writer waits for another process's transaction (cron runs overlap).
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Largest write-ahead log [`Store::checkpoint_lazily`] leaves behind: about 30 idle runs.
const LAZY_WAL_MAX: u64 = 256 * 1024;

/// Format an instant the way the database stores it: RFC 3339, UTC, whole seconds.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn opt_time(text: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_time).transpose()
}

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

/// A connected account as stored: profile data only.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// `tiktok`.
    pub platform: String,
    /// The platform's user id (TikTok open_id).
    pub remote_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Username (creator_username).
    pub username: Option<String>,
    /// Nickname shown on posts (creator_nickname).
    pub nickname: Option<String>,
    /// `ok`, `needs_reconnect` or `disconnected`.
    pub state: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Where the tokens are kept (`keychain` or `file`).
    pub token_store: Option<String>,
    /// When the access token expires.
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When the refresh token expires.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// The last `creator_info` answer, as JSON.
    pub creator_info: Option<serde_json::Value>,
}

/// Profile data saved when an account connects (never tokens).
#[derive(Debug, Clone, Default)]
pub struct AccountProfile {
    /// `tiktok`.
    pub platform: String,
    /// open_id.
    pub remote_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// creator_username.
    pub username: Option<String>,
    /// creator_nickname.
    pub nickname: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// `keychain` or `file`.
    pub token_store: String,
    /// Access token expiry.
    pub access_expires_at: DateTime<Utc>,
    /// Refresh token expiry.
    pub refresh_expires_at: DateTime<Utc>,
    /// creator_info as JSON.
    pub creator_info: Option<serde_json::Value>,
}

impl Account {
    /// The account as JSON (the contract of `accounts --json` and `export`); never a token.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "platform": self.platform,
            "open_id": self.remote_id,
            "display_name": self.display_name,
            "username": self.username,
            "nickname": self.nickname,
            "scopes": self.scopes,
            "token_store": self.token_store,
            "access_expires_at": self.access_expires_at.map(db_time),
            "refresh_expires_at": self.refresh_expires_at.map(db_time),
            "state": self.state,
            "privacy_options": self
                .creator_info
                .as_ref()
                .and_then(|c| c.get("privacy_level_options").cloned()),
        })
    }

    /// The name used in listings and `--account`.
    pub fn label(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.display_name.clone())
            .unwrap_or_else(|| self.remote_id.clone())
    }
}

/// Where an upload stands, as saved before and during it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadState {
    /// TikTok's publish id.
    pub publish_id: Option<String>,
    /// The upload URL (a credential of sorts: never logged or exported).
    pub upload_url: Option<String>,
    /// When the upload URL stops working.
    pub upload_expires_at: Option<DateTime<Utc>>,
    /// Chunk size of the plan sent at init.
    pub chunk_size: Option<u64>,
    /// Chunks TikTok acknowledged.
    pub chunks_done: u64,
    /// The last chunk was acknowledged (201): only the status remains to learn.
    pub upload_complete: bool,
}

/// How a publishing attempt ended, for [`Store::settle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// Live: `published`, with the public post id if TikTok gave one.
    Published(Option<String>),
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
    /// Temporary trouble: back to `scheduled` with one more attempt counted.
    RetryAt {
        /// Earliest next try.
        at: DateTime<Utc>,
        /// Why.
        message: String,
        /// Whether the saved upload must be dropped (a new init is needed).
        reset_upload: bool,
    },
    /// Not attempted (no usable login, creator blocked, interrupted before init): back to
    /// `scheduled` as it was, without counting an attempt.
    Release {
        /// Why.
        message: String,
    },
}

/// One recorded `postez run`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Row id.
    pub id: i64,
    /// When it started (wall clock).
    pub started_at: DateTime<Utc>,
    /// When it ended, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// Posts it found due.
    pub due: u32,
    /// Posts it published or sent to the inbox.
    pub published: u32,
    /// Posts that failed for good.
    pub failed: u32,
    /// Its exit code, once finished.
    pub exit_code: Option<i32>,
}

/// The SQLite queue.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const POST_COLUMNS: &str = "p.id, p.state, p.phase, p.platform, p.account_id, \
    COALESCE(a.username, a.display_name, a.remote_id), p.file, p.copied, p.file_size, \
    p.file_mtime_ns, p.file_hash, p.container, p.duration_ms, p.width, p.height, p.fps, p.codec, \
    p.caption, p.mode, p.privacy, p.allow_comments, p.allow_duet, p.allow_stitch, p.cover_at_ms, \
    p.brand_organic, p.branded_content, p.ai_generated, p.scheduled_at, p.timezone, p.attempts, \
    p.next_attempt_at, p.last_error, p.last_error_code, p.last_error_hint, p.publish_id, \
    p.post_id, p.created_at, p.updated_at";

const POST_FROM: &str = "posts p LEFT JOIN accounts a ON a.id = p.account_id";

fn text_enum<T: std::str::FromStr>(idx: usize, text: String) -> rusqlite::Result<T> {
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unexpected value `{text}`").into(),
        )
    })
}

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

const ACCOUNT_COLUMNS: &str = "id, platform, remote_id, display_name, username, nickname, state, \
    scopes, token_store, access_expires_at, refresh_expires_at, creator_info";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let scopes: String = row.get(7)?;
    let creator: Option<String> = row.get(11)?;
    Ok(Account {
        id: row.get(0)?,
        platform: row.get(1)?,
        remote_id: row.get(2)?,
        display_name: row.get(3)?,
        username: row.get(4)?,
        nickname: row.get(5)?,
        state: row.get(6)?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        token_store: row.get(8)?,
        access_expires_at: opt_time(row.get(9)?)?,
        refresh_expires_at: opt_time(row.get(10)?)?,
        creator_info: creator.and_then(|c| serde_json::from_str(&c).ok()),
    })
}

/// Insert one event row; used inside the callers' transactions.
fn insert_event(
    conn: &Connection,
    post: PostId,
    at: DateTime<Utc>,
    kind: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO events (post_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![post, db_time(at), kind, detail.to_string()],
    )?;
    Ok(())
}

impl Store {
    /// Open (creating if needed) the queue at `path`, and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|source| Error::Store {
            path: path.to_path_buf(),
            source,
        })?;
        if !existed {
            crate::env::make_private(path)?;
        }
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store.setup(true)?;
        Ok(store)
    }

    /// A throwaway queue for unit tests.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(|source| Error::Store {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        let mut store = Self {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.setup(false)?;
        Ok(store)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leave the write-ahead log as it is when this connection closes, instead of SQLite's
    /// checkpoint on close (copying the log into the database file: several fsyncs, most of
    /// an idle run's time), while the log is small: the next process to open the queue reads
    /// it back whole, so past [`LAZY_WAL_MAX`] the close checkpoints as usual. Only for
    /// connections whose writes may wait for a later checkpoint: they are in the log, safe
    /// from a crash, and seen by every connection.
    pub fn checkpoint_lazily(&self) -> Result<()> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).map_or(0, |m| m.len()) < LAZY_WAL_MAX {
            self.conn
                .set_db_config(
                    rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                    true,
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        move |source| Error::Store {
            path: self.path.clone(),
            source,
        }
    }

    fn setup(&mut self, wal: bool) -> Result<()> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(map)?;
        if wal {
            // WAL lets `list` read while `run` writes; NORMAL sync is durable enough in WAL mode.
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(map)?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "SQLite refused WAL mode");
            }
            self.conn
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(map)?;
        }
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(map)?;
        self.migrate()
    }

    /// Apply the migrations that are missing, all in one exclusive transaction.
    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(map)?;
        if version > MIGRATIONS.len() {
            return Err(Error::config(
                format!(
                    "the queue database `{}` was written by a newer postez (schema {version})",
                    path.display()
                ),
                Some("upgrade postez".into()),
            ));
        }
        if version == MIGRATIONS.len() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(map)?;
        // Re-read inside the lock: another process may have migrated meanwhile.
        let version: usize = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(map)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql).map_err(map)?;
            tx.pragma_update(None, "user_version", i + 1).map_err(map)?;
        }
        tx.commit().map_err(map)
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<usize> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Insert posts, each with its `scheduled` event, all or none.
    pub fn insert_posts(&mut self, posts: &[NewPost], now: DateTime<Utc>) -> Result<Vec<PostId>> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
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

    /// Change a post's state (and optionally fields) if it is currently in one of `from`,
    /// recording `event`. Returns `WrongState` when another process got there first.
    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        id: PostId,
        from: &[PostState],
        action: &'static str,
        set_sql: &str,
        set_params: &[&dyn rusqlite::ToSql],
        event: (&str, serde_json::Value),
        now: DateTime<Utc>,
    ) -> Result<Post> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
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
        if !from.contains(&state) {
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
        let sql = format!("UPDATE posts SET {set_sql}, updated_at = ?1 WHERE id = ?2");
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
            PostState::EDITABLE,
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
            &[PostState::Scheduled, PostState::Failed],
            "cancelled",
            "state = 'cancelled', phase = NULL",
            &[],
            ("cancelled", serde_json::json!({})),
            now,
        )
    }

    /// Put a failed post back in the queue for `at`, with a fresh attempt count.
    pub fn retry(&mut self, id: PostId, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Post> {
        let at_text = db_time(at);
        self.transition(
            id,
            &[PostState::Failed],
            "retried",
            "state = 'scheduled', phase = NULL, attempts = 0, next_attempt_at = NULL, \
             last_error = NULL, last_error_code = NULL, last_error_hint = NULL, \
             publish_id = NULL, upload_url = NULL, upload_expires_at = NULL, chunk_size = NULL, \
             chunks_done = 0, upload_complete = 0, scheduled_at = ?3",
            &[&at_text],
            ("retried", serde_json::json!({ "scheduled_at": at_text })),
            now,
        )
    }

    /// All accounts, oldest first.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
            ))
            .map_err(self.err())?;
        let rows = stmt.query_map([], account_from_row).map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }
}

impl Store {
    /// One account by row id.
    pub fn account(&self, id: i64) -> Result<Option<Account>> {
        self.conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                [id],
                account_from_row,
            )
            .optional()
            .map_err(self.err())
    }

    /// Insert or refresh an account after a login; its state becomes `ok`.
    pub fn upsert_account(&mut self, p: &AccountProfile, now: DateTime<Utc>) -> Result<Account> {
        let stamp = db_time(now);
        let id: i64 = self
            .conn
            .query_row(
                "INSERT INTO accounts (platform, remote_id, display_name, username, nickname, \
                 avatar_url, scopes, token_store, access_expires_at, refresh_expires_at, \
                 creator_info, state, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'ok', ?12, ?12) \
                 ON CONFLICT (platform, remote_id) DO UPDATE SET display_name = ?3, \
                 username = COALESCE(?4, username), nickname = COALESCE(?5, nickname), \
                 avatar_url = ?6, scopes = ?7, token_store = ?8, access_expires_at = ?9, \
                 refresh_expires_at = ?10, creator_info = COALESCE(?11, creator_info), \
                 state = 'ok', updated_at = ?12 RETURNING id",
                params![
                    p.platform,
                    p.remote_id,
                    p.display_name,
                    p.username,
                    p.nickname,
                    p.avatar_url,
                    p.scopes.join(","),
                    p.token_store,
                    db_time(p.access_expires_at),
                    db_time(p.refresh_expires_at),
                    p.creator_info.as_ref().map(ToString::to_string),
                    stamp,
                ],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        self.account(id)?.ok_or(Error::NotConnected {
            platform: p.platform.clone(),
        })
    }

    /// Record new token expiry times after a refresh.
    pub fn set_account_expiry(
        &mut self,
        id: i64,
        access: DateTime<Utc>,
        refresh: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET access_expires_at = ?2, refresh_expires_at = ?3, \
                 updated_at = ?4 WHERE id = ?1",
                params![id, db_time(access), db_time(refresh), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Set an account's state (`ok`, `needs_reconnect`, `disconnected`).
    pub fn set_account_state(&mut self, id: i64, state: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, state, db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Save the latest `creator_info` (and the names in it).
    pub fn set_creator_info(
        &mut self,
        id: i64,
        info: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET creator_info = ?2, \
                 username = COALESCE(json_extract(?2, '$.creator_username'), username), \
                 nickname = COALESCE(json_extract(?2, '$.creator_nickname'), nickname), \
                 updated_at = ?3 WHERE id = ?1",
                params![id, info.to_string(), db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// How many posts still waiting would publish with this account.
    pub fn queued_for_account(&self, id: i64, only_account: bool) -> Result<usize> {
        // Posts without an account publish with the platform's only account.
        let sql = if only_account {
            "SELECT COUNT(*) FROM posts WHERE (account_id = ?1 OR account_id IS NULL) \
             AND state IN ('scheduled', 'publishing', 'failed')"
        } else {
            "SELECT COUNT(*) FROM posts WHERE account_id = ?1 \
             AND state IN ('scheduled', 'publishing', 'failed')"
        };
        self.conn
            .query_row(sql, [id], |r| r.get(0))
            .map_err(self.err())
    }
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
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let ids: Vec<PostId> = {
            let mut stmt = tx
                .prepare(
                    "UPDATE posts SET state = 'failed', phase = NULL, last_error_code = 'missed', \
                     last_error = 'its time passed while no run was publishing', \
                     last_error_hint = 'queue it again with `postez retry ' || id || '`', \
                     updated_at = ?2 WHERE state = 'scheduled' AND scheduled_at < ?1 \
                     AND MAX(scheduled_at, COALESCE(next_attempt_at, scheduled_at)) < ?1 RETURNING id",
                )
                .map_err(map)?;
            let rows = stmt
                .query_map(params![cutoff, db_time(now)], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<rusqlite::Result<_>>().map_err(map)?
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
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Due posts, without claiming them (`--dry-run`).
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<PostId>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id FROM posts WHERE state = 'scheduled' AND scheduled_at <= ?1 \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY scheduled_at, id",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([db_time(now)], |r| r.get(0))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Atomically move every due post to `publishing` and return them.
    pub fn claim_due(&mut self, now: DateTime<Utc>, run: i64) -> Result<Vec<PostId>> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let stamp = db_time(now);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let ids: Vec<PostId> = {
            let mut stmt = tx
                .prepare(
                    "UPDATE posts SET state = 'publishing', phase = 'claimed', claimed_by = ?2, \
                     claimed_at = ?1, updated_at = ?1 WHERE state = 'scheduled' \
                     AND scheduled_at <= ?1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
                     RETURNING id",
                )
                .map_err(map)?;
            let rows = stmt
                .query_map(params![stamp, run.to_string()], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<rusqlite::Result<_>>().map_err(map)?
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
                "SELECT publish_id, upload_url, upload_expires_at, chunk_size, chunks_done, \
                 upload_complete FROM posts WHERE id = ?1",
                [id],
                |r| {
                    Ok(UploadState {
                        publish_id: r.get(0)?,
                        upload_url: r.get(1)?,
                        upload_expires_at: opt_time(r.get(2)?)?,
                        chunk_size: r.get(3)?,
                        chunks_done: r.get(4)?,
                        upload_complete: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(self.err())?
            .ok_or(Error::NoSuchPost { id })
    }

    /// Save a fresh init: this commit happens before the first byte is uploaded.
    pub fn save_init(
        &mut self,
        id: PostId,
        publish_id: &str,
        upload_url: &str,
        expires_at: DateTime<Utc>,
        chunk_size: u64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        tx.execute(
            "UPDATE posts SET phase = 'uploading', publish_id = ?2, upload_url = ?3, \
             upload_expires_at = ?4, chunk_size = ?5, chunks_done = 0, upload_complete = 0, \
             updated_at = ?6 WHERE id = ?1 AND state = 'publishing'",
            params![
                id,
                publish_id,
                upload_url,
                db_time(expires_at),
                chunk_size,
                db_time(now)
            ],
        )
        .map_err(map)?;
        insert_event(
            &tx,
            id,
            now,
            "init",
            &serde_json::json!({ "publish_id": publish_id }),
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
        self.conn
            .execute(
                "UPDATE posts SET chunks_done = ?2, upload_complete = ?3, \
                 phase = CASE WHEN ?3 THEN 'processing' ELSE 'uploading' END, updated_at = ?4 \
                 WHERE id = ?1",
                params![id, chunks_done, complete, db_time(now)],
            )
            .map_err(self.err())?;
        Ok(())
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

    /// End a publishing attempt (see [`Settle`]). Only touches posts still `publishing`.
    pub fn settle(&mut self, id: PostId, how: &Settle, now: DateTime<Utc>) -> Result<()> {
        let stamp = db_time(now);
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let (kind, detail) = match how {
            Settle::Published(post_id) => {
                tx.execute(
                    "UPDATE posts SET state = 'published', phase = NULL, post_id = ?2, \
                     upload_url = NULL, last_error = NULL, last_error_code = NULL, \
                     last_error_hint = NULL, updated_at = ?3 WHERE id = ?1 AND state = 'publishing'",
                    params![id, post_id, stamp],
                )
                .map_err(map)?;
                ("published", serde_json::json!({ "post_id": post_id }))
            }
            Settle::SentToInbox => {
                tx.execute(
                    "UPDATE posts SET state = 'sent_to_inbox', phase = NULL, upload_url = NULL, \
                     last_error = NULL, last_error_code = NULL, last_error_hint = NULL, \
                     updated_at = ?2 WHERE id = ?1 AND state = 'publishing'",
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
                    "UPDATE posts SET state = 'failed', phase = NULL, upload_url = NULL, \
                     last_error = ?2, last_error_code = ?3, last_error_hint = ?4, updated_at = ?5 \
                     WHERE id = ?1 AND state = 'publishing'",
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
                    "UPDATE posts SET state = 'scheduled', phase = NULL, attempts = attempts + 1, \
                     next_attempt_at = ?2, last_error = ?3, last_error_code = NULL, \
                     last_error_hint = NULL, updated_at = ?4 WHERE id = ?1 AND state = 'publishing'",
                    params![id, db_time(*at), message, stamp],
                )
                .map_err(map)?;
                if *reset_upload {
                    tx.execute(
                        "UPDATE posts SET publish_id = NULL, upload_url = NULL, \
                         upload_expires_at = NULL, chunk_size = NULL, chunks_done = 0, \
                         upload_complete = 0 WHERE id = ?1",
                        [id],
                    )
                    .map_err(map)?;
                }
                (
                    "retry",
                    serde_json::json!({ "next_attempt_at": db_time(*at), "message": message }),
                )
            }
            Settle::Release { message } => {
                tx.execute(
                    "UPDATE posts SET state = 'scheduled', phase = NULL, updated_at = ?2 \
                     WHERE id = ?1 AND state = 'publishing'",
                    params![id, stamp],
                )
                .map_err(map)?;
                ("released", serde_json::json!({ "message": message }))
            }
        };
        insert_event(&tx, id, now, kind, &detail).map_err(map)?;
        tx.commit().map_err(map)
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

    /// Every recorded run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, started_at, finished_at, due, published, failed, exit_code \
                 FROM runs ORDER BY id",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RunRecord {
                    id: r.get(0)?,
                    started_at: parse_time(&r.get::<_, String>(1)?)?,
                    finished_at: opt_time(r.get(2)?)?,
                    due: r.get(3)?,
                    published: r.get(4)?,
                    failed: r.get(5)?,
                    exit_code: r.get(6)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())
    }

    /// `PRAGMA quick_check`: `ok`, or what is wrong.
    pub fn quick_check(&self) -> Result<String> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.err())?;
        let lines = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        Ok(lines.join("; "))
    }

    /// Delete an account and the posts that would publish with it (with their history).
    /// Returns how many posts went, and the files among them that were postez's private copies.
    pub fn delete_account(
        &mut self,
        id: i64,
        with_unassigned: bool,
    ) -> Result<(usize, Vec<String>)> {
        let path = self.path.clone();
        let map = |source| Error::Store {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(map)?;
        let filter = if with_unassigned {
            "account_id = ?1 OR account_id IS NULL"
        } else {
            "account_id = ?1"
        };
        let copies: Vec<String> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT file FROM posts WHERE copied = 1 AND ({filter})"
                ))
                .map_err(map)?;
            let rows = stmt.query_map([id], |r| r.get(0)).map_err(map)?;
            rows.collect::<rusqlite::Result<_>>().map_err(map)?
        };
        tx.execute(
            &format!("DELETE FROM events WHERE post_id IN (SELECT id FROM posts WHERE {filter})"),
            [id],
        )
        .map_err(map)?;
        let posts = tx
            .execute(&format!("DELETE FROM posts WHERE {filter}"), [id])
            .map_err(map)?;
        tx.execute("DELETE FROM accounts WHERE id = ?1", [id])
            .map_err(map)?;
        tx.commit().map_err(map)?;
        // Give the freed pages back, so deleted text does not linger in the file.
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
            .map_err(self.err())?;
        Ok((posts, copies))
    }

    /// Record that a run started; returns its id.
    pub fn run_started(&mut self, at: DateTime<Utc>) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, pid) VALUES (?1, ?2)",
                params![db_time(at), std::process::id()],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record how a run ended. Old rows beyond the last 1000 are dropped.
    #[allow(clippy::too_many_arguments)]
    pub fn run_finished(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
        due: u32,
        published: u32,
        failed: u32,
        retrying: u32,
        exit_code: i32,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE runs SET finished_at = ?2, due = ?3, published = ?4, failed = ?5, \
                 retrying = ?6, exit_code = ?7 WHERE id = ?1",
                params![id, db_time(at), due, published, failed, retrying, exit_code],
            )
            .map_err(self.err())?;
        self.conn
            .execute(
                "DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - 1000",
                [],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// The most recent run, if any.
    pub fn last_run(&self) -> Result<Option<RunRecord>> {
        self.conn
            .query_row(
                "SELECT id, started_at, finished_at, due, published, failed, exit_code \
                 FROM runs ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(RunRecord {
                        id: r.get(0)?,
                        started_at: parse_time(&r.get::<_, String>(1)?)?,
                        finished_at: opt_time(r.get(2)?)?,
                        due: r.get(3)?,
                        published: r.get(4)?,
                        failed: r.get(5)?,
                        exit_code: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(self.err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Container;

    pub(crate) fn sample_post(at: DateTime<Utc>) -> NewPost {
        NewPost {
            platform: "tiktok".into(),
            account_id: None,
            file: "/videos/clip.mp4".into(),
            copied: false,
            media: MediaInfo {
                container: Container::Mp4,
                size: 1000,
                duration_ms: Some(2000),
                width: Some(360),
                height: Some(640),
                fps: Some(30.0),
                codec: Some(VideoCodec::H264),
            },
            fingerprint: Fingerprint {
                size: 1000,
                mtime_ns: 1,
                sample_sha256: "ab".into(),
            },
            caption: "hello #x".into(),
            options: Options {
                mode: Mode::Direct,
                privacy: Some(Privacy::SelfOnly),
                allow_comments: true,
                allow_duet: false,
                allow_stitch: false,
                cover_at_ms: Some(10),
                brand_organic: false,
                branded_content: false,
                ai_generated: true,
            },
            scheduled_at: at,
            timezone: "Europe/Berlin".into(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn migrations_apply_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        drop(store);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        // And the running migration code is idempotent on an up-to-date database.
        store.migrate().unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer postez"), "{err}");
    }

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

    #[test]
    fn due_and_queue_queries_use_indexes() {
        let store = Store::open_in_memory().unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
        };
        let due = plan("SELECT id FROM posts WHERE state = 'scheduled' AND scheduled_at <= 'x'");
        assert!(due.contains("posts_due"), "{due}");
        let page = plan("SELECT id FROM posts ORDER BY scheduled_at, id LIMIT 50");
        assert!(page.contains("posts_queue"), "{page}");
    }
}
