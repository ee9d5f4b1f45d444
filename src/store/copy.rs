//! `postez db copy --to`: the embedded queue moved, whole, into an empty shared queue (issue 14).
//! Every row keeps its id (posts are named by id, groups by `gN`), in one transaction on the
//! target, so a failed copy leaves the shared queue empty. Logins are not rows of the queue:
//! the caller moves them through the token stores.

use crate::error::{Error, Result};

use super::db::{DbResult, Value};
use super::{Store, db_err};

/// The queue's tables in an order that satisfies their references, with the columns both
/// engines have (the shared queue's own, such as leases, start empty).
const TABLES: &[(&str, &str)] = &[
    (
        "accounts",
        "id, platform, remote_id, display_name, username, nickname, avatar_url, scopes, \
         token_store, access_expires_at, refresh_expires_at, creator_info, state, created_at, \
         updated_at",
    ),
    ("post_groups", "id, created_at"),
    (
        "posts",
        "id, state, phase, platform, account_id, file, copied, file_size, file_mtime_ns, \
         file_hash, container, duration_ms, width, height, fps, codec, caption, mode, \
         scheduled_at, due_at, timezone, attempts, next_attempt_at, last_error, \
         last_error_code, last_error_hint, chunks_done, upload_complete, post_id, claimed_by, \
         claimed_at, created_at, updated_at, options, checkpoint, group_id",
    ),
    ("events", "id, post_id, at, kind, detail"),
    (
        "runs",
        "id, started_at, finished_at, pid, due, published, failed, retrying, exit_code",
    ),
    (
        "account_holds",
        "account_id, applies_to, until, code, message, hint, since",
    ),
];

/// How many rows of each table a copy moved.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Copied {
    /// Table name and rows, in copy order.
    pub tables: Vec<(String, usize)>,
}

impl Store {
    /// Copy this (embedded) queue into `target`, a shared queue that holds no account and no
    /// post yet. All or nothing.
    pub fn copy_to(&self, target: &mut Store) -> Result<Copied> {
        if self.is_shared() || !target.is_shared() {
            return Err(Error::config(
                "`postez db copy` copies this machine's queue into a shared one",
                Some("run it without POSTEZ_DATABASE_URL set, with --to postgres://…".into()),
            ));
        }
        let existing: i64 = target
            .conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM accounts)",
                [],
                |r| r.get(0),
            )
            .map_err(target.err())?;
        if existing > 0 {
            return Err(Error::config(
                format!(
                    "the shared queue at `{}` is not empty",
                    target.path.display()
                ),
                Some("copy into a new, empty database (each post keeps its id)".into()),
            ));
        }
        let map = db_err(&target.path);
        let tx = target.conn.transaction().map_err(map)?;
        let mut copied = Copied::default();
        for (table, columns) in TABLES {
            let rows = self
                .conn
                .rows(&format!("SELECT {columns} FROM {table}"), Vec::new())
                .map_err(self.err())?;
            let width = columns.split(',').count();
            let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
            let insert = format!(
                "INSERT INTO {table} ({columns}) VALUES ({})",
                marks.join(", ")
            );
            for row in &rows {
                tx.execute(&insert, row.clone()).map_err(map)?;
            }
            copied.tables.push(((*table).to_owned(), rows.len()));
        }
        // Ids given explicitly leave the identity sequences behind: the next post must not
        // take the number of a copied one.
        for table in ["accounts", "post_groups", "posts", "events", "runs"] {
            reset_identity(&tx, table).map_err(map)?;
        }
        tx.commit().map_err(map)?;
        Ok(copied)
    }
}

fn reset_identity(conn: &super::db::Conn, table: &str) -> DbResult<()> {
    conn.rows(
        &format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             GREATEST((SELECT MAX(id) FROM {table}), 1), \
             (SELECT MAX(id) FROM {table}) IS NOT NULL)"
        ),
        Vec::<Value>::new(),
    )?;
    Ok(())
}
