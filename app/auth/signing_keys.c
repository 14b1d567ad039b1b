/* Owns: signing_keys and the per-worker key cache. Never: stores a private
 * seed unsealed, or keeps one in memory outside an EVP_PKEY. */
#include "auth/signing_keys.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/audit.h"
#include "core/log.h"
#include "crypto/kdf.h"

#define FA_KEYS_LIVE "retired_at IS NULL AND (retire_after IS NULL OR retire_after > now())"
/* Any constant shared by every process of the service ("fa-keys" in ASCII). */
#define FA_KEYS_LOCK "SELECT pg_advisory_xact_lock(112404225517939)"

static const fa_db_statement_t fa_signing_key_statements[] = {
    {"signing_keys_load",
     "SELECT kid, encode(private_key_enc, 'hex') AS sealed, (retire_after IS NULL) AS current "
     "FROM signing_keys WHERE " FA_KEYS_LIVE
     " ORDER BY (retire_after IS NULL) DESC, created_at DESC LIMIT 16",
     0},
    {"signing_keys_jwks",
     "SELECT coalesce(json_agg(public_jwk ORDER BY created_at DESC), '[]'::json)::text AS keys, "
     "coalesce(bool_or(retire_after IS NULL), false) AS has_current "
     "FROM (SELECT public_jwk, created_at, retire_after FROM signing_keys WHERE " FA_KEYS_LIVE
     " ORDER BY created_at DESC LIMIT 16) k",
     0},
    {"signing_keys_lock", FA_KEYS_LOCK, 0},
    {"signing_keys_has_current",
     "SELECT count(*) AS n FROM signing_keys WHERE retire_after IS NULL AND retired_at IS NULL", 0},
    {"signing_keys_insert",
     "INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc) "
     "VALUES ($1, 'EdDSA', $2::jsonb, $3::bytea) ON CONFLICT (kid) DO NOTHING",
     3},
    {"signing_keys_retire_current",
     "UPDATE signing_keys SET retire_after = now() + make_interval(secs => $1::int) "
     "WHERE retire_after IS NULL AND retired_at IS NULL RETURNING kid",
     1},
    {"signing_keys_mark_retired",
     "UPDATE signing_keys SET retired_at = now() "
     "WHERE retired_at IS NULL AND retire_after <= now()",
     0},
    {"signing_keys_list",
     "SELECT kid, CASE WHEN retired_at IS NOT NULL OR retire_after <= now() THEN 'retired' "
     "WHEN retire_after IS NULL THEN 'current' ELSE 'published' END AS state, "
     "created_at::text AS created_at, retire_after::text AS retire_after, "
     "retired_at::text AS retired_at FROM signing_keys ORDER BY created_at DESC, kid",
     0},
};

void fa_signing_keys_register_statements(void)
{
    fa_db_register(fa_signing_key_statements,
                   sizeof(fa_signing_key_statements) / sizeof(fa_signing_key_statements[0]));
}

long fa_signing_keys_overlap_seconds(const fa_config_t *cfg)
{
    return cfg->jwt_ttl + cfg->jwt_leeway + FA_SIGNING_KEYS_CACHE_SECONDS;
}

static double fa_keys_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *fa_key_aad(fa_arena_t *arena, const char *kid)
{
    return fa_arena_sprintf(arena, "signing_keys:%s", kid);
}

/* ---- sealing ----------------------------------------------------------- */

EVP_PKEY *fa_signing_key_open(const fa_keyring_t *ring, fa_arena_t *arena, const char *kid,
                              const uint8_t *sealed, size_t sealed_len)
{
    uint8_t *seed;
    size_t seed_len;
    if (!fa_keyring_open(ring, arena, fa_key_aad(arena, kid), sealed, sealed_len, &seed, &seed_len))
        return NULL;
    EVP_PKEY *key = seed_len == FA_ED25519_KEY_LEN ? fa_ed25519_private_key(seed) : NULL;
    OPENSSL_cleanse(seed, seed_len);
    uint8_t pub[FA_ED25519_KEY_LEN];
    char thumbprint[FA_JWK_THUMBPRINT_LEN + 1];
    if (!key || !fa_ed25519_raw_public(key, pub))
        goto fail;
    fa_jwk_thumbprint(pub, thumbprint);
    if (strcmp(thumbprint, kid) != 0)
        goto fail;
    return key;
fail:
    EVP_PKEY_free(key);
    return NULL;
}

static bool fa_hex_decode(fa_arena_t *arena, const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2)
        return false;
    uint8_t *bytes = fa_arena_alloc(arena, n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        char *end;
        unsigned long v = strtoul(pair, &end, 16);
        if (*end)
            return false;
        bytes[i] = (uint8_t)v;
    }
    *out = bytes;
    *len = n / 2;
    return true;
}

