/* Owns: worker lifecycle. Never: touches the database or a request (libpq is
 * not fork-safe, so connections are made in the workers only). */
#include "server/master.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Workers of an earlier generation finishing their request after a reload
 * (SIGHUP): reaped, never restarted. Twice the slots: two quick reloads. */
typedef struct {
    pid_t pids[2 * FA_MAX_WORKERS];
    int count;
} fa_retiring_t;

/* The socket's path, if we created it, and which file it was: a stop
 * unlinks it only while it is still ours (a new instance may have replaced
 * it already). */
typedef struct {
    const char *path; /* NULL: inherited ("-", "systemd"), not ours to remove */
    dev_t dev;
    ino_t ino;
} fa_socket_file_t;

static void fa_spawn(const fa_config_t *cfg, int listen_fd, fa_slot_t *slots, int i)
{
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fa_log_error("master", "could not fork worker %d: %s", i, strerror(errno));
        slots[i].restart_at = fa_clock_monotonic() + 1.0;
        return;
    }
    if (pid == 0)
        fa_worker_main(cfg, listen_fd, i, master);
    slots[i].pid = pid;
    slots[i].started = fa_clock_monotonic();
    slots[i].restart_at = 0;
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
static void fa_reap_one(fa_slot_t *slots, int count, pid_t pid, int status, bool stopping)
{
    for (int i = 0; i < count; i++) {
        if (slots[i].pid != pid)
            continue;
        slots[i].pid = 0;
        if (stopping)
            return;
        double lived = fa_clock_monotonic() - slots[i].started;
        slots[i].backoff_ms = lived > 10.0          ? 0
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
        fa_log_warn("master", "worker %d (pid %d) died (%s); restarting in %ld ms", i, (int)pid,
                    how, slots[i].backoff_ms);
        return;
    }
}

static void fa_reap(fa_slot_t *slots, int count, fa_retiring_t *retiring, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (!fa_retiring_remove(retiring, pid))
            fa_reap_one(slots, count, pid, status, stopping);
}

static int fa_alive(const fa_slot_t *slots, int count, const fa_retiring_t *retiring)
{
    int n = retiring->count;
    for (int i = 0; i < count; i++)
        n += slots[i].pid > 0;
    return n;
}

static void fa_signal_all(const fa_slot_t *slots, int count, const fa_retiring_t *retiring, int sig)
{
    for (int i = 0; i < count; i++)
        if (slots[i].pid > 0)
            kill(slots[i].pid, sig);
    for (int i = 0; i < retiring->count; i++)
        kill(retiring->pids[i], sig);
}

/* SIGHUP (issue 15): a new generation of workers on the same listening
 * socket, then the old one told to finish the request in hand and exit
 * (SIGQUIT); what waits in the backlog meanwhile is the new generation's.
 * The configuration is the one the master started with: the environment of
 * a running process does not change, so settings need a restart. */
static void fa_reload(const fa_config_t *cfg, int listen_fd, fa_slot_t *slots, int count,
                      fa_retiring_t *retiring)
{
    int retired = 0, started = 0;
    for (int i = 0; i < count; i++) {
        pid_t old = slots[i].pid;
        if (old > 0 && retiring->count < (int)(sizeof retiring->pids / sizeof retiring->pids[0])) {
            retiring->pids[retiring->count++] = old;
            slots[i].pid = 0;
        }
        if (slots[i].pid == 0) {
            slots[i].backoff_ms = 0;
            fa_spawn(cfg, listen_fd, slots, i);
            started += slots[i].pid > 0;
        }
        if (old > 0 && slots[i].pid != old) {
            kill(old, SIGQUIT);
            retired++;
        }
    }
    fa_log_info("master", "reloaded: %d new worker(s), %d retiring", started, retired);
}

/* Drain: workers finish what they hold (and, on SIGTERM, what is queued)
 * and exit; stragglers past the drain budget are killed so a stop never
 * hangs. */
static void fa_drain(fa_slot_t *slots, int count, fa_retiring_t *retiring, int sig,
                     long drain_seconds)
{
    fa_signal_all(slots, count, retiring, sig);
    double deadline = fa_clock_monotonic() + (double)drain_seconds;
    while (fa_alive(slots, count, retiring) > 0 && fa_clock_monotonic() < deadline) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        fa_reap(slots, count, retiring, true);
    }
    if (fa_alive(slots, count, retiring) > 0) {
        fa_log_warn("master", "workers still busy after %ld s; killing them", drain_seconds);
        fa_signal_all(slots, count, retiring, SIGKILL);
        while (fa_alive(slots, count, retiring) > 0 && waitpid(-1, NULL, 0) > 0)
            fa_reap(slots, count, retiring, true);
        for (int i = 0; i < count; i++)
            slots[i].pid = 0;
        retiring->count = 0;
    }
}

static fa_socket_file_t fa_socket_file(const fa_config_t *cfg)
{
    fa_socket_file_t s = {0};
    struct stat st;
    if (strcmp(cfg->socket_path, "-") != 0 && strcmp(cfg->socket_path, "systemd") != 0 &&
        stat(cfg->socket_path, &st) == 0) {
        s = (fa_socket_file_t){cfg->socket_path, st.st_dev, st.st_ino};
    }
    return s;
}

/* First step of a stop: new connections fail at once at nginx instead of
 * joining a backlog nobody will serve. */
static void fa_socket_file_remove(const fa_socket_file_t *s)
{
    struct stat st;
    if (s->path && stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
}

int fa_master_run(const fa_config_t *cfg)
{
    char err[256];
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
    int listen_fd = fa_fcgi_listen(cfg->socket_path, cfg->socket_group, err, sizeof(err));
    if (listen_fd < 0) {
        fprintf(stderr, "foundry-auth: %s\n", err);
        return 1;
    }
    fa_socket_file_t socket_file = fa_socket_file(cfg);
    if (fa_metrics_init((size_t)cfg->workers, fa_route_count) < 0) {
        fprintf(stderr, "foundry-auth: could not map shared memory for metrics\n");
        return 1;
    }

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

    fa_slot_t slots[FA_MAX_WORKERS] = {0};
    fa_retiring_t retiring = {0};
    int count = cfg->workers;
    for (int i = 0; i < count; i++)
        fa_spawn(cfg, listen_fd, slots, i);
    fa_log_info("master", "serving on %s with %d workers", cfg->socket_path, count);

    int sig;
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
            break;
        if (sig == SIGHUP)
            fa_reload(cfg, listen_fd, slots, count, &retiring);
        fa_reap(slots, count, &retiring, false);
        double now = fa_clock_monotonic();
        for (int i = 0; i < count; i++)
            if (slots[i].pid == 0 && now >= slots[i].restart_at)
                fa_spawn(cfg, listen_fd, slots, i);
    }
    fa_log_info("master", "received %s, %s",
                sig == SIGTERM  ? "SIGTERM"
                : sig == SIGINT ? "SIGINT"
                                : "SIGQUIT",
                sig == SIGQUIT ? "finishing the requests in hand" : "draining");
    fa_socket_file_remove(&socket_file);
    fa_drain(slots, count, &retiring, sig == SIGQUIT ? SIGQUIT : SIGTERM, cfg->drain_seconds);
    close(listen_fd);
    fa_log_info("master", "stopped");
    return 0;
}
