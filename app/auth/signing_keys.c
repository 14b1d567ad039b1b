/* Owns: signing_keys and the per-worker key cache. Never: stores a private
 * seed unsealed, or keeps one in memory outside an EVP_PKEY. */
#include "auth/signing_keys.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/kdf.h"

#define FA_KEYS_LIVE "retired_at IS NULL AND (retire_after IS NULL OR retire_after > now())"
/* Any constant shared by every process of the service ("fa-keys" in ASCII). */
#define FA_KEYS_LOCK "SELECT pg_advisory_xact_lock(112404225517939)"
/* The newest activation first: the order a worker picks its signing key in.
 * activates_in is computed by the database, so the worker's clock and the
 * database's never get compared. */
#define FA_KEYS_LOAD                                                                               \
    "SELECT kid, encode(private_key_enc, 'hex') AS sealed, public_jwk::text AS stored_jwk, "       \
    "extract(epoch FROM activates_at - now())::float8 AS activates_in "                            \
    "FROM signing_keys WHERE " FA_KEYS_LIVE                                                        \
    " ORDER BY activates_at DESC, created_at DESC LIMIT 16"

static const fa_db_statement_t fa_signing_key_statements[] = {
    {"signing_keys_load", FA_KEYS_LOAD, 0},
    {"signing_keys_lock", FA_KEYS_LOCK, 0},
    {"signing_keys_has_active",
     "SELECT count(*) AS n FROM signing_keys WHERE " FA_KEYS_LIVE " AND activates_at <= now()", 0},
    {"signing_keys_insert",
     "INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, activates_at) "
     "VALUES ($1, 'EdDSA', $2::jsonb, $3::bytea, now() + make_interval(secs => $4::int)) "
     "ON CONFLICT (kid) DO NOTHING",
     4},
    /* Every key not yet replaced: the current one and a next key not yet
     * signing (a second rotation inside the activation delay). */
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
     "WHEN activates_at > now() THEN 'next' "
     "WHEN kid = (SELECT kid FROM signing_keys WHERE " FA_KEYS_LIVE " AND activates_at <= now() "
     "ORDER BY activates_at DESC, created_at DESC LIMIT 1) THEN 'current' "
     "ELSE 'published' END AS state, "
     "created_at, activates_at, retire_after, retired_at "
     "FROM signing_keys ORDER BY created_at DESC, kid",
     0},
};

void fa_signing_keys_register_statements(void)
{
    FA_DB_REGISTER(fa_signing_key_statements);
}

long fa_signing_keys_overlap_seconds(const fa_config_t *cfg)
{
    return cfg->jwt_ttl + cfg->jwt_leeway + FA_SIGNING_KEYS_CACHE_SECONDS;
}

long fa_signing_keys_activation_seconds(const fa_config_t *cfg)
{
    /* A worker serves the JWKS from its cache, so the key reaches the JWKS
     * up to FA_SIGNING_KEYS_CACHE_SECONDS after the rotation. */
    return FA_JWKS_MAX_AGE + cfg->jwt_leeway + FA_SIGNING_KEYS_CACHE_SECONDS;
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

/* A stored row opened with ring: NULL when it does not open here (another
 * secret list, a tampered or copied row). The caller frees the key. */
static EVP_PKEY *fa_row_open(const fa_keyring_t *ring, fa_arena_t *arena, const PGresult *r, int i)
{
    const char *kid = fa_db_value(r, i, "kid");
    uint8_t *sealed;
    size_t sealed_len;
    if (strlen(kid) > FA_JWT_KID_MAX ||
        !fa_hex_decode(arena, fa_db_value(r, i, "sealed"), &sealed, &sealed_len))
        return NULL;
    return fa_signing_key_open(ring, arena, kid, sealed, sealed_len);
}

static double fa_row_activates_in(const PGresult *r, int i)
{
    return strtod(fa_db_value(r, i, "activates_in"), NULL);
}

/* ---- creation ---------------------------------------------------------- */

static fa_status_t fa_signing_keys_insert_new(fa_db_t *db, fa_arena_t *arena,
                                              const fa_keyring_t *ring, long activates_in,
                                              const char **kid_out, fa_error_t *err)
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
    const char *values[4] = {kid, fa_arena_strdup(arena, jwk_text), (const char *)sealed,
                             fa_arena_sprintf(arena, "%ld", activates_in)};
    free(jwk_text);
    const int lengths[4] = {0, 0, (int)sealed_len, 0};
    const int formats[4] = {0, 0, 1, 0};
    if (!fa_db_exec_params(db, arena, "signing_keys_insert", 4, values, lengths, formats, err))
        return err->status;
    *kid_out = kid;
    return FA_OK;
}

