/* Owns: the admin routes: authenticate the admin token, parse, call the
 * admin modules, render. Writes run in one transaction that first holds the
 * admin token's row FOR SHARE, so a concurrent rotation either waits for the
 * write to commit or the write sees the token gone: nothing commits with a
 * token after its rotation did (invariant 1 and 7). */
#include "handlers/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/users.h"
#include "auth/admin_throttle.h"
#include "auth/admin_token.h"
#include "auth/session.h"
#include "core/metrics.h"
#include "services/services.h"

typedef void (*fa_admin_action_fn)(fa_ctx_t *ctx);

static const char *fa_admin_ip(const fa_ctx_t *ctx)
{
    return ctx->req->remote_addr.ptr ? fa_str_dup(ctx->arena, ctx->req->remote_addr) : NULL;
}

/* RFC 6750 section 3.1: error="invalid_token" when a credential was sent
 * and refused, no error code when none was. */
static void fa_admin_unauthorized(fa_ctx_t *ctx, bool sent)
{
    fa_response_error_status(ctx->res, FA_ERR_UNAUTHORIZED, "invalid_admin_token",
                             "a valid admin token is required");
    fa_response_set_header(ctx->res, "WWW-Authenticate",
                           sent ? "Bearer realm=\"foundry-auth-admin\", error=\"invalid_token\", "
                                  "error_description=\"the admin token is not valid\""
                                : "Bearer realm=\"foundry-auth-admin\"");
}

/* A wrong credential: 401, and one more failure counted against the
 * address (issue 12). */
static void fa_admin_refuse(fa_ctx_t *ctx)
{
    fa_admin_throttle_fail(ctx->db, ctx->arena, fa_admin_ip(ctx));
    fa_admin_unauthorized(ctx, true);
}

/* Issue 12: past the failure limit every credential gets 429, the right one
 * too, so a guesser cannot tell a hit from a miss. A request without an
 * Authorization header guesses nothing: it gets its 401 and is not counted. */
static bool fa_admin_throttled(fa_ctx_t *ctx)
{
    long wait;
    fa_error_t err;
    if (fa_admin_throttle_check(ctx->db, ctx->arena, fa_admin_ip(ctx), &wait, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return true;
    }
    if (wait == 0)
        return false;
    fa_metrics_inc(FA_METRIC_ADMIN_THROTTLED);
    fa_response_error_status(ctx->res, FA_ERR_RATE_LIMITED, "admin_auth_throttled",
                             "too many failed admin authentications; try again later");
    fa_response_set_header(ctx->res, "Retry-After", fa_arena_sprintf(ctx->arena, "%ld", wait));
    return true;
}

static bool fa_admin_bearer(fa_ctx_t *ctx, fa_admin_token_macs_t *macs)
{
    fa_str_t authorization = fa_request_header(ctx->req, "authorization");
    if (!authorization.ptr) {
        fa_admin_unauthorized(ctx, false);
        return false;
    }
    if (fa_admin_throttled(ctx))
        return false;
    if (fa_admin_token_from_authorization(&ctx->worker->services->admin_keys, authorization, macs))
        return true;
    fa_admin_refuse(ctx);
    return false;
}

static void fa_admin_fail(fa_ctx_t *ctx, const fa_error_t *err)
{
    if (err->status == FA_ERR_UNAUTHORIZED)
        fa_admin_refuse(ctx);
    else
        fa_response_error(ctx->res, err);
}

/* Reads: the token is checked, then the action runs. */
static void fa_admin_read(fa_ctx_t *ctx, fa_admin_action_fn action)
{
    fa_admin_token_macs_t macs;
    if (!fa_admin_bearer(ctx, &macs))
        return;
    fa_error_t err;
    if (fa_admin_token_check(ctx->db, ctx->arena, &macs, false, &err) != FA_OK) {
        fa_admin_fail(ctx, &err);
        return;
    }
    action(ctx);
}

typedef struct {
    fa_ctx_t *ctx;
    const fa_admin_token_macs_t *macs;
    fa_admin_action_fn action;
} fa_admin_write_t;

static fa_status_t fa_admin_write_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_admin_write_t *w = data;
    fa_status_t st = fa_admin_token_check(db, arena, w->macs, true, err);
    if (st != FA_OK)
        return st;
    w->action(w->ctx);
    if (fa_response_failed(w->ctx->res))
        return fa_error_set(err, FA_ERR_CONFLICT, "handler_refused", "", "rolled back");
    return FA_OK;
}

