/* Owns: finding and rewriting sealed values by the key that sealed them.
 * Never: overwrites a value it did not read (every UPDATE is guarded by the
 * old bytes), logs or prints a decrypted value, or holds a transaction open
 * longer than one batch.
 *
 * The statements here touch accounts (auth/github_token.c) and signing_keys
 * (auth/signing_keys.c) only to swap one sealed value for another under the
 * same aad; the aads below must stay those modules' aads (the secrets
 * integration suite proves they do: resealed values open there). */
#include "admin/reseal.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/kdf.h"

/* Row keys are GitHub account ids and RFC 7638 kids: far shorter. */
#define FA_RESEAL_KEY_MAX 256
#define FA_STRINGIFY(x) #x
#define FA_LIMIT(n) " LIMIT " FA_STRINGIFY(n)

/* One sealed column. Its select takes ($1 last key, $2 the 5-byte header of
 * the sealing key) and returns (k, aad_id, v) for rows not already under it;
 * its update takes ($1 key, $2 old value, $3 new value). */
typedef struct {
    const char *name;
    const char *label; /* keyring purpose */
    const fa_db_use_t *select, *update, *count;
    const char *aad_format; /* %s = aad_id */
} fa_sealed_column_t;

/* The header of a value's key: version byte 2 + key id; format 1 groups as ''. */
#define FA_HEADER_SQL(col)                                                                         \
    "CASE WHEN get_byte(" col ", 0) = 2 THEN encode(substring(" col " from 2 for 4), 'hex') "      \
    "ELSE '' END"

/* A column's three statement names, recorded for the start-up check
 * (db/db.h) because the table below hands them to fa_db_exec. */
