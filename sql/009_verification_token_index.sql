-- migrate: no-transaction
-- The OAuth-state GC erases a completed state's sealed session token once
-- the replay window is over (app/admin/gc.c, every minute). Without an index
-- each run read the whole verification table; only rows still holding a
-- token are in this one, a minute's sign-ins at most (issue 16).
DROP INDEX CONCURRENTLY IF EXISTS verification_token_held_idx;
CREATE INDEX CONCURRENTLY verification_token_held_idx ON verification (completed_at)
    WHERE session_token_enc IS NOT NULL;
