/* Owns: the job process's loop (connection, LISTEN, waiting, signals,
 * housekeeping cadence). Never: shares its connection with another process,
 * or stops in the middle of a job (a stop is noticed between jobs). */
#include "server/jobs_worker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/privileges.h"
#include "core/stop_signal.h"
#include "admin/gc.h"
#include "jobs/queue.h"
#include "jobs/runner.h"
#include "services/services.h"

#define FA_JOBS_RECOVER_MAX_MS 10000 /* lease check cadence (capped by the poll interval) */
#define FA_JOBS_DOWN_WAIT_MS 1000    /* database down: retry this often */
#define FA_JOBS_MIN_WAIT_MS 10       /* a due job another process is claiming: brief pause */

static int fa_wake_fd = -1;

typedef struct {
    fa_job_env_t env;
    bool listening;
    unsigned long listen_generation; /* fa_db_reconnects() when LISTEN was sent */
    bool down_logged;
    double next_gc;
    double next_state_gc;
    double next_recover;
} fa_jobs_loop_t;

/* Connected and listening; LISTEN is sent again after every reconnect (a
 * subscription dies with its connection, like a prepared statement). */
static bool fa_listen(fa_jobs_loop_t *l)
{
    fa_error_t err;
    fa_db_t *db = l->env.db;
    if (fa_db_ready(db, &err) != FA_OK) {
        if (!l->down_logged)
            fa_log_warn("jobs", "database unavailable; retrying");
        l->down_logged = true;
        return false;
    }
    if (l->listening && l->listen_generation == fa_db_reconnects(db))
        return true;
    if (!fa_db_exec_sql(db, l->env.arena, "LISTEN " FA_JOBS_CHANNEL, &err))
        return false;
    l->listening = true;
    l->listen_generation = fa_db_reconnects(db);
    l->down_logged = false;
    fa_log_info("jobs", "listening on channel %s", FA_JOBS_CHANNEL);
    return true;
}

/* True when notifications were waiting (they only say "look again"). */
static bool fa_drain_notifies(fa_db_t *db)
{
    PGconn *conn = fa_db_conn(db);
    bool any = false;
    if (!conn || PQconsumeInput(conn) == 0)
        return false;
    for (PGnotify *n; (n = PQnotifies(conn)) != NULL; PQfreemem(n))
        any = true;
    return any;
}

static void fa_wait(fa_jobs_loop_t *l, long timeout_ms)
{
    struct pollfd fds[2] = {{.fd = fa_wake_fd, .events = POLLIN}};
    nfds_t n = 1;
    PGconn *conn = fa_db_conn(l->env.db);
    if (l->listening && conn && PQsocket(conn) >= 0)
        fds[n++] = (struct pollfd){.fd = PQsocket(conn), .events = POLLIN};
    if (poll(fds, n, (int)timeout_ms) > 0 && n == 2 && fds[1].revents)
        fa_drain_notifies(l->env.db);
    fa_stop_signal_drain();
}

static void fa_collect_garbage(fa_jobs_loop_t *l)
{
    fa_gc_counts_t c;
    fa_error_t err;
    if (fa_gc_run_once(l->env.db, l->env.arena, &c, &err) != FA_OK)
        fa_log_warn("gc", "garbage collection stopped early: %s", err.code);
    if (c.sessions || c.verification || c.jobs)
        fa_log_info("gc", "removed %ld expired session(s), %ld verification row(s), %ld old job(s)",
                    c.sessions, c.verification, c.jobs);
}

static void fa_collect_states(fa_jobs_loop_t *l)
{
    long n = 0;
    fa_error_t err;
    if (fa_gc_states(l->env.db, l->env.arena, &n, &err) != FA_OK)
        fa_log_warn("gc", "removing expired OAuth states stopped early: %s", err.code);
    if (n)
        fa_log_debug("gc", "removed %ld expired OAuth state(s)", n);
}

static long fa_recover_period_ms(const fa_config_t *cfg)
{
    return cfg->jobs_poll_ms < FA_JOBS_RECOVER_MAX_MS ? cfg->jobs_poll_ms : FA_JOBS_RECOVER_MAX_MS;
}

