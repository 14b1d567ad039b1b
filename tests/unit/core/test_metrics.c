/* Shared-memory metrics (metrics.c): per-worker slots summed at render, the
 * cumulative latency histogram, unknown statuses and unmatched routes.
 * fa_metrics_init maps one process-wide region, so it runs once in main()
 * and every test reads deltas against the value before it acted. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/metrics.h"
#include "unit_test.h"

static const char *const route_names[] = {"healthz", "readyz", "metrics"};
#define ROUTES 3
#define WORKERS 2

/* Renders and returns the value of the sample line that starts exactly with
 * name (including labels) followed by one space; -1 when absent. */
static long long sample(const char *name)
{
    fa_buf_t out;
    fa_buf_init(&out, arena, 1024);
    fa_metrics_render(&out, route_names, ROUTES);
    const char *text = fa_buf_cstr(&out);
    size_t n = strlen(name);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) > n && strncmp(line, name, n) == 0 && line[n] == ' ') {
            char *stop;
            long long v = strtoll(line + n + 1, &stop, 10);
            return stop == end ? v : -2; /* -2: not an integer sample */
        }
        line = *end ? end + 1 : end;
    }
    return -1;
}

static long long requests(const char *route, const char *status)
{
    char name[160];
    snprintf(name, sizeof(name), "foundry_auth_http_requests_total{route=\"%s\",status=\"%s\"}",
             route, status);
    long long v = sample(name);
    return v < 0 ? 0 : v; /* a zero series is not rendered */
}

static long long bucket(const char *le)
{
    char name[120];
    snprintf(name, sizeof(name), "foundry_auth_http_request_duration_seconds_bucket{le=\"%s\"}",
             le);
    return sample(name);
}