/* Under the lock, so two workers meeting the same gap make one key. A key
 * that is not yet active does not count: it cannot sign now. */
static fa_status_t fa_ensure_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    const fa_keyring_t *ring = data;
    if (!fa_db_exec(db, arena, "signing_keys_lock", 0, NULL, err))
        return err->status;
    PGresult *r = fa_db_exec(db, arena, "signing_keys_load", 0, NULL, err);
    if (!r)
        return err->status;
    const char *unusable = NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        if (fa_row_activates_in(r, i) > 0)
            continue;
        EVP_PKEY *key = fa_row_open(ring, arena, r, i);
        if (key) {
            EVP_PKEY_free(key);
            return FA_OK; /* another worker got here first */
        }
        const char *kid = fa_db_value(r, i, "kid");
        unusable = unusable ? fa_arena_sprintf(arena, "%s, %s", unusable, kid) : kid;
    }
    const char *kid;
    fa_status_t st = fa_signing_keys_insert_new(db, arena, ring, 0, &kid, err);
    if (st != FA_OK)
        return st;
    if (!unusable)
        fa_log_info("keys", "created the first JWT signing key %s", kid);
    else
        /* Invariant (issue 13): a key nobody here can sign with is replaced,
         * not left to fail every token request. Signing at once costs
         * verifiers with a cached JWKS a short gap; waiting would cost
         * everyone every token until then. */
        fa_log_warn("keys",
                    "JWT signing key %s does not open with the configured secrets (was the secret "
                    "that sealed it removed from FOUNDRY_AUTH_SECRET?): created signing key %s, "
                    "which signs at once; the key that does not open is no longer published here",
                    unusable, kid);
    return FA_OK;
}

static fa_status_t fa_signing_keys_ensure(fa_signing_keys_cache_t *cache, fa_db_t *db,
                                          fa_arena_t *arena, fa_error_t *err)
{
    return fa_db_transaction(db, arena, fa_ensure_tx, &cache->ring, err);
}

typedef struct {
    const fa_keyring_t *ring;
    long activation;
    long overlap;
    const char *kid;
    long activates_in;
} fa_rotate_t;

static fa_status_t fa_rotate_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_rotate_t *rot = data;
    if (!fa_db_exec(db, arena, "signing_keys_lock", 0, NULL, err))
        return err->status;
    if (!fa_db_exec(db, arena, "signing_keys_mark_retired", 0, NULL, err))
        return err->status;
    PGresult *active = fa_db_exec(db, arena, "signing_keys_has_active", 0, NULL, err);
    if (!active)
        return err->status;
    /* A fresh install has no token a verifier could be missing a key for. */
    rot->activates_in = fa_db_value_ll(active, 0, "n", 0) > 0 ? rot->activation : 0;
    /* The replaced key signs until the new one activates; its last tokens
     * then need the overlap to expire. */
    const char *values[1] = {fa_arena_sprintf(arena, "%ld", rot->activates_in + rot->overlap)};
    PGresult *old = fa_db_exec(db, arena, "signing_keys_retire_current", 1, values, err);
    if (!old)
        return err->status;
    fa_status_t st =
        fa_signing_keys_insert_new(db, arena, rot->ring, rot->activates_in, &rot->kid, err);
    if (st != FA_OK)
        return st;
    json_t *detail =
        json_pack("{s:s,s:s?,s:i,s:i}", "kid", rot->kid, "previousKid",
                  PQntuples(old) > 0 ? fa_db_value(old, 0, "kid") : NULL, "activatesInSeconds",
                  (int)rot->activates_in, "overlapSeconds", (int)rot->overlap);
    st = fa_audit_record(db, arena, "signing_key_rotated", 0, NULL, "cli", NULL, detail, err);
    json_decref(detail);
    return st;
}

