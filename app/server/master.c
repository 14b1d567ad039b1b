/* Owns: worker lifecycle. Never: touches the database or a request (libpq is
 * not fork-safe, so connections are made in the workers only). */
#include "server/master.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "handlers/routes.h"
#include "http/fcgi.h"
#include "server/request_worker.h"

#define FA_MAX_WORKERS 64
#define FA_RESTART_BACKOFF_MAX_MS 5000

typedef struct {
    pid_t pid;
    double started;
    double restart_at; /* when a crashed slot may be refilled */
    long backoff_ms;
} fa_slot_t;

/* Issue 15: workers come in pools, each with its own listening socket. Every
 * worker runs the same code and could serve any route; the isolation is
 * nginx's routing (the routes that wait on GitHub go to the sign-in socket),
 * so a burst of slow sign-ins can hold every sign-in worker and no session
 * check's. A worker knows its pool by the socket it was given and by its
 * metrics slot (first_slot + index). */
typedef struct {
    const char *name;
    const char *socket_path;
    int backlog; /* listen(2): the pool's bounded queue */
    int listen_fd;
    /* The socket file, if we created it, and which file it was: a stop
     * unlinks it only while it is still ours (a new instance may have
     * replaced it already). */
    bool own_file;
    dev_t dev;
    ino_t ino;
    int size;
    int first_slot;
    fa_slot_t slots[FA_MAX_WORKERS];
} fa_pool_t;

enum { FA_POOL_MAIN, FA_POOL_SIGNIN, FA_POOL_COUNT };
static const char *const fa_pool_names[FA_POOL_COUNT] = {"main", "signin"};

/* Workers of an earlier generation finishing their request after a reload
 * (SIGHUP): reaped, never restarted. Room for two quick reloads of every
 * pool. */
typedef struct {
    pid_t pids[2 * FA_POOL_COUNT * FA_MAX_WORKERS];
    int count;
} fa_retiring_t;

/* A sign-in worker is held for a whole GitHub round trip. Linux queues
 * backlog + 1 connections on a unix socket (measured here), so a backlog of
 * FOUNDRY_AUTH_SIGNIN_QUEUE - 1 queues exactly that many: a queued sign-in
 * waits for at most queue / workers sign-ins ahead of it, and the next one
 * is refused at once (nginx: service_busy). The main pool keeps the deep
 * queue it always had: its requests take milliseconds. */
static void fa_pools_init(fa_pool_t pools[FA_POOL_COUNT], const fa_config_t *cfg)
{
    pools[FA_POOL_MAIN] = (fa_pool_t){.name = fa_pool_names[FA_POOL_MAIN],
                                      .socket_path = cfg->socket_path,
                                      .backlog = 1024,
                                      .listen_fd = -1,
                                      .size = cfg->workers,
                                      .first_slot = 0};
    pools[FA_POOL_SIGNIN] = (fa_pool_t){.name = fa_pool_names[FA_POOL_SIGNIN],
                                        .socket_path = cfg->signin_socket_path,
                                        .backlog = cfg->signin_queue - 1,
                                        .listen_fd = -1,
                                        .size = cfg->signin_workers,
                                        .first_slot = cfg->workers};
}

static void fa_pool_note_file(fa_pool_t *pool)
{
    struct stat st;
    if (pool->socket_path[0] != '/' || stat(pool->socket_path, &st) != 0)
        return; /* inherited ("-", "systemd"): not ours to remove */
    pool->own_file = true;
    pool->dev = st.st_dev;
    pool->ino = st.st_ino;
}

/* The main socket last: whoever waits for it to appear (a supervisor, the
 * test scripts) then finds every pool's socket there. */
static bool fa_pools_listen(fa_pool_t *pools, const fa_config_t *cfg)
{
    char err[256];
    for (int p = FA_POOL_COUNT - 1; p >= 0; p--) {
        pools[p].listen_fd = fa_fcgi_listen_backlog(pools[p].socket_path, cfg->socket_group,
                                                    pools[p].backlog, err, sizeof(err));
        if (pools[p].listen_fd < 0) {
            fprintf(stderr, "foundry-auth: %s\n", err);
            return false;
        }
        fa_pool_note_file(&pools[p]);
    }
    return true;
}

/* First step of a stop: new connections fail at once at nginx instead of
 * joining a backlog nobody will serve. */
static void fa_pools_unlink(const fa_pool_t *pools)
{
    struct stat st;
    for (int p = 0; p < FA_POOL_COUNT; p++)
        if (pools[p].own_file && stat(pools[p].socket_path, &st) == 0 &&
            st.st_dev == pools[p].dev && st.st_ino == pools[p].ino)
            unlink(pools[p].socket_path);
}

