/* Owns: deleting expired rows, and erasing sealed values that outlived their
 * use. Never: deletes a live session (the batch is chosen by expires_at <
 * now() inside the deleting statement itself). */
#include "admin/gc.h"

#include <stdio.h>
#include <stdlib.h>

#include "auth/oauth.h"

static const fa_db_statement_t fa_gc_statements[] = {
    /* One statement per batch is one transaction: the session, its index row
     * and its state row disappear together (cascading foreign keys). SKIP
     * LOCKED leaves a session that a request is using right now for the next
     * run instead of waiting on it. Every batch walks the expires_at index
     * in order (ORDER BY ... LIMIT): a generic plan guesses a third of the
     * table has expired and would otherwise scan all of it (issue 16). */
    {"gc_sessions",
     "DELETE FROM sessions WHERE (user_id, id) IN (SELECT user_id, id FROM sessions "
     "WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)",
     1},
    /* An OAuth state is dead at its expiry (oauth_consume refuses it): it
     * goes then, with its sealed verifier and any sealed session token. */
    {"gc_verification",
     "DELETE FROM verification WHERE identifier IN (SELECT identifier FROM verification "
     "WHERE expires_at < now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)",
     1},
    /* A completed state keeps its row to its expiry (a late duplicate then
     * learns why it is refused), but its sealed session token serves only
     * the replay window (auth/oauth.h): past it, the token goes. The rows
     * holding one are few (a minute's sign-ins): verification_token_held_idx
     * (sql/009) lists just them. */
    {"gc_verification_sessions",
     "UPDATE verification SET session_token_enc = NULL WHERE identifier IN (SELECT identifier "
     "FROM verification WHERE session_token_enc IS NOT NULL AND completed_at <= now() - "
     "make_interval(secs => $2::int) ORDER BY completed_at LIMIT $1 FOR UPDATE SKIP LOCKED)",
     2},
    /* Finished jobs are kept 3 days (a long weekend to look at a failure),
     * not 7: every sign-in adds one. The condition is the predicate of
     * jobs_finished_updated_at_idx (sql/008), and the order follows it, so a
     * run reads what it deletes and never the whole table. */
    {"gc_jobs",
     "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('done', 'failed', "
     "'dead') AND updated_at < now() - interval '3 days' ORDER BY updated_at LIMIT $1 "
     "FOR UPDATE SKIP LOCKED)",
     1},
};

void fa_gc_register_statements(void)
{
    FA_DB_REGISTER(fa_gc_statements);
}

/* Batches until one comes back short. statement's $1 is the batch size;
 * arg, when not NULL, is its $2. */
static fa_status_t fa_gc_table(fa_db_t *db, fa_arena_t *arena, const fa_db_use_t *statement,
                               const char *arg, long *count, fa_error_t *err)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", FA_GC_BATCH);
    const char *values[2] = {limit, arg};
    for (int batch = 0; batch < FA_GC_MAX_BATCHES; batch++) {
        PGresult *r = (fa_db_exec)(db, arena, statement, arg ? 2 : 1, values, err);
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
    fa_status_t st = fa_gc_table(db, arena, FA_DB_STATEMENT("gc_verification"), NULL, count, err);
    if (st != FA_OK)
        return st;
    char window[16];
    snprintf(window, sizeof(window), "%d", FA_OAUTH_REPLAY_WINDOW_SECONDS);
    return fa_gc_table(db, arena, FA_DB_STATEMENT("gc_verification_sessions"), window, count, err);
}

fa_status_t fa_gc_run_once(fa_db_t *db, fa_arena_t *arena, fa_gc_counts_t *counts, fa_error_t *err)
{
    *counts = (fa_gc_counts_t){0};
    fa_status_t st =
        fa_gc_table(db, arena, FA_DB_STATEMENT("gc_sessions"), NULL, &counts->sessions, err);
    if (st == FA_OK)
        st = fa_gc_states(db, arena, &counts->verification, err);
    if (st == FA_OK)
        st = fa_gc_table(db, arena, FA_DB_STATEMENT("gc_jobs"), NULL, &counts->jobs, err);
    return st;
}
