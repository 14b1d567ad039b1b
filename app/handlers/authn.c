/* Owns: turning a request's credentials into a session, the CSRF rule and
 * the mutation transaction. Never: logs a token or lets a failed signature
 * reach the database. */
#include "handlers/authn.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/cookie_cache.h"
#include "core/log.h"
#include "handlers/transaction.h"

typedef enum { FA_CRED_NONE, FA_CRED_COOKIE, FA_CRED_BEARER, FA_CRED_INVALID } fa_cred_kind_t;

typedef struct {
    fa_cred_kind_t kind;
    uint8_t hash[FA_SHA256_LEN];
} fa_credential_t;

const char *fa_authn_cookie_name(const fa_config_t *cfg)
{
    return cfg->secure_cookies ? "__Host-foundry_session" : "foundry_session";
}

/* Bearer wins over the cookie; two session cookies (cookie tossing, or nginx
 * passing duplicates) count as no credential at all. */
static fa_credential_t fa_read_credential(const fa_ctx_t *ctx)
{
    fa_credential_t c = {FA_CRED_NONE, {0}};
    const fa_request_t *req = ctx->req;
    fa_str_t value = FA_STR_NULL;
    fa_str_t auth = fa_request_header(req, "authorization");
    if (auth.ptr) {
        /* Another scheme carries nothing we accept (RFC 6750 section 3.1:
         * no error code), and the cookie is not consulted either. A bare
         * "Bearer" (nginx trims the space) is a bearer credential, empty. */
        if (auth.len < 6 || strncasecmp(auth.ptr, "Bearer", 6) != 0 ||
            (auth.len > 6 && auth.ptr[6] != ' '))
            return c;
        value = fa_str_trim((fa_str_t){auth.ptr + 6, auth.len - 6});
        c.kind = FA_CRED_BEARER;
    } else {
        const char *name = fa_authn_cookie_name(ctx->config);
        size_t n = fa_request_cookie_count(req, name);
        if (n == 0)
            return c;
        if (n > 1) {
            c.kind = FA_CRED_INVALID;
            return c;
        }
        value = fa_request_cookie(req, name);
        c.kind = FA_CRED_COOKIE;
    }
    if (!fa_signed_token_verify(&ctx->worker->services->session_keys, value, c.hash))
        c.kind = FA_CRED_INVALID;
    return c;
}

/* Why a request has no session, told apart so a client knows what to do:
 * nothing was sent (sign in), or what was sent is dead (sign in again). */
typedef enum { FA_DENY_NOTHING, FA_DENY_INVALID, FA_DENY_EXPIRED, FA_DENY_REVOKED } fa_denial_t;

static const struct {
    const char *code, *message, *challenge;
} fa_denials[] = {
    /* RFC 6750 section 3.1: no error code when no credential was sent. */
    [FA_DENY_NOTHING] = {"unauthenticated", "sign in to continue", "Bearer realm=\"foundry-auth\""},
    [FA_DENY_INVALID] = {"invalid_token", "this session token is not valid: sign in again",
                         "Bearer realm=\"foundry-auth\", error=\"invalid_token\", "
                         "error_description=\"the session token is not valid\""},
    [FA_DENY_EXPIRED] = {"session_expired", "this session has expired: sign in again",
                         "Bearer realm=\"foundry-auth\", error=\"invalid_token\", "
                         "error_description=\"the session has expired\""},
    [FA_DENY_REVOKED] = {"session_revoked", "this session was signed out or revoked: sign in again",
                         "Bearer realm=\"foundry-auth\", error=\"invalid_token\", "
                         "error_description=\"the session was signed out or revoked\""},
};

static fa_status_t fa_deny(fa_ctx_t *ctx, fa_denial_t why, fa_error_t *err)
{
    fa_response_set_header(ctx->res, "WWW-Authenticate", fa_denials[why].challenge);
    return fa_error_set(err, FA_ERR_UNAUTHORIZED, fa_denials[why].code, fa_denials[why].message,
                        NULL);
}

/* A well-signed token matched no live session: expired or gone. Only this
 * failure path pays the second lookup. */
static fa_status_t fa_deny_session(fa_ctx_t *ctx, const uint8_t hash[FA_SHA256_LEN],
                                   fa_error_t *err)
{
    bool expired = false;
    fa_status_t st = fa_session_explain(ctx->db, ctx->arena, hash, &expired, err);
    if (st != FA_OK)
        return st;
    return fa_deny(ctx, expired ? FA_DENY_EXPIRED : FA_DENY_REVOKED, err);
}

