/* Transaction suite (issue 14): the one write transaction of the handlers
 * (handlers/transaction.c) against the real PostgreSQL. It commits exactly
 * when the write returned FA_OK with a response that can be sent: not when
 * the response merely looks successful (a fresh response is a 200, so a
 * write that fails without touching it used to commit), and a success whose
 * COMMIT failed is not reported.
 *
 * This suite calls the wrapper directly rather than through nginx: no route
 * can make a write fail at will, and a deferred constraint is the one way to
 * make COMMIT itself fail. */
#include <stdio.h>
#include <stdlib.h>

#include "handlers/transaction.h"
#include "harness.h"

/* A probe table with a unique constraint checked only at COMMIT. */
static const char fa_probe_create[] =
    "CREATE TABLE IF NOT EXISTS fa_tx_probe (id int, CONSTRAINT fa_tx_probe_once UNIQUE (id) "
    "DEFERRABLE INITIALLY DEFERRED)";

typedef struct {
    fa_db_t *db;
    fa_arena_t *arena;
    fa_response_t res;
    fa_ctx_t ctx;
} fa_probe_t;

static void fa_probe_open(fa_probe_t *p)
{
    FA_CHECK_FATAL(fa_sql_exec(fa_probe_create, NULL) &&
                       fa_sql_exec("DELETE FROM fa_tx_probe", NULL),
                   "probe table");
    p->db = fa_db_create(fa_env("FA_TEST_DATABASE_URL"));
    p->arena = fa_arena_create(4096);
    fa_response_init(&p->res, p->arena);
    p->ctx = (fa_ctx_t){.db = p->db, .arena = p->arena, .res = &p->res};
}

static void fa_probe_close(fa_probe_t *p)
{
    fa_arena_destroy(p->arena);
    fa_db_destroy(p->db);
    fa_sql_exec("DROP TABLE IF EXISTS fa_tx_probe", NULL);
}

static long long fa_probe_rows(void)
{
    return fa_sql_int("SELECT count(*) FROM fa_tx_probe", NULL);
}

static fa_status_t fa_probe_insert(fa_ctx_t *ctx, int id, fa_error_t *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "INSERT INTO fa_tx_probe VALUES (%d)", id);
    return fa_db_exec_sql(ctx->db, ctx->arena, sql, err) ? FA_OK : err->status;
}

static fa_status_t fa_guard_ok(fa_ctx_t *ctx, void *data, fa_error_t *err)
{
    (void)ctx;
    (void)data;
    (void)err;
    return FA_OK;
}

static fa_status_t fa_guard_refuses(fa_ctx_t *ctx, void *data, fa_error_t *err)
{
    (void)ctx;
    (void)data;
    return fa_error_set(err, FA_ERR_UNAUTHORIZED, "session_revoked", "gone", NULL);
}

/* data: how the write ends. */
typedef enum { FA_WRITE_OK, FA_WRITE_FAILS, FA_WRITE_BROKEN, FA_WRITE_TWICE } fa_write_end_t;

static int fa_writes_run;

static fa_status_t fa_probe_write(fa_ctx_t *ctx, void *data, fa_error_t *err)
{
    fa_write_end_t end = *(fa_write_end_t *)data;
    fa_writes_run++;
    if (fa_probe_insert(ctx, 1, err) != FA_OK)
        return err->status;
    switch (end) {
    case FA_WRITE_OK:
        break;
    case FA_WRITE_FAILS: /* the response untouched: still the fresh 200 */
        return fa_error_set(err, FA_ERR_CONFLICT, "refused", "refused", NULL);
    case FA_WRITE_BROKEN:
        ctx->res->broken = "a header value with a control byte";
        break;
    case FA_WRITE_TWICE: /* violates the deferred constraint: COMMIT fails */
        if (fa_probe_insert(ctx, 1, err) != FA_OK)
            return err->status;
        break;
    }
    fa_response_json_raw(ctx->res, 201, "{}", 2);
    fa_response_set_header(ctx->res, "X-Probe", "written");
    return FA_OK;
}

static fa_status_t fa_probe_run(fa_probe_t *p, fa_tx_step_fn guard, fa_write_end_t end, fa_tx_t *tx,
                                fa_error_t *err)
{
    fa_writes_run = 0;
    *tx = (fa_tx_t){.guard = guard, .write = fa_probe_write, .write_data = &end};
    return fa_transaction_run(&p->ctx, tx, err);
}

