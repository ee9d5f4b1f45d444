-- Shared mode (issue 14) keeps a post's video in the database (`media`, PostgreSQL only), and
-- both engines run the same queries: the embedded queue gets the column too, always NULL here,
-- where the video is the file on disk.
ALTER TABLE posts ADD COLUMN media_id INTEGER;