fa_status_t fa_signing_keys_rotate(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                   long activation_seconds, long overlap_seconds, const char **kid,
                                   long *activates_in, fa_error_t *err)
{
    fa_rotate_t rot = {ring, activation_seconds, overlap_seconds, NULL, 0};
    fa_status_t st = fa_db_transaction(db, arena, fa_rotate_tx, &rot, err);
    *kid = st == FA_OK ? rot.kid : NULL;
    *activates_in = rot.activates_in;
    return st;
}

fa_status_t fa_signing_keys_list(fa_db_t *db, fa_arena_t *arena, fa_signing_key_rows_t *out,
                                 fa_error_t *err)
{
    out->rows = NULL;
    out->count = 0;
    PGresult *r = fa_db_exec_binary(db, arena, "signing_keys_list", 0, NULL, NULL, NULL, err);
    if (!r)
        return err->status;
    int n = PQntuples(r);
    int kid = fa_db_col(r, "kid"), state = fa_db_col(r, "state"),
        created = fa_db_col(r, "created_at"), activates = fa_db_col(r, "activates_at"),
        retire = fa_db_col(r, "retire_after"), retired = fa_db_col(r, "retired_at");
    out->rows = fa_arena_alloc(arena, (size_t)(n > 0 ? n : 1) * sizeof(*out->rows));
    for (int i = 0; i < n; i++) {
        fa_signing_key_row_t *row = &out->rows[i];
        row->kid = fa_db_bin_text(r, i, kid);
        row->state = fa_db_bin_text(r, i, state);
        row->created_at = fa_db_bin_time_iso(arena, r, i, created);
        row->activates_at = fa_db_bin_time_iso(arena, r, i, activates);
        row->retire_after = fa_db_bin_time_iso(arena, r, i, retire);
        row->retired_at = fa_db_bin_time_iso(arena, r, i, retired);
    }
    out->count = (size_t)n;
    return FA_OK;
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
    free(cache->jwks);
    cache->jwks = NULL;
    cache->loaded_at = 0;
}

/* Kids found wrong at this reload; each is logged only if the previous
 * reload had not already reported it. */
typedef struct {
    char kids[FA_SIGNING_KEYS_CACHED_MAX][FA_JWT_KID_MAX + 1];
    size_t count;
} fa_report_t;

static bool fa_report_new(const fa_signing_keys_cache_t *cache, fa_report_t *now, const char *kid)
{
    if (now->count < FA_SIGNING_KEYS_CACHED_MAX)
        snprintf(now->kids[now->count++], FA_JWT_KID_MAX + 1, "%s", kid);
    for (size_t i = 0; i < cache->reported_count; i++)
        if (strcmp(cache->reported[i], kid) == 0)
            return false;
    return true;
}

/* Invariant (issue 13): what the JWKS publishes is derived from the private
 * key this worker opened; the stored public_jwk is only compared with it. */
static json_t *fa_key_jwk(fa_signing_keys_cache_t *cache, fa_report_t *report, EVP_PKEY *key,
                          const char *kid, const char *stored_text)
{
    uint8_t pub[FA_ED25519_KEY_LEN];
    if (!fa_ed25519_raw_public(key, pub))
        abort(); /* fa_signing_key_open returns Ed25519 keys only */
    json_t *jwk = fa_jwk_public(pub, kid);
    json_t *stored = stored_text ? json_loads(stored_text, 0, NULL) : NULL;
    if (!json_equal(stored, jwk) && fa_report_new(cache, report, kid))
        fa_log_error("keys",
                     "the stored public key of JWT signing key %s does not match its private key: "
                     "publishing the key derived from the private key instead",
                     kid);
    json_decref(stored);
    return jwk;
}

/* Replaces the cached keys (and the JWKS rendered from them) with the live
 * rows that open here. On failure the old cache stays: a database blip must
 * not make every token unverifiable. */
