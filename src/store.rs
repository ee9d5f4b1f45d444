//! The only module that runs SQL. It owns the SQLite queue: opening it (WAL, busy timeout, private
//! file), the append-only migrations, and typed methods for posts, their history and accounts.
//! Every multi-row change is one transaction, so a failed command never leaves half-written rows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use db::{Conn, DbError, DbResult, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::post::PostId;

mod accounts;
mod copy;
pub mod db;
mod holds;
mod media;
mod posts;
mod publishing;
mod runs;
mod sealed;
mod shared;
mod team;
mod transitions;

pub use accounts::{Account, AccountProfile, AccountState, display_name};
pub use copy::Copied;
pub use holds::{AppliesTo, Hold};
pub use posts::{COUNT_CAP, ListFilter, Matched};
pub use publishing::{Settle, UploadState};
pub use runs::RunRecord;
pub use sealed::{HeldSecret, TeamKeyRow};
pub use shared::{RunnerInfo, StaleLease, host_name, runner_id};

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
    include_str!("store/migrations/0009_shared_media.sql"),
];

/// The shared queue's migrations (PostgreSQL), counted by the `postez_schema` table. Append
/// only, like [`MIGRATIONS`]; the two lists number their own versions.
const PG_MIGRATIONS: &[&str] = &[include_str!("store/migrations/pg/0001_init.sql")];

/// How long `connect` waits for an unreachable PostgreSQL server before saying so.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the queue lives: a SQLite file (the default) or a PostgreSQL server (shared mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The embedded queue.
    File(PathBuf),
    /// A shared queue at this `postgres://` URL.
    Server(String),
}

impl Location {
    /// Where this user's queue is: `POSTEZ_DATABASE_URL`, else the `database_url` setting (both
    /// shared mode), else the SQLite file in the data folder.
    pub fn resolve(
        paths: &crate::env::Paths,
        env: &crate::env::Env,
        config: &crate::config::Config,
    ) -> Result<Self> {
        if let Some(url) = &env.database_url {
            crate::config::check_database_url(url.expose(), false)?;
            return Ok(Self::Server(url.expose().to_owned()));
        }
        if let Some(url) = &config.database_url {
            crate::config::check_database_url(url, true)?;
            return Ok(Self::Server(url.clone()));
        }
        Ok(Self::File(paths.database()))
    }

    /// Whether this is a shared queue.
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Server(_))
    }

    /// How errors and `doctor` name it: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Server(url) => redact_url(url),
        }
    }
}

/// `POSTEZ_DATABASE_CA`: a PEM file of the CA that signed the shared queue's server
/// certificate, when it is not a public one.
fn ca_file() -> Option<PathBuf> {
    crate::env::Env::from_process().database_ca
}

/// A database URL without its password (errors and output may show the rest).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            // A password may also ride in the query (`?password=`).
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => "the database URL (it does not parse as a URL)".into(),
    }
}

/// How long a writer waits for another process's transaction (cron runs overlap).
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Largest write-ahead log [`Store::checkpoint_lazily`] leaves behind: about 30 idle runs.
const LAZY_WAL_MAX: u64 = 256 * 1024;

/// Format an instant the way the database stores it: RFC 3339, UTC, whole seconds.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(text: &str) -> DbResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbError::conversion(0, e.to_string()))
}

fn opt_time(text: Option<String>) -> DbResult<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_time).transpose()
}

/// The SQLite queue.
pub struct Store {
    conn: Conn,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Turns a SQLite error into [`Error::Store`] for the database at `path`.
fn db_err(path: &Path) -> impl Fn(DbError) -> Error + Copy + '_ {
    move |source| Error::Store {
        path: path.to_path_buf(),
        source,
    }
}

fn text_enum<T: std::str::FromStr>(idx: usize, text: String) -> DbResult<T> {
    text.parse()
        .map_err(|_| DbError::conversion(idx, format!("unexpected value `{text}`")))
}

/// Insert one event row; used inside the callers' transactions.
fn insert_event(
    conn: &Conn,
    post: PostId,
    at: DateTime<Utc>,
    kind: &str,
    detail: &serde_json::Value,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO events (post_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)",
        params![post, db_time(at), kind, detail.to_string()],
    )?;
    Ok(())
}

impl Store {
    /// Open the queue wherever it lives, bringing its schema up to date.
    pub fn open_at(location: &Location) -> Result<Self> {
        match location {
            Location::File(path) => Self::open(path),
            Location::Server(url) => Self::connect(url),
        }
    }

    /// Connect to the shared queue at `url` (PostgreSQL) and bring its schema up to date.
    pub fn connect(url: &str) -> Result<Self> {
        let path = PathBuf::from(redact_url(url));
        let conn = db::PgConn::connect(url, PG_CONNECT_TIMEOUT, ca_file().as_deref()).map_err(
            |source| {
                Error::config(
                    format!(
                        "could not reach the shared queue at `{}`: {source}",
                        path.display()
                    ),
                    Some(
                        "check that the server is up and the address, user and password in \
                     POSTEZ_DATABASE_URL (or the setting `database_url`) are right"
                            .into(),
                    ),
                )
            },
        )?;
        let mut store = Self {
            conn: Conn::Pg(conn),
            path,
        };
        store.migrate_pg()?;
        Ok(store)
    }

