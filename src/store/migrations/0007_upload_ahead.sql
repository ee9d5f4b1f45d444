-- Let the platform hold the schedule (issue 12, `schedule --upload-ahead`): a post can be on
-- YouTube, private until its time, before it is published. That needs
-- - the state `uploaded` (the post's state CHECK is rebuilt: SQLite cannot alter a CHECK), and
-- - `due_at`: when a run next has work on the post. It is `scheduled_at` for every post but an
--   upload-ahead one, which is due for upload when it is queued and for confirmation at its
--   time. The claim reads it through `posts_work` (equality on state, range on due_at).
--
-- The rebuild keeps every row and every event: `events` cascades on the drop of `posts`, so its
-- rows are set aside first and put back once the new `posts` has the old ids.
CREATE TABLE events_kept AS SELECT * FROM events;

CREATE TABLE posts_new (
    id              INTEGER PRIMARY KEY,
    state           TEXT NOT NULL CHECK (state IN
                    ('scheduled', 'publishing', 'uploaded', 'published', 'sent_to_inbox',
                     'failed', 'cancelled')),
    phase           TEXT,
    platform        TEXT NOT NULL,
    account_id      INTEGER REFERENCES accounts (id),
    file            TEXT NOT NULL,
    copied          INTEGER NOT NULL DEFAULT 0,
    file_size       INTEGER NOT NULL,
    file_mtime_ns   INTEGER NOT NULL,
    file_hash       TEXT NOT NULL,
    container       TEXT NOT NULL,
    duration_ms     INTEGER,
    width           INTEGER,
    height          INTEGER,
    fps             REAL,
    codec           TEXT,
    caption         TEXT NOT NULL DEFAULT '',
    mode            TEXT NOT NULL CHECK (mode IN ('direct', 'draft')),
    scheduled_at    TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    last_error_code TEXT,
    last_error_hint TEXT,
    chunks_done     INTEGER NOT NULL DEFAULT 0,
    upload_complete INTEGER NOT NULL DEFAULT 0,
    post_id         TEXT,
    claimed_by      TEXT,
    claimed_at      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    options         TEXT NOT NULL DEFAULT '{}',
    checkpoint      TEXT
);

INSERT INTO posts_new (id, state, phase, platform, account_id, file, copied, file_size,
    file_mtime_ns, file_hash, container, duration_ms, width, height, fps, codec, caption, mode,
    scheduled_at, due_at, timezone, attempts, next_attempt_at, last_error, last_error_code,
    last_error_hint, chunks_done, upload_complete, post_id, claimed_by, claimed_at, created_at,
    updated_at, options, checkpoint)
SELECT id, state, phase, platform, account_id, file, copied, file_size,
    file_mtime_ns, file_hash, container, duration_ms, width, height, fps, codec, caption, mode,
    scheduled_at, scheduled_at, timezone, attempts, next_attempt_at, last_error, last_error_code,
    last_error_hint, chunks_done, upload_complete, post_id, claimed_by, claimed_at, created_at,
    updated_at, options, checkpoint
FROM posts;

DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;

INSERT INTO events SELECT * FROM events_kept;
DROP TABLE events_kept;

CREATE INDEX posts_due ON posts (state, scheduled_at);
CREATE INDEX posts_queue ON posts (scheduled_at, id);
CREATE INDEX posts_by_video ON posts (file_hash, account_id);
CREATE INDEX posts_by_account ON posts (account_id, state, scheduled_at);
CREATE INDEX posts_work ON posts (state, due_at);
