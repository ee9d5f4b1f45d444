-- Cross-posting (issue 13): one `schedule` (or import row) for several accounts queues one post
-- per account, tied together by a group. A post belongs to at most one group (`posts.group_id`,
-- NULL for a post scheduled alone); the group row itself only names the set and when it was made,
-- since every field that matters (file, time, caption, options, state) is each post's own: each
-- target publishes, fails and is retried independently.
CREATE TABLE post_groups (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);

ALTER TABLE posts ADD COLUMN group_id INTEGER REFERENCES post_groups (id);

-- `show g7`, `cancel g7`, … read a group's posts; partial, since most posts have none.
CREATE INDEX posts_by_group ON posts (group_id) WHERE group_id IS NOT NULL;
