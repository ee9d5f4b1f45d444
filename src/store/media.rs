//! Videos kept in the shared queue (issue 14): a `media` row and its chunks. `schedule` writes
//! them chunk by chunk, each in its own statement (a long video is never one huge transaction or
//! one huge value); the row is marked complete with the whole file's SHA-256 at the end, and a
//! video already stored whole is reused instead. `run` reads the chunks back one at a time. The
//! bytes are dropped once every post of the video is published (unless `keep_media`).

use crate::error::Result;
use crate::post::PostId;

use super::db::{DbResult, OptionalExtension, params};
use super::{Store, db_time};

/// Stored videos that no post uses are dropped after this long (a `schedule` that failed after
/// sending its video; an hour leaves a running `schedule` alone).
const ORPHAN_AGE: chrono::Duration = chrono::Duration::hours(1);

/// A stored video a `schedule` reused for new posts is kept this long (minutes, database
/// clock) whatever its other posts did, so it is not dropped between the reuse and the insert
/// of those posts.
const REUSE_GRACE_MINUTES: i64 = 10;

impl Store {
    /// Start storing a video of `size` bytes; returns its id.
    pub fn media_begin(&mut self, size: u64, now: chrono::DateTime<chrono::Utc>) -> Result<i64> {
        self.conn
            .query_row(
                "INSERT INTO media (size, sha256, complete, created_at) \
                 VALUES (?1, '', false, ?2) RETURNING id",
                params![size, db_time(now)],
                |r| r.get(0),
            )
            .map_err(self.err())
    }

    /// Store chunk `seq` (from 0) of video `id`.
    pub fn media_put(&mut self, id: i64, seq: u64, bytes: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO media_chunks (media_id, seq, bytes) VALUES (?1, ?2, ?3)",
                params![id, seq, bytes],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Mark video `id` complete with its SHA-256. When the same video (size and hash) is
    /// already stored whole, that one is kept, this one dropped, and its id returned.
    pub fn media_finish(&mut self, id: i64, size: u64, sha256: &str) -> Result<i64> {
        let map = super::db_err(&self.path);
        let tx = self.conn.transaction().map_err(map)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM media WHERE size = ?1 AND sha256 = ?2 AND complete \
                 AND id <> ?3 ORDER BY id LIMIT 1",
                params![size, sha256, id],
                |r| r.get(0),
            )
            .optional()
            .map_err(map)?;
        let kept = match existing {
            Some(other) => {
                tx.execute("DELETE FROM media WHERE id = ?1", [id])
                    .map_err(map)?;
                // A video whose posts are all published would be dropped by the next tidy-up:
                // marked, so it is kept until this schedule's posts are queued (see
                // `drop_finished_media`).
                tx.execute(
                    "UPDATE media SET reused_at = now() WHERE id = ?1 AND NOT EXISTS \
                     (SELECT 1 FROM posts p WHERE p.media_id = media.id \
                      AND p.state NOT IN ('published', 'sent_to_inbox'))",
                    [other],
                )
                .map_err(map)?;
                other
            }
            None => {
                tx.execute(
                    "UPDATE media SET sha256 = ?2, complete = true WHERE id = ?1",
                    params![id, sha256],
                )
                .map_err(map)?;
                id
            }
        };
        tx.commit().map_err(map)?;
        Ok(kept)
    }

    /// Drop video `id` (a `schedule` that failed before its posts were queued).
    pub fn media_abort(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM media WHERE id = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM posts WHERE posts.media_id = media.id)",
                [id],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Size, SHA-256 and completeness of stored video `id`, if it is still there.
    pub fn media_info(&self, id: i64) -> Result<Option<(u64, String, bool)>> {
        self.conn
            .query_row(
                "SELECT size, sha256, complete FROM media WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.err())
    }

    /// Chunk `seq` of stored video `id` (`None` past the last).
    pub fn media_chunk(&self, id: i64, seq: u64) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT bytes FROM media_chunks WHERE media_id = ?1 AND seq = ?2",
                params![id, seq],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err())
    }

    /// Drop stored videos no post needs any more: every post of them published or sent to
    /// the inbox (`keep` keeps those: the `keep_media` setting), or none at all after
    /// [`ORPHAN_AGE`]. Returns how many were dropped.
    pub fn drop_finished_media(
        &mut self,
        keep: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize> {
        if !self.is_shared() {
            return Ok(0);
        }
        let finished = if keep {
            "false"
        } else {
            "EXISTS (SELECT 1 FROM posts p WHERE p.media_id = media.id) AND NOT EXISTS \
             (SELECT 1 FROM posts p WHERE p.media_id = media.id \
              AND p.state NOT IN ('published', 'sent_to_inbox'))"
        };
        // A video whose posts are all published goes unless a `schedule` just reused it; one no
        // post uses goes an hour after it was finished or touched, or a day
        // after it was begun and never finished (a `schedule` still sending a long video over a
        // slow link keeps it until then).
        self.conn
            .execute(
                &format!(
                    "DELETE FROM media WHERE (({finished}) AND (reused_at IS NULL \
                     OR reused_at < now() - make_interval(mins => ?2))) OR (NOT EXISTS \
                     (SELECT 1 FROM posts p WHERE p.media_id = media.id) \
                     AND ((complete AND created_at < ?1) OR created_at < ?3))"
                ),
                params![
                    db_time(now - ORPHAN_AGE),
                    REUSE_GRACE_MINUTES,
                    db_time(now - chrono::Duration::days(1))
                ],
            )
            .map_err(self.err())
    }

    /// The posts whose video is stored video `id`.
    pub fn posts_of_media(&self, id: i64) -> Result<Vec<PostId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM posts WHERE media_id = ?1 ORDER BY id")
            .map_err(self.err())?;
        let rows = stmt.query_map([id], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<DbResult<_>>().map_err(self.err())
    }
}
