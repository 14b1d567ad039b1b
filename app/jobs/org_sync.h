/* The org_sync job: a user's GitHub organizations into organizations,
 * organization_members and user_profiles.eligible_organization_ids (personal
 * account first), with the sync status the snapshot shows
 * (user_profiles.org_sync_status/org_sync_error/org_sync_updated_at: pending,
 * running, done, failed with a reason). Owns those profile columns and the
 * organizations/organization_members writes after sign-in.
 *
 * The GitHub token is refreshed when it expired and a refresh token exists;
 * a token GitHub no longer accepts (and cannot be refreshed) ends the job
 * failed with fa_org_sync_err_token_revoked, never an endless retry. */
#ifndef FA_JOBS_ORG_SYNC_H
#define FA_JOBS_ORG_SYNC_H

#include <stdint.h>

#include "jobs/queue.h"
#include "jobs/runner.h"

/* "github_token_revoked": GitHub refuses the user's token and it could not
 * be refreshed (a permanent failure); compare by identity (fa_error_is). */
extern const char fa_org_sync_err_token_revoked[];

void fa_org_sync_register_statements(void);

/* Request side, inside the caller's transaction: queues a sync (one waiting
 * job per user at most) and sets the profile's status to pending. */
fa_status_t fa_org_sync_request(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_error_t *err);

/* The job kind (see fa_job_kind_t). All writes of one successful sync commit
 * in one transaction together with the job's done mark. */
fa_status_t fa_org_sync_run(fa_job_env_t *env, fa_job_t *job, fa_error_t *err);
fa_status_t fa_org_sync_phase(fa_db_t *db, fa_arena_t *arena, const fa_job_t *job,
                              fa_job_phase_t phase, const char *reason, fa_error_t *err);

#endif
