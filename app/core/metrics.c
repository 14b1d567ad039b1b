/* Owns: the shared-memory counters behind /metrics. Each worker writes its own
 * slot with relaxed stores, so a scrape may see a value one request old, never
 * a torn or lost one; /metrics sums the slots. */
#include "core/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* Status codes we count individually; anything else lands in "other". */
static const int fa_status_codes[] = {200, 201, 204, 302, 400, 401, 403, 404, 405, 409,
                                      413, 415, 422, 429, 431, 500, 502, 503};
#define FA_STATUS_SLOTS (sizeof(fa_status_codes) / sizeof(fa_status_codes[0]) + 1)

static const double fa_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define FA_BUCKETS (sizeof(fa_buckets) / sizeof(fa_buckets[0]))

typedef struct {
    _Atomic uint64_t counters[FA_METRIC_COUNT];
    _Atomic uint64_t bucket[FA_BUCKETS + 1]; /* last = +Inf */
    _Atomic uint64_t duration_us;
    _Atomic uint64_t observations;
    /* Issue 15: which pool the slot's worker serves (index + 1; 0 = none, the
     * master's slot), whether it holds a request now, and how long requests
     * waited for it. */
    _Atomic uint64_t pool;
    _Atomic uint64_t busy;
    _Atomic uint64_t wait_bucket[FA_BUCKETS + 1];
    _Atomic uint64_t wait_us;
    _Atomic uint64_t waits;
    _Atomic uint64_t requests[]; /* [route][status slot] */
} fa_slot_t;

static unsigned char *fa_region;
static const char *const *fa_pool_names;
static size_t fa_pool_count;
static size_t fa_slot_count, fa_route_count, fa_slot_size;
static fa_slot_t *fa_current;

static const char *const fa_metric_names[FA_METRIC_COUNT] = {
    [FA_METRIC_DB_ERRORS] = "foundry_auth_db_errors_total",
    [FA_METRIC_DB_RECONNECTS] = "foundry_auth_db_reconnects_total",
    [FA_METRIC_SIGNIN_SUCCESS] = "foundry_auth_sign_ins_total{outcome=\"success\"}",
    [FA_METRIC_SIGNIN_FAILURE] = "foundry_auth_sign_ins_total{outcome=\"failure\"}",
    [FA_METRIC_SIGNOUT] = "foundry_auth_sign_outs_total",
    [FA_METRIC_REVOKE] = "foundry_auth_session_revocations_total",
    [FA_METRIC_WORKER_RESTARTS] = "foundry_auth_worker_restarts_total",
    [FA_METRIC_GITHUB_RATE_LIMITED] = "foundry_auth_github_rate_limited_total",
    [FA_METRIC_GITHUB_CALLS_WITHHELD] = "foundry_auth_github_calls_withheld_total",
    [FA_METRIC_SIGNIN_RATE_LIMITED] =
        "foundry_auth_sign_ins_refused_total{reason=\"github_rate_limited\"}",
    [FA_METRIC_ADMIN_THROTTLED] = "foundry_auth_admin_auth_throttled_total",
    [FA_METRIC_LOG_LINES_DROPPED] = "foundry_auth_log_lines_dropped_total",
};

static fa_slot_t *fa_slot(size_t i)
{
    return (fa_slot_t *)(fa_region + i * fa_slot_size);
}

