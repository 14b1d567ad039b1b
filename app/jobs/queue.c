/* Owns: jobs. */
#include "jobs/queue.h"

static const fa_db_statement_t fa_jobs_statements[] = {
    {"jobs_enqueue",
     "WITH queued AS (INSERT INTO jobs (kind, user_id, payload) "
     "VALUES ($1, $2, coalesce($3::jsonb, '{}'::jsonb)) "
     "ON CONFLICT (kind, user_id) WHERE status = 'queued' DO NOTHING RETURNING id) "
     "SELECT pg_notify('" FA_JOBS_CHANNEL "', $1), (SELECT id FROM queued) AS id",
     3},
};

void fa_jobs_register_statements(void)
{
    FA_DB_REGISTER(fa_jobs_statements);
}

fa_status_t fa_jobs_enqueue(fa_db_t *db, fa_arena_t *arena, const char *kind, int64_t user_id,
                            const char *payload_json, fa_error_t *err)
{
    const char *values[3] = {kind, fa_arena_i64(arena, user_id),
                             payload_json};
    return fa_db_exec(db, arena, "jobs_enqueue", 3, values, err) ? FA_OK : err->status;
}
