/* Owns: admin_tokens. Never: stores, logs or compares the token itself;
 * only its HMAC-SHA256 reaches SQL, always as a bound binary parameter. */
#include "auth/admin_token.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "auth/audit.h"
#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "crypto/random.h"

static const fa_db_statement_t fa_admin_token_statements[] = {
    /* One parameter per configured secret's MAC; unused ones repeat $1. */
    {"admin_token_check",
     "SELECT token_hash FROM admin_tokens WHERE token_hash IN ($1, $2, $3, $4) "
     "AND revoked_at IS NULL",
     4},
    {"admin_token_check_locked",
     "SELECT token_hash FROM admin_tokens WHERE token_hash IN ($1, $2, $3, $4) "
     "AND revoked_at IS NULL FOR SHARE",
     4},
    {"admin_token_lock_for_rotate",
     "SELECT token_hash FROM admin_tokens WHERE token_hash IN ($1, $2, $3, $4) "
     "AND revoked_at IS NULL FOR UPDATE",
     4},
    {"admin_token_active_count", "SELECT count(*) AS n FROM admin_tokens WHERE revoked_at IS NULL",
     0},
    {"admin_token_revoke_all",
     "UPDATE admin_tokens SET revoked_at = now() WHERE revoked_at IS NULL", 0},
    {"admin_token_insert", "INSERT INTO admin_tokens (token_hash) VALUES ($1)", 1},
    /* Serialises creation and rotation, so two operators cannot both end up
     * holding a live token from racing commands. */
    {"admin_token_lock", "SELECT pg_advisory_xact_lock(112404225515883)", 0},
};

void fa_admin_token_register_statements(void)
{
    FA_DB_REGISTER(fa_admin_token_statements);
}

_Static_assert(FA_HMAC_KEYS_MAX == 4, "admin_token_check binds one MAC per secret");

bool fa_admin_token_keys_init(fa_hmac_keys_t *keys, const char *const *secrets, size_t n)
{
    return fa_hmac_keys_init_purpose(keys, FA_KDF_LABEL_ADMIN_TOKEN, secrets, n);
}

static void fa_admin_token_mac(const fa_hmac_keys_t *keys, size_t i, fa_str_t token,
                               uint8_t mac[FA_SHA256_LEN])
{
    fa_hmac_sha256(keys->keys[i], FA_HMAC_KEY_LEN, token.ptr, token.len, mac);
}

void fa_admin_token_generate(const fa_hmac_keys_t *keys, fa_arena_t *arena, char **token,
                             uint8_t mac[FA_SHA256_LEN])
{
    if (keys->count == 0 || strcmp(keys->purpose, FA_KDF_LABEL_ADMIN_TOKEN) != 0)
        abort(); /* API misuse: another purpose's key would make a forgeable row */
    char *random = fa_random_token_b64url(arena, FA_ADMIN_TOKEN_RAW_LEN);
    *token = fa_arena_sprintf(arena, "%s%s", FA_ADMIN_TOKEN_PREFIX, random);
    fa_admin_token_mac(keys, 0, fa_str_from(*token), mac);
}

bool fa_admin_token_macs(const fa_hmac_keys_t *keys, fa_str_t token, fa_admin_token_macs_t *macs)
{
    size_t prefix = sizeof(FA_ADMIN_TOKEN_PREFIX) - 1;
    uint8_t raw[FA_ADMIN_TOKEN_RAW_LEN];
    size_t raw_len;
    macs->count = 0;
    if (!token.ptr || token.len != FA_ADMIN_TOKEN_LEN ||
        memcmp(token.ptr, FA_ADMIN_TOKEN_PREFIX, prefix) != 0 ||
        !fa_base64url_decode(token.ptr + prefix, token.len - prefix, raw, sizeof(raw), &raw_len) ||
        raw_len != FA_ADMIN_TOKEN_RAW_LEN)
        return false;
    if (keys->count == 0 || keys->count > FA_HMAC_KEYS_MAX ||
        strcmp(keys->purpose, FA_KDF_LABEL_ADMIN_TOKEN) != 0)
        abort(); /* API misuse */
    for (size_t i = 0; i < keys->count; i++)
        fa_admin_token_mac(keys, i, token, macs->macs[i]);
    macs->count = keys->count;
    return true;
}

bool fa_admin_token_from_authorization(const fa_hmac_keys_t *keys, fa_str_t header,
                                       fa_admin_token_macs_t *macs)
{
    macs->count = 0;
    if (!header.ptr || header.len < 7 || strncasecmp(header.ptr, "Bearer ", 7) != 0)
        return false;
    return fa_admin_token_macs(keys, fa_str_trim((fa_str_t){header.ptr + 7, header.len - 7}), macs);
}

static PGresult *fa_admin_token_lookup(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                                       const fa_admin_token_macs_t *macs, fa_error_t *err)
{
    const char *values[FA_HMAC_KEYS_MAX];
    int lengths[FA_HMAC_KEYS_MAX], formats[FA_HMAC_KEYS_MAX];
    if (macs->count == 0 || macs->count > FA_HMAC_KEYS_MAX)
        abort(); /* API misuse: a check without a MAC */
    for (size_t i = 0; i < FA_HMAC_KEYS_MAX; i++) {
        values[i] = (const char *)macs->macs[i < macs->count ? i : 0];
        lengths[i] = FA_SHA256_LEN;
        formats[i] = 1;
    }
    return (fa_db_exec_params)(db, arena, statement, FA_HMAC_KEYS_MAX, values, lengths, formats,
                               err);
}