/* ---- creation ---------------------------------------------------------- */

static fa_status_t fa_signing_keys_insert_new(fa_db_t *db, fa_arena_t *arena,
                                              const fa_keyring_t *ring, const char **kid_out,
                                              fa_error_t *err)
{
    uint8_t seed[FA_ED25519_KEY_LEN], pub[FA_ED25519_KEY_LEN];
    fa_ed25519_generate(seed, pub);
    char *kid = fa_arena_alloc(arena, FA_JWK_THUMBPRINT_LEN + 1);
    fa_jwk_thumbprint(pub, kid);
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(ring, arena, fa_key_aad(arena, kid), seed, sizeof(seed), &sealed, &sealed_len);
    OPENSSL_cleanse(seed, sizeof(seed));
    json_t *jwk = fa_jwk_public(pub, kid);
    char *jwk_text = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(jwk);
    if (!jwk_text)
        abort();
    const char *values[3] = {kid, fa_arena_strdup(arena, jwk_text), (const char *)sealed};
    free(jwk_text);
    const int lengths[3] = {0, 0, (int)sealed_len};
    const int formats[3] = {0, 0, 1};
    if (!fa_db_exec_params(db, arena, "signing_keys_insert", 3, values, lengths, formats, err))
        return err->status;
    *kid_out = kid;
    return FA_OK;
}

static fa_status_t fa_ensure_tx(fa_db_t *db, fa_arena_t *arena, void *ring, fa_error_t *err)
{
    if (!fa_db_exec(db, arena, "signing_keys_lock", 0, NULL, err))
        return err->status;
    PGresult *r = fa_db_exec(db, arena, "signing_keys_has_current", 0, NULL, err);
    if (!r)
        return err->status;
    if (fa_db_value_ll(r, 0, "n", 0) > 0)
        return FA_OK; /* another worker got here first */
    const char *kid;
    fa_status_t st = fa_signing_keys_insert_new(db, arena, ring, &kid, err);
    if (st == FA_OK)
        fa_log_info("keys", "created the first JWT signing key %s", kid);
    return st;
}

static fa_status_t fa_signing_keys_ensure(fa_signing_keys_cache_t *cache, fa_db_t *db,
                                          fa_arena_t *arena, fa_error_t *err)
{
    return fa_db_transaction(db, arena, fa_ensure_tx, &cache->ring, err);
}

typedef struct {
    const fa_keyring_t *ring;
    long overlap;
    const char *kid;
} fa_rotate_t;

static fa_status_t fa_rotate_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_rotate_t *rot = data;
    if (!fa_db_exec(db, arena, "signing_keys_lock", 0, NULL, err))
        return err->status;
    if (!fa_db_exec(db, arena, "signing_keys_mark_retired", 0, NULL, err))
        return err->status;
    const char *values[1] = {fa_arena_sprintf(arena, "%ld", rot->overlap)};
    PGresult *old = fa_db_exec(db, arena, "signing_keys_retire_current", 1, values, err);
    if (!old)
        return err->status;
    fa_status_t st = fa_signing_keys_insert_new(db, arena, rot->ring, &rot->kid, err);
    if (st != FA_OK)
        return st;
    json_t *detail = json_pack("{s:s,s:s?,s:i}", "kid", rot->kid, "previousKid",
                               PQntuples(old) > 0 ? fa_db_value(old, 0, "kid") : NULL,
                               "overlapSeconds", (int)rot->overlap);
    st = fa_audit_record(db, arena, "signing_key_rotated", 0, NULL, "cli", NULL, detail, err);
    json_decref(detail);
    return st;
}

fa_status_t fa_signing_keys_rotate(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                   long overlap_seconds, const char **kid, fa_error_t *err)
{
    fa_rotate_t rot = {ring, overlap_seconds, NULL};
    fa_status_t st = fa_db_transaction(db, arena, fa_rotate_tx, &rot, err);
    *kid = st == FA_OK ? rot.kid : NULL;
    return st;
}

PGresult *fa_signing_keys_list(fa_db_t *db, fa_arena_t *arena, fa_error_t *err)
{
    return fa_db_exec(db, arena, "signing_keys_list", 0, NULL, err);
}

/* ---- the cache --------------------------------------------------------- */

void fa_signing_keys_cache_init(fa_signing_keys_cache_t *cache, const fa_config_t *cfg)
{
    memset(cache, 0, sizeof(*cache));
    fa_keyring_init(&cache->ring, FA_KDF_LABEL_JWT_KEY_ENCRYPTION,
                    (const char *const *)cfg->secrets, cfg->secret_count);
}

