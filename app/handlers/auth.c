/* Owns: the /v1/auth routes: parse, call the auth modules, render. Browser
 * routes (start, callback) always answer with a redirect, never a JSON page. */
#include "handlers/auth.h"

#include <string.h>

#include "auth/audit.h"
#include "github/limit.h"
#include "auth/oauth.h"
#include "auth/sign_in_error.h"
#include "auth/signin.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/authn.h"
#include "handlers/reply.h"
#include "core/json_text.h"
#include "services/services.h"

static const fa_services_t *fa_services(const fa_ctx_t *ctx)
{
    return ctx->worker->services;
}

/* A parameter given twice is ambiguous: treat it as absent. */
static fa_str_t fa_single_query(const fa_ctx_t *ctx, const char *name)
{
    return fa_request_query_count(ctx->req, name) == 1 ? fa_request_query(ctx->req, name)
                                                       : FA_STR_NULL;
}

static fa_str_t fa_single_cookie(const fa_ctx_t *ctx, const char *name)
{
    return fa_request_cookie_count(ctx->req, name) == 1 ? fa_request_cookie(ctx->req, name)
                                                        : FA_STR_NULL;
}

static const char *fa_user_agent(const fa_ctx_t *ctx)
{
    fa_str_t ua = fa_request_header(ctx->req, "user-agent");
    return ua.ptr ? fa_str_dup(ctx->arena, ua) : NULL;
}

static void fa_set_binding_cookie(fa_ctx_t *ctx, const char *value)
{
    fa_cookie_t cookie = {
        .name = fa_oauth_binding_cookie_name(ctx->config),
        .value = value,
        .path = "/",
        .max_age = FA_OAUTH_TTL_SECONDS,
        .secure = ctx->config->secure_cookies,
        .http_only = true,
        .same_site = FA_SAMESITE_LAX, /* sent on GitHub's top-level redirect back */
    };
    fa_response_set_cookie(ctx->res, &cookie);
}

static void fa_redirect_sign_in_error(fa_ctx_t *ctx, const char *code, long retry_after)
{
    fa_reply_redirect(
        ctx, fa_sign_in_error_location(ctx->arena, ctx->config->sign_in_path, code, retry_after));
}

/* A browser route: every outcome, failure included, is a redirect. */
fa_status_t fa_handle_github_start(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_oauth_start_result_t started = {0};
    fa_str_t binding = fa_single_cookie(ctx, fa_oauth_binding_cookie_name(ctx->config));
    if (fa_oauth_start(ctx->db, ctx->arena, fa_services(ctx), fa_single_query(ctx, "returnTo"),
                       binding, &started, err) != FA_OK) {
        fa_redirect_sign_in_error(ctx,
                                  started.retry_after > 0
                                      ? fa_sign_in_error_github_rate_limited
                                      : fa_sign_in_error_for_status(err->status),
                                  started.retry_after);
        return FA_OK;
    }
    fa_set_binding_cookie(ctx, started.binding_cookie);
    fa_reply_redirect(ctx, started.location);
    return FA_OK;
}

/* Invariant 8: a speculative prefetch must not spend the single-use code. */
static bool fa_is_prefetch(const fa_request_t *req)
{
    fa_str_t purpose = fa_request_header(req, "sec-purpose");
    if (!purpose.ptr)
        purpose = fa_request_header(req, "purpose");
    return purpose.ptr && memmem(purpose.ptr, purpose.len, "prefetch", 8) != NULL;
}

fa_status_t fa_handle_github_callback(fa_ctx_t *ctx, fa_error_t *err)
{
    if (fa_is_prefetch(ctx->req)) { /* FA_ROUTE_BARE_ERRORS: no body */
        fa_response_set_header(ctx->res, "Retry-After", "0");
        return fa_error_set(err, FA_ERR_UNAVAILABLE, "prefetch_refused",
                            "a prefetch does not complete a sign-in", NULL);
    }
    fa_oauth_callback_t in = {
        .code = fa_single_query(ctx, "code"),
        .state = fa_single_query(ctx, "state"),
        .error = fa_single_query(ctx, "error"),
        .binding = fa_single_cookie(ctx, fa_oauth_binding_cookie_name(ctx->config)),
        .ip = fa_ctx_client_ip(ctx),
        .user_agent = fa_user_agent(ctx),
    };
    fa_oauth_result_t out;
    fa_oauth_callback(ctx->db, ctx->arena, fa_services(ctx), &in, &out);
    if (out.session_cookie) {
        ctx->user_id = out.user_id;
        fa_authn_set_session_cookie(ctx, out.session_cookie, out.session_max_age);
    }
    fa_reply_redirect(ctx, out.location);
    return FA_OK;
}

/* {"session":{...},"user":{...}}: read on every page load, so written
 * straight into the body, no JSON tree. */