/* A returned row against our MACs in constant time (see the header). The
 * text result is bytea hex: "\\x" + 64 hex digits. */
static bool fa_admin_token_row_matches(const PGresult *r, const fa_admin_token_macs_t *macs)
{
    bool match = false;
    for (int row = 0; row < PQntuples(r); row++) {
        const char *stored = fa_db_value(r, row, "token_hash");
        for (size_t i = 0; i < macs->count; i++) {
            char expected[2 + FA_SHA256_HEX_LEN + 1] = "\\x";
            fa_hex_encode(macs->macs[i], FA_SHA256_LEN, expected + 2);
            match |= stored && strlen(stored) == sizeof(expected) - 1 &&
                     fa_ct_equal(stored, expected, sizeof(expected) - 1);
        }
    }
    return match;
}

static fa_status_t fa_admin_token_refused(fa_error_t *err)
{
    return fa_error_set(err, FA_ERR_UNAUTHORIZED, "invalid_admin_token",
                        "a valid admin token is required", NULL);
}

fa_status_t fa_admin_token_check(fa_db_t *db, fa_arena_t *arena, const fa_admin_token_macs_t *macs,
                                 bool lock, fa_error_t *err)
{
    PGresult *r = fa_admin_token_lookup(db, arena,
                                        lock ? FA_DB_STATEMENT("admin_token_check_locked")
                                             : FA_DB_STATEMENT("admin_token_check"),
                                        macs, err);
    if (!r)
        return err->status;
    return fa_admin_token_row_matches(r, macs) ? FA_OK : fa_admin_token_refused(err);
}

static fa_status_t fa_admin_token_insert(fa_db_t *db, fa_arena_t *arena, const fa_hmac_keys_t *keys,
                                         char **token, fa_error_t *err)
{
    uint8_t hash[FA_SHA256_LEN];
    fa_admin_token_generate(keys, arena, token, hash);
    const char *values[1] = {(const char *)hash};
    const int lengths[1] = {FA_SHA256_LEN};
    const int formats[1] = {1};
    if (!fa_db_exec_params(db, arena, "admin_token_insert", 1, values, lengths, formats, err))
        return err->status;
    return FA_OK;
}

typedef struct {
    const fa_hmac_keys_t *keys;
    const fa_admin_token_macs_t *old;
    const char *actor;
    const char *ip;
    char *token;
    bool rotate;
} fa_admin_tx_t;

static fa_status_t fa_admin_create_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_admin_tx_t *tx = data;
    if (!fa_db_exec(db, arena, "admin_token_lock", 0, NULL, err))
        return err->status;
    PGresult *r = fa_db_exec(db, arena, "admin_token_active_count", 0, NULL, err);
    if (!r)
        return err->status;
    if (fa_db_value_ll(r, 0, "n", 0) > 0)
        return fa_error_set(err, FA_ERR_CONFLICT, "admin_token_exists",
                            "an admin token already exists; rotate it instead", NULL);
    fa_status_t st = fa_admin_token_insert(db, arena, tx->keys, &tx->token, err);
    if (st != FA_OK)
        return st;
    return fa_audit_record(db, arena, "admin_token_created", 0, NULL, tx->actor, tx->ip, NULL, err);
}

static fa_status_t fa_admin_rotate_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_admin_tx_t *tx = data;
    if (!fa_db_exec(db, arena, "admin_token_lock", 0, NULL, err))
        return err->status;
    if (tx->old) {
        /* FOR UPDATE waits for admin writes holding the row FOR SHARE. */
        PGresult *r = fa_admin_token_lookup(
            db, arena, FA_DB_STATEMENT("admin_token_lock_for_rotate"), tx->old, err);
        if (!r)
            return err->status;
        if (!fa_admin_token_row_matches(r, tx->old))
            return fa_admin_token_refused(err);
    }
    PGresult *revoked = fa_db_exec(db, arena, "admin_token_revoke_all", 0, NULL, err);
    if (!revoked)
        return err->status;
    fa_status_t st = fa_admin_token_insert(db, arena, tx->keys, &tx->token, err);
    if (st != FA_OK)
        return st;
    json_t *detail = json_pack("{s:s}", "revoked", PQcmdTuples(revoked));
    st = fa_audit_record(db, arena, "admin_token_rotated", 0, NULL, tx->actor, tx->ip, detail, err);
    json_decref(detail);
    return st;
}

fa_status_t fa_admin_token_create(fa_db_t *db, fa_arena_t *arena, const fa_hmac_keys_t *keys,
                                  char **token, fa_error_t *err)
{
    fa_admin_tx_t tx = {.keys = keys, .actor = "cli"};
    fa_status_t st = fa_db_transaction(db, arena, fa_admin_create_tx, &tx, err);
    *token = st == FA_OK ? tx.token : NULL;
    return st;
}

fa_status_t fa_admin_token_rotate(fa_db_t *db, fa_arena_t *arena, const fa_hmac_keys_t *keys,
                                  const fa_admin_token_macs_t *old, const char *actor,
                                  const char *ip, char **token, fa_error_t *err)
{
    fa_admin_tx_t tx = {.keys = keys, .old = old, .actor = actor, .ip = ip};
    /* Invariant 7: OK only after COMMIT, so the new token is never handed
     * out while the old one still works. */
    fa_status_t st = fa_db_transaction(db, arena, fa_admin_rotate_tx, &tx, err);
    *token = st == FA_OK ? tx.token : NULL;
    return st;
}
