-- The first schema: accounts (profile data only, never tokens), posts, and their history.
-- Times are RFC 3339 UTC text ('2026-12-01T17:00:00Z'), which sorts like the instants it names.

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    platform           TEXT NOT NULL,
    remote_id          TEXT NOT NULL,          -- TikTok's open_id
    display_name       TEXT,
    username           TEXT,
    nickname           TEXT,
    avatar_url         TEXT,
    scopes             TEXT NOT NULL DEFAULT '',
    token_store        TEXT,                   -- 'keychain' | 'file'; where the tokens are, not the tokens
    access_expires_at  TEXT,
    refresh_expires_at TEXT,
    creator_info       TEXT,                   -- JSON from creator_info/query
    state              TEXT NOT NULL DEFAULT 'ok'
                       CHECK (state IN ('ok', 'needs_reconnect', 'disconnected')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (platform, remote_id)
);

CREATE TABLE posts (
    id              INTEGER PRIMARY KEY,
    state           TEXT NOT NULL CHECK (state IN
                    ('scheduled', 'publishing', 'published', 'sent_to_inbox', 'failed', 'cancelled')),
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
    privacy         TEXT,
    allow_comments  INTEGER NOT NULL DEFAULT 0,
    allow_duet      INTEGER NOT NULL DEFAULT 0,
    allow_stitch    INTEGER NOT NULL DEFAULT 0,
    cover_at_ms     INTEGER,
    brand_organic   INTEGER NOT NULL DEFAULT 0,
    branded_content INTEGER NOT NULL DEFAULT 0,
    ai_generated    INTEGER NOT NULL DEFAULT 0,
    scheduled_at    TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    last_error_code TEXT,
    last_error_hint TEXT,
    publish_id      TEXT,
    upload_url      TEXT,
    upload_expires_at TEXT,
    chunk_size      INTEGER,
    chunks_done     INTEGER NOT NULL DEFAULT 0,
    upload_complete INTEGER NOT NULL DEFAULT 0,
    post_id         TEXT,
    claimed_by      TEXT,
    claimed_at      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- "What is due now": equality on state, range on scheduled_at.
CREATE INDEX posts_due ON posts (state, scheduled_at);
-- "First page of the queue": in time order.
CREATE INDEX posts_queue ON posts (scheduled_at, id);

CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX events_post ON events (post_id, id);
