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
#include "handlers/reply.h"
#include "handlers/transaction.h"

/* RFC 6750 section 3.1: error="invalid_token" when a credential was sent
 * and refused, no error code when none was. */
static fa_status_t fa_admin_unauthorized(fa_ctx_t *ctx, bool sent, fa_error_t *err)
{
    fa_response_set_header(ctx->res, "WWW-Authenticate",
                           sent ? "Bearer realm=\"foundry-auth-admin\", error=\"invalid_token\", "
                                  "error_description=\"the admin token is not valid\""
                                : "Bearer realm=\"foundry-auth-admin\"");
    return fa_error_set(err, FA_ERR_UNAUTHORIZED, "invalid_admin_token",
                        "a valid admin token is required", NULL);
}

/* A wrong credential: 401, and one more failure counted against the
 * address (issue 12). */
static fa_status_t fa_admin_refuse(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_admin_throttle_fail(ctx->db, ctx->arena, fa_ctx_client_ip(ctx));
    return fa_admin_unauthorized(ctx, true, err);
}

/* A failure of an admin call: a token found dead counts as a wrong one. */
static fa_status_t fa_admin_failed(fa_ctx_t *ctx, fa_error_t *err)
{
    return err->status == FA_ERR_UNAUTHORIZED ? fa_admin_refuse(ctx, err) : err->status;
}

/* Issue 12: past the failure limit every credential gets 429, the right one
 * too, so a guesser cannot tell a hit from a miss. */
static fa_status_t fa_admin_throttle(fa_ctx_t *ctx, fa_error_t *err)
{
    long wait;
    if (fa_admin_throttle_check(ctx->db, ctx->arena, fa_ctx_client_ip(ctx), &wait, err) != FA_OK)
        return err->status;
    if (wait == 0)
        return FA_OK;
    fa_metrics_inc(FA_METRIC_ADMIN_THROTTLED);
    fa_response_set_header(ctx->res, "Retry-After", fa_arena_sprintf(ctx->arena, "%ld", wait));
    return fa_error_set(err, FA_ERR_RATE_LIMITED, "admin_auth_throttled",
                        "too many failed admin authentications; try again later", NULL);
}

/* The Authorization header as admin token MACs. A request without one
 * guesses nothing: it gets its 401 and is not counted. */
static fa_status_t fa_admin_bearer(fa_ctx_t *ctx, fa_admin_token_macs_t *macs, fa_error_t *err)
{
    fa_str_t authorization = fa_request_header(ctx->req, "authorization");
    if (!authorization.ptr)
        return fa_admin_unauthorized(ctx, false, err);
    if (fa_admin_throttle(ctx, err) != FA_OK)
        return err->status;
    if (fa_admin_token_from_authorization(&ctx->worker->services->admin_keys, authorization, macs))
        return FA_OK;
    return fa_admin_refuse(ctx, err);
}

/* Reads: the token is checked, then the action runs. */
static fa_status_t fa_admin_read(fa_ctx_t *ctx, fa_handler_fn action, fa_error_t *err)
{
    fa_admin_token_macs_t macs;
    if (fa_admin_bearer(ctx, &macs, err) != FA_OK)
        return err->status;
    if (fa_admin_token_check(ctx->db, ctx->arena, &macs, false, err) != FA_OK)
        return fa_admin_failed(ctx, err);
    return action(ctx, err);
}

/* The guard of an admin write: the token's row FOR SHARE. */
static fa_status_t fa_admin_hold_token(fa_ctx_t *ctx, void *macs, fa_error_t *err)
{
    return fa_admin_token_check(ctx->db, ctx->arena, macs, true, err);
}

typedef struct {
    fa_handler_fn action;
} fa_admin_action_t;

static fa_status_t fa_admin_action(fa_ctx_t *ctx, void *data, fa_error_t *err)
{
    return ((fa_admin_action_t *)data)->action(ctx, err);
}

/* Writes: the answer is the action's only once COMMIT succeeded. */
static fa_status_t fa_admin_write(fa_ctx_t *ctx, fa_handler_fn action, fa_error_t *err)
{
    fa_admin_token_macs_t macs;
    if (fa_admin_bearer(ctx, &macs, err) != FA_OK)
        return err->status;
    fa_admin_action_t write = {action};
    fa_tx_t tx = {.guard = fa_admin_hold_token,
                  .guard_data = &macs,
                  .write = fa_admin_action,
                  .write_data = &write};
    if (fa_transaction_run(ctx, &tx, err) != FA_OK)
        return tx.guard_failed ? fa_admin_failed(ctx, err) : err->status;
    return FA_OK;
}

/* {id} of the route as a user id, or 404. */
static fa_status_t fa_admin_user_param(fa_ctx_t *ctx, int64_t *user_id, fa_error_t *err)
{
    if (fa_admin_parse_user_id(fa_request_route_param(ctx->req, "id"), user_id))
        return FA_OK;
    return fa_error_set(err, FA_ERR_NOT_FOUND, "user_not_found", "no such user", NULL);
}

/* ---- token rotation ---------------------------------------------------- */

