/* The job queue (jobs table): enqueue from request paths, claim and finish
 * from `foundry-auth jobs`. Owns the jobs table. */
#ifndef FA_JOBS_QUEUE_H
#define FA_JOBS_QUEUE_H

#include <stdint.h>

#include "db/db.h"

#define FA_JOB_ORG_SYNC "org_sync"
#define FA_JOBS_CHANNEL "foundry_jobs"

void fa_jobs_register_statements(void);

/* Queues a job unless one of the same kind for the same user is already
 * waiting, and notifies the job workers (delivered at commit). Runs in the
 * caller's transaction so the job exists iff the change that needs it does. */
fa_status_t fa_jobs_enqueue(fa_db_t *db, fa_arena_t *arena, const char *kind, int64_t user_id,
                            const char *payload_json, fa_error_t *err);

#endif
