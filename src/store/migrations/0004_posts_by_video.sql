-- Finding other posts of the same video for an account (the 24-hour repeat check of schedule
-- and import) without reading the whole queue.
CREATE INDEX posts_by_video ON posts (file_hash, account_id);
