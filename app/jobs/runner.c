/* Owns: claiming and finishing jobs rows; the table of job kinds (org_sync,
 * noop). Never: finishes a job it no longer holds (every finish checks
 * status = 'running' AND locked_by = this worker, so a job taken over after a
 * lost lease is not ended twice). */
#include "jobs/runner.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "crypto/random.h"
#include "github/client.h"
#include "github/token.h"
#include "jobs/org_sync.h"

const char fa_jobs_err_permanent[] = "job_permanent";
const char fa_jobs_err_unknown_kind[] = "job_unknown_kind";
const char fa_jobs_err_lease_lost[] = "job_lease_lost";
const char fa_jobs_err_lease_expired[] = "job_lease_expired";

#define FA_JOB_COLUMNS "id, kind, user_id, payload::text AS payload, attempts, max_attempts"

static const fa_db_statement_t fa_runner_statements[] = {
    /* SKIP LOCKED: a second job process passes over the row the first is
     * claiming instead of waiting for it, and can never claim it too. */
    {"jobs_claim",
     "UPDATE jobs SET status = 'running', locked_by = $1, locked_at = now(), "
     "attempts = attempts + 1, updated_at = now() "
     "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() "
     "ORDER BY run_at FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING " FA_JOB_COLUMNS,
     1},
    {"jobs_done",
     "UPDATE jobs SET status = 'done', last_error = NULL, updated_at = now() "
     "WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING id",
     2},
    /* $5 = 1 gives the attempt back: a rate limit is not the job's fault. */
    {"jobs_requeue",
     "UPDATE jobs SET status = 'queued', run_at = now() + $3::bigint * interval '1 millisecond', "
     "last_error = $4, locked_by = NULL, locked_at = NULL, attempts = attempts - $5::int, "
     "updated_at = now() WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING id",
     5},
    {"jobs_give_up",
     "UPDATE jobs SET status = $3, last_error = $4, updated_at = now() "
     "WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING id",
     4},
    /* The claim's lease, set again: a job still running is not taken over. */
    {"jobs_renew",
     "UPDATE jobs SET locked_at = now(), updated_at = now() "
     "WHERE id = $1 AND status = 'running' AND locked_by = $2 RETURNING id",
     2},
    {"jobs_take_over",
     "UPDATE jobs SET locked_by = $1, locked_at = now(), updated_at = now() WHERE id IN ("
     "SELECT id FROM jobs WHERE status = 'running' "
     "AND locked_at < now() - make_interval(secs => $2::int) "
     "ORDER BY locked_at LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING " FA_JOB_COLUMNS,
     2},
    {"jobs_next_due",
     "SELECT (extract(epoch FROM min(run_at) - now()) * 1000)::bigint AS ms "
     "FROM jobs WHERE status = 'queued'",
     0},
    {"jobs_noop_count",
     "UPDATE jobs SET payload = jsonb_set(payload, '{runs}', "
     "to_jsonb(coalesce((payload->>'runs')::int, 0) + 1)) WHERE id = $1",
     1},
};

void fa_jobs_runner_register_statements(void)
{
    FA_DB_REGISTER(fa_runner_statements);
}

/* ---- the noop kind --------------------------------------------------- */

static fa_status_t fa_noop_tx(fa_db_t *db, fa_arena_t *arena, void *ctx, fa_error_t *err)
{
    const fa_job_t *job = ctx;
    const char *values[1] = {fa_arena_sprintf(arena, "%lld", job->id)};
    return fa_db_exec(db, arena, "jobs_noop_count", 1, values, err) ? FA_OK : err->status;
}

/* payload: {"sleepMs": n (<= 10000), "failTimes": n, "permanent": true}. The
 * run count lands in payload.runs in the same transaction as the done mark,
 * which is what lets a test prove each job ran exactly once. */