int fa_metrics_init(size_t slots, size_t routes)
{
    fa_slot_count = slots + 1; /* the extra slot is the master's (restarts) */
    fa_route_count = routes + 1;
    fa_slot_size = sizeof(fa_slot_t) + fa_route_count * FA_STATUS_SLOTS * sizeof(uint64_t);
    fa_slot_size = (fa_slot_size + 63) & ~(size_t)63; /* one cache line apart */
    void *p = mmap(NULL, fa_slot_count * fa_slot_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    fa_region = p;
    fa_current = fa_slot(slots);
    return 0;
}

void fa_metrics_bind_slot(size_t slot)
{
    if (fa_region && slot < fa_slot_count)
        fa_current = fa_slot(slot);
}

static void fa_add(_Atomic uint64_t *v, uint64_t n)
{
    atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

void fa_metrics_name_pools(const char *const *names, size_t count)
{
    fa_pool_names = names;
    fa_pool_count = count;
}

void fa_metrics_assign_pool(size_t slot, size_t pool)
{
    if (fa_region && slot < fa_slot_count && pool < fa_pool_count)
        atomic_store_explicit(&fa_slot(slot)->pool, pool + 1, memory_order_relaxed);
}

void fa_metrics_set_busy(bool busy)
{
    if (fa_current)
        atomic_store_explicit(&fa_current->busy, busy ? 1 : 0, memory_order_relaxed);
}

static size_t fa_bucket_of(double seconds)
{
    size_t b = 0;
    while (b < FA_BUCKETS && seconds > fa_buckets[b])
        b++;
    return b;
}

void fa_metrics_observe_wait(double seconds)
{
    if (!fa_current)
        return;
    if (seconds < 0)
        seconds = 0;
    fa_add(&fa_current->wait_bucket[fa_bucket_of(seconds)], 1);
    fa_add(&fa_current->wait_us, (uint64_t)(seconds * 1e6));
    fa_add(&fa_current->waits, 1);
}

void fa_metrics_inc(fa_metric_t metric)
{
    if (fa_current)
        fa_add(&fa_current->counters[metric], 1);
}

static size_t fa_status_slot(int status)
{
    for (size_t i = 0; i < FA_STATUS_SLOTS - 1; i++)
        if (fa_status_codes[i] == status)
            return i;
    return FA_STATUS_SLOTS - 1;
}

void fa_metrics_observe(size_t route_index, int http_status, double seconds)
{
    if (!fa_current)
        return;
    if (route_index >= fa_route_count)
        route_index = fa_route_count - 1;
    fa_add(&fa_current->requests[route_index * FA_STATUS_SLOTS + fa_status_slot(http_status)], 1);
    fa_add(&fa_current->bucket[fa_bucket_of(seconds)], 1);
    fa_add(&fa_current->duration_us, (uint64_t)(seconds * 1e6));
    fa_add(&fa_current->observations, 1);
}

static uint64_t fa_sum(size_t offset)
{
    uint64_t total = 0;
    for (size_t i = 0; i < fa_slot_count; i++)
        total += atomic_load_explicit((_Atomic uint64_t *)((unsigned char *)fa_slot(i) + offset),
                                      memory_order_relaxed);
    return total;
}

#define FA_OFFSET(field) offsetof(fa_slot_t, field)

/* The sum of one field over the slots of pool p. */
static uint64_t fa_pool_sum(size_t p, size_t offset)
{
    uint64_t total = 0;
    for (size_t i = 0; i < fa_slot_count; i++) {
        if (atomic_load_explicit(&fa_slot(i)->pool, memory_order_relaxed) != p + 1)
            continue;
        total += atomic_load_explicit((_Atomic uint64_t *)((unsigned char *)fa_slot(i) + offset),
                                      memory_order_relaxed);
    }
    return total;
}

static uint64_t fa_pool_slots(size_t p)
{
    uint64_t n = 0;
    for (size_t i = 0; i < fa_slot_count; i++)
        n += atomic_load_explicit(&fa_slot(i)->pool, memory_order_relaxed) == p + 1;
    return n;
}

/* Per pool: its size, how many of its workers hold a request (the scrape
 * itself holds one of the main pool's), and how long requests waited for a
 * worker: from nginx building the FastCGI request ($msec, millisecond
 * resolution, passed as FOUNDRY_AUTH_QUEUED_AT) to a worker accepting the
 * connection, i.e. the time spent in the socket's queue. */
static void fa_render_pools(fa_buf_t *out)
{
    if (!fa_pool_count)
        return;
    fa_buf_append_cstr(out, "# HELP foundry_auth_pool_workers Worker processes of each pool.\n"
                            "# TYPE foundry_auth_pool_workers gauge\n");
    for (size_t p = 0; p < fa_pool_count; p++)
        fa_buf_printf(out, "foundry_auth_pool_workers{pool=\"%s\"} %llu\n", fa_pool_names[p],
                      (unsigned long long)fa_pool_slots(p));
    fa_buf_append_cstr(out,
                       "# HELP foundry_auth_pool_busy_workers Workers handling a request now.\n"
                       "# TYPE foundry_auth_pool_busy_workers gauge\n");
    for (size_t p = 0; p < fa_pool_count; p++)
        fa_buf_printf(out, "foundry_auth_pool_busy_workers{pool=\"%s\"} %llu\n", fa_pool_names[p],
                      (unsigned long long)fa_pool_sum(p, FA_OFFSET(busy)));
    fa_buf_append_cstr(out, "# HELP foundry_auth_pool_wait_seconds Time a request waited in the "
                            "pool's socket queue for a worker.\n"
                            "# TYPE foundry_auth_pool_wait_seconds histogram\n");
    for (size_t p = 0; p < fa_pool_count; p++) {
        const char *name = fa_pool_names[p];
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= FA_BUCKETS; b++) {
            cumulative += fa_pool_sum(p, FA_OFFSET(wait_bucket) + b * sizeof(uint64_t));
            if (b < FA_BUCKETS)
                fa_buf_printf(out,
                              "foundry_auth_pool_wait_seconds_bucket{pool=\"%s\",le=\"%g\"} %llu\n",
                              name, fa_buckets[b], (unsigned long long)cumulative);
            else
                fa_buf_printf(
                    out, "foundry_auth_pool_wait_seconds_bucket{pool=\"%s\",le=\"+Inf\"} %llu\n",
                    name, (unsigned long long)cumulative);
        }
        fa_buf_printf(out, "foundry_auth_pool_wait_seconds_sum{pool=\"%s\"} %.6f\n", name,
                      (double)fa_pool_sum(p, FA_OFFSET(wait_us)) / 1e6);
        fa_buf_printf(out, "foundry_auth_pool_wait_seconds_count{pool=\"%s\"} %llu\n", name,
                      (unsigned long long)fa_pool_sum(p, FA_OFFSET(waits)));
    }
}

void fa_metrics_render(fa_buf_t *out, const char *const *route_names, size_t routes)
{
    if (!fa_region)
        return;
    fa_buf_append_cstr(out, "# HELP foundry_auth_http_requests_total Requests by route and status.\n"
                            "# TYPE foundry_auth_http_requests_total counter\n");
    for (size_t r = 0; r < fa_route_count && r <= routes; r++) {
        const char *name = r < routes ? route_names[r] : "unmatched";
        for (size_t s = 0; s < FA_STATUS_SLOTS; s++) {
            size_t off = sizeof(fa_slot_t) + (r * FA_STATUS_SLOTS + s) * sizeof(uint64_t);
            uint64_t n = fa_sum(off);
            if (!n)
                continue;
            if (s < FA_STATUS_SLOTS - 1)
                fa_buf_printf(out, "foundry_auth_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                              name, fa_status_codes[s], (unsigned long long)n);
            else
                fa_buf_printf(out, "foundry_auth_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                              name, (unsigned long long)n);
        }
    }
    fa_buf_append_cstr(out, "# HELP foundry_auth_http_request_duration_seconds Request latency.\n"
                            "# TYPE foundry_auth_http_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= FA_BUCKETS; b++) {
        cumulative += fa_sum(FA_OFFSET(bucket) + b * sizeof(uint64_t));
        if (b < FA_BUCKETS)
            fa_buf_printf(out, "foundry_auth_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                          fa_buckets[b], (unsigned long long)cumulative);
        else
            fa_buf_printf(out, "foundry_auth_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                          (unsigned long long)cumulative);
    }
    fa_buf_printf(out, "foundry_auth_http_request_duration_seconds_sum %.6f\n",
                  (double)fa_sum(FA_OFFSET(duration_us)) / 1e6);
    fa_buf_printf(out, "foundry_auth_http_request_duration_seconds_count %llu\n",
                  (unsigned long long)fa_sum(FA_OFFSET(observations)));
    const char *prev = NULL;
    size_t prev_len = 0;
    for (int m = 0; m < FA_METRIC_COUNT; m++) {
        const char *name = fa_metric_names[m];
        size_t family_len = strcspn(name, "{");
        if (!prev || prev_len != family_len || strncmp(prev, name, family_len) != 0)
            fa_buf_printf(out, "# TYPE %.*s counter\n", (int)family_len, name);
        prev = name;
        prev_len = family_len;
        fa_buf_printf(out, "%s %llu\n", name,
                      (unsigned long long)fa_sum(FA_OFFSET(counters) + (size_t)m * sizeof(uint64_t)));
    }
    fa_render_pools(out);
}
