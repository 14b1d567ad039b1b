/* One job's life inside `foundry-auth jobs`: claim a due job (FOR UPDATE
 * SKIP LOCKED, so two job processes never run the same job), run it by kind,
 * and end it — done; back to queued after an exponential backoff with jitter;
 * postponed to GitHub's rate-limit reset without counting an attempt; failed
 * at once for a non-retryable error; dead after max_attempts. Owns the claim
 * and finish statements of the jobs table (queue.c owns enqueue). Never:
 * writes a token into last_error (reasons are fa_error_t codes and messages,
 * which the GitHub client keeps token-free). */
#ifndef FA_JOBS_RUNNER_H
#define FA_JOBS_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "db/db.h"

#define FA_JOB_NOOP "noop" /* harmless kind: counts its runs in payload.runs (tests) */
#define FA_JOBS_BACKOFF_CAP_MS (10L * 60 * 1000)
#define FA_JOBS_POSTPONE_MAX_S 3600 /* never trust a rate-limit reset further out */
#define FA_JOBS_REASON_MAX 400      /* bytes of last_error / org_sync_error */

#include "services/services.h"

typedef struct {
    const fa_config_t *config;
    fa_db_t *db;
    fa_arena_t *arena; /* reset by the worker after each job */
    fa_services_t *services;
    const char *worker_id; /* "<host>:<pid>", stored in jobs.locked_by */
} fa_job_env_t;

typedef struct {
    long long id;
    const char *kind;
    int64_t user_id;     /* 0 when the job has none */
    const char *payload; /* jsonb as text */
    int attempts;        /* counting this run */
    int max_attempts;
    long retry_after; /* set by a kind on a rate limit: seconds to wait */
    bool committed;   /* set by fa_jobs_commit: the job is done */
} fa_job_t;

typedef enum {
    FA_JOB_PHASE_START,  /* claimed, about to run (autocommit) */
    FA_JOB_PHASE_RETRY,  /* failed, queued again (inside the finishing transaction) */
    FA_JOB_PHASE_GIVE_UP /* failed or dead for good (inside the finishing transaction) */
} fa_job_phase_t;

/* Does the work. Its database writes go through fa_jobs_commit so they
 * commit together with the job's done mark; returning FA_OK without calling
 * it marks the job done. On failure err says why (see fa_jobs_classify). */
typedef fa_status_t (*fa_job_run_fn)(fa_job_env_t *env, fa_job_t *job, fa_error_t *err);
/* Tells a kind where its job stands (e.g. org_sync's status in the profile).
 * reason is NULL for START. */
typedef fa_status_t (*fa_job_phase_fn)(fa_db_t *db, fa_arena_t *arena, const fa_job_t *job,
                                       fa_job_phase_t phase, const char *reason, fa_error_t *err);

typedef struct {
    const char *name;
    fa_job_run_fn run;
    fa_job_phase_fn on_phase; /* may be NULL */
} fa_job_kind_t;

typedef enum {
    FA_JOB_RETRY,    /* transient: back to queued after a backoff, dead after max_attempts */
    FA_JOB_POSTPONE, /* rate limited: back to queued at the reset, attempt not counted */
    FA_JOB_FAIL      /* will never succeed as is (revoked token, bad payload): failed now */
} fa_job_failure_t;

/* Error codes of the runner, compared by identity (fa_error_is). A job kind
 * returns fa_jobs_err_permanent for a failure no retry can cure. */
extern const char fa_jobs_err_permanent[];     /* "job_permanent" */
extern const char fa_jobs_err_unknown_kind[];  /* "job_unknown_kind" */
extern const char fa_jobs_err_lease_lost[];    /* "job_lease_lost" */
extern const char fa_jobs_err_lease_expired[]; /* "job_lease_expired" */

void fa_jobs_runner_register_statements(void);

/* The kind named name, NULL when the worker does not know it. */
const fa_job_kind_t *fa_jobs_kind(const char *name);

/* Delay before retry number `attempts` (1 = after the first failure):
 * base * 2^(attempts-1) capped at FA_JOBS_BACKOFF_CAP_MS, then "equal
 * jitter": half of it fixed, half scaled by random (uniform over uint64), so
 * the result is in [d/2, d] and simultaneous failures spread out. Always
 * >= 1 ms for base >= 1. Pure. */
long fa_jobs_backoff_ms(long base_ms, int attempts, uint64_t random);

/* How a failed run ends, from its error and job->retry_after. Pure. */
fa_job_failure_t fa_jobs_classify(const fa_job_t *job, const fa_error_t *err);

/* "code: message (detail)" cut to FA_JOBS_REASON_MAX bytes at a UTF-8
 * boundary, in the arena. */
const char *fa_jobs_reason(fa_arena_t *arena, const fa_error_t *err);

/* Claims the oldest due job for env->worker_id; *claimed false when none is
 * due (or every due one is being claimed by another process). */
fa_status_t fa_jobs_claim(fa_job_env_t *env, fa_job_t *job, bool *claimed, fa_error_t *err);

/* Runs a claimed job to its end state and logs the outcome. */
void fa_jobs_run(fa_job_env_t *env, fa_job_t *job);

/* Inside one transaction: fn's writes (fn may be NULL) and the done mark.
 * FA_ERR_CONFLICT fa_jobs_err_lease_lost (and nothing written) when the job is no
 * longer running under this worker. */
fa_status_t fa_jobs_commit(fa_job_env_t *env, fa_job_t *job, fa_db_tx_fn fn, void *ctx,
                           fa_error_t *err);

/* Sets the job's lease again (locked_at = now), as the claim did. A kind
 * whose run can outlast FOUNDRY_JOBS_LEASE_SECONDS calls it between steps
 * (org sync: before each page). FA_ERR_CONFLICT fa_jobs_err_lease_lost when
 * the job is no longer running under this worker: the kind stops there. */
fa_status_t fa_jobs_renew(fa_job_env_t *env, fa_job_t *job, fa_error_t *err);

/* Crashed-worker recovery: jobs running for longer than the lease are taken
 * over and ended like a failed run (retry with backoff, or dead). */
fa_status_t fa_jobs_recover(fa_job_env_t *env, long lease_seconds, long *recovered,
                            fa_error_t *err);

/* Milliseconds until the next queued job is due (<= 0: due now), or -1 when
 * nothing is queued. */
long long fa_jobs_next_due_ms(fa_job_env_t *env, fa_error_t *err);

#endif
