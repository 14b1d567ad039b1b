/* Garbage collection of expired rows, in bounded batches (one short
 * transaction each) so it never holds locks on the session tables for long:
 *   sessions past expires_at (their session_index and session_state rows go
 *     with them: ON DELETE CASCADE, same statement, same transaction);
 *   verification rows (OAuth states) past their expiry, also on their own
 *     short period (FA_GC_STATES_SECONDS), so a state outlives its ten
 *     minutes by at most that; on the same period, the sealed session token
 *     of a state completed more than FA_OAUTH_REPLAY_WINDOW_SECONDS ago is
 *     erased (the row stays to its expiry);
 *   finished jobs (done, failed, dead) untouched for 7 days.
 * Run periodically by `foundry-auth jobs` and on demand by the admin gc
 * command. */
#ifndef FA_ADMIN_GC_H
#define FA_ADMIN_GC_H

#include "db/db.h"

#define FA_GC_BATCH 1000
#define FA_GC_MAX_BATCHES 1000 /* per table and run: a run ends even if rows keep expiring */
/* How often the job process removes expired OAuth states (verification
 * rows): an indexed range delete that finds nothing most of the time. */
#define FA_GC_STATES_SECONDS 60

typedef struct {
    long sessions;
    long verification;
    long jobs;
} fa_gc_counts_t;

void fa_gc_register_statements(void);

/* Deletes what has expired now. counts says how many rows of each went (also
 * on failure: what was deleted before it). Must not run inside a transaction
 * (each batch commits on its own). */
/* Only the expired OAuth states, and the sealed session tokens past the
 * replay window; *count is how many rows went or lost their token. */
fa_status_t fa_gc_states(fa_db_t *db, fa_arena_t *arena, long *count, fa_error_t *err);

fa_status_t fa_gc_run_once(fa_db_t *db, fa_arena_t *arena, fa_gc_counts_t *counts, fa_error_t *err);

#endif
