/* Lifecycle suite (issue 15, items 3, 4 and the descriptor part of 6): the
 * master under the signals and environments a supervisor gives it. Each test
 * starts its own `foundry-auth serve` (own socket, 2 workers, its own
 * application_name so its database connections can be counted) so it can
 * signal, kill and starve it freely; the load goes through an nginx of the
 * suite's own (own_nginx.h) with the shipped FastCGI snippets, so what is
 * counted is what nginx got from the upstream. The main service is not
 * touched. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"
#include "harness.h"
#include "own_nginx.h"
#include "signin_helpers.h"

extern char **environ;

/* Two main workers and one sign-in worker (issue 15's second pool): the
 * master's children and the instance's database connections are all three. */
enum { FA_LC_WORKERS = 2, FA_LC_SIGNIN_WORKERS = 1, FA_LC_CLIENTS = 6, FA_LC_DRAIN_SECONDS = 5 };
enum { FA_LC_PROCS = FA_LC_WORKERS + FA_LC_SIGNIN_WORKERS };

/* One instance of the service, started by a test. */
typedef struct {
    pid_t master; /* -1 once reaped */
    pid_t group;  /* its process group: the workers too, orphans included */
    char *log;
} fa_lc_service_t;

static char *fa_lc_socket;  /* the instances' socket path (nginx's upstream) */
static char *fa_lc_appname; /* application_name of their database connections */
static fa_own_nginx_t fa_lc_nginx = {.pid = -1};
static fa_load_user_t fa_lc_user;
static bool fa_lc_user_ready;
static int fa_lc_runs;

/* ---- the instance ------------------------------------------------------ */

/* DATABASE_URL of the service with our application_name (key=value or URI). */
static char *fa_lc_database_url(void)
{
    char *url = fa_envfile_get("DATABASE_URL");
    FA_CHECK_FATAL(url != NULL, "FA_TEST_ENV_FILE has no DATABASE_URL");
    char *out;
    if (strncmp(url, "postgres", 8) == 0)
        out = fa_xasprintf("DATABASE_URL=%s%capplication_name=%s", url,
                           strchr(url, '?') ? '&' : '?', fa_lc_appname);
    else
        out = fa_xasprintf("DATABASE_URL=%s application_name=%s", url, fa_lc_appname);
    free(url);
    return out;
}

static char **fa_lc_environ(void)
{
    char *sock = fa_xasprintf("FOUNDRY_AUTH_SOCKET=%s", fa_lc_socket);
    char *workers = fa_xasprintf("FOUNDRY_AUTH_WORKERS=%d", FA_LC_WORKERS);
    char *drain = fa_xasprintf("FOUNDRY_AUTH_DRAIN_SECONDS=%d", FA_LC_DRAIN_SECONDS);
    char *db = fa_lc_database_url();
    const char *overrides[] = {sock, workers, "FOUNDRY_AUTH_SIGNIN_WORKERS=1", drain, db, NULL};
    char **envp = fa_envfile_environ(overrides);
    free(sock), free(workers), free(drain), free(db);
    return envp;
}

/* fds[0..2] become the child's 0..2 (-1: left closed); keep (>= 3, or -1) is
 * left open across exec as an inherited descriptor. Own process group, so a
 * cleanup can kill whatever is left of the instance. */
/* Every process group this suite started: the suite's cleanup kills them
 * all, so a test that stopped at a fatal check (before its own fa_lc_stop)
 * leaves no instance behind. */
static pid_t fa_lc_groups[32];
static size_t fa_lc_group_count;

static pid_t fa_lc_exec(const int fds[3], int keep)
{
    char **envp = fa_lc_environ();
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "serve", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int moved[3];
        for (int i = 0; i < 3; i++) /* above anything dup2 will overwrite */
            moved[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD_CLOEXEC, 10) : -1;
        for (int i = 0; i < 3; i++) {
            if (moved[i] >= 0)
                dup2(moved[i], i);
            else
                close(i);
        }
        if (keep >= 0)
            fcntl(keep, F_SETFD, 0);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    fa_strv_free(envp);
    if (pid > 0 && fa_lc_group_count < sizeof fa_lc_groups / sizeof fa_lc_groups[0])
        fa_lc_groups[fa_lc_group_count++] = pid;
    return pid;
}

