/* The job runner's pure policy (jobs/runner.c): backoff bounds and jitter,
 * the cap, failure classification (retry, postpone, fail), kind dispatch and
 * the recorded reason text; plus the job settings in core/config.c. */
#include "unit_test.h"
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "github/client.h"
#include "github/token.h"
#include "jobs/org_sync.h"
#include "jobs/runner.h"

/* ---- backoff ---------------------------------------------------------- */

static long expected_ceiling(long base, int attempts)
{
    long d = base;
    for (int i = 1; i < attempts; i++) {
        if (d >= FA_JOBS_BACKOFF_CAP_MS / 2) {
            d = FA_JOBS_BACKOFF_CAP_MS;
            break;
        }
        d *= 2;
    }
    return d > FA_JOBS_BACKOFF_CAP_MS ? FA_JOBS_BACKOFF_CAP_MS : d;
}

static void test_backoff_doubles_from_base(void)
{
    /* With the extremes of the random input the result is exactly half and
     * exactly the full exponential step. */
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 1, 0), 1000);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 1, 1000), 2000);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 2, 0), 2000);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 2, 2000), 4000);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 3, 0), 4000);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 3, 4000), 8000);
}

static void test_backoff_bounded_for_every_attempt(void)
{
    const long bases[] = {1, 2, 100, 2000, 60000, FA_JOBS_BACKOFF_CAP_MS};
    const uint64_t randoms[] = {0, 1, 12345, 0x7fffffffULL, UINT64_MAX / 3, UINT64_MAX};
    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
        for (int attempts = 1; attempts <= 200; attempts++)
            for (size_t r = 0; r < sizeof(randoms) / sizeof(randoms[0]); r++) {
                long ceiling = expected_ceiling(bases[b], attempts);
                long d = fa_jobs_backoff_ms(bases[b], attempts, randoms[r]);
                CU_ASSERT(d >= 1);
                CU_ASSERT(d >= ceiling / 2);
                CU_ASSERT(d <= ceiling);
                CU_ASSERT(d <= FA_JOBS_BACKOFF_CAP_MS);
            }
}

static void test_backoff_cap_is_monotone_and_reached(void)
{
    long previous = 0;
    for (int attempts = 1; attempts <= 64; attempts++) {
        long top = fa_jobs_backoff_ms(2000, attempts, UINT64_MAX);
        long ceiling = expected_ceiling(2000, attempts);
        CU_ASSERT(ceiling >= previous);
        CU_ASSERT(top <= ceiling);
        previous = ceiling;
    }
    /* 2 s doubled 9 times is 1024 s: far past the 10 min cap. */
    CU_ASSERT_EQUAL(expected_ceiling(2000, 20), FA_JOBS_BACKOFF_CAP_MS);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 20, 0), FA_JOBS_BACKOFF_CAP_MS / 2);
    CU_ASSERT_EQUAL(fa_jobs_backoff_ms(2000, 20, FA_JOBS_BACKOFF_CAP_MS / 2),
                    FA_JOBS_BACKOFF_CAP_MS);
    /* Absurd attempt counts (a corrupted row) neither overflow nor pass the cap. */
    CU_ASSERT(fa_jobs_backoff_ms(2000, INT_MAX, 42) <= FA_JOBS_BACKOFF_CAP_MS);
    CU_ASSERT(fa_jobs_backoff_ms(LONG_MAX, 1, UINT64_MAX) <= FA_JOBS_BACKOFF_CAP_MS);
    CU_ASSERT(fa_jobs_backoff_ms(0, 1, 0) >= 1);
    CU_ASSERT(fa_jobs_backoff_ms(-5, 3, 7) >= 1);
}

/* Jitter: different random inputs spread one attempt's delays over the
 * range instead of landing on a single value. */
