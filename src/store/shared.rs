//! The shared queue's runners (issue 14): who they are (`runners`), how one claims an account's
//! due posts with `FOR UPDATE SKIP LOCKED` and holds them under a lease on the database clock, and
//! the fence every write of a claimed post carries. A runner that stalled past its lease (SIGSTOP,
//! a suspended VM) finds its fence gone at its next write or platform call, and stops; the runner
//! that took the account over resumes from the saved checkpoint by asking the platform first,
//! exactly as after a crash.
//!
//! The lease is the account's, not a post's: one account publishes one post at a time across all
//! runners, and a runner holding an account takes all of its due posts. A post's `claimed_by`
//! names the runner holding it; the fence is that name together with a live lease on the
//! account (`fence` counts the hand-overs, for `runners` and the events).
//!
//! Never a transaction across a network call: claim, commit, then work. Only SQLite-free here:
//! on the embedded queue, `run`'s file lock already makes one runner.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::post::PostId;

use super::db::{DbResult, OptionalExtension, TransactionBehavior, Tx, params};
use super::holds::NOT_PAUSED;
use super::transitions::CLAIM;
use super::{Store, db_err, db_time, insert_event};

/// This process's name as a runner: host, process id and a random part (a pid is reused).
pub fn runner_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        format!(
            "{}-{}-{}",
            host_name(),
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        )
    })
}

/// The machine's name, for `postez runners` (the kernel's, else "unknown").
pub fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A runner as `postez runners` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunnerInfo {
    /// Its name (host, pid, random part).
    pub id: String,
    /// The machine.
    pub host: String,
    /// Its process id there.
    pub pid: i64,
    /// The postez version it runs.
    pub version: String,
    /// When it started.
    pub started_at: String,
    /// Its last heartbeat (database clock).
    pub heartbeat_at: String,
    /// Seconds since that heartbeat, by the database clock.
    pub silent_for: i64,
    /// When it finished, if it did.
    pub finished_at: Option<String>,
    /// The accounts it holds a live lease on, by label.
    pub holds: Vec<String>,
}

/// A lease another runner let lapse while holding posts in `publishing` (it died or stalled):
/// `doctor` reports them; the next `run` takes them over.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaleLease {
    /// The account.
    pub account: String,
    /// The runner that held it.
    pub runner: String,
    /// How long ago the lease ended, in seconds.
    pub expired_for: i64,
}

impl Store {
    /// Record this process as a runner (or refresh its record), by the database clock.
    pub fn register_runner(&mut self) -> Result<()> {
        if !self.is_shared() {
            return Ok(());
        }
        self.conn
            .execute(
                "INSERT INTO runners (id, host, pid, version, started_at, heartbeat_at) \
                 VALUES (?1, ?2, ?3, ?4, now(), now()) \
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), finished_at = NULL",
                params![
                    runner_id(),
                    host_name(),
                    std::process::id(),
                    env!("CARGO_PKG_VERSION")
                ],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Renew this runner's heartbeat and every lease it still holds, for `lease_secs` from now.
    /// A lease that already ran out is not renewed: another runner may own the account now.
    /// Returns how many leases were renewed.
    pub fn heartbeat(&mut self, lease_secs: i64) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE runners SET heartbeat_at = now() WHERE id = ?1",
                [runner_id()],
            )
            .map_err(self.err())?;
        self.conn
            .execute(
                "UPDATE accounts SET lease_until = now() + make_interval(secs => ?2) \
                 WHERE lease_owner = ?1 AND lease_until > now()",
                params![runner_id(), lease_secs],
            )
            .map_err(self.err())
    }