#define FA_RESEAL_USES(col)                                                                        \
    FA_DB_STATEMENT_DEFINE(fa_reseal_select_##col, "reseal_select_" #col);                         \
    FA_DB_STATEMENT_DEFINE(fa_reseal_update_##col, "reseal_update_" #col);                         \
    FA_DB_STATEMENT_DEFINE(fa_reseal_count_##col, "reseal_count_" #col)

FA_RESEAL_USES(access_token_enc);
FA_RESEAL_USES(refresh_token_enc);
FA_RESEAL_USES(private_key_enc);

#define FA_RESEAL_NAMES(col)                                                                       \
    &fa_reseal_select_##col, &fa_reseal_update_##col, &fa_reseal_count_##col

#define FA_ACCOUNTS_COLUMN(col, which)                                                             \
    {                                                                                              \
        "accounts." #col, FA_KDF_LABEL_TOKEN_ENCRYPTION, FA_RESEAL_NAMES(col),                     \
            "accounts:github:%s:" which                                                            \
    }

static const fa_sealed_column_t fa_sealed_columns[] = {
    FA_ACCOUNTS_COLUMN(access_token_enc, "access"),
    FA_ACCOUNTS_COLUMN(refresh_token_enc, "refresh"),
    {"signing_keys.private_key_enc", FA_KDF_LABEL_JWT_KEY_ENCRYPTION,
     FA_RESEAL_NAMES(private_key_enc), "signing_keys:%s"},
};

#define FA_ACCOUNTS_STATEMENTS(col)                                                                \
    {"reseal_select_" col,                                                                         \
     "SELECT account_id AS k, user_id::text AS aad_id, " col " AS v FROM accounts "                \
     "WHERE provider_id = 'github' AND account_id > $1 AND " col " IS NOT NULL "                   \
     "AND substring(" col                                                                          \
     " from 1 for 5) <> $2::bytea ORDER BY account_id" FA_LIMIT(FA_RESEAL_BATCH),                  \
     2},                                                                                           \
        {"reseal_update_" col,                                                                     \
         "UPDATE accounts SET " col " = $3 WHERE provider_id = 'github' AND account_id = $1 "      \
         "AND " col " = $2::bytea",                                                                \
         3},                                                                                       \
    {                                                                                              \
        "reseal_count_" col,                                                                       \
            "SELECT " FA_HEADER_SQL(col) " AS h, count(*) AS n FROM accounts WHERE " col           \
                                         " IS NOT NULL GROUP BY 1",                                \
            0                                                                                      \
    }

static const fa_db_statement_t fa_reseal_statements[] = {
    FA_ACCOUNTS_STATEMENTS("access_token_enc"),
    FA_ACCOUNTS_STATEMENTS("refresh_token_enc"),
    {"reseal_select_private_key_enc",
     "SELECT kid AS k, kid AS aad_id, private_key_enc AS v FROM signing_keys "
     "WHERE kid > $1 AND substring(private_key_enc from 1 for 5) <> $2::bytea "
     "ORDER BY kid" FA_LIMIT(FA_RESEAL_BATCH),
     2},
    {"reseal_update_private_key_enc",
     "UPDATE signing_keys SET private_key_enc = $3 WHERE kid = $1 AND private_key_enc = $2::bytea",
     3},
    {"reseal_count_private_key_enc",
     "SELECT " FA_HEADER_SQL("private_key_enc") " AS h, count(*) AS n FROM signing_keys GROUP BY 1",
     0},
};

#define FA_COLUMNS (sizeof(fa_sealed_columns) / sizeof(fa_sealed_columns[0]))

void fa_reseal_register_statements(void)
{
    FA_DB_REGISTER(fa_reseal_statements);
}

static void fa_ring_for(const fa_config_t *cfg, const fa_sealed_column_t *c, fa_keyring_t *ring)
{
    fa_keyring_init(ring, c->label, (const char *const *)cfg->secrets, cfg->secret_count);
}

/* ---- counting ---------------------------------------------------------- */

static void fa_count_header(const fa_keyring_t *ring, const char *hex, long long n,
                            fa_reseal_counts_t *out)
{
    if (hex[0] == '\0') {
        out->legacy += n;
        return;
    }
    for (size_t i = 0; i < ring->count; i++) {
        char id[2 * FA_AEAD_KEY_ID_LEN + 1];
        for (size_t b = 0; b < FA_AEAD_KEY_ID_LEN; b++)
            snprintf(id + 2 * b, 3, "%02x", ring->ids[i][b]);
        if (strcmp(id, hex) == 0) {
            out->by_secret[i] += n;
            return;
        }
    }
    out->unknown += n;
}

fa_status_t fa_reseal_count(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena,
                            fa_reseal_counts_t *out, fa_error_t *err)
{
    memset(out, 0, sizeof(*out));
    for (size_t c = 0; c < FA_COLUMNS; c++) {
        PGresult *r = (fa_db_exec)(db, arena, fa_sealed_columns[c].count, 0, NULL, err);
        if (!r)
            return err->status;
        fa_keyring_t ring;
        fa_ring_for(cfg, &fa_sealed_columns[c], &ring);
        for (int i = 0; i < PQntuples(r); i++)
            fa_count_header(&ring, fa_db_value(r, i, "h"), fa_db_value_ll(r, i, "n", 0), out);
        fa_keyring_clear(&ring);
    }
    return FA_OK;
}

bool fa_reseal_droppable(const fa_reseal_counts_t *counts, size_t i)
{
    return i > 0 && i < FA_KEYRING_MAX && counts->by_secret[i] == 0 && counts->legacy == 0;
}

/* ---- resealing --------------------------------------------------------- */

typedef struct {
    const fa_sealed_column_t *column;
    const fa_keyring_t *ring;
    char *last_key; /* keyset position: the batch after this key */
    size_t rows;    /* rows the last batch selected */
    fa_reseal_result_t *result;
} fa_batch_t;

static fa_status_t fa_reseal_row(fa_db_t *db, fa_arena_t *arena, fa_batch_t *b, const char *key,
                                 const char *aad_id, const uint8_t *old, size_t old_len,
                                 fa_error_t *err)
{
    const char *aad = fa_arena_sprintf(arena, b->column->aad_format, aad_id);
    uint8_t *plain, *sealed;
    size_t plain_len, sealed_len;
    if (!fa_keyring_open(b->ring, arena, aad, old, old_len, &plain, &plain_len)) {
        b->result->unreadable++;
        return FA_OK;
    }
    fa_keyring_seal(b->ring, arena, aad, plain, plain_len, &sealed, &sealed_len);
    const char *values[3] = {key, (const char *)old, (const char *)sealed};
    const int lengths[3] = {0, (int)old_len, (int)sealed_len};
    const int formats[3] = {0, 1, 1};
    PGresult *r =
        (fa_db_exec_params)(db, arena, b->column->update, 3, values, lengths, formats, err);
    if (!r)
        return err->status;
    if (atoll(PQcmdTuples(r)) == 1)
        b->result->resealed++;
    else
        b->result->raced++;
    return FA_OK;
}

/* One batch, inside its own transaction. */
static fa_status_t fa_reseal_batch(fa_db_t *db, fa_arena_t *arena, void *ctx, fa_error_t *err)
{
    fa_batch_t *b = ctx;
    uint8_t header[FA_AEAD_HEADER_LEN] = {FA_AEAD_VERSION};
    memcpy(header + 1, b->ring->ids[0], FA_AEAD_KEY_ID_LEN);
    const char *values[2] = {b->last_key, (const char *)header};
    const int lengths[2] = {0, sizeof(header)};
    const int formats[2] = {0, 1};
    PGresult *r =
        (fa_db_exec_binary)(db, arena, b->column->select, 2, values, lengths, formats, err);
    if (!r)
        return err->status;
    b->rows = (size_t)PQntuples(r);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *key = fa_db_bin_text(r, i, 0);
        if (strlen(key) >= FA_RESEAL_KEY_MAX)
            return fa_error_set(err, FA_ERR_INTERNAL, "reseal_key_too_long",
                                "could not reseal: a row key is too long", b->column->name);
        fa_status_t st =
            fa_reseal_row(db, arena, b, key, fa_db_bin_text(r, i, 1),
                          (const uint8_t *)PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2), err);
        if (st != FA_OK)
            return st;
        /* Outlives the arena reset between batches. */
        snprintf(b->last_key, FA_RESEAL_KEY_MAX, "%s", key);
    }
    return FA_OK;
}

fa_status_t fa_reseal_run(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena,
                          fa_reseal_result_t *out, fa_error_t *err)
{
    memset(out, 0, sizeof(*out));
    fa_status_t st = FA_OK;
    char last_key[FA_RESEAL_KEY_MAX];
    for (size_t c = 0; c < FA_COLUMNS && st == FA_OK; c++) {
        fa_keyring_t ring;
        fa_ring_for(cfg, &fa_sealed_columns[c], &ring);
        last_key[0] = '\0';
        fa_batch_t b = {&fa_sealed_columns[c], &ring, last_key, 0, out};
        do {
            st = fa_db_transaction(db, arena, fa_reseal_batch, &b, err);
            fa_arena_reset(arena); /* wipes the plain texts of the batch */
        } while (st == FA_OK && b.rows == FA_RESEAL_BATCH);
        fa_keyring_clear(&ring);
    }
    return st;
}
