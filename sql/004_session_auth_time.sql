-- 004_session_auth_time: when the user last proved themselves at GitHub.
--
-- Issue 12 section 4: an audience may refuse tokens to a session whose
-- GitHub sign-in is too old (FOUNDRY_JWT_AUDIENCES "aud:max_auth_age=N"),
-- and every JWT carries the time as its auth_time claim. Sliding expiry
-- moves expires_at and updated_at, never this: only a new sign-in (which is
-- always a new session) sets it.
--
-- Live-safe: both statements only change the catalogue (no table rewrite,
-- no row touched), so the ALTER's lock is held for milliseconds however
-- many sessions exist. Sessions from before this column keep NULL and are
-- read as coalesce(auth_time, created_at) (app/auth/session.c): they were
-- signed in when they were created. A backfill UPDATE would rewrite every
-- row while holding the lock that every session check waits on.
SET LOCAL lock_timeout = '5s';

ALTER TABLE sessions ADD COLUMN auth_time timestamptz;
ALTER TABLE sessions ALTER COLUMN auth_time SET DEFAULT now();

COMMENT ON COLUMN sessions.auth_time IS
    'Last GitHub authentication behind this session (the JWT auth_time claim); set at sign-in only. NULL: a session from before migration 004, read as created_at.';