static void test_backoff_is_jittered(void)
{
    long seen_low = FA_JOBS_BACKOFF_CAP_MS, seen_high = 0;
    size_t distinct = 0;
    long last = -1;
    for (uint64_t r = 0; r < 4000; r += 37) {
        long d = fa_jobs_backoff_ms(2000, 3, r * 2654435761ULL);
        if (d != last)
            distinct++;
        last = d;
        seen_low = d < seen_low ? d : seen_low;
        seen_high = d > seen_high ? d : seen_high;
    }
    CU_ASSERT(distinct > 50);
    CU_ASSERT(seen_low < 4500);  /* near the bottom of [4000, 8000] */
    CU_ASSERT(seen_high > 7500); /* and near the top */
}

/* ---- classification --------------------------------------------------- */

static fa_job_failure_t classify(const char *code, fa_status_t status, long retry_after)
{
    fa_job_t job = {
        .id = 1, .kind = "org_sync", .attempts = 1, .max_attempts = 8, .retry_after = retry_after};
    fa_error_t err = {status, code, "message", NULL};
    return fa_jobs_classify(&job, &err);
}

static void test_classify_transient_errors_retry(void)
{
    CU_ASSERT_EQUAL(classify(fa_github_err_unavailable, FA_ERR_UPSTREAM, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify(fa_github_err_timeout, FA_ERR_UPSTREAM, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify(fa_github_err_bad_response, FA_ERR_UPSTREAM, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify("database_unavailable", FA_ERR_UNAVAILABLE, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify("internal_error", FA_ERR_INTERNAL, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify(fa_jobs_err_lease_expired, FA_ERR_INTERNAL, 0), FA_JOB_RETRY);
    CU_ASSERT_EQUAL(classify(NULL, FA_ERR_INTERNAL, 0), FA_JOB_RETRY);
}

static void test_classify_rate_limit_postpones(void)
{
    CU_ASSERT_EQUAL(classify(fa_github_err_rate_limited, FA_ERR_UPSTREAM, 60), FA_JOB_POSTPONE);
    /* Without a reset time there is nothing to wait for: plain backoff. */
    CU_ASSERT_EQUAL(classify(fa_github_err_rate_limited, FA_ERR_UPSTREAM, 0), FA_JOB_RETRY);
}

/* Codes are identities: the same text set by someone else is not GitHub's
 * rate limit or a permanent failure, only its status decides. */
static void test_classify_compares_codes_by_identity(void)
{
    char look_alike[] = "github_rate_limited";
    CU_ASSERT_EQUAL(classify(look_alike, FA_ERR_UPSTREAM, 60), FA_JOB_RETRY);
    char revoked[] = "github_token_revoked";
    CU_ASSERT_EQUAL(classify(revoked, FA_ERR_UPSTREAM, 0), FA_JOB_RETRY);
}

static void test_classify_permanent_errors_fail(void)
{
    CU_ASSERT_EQUAL(classify(fa_org_sync_err_token_revoked, FA_ERR_UPSTREAM, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_github_err_unauthorized, FA_ERR_UPSTREAM, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_github_err_refused, FA_ERR_UPSTREAM, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_github_token_err_missing, FA_ERR_NOT_FOUND, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_github_token_err_unreadable, FA_ERR_INTERNAL, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_jobs_err_unknown_kind, FA_ERR_UNPROCESSABLE, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify(fa_github_err_invalid_argument, FA_ERR_BAD_REQUEST, 0), FA_JOB_FAIL);
    CU_ASSERT_EQUAL(classify("anything", FA_ERR_UNPROCESSABLE, 0), FA_JOB_FAIL);
}

/* ---- dispatch ---------------------------------------------------------- */

static void test_kind_dispatch(void)
{
    const fa_job_kind_t *sync = fa_jobs_kind(FA_JOB_ORG_SYNC);
    const fa_job_kind_t *noop = fa_jobs_kind(FA_JOB_NOOP);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sync);
    CU_ASSERT_PTR_NOT_NULL_FATAL(noop);
    CU_ASSERT_STRING_EQUAL(sync->name, "org_sync");
    CU_ASSERT_PTR_EQUAL(sync->run, fa_org_sync_run);
    CU_ASSERT_PTR_EQUAL(sync->on_phase, fa_org_sync_phase);
    CU_ASSERT_STRING_EQUAL(noop->name, "noop");
    CU_ASSERT_PTR_NOT_NULL(noop->run);
    CU_ASSERT_PTR_NULL(noop->on_phase);
    CU_ASSERT_PTR_NULL(fa_jobs_kind("org_sync "));
    CU_ASSERT_PTR_NULL(fa_jobs_kind("ORG_SYNC"));
    CU_ASSERT_PTR_NULL(fa_jobs_kind(""));
    CU_ASSERT_PTR_NULL(fa_jobs_kind(NULL));
}

/* ---- reason text ------------------------------------------------------- */

static void test_reason_text_is_bounded(void)
{
    arena = fa_arena_create(4096);
    fa_error_t e1 = {FA_ERR_UPSTREAM, "github_unavailable", "GitHub is unavailable",
                     "orgs answered HTTP 500"};
    CU_ASSERT_STRING_EQUAL(fa_jobs_reason(arena, &e1),
                           "github_unavailable: GitHub is unavailable (orgs answered HTTP 500)");
    fa_error_t e2 = {FA_ERR_UPSTREAM, "github_timeout", "GitHub did not answer in time", NULL};
    CU_ASSERT_STRING_EQUAL(fa_jobs_reason(arena, &e2),
                           "github_timeout: GitHub did not answer in time");
    /* A long detail is cut, and never in the middle of a UTF-8 sequence. */
    char detail[2000];
    for (size_t i = 0; i + 2 < sizeof(detail); i += 2)
        memcpy(detail + i, "\xc3\xa9", 2); /* é */
    detail[sizeof(detail) - 2] = '\0';
    fa_error_t e3 = {FA_ERR_INTERNAL, "x", "y", detail};
    const char *r = fa_jobs_reason(arena, &e3);
    size_t n = strlen(r);
    CU_ASSERT(n <= FA_JOBS_REASON_MAX);
    CU_ASSERT(n >= FA_JOBS_REASON_MAX - 4);
    CU_ASSERT(((unsigned char)r[n - 1] & 0xC0) != 0xC0); /* not a dangling lead byte */
    CU_ASSERT(memcmp(r + n - 2, "\xc3\xa9", 2) == 0);
    fa_arena_destroy(arena);
}

/* ---- settings ---------------------------------------------------------- */

typedef struct {
    const char *backoff, *poll, *gc, *lease;
} jobs_env_t;

static const char *jobs_env(const char *name, void *ctx)
{
    const jobs_env_t *e = ctx;
    if (strcmp(name, "FOUNDRY_AUTH_URL") == 0)
        return "https://auth.example.com";
    if (strcmp(name, "FOUNDRY_AUTH_SECRET") == 0)
        return "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ";
    if (strcmp(name, "DATABASE_URL") == 0)
        return "postgresql:///foundry";
    if (strcmp(name, "GITHUB_CLIENT_ID") == 0)
        return "Iv1.0123456789abcdef";
    if (strcmp(name, "GITHUB_CLIENT_SECRET") == 0)
        return "0123456789abcdef0123456789abcdef01234567";
    if (strcmp(name, "FOUNDRY_JOBS_BACKOFF_BASE_MS") == 0)
        return e->backoff;
    if (strcmp(name, "FOUNDRY_JOBS_POLL_MS") == 0)
        return e->poll;
    if (strcmp(name, "FOUNDRY_JOBS_GC_SECONDS") == 0)
        return e->gc;
    if (strcmp(name, "FOUNDRY_JOBS_LEASE_SECONDS") == 0)
        return e->lease;
    return NULL;
}

static bool load_jobs(jobs_env_t e, fa_config_t *cfg, char *err, size_t len)
{
    return fa_config_load(cfg, jobs_env, &e, err, len, NULL, 0);
}

static void test_job_settings_defaults_and_overrides(void)
{
    fa_config_t cfg;
    char err[256];
    CU_ASSERT_TRUE_FATAL(load_jobs((jobs_env_t){NULL, NULL, NULL, NULL}, &cfg, err, sizeof(err)));
    CU_ASSERT_EQUAL(cfg.jobs_backoff_base_ms, 2000);
    CU_ASSERT_EQUAL(cfg.jobs_poll_ms, 5000);
    CU_ASSERT_EQUAL(cfg.jobs_gc_seconds, 300);
    CU_ASSERT_EQUAL(cfg.jobs_lease_seconds, 300);
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(load_jobs((jobs_env_t){"50", "200", "5", "45"}, &cfg, err, sizeof(err)));
    CU_ASSERT_EQUAL(cfg.jobs_backoff_base_ms, 50);
    CU_ASSERT_EQUAL(cfg.jobs_poll_ms, 200);
    CU_ASSERT_EQUAL(cfg.jobs_gc_seconds, 5);
    CU_ASSERT_EQUAL(cfg.jobs_lease_seconds, 45);
    fa_config_free(&cfg);
}

static void test_job_settings_refused_name_the_variable(void)
{
    const struct {
        jobs_env_t env;
        const char *variable;
    } bad[] = {
        {{"0", NULL, NULL, NULL}, "FOUNDRY_JOBS_BACKOFF_BASE_MS"},
        {{"fast", NULL, NULL, NULL}, "FOUNDRY_JOBS_BACKOFF_BASE_MS"},
        {{"600001", NULL, NULL, NULL}, "FOUNDRY_JOBS_BACKOFF_BASE_MS"},
        {{NULL, "5", NULL, NULL}, "FOUNDRY_JOBS_POLL_MS"},
        {{NULL, "-1", NULL, NULL}, "FOUNDRY_JOBS_POLL_MS"},
        {{NULL, NULL, "0", NULL}, "FOUNDRY_JOBS_GC_SECONDS"},
        {{NULL, NULL, "10s", NULL}, "FOUNDRY_JOBS_GC_SECONDS"},
        /* Shorter than two GitHub calls (5 s by default) would hand live
         * jobs to a second worker between two lease renewals. */
        {{NULL, NULL, NULL, "9"}, "FOUNDRY_JOBS_LEASE_SECONDS"},
        {{NULL, NULL, NULL, "1"}, "FOUNDRY_JOBS_LEASE_SECONDS"},
        {{NULL, NULL, NULL, "1h"}, "FOUNDRY_JOBS_LEASE_SECONDS"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fa_config_t cfg;
        char err[256] = "";
        bool ok = load_jobs(bad[i].env, &cfg, err, sizeof(err));
        CU_ASSERT_FALSE(ok);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].variable));
        if (ok)
            fa_config_free(&cfg);
    }
}

int main(void)
{
    static const test_case_t tests[] = {
        {"backoff doubles from the base", test_backoff_doubles_from_base},
        {"backoff stays in [d/2, d] for every attempt", test_backoff_bounded_for_every_attempt},
        {"backoff cap is monotone and reached", test_backoff_cap_is_monotone_and_reached},
        {"backoff is jittered", test_backoff_is_jittered},
        {"transient errors retry", test_classify_transient_errors_retry},
        {"rate limits postpone", test_classify_rate_limit_postpones},
        {"error codes compare by identity", test_classify_compares_codes_by_identity},
        {"permanent errors fail at once", test_classify_permanent_errors_fail},
        {"kind dispatch", test_kind_dispatch},
        {"reason text is bounded", test_reason_text_is_bounded},
        {"job settings: defaults and overrides", test_job_settings_defaults_and_overrides},
        {"job settings: refusals name the variable", test_job_settings_refused_name_the_variable},
    };
    static const fa_unit_suite_t suite = {.name = "jobs/runner"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