static void fa_housekeeping(fa_jobs_loop_t *l)
{
    double now = fa_clock_monotonic();
    const fa_config_t *cfg = l->env.config;
    if (now >= l->next_recover) {
        long recovered = 0;
        fa_error_t err;
        if (fa_jobs_recover(&l->env, cfg->jobs_lease_seconds, &recovered, &err) == FA_OK &&
            recovered)
            fa_log_warn("jobs", "took over %ld job(s) whose worker stopped", recovered);
        l->next_recover = now + fa_recover_period_ms(cfg) / 1000.0;
        fa_arena_reset(l->env.arena);
    }
    if (now >= l->next_gc) {
        fa_collect_garbage(l);
        l->next_gc = now + (double)cfg->jobs_gc_seconds;
        l->next_state_gc = now + FA_GC_STATES_SECONDS;
        fa_arena_reset(l->env.arena);
    }
    if (now >= l->next_state_gc) {
        fa_collect_states(l);
        l->next_state_gc = now + FA_GC_STATES_SECONDS;
        fa_arena_reset(l->env.arena);
    }
}

/* Claims and runs due jobs until none is left or a stop was asked for. */
static void fa_run_due(fa_jobs_loop_t *l)
{
    while (!fa_stop_requested()) {
        fa_housekeeping(l);
        fa_job_t job;
        bool claimed;
        fa_error_t err;
        if (fa_jobs_claim(&l->env, &job, &claimed, &err) != FA_OK || !claimed)
            break;
        fa_jobs_run(&l->env, &job);
        fa_arena_reset(l->env.arena);
    }
}

/* Sleep until the poll interval, the next queued job's run_at, or the next
 * housekeeping, whichever comes first. */
static long fa_next_timeout(fa_jobs_loop_t *l)
{
    const fa_config_t *cfg = l->env.config;
    fa_error_t err;
    long long due = fa_jobs_next_due_ms(&l->env, &err);
    long long t = cfg->jobs_poll_ms;
    if (due >= 0 && due < t)
        t = due;
    double now = fa_clock_monotonic();
    double next_gc = l->next_gc < l->next_state_gc ? l->next_gc : l->next_state_gc;
    long long until_gc = (long long)((next_gc - now) * 1000.0);
    long long until_recover = (long long)((l->next_recover - now) * 1000.0);
    if (until_gc < t)
        t = until_gc;
    if (until_recover < t)
        t = until_recover;
    return t < FA_JOBS_MIN_WAIT_MS ? FA_JOBS_MIN_WAIT_MS : (long)t;
}

static const char *fa_worker_id(void)
{
    static char id[320];
    char host[256] = "localhost";
    if (gethostname(host, sizeof(host)) != 0)
        strcpy(host, "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(id, sizeof(id), "%s:%ld", host, (long)getpid());
    return id;
}

int fa_jobs_main(const fa_config_t *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fa_wake_fd = fa_stop_signal_install();
    fa_log_nonblocking();
    if (!fa_privileges_drop(cfg))
        return 3;
    fa_jobs_loop_t l = {
        .env = {.config = cfg,
                .db = fa_db_create(cfg->database_url),
                .arena = fa_arena_create(64 * 1024),
                .services = fa_services_create(cfg),
                .worker_id = fa_worker_id()},
    };
    /* A stop must not wait on a stalled database: after SIGTERM a call waits
     * at most a second more; a healthy one still lets the job finish. */
    fa_db_set_timeout(l.env.db, cfg->db_timeout_ms);
    fa_db_set_wake_fd(l.env.db, fa_wake_fd);
    fa_log_info("jobs",
                "job worker %s started (poll %ld ms, gc every %ld s, backoff base %ld ms, "
                "lease %ld s)",
                l.env.worker_id, cfg->jobs_poll_ms, cfg->jobs_gc_seconds, cfg->jobs_backoff_base_ms,
                cfg->jobs_lease_seconds);
    while (!fa_stop_requested()) {
        if (!fa_listen(&l)) {
            fa_wait(&l, FA_JOBS_DOWN_WAIT_MS);
            continue;
        }
        fa_run_due(&l);
        if (fa_stop_requested())
            break;
        if (!fa_drain_notifies(l.env.db)) /* none arrived while we were busy */
            fa_wait(&l, fa_next_timeout(&l));
        fa_arena_reset(l.env.arena);
    }
    fa_log_info("jobs", "job worker %s stopped", l.env.worker_id);
    fa_services_destroy(l.env.services);
    fa_db_destroy(l.env.db);
    fa_arena_destroy(l.env.arena);
    return 0;
}