static bool fa_lc_socket_accepts(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", fa_lc_socket);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static size_t fa_lc_workers(pid_t master, pid_t *out)
{
    return fa_proc_children(master, out, FA_MAX_WORKERS);
}

static long long fa_lc_db_connections(void)
{
    return fa_sql_int("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                      fa_lc_appname, NULL);
}

/* Up: the socket accepts, both workers run and hold their connection. */
static bool fa_lc_up(void *arg)
{
    pid_t master = *(pid_t *)arg, w[FA_MAX_WORKERS];
    return fa_proc_alive(master) && fa_lc_socket_accepts() &&
           fa_lc_workers(master, w) == FA_LC_PROCS && fa_lc_db_connections() == FA_LC_PROCS;
}

/* Starts an instance with stdout+stderr appended to its log. Fatal if it is
 * not up within 15 s. */
static void fa_lc_start(fa_lc_service_t *s)
{
    s->log =
        fa_xasprintf("%s/lifecycle-%d-%d.log", fa_env("FA_TEST_TMP"), (int)getpid(), ++fa_lc_runs);
    int log_fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    FA_CHECK_FATAL(log_fd >= 0 && null_fd >= 0, "cannot open %s", s->log);
    int fds[3] = {null_fd, log_fd, log_fd};
    s->master = s->group = fa_lc_exec(fds, -1);
    close(log_fd), close(null_fd);
    FA_CHECK_FATAL(s->master > 0 && fa_wait_until(15000, 50, fa_lc_up, &s->master),
                   "instance on %s not up within 15 s (log %s)", fa_lc_socket, s->log);
}

/* Leaves nothing behind whatever the test did: the group (master, workers,
 * orphans included) is killed, the master reaped. */
static void fa_lc_stop(fa_lc_service_t *s)
{
    if (s->master > 0) {
        kill(s->master, SIGTERM);
        if (fa_wait_pid(s->master, (FA_LC_DRAIN_SECONDS + 2) * 1000L) == -1)
            kill(s->master, SIGKILL);
        fa_wait_pid(s->master, 2000);
    }
    if (s->group > 0)
        kill(-s->group, SIGKILL);
    s->master = s->group = -1;
    free(s->log);
    s->log = NULL;
}

/* ---- the load ------------------------------------------------------------ */

typedef enum {
    FA_LC_OK,      /* 200 */
    FA_LC_REFUSED, /* nginx could not connect: the socket is gone (stopping) */
    FA_LC_FAILED,  /* anything else: an error after nginx handed the request over */
} fa_lc_outcome_t;

typedef struct {
    double sent, answered;
    fa_lc_outcome_t outcome;
    long status;
    char upstream[64]; /* "$upstream_connect_time $upstream_status" */
} fa_lc_record_t;

typedef struct {
    atomic_int stop;
    pthread_t threads[FA_LC_CLIENTS];
    pthread_mutex_t lock;
    fa_lc_record_t *records;
    size_t count, cap;
    char *url;
} fa_lc_load_t;

/* nginx's view of one answer (the X-Lifecycle-Upstream header of our nginx):
 * a connect time of "-" means nginx never got a connection. */
static fa_lc_outcome_t fa_lc_classify(const fa_http_response_t *r, char *upstream, size_t len)
{
    const char *h = fa_http_header(r, "X-Lifecycle-Upstream");
    snprintf(upstream, len, "%s", h ? h : "(none)");
    if (r->status == 200)
        return FA_LC_OK;
    if (r->status == 502 && h && h[0] == '-')
        return FA_LC_REFUSED;
    return FA_LC_FAILED;
}

static void *fa_lc_client(void *arg)
{
    fa_lc_load_t *l = arg;
    while (!atomic_load(&l->stop)) {
        fa_lc_record_t rec = {.sent = fa_now()};
        fa_http_response_t *r = fa_bearer_request("GET", l->url, fa_lc_user.valid_token, NULL);
        rec.answered = fa_now();
        rec.status = r->status;
        rec.outcome = fa_lc_classify(r, rec.upstream, sizeof rec.upstream);
        fa_http_response_free(r);
        pthread_mutex_lock(&l->lock);
        if (l->count == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 1024;
            l->records = realloc(l->records, l->cap * sizeof *l->records);
            if (l->records == NULL)
                abort();
        }
        l->records[l->count++] = rec;
        pthread_mutex_unlock(&l->lock);
        if (rec.outcome == FA_LC_REFUSED)
            fa_sleep_ms(5); /* the socket is gone: do not spin */
    }
    return NULL;
}

static fa_lc_load_t *fa_lc_load_start(void)
{
    fa_lc_load_t *l = calloc(1, sizeof *l);
    if (l == NULL)
        abort();
    pthread_mutex_init(&l->lock, NULL);
    l->url = fa_own_nginx_url(&fa_lc_nginx, "/v1/auth/session");
    for (int i = 0; i < FA_LC_CLIENTS; i++)
        if (pthread_create(&l->threads[i], NULL, fa_lc_client, l) != 0)
            abort();
    return l;
}

static void fa_lc_load_stop(fa_lc_load_t *l)
{
    atomic_store(&l->stop, 1);
    for (int i = 0; i < FA_LC_CLIENTS; i++)
        pthread_join(l->threads[i], NULL);
}

static void fa_lc_load_free(fa_lc_load_t *l)
{
    pthread_mutex_destroy(&l->lock);
    free(l->records);
    free(l->url);
    free(l);
}

typedef struct {
    long total, ok, refused, failed;
    long spanning; /* sent before `at`, answered after it */
    long after;    /* sent after `at` */
    const fa_lc_record_t *first_failed;
} fa_lc_summary_t;

static void fa_lc_summarize(const fa_lc_load_t *l, double at, fa_lc_summary_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < l->count; i++) {
        const fa_lc_record_t *r = &l->records[i];
        out->total++;
        out->ok += r->outcome == FA_LC_OK;
        out->refused += r->outcome == FA_LC_REFUSED;
        if (r->outcome == FA_LC_FAILED) {
            out->failed++;
            if (out->first_failed == NULL)
                out->first_failed = r;
        }
        out->spanning += r->sent < at && r->answered > at && r->outcome != FA_LC_REFUSED;
        out->after += r->sent >= at;
    }
}

/* ---- suite set-up --------------------------------------------------------- */

static int fa_lc_init(void)
{
    fa_lc_socket = fa_xasprintf("%s/lifecycle-%d.sock", fa_env("FA_TEST_TMP"), (int)getpid());
    fa_lc_appname = fa_xasprintf("fa-lifecycle-%d", (int)getpid());
    return 0;
}

static int fa_lc_cleanup(void)
{
    for (size_t i = 0; i < fa_lc_group_count; i++)
        kill(-fa_lc_groups[i], SIGKILL);
    fa_own_nginx_stop(&fa_lc_nginx);
    if (fa_lc_user_ready)
        fa_load_user_free(&fa_lc_user);
    unlink(fa_lc_socket);
    free(fa_lc_socket), free(fa_lc_appname);
    return 0;
}

/* The suite's nginx (started once, with the first instance up) and user.
 * The location is the shipped FastCGI hand-over without the error pages,
 * plus a header saying whether nginx connected to the upstream. */
static void fa_lc_prepare(void)
{
    if (!fa_lc_user_ready) {
        fa_load_user_new(&fa_lc_user, "lifecycle");
        fa_lc_user_ready = true;
    }
    if (fa_lc_nginx.pid > 0)
        return;
    fa_lc_nginx.socket = fa_lc_socket;
    bool up = fa_own_nginx_start(
        &fa_lc_nginx, "lifecycle", 1, "",
        "        location / {\n"
        "            include snippets/foundry-auth-fastcgi.conf;\n"
        "            add_header X-Lifecycle-Upstream \"$upstream_connect_time $upstream_status\" "
        "always;\n"
        "        }");
    FA_CHECK_FATAL(up, "the lifecycle suite's nginx did not start");
}

/* ---- tests ------------------------------------------------------------- */

static bool fa_lc_generation_replaced(void *arg)
{
    const pid_t *old = arg; /* master, then the old workers */
    pid_t now[FA_MAX_WORKERS];
    size_t n = fa_lc_workers(old[0], now);
    if (n != FA_LC_PROCS)
        return false;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 1; j <= FA_LC_PROCS; j++)
            if (now[i] == old[j] || fa_proc_alive(old[j]))
                return false;
    return true;
}