static void fa_render_session(fa_ctx_t *ctx, const fa_session_t *s)
{
    fa_buf_t b;
    fa_buf_init(&b, ctx->arena, 512);
    FA_JSON_RAW(&b, "{\"session\":{\"id\":");
    fa_json_text_string(&b, s->id);
    FA_JSON_RAW(&b, ",\"userId\":");
    fa_json_text_id(&b, s->user_id);
    FA_JSON_RAW(&b, ",\"createdAt\":");
    fa_json_text_string(&b, s->created_at);
    FA_JSON_RAW(&b, ",\"expiresAt\":");
    fa_json_text_string(&b, s->expires_at);
    FA_JSON_RAW(&b, "},\"user\":{\"id\":");
    fa_json_text_id(&b, s->user_id);
    FA_JSON_RAW(&b, ",\"login\":");
    fa_json_text_string(&b, s->login);
    FA_JSON_RAW(&b, ",\"name\":");
    fa_json_text_string(&b, s->name);
    FA_JSON_RAW(&b, ",\"email\":");
    fa_json_text_string(&b, s->email);
    FA_JSON_RAW(&b, ",\"avatarUrl\":");
    fa_json_text_string(&b, s->image);
    FA_JSON_RAW(&b, ",\"roleLabel\":");
    fa_json_text_string(&b, s->role_label);
    FA_JSON_RAW(&b, "}}");
    fa_reply_json_text(ctx, b.data, b.len);
}

fa_status_t fa_handle_session(fa_ctx_t *ctx, fa_error_t *err)
{
    (void)err;
    fa_render_session(ctx, fa_authn_session(ctx));
    return FA_OK;
}

static json_t *fa_auth_sessions_render(const fa_session_rows_t *rows, const char *current_id)
{
    json_t *list = json_array();
    for (size_t i = 0; i < rows->count; i++) {
        const fa_session_row_t *r = &rows->rows[i];
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:b}", "id", r->id, "createdAt",
                                        r->created_at, "updatedAt", r->updated_at, "expiresAt",
                                        r->expires_at, "ip", r->ip, "userAgent", r->user_agent,
                                        "current", strcmp(r->id, current_id) == 0));
    }
    return list;
}

fa_status_t fa_handle_sessions_list(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    fa_session_rows_t rows;
    if (fa_session_list(ctx->db, ctx->arena, s->user_id, &rows, err) != FA_OK)
        return err->status;
    fa_reply_json(ctx, json_pack("{s:o}", "sessions", fa_auth_sessions_render(&rows, s->id)));
    return FA_OK;
}

static fa_status_t fa_audit(fa_ctx_t *ctx, const char *event, const char *session_id,
                            const json_t *detail, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    return fa_audit_record(ctx->db, ctx->arena, event, s->user_id, session_id, s->login,
                           fa_ctx_client_ip(ctx), detail, err);
}

/* Invariant 1: these run inside the mutation transaction; the response is
 * sent only after it committed (handlers/authn.c). */
fa_status_t fa_handle_session_revoke(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    const char *session_id = fa_str_dup(ctx->arena, fa_request_route_param(ctx->req, "id"));
    fa_status_t st = fa_session_revoke(ctx->db, ctx->arena, s->user_id, session_id, err);
    if (st == FA_OK)
        st = fa_audit(ctx, "session_revoked", session_id, NULL, err);
    if (st != FA_OK)
        return st;
    fa_metrics_inc(FA_METRIC_REVOKE);
    if (strcmp(session_id, s->id) == 0)
        fa_authn_clear_session_cookie(ctx);
    fa_reply_no_content(ctx);
    return FA_OK;
}

fa_status_t fa_handle_sign_out(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    fa_status_t st = fa_session_revoke(ctx->db, ctx->arena, s->user_id, s->id, err);
    if (st == FA_OK)
        st = fa_audit(ctx, "sign_out", s->id, NULL, err);
    if (st != FA_OK)
        return st;
    fa_metrics_inc(FA_METRIC_SIGNOUT);
    fa_authn_clear_session_cookie(ctx);
    fa_reply_no_content(ctx);
    return FA_OK;
}

fa_status_t fa_handle_sign_out_all(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    long count = 0;
    fa_status_t st = fa_session_revoke_all(ctx->db, ctx->arena, s->user_id, &count, err);
    if (st == FA_OK)
        st = fa_audit(ctx, "sign_out_all", s->id,
                      fa_arena_json(ctx->arena, json_pack("{s:i}", "sessions", (int)count)), err);
    if (st != FA_OK)
        return st;
    fa_metrics_inc(FA_METRIC_SIGNOUT);
    fa_authn_clear_session_cookie(ctx);
    fa_reply_json(ctx, json_pack("{s:i}", "revoked", (int)count));
    return FA_OK;
}

