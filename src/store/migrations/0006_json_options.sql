-- A post's platform choices and its upload checkpoint become JSON (issue 11): each platform has
-- its own options (TikTok's privacy levels and interactions, YouTube's title and audience) and its
-- own handle on an upload (TikTok's publish_id and upload URL), which the engine stores without
-- reading. What queries filter on stays in columns: state, time, account, mode, the chunks done.
--
-- `options` is the serde form of post::Options; `checkpoint` that of provider::Checkpoint.
ALTER TABLE posts ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE posts ADD COLUMN checkpoint TEXT;

UPDATE posts SET
    options = json_object(
        'mode', mode,
        'privacy', privacy,
        'allow_comments', json(CASE WHEN allow_comments THEN 'true' ELSE 'false' END),
        'allow_duet', json(CASE WHEN allow_duet THEN 'true' ELSE 'false' END),
        'allow_stitch', json(CASE WHEN allow_stitch THEN 'true' ELSE 'false' END),
        'cover_at_ms', cover_at_ms,
        'brand_organic', json(CASE WHEN brand_organic THEN 'true' ELSE 'false' END),
        'branded_content', json(CASE WHEN branded_content THEN 'true' ELSE 'false' END),
        'ai_generated', json(CASE WHEN ai_generated THEN 'true' ELSE 'false' END)
    ),
    checkpoint = CASE WHEN publish_id IS NULL THEN NULL ELSE json_object(
        'id', publish_id,
        'upload_url', COALESCE(upload_url, ''),
        'expires_at', upload_expires_at,
        'chunk_size', COALESCE(chunk_size, 0)
    ) END;

ALTER TABLE posts DROP COLUMN privacy;
ALTER TABLE posts DROP COLUMN allow_comments;
ALTER TABLE posts DROP COLUMN allow_duet;
ALTER TABLE posts DROP COLUMN allow_stitch;
ALTER TABLE posts DROP COLUMN cover_at_ms;
ALTER TABLE posts DROP COLUMN brand_organic;
ALTER TABLE posts DROP COLUMN branded_content;
ALTER TABLE posts DROP COLUMN ai_generated;
ALTER TABLE posts DROP COLUMN publish_id;
ALTER TABLE posts DROP COLUMN upload_url;
ALTER TABLE posts DROP COLUMN upload_expires_at;
ALTER TABLE posts DROP COLUMN chunk_size;