static void fa_cache_drop_keys(fa_signing_keys_cache_t *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        EVP_PKEY_free(cache->keys[i].key);
    memset(cache->keys, 0, sizeof(cache->keys));
    cache->count = 0;
}

void fa_signing_keys_cache_clear(fa_signing_keys_cache_t *cache)
{
    fa_cache_drop_keys(cache);
    fa_keyring_clear(&cache->ring);
    cache->loaded_at = 0;
}

/* Replaces the cached keys with the live rows. On failure the old cache
 * stays: a database blip must not make every token unverifiable. */
static fa_status_t fa_cache_reload(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                   fa_error_t *err)
{
    cache->last_reload = fa_keys_now();
    PGresult *r = fa_db_exec(db, arena, "signing_keys_load", 0, NULL, err);
    if (!r)
        return err->status;
    fa_signing_key_t fresh[FA_SIGNING_KEYS_CACHED_MAX];
    size_t n = 0;
    for (int i = 0; i < PQntuples(r) && n < FA_SIGNING_KEYS_CACHED_MAX; i++) {
        const char *kid = fa_db_value(r, i, "kid");
        uint8_t *sealed;
        size_t sealed_len;
        EVP_PKEY *key = NULL;
        if (strlen(kid) <= FA_JWT_KID_MAX &&
            fa_hex_decode(arena, fa_db_value(r, i, "sealed"), &sealed, &sealed_len))
            key = fa_signing_key_open(&cache->ring, arena, kid, sealed, sealed_len);
        if (!key) {
            fa_log_error("keys", "signing key %s does not open with the configured secrets", kid);
            continue;
        }
        snprintf(fresh[n].kid, sizeof(fresh[n].kid), "%s", kid);
        fresh[n].key = key;
        fresh[n].current = strcmp(fa_db_value(r, i, "current"), "t") == 0;
        n++;
    }
    fa_cache_drop_keys(cache);
    memcpy(cache->keys, fresh, n * sizeof(fresh[0]));
    cache->count = n;
    cache->loaded_at = cache->last_reload;
    return FA_OK;
}

static bool fa_cache_stale(const fa_signing_keys_cache_t *cache)
{
    return cache->loaded_at == 0 ||
           fa_keys_now() - cache->loaded_at >= FA_SIGNING_KEYS_CACHE_SECONDS;
}

static const fa_signing_key_t *fa_cache_current(const fa_signing_keys_cache_t *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        if (cache->keys[i].current)
            return &cache->keys[i];
    return NULL;
}

fa_status_t fa_signing_keys_current(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                    const fa_signing_key_t **out, fa_error_t *err)
{
    *out = NULL;
    if (fa_cache_stale(cache) || !fa_cache_current(cache)) {
        fa_status_t st = fa_cache_reload(cache, db, arena, err);
        if (st == FA_OK && !fa_cache_current(cache)) {
            st = fa_signing_keys_ensure(cache, db, arena, err);
            if (st == FA_OK)
                st = fa_cache_reload(cache, db, arena, err);
        }
        if (st != FA_OK && !fa_cache_current(cache))
            return st;
    }
    *out = fa_cache_current(cache);
    if (!*out)
        return fa_error_set(err, FA_ERR_INTERNAL, "signing_key_unavailable",
                            "no usable signing key", "no current key opens");
    return FA_OK;
}

static EVP_PKEY *fa_cache_find(const fa_signing_keys_cache_t *cache, const char *kid)
{
    for (size_t i = 0; i < cache->count; i++)
        if (strcmp(cache->keys[i].kid, kid) == 0)
            return cache->keys[i].key;
    return NULL;
}

EVP_PKEY *fa_signing_keys_find(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                               const char *kid)
{
    fa_error_t ignored;
    if (fa_cache_stale(cache))
        fa_cache_reload(cache, db, arena, &ignored);
    EVP_PKEY *key = fa_cache_find(cache, kid);
    /* A kid we do not know may be a key another process just created; look
     * once, but never let a stream of made-up kids hammer the database. */
    if (!key && fa_keys_now() - cache->last_reload >= 1.0) {
        fa_cache_reload(cache, db, arena, &ignored);
        key = fa_cache_find(cache, kid);
    }
    return key;
}

char *fa_signing_keys_jwks(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                           fa_error_t *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r = fa_db_exec(db, arena, "signing_keys_jwks", 0, NULL, err);
        if (!r)
            return NULL;
        if (strcmp(fa_db_value(r, 0, "has_current"), "t") == 0 || attempt == 1)
            return fa_arena_sprintf(arena, "{\"keys\":%s}", fa_db_value(r, 0, "keys"));
        if (fa_signing_keys_ensure(cache, db, arena, err) != FA_OK)
            return NULL;
    }
    return NULL; /* not reached */
}