static void test_render_sums_both_slots(void)
{
    long long before = requests("healthz", "200");
    fa_metrics_bind_slot(0);
    fa_metrics_observe(0, 200, 0.001);
    fa_metrics_observe(0, 200, 0.001);
    fa_metrics_observe(0, 200, 0.001);
    fa_metrics_bind_slot(1);
    fa_metrics_observe(0, 200, 0.002);
    fa_metrics_observe(0, 200, 0.002);
    CU_ASSERT_EQUAL(requests("healthz", "200"), before + 5);
    /* The exact line, as Prometheus scrapes it. */
    char line[160];
    snprintf(line, sizeof(line),
             "foundry_auth_http_requests_total{route=\"healthz\",status=\"200\"} %lld\n",
             before + 5);
    fa_buf_t out;
    fa_buf_init(&out, arena, 1024);
    fa_metrics_render(&out, route_names, ROUTES);
    CU_ASSERT_PTR_NOT_NULL(strstr(fa_buf_cstr(&out), line));
    CU_ASSERT_PTR_NOT_NULL(strstr(out.data, "# TYPE foundry_auth_http_requests_total counter\n"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(out.data, "# TYPE foundry_auth_http_request_duration_seconds histogram\n"));
}

static void test_counters_sum_both_slots(void)
{
    const char *name = "foundry_auth_sign_ins_total{outcome=\"success\"}";
    long long before = sample(name);
    CU_ASSERT(before >= 0);
    fa_metrics_bind_slot(0);
    fa_metrics_inc(FA_METRIC_SIGNIN_SUCCESS);
    fa_metrics_bind_slot(1);
    fa_metrics_inc(FA_METRIC_SIGNIN_SUCCESS);
    fa_metrics_inc(FA_METRIC_SIGNIN_SUCCESS);
    CU_ASSERT_EQUAL(sample(name), before + 3);
    /* Other counters untouched. */
    CU_ASSERT_EQUAL(sample("foundry_auth_sign_ins_total{outcome=\"failure\"}"), 0);
    CU_ASSERT_EQUAL(sample("foundry_auth_db_errors_total"), 0);
}

static void test_master_slot_counts_restarts(void)
{
    long long before = sample("foundry_auth_worker_restarts_total");
    fa_metrics_bind_slot(WORKERS); /* the master's own slot */
    fa_metrics_inc(FA_METRIC_WORKER_RESTARTS);
    CU_ASSERT_EQUAL(sample("foundry_auth_worker_restarts_total"), before + 1);
    /* An out-of-range slot is ignored: the current binding stays. */
    fa_metrics_bind_slot(WORKERS + 5);
    fa_metrics_inc(FA_METRIC_WORKER_RESTARTS);
    CU_ASSERT_EQUAL(sample("foundry_auth_worker_restarts_total"), before + 2);
}

static void test_histogram_buckets_cumulative(void)
{
    static const char *const les[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                                      "0.1",    "0.25",  "0.5",    "1",     "2.5",  "+Inf"};
    long long before[13];
    for (size_t i = 0; i < 13; i++)
        before[i] = bucket(les[i]);
    long long count_before = sample("foundry_auth_http_request_duration_seconds_count");
    fa_metrics_bind_slot(0);
    fa_metrics_observe(1, 200, 0.0001); /* <= 0.0005 */
    fa_metrics_observe(1, 200, 0.001);  /* exactly on a bound: counted in le="0.001" */
    fa_metrics_observe(1, 200, 0.3);    /* <= 0.5 */
    fa_metrics_bind_slot(1);
    fa_metrics_observe(1, 200, 0.02); /* <= 0.025 */
    fa_metrics_observe(1, 200, 10.0); /* +Inf only */
    static const long long added[13] = {1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5};
    long long prev = -1;
    for (size_t i = 0; i < 13; i++) {
        long long now = bucket(les[i]);
        CU_ASSERT(now >= 0);
        if (now - before[i] != added[i])
            fprintf(stderr, "\n  le=%s: +%lld, want +%lld\n", les[i], now - before[i], added[i]);
        CU_ASSERT_EQUAL(now - before[i], added[i]);
        CU_ASSERT(now >= prev); /* cumulative: never decreasing */
        prev = now;
    }
    long long count = sample("foundry_auth_http_request_duration_seconds_count");
    CU_ASSERT_EQUAL(count - count_before, 5);
    CU_ASSERT_EQUAL(bucket("+Inf"), count); /* +Inf equals _count */
}

static void test_duration_sum(void)
{
    fa_buf_t out;
    fa_buf_init(&out, arena, 1024);
    fa_metrics_render(&out, route_names, ROUTES);
    const char *p = strstr(fa_buf_cstr(&out), "foundry_auth_http_request_duration_seconds_sum ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double before = strtod(p + strlen("foundry_auth_http_request_duration_seconds_sum "), NULL);
    fa_metrics_bind_slot(0);
    fa_metrics_observe(2, 200, 0.25);
    fa_metrics_bind_slot(1);
    fa_metrics_observe(2, 200, 0.5);
    fa_buf_init(&out, arena, 1024);
    fa_metrics_render(&out, route_names, ROUTES);
    p = strstr(fa_buf_cstr(&out), "foundry_auth_http_request_duration_seconds_sum ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    double after = strtod(p + strlen("foundry_auth_http_request_duration_seconds_sum "), NULL);
    CU_ASSERT_DOUBLE_EQUAL(after - before, 0.75, 1e-5);
}

static void test_unknown_status_is_other(void)
{
    long long before = requests("readyz", "other");
    long long before_200 = requests("readyz", "200");
    fa_metrics_bind_slot(0);
    fa_metrics_observe(1, 418, 0.001);
    fa_metrics_bind_slot(1);
    fa_metrics_observe(1, 299, 0.001);
    fa_metrics_observe(1, 0, 0.001);
    CU_ASSERT_EQUAL(requests("readyz", "other"), before + 3);
    CU_ASSERT_EQUAL(requests("readyz", "200"), before_200);
    CU_ASSERT_EQUAL(sample("foundry_auth_http_requests_total{route=\"readyz\",status=\"418\"}"),
                    -1);
}

static void test_counted_statuses(void)
{
    static const int codes[] = {201, 204, 302, 400, 401, 403, 404, 405, 409,
                                413, 415, 422, 429, 431, 500, 502, 503};
    fa_metrics_bind_slot(1);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char status[8];
        snprintf(status, sizeof(status), "%d", codes[i]);
        long long before = requests("metrics", status);
        fa_metrics_observe(2, codes[i], 0.001);
        CU_ASSERT_EQUAL(requests("metrics", status), before + 1);
    }
}

static void test_unmatched_route(void)
{
    long long before = requests("unmatched", "404");
    fa_metrics_bind_slot(0);
    fa_metrics_observe(ROUTES, 404, 0.001);      /* routes == "no route matched" */
    fa_metrics_observe(ROUTES + 99, 404, 0.001); /* out of range is clamped there too */
    CU_ASSERT_EQUAL(requests("unmatched", "404"), before + 2);
}

/* The region is MAP_SHARED: what a forked worker writes in its slot shows in
 * the master's render, which is the whole point of the design. */
static void test_forked_worker_slot_visible_to_parent(void)
{
    long long before = requests("healthz", "503");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fa_metrics_bind_slot(1);
        for (int i = 0; i < 7; i++)
            fa_metrics_observe(0, 503, 0.001);
        _exit(0);
    }
    CU_ASSERT_FATAL(pid > 0);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_EQUAL(requests("healthz", "503"), before + 7);
}

static void test_metric_families_typed_once(void)
{
    fa_buf_t out;
    fa_buf_init(&out, arena, 1024);
    fa_metrics_render(&out, route_names, ROUTES);
    const char *text = fa_buf_cstr(&out);
    const char *type = "# TYPE foundry_auth_sign_ins_total counter\n";
    const char *first = strstr(text, type);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NULL(strstr(first + 1, type));
    /* Every line is a comment or "name value". */
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        CU_ASSERT_PTR_NOT_NULL_FATAL(end); /* text ends with a newline */
        if (line[0] != '#') {
            const char *space = memchr(line, ' ', (size_t)(end - line));
            CU_ASSERT_PTR_NOT_NULL(space);
        }
        line = end + 1;
    }
}

