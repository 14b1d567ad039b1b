/* Prometheus metrics shared by all workers of one master. The master maps
 * one shared, anonymous region before forking; each worker writes only its
 * own slot (no locks, no atomics across workers); /metrics sums all slots.
 * A restarted worker reuses the slot of the one it replaces, so counters
 * never go backwards. This is the one process-wide static of the service:
 * the mapping must exist before fork and be reachable from any module. */
#ifndef FA_CORE_METRICS_H
#define FA_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

typedef enum {
    FA_METRIC_DB_ERRORS,
    FA_METRIC_DB_RECONNECTS,
    FA_METRIC_SIGNIN_SUCCESS,
    FA_METRIC_SIGNIN_FAILURE,
    FA_METRIC_SIGNOUT,
    FA_METRIC_REVOKE,
    FA_METRIC_WORKER_RESTARTS,
    FA_METRIC_GITHUB_RATE_LIMITED,   /* a GitHub answer said: rate limited */
    FA_METRIC_GITHUB_CALLS_WITHHELD, /* a GitHub call not made: still limited */
    FA_METRIC_SIGNIN_RATE_LIMITED,   /* sign-ins refused while GitHub limits us */
    FA_METRIC_ADMIN_THROTTLED,       /* admin requests refused by the failure throttle */
    FA_METRIC_LOG_LINES_DROPPED,     /* log lines the stderr reader could not take */
    FA_METRIC_COUNT
} fa_metric_t;

/* Maps the region for `slots` workers and `routes` routes (+1 for unmatched). */
int fa_metrics_init(size_t slots, size_t routes);
void fa_metrics_bind_slot(size_t slot);

void fa_metrics_inc(fa_metric_t metric);
/* route_index == routes means "no route matched". */
void fa_metrics_observe(size_t route_index, int http_status, double seconds);

/* Worker pools (issue 15), set up by the master after fa_metrics_init and
 * before fork: the pools' names (static strings) and which pool each
 * worker slot serves. */
void fa_metrics_name_pools(const char *const *names, size_t count);
void fa_metrics_assign_pool(size_t slot, size_t pool);
/* The calling worker holds a request (true) or waits for one (false). */
void fa_metrics_set_busy(bool busy);
/* How long the request just accepted waited in the socket's queue. */
void fa_metrics_observe_wait(double seconds);

/* Renders the text exposition format summed over all slots. */
void fa_metrics_render(fa_buf_t *out, const char *const *route_names, size_t routes);

#endif