fa_status_t fa_handle_admin_token_rotate(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_admin_token_macs_t macs;
    if (fa_admin_bearer(ctx, &macs, err) != FA_OK)
        return err->status;
    char *token;
    /* Invariant 7: returns after COMMIT; the old token is dead by then. */
    if (fa_admin_token_rotate(ctx->db, ctx->arena, &ctx->worker->services->admin_keys, &macs,
                              "admin", fa_ctx_client_ip(ctx), &token, err) != FA_OK)
        return fa_admin_failed(ctx, err);
    fa_reply_json(ctx, json_pack("{s:s,s:s}", "token", token, "tokenType", "Bearer"));
    return FA_OK;
}

/* ---- users ------------------------------------------------------------- */

static json_t *fa_admin_users_render(const fa_admin_user_rows_t *rows)
{
    json_t *users = json_array();
    for (size_t i = 0; i < rows->count; i++) {
        const fa_admin_user_row_t *u = &rows->rows[i];
        json_array_append_new(users,
                              json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s}", "id", u->id, "login",
                                        u->login, "name", u->name, "email", u->email, "roleLabel",
                                        u->role_label, "createdAt", u->created_at));
    }
    return users;
}

static fa_status_t fa_users_search(fa_ctx_t *ctx, fa_error_t *err)
{
    const fa_request_t *req = ctx->req;
    if (fa_request_query_count(req, "query") > 1 || fa_request_query_count(req, "limit") > 1)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_query",
                            "query and limit may be given once", NULL);
    fa_str_t q = fa_request_query(req, "query");
    fa_str_t l = fa_request_query(req, "limit");
    int limit = FA_ADMIN_SEARCH_LIMIT;
    if (l.ptr &&
        (l.len == 0 || l.len > 3 || strspn(fa_str_dup(ctx->arena, l), "0123456789") != l.len))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_limit",
                            "limit must be a number from 1 to 50", NULL);
    if (l.ptr)
        limit = atoi(fa_str_dup(ctx->arena, l));
    fa_admin_user_rows_t rows;
    if (fa_admin_users_search(ctx->db, ctx->arena, q.ptr ? fa_str_dup(ctx->arena, q) : "", limit,
                              &rows, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:o}", "users", fa_admin_users_render(&rows)));
    return FA_OK;
}

fa_status_t fa_handle_admin_users_search(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_admin_read(ctx, fa_users_search, err);
}

static json_t *fa_admin_sessions_render(const fa_session_rows_t *rows)
{
    json_t *list = json_array();
    for (size_t i = 0; i < rows->count; i++) {
        const fa_session_row_t *s = &rows->rows[i];
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?}", "id", s->id, "createdAt",
                                        s->created_at, "updatedAt", s->updated_at, "expiresAt",
                                        s->expires_at, "ip", s->ip, "userAgent", s->user_agent));
    }
    return list;
}

static fa_status_t fa_sessions_list(fa_ctx_t *ctx, fa_error_t *err)
{
    int64_t user_id;
    fa_session_rows_t rows;
    if (fa_admin_user_param(ctx, &user_id, err) != FA_OK ||
        fa_admin_user_exists(ctx->db, ctx->arena, user_id, err) != FA_OK ||
        fa_session_list(ctx->db, ctx->arena, user_id, &rows, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:o}", "sessions", fa_admin_sessions_render(&rows)));
    return FA_OK;
}

fa_status_t fa_handle_admin_sessions_list(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_admin_read(ctx, fa_sessions_list, err);
}

static fa_status_t fa_sessions_revoke(fa_ctx_t *ctx, const char *session_id, fa_error_t *err)
{
    int64_t user_id;
    if (fa_admin_user_param(ctx, &user_id, err) != FA_OK)
        return err->status;
    long count = 0;
    if (fa_admin_sessions_revoke(ctx->db, ctx->arena, user_id, session_id, "admin",
                                 fa_ctx_client_ip(ctx), &count, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:I}", "revoked", (json_int_t)count));
    return FA_OK;
}

static fa_status_t fa_revoke_one(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_sessions_revoke(ctx, fa_str_dup(ctx->arena, fa_request_route_param(ctx->req, "sid")),
                              err);
}

static fa_status_t fa_revoke_all(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_sessions_revoke(ctx, NULL, err);
}

fa_status_t fa_handle_admin_session_revoke(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_admin_write(ctx, fa_revoke_one, err);
}

fa_status_t fa_handle_admin_sessions_revoke_all(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_admin_write(ctx, fa_revoke_all, err);
}

static fa_status_t fa_role_label(fa_ctx_t *ctx, fa_error_t *err)
{
    int64_t user_id;
    if (fa_admin_user_param(ctx, &user_id, err) != FA_OK)
        return err->status;
    json_t *body;
    if (fa_request_json(ctx->req, &body, err) != FA_OK)
        return err->status;
    json_t *label = json_object_get(body, "roleLabel");
    if (!label || !(json_is_string(label) || json_is_null(label)))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_role_label",
                            "roleLabel must be a string or null", NULL);
    const char *text = json_string_value(label);
    if (text && strlen(text) != json_string_length(label))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_role_label",
                            "roleLabel must not contain NUL", NULL);
    if (fa_admin_role_label_set(ctx->db, ctx->arena, user_id, text, "admin", fa_ctx_client_ip(ctx),
                                err) != FA_OK)
        return err->status;
    fa_reply_json(
        ctx, json_pack("{s:s,s:s?}", "id", fa_arena_i64(ctx->arena, user_id), "roleLabel", text));
    return FA_OK;
}

fa_status_t fa_handle_admin_role_label(fa_ctx_t *ctx, fa_error_t *err)
{
    return fa_admin_write(ctx, fa_role_label, err);
}
