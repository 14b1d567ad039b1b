-- 007_signing_key_activation: a JWT signing key is published before it signs.
--
-- The JWKS may be cached for 300 s, so a key that signed the moment it was
-- created was unknown to every verifier holding a cached copy. A rotation now
-- inserts the next key with activates_at = now() + the JWKS max-age + the JWT
-- leeway: it is published at once and signs only from then on.
--
-- A constant-per-statement default (now() is evaluated once) is stored as
-- the column's missing value: no table rewrite. Keys that exist already get
-- the migration time, which has passed by the time anything reads it, so
-- they keep signing as before.
ALTER TABLE signing_keys
    ADD COLUMN activates_at timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN signing_keys.activates_at IS
    'Signs from this time on; published (JWKS) from created_at, so verifiers that cache the JWKS know the key before they see its tokens.';
