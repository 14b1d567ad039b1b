/* Owns: the JWT policy (which audiences, which lifetime, what makes a token
 * revoked). Never: touches the database for a token whose signature or
 * claims already failed. */
#include "auth/tokens.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"

static const fa_db_statement_t fa_token_statements[] = {
    /* By primary key: a sid whose session was revoked or expired is gone. */
    {"tokens_session_alive",
     "SELECT 1 AS alive FROM sessions WHERE user_id = $1 AND id = $2::uuid AND expires_at > now()",
     2},
};

void fa_tokens_register_statements(void)
{
    FA_DB_REGISTER(fa_token_statements);
}

const char fa_tokens_reauthentication_required[] = "reauthentication_required";

static bool fa_audience_find(const fa_config_t *cfg, const char *audience, size_t *index)
{
    for (size_t i = 0; i < cfg->jwt_audience_count; i++)
        if (strcmp(cfg->jwt_audiences[i], audience) == 0) {
            *index = i;
            return true;
        }
    return false;
}

fa_status_t fa_tokens_issue(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                            fa_signing_keys_cache_t *keys, const fa_session_t *s,
                            const char *audience, const char *scope, char **token, long *expires_in,
                            fa_error_t *err)
{
    size_t audience_index;
    if (!fa_audience_find(cfg, audience, &audience_index))
        return fa_error_set(err, FA_ERR_FORBIDDEN, "audience_not_allowed",
                            "this audience is not in FOUNDRY_JWT_AUDIENCES", NULL);
    if (!fa_jwt_scope_valid(scope))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_scope",
                            "scope must be space-separated printable ASCII, at most 256 bytes",
                            NULL);
    if (s->auth_time <= 0)
        abort(); /* the route did not read auth_time (FA_ROUTE_AUTH_TIME): API misuse */
    time_t now = time(NULL);
    /* Invariant (issue 12): no token for a max_auth_age audience from a
     * GitHub sign-in older than that. Sliding expiry keeps a session alive
     * for weeks; it never refreshes auth_time, only a new sign-in does. */
    long max_auth_age = cfg->jwt_audience_max_auth_age[audience_index];
    if (max_auth_age > 0 && (int64_t)now - s->auth_time > max_auth_age)
        return fa_error_set(err, FA_ERR_UNAUTHORIZED, fa_tokens_reauthentication_required,
                            "this audience needs a recent sign-in: sign in with GitHub again",
                            "github sign-in older than the audience's max_auth_age");
    const fa_signing_key_t *key;
    fa_status_t st = fa_signing_keys_current(keys, db, arena, &key, err);
    if (st != FA_OK)
        return st;
    fa_jwt_issue_t in = {
        .issuer = cfg->public_url,
        .audience = audience,
        .scope = scope,
        .session_id = s->id,
        .user_id = s->user_id,
        .now = now,
        .ttl = cfg->jwt_ttl,
        .auth_time = s->auth_time,
    };
    *token = fa_jwt_issue(arena, key->key, key->kid, &in);
    *expires_in = cfg->jwt_ttl;
    return FA_OK;
}

typedef struct {
    fa_signing_keys_cache_t *keys;
    fa_db_t *db;
    fa_arena_t *arena;
} fa_lookup_ctx_t;

static EVP_PKEY *fa_tokens_lookup(void *data, const char *kid)
{
    fa_lookup_ctx_t *l = data;
    return fa_signing_keys_find(l->keys, l->db, l->arena, kid);
}

static fa_status_t fa_token_refused(fa_error_t *err, const char *code, const char *message)
{
    return fa_error_set(err, FA_ERR_UNAUTHORIZED, code, message, NULL);
}

const char fa_tokens_unknown_audience[] = "unknown_audience";

fa_status_t fa_tokens_verify(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             fa_signing_keys_cache_t *keys, fa_str_t token, const char *audience,
                             json_t **claims, fa_error_t *err)
{
    *claims = NULL;
    /* A caller naming an audience we never issue for is misconfigured, not
     * holding a bad token: say so plainly instead of a 401 it would retry. */
    size_t audience_index;
    if (!fa_audience_find(cfg, audience, &audience_index))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, fa_tokens_unknown_audience,
                            "this audience is not in FOUNDRY_JWT_AUDIENCES", NULL);
    fa_lookup_ctx_t lookup = {keys, db, arena};
    json_t *payload;
    const char *kid;
    if (fa_jws_verify(arena, token, fa_tokens_lookup, &lookup, &payload, &kid) != FA_JWT_VALID)
        return fa_token_refused(err, "invalid_token", "the token is not valid");
    /* Invariant (issue 13): a token answers only for the audience it was
     * issued to. Any configured audience would let service B's token pass
     * at service A, which then acts as the user with B's grant. */
    fa_jwt_expect_t expect = {
        .issuer = cfg->public_url,
        .audiences = &cfg->jwt_audiences[audience_index],
        .audience_count = 1,
        .now = time(NULL),
        .leeway = cfg->jwt_leeway,
    };
    fa_jwt_claims_t c;
    fa_jwt_verdict_t verdict = fa_jwt_check_claims(payload, &expect, &c);
    if (verdict == FA_JWT_EXPIRED)
        return fa_token_refused(err, "token_expired", "the token has expired");
    if (verdict != FA_JWT_VALID)
        return fa_token_refused(err, "invalid_token", "the token is not valid");
    const char *values[2] = {fa_arena_i64(arena, c.user_id), c.session_id};
    PGresult *r = fa_db_exec(db, arena, "tokens_session_alive", 2, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_token_refused(err, "session_revoked",
                                "the session this token was issued for has ended");
    *claims = payload;
    return FA_OK;
}
