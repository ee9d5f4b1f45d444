//! The record of `postez run` invocations: when each started and ended, and what it did.

use super::db::{DbResult, OptionalExtension, params};
use chrono::{DateTime, Utc};

use crate::error::Result;

use super::{Store, db_time, opt_time, parse_time};

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

impl Store {
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
        rows.collect::<DbResult<Vec<_>>>().map_err(self.err())
    }

    /// Record that a run started; returns its id.
    pub fn run_started(&mut self, at: DateTime<Utc>) -> Result<i64> {
        self.conn
            .query_row(
                "INSERT INTO runs (started_at, pid) VALUES (?1, ?2) RETURNING id",
                params![db_time(at), std::process::id()],
                |r| r.get(0),
            )
            .map_err(self.err())
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