static void fa_pools_close(fa_pool_t *pools)
{
    fa_pools_unlink(pools);
    for (int p = 0; p < FA_POOL_COUNT; p++) {
        if (pools[p].listen_fd >= 0)
            close(pools[p].listen_fd);
        pools[p].listen_fd = -1;
    }
}

static void fa_spawn(const fa_config_t *cfg, fa_pool_t *pools, fa_pool_t *pool, int i)
{
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fa_log_error("master", "could not fork %s worker %d: %s", pool->name, i, strerror(errno));
        pool->slots[i].restart_at = fa_clock_monotonic() + 1.0;
        return;
    }
    if (pid == 0) {
        /* ps and /proc/<pid>/comm tell the pools apart: "fa-main", "fa-signin". */
        char comm[16];
        snprintf(comm, sizeof(comm), "fa-%s", pool->name);
        prctl(PR_SET_NAME, comm);
        /* A worker listens on its own pool's socket only. */
        for (int p = 0; p < FA_POOL_COUNT; p++)
            if (&pools[p] != pool && pools[p].listen_fd > 2)
                close(pools[p].listen_fd);
        fa_worker_main(cfg, pool->listen_fd, pool->first_slot + i, master);
    }
    pool->slots[i].pid = pid;
    pool->slots[i].started = fa_clock_monotonic();
    pool->slots[i].restart_at = 0;
}

static fa_slot_t *fa_find_slot(fa_pool_t *pools, pid_t pid, fa_pool_t **pool, int *index)
{
    for (int p = 0; p < FA_POOL_COUNT; p++)
        for (int i = 0; i < pools[p].size; i++)
            if (pools[p].slots[i].pid == pid) {
                *pool = &pools[p];
                *index = i;
                return &pools[p].slots[i];
            }
    return NULL;
}

static bool fa_retiring_remove(fa_retiring_t *r, pid_t pid)
{
    for (int i = 0; i < r->count; i++) {
        if (r->pids[i] != pid)
            continue;
        r->pids[i] = r->pids[--r->count];
        return true;
    }
    return false;
}

/* A worker that dies young is restarted with a growing delay, so a crash loop
 * (bad config reaching a code path, a poisoned request) cannot spin the CPU. */
static void fa_reap(fa_pool_t *pools, fa_retiring_t *retiring, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (fa_retiring_remove(retiring, pid))
            continue;
        fa_pool_t *pool;
        int i;
        fa_slot_t *slot = fa_find_slot(pools, pid, &pool, &i);
        if (!slot)
            continue;
        slot->pid = 0;
        if (stopping)
            continue;
        double lived = fa_clock_monotonic() - slot->started;
        slot->backoff_ms = lived > 10.0 ? 0 : slot->backoff_ms ? slot->backoff_ms * 2 : 100;
        if (slot->backoff_ms > FA_RESTART_BACKOFF_MAX_MS)
            slot->backoff_ms = FA_RESTART_BACKOFF_MAX_MS;
        slot->restart_at = fa_clock_monotonic() + slot->backoff_ms / 1000.0;
        fa_metrics_inc(FA_METRIC_WORKER_RESTARTS);
        char how[32];
        if (WIFSIGNALED(status))
            snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
        else
            snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
        fa_log_warn("master", "%s worker %d (pid %d) died (%s); restarting in %ld ms", pool->name,
                    i, (int)pid, how, slot->backoff_ms);
    }
}

static void fa_respawn_due(const fa_config_t *cfg, fa_pool_t *pools)
{
    double now = fa_clock_monotonic();
    for (int p = 0; p < FA_POOL_COUNT; p++)
        for (int i = 0; i < pools[p].size; i++)
            if (pools[p].slots[i].pid == 0 && now >= pools[p].slots[i].restart_at)
                fa_spawn(cfg, pools, &pools[p], i);
}

static int fa_alive(const fa_pool_t *pools, const fa_retiring_t *retiring)
{
    int n = retiring->count;
    for (int p = 0; p < FA_POOL_COUNT; p++)
        for (int i = 0; i < pools[p].size; i++)
            n += pools[p].slots[i].pid > 0;
    return n;
}

static void fa_signal_all(const fa_pool_t *pools, const fa_retiring_t *retiring, int sig)
{
    for (int p = 0; p < FA_POOL_COUNT; p++)
        for (int i = 0; i < pools[p].size; i++)
            if (pools[p].slots[i].pid > 0)
                kill(pools[p].slots[i].pid, sig);
    for (int i = 0; i < retiring->count; i++)
        kill(retiring->pids[i], sig);
}

/* SIGHUP (issue 15): a new generation of workers on the same listening
 * sockets, then the old one told to finish the request in hand and exit
 * (SIGQUIT); what waits in the backlog meanwhile is the new generation's.
 * The configuration is the one the master started with: the environment of
 * a running process does not change, so settings need a restart. */
