-- `list --account`'s page: one account's posts of one state in time order, read from an index
-- (like posts_due without the account) instead of filtering the whole state's posts.
CREATE INDEX posts_by_account ON posts (account_id, state, scheduled_at);
