/* /v1/app handlers. */
#ifndef FA_HANDLERS_APP_H
#define FA_HANDLERS_APP_H

#include "handlers/context.h"

fa_status_t fa_handle_snapshot(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_org_select(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_org_sync(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_starter_repo_star(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_starter_repo_skip(fa_ctx_t *ctx, fa_error_t *err);

#endif
