/* Owns: deleting expired rows. Never: deletes a live session (the batch is
 * chosen by expires_at < now() inside the deleting statement itself). */
#include "jobs/gc.h"

#include <stdio.h>
#include <stdlib.h>

static const fa_db_statement_t fa_gc_statements[] = {
    /* One statement per batch is one transaction: the session, its index row
     * and its state row disappear together (cascading foreign keys). SKIP
     * LOCKED leaves a session that a request is using right now for the next
     * run instead of waiting on it. */
    {"gc_sessions",
     "DELETE FROM sessions WHERE (user_id, id) IN (SELECT user_id, id FROM sessions "
     "WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)",
     1},
    /* An OAuth state is dead at its expiry (oauth_consume refuses it): it
     * goes then, with its sealed verifier and any sealed session token. */
    {"gc_verification",
     "DELETE FROM verification WHERE identifier IN (SELECT identifier FROM verification "
     "WHERE expires_at < now() LIMIT $1 FOR UPDATE SKIP LOCKED)",
     1},
    {"gc_jobs",
     "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('done', 'failed', "
     "'dead') AND updated_at < now() - interval '7 days' LIMIT $1 FOR UPDATE SKIP LOCKED)",
     1},
};

void fa_gc_register_statements(void)
{
    fa_db_register(fa_gc_statements, sizeof(fa_gc_statements) / sizeof(fa_gc_statements[0]));
}

/* Batches until one comes back short. */
static fa_status_t fa_gc_table(fa_db_t *db, fa_arena_t *arena, const char *statement, long *count,
                               fa_error_t *err)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", FA_GC_BATCH);
    const char *values[1] = {limit};
    for (int batch = 0; batch < FA_GC_MAX_BATCHES; batch++) {
        PGresult *r = fa_db_exec(db, arena, statement, 1, values, err);
        if (!r)
            return err->status;
        long n = atol(PQcmdTuples(r));
        *count += n;
        if (n < FA_GC_BATCH)
            break;
    }
    return FA_OK;
}

fa_status_t fa_gc_states(fa_db_t *db, fa_arena_t *arena, long *count, fa_error_t *err)
{
    *count = 0;
    return fa_gc_table(db, arena, "gc_verification", count, err);
}

fa_status_t fa_gc_run_once(fa_db_t *db, fa_arena_t *arena, fa_gc_counts_t *counts, fa_error_t *err)
{
    *counts = (fa_gc_counts_t){0};
    fa_status_t st = fa_gc_table(db, arena, "gc_sessions", &counts->sessions, err);
    if (st == FA_OK)
        st = fa_gc_states(db, arena, &counts->verification, err);
    if (st == FA_OK)
        st = fa_gc_table(db, arena, "gc_jobs", &counts->jobs, err);
    return st;
}
