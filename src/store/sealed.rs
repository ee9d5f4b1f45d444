//! The shared queue's sealed secrets (issue 14): the rows of `secrets` and the one row of
//! `team_key`, as bytes. What the bytes mean (the team key, the cipher) is `secrets`'s; this
//! file only stores them, and holds a login's row lock while its refresh is under way.

use std::path::PathBuf;
use std::time::Duration;

use super::db::{OptionalExtension as _, params};
use super::{Store, db_err};
use crate::error::Result;

/// PostgreSQL's SQLSTATE for a lock not granted within `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// The `team_key` row: the check value sealed with the team key, Argon2id's salt, and where the
/// key comes from (`passphrase` or `key_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamKeyRow {
    /// A known value sealed with the team key.
    pub check_sealed: Vec<u8>,
    /// Argon2id's salt (also kept when the key comes from a file, unused then).
    pub salt: Vec<u8>,
    /// `passphrase` or `key_file`.
    pub source: String,
}

impl Store {
    /// The sealed secret `name`, if there is one.
    pub fn sealed_secret(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT sealed FROM secrets WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// Stores `sealed` as the secret `name`, replacing any previous one.
    pub fn save_sealed(&self, name: &str, sealed: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO secrets (name, sealed, updated_at) VALUES (?1, ?2, clock_timestamp()) \
                 ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, \
                 updated_at = clock_timestamp()",
                params![name, sealed],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Removes the secret `name`; `true` if it was there.
    pub fn delete_sealed(&self, name: &str) -> Result<bool> {
        self.conn
            .execute("DELETE FROM secrets WHERE name = ?1", params![name])
            .map(|n| n > 0)
            .map_err(self.err())
    }

    /// The names of every stored secret (`tiktok:<open_id>`, `tiktok:client_secret`…).
    pub fn sealed_names(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM secrets ORDER BY name")
            .map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(self.err())
    }

    /// The `team_key` row, or `None` before the first secret is saved.
    pub fn team_key_row(&self) -> Result<Option<TeamKeyRow>> {
        self.conn
            .query_row("SELECT check_sealed, salt, source FROM team_key", [], |r| {
                Ok(TeamKeyRow {
                    check_sealed: r.get(0)?,
                    salt: r.get(1)?,
                    source: r.get(2)?,
                })
            })
            .optional()
            .map_err(self.err())
    }

    /// Records `row` unless a row is already there (two machines saving their first login at
    /// once: the first one wins, and both read back the one that is kept).
    pub fn init_team_key(&self, row: &TeamKeyRow) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO team_key (one, check_sealed, salt, source) VALUES (true, ?1, ?2, ?3) \
                 ON CONFLICT (one) DO NOTHING",
                params![row.check_sealed, row.salt, row.source],
            )
            .map(drop)
            .map_err(self.err())
    }
}

/// A login's `secrets` row, locked (`SELECT … FOR UPDATE`) on a connection of its own until
/// [`HeldSecret::commit`], or until it is dropped (rolled back). Nothing else is locked: no
/// other row, and not the writer lock user commands take.
pub struct HeldSecret {
    store: Store,
    name: String,
    sealed: Option<Vec<u8>>,
    done: bool,
}

impl std::fmt::Debug for HeldSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldSecret")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl HeldSecret {
    /// Connects to `url` and locks the row of `name`, waiting at most `wait` for another
    /// machine's hold: `None` when it is still held then.
    pub fn take(url: &str, name: &str, wait: Duration) -> Result<Option<Self>> {
        let store = Store::connect(url)?;
        let path = store.path.clone();
        let map = db_err(&path);
        store.conn.execute_batch("BEGIN").map_err(map)?;
        let mut held = Self {
            store,
            name: name.to_owned(),
            sealed: None,
            done: false,
        };
        // A whole number of milliseconds, at least one (0 would mean "wait forever").
        let ms = wait.as_millis().clamp(1, i64::MAX as u128);
        let conn = &held.store.conn;
        conn.execute_batch(&format!("SET LOCAL lock_timeout = {ms}"))
            .map_err(map)?;
        let row = conn
            .query_row(
                "SELECT sealed FROM secrets WHERE name = ?1 FOR UPDATE",
                params![name],
                |r| r.get(0),
            )
            .optional();
        match row {
            Ok(sealed) => {
                held.sealed = sealed;
                Ok(Some(held))
            }
            Err(e) if e.sqlstate() == Some(LOCK_NOT_AVAILABLE) => Ok(None),
            Err(e) => Err(map(e)),
        }
    }

    /// The sealed secret as it was when the lock was granted (another machine's refresh is
    /// committed by then).
    pub fn sealed(&self) -> Option<&[u8]> {
        self.sealed.as_deref()
    }

    /// Replaces the held secret; durable at [`HeldSecret::commit`].
    pub fn replace(&mut self, sealed: &[u8]) -> Result<()> {
        self.store.save_sealed(&self.name, sealed)?;
        self.sealed = Some(sealed.to_vec());
        Ok(())
    }

    /// Makes the replacement durable and releases the lock.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let map = db_err(&self.store.path);
        self.store.conn.execute_batch("COMMIT").map_err(map)
    }

    /// Where the lock is held, for messages (the URL without its password).
    pub fn place(&self) -> PathBuf {
        self.store.path.clone()
    }
}

impl Drop for HeldSecret {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to report: the error that left it uncommitted is already on its way, and
            // closing the connection rolls back anyway.
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}
