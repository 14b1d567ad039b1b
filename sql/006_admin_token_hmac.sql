-- 006_admin_token_hmac: admin_tokens.token_hash now holds an HMAC.
--
-- The column held SHA-256 of the token, so anyone able to write this table
-- could insert the hash of a token of their own and become admin. The
-- service now stores HMAC-SHA256 under a key derived from
-- FOUNDRY_AUTH_SECRET (app/auth/admin_token.c), which the database never
-- sees. The column stays bytea of 32 bytes; only its description changes.
-- A row written before the upgrade no longer matches any token: run
-- `foundry-auth admin token rotate` once after upgrading.
--
-- Live-safe: COMMENT takes a brief lock and touches no rows.
COMMENT ON TABLE admin_tokens IS
    'Only HMAC-SHA256 of each token, under a key derived from FOUNDRY_AUTH_SECRET: '
    'the token itself is shown once and never stored, and a row cannot be forged '
    'without the secret.';
COMMENT ON COLUMN admin_tokens.token_hash IS
    'HMAC-SHA256(HKDF(secret, ''admin-token-hmac''), token); see app/auth/admin_token.h.';