static bool fa_lc_pid_gone(void *arg)
{
    return !fa_proc_alive(*(pid_t *)arg);
}

static void test_sighup_reloads_under_load(void)
{
    fa_lc_service_t s = {0};
    fa_lc_start(&s);
    fa_lc_prepare();
    pid_t old[1 + FA_MAX_WORKERS] = {s.master};
    FA_CHECK_FATAL(fa_lc_workers(s.master, old + 1) == FA_LC_PROCS, "workers before SIGHUP");

    fa_lc_load_t *l = fa_lc_load_start();
    fa_sleep_ms(700);
    double hup = fa_now();
    kill(s.master, SIGHUP);
    bool replaced = fa_wait_until(10000, 20, fa_lc_generation_replaced, old);
    double replaced_at = fa_now();
    fa_sleep_ms(700);
    fa_lc_load_stop(l);

    fa_lc_summary_t sum;
    fa_lc_summarize(l, hup, &sum);
    fprintf(stderr,
            "\n    SIGHUP under %d clients: %ld requests, %ld in flight at the signal, %ld sent "
            "after it, new generation in %.0f ms; %ld failed, %ld refused\n",
            FA_LC_CLIENTS, sum.total, sum.spanning, sum.after, (replaced_at - hup) * 1000.0,
            sum.failed, sum.refused);
    FA_CHECK(fa_proc_alive(s.master), "the master died of SIGHUP (log %s)", s.log);
    FA_CHECK(replaced,
             "SIGHUP: workers %d and %d were not replaced by a new generation within "
             "10 s",
             (int)old[1], (int)old[2]);
    FA_CHECK(sum.spanning > 0,
             "no request was in flight when SIGHUP was sent: the race did not run");
    FA_CHECK(sum.after > 0, "no request sent after SIGHUP");
    FA_CHECK(sum.failed == 0 && sum.refused == 0,
             "SIGHUP under load: %ld of %ld requests failed and %ld were refused (first: %ld, "
             "upstream \"%s\")",
             sum.failed, sum.total, sum.refused, sum.first_failed ? sum.first_failed->status : 0,
             sum.first_failed ? sum.first_failed->upstream : "");
    fa_lc_load_free(l);

    /* Still supervising: a worker of the new generation killed is replaced. */
    pid_t now[FA_MAX_WORKERS];
    if (replaced && fa_lc_workers(s.master, now) == FA_LC_PROCS) {
        pid_t gone[1 + FA_MAX_WORKERS] = {s.master, now[0], -1};
        kill(now[0], SIGKILL);
        bool again = fa_wait_until(5000, 20, fa_lc_generation_replaced, gone);
        FA_CHECK(again, "after a reload, a killed worker (pid %d) was not restarted", (int)now[0]);
    }
    fa_lc_stop(&s);
}