/* Writes: the response is the action's only once COMMIT succeeded. */
static void fa_admin_write(fa_ctx_t *ctx, fa_admin_action_fn action)
{
    fa_admin_token_macs_t macs;
    if (!fa_admin_bearer(ctx, &macs))
        return;
    fa_admin_write_t w = {ctx, &macs, action};
    fa_error_t err;
    fa_status_t st = fa_db_transaction(ctx->db, ctx->arena, fa_admin_write_tx, &w, &err);
    if (st == FA_OK || fa_response_failed(ctx->res))
        return;
    fa_response_init(ctx->res, ctx->arena); /* drop a success the commit did not confirm */
    fa_admin_fail(ctx, &err);
}

/* {id} of the route as a user id; answers 404 itself when it is not one. */
static bool fa_admin_user_param(fa_ctx_t *ctx, int64_t *user_id)
{
    if (fa_admin_parse_user_id(fa_request_route_param(ctx->req, "id"), user_id))
        return true;
    fa_response_error_status(ctx->res, FA_ERR_NOT_FOUND, "user_not_found", "no such user");
    return false;
}

/* ---- token rotation ---------------------------------------------------- */

void fa_handle_admin_token_rotate(fa_ctx_t *ctx)
{
    fa_admin_token_macs_t macs;
    if (!fa_admin_bearer(ctx, &macs))
        return;
    char *token;
    fa_error_t err;
    /* Invariant 7: returns after COMMIT; the old token is dead by then. */
    if (fa_admin_token_rotate(ctx->db, ctx->arena, &ctx->worker->services->admin_keys, &macs,
                              "admin", fa_admin_ip(ctx), &token, &err) != FA_OK) {
        fa_admin_fail(ctx, &err);
        return;
    }
    json_t *out = json_pack("{s:s,s:s}", "token", token, "tokenType", "Bearer");
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

/* ---- users ------------------------------------------------------------- */

static void fa_users_search(fa_ctx_t *ctx)
{
    const fa_request_t *req = ctx->req;
    if (fa_request_query_count(req, "query") > 1 || fa_request_query_count(req, "limit") > 1) {
        fa_response_error_status(ctx->res, FA_ERR_BAD_REQUEST, "invalid_query",
                                 "query and limit may be given once");
        return;
    }
    fa_str_t q = fa_request_query(req, "query");
    fa_str_t l = fa_request_query(req, "limit");
    int limit = FA_ADMIN_SEARCH_LIMIT;
    if (l.ptr &&
        (l.len == 0 || l.len > 3 || strspn(fa_str_dup(ctx->arena, l), "0123456789") != l.len)) {
        fa_response_error_status(ctx->res, FA_ERR_BAD_REQUEST, "invalid_limit",
                                 "limit must be a number from 1 to 50");
        return;
    }
    if (l.ptr)
        limit = atoi(fa_str_dup(ctx->arena, l));
    fa_error_t err;
    PGresult *r = fa_admin_users_search(ctx->db, ctx->arena, q.ptr ? fa_str_dup(ctx->arena, q) : "",
                                        limit, &err);
    if (!r) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *users = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(
            users,
            json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s}", "id", fa_db_value(r, i, "id"), "login",
                      fa_db_value(r, i, "login"), "name", fa_db_value(r, i, "name"), "email",
                      fa_db_value(r, i, "email"), "roleLabel", fa_db_value(r, i, "role_label"),
                      "createdAt", fa_db_value(r, i, "created_at")));
    json_t *out = json_pack("{s:o}", "users", users);
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