    /// Claim one account whose lease is free (or lapsed) and which has posts to publish: its due
    /// posts, and those another runner left `publishing`. Locks skip past what other runners
    /// are claiming at the same moment. Returns the account and its posts (empty: nothing left
    /// to claim).
    pub fn claim_account(
        &mut self,
        now: DateTime<Utc>,
        run: i64,
        lease_secs: i64,
    ) -> Result<Option<(i64, Vec<PostId>)>> {
        let map = db_err(&self.path);
        let me = runner_id();
        let stamp = db_time(now);
        let tx = self.conn.row_locking_transaction().map_err(map)?;
        let due = format!(
            "{} AND due_at <= ?1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
             AND {NOT_PAUSED}",
            CLAIM.guard()
        );
        // Not an account whose lease this runner let lapse: one of its own workers may still be
        // at work on it, and must find the lease gone (and stop) rather than share it with a
        // second worker of the same name. Another runner takes such an account over. A
        // disconnected account's posts are claimed too, to be held with the reason, as on the
        // embedded queue.
        let account: Option<i64> = {
            let mut stmt = tx
                .prepare(&format!(
                    "SELECT a.id FROM accounts a \
                     WHERE (a.lease_until IS NULL OR a.lease_until < now()) \
                     AND a.lease_owner IS DISTINCT FROM ?2 \
                     AND EXISTS (SELECT 1 FROM posts WHERE posts.account_id = a.id \
                                 AND (({due}) OR state = 'publishing')) \
                     ORDER BY a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED"
                ))
                .map_err(map)?;
            let rows = stmt
                .query_map(params![stamp.clone(), me], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<Vec<i64>>>().map_err(map)?.pop()
        };
        let Some(account) = account else {
            return Ok(None);
        };
        // Re-read under the lock, in a statement of its own (a fresh snapshot): a runner that
        // committed its claim of this account after this transaction's first statement began
        // is seen here, so two runners never both take it.
        let free: bool = tx
            .query_row(
                "SELECT lease_until IS NULL OR lease_until < now() FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )
            .map_err(map)?;
        if !free {
            return Ok(Some((account, Vec::new())));
        }
        let fence: i64 = tx
            .query_row(
                "UPDATE accounts SET lease_owner = ?2, fence = fence + 1, \
                 lease_until = now() + make_interval(secs => ?3) WHERE id = ?1 RETURNING fence",
                params![account, me, lease_secs],
                |r| r.get(0),
            )
            .map_err(map)?;
        // Posts another runner left mid-publish: this runner holds them now. Their upload is
        // resumed by asking the platform first (the engine's status-before-acting).
        let mut taken: Vec<PostId> = {
            let mut stmt = tx
                .prepare(
                    "UPDATE posts SET claimed_by = ?2, claimed_at = ?3 \
                     WHERE account_id = ?1 AND state = 'publishing' RETURNING id",
                )
                .map_err(map)?;
            let rows = stmt
                .query_map(params![account, me, stamp], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &taken {
            insert_event(
                &tx,
                *id,
                now,
                "taken_over",
                &serde_json::json!({ "runner": me, "fence": fence }),
            )
            .map_err(map)?;
        }
        let claimed: Vec<PostId> = {
            let mut stmt = tx
                .prepare(&format!(
                    "UPDATE posts SET {}, phase = 'claimed', claimed_by = ?2, \
                     claimed_at = ?1, updated_at = ?1 WHERE account_id = ?3 AND {due} \
                     RETURNING id",
                    CLAIM.set()
                ))
                .map_err(map)?;
            let rows = stmt
                .query_map(params![stamp, me, account], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &claimed {
            insert_event(
                &tx,
                *id,
                now,
                "claimed",
                &serde_json::json!({ "run": run, "runner": me, "fence": fence }),
            )
            .map_err(map)?;
        }
        tx.commit().map_err(map)?;
        taken.extend(claimed);
        taken.sort_unstable();
        Ok(Some((account, taken)))
    }

    /// Due posts queued for no account yet (scheduled before one was connected).
    pub fn due_unassigned(&self, now: DateTime<Utc>) -> Result<Vec<(PostId, String)>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, platform FROM posts WHERE account_id IS NULL AND {} AND due_at <= ?1 \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY id",
                CLAIM.guard()
            ))
            .map_err(self.err())?;
        let rows = stmt
            .query_map([db_time(now)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Claim the due posts that still have no account, in this runner's name: no account's
    /// lease covers them, and the run only holds them with the reason.
    pub fn claim_unassigned(&mut self, now: DateTime<Utc>, run: i64) -> Result<Vec<PostId>> {
        let map = db_err(&self.path);
        let stamp = db_time(now);
        let tx = self.conn.row_locking_transaction().map_err(map)?;
        let ids: Vec<PostId> = {
            let mut stmt = tx
                .prepare(&format!(
                    "UPDATE posts SET {}, phase = 'claimed', claimed_by = ?2, claimed_at = ?1, \
                     updated_at = ?1 WHERE id IN (SELECT id FROM posts WHERE account_id IS NULL \
                     AND {} AND due_at <= ?1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) \
                     FOR UPDATE SKIP LOCKED) RETURNING id",
                    CLAIM.set(),
                    CLAIM.guard()
                ))
                .map_err(map)?;
            let rows = stmt
                .query_map(params![stamp, runner_id()], |r| r.get(0))
                .map_err(map)?;
            rows.collect::<DbResult<_>>().map_err(map)?
        };
        for id in &ids {
            insert_event(
                &tx,
                *id,
                now,
                "claimed",
                &serde_json::json!({ "run": run, "runner": runner_id() }),
            )
            .map_err(map)?;
        }
        tx.commit().map_err(map)?;
        Ok(ids)
    }

    /// Give back this runner's lease on `account` (its posts are done for this run), so another
    /// runner may take the account at once.
    pub fn release_account(&mut self, account: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET lease_owner = NULL, lease_until = NULL \
                 WHERE id = ?1 AND lease_owner = ?2",
                params![account, runner_id()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Give back every lease this runner holds (its run is over).
    pub fn release_leases(&mut self) -> Result<()> {
        if !self.is_shared() {
            return Ok(());
        }
        self.conn
            .execute(
                "UPDATE accounts SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?1",
                [runner_id()],
            )
            .map_err(self.err())?;
        self.conn
            .execute(
                "UPDATE runners SET finished_at = now(), heartbeat_at = now() WHERE id = ?1",
                [runner_id()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Whether this runner still holds `account`'s lease: checked before every platform call.
    /// On the embedded queue there is no lease (one `run` at a time, by its lock).
    pub fn check_lease(&self, account: i64) -> Result<()> {
        if !self.is_shared() {
            return Ok(());
        }
        let held: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND lease_owner = ?2 \
                 AND lease_until > now())",
                params![account, runner_id()],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        if held { Ok(()) } else { Err(lost(account)) }
    }

    /// A write transaction on claimed post `post`. On the shared queue it first checks the
    /// fence: this runner must still hold the post and a live lease on its account, else
    /// [`Error::LeaseLost`] and nothing is written. The account's row stays locked for share until
    /// the transaction ends, so no runner can take the account over in the middle of the write.
    /// On the embedded queue: an immediate transaction, as before.
    pub(super) fn fenced(&self, post: PostId) -> Result<Tx<'_>> {
        let map = db_err(&self.path);
        if !self.is_shared() {
            return self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(map);
        }
        let tx = self.conn.row_locking_transaction().map_err(map)?;
        let mine: Option<Option<i64>> = tx
            .query_row(
                "SELECT account_id FROM posts WHERE id = ?1 AND claimed_by = ?2",
                params![post, runner_id()],
                |r| r.get(0),
            )
            .optional()
            .map_err(map)?;
        // A post of an account is this runner's while it holds the account's lease; the
        // account's row stays locked for share until this transaction ends.
        let held = match mine {
            None => false,
            Some(None) => true,
            Some(Some(account)) => tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND lease_owner = ?2 \
                     AND lease_until > now() FOR SHARE)",
                    params![account, runner_id()],
                    |r| r.get(0),
                )
                .map_err(map)?,
        };
        if !held {
            return Err(Error::LeaseLost {
                reason: format!(
                    "it no longer holds post {post} (its lease ran out, and another runner may \
                     have taken the post over)"
                ),
            });
        }
        Ok(tx)
    }

    /// The runners seen in the last `days` days, newest first, with what each holds.
    pub fn runners(&self, days: i64) -> Result<Vec<RunnerInfo>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.id, r.host, r.pid, r.version, r.started_at, r.heartbeat_at, \
                 CAST(EXTRACT(EPOCH FROM now() - r.heartbeat_at) AS BIGINT), r.finished_at, \
                 (SELECT string_agg(COALESCE(a.username, a.display_name, a.remote_id), ',' \
                         ORDER BY a.id) FROM accounts a \
                  WHERE a.lease_owner = r.id AND a.lease_until > now()) \
                 FROM runners r WHERE r.heartbeat_at > now() - make_interval(days => ?1) \
                 ORDER BY r.heartbeat_at DESC",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([days], |r| {
                let holds: Option<String> = r.get(8)?;
                Ok(RunnerInfo {
                    id: r.get(0)?,
                    host: r.get(1)?,
                    pid: r.get(2)?,
                    version: r.get(3)?,
                    started_at: r.get(4)?,
                    heartbeat_at: r.get(5)?,
                    silent_for: r.get(6)?,
                    finished_at: r.get(7)?,
                    holds: holds
                        .map(|h| h.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                })
            })
            .map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Leases that ran out with posts still `publishing` under them.
    pub fn stale_leases(&self) -> Result<Vec<StaleLease>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT COALESCE(a.username, a.display_name, a.remote_id), a.lease_owner, \
                 CAST(EXTRACT(EPOCH FROM now() - a.lease_until) AS BIGINT) FROM accounts a \
                 WHERE a.lease_until < now() AND EXISTS (SELECT 1 FROM posts p \
                 WHERE p.account_id = a.id AND p.state = 'publishing') ORDER BY a.id",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StaleLease {
                    account: r.get(0)?,
                    runner: r.get(1)?,
                    expired_for: r.get(2)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }

    /// Seconds the database clock is ahead of this machine's (negative: behind).
    pub fn clock_skew(&self) -> Result<f64> {
        let db: f64 = self
            .conn
            .query_row(
                "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
                [],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        let here = Utc::now().timestamp_micros() as f64 / 1e6;
        Ok(db - here)
    }
}

fn lost(account: i64) -> Error {
    Error::LeaseLost {
        reason: format!(
            "its lease on account {account} ran out (it was stopped or cut off for longer than \
             the lease), and another runner may have taken the account over"
        ),
    }
}
