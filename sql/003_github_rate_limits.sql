-- 003_github_rate_limits: limits that must hold across every worker and host.
--
-- Issue 12. A GitHub rate limit seen by one worker used to be forgotten at
-- once: the next sign-in, on any worker, called GitHub again, and GitHub bans
-- integrations that keep calling while limited. An admin token could be
-- guessed at any speed, since nothing counted failures. Both need state that
-- every process of every host shares, which is this database, not memory.

-- Until when no call may go to a GitHub API. One row per key; the service
-- uses a single key, 'github_api', for the REST API and the OAuth token
-- endpoint together (see app/auth/github_limit.c for why). Checked before
-- every GitHub call with one primary-key lookup.
CREATE TABLE github_rate_limits (
    api text PRIMARY KEY,
    limited_until timestamptz NOT NULL,
    http_status integer NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Failed authentications counted per fixed one-minute window: scope names
-- what is counted ('admin_address': key is the client address; 'admin_total':
-- key is ''), window_start is date_trunc('minute', ...). Rows older than a
-- few minutes mean nothing and are deleted by the writer itself.
CREATE TABLE auth_failures (
    scope text NOT NULL,
    key text NOT NULL,
    window_start timestamptz NOT NULL,
    failures integer NOT NULL,
    PRIMARY KEY (scope, key, window_start)
);

CREATE INDEX auth_failures_window_start ON auth_failures (window_start);

-- The admin API records when an address (or everyone) crossed the failure
-- limit, so an operator sees the guessing, not only the 429s.
-- NOT VALID: the new list only adds a value, so every existing row already
-- satisfies it, and validating would scan the whole audit table while the
-- ALTER holds the lock every sign-in's audit insert waits on. New rows are
-- checked all the same.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_event_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_event_check CHECK (event IN (
    'sign_in', 'sign_in_failed', 'sign_out', 'sign_out_all', 'session_revoked',
    'admin_token_created', 'admin_token_rotated', 'role_label_set',
    'signing_key_rotated', 'org_selected', 'starter_repo_starred',
    'starter_repo_skipped', 'admin_auth_throttled')) NOT VALID;
