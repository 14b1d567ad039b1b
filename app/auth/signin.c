/* Owns: users, accounts, user_profiles writes at sign-in. Never: a GitHub
 * token in plain text in SQL, logs or errors. */
#include "auth/signin.h"

#include <string.h>

#include "auth/audit.h"
#include "jobs/queue.h"

static const fa_db_statement_t fa_signin_statements[] = {
    /* The user, its profile, its personal organization and membership in one
     * statement; concurrent first sign-ins of one user meet on the users
     * primary key and end as one row (ON CONFLICT locks the existing row
     * whether or not it updates it). A returning user whose GitHub profile
     * did not change writes nothing: no dead tuples, no index entries, and
     * the organizations row keeps its snapshot fragment untouched (issue 16). */
    {"signin_upsert_identity",
     "WITH u AS (INSERT INTO users (id, name, email, email_verified, image) "
     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
     "email = excluded.email, email_verified = excluded.email_verified, image = excluded.image, "
     "updated_at = now() WHERE (users.name, users.email, users.email_verified, users.image) "
     "IS DISTINCT FROM (excluded.name, excluded.email, excluded.email_verified, excluded.image)), "
     "p AS (INSERT INTO user_profiles (user_id, github_login, eligible_organization_ids) "
     "VALUES ($1, $6, ARRAY[$1::bigint]) ON CONFLICT (user_id) DO UPDATE SET "
     "github_login = excluded.github_login, updated_at = now() "
     "WHERE user_profiles.github_login IS DISTINCT FROM excluded.github_login), "
     "o AS (INSERT INTO organizations (id, login, name, avatar_url, kind) "
     "VALUES ($1, $6, $2, $5, 'personal') ON CONFLICT (id) DO UPDATE SET "
     "login = excluded.login, name = excluded.name, avatar_url = excluded.avatar_url, "
     "updated_at = now() WHERE (organizations.login, organizations.name, "
     "organizations.avatar_url) IS DISTINCT FROM (excluded.login, excluded.name, "
     "excluded.avatar_url)), "
     "m AS (INSERT INTO organization_members (user_id, organization_id, role) "
     "VALUES ($1, $1, 'owner') ON CONFLICT (user_id, organization_id) DO NOTHING) "
     "SELECT $1::bigint AS id",
     6},
    {"signin_upsert_account",
     "INSERT INTO accounts (user_id, provider_id, account_id, access_token_enc, "
     "refresh_token_enc, scope, access_token_expires_at, refresh_token_expires_at) "
     "VALUES ($1, 'github', $7, $2, $3, $4, "
     "CASE WHEN $5::int > 0 THEN now() + make_interval(secs => $5::int) END, "
     "CASE WHEN $6::int > 0 THEN now() + make_interval(secs => $6::int) END) "
     "ON CONFLICT (provider_id, account_id) DO UPDATE SET "
     "access_token_enc = excluded.access_token_enc, refresh_token_enc = excluded.refresh_token_enc, "
     "scope = excluded.scope, access_token_expires_at = excluded.access_token_expires_at, "
     "refresh_token_expires_at = excluded.refresh_token_expires_at, updated_at = now()",
     7},
};

void fa_signin_register_statements(void)
{
    FA_DB_REGISTER(fa_signin_statements);
}

typedef struct {
    const fa_services_t *services;
    const fa_signin_t *in;
    char **client_value;
    fa_session_t *session;
} fa_signin_tx_t;

/* Seals a GitHub token bound to its row, as a binary SQL parameter. */
static void fa_seal_param(const fa_services_t *s, fa_arena_t *arena, const char *aad,
                          const char *token, const char **value, int *length)
{
    if (!token) {
        *value = NULL;
        *length = 0;
        return;
    }
    uint8_t *sealed;
    size_t sealed_len;
    fa_keyring_seal(&s->token_ring, arena, aad, token, strlen(token), &sealed, &sealed_len);
    *value = (const char *)sealed;
    *length = (int)sealed_len;
}

static fa_status_t fa_upsert_identity(fa_db_t *db, fa_arena_t *arena, const fa_signin_t *in,
                                      const char *user_id, fa_error_t *err)
{
    const fa_github_user_t *u = in->user;
    const char *values[6] = {user_id, u->name, u->email, in->email_verified ? "true" : "false",
                             u->avatar_url, u->login};
    return fa_db_exec(db, arena, "signin_upsert_identity", 6, values, err) ? FA_OK : err->status;
}

static fa_status_t fa_upsert_account(fa_db_t *db, fa_arena_t *arena, const fa_services_t *s,
                                     const fa_signin_t *in, const char *user_id, fa_error_t *err)
{
    const char *aad_access = fa_arena_sprintf(arena, "accounts:github:%s:access", user_id);
    const char *aad_refresh = fa_arena_sprintf(arena, "accounts:github:%s:refresh", user_id);
    const char *values[7] = {user_id};
    int lengths[7] = {0};
    int formats[7] = {0, 1, 1, 0, 0, 0, 0};
    fa_seal_param(s, arena, aad_access, in->access_token, &values[1], &lengths[1]);
    fa_seal_param(s, arena, aad_refresh, in->refresh_token, &values[2], &lengths[2]);
    values[3] = in->scope;
    values[4] = fa_arena_sprintf(arena, "%ld", in->expires_in);
    values[5] = fa_arena_sprintf(arena, "%ld", in->refresh_expires_in);
    values[6] = user_id;
    return fa_db_exec_params(db, arena, "signin_upsert_account", 7, values, lengths, formats, err)
               ? FA_OK
               : err->status;
}

static fa_status_t fa_signin_tx(fa_db_t *db, fa_arena_t *arena, void *ctx, fa_error_t *err)
{
    fa_signin_tx_t *tx = ctx;
    const fa_signin_t *in = tx->in;
    const fa_config_t *cfg = tx->services->config;
    const char *user_id = fa_arena_i64(arena, in->user->id);
    fa_session_params_t params = {in->user->id, in->ip, in->user_agent};
    fa_status_t st;
    if ((st = fa_upsert_identity(db, arena, in, user_id, err)) != FA_OK ||
        (st = fa_upsert_account(db, arena, tx->services, in, user_id, err)) != FA_OK ||
        (st = fa_session_create(db, arena, cfg, &tx->services->session_keys, &params,
                                tx->client_value, tx->session, err)) != FA_OK)
        return st;
    json_t *detail = json_pack("{s:s}", "method", in->method);
    st = fa_audit_record(db, arena, "sign_in", in->user->id, tx->session->id, in->user->login,
                         in->ip, detail, err);
    json_decref(detail);
    if (st != FA_OK ||
        (st = fa_jobs_enqueue(db, arena, FA_JOB_ORG_SYNC, in->user->id, NULL, err)) != FA_OK)
        return st;
    if (in->hook)
        return in->hook(db, arena, in->hook_ctx, tx->session, *tx->client_value, err);
    return FA_OK;
}

fa_status_t fa_signin_commit(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                             const fa_signin_t *in, char **client_value, fa_session_t *session,
                             fa_error_t *err)
{
    fa_signin_tx_t tx = {services, in, client_value, session};
    return fa_db_transaction(db, arena, fa_signin_tx, &tx, err);
}
