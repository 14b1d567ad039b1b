/* Owns: worker lifecycle. Never: touches the database or a request (libpq is
 * not fork-safe, so connections are made in the workers only). */
#include "server/master.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/routes.h"
#include "http/fcgi.h"
#include "core/privileges.h"
#include "server/request_worker.h"

#define FA_MAX_WORKERS 64
#define FA_RESTART_BACKOFF_MAX_MS 5000

typedef struct {
    pid_t pid;
    double started;
    double restart_at; /* when a crashed slot may be refilled */
    long backoff_ms;
} fa_slot_t;

static void fa_spawn(const fa_config_t *cfg, int listen_fd, fa_slot_t *slots, int i)
{
    pid_t pid = fork();
    if (pid < 0) {
        fa_log_error("master", "could not fork worker %d: %s", i, strerror(errno));
        slots[i].restart_at = fa_clock_monotonic() + 1.0;
        return;
    }
    if (pid == 0)
        fa_worker_main(cfg, listen_fd, i);
    slots[i].pid = pid;
    slots[i].started = fa_clock_monotonic();
    slots[i].restart_at = 0;
}

/* A worker that dies young is restarted with a growing delay, so a crash loop
 * (bad config reaching a code path, a poisoned request) cannot spin the CPU. */
static void fa_reap(fa_slot_t *slots, int count, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < count; i++) {
            if (slots[i].pid != pid)
                continue;
            slots[i].pid = 0;
            if (stopping)
                break;
            double lived = fa_clock_monotonic() - slots[i].started;
            slots[i].backoff_ms = lived > 10.0 ? 0
                                  : slots[i].backoff_ms ? slots[i].backoff_ms * 2
                                                        : 100;
            if (slots[i].backoff_ms > FA_RESTART_BACKOFF_MAX_MS)
                slots[i].backoff_ms = FA_RESTART_BACKOFF_MAX_MS;
            slots[i].restart_at = fa_clock_monotonic() + slots[i].backoff_ms / 1000.0;
            fa_metrics_inc(FA_METRIC_WORKER_RESTARTS);
            char how[32];
            if (WIFSIGNALED(status))
                snprintf(how, sizeof(how), "signal %d", WTERMSIG(status));
            else
                snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
            fa_log_warn("master", "worker %d (pid %d) died (%s); restarting in %ld ms", i,
                        (int)pid, how, slots[i].backoff_ms);
        }
    }
}

static int fa_alive(const fa_slot_t *slots, int count)
{
    int n = 0;
    for (int i = 0; i < count; i++)
        n += slots[i].pid > 0;
    return n;
}

static void fa_signal_all(const fa_slot_t *slots, int count, int sig)
{
    for (int i = 0; i < count; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, sig);
}

/* Drain: workers finish the request in hand and exit; stragglers past the
 * drain budget are killed so a stop never hangs. */
static void fa_drain(fa_slot_t *slots, int count, long drain_seconds)
{
    fa_signal_all(slots, count, SIGTERM);
    double deadline = fa_clock_monotonic() + (double)drain_seconds;
    while (fa_alive(slots, count) > 0 && fa_clock_monotonic() < deadline) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        fa_reap(slots, count, true);
    }
    if (fa_alive(slots, count) > 0) {
        fa_log_warn("master", "workers still busy after %ld s; killing them", drain_seconds);
        fa_signal_all(slots, count, SIGKILL);
        while (fa_alive(slots, count) > 0 && waitpid(-1, NULL, 0) > 0)
            fa_reap(slots, count, true);
        for (int i = 0; i < count; i++)
            slots[i].pid = 0;
    }
}

int fa_master_run(const fa_config_t *cfg)
{
    char err[256];
    fa_log_nonblocking(); /* before fork: the workers share the non-blocking stderr */
    /* The master holds the configured secrets too; workers inherit this
     * across fork and set it again after dropping root. */
    fa_privileges_harden();
    if (geteuid() == 0 && !getpwnam(cfg->run_as_user)) {
        fprintf(stderr, "foundry-auth: FOUNDRY_AUTH_USER: no such user '%s' to run workers as\n",
                cfg->run_as_user);
        return 2;
    }
    int listen_fd = fa_fcgi_listen(cfg->socket_path, cfg->socket_group, err, sizeof(err));
    if (listen_fd < 0) {
        fprintf(stderr, "foundry-auth: %s\n", err);
        return 1;
    }
    if (fa_metrics_init((size_t)cfg->workers, fa_route_count) < 0) {
        fprintf(stderr, "foundry-auth: could not map shared memory for metrics\n");
        return 1;
    }

    /* Signals are taken synchronously with sigtimedwait: no handler races. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);

    fa_slot_t slots[FA_MAX_WORKERS] = {0};
    int count = cfg->workers;
    for (int i = 0; i < count; i++)
        fa_spawn(cfg, listen_fd, slots, i);
    fa_log_info("master", "serving on %s with %d workers", cfg->socket_path, count);

    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            fa_log_info("master", "received %s, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        fa_reap(slots, count, false);
        double now = fa_clock_monotonic();
        for (int i = 0; i < count; i++)
            if (slots[i].pid == 0 && now >= slots[i].restart_at)
                fa_spawn(cfg, listen_fd, slots, i);
    }
    fa_drain(slots, count, cfg->drain_seconds);
    if (cfg->socket_path[0] == '/')
        unlink(cfg->socket_path);
    close(listen_fd);
    fa_log_info("master", "stopped");
    return 0;
}
