/* Token routes: POST /v1/auth/token, POST /v1/auth/token/verify and
 * GET /.well-known/jwks.json. */
#ifndef FA_HANDLERS_TOKENS_H
#define FA_HANDLERS_TOKENS_H

#include "handlers/context.h"

/* FA_ROUTE_SESSION: {"audience","scope"} -> {"token","tokenType","expiresIn"}. */
fa_status_t fa_handle_token_issue(fa_ctx_t *ctx, fa_error_t *err);
/* No session needed (see tokens.c): {"token"} -> {"active":true,...claims} or 401. */
fa_status_t fa_handle_token_verify(fa_ctx_t *ctx, fa_error_t *err);
/* Public keys, cacheable for five minutes. */
fa_status_t fa_handle_jwks(fa_ctx_t *ctx, fa_error_t *err);

#endif
