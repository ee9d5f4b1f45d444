-- The video's inode change time when it was fingerprinted (issue 15). Every write, chmod or
-- utime sets it and no one can set it back (short of root), so a file rewritten between the
-- fingerprint's samples, with its mtime put back, no longer passes as unchanged. NULL for posts
-- scheduled before: they are checked as before.
ALTER TABLE posts ADD COLUMN file_ctime_ns INTEGER;
