/* /v1/auth handlers. */
#ifndef FA_HANDLERS_AUTH_H
#define FA_HANDLERS_AUTH_H

#include "handlers/context.h"

fa_status_t fa_handle_github_start(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_github_callback(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_session(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_sessions_list(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_session_revoke(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_sign_out(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_sign_out_all(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_verify(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_dev_bootstrap(fa_ctx_t *ctx, fa_error_t *err);

#endif
