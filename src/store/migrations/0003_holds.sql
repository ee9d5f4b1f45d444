-- Holds on an account's posts (issue 10). A TikTok quota (5 pending drafts a day, posts per
-- creator, the app's active creators) holds the posts it concerns until its window has passed;
-- TikTok refusing the account any post pauses it (`until` NULL) until the user connects again.
-- The posts themselves keep the reason in last_error and, for quotas, the end in next_attempt_at.
CREATE TABLE account_holds (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    applies_to TEXT NOT NULL CHECK (applies_to IN ('direct', 'draft', 'all')),
    until      TEXT,                   -- NULL: until the user acts (a pause)
    code       TEXT NOT NULL,          -- TikTok's error code
    message    TEXT NOT NULL,
    hint       TEXT,
    since      TEXT NOT NULL,
    PRIMARY KEY (account_id, applies_to)
);
