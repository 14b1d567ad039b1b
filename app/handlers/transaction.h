/* The one write transaction of the handlers (invariant 1). A guard runs
 * first and locks what the write depends on (the caller's session row, the
 * admin token's row); then the write. COMMIT happens only when the write
 * returned FA_OK with a response that can be sent; a success whose COMMIT
 * failed is dropped and the commit's error returned instead, so a client
 * never hears of a write that did not happen. A deadlock or serialization
 * failure runs the whole transaction, guard included, again (up to twice). */
#ifndef FA_HANDLERS_TRANSACTION_H
#define FA_HANDLERS_TRANSACTION_H

#include <stdbool.h>

#include "handlers/context.h"

typedef fa_status_t (*fa_tx_step_fn)(fa_ctx_t *ctx, void *data, fa_error_t *err);

typedef struct {
    fa_tx_step_fn guard;
    void *guard_data;
    fa_tx_step_fn write;
    void *write_data;
    bool guard_failed; /* out: the guard refused (the write never ran) */
} fa_tx_t;

fa_status_t fa_transaction_run(fa_ctx_t *ctx, fa_tx_t *tx, fa_error_t *err);

#endif
