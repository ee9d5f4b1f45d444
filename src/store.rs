//! The only module that runs SQL. It owns the SQLite queue: opening it (WAL, busy timeout, private
//! file), the append-only migrations, and typed methods for posts, their history and accounts.
//! Every multi-row change is one transaction, so a failed command never leaves half-written rows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::post::PostId;

mod accounts;
mod holds;
mod posts;
mod publishing;
mod runs;
mod transitions;

pub use accounts::{Account, AccountProfile, AccountState, display_name};
pub use holds::{AppliesTo, Hold};
pub use posts::{COUNT_CAP, ListFilter, Matched};
pub use publishing::{Settle, UploadState};
pub use runs::RunRecord;

/// Migrations, applied in order and counted by `PRAGMA user_version`.
/// Append only: never edit or remove a line above, user_version counts them.
const MIGRATIONS: &[&str] = &[
    include_str!("store/migrations/0001_init.sql"),
    include_str!("store/migrations/0002_runs.sql"),
    include_str!("store/migrations/0003_holds.sql"),
    include_str!("store/migrations/0004_posts_by_video.sql"),
    include_str!("store/migrations/0005_list_page.sql"),
    include_str!("store/migrations/0006_json_options.sql"),
    include_str!("store/migrations/0007_upload_ahead.sql"),
    include_str!("store/migrations/0008_groups.sql"),
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

/// Turns a SQLite error into [`Error::Store`] for the database at `path`.
fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + Copy + '_ {
    move |source| Error::Store {
        path: path.to_path_buf(),
        source,
    }
}

fn text_enum<T: std::str::FromStr>(idx: usize, text: String) -> rusqlite::Result<T> {
    text.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unexpected value `{text}`").into(),
        )
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
        db_err(&self.path)
    }

    fn setup(&mut self, wal: bool) -> Result<()> {
        let map = db_err(&self.path);
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
        let map = db_err(&self.path);
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(map)?;
        if version > MIGRATIONS.len() {
            return Err(Error::config(
                format!(
                    "the queue database `{}` was written by a newer postez (schema {version})",
                    self.path.display()
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::{Container, Fingerprint, MediaInfo, VideoCodec};
    use crate::post::{Mode, NewPost, Privacy};
    use crate::provider::tiktok::TikTokOptions;

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
            options: TikTokOptions {
                mode: Mode::Direct,
                privacy: Some(Privacy::SelfOnly),
                allow_comments: true,
                allow_duet: false,
                allow_stitch: false,
                cover_at_ms: Some(10),
                brand_organic: false,
                branded_content: false,
                ai_generated: true,
            }
            .into(),
            scheduled_at: at,
            timezone: "Europe/Berlin".into(),
            upload_ahead: false,
        }
    }

    pub(crate) fn now() -> DateTime<Utc> {
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
}