static void test_commits_when_write_succeeds(void)
{
    fa_probe_t p;
    fa_probe_open(&p);
    fa_tx_t tx;
    fa_error_t err;
    fa_status_t st = fa_probe_run(&p, fa_guard_ok, FA_WRITE_OK, &tx, &err);
    FA_CHECK(st == FA_OK, "a write that succeeded: status %d, expected FA_OK", st);
    FA_CHECK(fa_probe_rows() == 1, "a write that succeeded: %lld rows, expected 1",
             fa_probe_rows());
    FA_CHECK(p.res.status == 201 && fa_response_get_header(&p.res, "X-Probe"),
             "a write that succeeded keeps its answer (status %d)", p.res.status);
    fa_probe_close(&p);
}

static void test_rolls_back_a_failed_write_with_a_fresh_response(void)
{
    fa_probe_t p;
    fa_probe_open(&p);
    FA_CHECK(p.res.status < 400, "precondition: a fresh response looks successful (%d)",
             p.res.status);
    fa_tx_t tx;
    fa_error_t err;
    fa_status_t st = fa_probe_run(&p, fa_guard_ok, FA_WRITE_FAILS, &tx, &err);
    FA_CHECK(st == FA_ERR_CONFLICT && !tx.guard_failed,
             "a failed write: status %d (guard_failed %d), expected its own CONFLICT", st,
             tx.guard_failed);
    FA_CHECK(fa_probe_rows() == 0, "a failed write left %lld rows, expected 0", fa_probe_rows());
    fa_probe_close(&p);
}

static void test_guard_refusal_skips_the_write(void)
{
    fa_probe_t p;
    fa_probe_open(&p);
    fa_tx_t tx;
    fa_error_t err;
    fa_status_t st = fa_probe_run(&p, fa_guard_refuses, FA_WRITE_OK, &tx, &err);
    FA_CHECK(st == FA_ERR_UNAUTHORIZED && tx.guard_failed,
             "a refused guard: status %d (guard_failed %d)", st, tx.guard_failed);
    FA_CHECK(fa_writes_run == 0, "the write ran %d times after the guard refused", fa_writes_run);
    FA_CHECK(fa_probe_rows() == 0, "a refused guard left %lld rows", fa_probe_rows());
    fa_probe_close(&p);
}

static void test_rolls_back_an_unsendable_answer(void)
{
    fa_probe_t p;
    fa_probe_open(&p);
    fa_tx_t tx;
    fa_error_t err;
    fa_status_t st = fa_probe_run(&p, fa_guard_ok, FA_WRITE_BROKEN, &tx, &err);
    FA_CHECK(st == FA_ERR_INTERNAL,
             "a write whose answer cannot be sent: status %d, expected "
             "FA_ERR_INTERNAL",
             st);
    FA_CHECK(fa_probe_rows() == 0, "an unsendable answer left %lld rows", fa_probe_rows());
    fa_probe_close(&p);
}

static void test_drops_a_success_commit_refused(void)
{
    fa_probe_t p;
    fa_probe_open(&p);
    fa_tx_t tx;
    fa_error_t err;
    fa_status_t st = fa_probe_run(&p, fa_guard_ok, FA_WRITE_TWICE, &tx, &err);
    FA_CHECK(fa_writes_run == 1, "the write ran %d times", fa_writes_run);
    FA_CHECK(st != FA_OK && !tx.guard_failed, "COMMIT failed: status %d, expected an error", st);
    FA_CHECK(fa_probe_rows() == 0, "a failed COMMIT left %lld rows", fa_probe_rows());
    FA_CHECK(p.res.status != 201 && !fa_response_get_header(&p.res, "X-Probe"),
             "the success COMMIT refused is still in the response (status %d)", p.res.status);
    fa_probe_close(&p);
}

void fa_register_transaction_suite(void)
{
    CU_pSuite s = fa_suite_add("transaction", NULL, NULL);
    fa_test_add(s, "a write that succeeded commits and keeps its answer",
                test_commits_when_write_succeeds);
    fa_test_add(s, "a failed write rolls back though the response looks like a 200",
                test_rolls_back_a_failed_write_with_a_fresh_response);
    fa_test_add(s, "a refused guard: the write never runs", test_guard_refusal_skips_the_write);
    fa_test_add(s, "a write whose answer cannot be sent rolls back",
                test_rolls_back_an_unsendable_answer);
    fa_test_add(s, "a success whose COMMIT failed is dropped", test_drops_a_success_commit_refused);
}
