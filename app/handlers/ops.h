/* Operations endpoints: /healthz, /readyz, /metrics. */
#ifndef FA_HANDLERS_OPS_H
#define FA_HANDLERS_OPS_H

#include "handlers/context.h"

fa_status_t fa_handle_healthz(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_readyz(fa_ctx_t *ctx, fa_error_t *err);
fa_status_t fa_handle_metrics(fa_ctx_t *ctx, fa_error_t *err);

#endif