static fa_status_t fa_noop_run(fa_job_env_t *env, fa_job_t *job, fa_error_t *err)
{
    json_t *p = json_loads(job->payload ? job->payload : "{}", 0, NULL);
    json_int_t sleep_ms = json_integer_value(json_object_get(p, "sleepMs"));
    json_int_t fail_times = json_integer_value(json_object_get(p, "failTimes"));
    bool permanent = json_is_true(json_object_get(p, "permanent"));
    json_decref(p);
    if (sleep_ms > 0) {
        sleep_ms = sleep_ms > 10000 ? 10000 : sleep_ms;
        struct timespec ts = {(time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (permanent)
        return fa_error_set(err, FA_ERR_UNPROCESSABLE, fa_jobs_err_permanent,
                            "noop job failed for good on purpose", NULL);
    if (job->attempts <= fail_times)
        return fa_error_set(err, FA_ERR_INTERNAL, "noop_failed", "noop job failed on purpose",
                            NULL);
    return fa_jobs_commit(env, job, fa_noop_tx, job, err);
}

static const fa_job_kind_t fa_job_kinds[] = {
    {FA_JOB_ORG_SYNC, fa_org_sync_run, fa_org_sync_phase},
    {FA_JOB_NOOP, fa_noop_run, NULL},
};

const fa_job_kind_t *fa_jobs_kind(const char *name)
{
    for (size_t i = 0; name && i < sizeof(fa_job_kinds) / sizeof(fa_job_kinds[0]); i++)
        if (strcmp(fa_job_kinds[i].name, name) == 0)
            return &fa_job_kinds[i];
    return NULL;
}

/* ---- pure policy ----------------------------------------------------- */

long fa_jobs_backoff_ms(long base_ms, int attempts, uint64_t random)
{
    long d = base_ms < 1 ? 1 : base_ms > FA_JOBS_BACKOFF_CAP_MS ? FA_JOBS_BACKOFF_CAP_MS : base_ms;
    for (int i = 1; i < attempts && d < FA_JOBS_BACKOFF_CAP_MS; i++)
        d = d > FA_JOBS_BACKOFF_CAP_MS / 2 ? FA_JOBS_BACKOFF_CAP_MS : d * 2;
    long half = d / 2;
    long r = half + (long)(random % (uint64_t)(d - half + 1));
    return r < 1 ? 1 : r;
}

static bool fa_code_in(const fa_error_t *err, const char *const *list)
{
    for (; *list; list++)
        if (fa_error_is(err, *list))
            return true;
    return false;
}

fa_job_failure_t fa_jobs_classify(const fa_job_t *job, const fa_error_t *err)
{
    static const char *const permanent[] = {
        fa_github_err_unauthorized,  fa_org_sync_err_token_revoked,
        fa_github_token_err_missing, fa_github_token_err_unreadable,
        fa_github_err_refused,       fa_jobs_err_unknown_kind,
        fa_jobs_err_permanent,       NULL};
    if (fa_error_is(err, fa_github_err_rate_limited))
        return job->retry_after > 0 ? FA_JOB_POSTPONE : FA_JOB_RETRY;
    if (fa_code_in(err, permanent))
        return FA_JOB_FAIL;
    switch (err->status) {
    case FA_ERR_BAD_REQUEST:
    case FA_ERR_FORBIDDEN:
    case FA_ERR_NOT_FOUND:
    case FA_ERR_UNPROCESSABLE:
        return FA_JOB_FAIL;
    default:
        return FA_JOB_RETRY;
    }
}

const char *fa_jobs_reason(fa_arena_t *arena, const fa_error_t *err)
{
    char *s = err->detail ? fa_arena_sprintf(arena, "%s: %s (%s)", err->code ? err->code : "error",
                                             err->message ? err->message : "", err->detail)
                          : fa_arena_sprintf(arena, "%s: %s", err->code ? err->code : "error",
                                             err->message ? err->message : "");
    size_t n = strlen(s);
    if (n > FA_JOBS_REASON_MAX) {
        n = FA_JOBS_REASON_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence: the column is text */
        s[n] = '\0';
    }
    return s;
}

/* ---- claim and finish ------------------------------------------------ */

static void fa_job_from_row(const PGresult *r, int row, fa_job_t *job)
{
    memset(job, 0, sizeof(*job));
    job->id = fa_db_value_ll(r, row, "id", 0);
    job->kind = fa_db_value(r, row, "kind");
    job->user_id = fa_db_value_ll(r, row, "user_id", 0);
    job->payload = fa_db_value(r, row, "payload");
    job->attempts = (int)fa_db_value_ll(r, row, "attempts", 1);
    job->max_attempts = (int)fa_db_value_ll(r, row, "max_attempts", 1);
}

fa_status_t fa_jobs_claim(fa_job_env_t *env, fa_job_t *job, bool *claimed, fa_error_t *err)
{
    *claimed = false;
    const char *values[1] = {env->worker_id};
    PGresult *r = fa_db_exec(env->db, env->arena, "jobs_claim", 1, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) == 1) {
        fa_job_from_row(r, 0, job);
        *claimed = true;
    }
    return FA_OK;
}

static fa_status_t fa_lease_lost(fa_error_t *err)
{
    return fa_error_set(err, FA_ERR_CONFLICT, fa_jobs_err_lease_lost,
                        "the job is no longer held by this worker", NULL);
}

fa_status_t fa_jobs_renew(fa_job_env_t *env, fa_job_t *job, fa_error_t *err)
{
    const char *values[2] = {fa_arena_sprintf(env->arena, "%lld", job->id), env->worker_id};
    PGresult *r = fa_db_exec(env->db, env->arena, "jobs_renew", 2, values, err);
    if (!r)
        return err->status;
    return PQntuples(r) == 1 ? FA_OK : fa_lease_lost(err);
}

typedef struct {
    fa_job_env_t *env;
    fa_job_t *job;
    fa_db_tx_fn fn;
    void *ctx;
} fa_commit_t;

static fa_status_t fa_commit_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_commit_t *c = data;
    /* The done mark first: it locks the job row and proves we still hold
     * it before the kind writes anything. */
    const char *values[2] = {fa_arena_sprintf(arena, "%lld", c->job->id), c->env->worker_id};
    PGresult *r = fa_db_exec(db, arena, "jobs_done", 2, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_lease_lost(err);
    return c->fn ? c->fn(db, arena, c->ctx, err) : FA_OK;
}

fa_status_t fa_jobs_commit(fa_job_env_t *env, fa_job_t *job, fa_db_tx_fn fn, void *ctx,
                           fa_error_t *err)
{
    fa_commit_t c = {env, job, fn, ctx};
    fa_status_t st = fa_db_transaction(env->db, env->arena, fa_commit_tx, &c, err);
    if (st == FA_OK)
        job->committed = true;
    return st;
}

typedef struct {
    fa_job_env_t *env;
    const fa_job_t *job;
    const fa_job_kind_t *kind; /* NULL: no phase callback */
    const char *status;        /* queued, failed or dead */
    long delay_ms;
    bool uncount;
    bool superseded; /* a newer queued job does the work: not an incident */
    const char *reason;
} fa_finish_t;

static fa_status_t fa_finish_tx(fa_db_t *db, fa_arena_t *arena, void *data, fa_error_t *err)
{
    fa_finish_t *f = data;
    const char *id = fa_arena_sprintf(arena, "%lld", f->job->id);
    bool queued = strcmp(f->status, "queued") == 0;
    PGresult *r;
    if (queued) {
        const char *values[5] = {id, f->env->worker_id, fa_arena_sprintf(arena, "%ld", f->delay_ms),
                                 f->reason, f->uncount ? "1" : "0"};
        r = fa_db_exec(db, arena, "jobs_requeue", 5, values, err);
    } else {
        const char *values[4] = {id, f->env->worker_id, f->status, f->reason};
        r = fa_db_exec(db, arena, "jobs_give_up", 4, values, err);
    }
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_lease_lost(err);
    if (!f->kind || !f->kind->on_phase)
        return FA_OK;
    return f->kind->on_phase(db, arena, f->job, queued ? FA_JOB_PHASE_RETRY : FA_JOB_PHASE_GIVE_UP,
                             f->reason, err);
}

static void fa_log_finish(const fa_finish_t *f)
{
    const fa_job_t *job = f->job;
    if (strcmp(f->status, "queued") == 0)
        fa_log_warn("jobs", "job %lld (%s) attempt %d/%d failed, %s in %ld ms: %s", job->id,
                    job->kind, job->attempts, job->max_attempts,
                    f->uncount ? "postponed" : "retrying", f->delay_ms, f->reason);
    else
        fa_log(f->superseded ? FA_LOG_INFO : FA_LOG_ERROR, "jobs",
               "job %lld (%s) %s after %d attempt(s): %s", job->id, job->kind, f->status,
               job->attempts, f->reason);
}

/* Ends a failed run. A requeue can meet a newer queued job of the same kind
 * and user (the unique partial index): that one will do the work, so this
 * one is closed as failed, superseded, leaving the profile to the newer one. */
static void fa_jobs_fail(fa_job_env_t *env, fa_job_t *job, const fa_job_kind_t *kind,
                         const fa_error_t *cause)
{
    fa_finish_t f = {.env = env,
                     .job = job,
                     .kind = kind,
                     .status = "queued",
                     .reason = fa_jobs_reason(env->arena, cause)};
    fa_job_failure_t how = kind ? fa_jobs_classify(job, cause) : FA_JOB_FAIL;
    if (how == FA_JOB_FAIL) {
        f.status = "failed";
    } else if (how == FA_JOB_POSTPONE) {
        long s =
            job->retry_after > FA_JOBS_POSTPONE_MAX_S ? FA_JOBS_POSTPONE_MAX_S : job->retry_after;
        f.delay_ms = s * 1000;
        f.uncount = true;
    } else if (job->attempts >= job->max_attempts) {
        f.status = "dead";
    } else {
        uint64_t rnd;
        fa_random_bytes(&rnd, sizeof(rnd));
        f.delay_ms = fa_jobs_backoff_ms(env->config->jobs_backoff_base_ms, job->attempts, rnd);
    }
    fa_error_t err;
    fa_status_t st = fa_db_transaction(env->db, env->arena, fa_finish_tx, &f, &err);
    if (st == FA_ERR_CONFLICT && fa_error_is(&err, fa_db_err_conflict)) {
        f.status = "failed";
        f.kind = NULL;
        f.superseded = true;
        f.reason = fa_arena_sprintf(env->arena, "superseded by a newer queued job; %s", f.reason);
        st = fa_db_transaction(env->db, env->arena, fa_finish_tx, &f, &err);
    }
    if (st != FA_OK) {
        /* The row stays 'running': lease recovery ends it later. */
        fa_log_error("jobs", "could not record the failure of job %lld (%s): %s", job->id,
                     job->kind, err.code ? err.code : "error");
        return;
    }
    fa_log_finish(&f);
}

void fa_jobs_run(fa_job_env_t *env, fa_job_t *job)
{
    const fa_job_kind_t *kind = fa_jobs_kind(job->kind);
    fa_error_t err;
    if (!kind) {
        fa_error_set(&err, FA_ERR_UNPROCESSABLE, fa_jobs_err_unknown_kind,
                     "this worker does not know the job kind", job->kind);
        fa_jobs_fail(env, job, NULL, &err);
        return;
    }
    if (kind->on_phase &&
        kind->on_phase(env->db, env->arena, job, FA_JOB_PHASE_START, NULL, &err) != FA_OK)
        fa_log_warn("jobs", "job %lld (%s): could not record its start: %s", job->id, job->kind,
                    err.code ? err.code : "error");
    fa_status_t st = kind->run(env, job, &err);
    if (st == FA_OK && !job->committed)
        st = fa_jobs_commit(env, job, NULL, NULL, &err);
    if (st == FA_OK) {
        fa_log_info("jobs", "job %lld (%s) done after %d attempt(s)", job->id, job->kind,
                    job->attempts);
        return;
    }
    if (fa_error_is(&err, fa_jobs_err_lease_lost)) {
        fa_log_warn("jobs", "job %lld (%s) was taken over by another worker; dropped", job->id,
                    job->kind);
        return;
    }
    fa_jobs_fail(env, job, kind, &err);
}

fa_status_t fa_jobs_recover(fa_job_env_t *env, long lease_seconds, long *recovered, fa_error_t *err)
{
    *recovered = 0;
    const char *values[2] = {env->worker_id, fa_arena_sprintf(env->arena, "%ld", lease_seconds)};
    PGresult *r = fa_db_exec(env->db, env->arena, "jobs_take_over", 2, values, err);
    if (!r)
        return err->status;
    for (int i = 0; i < PQntuples(r); i++) {
        fa_job_t job;
        fa_job_from_row(r, i, &job);
        fa_error_t lost;
        fa_error_set(&lost, FA_ERR_INTERNAL, fa_jobs_err_lease_expired,
                     "the worker running this job stopped before finishing", NULL);
        fa_jobs_fail(env, &job, fa_jobs_kind(job.kind), &lost);
        (*recovered)++;
    }
    return FA_OK;
}

long long fa_jobs_next_due_ms(fa_job_env_t *env, fa_error_t *err)
{
    PGresult *r = fa_db_exec(env->db, env->arena, "jobs_next_due", 0, NULL, err);
    if (!r)
        return -1;
    return fa_db_value_ll(r, 0, "ms", -1);
}
