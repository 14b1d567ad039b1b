/* Owns: turning a handler's success or failure into the response. */
#include "handlers/reply.h"

#include "handlers/authn.h"

void fa_reply_json(fa_ctx_t *ctx, json_t *body)
{
    fa_response_json(ctx->res, 200, fa_arena_json(ctx->arena, body));
}

void fa_reply_json_text(fa_ctx_t *ctx, const char *json, size_t len)
{
    fa_response_json_raw(ctx->res, 200, json, len);
}

void fa_reply_accepted_json_text(fa_ctx_t *ctx, const char *json, size_t len)
{
    fa_response_json_raw(ctx->res, 202, json, len);
}

void fa_reply_text(fa_ctx_t *ctx, const char *content_type, const char *text, size_t len)
{
    fa_response_set_header(ctx->res, "Content-Type", content_type);
    fa_buf_append(&ctx->res->body, text, len);
    ctx->res->status = 200;
}

void fa_reply_ok_empty(fa_ctx_t *ctx)
{
    fa_response_empty(ctx->res, 200);
}

void fa_reply_no_content(fa_ctx_t *ctx)
{
    fa_response_empty(ctx->res, 204);
}

void fa_reply_redirect(fa_ctx_t *ctx, const char *location)
{
    fa_response_redirect(ctx->res, 302, location);
}

void fa_reply_error_field(fa_ctx_t *ctx, const char *key, json_t *value)
{
    if (!ctx->error_fields)
        ctx->error_fields = fa_arena_json(ctx->arena, json_object());
    json_object_set_new(ctx->error_fields, key, value);
}

void fa_reply_error(fa_ctx_t *ctx, const fa_error_t *err)
{
    if (ctx->route && (ctx->route->flags & FA_ROUTE_BARE_ERRORS)) {
        fa_response_empty(ctx->res, fa_status_http_code(err->status));
        return;
    }
    fa_response_error_fields(ctx->res, err, ctx->error_fields);
}
