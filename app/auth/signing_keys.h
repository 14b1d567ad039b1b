/* JWT signing keys (signing_keys table) and each worker's cache of them.
 * Owns the signing_keys table.
 *
 * A key is an Ed25519 pair; its kid is the RFC 7638 thumbprint. The private
 * seed is sealed at rest with the keyring for FA_KDF_LABEL_JWT_KEY_ENCRYPTION
 * (aad "signing_keys:<kid>"), so a database dump alone cannot mint tokens
 * and a secret rotation (new,old) still opens keys sealed under the old one.
 *
 * Lifecycle (issue 13): a key is published (JWKS) from the moment it is
 * stored and signs from activates_at on. Rotation inserts the next key with
 * activates_at = now + the JWKS max-age + the JWT leeway (+ the workers'
 * cache interval, which delays publication by up to that), so every verifier
 * that honours the JWKS cache knows the key before it sees a token signed
 * with it; the previous key gets retire_after = that activation + overlap. A
 * worker signs with the newest key whose activates_at has passed among the
 * keys that open with its secrets. A key is published and accepted (verify)
 * until retire_after has passed; past it, retired_at records that it is gone
 * for good. The first key of a fresh install, and the replacement made when
 * no activated key opens with the configured secrets, sign at once: there is
 * nothing to wait for, and a key nobody can sign with is worse than a short
 * gap in cached JWKS copies.
 *
 * The JWKS is rendered from the keys a worker decrypted: the public key is
 * derived from the private one, never taken from the stored public_jwk, so a
 * database writer cannot publish a key of their own. A stored public_jwk
 * that does not match is logged.
 *
 * One replacement at a time: creating a first (or replacement) key and rotating both
 * take one transaction-scoped advisory lock, so two workers meeting an empty
 * table at the same moment create one key, not two (a kid is random, so
 * INSERT ... ON CONFLICT on it alone could not deduplicate them). */
#ifndef FA_AUTH_SIGNING_KEYS_H
#define FA_AUTH_SIGNING_KEYS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>

#include "auth/jwt.h"
#include "core/config.h"
#include "crypto/keyring.h"
#include "db/db.h"

/* A worker re-reads the keys at least this often, and at once (at most once
 * a second) when a token names a kid it does not know. */
#define FA_SIGNING_KEYS_CACHE_SECONDS 10
/* Keys a worker holds: the next, the current and those still in their overlap. */
#define FA_SIGNING_KEYS_CACHED_MAX 16
/* Cache-Control max-age of the JWKS: how long a verifier may go on using a
 * copy without a key published since. */
#define FA_JWKS_MAX_AGE 300

/* How long a replaced key stays published: every token it signed has
 * expired by then. A worker may sign with the old key until its cache
 * refreshes, so the cache interval counts too. */
long fa_signing_keys_overlap_seconds(const fa_config_t *cfg);
/* How long a rotated-in key waits before it signs: every JWKS copy cached
 * before it was published has expired by then, with the leeway for clock
 * skew and the workers' cache interval. */
long fa_signing_keys_activation_seconds(const fa_config_t *cfg);

typedef struct {
    char kid[FA_JWT_KID_MAX + 1];
    EVP_PKEY *key;      /* private (it verifies too) */
    double active_from; /* monotonic seconds; it signs from then on */
} fa_signing_key_t;

typedef struct {
    fa_keyring_t ring;
    fa_signing_key_t keys[FA_SIGNING_KEYS_CACHED_MAX]; /* newest activation first */
    size_t count;
    char *jwks; /* {"keys":[...]} rendered from keys[] at each reload (malloc'd) */
    /* Kids already logged as unusable or mismatched, so a bad row is logged
     * once per worker, not at every reload. */
    char reported[FA_SIGNING_KEYS_CACHED_MAX][FA_JWT_KID_MAX + 1];
    size_t reported_count;
    double loaded_at;   /* monotonic seconds; 0 = never */
    double last_reload; /* for the once-a-second bound on kid misses */
} fa_signing_keys_cache_t;

void fa_signing_keys_register_statements(void);

/* The ring from the configured secrets; no database access yet. */
void fa_signing_keys_cache_init(fa_signing_keys_cache_t *cache, const fa_config_t *cfg);
/* Frees the keys and wipes the ring. */
void fa_signing_keys_cache_clear(fa_signing_keys_cache_t *cache);

/* The key to sign with: the newest activated key that opens with the
 * configured secrets. When there is none (an empty table, or the secret that
 * sealed the current key was removed) it creates a key that signs at once,
 * logging why. FA_ERR_UNAVAILABLE when the database is down;
 * FA_ERR_INTERNAL (signing_key_unavailable) when no key could be made. */
fa_status_t fa_signing_keys_current(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                    const fa_signing_key_t **out, fa_error_t *err);
/* A published key by kid, or NULL (unknown, retired, not openable here, or
 * database down). */
EVP_PKEY *fa_signing_keys_find(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                               const char *kid);

/* {"keys":[JWK, ...]} of every published key this worker opened, rendered
 * from the decrypted keys and cached until the next reload (arena copy),
 * creating a key when none can sign. NULL with err on failure. */
char *fa_signing_keys_jwks(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                           fa_error_t *err);

/* In one transaction: a new next key, published now and signing from now +
 * activation_seconds (from now when no activated key exists: a fresh
 * install); the key(s) it replaces get retire_after = its activation +
 * overlap_seconds; keys past retire_after get retired_at; an audit event.
 * *kid is the new key's kid (arena), *activates_in the seconds until it
 * signs. */
fa_status_t fa_signing_keys_rotate(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                   long activation_seconds, long overlap_seconds, const char **kid,
                                   long *activates_in, fa_error_t *err);

/* One key as the operator sees it. state: next (published, not yet
 * signing) | current (the newest activated key) | published (replaced, kept
 * for its tokens) | retired. Timestamps in the API format (core/timefmt);
 * retire_after and retired_at NULL when not set. */
typedef struct {
    const char *kid;
    const char *state;
    const char *created_at;
    const char *activates_at;
    const char *retire_after;
    const char *retired_at;
} fa_signing_key_row_t;

typedef struct {
    fa_signing_key_row_t *rows; /* arena */
    size_t count;
} fa_signing_key_rows_t;

/* Every key, newest first, in the arena. On failure *out is empty. */
fa_status_t fa_signing_keys_list(fa_db_t *db, fa_arena_t *arena, fa_signing_key_rows_t *out,
                                 fa_error_t *err);

/* Opens a sealed private seed stored for kid; NULL when no key of the ring
 * opens it or the kid does not match the key inside (a row copied under
 * another kid). The caller frees the key. */
EVP_PKEY *fa_signing_key_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *kid,
                              const uint8_t *sealed, size_t sealed_len);

#endif