static void test_sigterm_serves_what_was_handed_over(void)
{
    fa_lc_service_t s = {0};
    fa_lc_start(&s);
    fa_lc_prepare();
    fa_lc_load_t *l = fa_lc_load_start();
    fa_sleep_ms(700);
    double term = fa_now();
    kill(s.master, SIGTERM);
    int code = fa_wait_pid(s.master, (FA_LC_DRAIN_SECONDS + 3) * 1000L);
    double stopped = fa_now();
    fa_sleep_ms(300);
    fa_lc_load_stop(l);

    fa_lc_summary_t sum;
    fa_lc_summarize(l, term, &sum);
    long served_after = 0; /* handed over before the stop, answered 200 after it */
    for (size_t i = 0; i < l->count; i++)
        served_after += l->records[i].outcome == FA_LC_OK && l->records[i].answered > term;
    fprintf(stderr,
            "\n    SIGTERM under %d clients: %ld requests; %ld handed over and answered after the "
            "signal, %ld in flight at it; stop took %.0f ms; %ld failed after hand-over, %ld "
            "refused at connect (expected once the socket is gone)\n",
            FA_LC_CLIENTS, sum.total, served_after, sum.spanning, (stopped - term) * 1000.0,
            sum.failed, sum.refused);
    FA_CHECK(code == 0, "SIGTERM: expected exit 0 within %d s, got %d", FA_LC_DRAIN_SECONDS + 3,
             code);
    FA_CHECK(sum.spanning > 0,
             "no request was in flight when SIGTERM was sent: the race did not run");
    FA_CHECK(sum.failed == 0,
             "SIGTERM under load: %ld request(s) nginx had handed over failed (first: %ld, "
             "upstream \"%s\")",
             sum.failed, sum.first_failed ? sum.first_failed->status : 0,
             sum.first_failed ? sum.first_failed->upstream : "");
    FA_CHECK(sum.refused > 0, "no request was refused after the stop: the load did not outlive it");
    struct stat st;
    FA_CHECK(stat(fa_lc_socket, &st) != 0, "the socket %s is still there after the stop",
             fa_lc_socket);
    fa_lc_load_free(l);
    if (code != -1)
        s.master = -1; /* reaped */
    fa_lc_stop(&s);
}

