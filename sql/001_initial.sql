-- 001_initial: the whole Foundry Auth schema (PRODUCT.md section 3).
--
-- Applied by scripts/migrate inside one transaction together with its
-- schema_migrations row, so this file has no BEGIN/COMMIT of its own.
-- Column names are a contract with the queries in app/.
--
-- Sharding note: every user-scoped table carries user_id in its primary key,
-- so a distributed PostgreSQL (Citus) can shard by user_id, and session_index
-- by token_hash, without changing queries.

CREATE TABLE users (
    id             bigint      PRIMARY KEY CHECK (id > 0),
    name           text,
    email          text,
    email_verified boolean     NOT NULL DEFAULT false,
    image          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN users.id IS
    'GitHub numeric user id: immutable, unlike the login, so it is the key.';

CREATE TABLE accounts (
    user_id                  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id              text        NOT NULL CHECK (provider_id IN ('github')),
    account_id               text        NOT NULL CHECK (account_id <> ''),
    access_token_enc         bytea,
    refresh_token_enc        bytea,
    scope                    text,
    access_token_expires_at  timestamptz,
    refresh_token_expires_at timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, provider_id, account_id),
    UNIQUE (provider_id, account_id)
);
COMMENT ON COLUMN accounts.access_token_enc IS
    'AES-256-GCM ciphertext; the provider token never sits in the database in plain text.';
COMMENT ON COLUMN accounts.refresh_token_enc IS
    'AES-256-GCM ciphertext, like access_token_enc.';

CREATE TABLE user_profiles (
    user_id                   bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    github_login              text        NOT NULL,
    role_label                text,
    eligible_organization_ids bigint[]    NOT NULL DEFAULT '{}',
    starter_repo_status       text        NOT NULL DEFAULT 'pending'
        CHECK (starter_repo_status IN ('pending', 'starred', 'skipped')),
    starred_at                timestamptz,
    skipped_at                timestamptz,
    org_sync_status           text        NOT NULL DEFAULT 'pending'
        CHECK (org_sync_status IN ('pending', 'running', 'done', 'failed')),
    org_sync_error            text,
    org_sync_updated_at       timestamptz,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    user_id             bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id                  uuid        NOT NULL,
    expires_at          timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    ip                  text,
    user_agent          text        CHECK (length(user_agent) <= 512),
    PRIMARY KEY (user_id, id),
    UNIQUE (id)
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
COMMENT ON TABLE sessions IS
    'No token column on purpose: the token is only ever stored as a SHA-256 in session_index.';
COMMENT ON COLUMN sessions.id IS
    'Public identifier (listed to the user, used to revoke); knowing it grants nothing.';

CREATE TABLE session_index (
    token_hash bytea  PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id    bigint NOT NULL,
    session_id uuid   NOT NULL,
    UNIQUE (user_id, session_id),
    FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE session_index IS
    'token_hash -> session. Separate from sessions so it can be sharded by token_hash; '
    'the cascading FK keeps "index row exists iff session exists".';

CREATE TABLE session_state (
    user_id                bigint      NOT NULL,
    session_id             uuid        NOT NULL,
    active_organization_id bigint,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, session_id),
    FOREIGN KEY (user_id, session_id) REFERENCES sessions (user_id, id) ON DELETE CASCADE
);

CREATE TABLE verification (
    identifier        text        PRIMARY KEY CHECK (identifier ~ '^[0-9a-f]{64}$'),
    binding_hash      bytea       NOT NULL CHECK (octet_length(binding_hash) = 32),
    code_verifier_enc bytea       NOT NULL,
    return_to         text        NOT NULL,
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    consumed_at       timestamptz,
    completed_at      timestamptz,
    user_id           bigint,
    session_id        uuid,
    session_token_enc bytea,
    failure           text
);
CREATE INDEX verification_expires_at_idx ON verification (expires_at);
COMMENT ON COLUMN verification.identifier IS
    'Lower-case hex SHA-256 of the OAuth state; the check refuses anything that could be the raw state.';
COMMENT ON COLUMN verification.session_token_enc IS
    'Issued session token, encrypted under a key only the same browser''s binding cookie derives: '
    'a duplicate callback ends signed in without a second code exchange.';

CREATE TABLE organizations (
    id         bigint      PRIMARY KEY,
    login      text        NOT NULL,
    name       text,
    avatar_url text,
    kind       text        NOT NULL CHECK (kind IN ('organization', 'personal')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organization_members (
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            text,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX organization_members_organization_idx ON organization_members (organization_id);

CREATE TABLE jobs (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL,
    user_id      bigint,
    payload      jsonb       NOT NULL DEFAULT '{}',
    status       text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed', 'dead')),
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts int         NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    last_error   text,
    locked_by    text,
    locked_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_queued_run_at_idx ON jobs (run_at) WHERE status = 'queued';
-- Re-enqueueing a sync for a user who already has one waiting must not pile
-- up duplicates: INSERT ... ON CONFLICT DO NOTHING relies on this index.
CREATE UNIQUE INDEX jobs_queued_kind_user_uidx ON jobs (kind, user_id) WHERE status = 'queued';
CREATE INDEX jobs_running_locked_at_idx ON jobs (locked_at) WHERE status = 'running';

CREATE TABLE signing_keys (
    kid             text        PRIMARY KEY,
    alg             text        NOT NULL DEFAULT 'EdDSA',
    public_jwk      jsonb       NOT NULL,
    private_key_enc bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    retire_after    timestamptz,
    retired_at      timestamptz
);
COMMENT ON COLUMN signing_keys.private_key_enc IS
    'AES-256-GCM ciphertext of the private key; a database dump alone cannot mint tokens.';

CREATE TABLE admin_tokens (
    token_hash bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
COMMENT ON TABLE admin_tokens IS
    'Only the SHA-256 of each token: the token itself is shown once and never stored.';

CREATE TABLE audit_events (
    id         bigserial   PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    event      text        NOT NULL CHECK (event IN (
        'sign_in', 'sign_in_failed', 'sign_out', 'sign_out_all', 'session_revoked',
        'admin_token_created', 'admin_token_rotated', 'role_label_set',
        'signing_key_rotated', 'org_selected', 'starter_repo_starred',
        'starter_repo_skipped')),
    user_id    bigint,
    session_id uuid,
    actor      text,
    ip         text,
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_user_at_idx ON audit_events (user_id, at);
COMMENT ON TABLE audit_events IS
    'No FK to users on purpose: the trail outlives a deleted user. Never holds tokens or secrets.';