/* CSRF: a cookie rides along on cross-site requests, a bearer token does not. */
static fa_status_t fa_csrf_check(const fa_ctx_t *ctx, fa_error_t *err)
{
    fa_str_t origin = fa_request_header(ctx->req, "origin");
    if (!origin.ptr || fa_request_header_count(ctx->req, "origin") != 1 ||
        !fa_config_is_trusted_origin(ctx->config, origin.ptr, origin.len))
        return fa_error_set(err, FA_ERR_FORBIDDEN, "untrusted_origin",
                            "this request must come from a trusted origin", NULL);
    if (!fa_request_is_content_type(ctx->req, "application/json"))
        return fa_error_set(err, FA_ERR_UNSUPPORTED_TYPE, "unsupported_media_type",
                            "send Content-Type: application/json", NULL);
    return FA_OK;
}

void fa_authn_set_session_cookie(fa_ctx_t *ctx, const char *value, long max_age)
{
    fa_cookie_t cookie = {
        .name = fa_authn_cookie_name(ctx->config),
        .value = value,
        .path = "/",
        .max_age = max_age > 0 ? max_age : 0,
        .secure = ctx->config->secure_cookies,
        .http_only = true,
        .same_site = FA_SAMESITE_LAX,
    };
    fa_response_set_cookie(ctx->res, &cookie);
}

void fa_authn_clear_session_cookie(fa_ctx_t *ctx)
{
    fa_authn_set_session_cookie(ctx, "", 0);
}

bool fa_authn_token_hash(const fa_ctx_t *ctx, uint8_t hash[FA_SHA256_LEN], bool *from_cookie)
{
    fa_credential_t cred = fa_read_credential(ctx);
    if (cred.kind != FA_CRED_COOKIE && cred.kind != FA_CRED_BEARER)
        return false;
    memcpy(hash, cred.hash, FA_SHA256_LEN);
    *from_cookie = cred.kind == FA_CRED_COOKIE;
    return true;
}

fa_session_t *fa_authn_session(const fa_ctx_t *ctx)
{
    return ctx->session;
}

/* Sliding expiry on reads: at most once per update age, and the cookie
 * follows so the browser keeps it as long as the server does. */
void fa_authn_slide(fa_ctx_t *ctx, fa_session_t *s, bool from_cookie)
{
    if (!s->needs_refresh)
        return;
    fa_error_t err;
    if (fa_session_extend(ctx->db, ctx->arena, ctx->config, s, &err) != FA_OK)
        return; /* the session stays valid until its current expiry */
    if (from_cookie) {
        fa_str_t v = fa_request_cookie(ctx->req, fa_authn_cookie_name(ctx->config));
        fa_authn_set_session_cookie(ctx, fa_str_dup(ctx->arena, v), s->expires_in);
    }
}

/* The guard of a session mutation: the session row, locked (a revocation
 * waits for this write, or this write sees the session gone). */
static fa_status_t fa_lock_session(fa_ctx_t *ctx, void *hash, fa_error_t *err)
{
    fa_session_t *s = fa_arena_calloc(ctx->arena, 1, sizeof(*s));
    fa_status_t st = fa_session_load_locked(ctx->db, ctx->arena, ctx->config, hash, s, err);
    if (st != FA_OK)
        return st;
    ctx->session = s;
    ctx->user_id = s->user_id;
    return FA_OK;
}

static fa_status_t fa_run_mutation(fa_ctx_t *ctx, const uint8_t *hash, fa_tx_step_fn write,
                                   void *data, fa_error_t *err)
{
    fa_tx_t tx = {
        .guard = fa_lock_session, .guard_data = (void *)hash, .write = write, .write_data = data};
    fa_status_t st = fa_transaction_run(ctx, &tx, err);
    if (st == FA_ERR_UNAUTHORIZED && tx.guard_failed)
        return fa_deny_session(ctx, hash, err);
    return st;
}

static fa_status_t fa_route_handler(fa_ctx_t *ctx, void *unused, fa_error_t *err)
{
    (void)unused;
    return ctx->route->handler(ctx, err);
}

fa_status_t fa_authn_commit(fa_ctx_t *ctx, fa_tx_step_fn write, void *data, fa_error_t *err)
{
    const fa_session_t *checked = ctx->session;
    uint8_t hash[FA_SHA256_LEN]; /* ctx->session is replaced by the locked one */
    memcpy(hash, checked->token_hash, FA_SHA256_LEN);
    return fa_run_mutation(ctx, hash, write, data, err);
}

static fa_status_t fa_invoke_mutation(fa_ctx_t *ctx, fa_credential_t *cred, fa_error_t *err)
{
    if (cred->kind == FA_CRED_COOKIE && fa_csrf_check(ctx, err) != FA_OK)
        return err->status;
    if (!(ctx->route->flags & FA_ROUTE_CALLS_OUT))
        return fa_run_mutation(ctx, cred->hash, fa_route_handler, NULL, err);
    /* The handler calls another service first, with no transaction (and no
     * row lock a revocation would wait on) open: the session is checked now
     * and locked again when the handler commits through fa_authn_commit. */
    fa_session_t *s = fa_arena_calloc(ctx->arena, 1, sizeof(*s));
    fa_status_t st = fa_session_load(ctx->db, ctx->arena, ctx->config, cred->hash, s, err);
    if (st == FA_ERR_UNAUTHORIZED)
        return fa_deny_session(ctx, cred->hash, err);
    if (st != FA_OK)
        return st;
    ctx->session = s;
    ctx->user_id = s->user_id;
    return ctx->route->handler(ctx, err);
}