    /// Whether this is the shared queue (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.conn, Conn::Pg(_))
    }

    /// Open (creating if needed) the queue at `path`, and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let existed = path.exists();
        let conn = rusqlite::Connection::open(path).map_err(|source| Error::Store {
            path: path.to_path_buf(),
            source: source.into(),
        })?;
        if !existed {
            crate::env::make_private(path)?;
        }
        let mut store = Self {
            conn: Conn::Sqlite(conn),
            path: path.to_path_buf(),
        };
        store.setup(true)?;
        Ok(store)
    }

    /// A throwaway queue for unit tests: in memory, or, when `POSTEZ_STORE_TEST_URL` names a
    /// PostgreSQL server (`tests/run` sets it for the store's second pass), in a schema of its
    /// own there, so the same tests check both engines.
    // Read here, not through `Env`: a unit test's store has no `Env`, and no command calls this.
    #[allow(clippy::disallowed_methods)]
    pub fn open_in_memory() -> Result<Self> {
        if let Ok(url) = std::env::var("POSTEZ_STORE_TEST_URL") {
            let schema = format!("t{}", hex::encode(rand::random::<[u8; 8]>()));
            let admin = Self::connect(&url)?;
            admin
                .conn
                .execute_batch(&format!("CREATE SCHEMA {schema}"))
                .map_err(admin.err())?;
            let sep = if url.contains('?') { '&' } else { '?' };
            return Self::connect(&format!("{url}{sep}options=-c%20search_path%3D{schema}"));
        }
        let conn = rusqlite::Connection::open_in_memory().map_err(|source| Error::Store {
            path: PathBuf::from(":memory:"),
            source: source.into(),
        })?;
        let mut store = Self {
            conn: Conn::Sqlite(conn),
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
        let Some(conn) = self.conn.sqlite() else {
            return Ok(());
        };
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).map_or(0, |m| m.len()) < LAZY_WAL_MAX {
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(|e| self.err()(e.into()))?;
        }
        Ok(())
    }

    fn err(&self) -> impl Fn(DbError) -> Error + '_ {
        db_err(&self.path)
    }

    fn setup(&mut self, wal: bool) -> Result<()> {
        let map = db_err(&self.path);
        let conn = self
            .conn
            .sqlite()
            .ok_or_else(|| Error::Internal("SQLite setup of a PostgreSQL queue".into()))?;
        let lite = |e: rusqlite::Error| map(e.into());
        conn.busy_timeout(BUSY_TIMEOUT).map_err(lite)?;
        if wal {
            // WAL lets `list` read while `run` writes; NORMAL sync is durable enough in WAL mode.
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(lite)?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "SQLite refused WAL mode");
            }
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(lite)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(lite)?;
        self.migrate()
    }

    /// Apply the shared queue's missing migrations. Two machines starting at once: the
    /// transaction takes the writer lock first, so the second waits and then finds the work
    /// done.
    fn migrate_pg(&mut self) -> Result<()> {
        let map = db_err(&self.path);
        let version = self.pg_version()?;
        if version > PG_MIGRATIONS.len() {
            return Err(self.newer(version));
        }
        if version == PG_MIGRATIONS.len() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(map)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS postez_schema (version BIGINT NOT NULL)")
            .map_err(map)?;
        let version: usize = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM postez_schema",
                [],
                |r| r.get(0),
            )
            .map_err(map)?;
        // Re-read under the lock: a newer postez may have migrated meanwhile (never write an
        // older version over its), or one as new as this one.
        if version > PG_MIGRATIONS.len() {
            return Err(self.newer(version));
        }
        if version == PG_MIGRATIONS.len() {
            return Ok(());
        }
        for sql in PG_MIGRATIONS.iter().skip(version) {
            tx.execute_batch(sql).map_err(map)?;
        }
        tx.execute("DELETE FROM postez_schema", []).map_err(map)?;
        tx.execute(
            "INSERT INTO postez_schema (version) VALUES (?1)",
            params![PG_MIGRATIONS.len()],
        )
        .map_err(map)?;
        tx.commit().map_err(map)
    }

    /// The shared queue's schema version; 0 before the first migration.
    fn pg_version(&self) -> Result<usize> {
        let exists: Option<String> = self
            .conn
            .query_row("SELECT to_regclass('postez_schema')::text", [], |r| {
                r.get(0)
            })
            .map_err(self.err())?;
        if exists.is_none() {
            return Ok(0);
        }
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM postez_schema",
                [],
                |r| r.get(0),
            )
            .map_err(self.err())
    }

    fn newer(&self, version: usize) -> Error {
        Error::config(
            format!(
                "the queue database `{}` was written by a newer postez (schema {version})",
                self.path.display()
            ),
            Some("upgrade postez".into()),
        )
    }

    /// Apply the migrations that are missing, all in one exclusive transaction.
    fn migrate(&mut self) -> Result<()> {
        let map = db_err(&self.path);
        let version: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(map)?;
        if version > MIGRATIONS.len() {
            return Err(self.newer(version));
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
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(map)?;
        }
        tx.commit().map_err(map)
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<usize> {
        if self.is_shared() {
            return self.pg_version();
        }
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// `PRAGMA quick_check`: `ok`, or what is wrong.
    pub fn quick_check(&self) -> Result<String> {
        if self.is_shared() {
            // The server checks its own pages; a round trip shows the connection works.
            return self
                .conn
                .query_row("SELECT 'ok'", [], |r| r.get(0))
                .map_err(self.err());
        }
        let mut stmt = self
            .conn
            .prepare("PRAGMA quick_check")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.err())?;
        let lines = rows.collect::<DbResult<Vec<_>>>().map_err(self.err())?;
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
            media_id: None,
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
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer postez"), "{err}");
    }
}
