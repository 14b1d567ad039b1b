/* JWT signing keys (signing_keys table) and each worker's cache of them.
 * Owns the signing_keys table.
 *
 * A key is an Ed25519 pair; its kid is the RFC 7638 thumbprint. The private
 * seed is sealed at rest with the keyring for FA_KDF_LABEL_JWT_KEY_ENCRYPTION
 * (aad "signing_keys:<kid>"), so a database dump alone cannot mint tokens
 * and a secret rotation (new,old) still opens keys sealed under the old one.
 *
 * Lifecycle: the current key has retire_after NULL and signs. Rotation seals
 * a new current key and sets retire_after = now + FA_SIGNING_KEYS_OVERLAP on
 * the old one, in one transaction. A key is published (JWKS) and accepted
 * (verify) until retire_after has passed; past it, retired_at records that it
 * is gone for good.
 *
 * Only one current key at a time: creating the first key and rotating both
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
/* Keys a worker holds: the current one and those still in their overlap. */
#define FA_SIGNING_KEYS_CACHED_MAX 16

/* How long a replaced key stays published: every token it signed has
 * expired by then. A worker may sign with the old key until its cache
 * refreshes, so the cache interval counts too. */
long fa_signing_keys_overlap_seconds(const fa_config_t *cfg);

typedef struct {
    char kid[FA_JWT_KID_MAX + 1];
    EVP_PKEY *key; /* private (it verifies too) */
    bool current;
} fa_signing_key_t;

typedef struct {
    fa_keyring_t ring;
    fa_signing_key_t keys[FA_SIGNING_KEYS_CACHED_MAX];
    size_t count;
    double loaded_at;   /* monotonic seconds; 0 = never */
    double last_reload; /* for the once-a-second bound on kid misses */
} fa_signing_keys_cache_t;

void fa_signing_keys_register_statements(void);

/* The ring from the configured secrets; no database access yet. */
void fa_signing_keys_cache_init(fa_signing_keys_cache_t *cache, const fa_config_t *cfg);
/* Frees the keys and wipes the ring. */
void fa_signing_keys_cache_clear(fa_signing_keys_cache_t *cache);

/* The key to sign with, creating the first key when the table has none.
 * FA_ERR_UNAVAILABLE when the database is down; FA_ERR_INTERNAL when a
 * stored key does not open (wrong secrets). */
fa_status_t fa_signing_keys_current(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                    const fa_signing_key_t **out, fa_error_t *err);
/* A published key by kid, or NULL (unknown, retired, or database down). */
EVP_PKEY *fa_signing_keys_find(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                               const char *kid);

/* {"keys":[JWK, ...]} of every published key as serialised JSON (arena),
 * creating the first key when there is none. NULL with err on failure. */
char *fa_signing_keys_jwks(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                           fa_error_t *err);

/* In one transaction: a new current key; the previous current key gets
 * retire_after = now + overlap_seconds; keys past retire_after get
 * retired_at; an audit event. *kid is the new key's kid (arena). */
fa_status_t fa_signing_keys_rotate(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                   long overlap_seconds, const char **kid, fa_error_t *err);

/* Every key, newest first: columns kid, state (current|published|retired),
 * created_at, retire_after, retired_at. */
PGresult *fa_signing_keys_list(fa_db_t *db, fa_arena_t *arena, fa_error_t *err);

/* Opens a sealed private seed stored for kid; NULL when no key of the ring
 * opens it or the kid does not match the key inside (a row copied under
 * another kid). The caller frees the key. */
EVP_PKEY *fa_signing_key_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *kid,
                              const uint8_t *sealed, size_t sealed_len);

#endif
