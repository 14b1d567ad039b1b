-- 004_session_auth_time: when the user last proved themselves at GitHub.
--
-- Issue 12 section 4: an audience may refuse tokens to a session whose
-- GitHub sign-in is too old (FOUNDRY_JWT_AUDIENCES "aud:max_auth_age=N"),
-- and every JWT carries the time as its auth_time claim. Sliding expiry
-- moves expires_at and updated_at, never this: only a new sign-in (which is
-- always a new session) sets it.
--
-- Live-safe on PostgreSQL 15: ADD COLUMN with a constant-per-statement
-- default is a catalogue change, no table rewrite. The backfill then
-- touches each existing row once while this transaction holds the ALTER's
-- lock: sessions is one row per live session, so that is short, and
-- lock_timeout makes the migration give up rather than queue every sign-in
-- and auth_request behind a long-running transaction.
SET LOCAL lock_timeout = '5s';

ALTER TABLE sessions ADD COLUMN auth_time timestamptz NOT NULL DEFAULT now();

-- A session from before this column was signed in when it was created:
-- its creation time, not the migration's, or every old session would look
-- freshly authenticated.
UPDATE sessions SET auth_time = created_at;

COMMENT ON COLUMN sessions.auth_time IS
    'Last GitHub authentication behind this session (the JWT auth_time claim); set at sign-in only.';
