/* Owns: the token routes: parse, call auth/tokens, render.
 *
 * POST /v1/auth/token/verify needs no session on purpose. It only answers
 * about a token the caller already holds: the claims it returns are readable
 * by anyone holding the token (a JWT payload is plain base64url), and the
 * one extra bit, "its session still exists", is what a relying service asks
 * for. It is no signing oracle (it never signs) and costs at most one
 * primary-key lookup, done only after the signature and claims held. Its
 * abuse limit is nginx's: it lives under /v1/auth/, which the shipped
 * config rate-limits per address. Requiring a session would make it useless
 * to the services it exists for, which hold a JWT and no browser session. */
#include "handlers/tokens.h"

#include <string.h>

#include "auth/oauth.h"
#include "auth/return_to.h"
#include "auth/tokens.h"
#include "handlers/authn.h"
#include "handlers/reply.h"
#include "core/json_text.h"

static fa_signing_keys_cache_t *fa_jwt_keys(fa_ctx_t *ctx)
{
    return &ctx->worker->jwt_keys;
}

/* A string member, or NULL (absent); *bad when present but not a string or
 * longer than max. */
static const char *fa_body_string(json_t *body, const char *key, size_t max, bool *bad)
{
    json_t *v = json_object_get(body, key);
    if (!v)
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > max) {
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/* 401 with where to sign in again: the JSON error plus signInUrl, and the
 * RFC 9470 step-up challenge for clients that read WWW-Authenticate. */
static fa_status_t fa_reauthentication(fa_ctx_t *ctx, const fa_error_t *err, const char *return_to)
{
    const char *url = fa_oauth_start_url(ctx->config, ctx->arena, fa_str_from(return_to));
    fa_reply_error_field(ctx, "signInUrl", json_string(url));
    fa_response_set_header(
        ctx->res, "WWW-Authenticate",
        "Bearer realm=\"foundry-auth\", error=\"insufficient_user_authentication\"");
    return err->status;
}

fa_status_t fa_handle_token_issue(fa_ctx_t *ctx, fa_error_t *err)
{
    json_t *body;
    if (fa_request_json(ctx->req, &body, err) != FA_OK)
        return err->status;
    bool bad = false;
    const char *audience = fa_body_string(body, "audience", 256, &bad);
    const char *scope = fa_body_string(body, "scope", FA_JWT_SCOPE_MAX, &bad);
    /* Only used in a reauthentication answer: where the new sign-in ends. */
    const char *return_to = fa_body_string(body, "returnTo", FA_RETURN_TO_MAX, &bad);
    if (bad || !audience)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_request",
                            "audience (a string) is required; scope and returnTo are optional "
                            "strings",
                            NULL);
    char *token;
    long expires_in;
    if (fa_tokens_issue(ctx->db, ctx->arena, ctx->config, fa_jwt_keys(ctx), fa_authn_session(ctx),
                        audience, scope ? scope : "", &token, &expires_in, err) != FA_OK) {
        if (err->code == fa_tokens_reauthentication_required)
            return fa_reauthentication(ctx, err, return_to);
        return err->status;
    }
    fa_buf_t out;
    fa_buf_init(&out, ctx->arena, strlen(token) + 64);
    FA_JSON_RAW(&out, "{\"token\":");
    fa_json_text_string(&out, token);
    FA_JSON_RAW(&out, ",\"tokenType\":\"Bearer\",\"expiresIn\":");
    fa_buf_append_uint(&out, expires_in > 0 ? (unsigned long long)expires_in : 0);
    FA_JSON_RAW(&out, "}");
    fa_reply_json_text(ctx, out.data, out.len);
    return FA_OK;
}

fa_status_t fa_handle_token_verify(fa_ctx_t *ctx, fa_error_t *err)
{
    json_t *body;
    if (fa_request_json(ctx->req, &body, err) != FA_OK)
        return err->status;
    json_t *token = json_object_get(body, "token");
    bool bad = false;
    /* The audience the caller is: a token is active only for its own. */
    const char *audience = fa_body_string(body, "audience", 256, &bad);
    if (!json_is_string(token) || bad || !audience)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_request",
                            "token and audience (strings) are required", NULL);
    fa_str_t value = {json_string_value(token), json_string_length(token)};
    json_t *claims;
    if (fa_tokens_verify(ctx->db, ctx->arena, ctx->config, fa_jwt_keys(ctx), value, audience,
                         &claims, err) != FA_OK)
        return err->status;
    json_t *out = json_deep_copy(claims);
    json_object_set_new(out, "active", json_true());
    fa_reply_json(ctx, out);
    return FA_OK;
}

fa_status_t fa_handle_jwks(fa_ctx_t *ctx, fa_error_t *err)
{
    char *jwks = fa_signing_keys_jwks(fa_jwt_keys(ctx), ctx->db, ctx->arena, err);
    if (!jwks)
        return err->status;
    fa_reply_json_text(ctx, jwks, strlen(jwks));
    /* Public and identical for everyone: caches may keep it for max-age,
     * since a rotated-in key is published that long (plus the leeway)
     * before it signs (auth/signing_keys.h). */
    fa_response_set_header(ctx->res, "Cache-Control",
                           fa_arena_sprintf(ctx->arena, "public, max-age=%d", FA_JWKS_MAX_AGE));
    return FA_OK;
}