/* The optional cookie cache (auth/cookie_cache.h): only read routes that
 * opt in with FA_ROUTE_COOKIE_CACHE, only cookie callers, only when
 * configured. Mutations never get here, so they always ask the database. */
static bool fa_cache_usable(const fa_ctx_t *ctx, const fa_credential_t *cred)
{
    return (ctx->route->flags & FA_ROUTE_COOKIE_CACHE) && cred->kind == FA_CRED_COOKIE &&
           ctx->config->cookie_cache_max_age > 0;
}

static bool fa_cache_read(fa_ctx_t *ctx, const fa_credential_t *cred, fa_session_t *s)
{
    const char *name = fa_cookie_cache_name(ctx->config);
    if (fa_request_cookie_count(ctx->req, name) != 1)
        return false;
    return fa_cookie_cache_decode(&ctx->worker->services->cache_keys, ctx->arena,
                                  fa_request_cookie(ctx->req, name), cred->hash, time(NULL),
                                  ctx->config->cookie_cache_max_age, s);
}

static void fa_cache_write(fa_ctx_t *ctx, const fa_session_t *s)
{
    char *value = fa_cookie_cache_encode(&ctx->worker->services->cache_keys, ctx->arena, s,
                                         time(NULL), ctx->config->cookie_cache_max_age);
    if (!value)
        return;
    fa_cookie_t cookie = {
        .name = fa_cookie_cache_name(ctx->config),
        .value = value,
        .path = "/",
        .max_age = ctx->config->cookie_cache_max_age,
        .secure = ctx->config->secure_cookies,
        .http_only = true,
        .same_site = FA_SAMESITE_LAX,
    };
    fa_response_set_cookie(ctx->res, &cookie);
}

/* Identity-only routes skip the user's profile, unless the answer is about
 * to fill the cookie cache, which holds the whole user. */
static fa_status_t fa_load_session(fa_ctx_t *ctx, const fa_credential_t *cred, fa_session_t *s,
                                   fa_error_t *err)
{
    if ((ctx->route->flags & FA_ROUTE_IDENTITY) && !fa_cache_usable(ctx, cred)) {
        if (ctx->route->flags & FA_ROUTE_AUTH_TIME)
            return fa_session_check_auth_time(ctx->db, ctx->arena, ctx->config, cred->hash, s, err);
        return fa_session_check(ctx->db, ctx->arena, ctx->config, cred->hash, s, err);
    }
    return fa_session_load(ctx->db, ctx->arena, ctx->config, cred->hash, s, err);
}

fa_status_t fa_authn_invoke(fa_ctx_t *ctx, fa_error_t *err)
{
    unsigned flags = ctx->route->flags;
    if (!(flags & (FA_ROUTE_SESSION | FA_ROUTE_MUTATION | FA_ROUTE_OPTIONAL_SESSION)))
        return ctx->route->handler(ctx, err);
    fa_credential_t cred = fa_read_credential(ctx);
    bool required = flags & (FA_ROUTE_SESSION | FA_ROUTE_MUTATION);
    if (cred.kind == FA_CRED_INVALID || (cred.kind == FA_CRED_NONE && required)) {
        if (required)
            return fa_deny(ctx, cred.kind == FA_CRED_NONE ? FA_DENY_NOTHING : FA_DENY_INVALID, err);
        cred.kind = FA_CRED_NONE; /* optional: a bad cookie reads as signed out */
    }
    if (flags & FA_ROUTE_MUTATION)
        return fa_invoke_mutation(ctx, &cred, err);
    if (cred.kind != FA_CRED_NONE) {
        fa_session_t *s = fa_arena_calloc(ctx->arena, 1, sizeof(*s));
        bool cached = fa_cache_usable(ctx, &cred) && fa_cache_read(ctx, &cred, s);
        fa_status_t st = cached ? FA_OK : fa_load_session(ctx, &cred, s, err);
        if (st == FA_OK) {
            ctx->session = s;
            ctx->user_id = s->user_id;
            if (!cached) {
                fa_authn_slide(ctx, s, cred.kind == FA_CRED_COOKIE);
                if (fa_cache_usable(ctx, &cred))
                    fa_cache_write(ctx, s);
            }
        } else if (st == FA_ERR_UNAUTHORIZED && required) {
            return fa_deny_session(ctx, cred.hash, err);
        } else if (st != FA_ERR_UNAUTHORIZED) {
            return st;
        }
    }
    return ctx->route->handler(ctx, err);
}
