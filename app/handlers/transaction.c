/* Owns: running a handler's writes so that they commit exactly when the
 * handler succeeded. */
#include "handlers/transaction.h"

typedef struct {
    fa_ctx_t *ctx;
    fa_tx_t *tx;
    bool wrote;
} fa_tx_run_t;

static fa_status_t fa_tx_body(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    (void)db;
    (void)arena;
    fa_tx_run_t *run = data;
    fa_tx_t *tx = run->tx;
    fa_status_t st = tx->guard(run->ctx, tx->guard_data, err);
    if (st != FA_OK) {
        tx->guard_failed = true;
        return st;
    }
    st = tx->write(run->ctx, tx->write_data, err);
    if (st != FA_OK)
        return st;
    /* The dispatcher will answer 500 for a response it cannot send: then
     * nothing may have happened either. */
    if (run->ctx->res->broken)
        return fa_error_set(err, FA_ERR_INTERNAL, "internal_error", "internal error",
                            "the response cannot be sent: rolled back");
    run->wrote = true;
    return FA_OK;
}

static fa_status_t fa_transaction_once(fa_ctx_t *ctx, fa_tx_t *tx, fa_error_t *err)
{
    fa_tx_run_t run = {ctx, tx, false};
    tx->guard_failed = false;
    fa_status_t st = fa_db_transaction(ctx->db, ctx->arena, fa_tx_body, &run, err);
    if (st != FA_OK && run.wrote)
        fa_response_init(ctx->res, ctx->arena); /* drop a success COMMIT did not confirm */
    return st;
}

/* A deadlock or serialization failure rolled everything back (two sessions
 * of one user revoking each other lock the same rows in opposite orders;
 * issue 16): the transaction runs again, from a clean response, before the
 * client hears of it. Twice at most: under load a retry can meet a third
 * transaction of the same user (seen under ASan in the revocation suite). */
#define FA_TX_ATTEMPTS 3

fa_status_t fa_transaction_run(fa_ctx_t *ctx, fa_tx_t *tx, fa_error_t *err)
{
    fa_status_t st = fa_transaction_once(ctx, tx, err);
    for (int attempt = 1; attempt < FA_TX_ATTEMPTS && st != FA_OK && fa_error_is(err, fa_db_err_retry);
         attempt++) {
        fa_response_init(ctx->res, ctx->arena);
        ctx->error_fields = NULL;
        st = fa_transaction_once(ctx, tx, err);
    }
    return st;
}