/* nginx auth_request: 200 with identity headers or 401, never a body, never
 * another status nginx would turn into a 500 — except a database outage,
 * which is an error and not a verdict about the caller. */
fa_status_t fa_handle_verify(fa_ctx_t *ctx, fa_error_t *err)
{
    fa_session_t *s = fa_authn_session(ctx);
    if (!s) /* FA_ROUTE_BARE_ERRORS: no body */
        return fa_error_set(err, FA_ERR_UNAUTHORIZED, "unauthenticated", "no session", NULL);
    fa_reply_ok_empty(ctx);
    fa_response_set_header(ctx->res, "X-Auth-User-Id", fa_arena_i64(ctx->arena, s->user_id));
    if (s->login)
        fa_response_set_header(ctx->res, "X-Auth-User-Login", s->login);
    fa_response_set_header(ctx->res, "X-Auth-Session-Id", s->id);
    return FA_OK;
}

/* GitHub limits us: 503 with Retry-After, the wait GitHub asked for. */
static fa_status_t fa_auth_github_limited(fa_ctx_t *ctx, fa_error_t *err, long wait)
{
    fa_response_set_header(ctx->res, "Retry-After",
                           fa_arena_sprintf(ctx->arena, "%ld", wait < 1 ? 1L : wait));
    err->status = FA_ERR_UNAVAILABLE;
    return err->status;
}

/* The GitHub user behind a raw token, with the primary email when the
 * profile hides it; nothing is asked of GitHub while it limits us. */
static fa_status_t fa_dev_github_user(fa_ctx_t *ctx, const char *token, fa_github_user_t *user,
                                      bool *verified, fa_error_t *err)
{
    const fa_services_t *services = fa_services(ctx);
    long wait;
    if (fa_github_limit_check(ctx->db, ctx->arena, &wait, err) != FA_OK)
        return err->status;
    if (wait > 0) { /* issue 12 */
        fa_github_limit_refuse(ctx->arena, wait, err);
        return fa_auth_github_limited(ctx, err, wait);
    }
    if (fa_github_get_user(services->github, ctx->arena, token, user, err) != FA_OK) {
        /* A refused answer writes nothing; the detail names the field. */
        fa_log_warn("auth", "dev bootstrap: reading the GitHub user failed: %s (%s)", err->code,
                    err->detail ? err->detail : "");
        fa_github_limit_note(ctx->db, ctx->arena, services->github, err);
        if (fa_github_limit_is(err))
            return fa_auth_github_limited(ctx, err, fa_github_retry_after(services->github));
        if (fa_error_is(err, fa_github_err_unauthorized))
            return fa_error_set(err, FA_ERR_UNAUTHORIZED, "invalid_github_token",
                                "GitHub did not accept this token", NULL);
        return err->status;
    }
    *verified = false;
    if (!user->email) {
        char *email = NULL;
        fa_error_t email_err;
        if (fa_github_primary_email(services->github, ctx->arena, token, &email, verified,
                                    &email_err) == FA_OK)
            user->email = email;
        else
            fa_github_limit_note(ctx->db, ctx->arena, services->github, &email_err);
    }
    return FA_OK;
}

/* Dev mode only: a session from a raw GitHub token, for local tools. */
fa_status_t fa_handle_dev_bootstrap(fa_ctx_t *ctx, fa_error_t *err)
{
    if (!ctx->config->dev_mode)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "not_found", "no such endpoint", NULL);
    json_t *body;
    if (fa_request_json(ctx->req, &body, err) != FA_OK)
        return err->status;
    const char *token = json_string_value(json_object_get(body, "githubToken"));
    if (!token || !*token || strlen(token) > 255)
        return fa_error_set(err, FA_ERR_UNPROCESSABLE, "invalid_github_token",
                            "githubToken must be a GitHub access token", NULL);
    fa_github_user_t user;
    bool verified;
    if (fa_dev_github_user(ctx, token, &user, &verified, err) != FA_OK)
        return err->status;
    fa_signin_t signin = {.user = &user,
                          .email_verified = verified,
                          .access_token = token,
                          .ip = fa_ctx_client_ip(ctx),
                          .user_agent = fa_user_agent(ctx),
                          .method = "dev_bootstrap"};
    char *client_value;
    fa_session_t session;
    if (fa_signin_commit(ctx->db, ctx->arena, fa_services(ctx), &signin, &client_value, &session,
                         err) != FA_OK)
        return err->status;
    session.login = user.login;
    session.name = user.name;
    session.email = user.email;
    session.image = user.avatar_url;
    ctx->user_id = session.user_id;
    fa_authn_set_session_cookie(ctx, client_value, session.expires_in);
    fa_render_session(ctx, &session);
    return FA_OK;
}
