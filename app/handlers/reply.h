/* How a handler answers. Success is written with the fa_reply_* builders
 * below (no handler names an HTTP status); a failure is returned as
 * fa_status_t + fa_error_t and rendered once, by fa_reply_error, for every
 * route and for the dispatcher's own refusals alike. */
#ifndef FA_HANDLERS_REPLY_H
#define FA_HANDLERS_REPLY_H

#include <jansson.h>

#include "handlers/context.h"

/* 200 with body; the arena releases body (the caller does not). */
void fa_reply_json(fa_ctx_t *ctx, json_t *body);
/* 200 / 202 with JSON already serialised (hot paths render without a tree). */
void fa_reply_json_text(fa_ctx_t *ctx, const char *json, size_t len);
void fa_reply_accepted_json_text(fa_ctx_t *ctx, const char *json, size_t len);
/* 200 with another content type (the metrics exposition). */
void fa_reply_text(fa_ctx_t *ctx, const char *content_type, const char *text, size_t len);
/* 200 with no body (nginx auth_request reads the status and headers). */
void fa_reply_ok_empty(fa_ctx_t *ctx);
void fa_reply_no_content(fa_ctx_t *ctx); /* 204 */
/* 302 to a location the caller validated. */
void fa_reply_redirect(fa_ctx_t *ctx, const char *location);

/* Adds a member to the error body of this request beyond "error" and
 * "message" (signInUrl, schemaVersion, ...); the arena releases value. */
void fa_reply_error_field(fa_ctx_t *ctx, const char *key, json_t *value);

/* The one error path: {"error":code,"message":message, fields...} with the
 * status mapped from err->status, keeping the headers the handler set
 * (WWW-Authenticate, Retry-After). Routes flagged FA_ROUTE_BARE_ERRORS
 * answer the status and headers only. */
void fa_reply_error(fa_ctx_t *ctx, const fa_error_t *err);

#endif
