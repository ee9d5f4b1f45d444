-- Each `postez run` records itself, so `doctor`, `cron show` and `schedule` can tell whether the
-- runner is alive, and what it did.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    pid         INTEGER NOT NULL,
    due         INTEGER NOT NULL DEFAULT 0,
    published   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    retrying    INTEGER NOT NULL DEFAULT 0,
    exit_code   INTEGER
);

CREATE INDEX runs_started ON runs (started_at);