static void fa_reload(const fa_config_t *cfg, fa_pool_t *pools, fa_retiring_t *retiring)
{
    int retired = 0, started = 0;
    int room = (int)(sizeof retiring->pids / sizeof retiring->pids[0]);
    for (int p = 0; p < FA_POOL_COUNT; p++) {
        fa_slot_t *slots = pools[p].slots;
        for (int i = 0; i < pools[p].size; i++) {
            pid_t old = slots[i].pid;
            if (old > 0 && retiring->count < room) {
                retiring->pids[retiring->count++] = old;
                slots[i].pid = 0;
            }
            if (slots[i].pid == 0) {
                slots[i].backoff_ms = 0;
                fa_spawn(cfg, pools, &pools[p], i);
                started += slots[i].pid > 0;
            }
            if (old > 0 && slots[i].pid != old) {
                kill(old, SIGQUIT);
                retired++;
            }
        }
    }
    fa_log_info("master", "reloaded: %d new worker(s), %d retiring", started, retired);
}

/* Drain: workers finish what they hold (and, on SIGTERM, what is queued)
 * and exit; stragglers past the drain budget are killed so a stop never
 * hangs. */
static void fa_drain(fa_pool_t *pools, fa_retiring_t *retiring, int sig, long drain_seconds)
{
    fa_signal_all(pools, retiring, sig);
    double deadline = fa_clock_monotonic() + (double)drain_seconds;
    while (fa_alive(pools, retiring) > 0 && fa_clock_monotonic() < deadline) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        fa_reap(pools, retiring, true);
    }
    if (fa_alive(pools, retiring) > 0) {
        fa_log_warn("master", "workers still busy after %ld s; killing them", drain_seconds);
        fa_signal_all(pools, retiring, SIGKILL);
        while (fa_alive(pools, retiring) > 0 && waitpid(-1, NULL, 0) > 0)
            fa_reap(pools, retiring, true);
        for (int p = 0; p < FA_POOL_COUNT; p++)
            for (int i = 0; i < pools[p].size; i++)
                pools[p].slots[i].pid = 0;
        retiring->count = 0;
    }
}

int fa_master_run(const fa_config_t *cfg)
{
    /* A log reader that went away (journald restarted) must cost a log
     * line, not the master; workers inherit this. */
    signal(SIGPIPE, SIG_IGN);
    fa_log_nonblocking(); /* before fork: the workers share the non-blocking stderr */
    /* The master holds the configured secrets too; workers inherit this
     * across fork and set it again after dropping root. */
    fa_privileges_harden();
    if (geteuid() == 0 && !getpwnam(cfg->run_as_user)) {
        fprintf(stderr, "foundry-auth: FOUNDRY_AUTH_USER: no such user '%s' to run workers as\n",
                cfg->run_as_user);
        return 2;
    }
    static fa_pool_t pools[FA_POOL_COUNT];
    fa_pools_init(pools, cfg);
    if (!fa_pools_listen(pools, cfg)) {
        fa_pools_close(pools);
        return 1;
    }
    if (fa_metrics_init((size_t)(cfg->workers + cfg->signin_workers), fa_route_count) < 0) {
        fprintf(stderr, "foundry-auth: could not map shared memory for metrics\n");
        fa_pools_close(pools);
        return 1;
    }
    fa_metrics_name_pools(fa_pool_names, FA_POOL_COUNT);
    for (int p = 0; p < FA_POOL_COUNT; p++)
        for (int i = 0; i < pools[p].size; i++)
            fa_metrics_assign_pool((size_t)(pools[p].first_slot + i), (size_t)p);

    /* Signals are taken synchronously with sigtimedwait: no handler races.
     * SIGTERM/SIGINT: stop, serving what is queued; SIGQUIT: quick stop;
     * SIGHUP: reload. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);

    static fa_retiring_t retiring;
    fa_respawn_due(cfg, pools);
    fa_log_info("master", "serving on %s with %d workers, sign-ins on %s with %d workers",
                cfg->socket_path, cfg->workers, cfg->signin_socket_path, cfg->signin_workers);

    int sig;
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
            break;
        if (sig == SIGHUP)
            fa_reload(cfg, pools, &retiring);
        fa_reap(pools, &retiring, false);
        fa_respawn_due(cfg, pools);
    }
    fa_log_info("master", "received %s, %s",
                sig == SIGTERM  ? "SIGTERM"
                : sig == SIGINT ? "SIGINT"
                                : "SIGQUIT",
                sig == SIGQUIT ? "finishing the requests in hand" : "draining");
    fa_pools_unlink(pools);
    fa_drain(pools, &retiring, sig == SIGQUIT ? SIGQUIT : SIGTERM, cfg->drain_seconds);
    fa_pools_close(pools);
    fa_log_info("master", "stopped");
    return 0;
}