static void test_sigquit_stops_quickly(void)
{
    fa_lc_service_t s = {0};
    fa_lc_start(&s);
    pid_t w[FA_MAX_WORKERS];
    size_t n = fa_lc_workers(s.master, w);
    kill(s.master, SIGQUIT);
    int code = fa_wait_pid(s.master, 3000);
    FA_CHECK(code == 0, "SIGQUIT: expected exit 0 within 3 s, got %d", code);
    for (size_t i = 0; i < n; i++)
        FA_CHECK(fa_wait_until(1000, 20, fa_lc_pid_gone, &w[i]),
                 "worker %d still runs after the master stopped on SIGQUIT", (int)w[i]);
    if (code != -1)
        s.master = -1;
    fa_lc_stop(&s);
}

typedef struct {
    pid_t workers[FA_MAX_WORKERS];
    size_t n;
} fa_lc_orphans_t;

static bool fa_lc_all_gone(void *arg)
{
    const fa_lc_orphans_t *o = arg;
    for (size_t i = 0; i < o->n; i++)
        if (fa_proc_alive(o->workers[i]))
            return false;
    return fa_lc_db_connections() == 0;
}

static void test_sigkill_leaves_nothing_behind(void)
{
    fa_lc_service_t s = {0};
    fa_lc_start(&s);
    fa_lc_orphans_t o;
    o.n = fa_lc_workers(s.master, o.workers);
    long long before = fa_lc_db_connections();
    /* A second is the requirement; an AddressSanitizer build runs its leak
     * check at exit, which takes longer on two shared cores. */
    long bound_ms = fa_service_is_asan() ? 3000 : 1000;
    double t0 = fa_now();
    kill(s.master, SIGKILL);
    bool gone = fa_wait_until(bound_ms, 10, fa_lc_all_gone, &o);
    fprintf(stderr, "\n    master SIGKILLed: workers and connections %s after %.0f ms\n",
            gone ? "gone" : "still there", (fa_now() - t0) * 1000.0);
    FA_CHECK(before == FA_LC_PROCS, "expected %d database connections before, saw %lld",
             FA_LC_PROCS, before);
    FA_CHECK(gone,
             "master killed with SIGKILL: after %ld ms %zu worker(s) were alive and %lld database "
             "connection(s) open",
             bound_ms, o.n, fa_lc_db_connections());
    fa_lc_stop(&s);
}

static bool fa_lc_worker_replaced(void *arg)
{
    const pid_t *old = arg; /* master, killed worker */
    pid_t w[FA_MAX_WORKERS];
    size_t n = fa_lc_workers(old[0], w);
    for (size_t i = 0; i < n; i++)
        if (w[i] == old[1])
            return false;
    return n == FA_LC_PROCS;
}