/* Issue 15: per pool, its size, its busy workers and how long requests
 * waited for one, from the slots the master assigned to each pool. */
static void test_pools_busy_and_wait(void)
{
    static const char *const pools[] = {"main", "signin"};
    fa_metrics_name_pools(pools, 2);
    fa_metrics_assign_pool(0, 0);
    fa_metrics_assign_pool(1, 1);
    fa_metrics_assign_pool(WORKERS, 5); /* an unknown pool is refused */
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_workers{pool=\"main\"}"), 1);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_workers{pool=\"signin\"}"), 1);
    fa_metrics_bind_slot(1);
    fa_metrics_set_busy(true);
    fa_metrics_observe_wait(0.2);
    fa_metrics_observe_wait(-1.0); /* clocks a little apart: counted as 0 */
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_busy_workers{pool=\"signin\"}"), 1);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_busy_workers{pool=\"main\"}"), 0);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_wait_seconds_count{pool=\"signin\"}"), 2);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_wait_seconds_bucket{pool=\"signin\",le=\"0.0005\"}"),
                    1);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_wait_seconds_bucket{pool=\"signin\",le=\"0.25\"}"),
                    2);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_wait_seconds_count{pool=\"main\"}"), 0);
    fa_metrics_set_busy(false);
    CU_ASSERT_EQUAL(sample("foundry_auth_pool_busy_workers{pool=\"signin\"}"), 0);
    fa_metrics_bind_slot(0);
}

int main(void)
{
    if (fa_metrics_init(WORKERS, ROUTES) != 0) {
        fputs("fa_metrics_init failed\n", stderr);
        return 1;
    }
    static const test_case_t tests[] = {
        TEST(test_render_sums_both_slots),
        TEST(test_counters_sum_both_slots),
        TEST(test_master_slot_counts_restarts),
        TEST(test_histogram_buckets_cumulative),
        TEST(test_duration_sum),
        TEST(test_unknown_status_is_other),
        TEST(test_counted_statuses),
        TEST(test_unmatched_route),
        TEST(test_forked_worker_slot_visible_to_parent),
        TEST(test_metric_families_typed_once),
        TEST(test_pools_busy_and_wait),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/metrics", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