void fa_handle_admin_users_search(fa_ctx_t *ctx)
{
    fa_admin_read(ctx, fa_users_search);
}

static void fa_sessions_list(fa_ctx_t *ctx)
{
    int64_t user_id;
    if (!fa_admin_user_param(ctx, &user_id))
        return;
    fa_error_t err;
    PGresult *r = NULL;
    if (fa_admin_user_exists(ctx->db, ctx->arena, user_id, &err) != FA_OK ||
        !(r = fa_session_list(ctx->db, ctx->arena, user_id, &err))) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?}", "id", fa_db_value(r, i, "id"), "createdAt",
                      fa_db_value(r, i, "created_at"), "updatedAt", fa_db_value(r, i, "updated_at"),
                      "expiresAt", fa_db_value(r, i, "expires_at"), "ip", fa_db_value(r, i, "ip"),
                      "userAgent", fa_db_value(r, i, "user_agent")));
    json_t *out = json_pack("{s:o}", "sessions", list);
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

void fa_handle_admin_sessions_list(fa_ctx_t *ctx)
{
    fa_admin_read(ctx, fa_sessions_list);
}

static void fa_sessions_revoke(fa_ctx_t *ctx, const char *session_id)
{
    int64_t user_id;
    if (!fa_admin_user_param(ctx, &user_id))
        return;
    long count = 0;
    fa_error_t err;
    if (fa_admin_sessions_revoke(ctx->db, ctx->arena, user_id, session_id, "admin",
                                 fa_admin_ip(ctx), &count, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *out = json_pack("{s:I}", "revoked", (json_int_t)count);
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

static void fa_admin_revoke_one_action(fa_ctx_t *ctx)
{
    fa_sessions_revoke(ctx, fa_str_dup(ctx->arena, fa_request_route_param(ctx->req, "sid")));
}

static void fa_admin_revoke_all_action(fa_ctx_t *ctx)
{
    fa_sessions_revoke(ctx, NULL);
}

void fa_handle_admin_session_revoke(fa_ctx_t *ctx)
{
    fa_admin_write(ctx, fa_admin_revoke_one_action);
}

void fa_handle_admin_sessions_revoke_all(fa_ctx_t *ctx)
{
    fa_admin_write(ctx, fa_admin_revoke_all_action);
}

static void fa_role_label(fa_ctx_t *ctx)
{
    int64_t user_id;
    if (!fa_admin_user_param(ctx, &user_id))
        return;
    json_t *body;
    fa_error_t err;
    if (fa_request_json(ctx->req, &body, &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *label = json_object_get(body, "roleLabel");
    if (!label || !(json_is_string(label) || json_is_null(label))) {
        fa_response_error_status(ctx->res, FA_ERR_BAD_REQUEST, "invalid_role_label",
                                 "roleLabel must be a string or null");
        return;
    }
    const char *text = json_string_value(label);
    if (text && strlen(text) != json_string_length(label)) {
        fa_response_error_status(ctx->res, FA_ERR_BAD_REQUEST, "invalid_role_label",
                                 "roleLabel must not contain NUL");
        return;
    }
    if (fa_admin_role_label_set(ctx->db, ctx->arena, user_id, text, "admin", fa_admin_ip(ctx),
                                &err) != FA_OK) {
        fa_response_error(ctx->res, &err);
        return;
    }
    json_t *out =
        json_pack("{s:s,s:s?}", "id", fa_arena_i64(ctx->arena, user_id),
                  "roleLabel", text);
    fa_response_json(ctx->res, 200, out);
    json_decref(out);
}

void fa_handle_admin_role_label(fa_ctx_t *ctx)
{
    fa_admin_write(ctx, fa_role_label);
}
