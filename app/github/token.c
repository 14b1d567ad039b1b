/* Owns: reading and re-sealing accounts' GitHub tokens after sign-in (sign-in
 * itself writes them in auth/signin.c with the same aad). */
#include "github/token.h"

#include <string.h>

const char fa_github_token_err_missing[] = "github_token_missing";
const char fa_github_token_err_unreadable[] = "github_token_unreadable";

static const fa_db_statement_t fa_github_token_statements[] = {
    {"github_token_load",
     "SELECT access_token_enc, refresh_token_enc, "
     "coalesce(access_token_expires_at <= now() + interval '60 seconds', false) AS expired "
     "FROM accounts WHERE user_id = $1 AND provider_id = 'github' "
     "ORDER BY updated_at DESC LIMIT 1",
     1},
    {"github_token_store",
     "UPDATE accounts SET access_token_enc = $2, refresh_token_enc = $3, "
     "scope = coalesce(nullif($4, ''), scope), "
     "access_token_expires_at = CASE WHEN $5::int > 0 THEN now() + make_interval(secs => $5::int) "
     "END, "
     "refresh_token_expires_at = CASE WHEN $6::int > 0 THEN now() + make_interval(secs => $6::int) "
     "END, "
     "updated_at = now() WHERE user_id = $1 AND provider_id = 'github' RETURNING user_id",
     6},
};

void fa_github_token_register_statements(void)
{
    FA_DB_REGISTER(fa_github_token_statements);
}

static const char *fa_aad(fa_arena_t *arena, int64_t user_id, const char *which)
{
    return fa_arena_sprintf(arena, "accounts:github:%lld:%s", (long long)user_id, which);
}

/* Opens one sealed bytea column; *out NULL when the column is NULL. */
static bool fa_open_column(const PGresult *r, const char *column, fa_arena_t *arena,
                           const fa_keyring_t *ring, const char *aad, const char **out)
{
    *out = NULL;
    const char *text = fa_db_value(r, 0, column);
    if (!text)
        return true;
    size_t sealed_len;
    unsigned char *sealed = PQunescapeBytea((const unsigned char *)text, &sealed_len);
    if (!sealed)
        return false;
    uint8_t *plain;
    size_t plain_len;
    /* fa_aead_open NUL-terminates and wipes the plaintext at arena reset. */
    bool ok = fa_keyring_open(ring, arena, aad, sealed, sealed_len, &plain, &plain_len);
    PQfreemem(sealed);
    if (ok)
        *out = (const char *)plain;
    return ok && strlen(*out) == plain_len;
}

fa_status_t fa_github_token_load(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                 int64_t user_id, fa_github_token_t *out, fa_error_t *err)
{
    memset(out, 0, sizeof(*out));
    const char *values[1] = {fa_arena_i64(arena, user_id)};
    PGresult *r = fa_db_exec(db, arena, "github_token_load", 1, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1 || !fa_db_value(r, 0, "access_token_enc"))
        return fa_error_set(err, FA_ERR_NOT_FOUND, fa_github_token_err_missing,
                            "no GitHub token is on file for this user; sign in again", NULL);
    if (!fa_open_column(r, "access_token_enc", arena, ring, fa_aad(arena, user_id, "access"),
                        &out->access_token) ||
        !fa_open_column(r, "refresh_token_enc", arena, ring, fa_aad(arena, user_id, "refresh"),
                        &out->refresh_token)) {
        memset(out, 0, sizeof(*out));
        return fa_error_set(err, FA_ERR_INTERNAL, fa_github_token_err_unreadable,
                            "the stored GitHub token cannot be decrypted; sign in again",
                            "no configured secret opens it");
    }
    out->access_expired = fa_db_value(r, 0, "expired")[0] == 't';
    return FA_OK;
}

static void fa_seal(const fa_keyring_t *ring, fa_arena_t *arena, const char *aad, const char *token,
                    const char **value, int *length)
{
    *value = NULL;
    *length = 0;
    if (!token)
        return;
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(ring, arena, aad, token, strlen(token), &sealed, &sealed_len);
    *value = (const char *)sealed;
    *length = (int)sealed_len;
}

fa_status_t fa_github_token_store(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                  int64_t user_id, const fa_github_tokens_t *tokens,
                                  fa_error_t *err)
{
    const char *values[6] = {fa_arena_i64(arena, user_id)};
    int lengths[6] = {0};
    const int formats[6] = {0, 1, 1, 0, 0, 0};
    fa_seal(ring, arena, fa_aad(arena, user_id, "access"), tokens->access_token, &values[1],
            &lengths[1]);
    fa_seal(ring, arena, fa_aad(arena, user_id, "refresh"), tokens->refresh_token, &values[2],
            &lengths[2]);
    values[3] = tokens->scope;
    values[4] = fa_arena_sprintf(arena, "%ld", tokens->expires_in);
    values[5] = fa_arena_sprintf(arena, "%ld", tokens->refresh_token_expires_in);
    PGresult *r =
        fa_db_exec_params(db, arena, "github_token_store", 6, values, lengths, formats, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, fa_github_token_err_missing,
                            "no GitHub account is on file for this user; sign in again", NULL);
    return FA_OK;
}