static void test_master_survives_its_log_reader_leaving(void)
{
    int p[2];
    FA_CHECK_FATAL(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[3] = {null_fd, p[1], p[1]};
    pid_t pid = fa_lc_exec(fds, -1);
    fa_lc_service_t s = {.master = pid, .group = pid};
    close(p[1]), close(null_fd);
    bool up = fa_wait_until(15000, 50, fa_lc_up, &s.master);
    close(p[0]); /* the reader goes away (journald restarted) */
    FA_CHECK_FATAL(up, "instance with stderr on a pipe not up within 15 s");
    pid_t w[FA_MAX_WORKERS];
    FA_CHECK_FATAL(fa_lc_workers(s.master, w) == FA_LC_PROCS, "workers");
    /* The master logs the death and the restart: its next lines. */
    kill(w[0], SIGKILL);
    pid_t old[2] = {s.master, w[0]};
    bool replaced = fa_wait_until(5000, 20, fa_lc_worker_replaced, old);
    FA_CHECK(fa_proc_alive(s.master), "the master died writing to a log pipe nobody reads");
    FA_CHECK(replaced, "the killed worker %d was not restarted", (int)w[0]);
    fa_lc_stop(&s);
}

/* What /proc/<pid>/fd/<fd> points to ("" when it is not open). */
static void fa_lc_fd_target(pid_t pid, int fd, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, out, len - 1);
    out[n > 0 ? n : 0] = '\0';
}

static void test_closed_stdio_and_inherited_fds(void)
{
    /* A descriptor the launching shell left open: a pipe end, at a number
     * the service would not use for itself, found by what it points to. */
    int leak[2];
    FA_CHECK_FATAL(pipe2(leak, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    int inherited_fd = fcntl(leak[1], F_DUPFD_CLOEXEC, 50);
    char leaked[256];
    fa_lc_fd_target(getpid(), inherited_fd, leaked, sizeof leaked);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[3] = {null_fd, -1, -1}; /* stdout and stderr closed */
    pid_t pid = fa_lc_exec(fds, inherited_fd);
    fa_lc_service_t s = {.master = pid, .group = pid};
    close(null_fd);
    bool up = fa_wait_until(15000, 50, fa_lc_up, &s.master);
    FA_CHECK_FATAL(up, "instance started with stdout and stderr closed not up within 15 s");
    pid_t procs[1 + FA_MAX_WORKERS] = {s.master};
    size_t n = 1 + fa_lc_workers(s.master, procs + 1);
    for (size_t i = 0; i < n; i++) {
        const char *who = i ? "worker" : "master";
        for (int fd = 0; fd <= 2; fd++) {
            char target[256];
            fa_lc_fd_target(procs[i], fd, target, sizeof target);
            FA_CHECK(strcmp(target, "/dev/null") == 0, "%s %d: fd %d is \"%s\", expected /dev/null",
                     who, (int)procs[i], fd, target);
        }
        for (int fd = 3; fd < 64; fd++) {
            char target[256];
            fa_lc_fd_target(procs[i], fd, target, sizeof target);
            FA_CHECK(strcmp(target, leaked) != 0,
                     "%s %d kept the inherited descriptor (%s) as fd %d", who, (int)procs[i],
                     leaked, fd);
        }
    }
    close(leak[0]), close(leak[1]), close(inherited_fd);
    fa_lc_stop(&s);
}

void fa_register_lifecycle_suite(void)
{
    CU_pSuite s = fa_suite_add("lifecycle", fa_lc_init, fa_lc_cleanup);
    fa_test_add(s, "SIGHUP under load: a new generation, no request lost",
                test_sighup_reloads_under_load);
    fa_test_add(s, "SIGTERM under load: nothing nginx handed over fails",
                test_sigterm_serves_what_was_handed_over);
    fa_test_add(s, "SIGQUIT: a quick, clean stop", test_sigquit_stops_quickly);
    fa_test_add(s, "master SIGKILLed: no worker, no database connection left",
                test_sigkill_leaves_nothing_behind);
    fa_test_add(s, "the master survives its log reader going away (SIGPIPE)",
                test_master_survives_its_log_reader_leaving);
    fa_test_add(s, "started with stdout/stderr closed and an inherited fd",
                test_closed_stdio_and_inherited_fds);
}