static fa_status_t fa_cache_reload(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                   fa_error_t *err)
{
    double now = fa_clock_monotonic();
    cache->last_reload = now;
    PGresult *r = fa_db_exec(db, arena, "signing_keys_load", 0, NULL, err);
    if (!r)
        return err->status;
    fa_signing_key_t fresh[FA_SIGNING_KEYS_CACHED_MAX];
    fa_report_t report = {.count = 0};
    json_t *published = json_array();
    size_t n = 0;
    for (int i = 0; i < PQntuples(r) && n < FA_SIGNING_KEYS_CACHED_MAX; i++) {
        const char *kid = fa_db_value(r, i, "kid");
        EVP_PKEY *key = fa_row_open(&cache->ring, arena, r, i);
        if (!key) {
            if (fa_report_new(cache, &report, kid))
                fa_log_error("keys", "signing key %s does not open with the configured secrets",
                             kid);
            continue;
        }
        json_array_append_new(
            published, fa_key_jwk(cache, &report, key, kid, fa_db_value(r, i, "stored_jwk")));
        snprintf(fresh[n].kid, sizeof(fresh[n].kid), "%s", kid);
        fresh[n].key = key;
        fresh[n].active_from = now + fa_row_activates_in(r, i);
        n++;
    }
    json_t *doc = json_pack("{s:o}", "keys", published);
    char *jwks = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!jwks)
        abort();
    fa_cache_drop_keys(cache);
    memcpy(cache->keys, fresh, n * sizeof(fresh[0]));
    cache->count = n;
    free(cache->jwks);
    cache->jwks = jwks;
    memcpy(cache->reported, report.kids, sizeof(report.kids));
    cache->reported_count = report.count;
    cache->loaded_at = now;
    return FA_OK;
}

static bool fa_cache_stale(const fa_signing_keys_cache_t *cache)
{
    return cache->loaded_at == 0 ||
           fa_clock_monotonic() - cache->loaded_at >= FA_SIGNING_KEYS_CACHE_SECONDS;
}

/* The newest key whose activation has passed (keys[] is newest first). */
static const fa_signing_key_t *fa_cache_signing(const fa_signing_keys_cache_t *cache)
{
    double now = fa_clock_monotonic();
    for (size_t i = 0; i < cache->count; i++)
        if (cache->keys[i].active_from <= now)
            return &cache->keys[i];
    return NULL;
}

fa_status_t fa_signing_keys_current(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                                    const fa_signing_key_t **out, fa_error_t *err)
{
    *out = NULL;
    fa_status_t st = FA_OK;
    if (fa_cache_stale(cache))
        st = fa_cache_reload(cache, db, arena, err);
    if (!fa_cache_signing(cache)) {
        if (st == FA_OK)
            st = fa_signing_keys_ensure(cache, db, arena, err);
        if (st == FA_OK)
            st = fa_cache_reload(cache, db, arena, err);
        if (st != FA_OK && !fa_cache_signing(cache))
            return st;
    }
    *out = fa_cache_signing(cache);
    if (!*out)
        return fa_error_set(err, FA_ERR_INTERNAL, "signing_key_unavailable",
                            "no usable signing key", "no activated key opens");
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
    if (!key && fa_clock_monotonic() - cache->last_reload >= 1.0) {
        fa_cache_reload(cache, db, arena, &ignored);
        key = fa_cache_find(cache, kid);
    }
    return key;
}

char *fa_signing_keys_jwks(fa_signing_keys_cache_t *cache, fa_db_t *db, fa_arena_t *arena,
                           fa_error_t *err)
{
    /* Also makes a key when none can sign: a JWKS without the key tokens
     * are about to carry would be cached by verifiers for max-age. */
    const fa_signing_key_t *key;
    fa_status_t st = fa_signing_keys_current(cache, db, arena, &key, err);
    /* Without a signing key the published ones still verify: serve them. */
    if (!cache->jwks) {
        if (st == FA_OK)
            abort(); /* a signing key comes from a reload, which renders the JWKS */
        return NULL;
    }
    return fa_arena_strdup(arena, cache->jwks);
}
