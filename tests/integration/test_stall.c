/* Stall suite (issue 15, items 2 and 6): PostgreSQL backends that stop
 * answering, simulated with SIGSTOP (a frozen host, a partition that drops
 * nothing). A service instance of the suite's own, with a 1 s database
 * deadline, behind an nginx of its own with the shipped snippets, so the
 * main service keeps its defaults; a job process of its own too. Their
 * backends are found in pg_stat_activity by application_name (PGAPPNAME).
 *
 * Every stopped backend is resumed in every path: at the end of each test,
 * in the suite's cleanup and at exit, so a failed check never leaves the
 * cluster with a frozen backend. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faults.h"
#include "identity_helpers.h"
#include "own_nginx.h"
#include "signin_helpers.h"

#define FA_STALL_DEADLINE_MS 1000
/* The deadline, PQcancel's round trip to a local postmaster (a few ms),
 * nginx and curl; the rest is slack for two shared cores, ASan and the
 * other processes of the test machine. Today's code never answers. */
#define FA_STALL_ANSWER_BOUND_S 3.0
/* After SIGTERM a call waits at most 1 s more (FA_DB_STOP_GRACE_MS), then
 * the process exits; 2 s of slack for a loaded machine. Its deadline is 30 s,
 * so only the stop signal's pipe can make this bound. */
#define FA_STALL_STOP_BOUND_S 3.0

/* One worker per probe: the session check and the snapshot (prepared
 * statements) and /readyz (an unprepared one, the path BEGIN and COMMIT take). */
/* Every instance runs one sign-in worker beside its main workers (issue 15's
 * second pool): it connects at start like they do, but no probe here goes
 * to it, so its backend, once resumed, stays. */
enum { FA_STALL_MAX_STOPPED = 16, FA_STALL_WORKERS = 3, FA_STALL_SIGNIN_WORKERS = 1 };

static fa_instance_t fa_stall_service;
static fa_own_nginx_t fa_stall_nginx = {.pid = -1};
static fa_load_user_t fa_stall_user;
static char fa_stall_app[64];
static pid_t fa_stall_jobs = -1;

/* Backends stopped with SIGSTOP and not yet resumed. */
static pid_t fa_stopped[FA_STALL_MAX_STOPPED];
static size_t fa_stopped_count;

static void fa_stall_resume_all(void)
{
    for (size_t i = 0; i < fa_stopped_count; i++)
        kill(fa_stopped[i], SIGCONT);
    fa_stopped_count = 0;
}

static bool fa_stall_stop_backend(pid_t pid)
{
    if (fa_stopped_count == FA_STALL_MAX_STOPPED)
        return false;
    fa_stopped[fa_stopped_count++] = pid; /* recorded first: resumed even if kill half-failed */
    return kill(pid, SIGSTOP) == 0;
}

/* PostgreSQL backends whose application_name is app, sorted; returns the count. */
static size_t fa_stall_backends(const char *app, pid_t *out, size_t max)
{
    char *list = fa_sql_text("SELECT string_agg(pid::text, ',' ORDER BY pid) FROM "
                             "pg_stat_activity WHERE application_name = $1",
                             app, NULL);
    size_t n = 0;
    for (char *save = NULL, *p = list ? strtok_r(list, ",", &save) : NULL; p && n < max;
         p = strtok_r(NULL, ",", &save))
        out[n++] = (pid_t)atol(p);
    free(list);
    return n;
}

typedef struct {
    const char *app;
    size_t want;
} fa_backend_wait_t;

static bool fa_stall_backends_are(void *arg)
{
    const fa_backend_wait_t *w = arg;
    pid_t pids[FA_STALL_MAX_STOPPED];
    return fa_stall_backends(w->app, pids, FA_STALL_MAX_STOPPED) == w->want;
}

static bool fa_stall_contains(const pid_t *pids, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* The signed-in user the requests carry, made on first use (inside a test,
 * where its fatal checks belong). */
static void fa_stall_user_ready(void)
{
    if (!fa_stall_user.valid_token)
        fa_load_user_new(&fa_stall_user, "stall");
}

static fa_http_response_t *fa_stall_get(const char *path)
{
    char *url = fa_own_nginx_url(&fa_stall_nginx, path);
    fa_http_response_t *r = fa_bearer_request("GET", url, fa_stall_user.valid_token, NULL);
    free(url);
    return r;
}

static size_t fa_stall_log_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static size_t fa_stall_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static bool fa_stall_start_service(const char *const *extra)
{
    char *app = fa_xasprintf("PGAPPNAME=%s", fa_stall_app);
    char *deadline = fa_xasprintf("FOUNDRY_AUTH_DB_TIMEOUT_MS=%d", FA_STALL_DEADLINE_MS);
    char *workers = fa_xasprintf("FOUNDRY_AUTH_WORKERS=%d", FA_STALL_WORKERS);
    const char *overrides[12] = {workers, "FOUNDRY_AUTH_SOCKET_GROUP=www-data", deadline, app,
                                 "FOUNDRY_AUTH_SIGNIN_WORKERS=1"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 11; i++)
        overrides[n++] = extra[i];
    overrides[n] = NULL;
    bool up = fa_instance_start(&fa_stall_service, "stall", overrides);
    free(app);
    free(deadline);
    free(workers);
    return up;
}

static int fa_stall_cleanup(void);

/* CUnit runs no cleanup after a failed init: undo what was started here. */
static int fa_stall_init(void)
{
    snprintf(fa_stall_app, sizeof fa_stall_app, "fa-stall-%d", (int)getpid());
    atexit(fa_stall_resume_all);
    if (!fa_stall_start_service(NULL)) {
        fprintf(stderr, "stall: the service instance did not start (log %s)\n",
                fa_stall_service.log);
        fa_stall_cleanup();
        return 1;
    }
    fa_stall_nginx.socket = fa_stall_service.socket;
    /* The shipped zone's rate would turn the suite's bursts into 429s. */
    if (!fa_own_nginx_start(
            &fa_stall_nginx, "stall", 1,
            "    limit_req_zone $binary_remote_addr zone=foundry_auth_auth:1m rate=10000r/s;\n"
            "    include snippets/foundry-auth-protect-maps.conf;",
            "        include snippets/foundry-auth-locations.conf;")) {
        fa_stall_cleanup();
        return 1;
    }
    return 0;
}

static int fa_stall_cleanup(void)
{
    fa_stall_resume_all();
    if (fa_stall_jobs > 0 && fa_proc_alive(fa_stall_jobs)) {
        kill(fa_stall_jobs, SIGKILL);
        fa_wait_pid(fa_stall_jobs, 2000);
    }
    fa_own_nginx_stop(&fa_stall_nginx);
    fa_instance_stop(&fa_stall_service);
    fa_load_user_free(&fa_stall_user);
    return 0;
}

/* ---- requests while every worker's backend is stopped ------------------- */

typedef struct {
    const char *path;
    long status;
    char error[64];
    double seconds;
} fa_stall_probe_t;

static void *fa_stall_probe(void *arg)
{
    fa_stall_probe_t *p = arg;
    fa_http_response_t *r = fa_stall_get(p->path);
    p->status = r->status;
    p->seconds = r->seconds;
    char *e = fa_http_json_string(r, "error");
    snprintf(p->error, sizeof p->error, "%s", e ? e : "(none)");
    free(e);
    fa_http_response_free(r);
    return NULL;
}

static bool fa_stall_all_ok(void *arg)
{
    (void)arg;
    static const char *const paths[] = {"/v1/auth/session", "/v1/app/snapshot", "/v1/auth/session",
                                        "/v1/app/snapshot"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        fa_http_response_t *r = fa_stall_get(paths[i]);
        bool ok = r->status == 200;
        fa_http_response_free(r);
        if (!ok)
            return false;
    }
    return true;
}

static void test_stalled_backends_answer_503_then_recover(void)
{
    fa_stall_user_ready();
    size_t log_offset = fa_stall_log_size(fa_stall_service.log);
    fa_backend_wait_t all = {fa_stall_app, FA_STALL_WORKERS + FA_STALL_SIGNIN_WORKERS};
    FA_CHECK_FATAL(fa_wait_until(10000, 50, fa_stall_backends_are, &all),
                   "the instance's %d workers did not all connect (application_name %s)",
                   FA_STALL_WORKERS + FA_STALL_SIGNIN_WORKERS, fa_stall_app);
    FA_CHECK_FATAL(fa_stall_all_ok(NULL),
                   "session and snapshot do not answer 200 before the stall");
    pid_t before[FA_STALL_MAX_STOPPED];
    size_t n = fa_stall_backends(fa_stall_app, before, FA_STALL_MAX_STOPPED);
    bool stopped = true;
    for (size_t i = 0; i < n; i++)
        stopped = fa_stall_stop_backend(before[i]) && stopped;

    /* One request per worker: each waits on its own frozen backend. */
    fa_stall_probe_t probes[FA_STALL_WORKERS] = {
        {.path = "/v1/auth/session"}, {.path = "/v1/app/snapshot"}, {.path = "/readyz"}};
    pthread_t th[FA_STALL_WORKERS];
    for (size_t i = 0; i < FA_STALL_WORKERS; i++)
        if (pthread_create(&th[i], NULL, fa_stall_probe, &probes[i]) != 0)
            abort();
    for (size_t i = 0; i < FA_STALL_WORKERS; i++)
        pthread_join(th[i], NULL);

    /* Still frozen: the workers answer on fresh connections. */
    double t0 = fa_now();
    bool fresh = fa_wait_until(5000, 20, fa_stall_all_ok, NULL);
    double fresh_s = fa_now() - t0;
    pid_t during[FA_STALL_MAX_STOPPED];
    size_t m = fa_stall_backends(fa_stall_app, during, FA_STALL_MAX_STOPPED);
    size_t new_backends = 0;
    for (size_t i = 0; i < m; i++)
        new_backends += !fa_stall_contains(before, n, during[i]);

    /* Resumed, a stopped backend finds the cancel and the closed socket. */
    fa_stall_resume_all();
    double t1 = fa_now();
    fa_backend_wait_t replaced = {fa_stall_app, new_backends + FA_STALL_SIGNIN_WORKERS};
    bool gone = fa_wait_until(5000, 50, fa_stall_backends_are, &replaced);
    double gone_s = fa_now() - t1;
    bool still_ok = fa_stall_all_ok(NULL);

    FA_CHECK(n == FA_STALL_WORKERS + FA_STALL_SIGNIN_WORKERS && stopped,
             "stopped %zu backends (want %d): %s", n, FA_STALL_WORKERS + FA_STALL_SIGNIN_WORKERS,
             stopped ? "ok" : "kill -STOP failed");
    for (size_t i = 0; i < FA_STALL_WORKERS; i++) {
        FA_CHECK(probes[i].status == 503 && strcmp(probes[i].error, "database_timeout") == 0,
                 "GET %s with its backend stopped: expected 503 database_timeout, got %ld %s "
                 "after %.2f s",
                 probes[i].path, probes[i].status, probes[i].error, probes[i].seconds);
        FA_CHECK(probes[i].seconds < FA_STALL_ANSWER_BOUND_S,
                 "GET %s with its backend stopped answered after %.2f s (deadline %d ms, bound "
                 "%.1f s)",
                 probes[i].path, probes[i].seconds, FA_STALL_DEADLINE_MS, FA_STALL_ANSWER_BOUND_S);
    }
    FA_CHECK(fresh, "no 200s on fresh connections within 5 s while the old backends were stopped");
    FA_CHECK(new_backends >= 1, "no new backend for %s while the old ones were stopped",
             fa_stall_app);
    FA_CHECK(gone, "the stopped backends were still there 5 s after SIGCONT");
    FA_CHECK(still_ok, "session and snapshot do not answer 200 after the backends resumed");
    char *log = fa_file_read(fa_stall_service.log, NULL);
    char *since = log && strlen(log) >= log_offset ? log + log_offset : log;
    char *needle = fa_xasprintf("no answer within %d ms", FA_STALL_DEADLINE_MS);
    FA_CHECK(fa_stall_count(since, needle) >= FA_STALL_WORKERS,
             "the instance log does not say \"%s\" for each worker", needle);
    free(needle);
    free(log);
    printf("\n    stalled backends: %zu stopped (deadline %d ms);", n, FA_STALL_DEADLINE_MS);
    for (size_t i = 0; i < FA_STALL_WORKERS; i++)
        printf(" %s %ld %s in %.2f s;", probes[i].path, probes[i].status, probes[i].error,
               probes[i].seconds);
    printf(" 200s on %zu fresh connection(s) %.2f s later; stopped backends gone %.2f s after "
           "SIGCONT\n",
           new_backends, fresh_s, gone_s);
}

/* ---- the job process stops whatever its backend does --------------------- */

static bool fa_stall_jobs_listening(void *arg)
{
    char *log = fa_file_read(arg, NULL);
    bool ok = log && strstr(log, "listening on channel") != NULL;
    free(log);
    return ok;
}

static void test_jobs_stop_with_their_backend_stopped(void)
{
    char *app = fa_xasprintf("%s-jobs", fa_stall_app);
    char *app_env = fa_xasprintf("PGAPPNAME=%s", app);
    char *log = fa_xasprintf("%s/stall-jobs-%d.log", fa_env("FA_TEST_TMP"), (int)getpid());
    unlink(log);
    const char *overrides[] = {app_env, "FOUNDRY_AUTH_DB_TIMEOUT_MS=30000", NULL};
    char **envp = fa_envfile_environ(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_BIN"), "jobs", NULL};
    fa_stall_jobs = fa_spawn(argv, envp, log);
    fa_strv_free(envp);
    FA_CHECK_FATAL(fa_stall_jobs > 0 && fa_wait_until(15000, 50, fa_stall_jobs_listening, log),
                   "the suite's job process did not start listening (log %s)", log);
    fa_backend_wait_t one = {app, 1};
    FA_CHECK_FATAL(fa_wait_until(5000, 50, fa_stall_backends_are, &one),
                   "no backend with application_name %s", app);
    pid_t backend;
    fa_stall_backends(app, &backend, 1);
    bool stopped = fa_stall_stop_backend(backend);
    /* Three job polls (FOUNDRY_JOBS_POLL_MS=500 in the test environment): it
     * is waiting on its frozen backend by now. */
    fa_sleep_ms(1500);
    double t0 = fa_now();
    kill(fa_stall_jobs, SIGTERM);
    int rc = fa_wait_pid(fa_stall_jobs, 5000);
    double took = fa_now() - t0;
    fa_stall_resume_all();
    if (rc == -1) {
        fa_wait_pid(fa_stall_jobs, 3000); /* resumed: today's code exits now */
        if (fa_proc_alive(fa_stall_jobs)) {
            kill(fa_stall_jobs, SIGKILL);
            fa_wait_pid(fa_stall_jobs, 2000);
        }
    }
    fa_stall_jobs = -1;
    FA_CHECK(stopped, "kill -STOP %d (the job process's backend) failed", (int)backend);
    FA_CHECK(rc == 0,
             "the job process with its backend stopped: exit %d after SIGTERM (-1 = "
             "still running after 5 s)",
             rc);
    FA_CHECK(rc == -1 || took < FA_STALL_STOP_BOUND_S,
             "the job process took %.2f s to stop on SIGTERM (bound %.1f s)", took,
             FA_STALL_STOP_BOUND_S);
    printf("\n    job process with its backend stopped: exit %d %.3f s after SIGTERM\n", rc, took);
    free(app);
    free(app_env);
    free(log);
}

/* ---- a worker stops whatever its backend does ---------------------------- */

typedef struct {
    fa_stall_probe_t probe;
    double answered; /* fa_now() */
} fa_stall_timed_t;

static void *fa_stall_timed_probe(void *arg)
{
    fa_stall_timed_t *t = arg;
    fa_stall_probe(&t->probe);
    t->answered = fa_now();
    return NULL;
}

/* The instance again, one worker, a 20 s deadline: only the stop signal's
 * pipe can end the wait within the bound. Today's worker waits until the
 * master's drain (10 s) kills it, and nginx answers 502. */
static void test_worker_stops_with_its_backend_stopped(void)
{
    fa_stall_user_ready();
    fa_instance_stop(&fa_stall_service);
    const char *extra[] = {"FOUNDRY_AUTH_WORKERS=1", "FOUNDRY_AUTH_DB_TIMEOUT_MS=20000", NULL};
    FA_CHECK_FATAL(fa_stall_start_service(extra), "the one-worker instance did not start");
    fa_backend_wait_t two = {fa_stall_app, 1 + FA_STALL_SIGNIN_WORKERS};
    FA_CHECK_FATAL(fa_wait_until(10000, 50, fa_stall_backends_are, &two),
                   "the main and sign-in workers' backends are not the only ones of %s",
                   fa_stall_app);
    fa_http_response_t *warm = fa_stall_get("/v1/auth/session");
    long warm_status = warm->status;
    fa_http_response_free(warm);
    FA_CHECK_FATAL(warm_status == 200, "GET /v1/auth/session before the stall: %ld", warm_status);
    pid_t backends[1 + FA_STALL_SIGNIN_WORKERS];
    size_t found = fa_stall_backends(fa_stall_app, backends, 1 + FA_STALL_SIGNIN_WORKERS);
    bool stopped = found == 1 + FA_STALL_SIGNIN_WORKERS;
    for (size_t i = 0; i < found; i++)
        stopped = fa_stall_stop_backend(backends[i]) && stopped;
    fa_stall_timed_t t = {.probe = {.path = "/v1/auth/session"}};
    pthread_t th;
    if (pthread_create(&th, NULL, fa_stall_timed_probe, &t) != 0)
        abort();
    fa_sleep_ms(500); /* the request is waiting on the frozen backend */
    double t0 = fa_now();
    kill(fa_stall_service.pid, SIGTERM);
    int rc = fa_wait_pid(fa_stall_service.pid, 12000);
    double exited = fa_now() - t0;
    pthread_join(th, NULL);
    fa_stall_resume_all();
    if (rc != -1)
        fa_stall_service.pid = 0; /* reaped: nothing left for fa_instance_stop to signal */
    double answered = t.answered - t0;
    FA_CHECK(stopped, "kill -STOP of the workers' %zu backends failed", found);
    FA_CHECK(t.probe.status == 503 && answered < FA_STALL_STOP_BOUND_S,
             "the request in flight at SIGTERM: %ld %s %.2f s after it (want 503 within %.1f s)",
             t.probe.status, t.probe.error, answered, FA_STALL_STOP_BOUND_S);
    FA_CHECK(rc == 0 && exited < FA_STALL_STOP_BOUND_S + 1.0,
             "the instance exited %d %.2f s after SIGTERM (want 0 within %.1f s)", rc, exited,
             FA_STALL_STOP_BOUND_S + 1.0);
    printf("\n    worker with its backend stopped (deadline 20 s): the request in flight answered "
           "%ld %.2f s after SIGTERM, the instance exited %d after %.2f s\n",
           t.probe.status, answered, rc, exited);
}

/* ---- why a connection failed, once --------------------------------------- */

static void test_connect_failure_logged_once(void)
{
    /* A database that does not exist, and a password the log must not show
     * (trust authentication ignores it). Later conninfo keys win. */
    fa_stall_user_ready();
    char *url = fa_envfile_get("DATABASE_URL");
    char secret[32];
    snprintf(secret, sizeof secret, "stall-pw-%d", (int)getpid());
    char *bad = fa_xasprintf("DATABASE_URL=%s dbname=fa_stall_missing password=%s", url, secret);
    const char *extra[] = {"FOUNDRY_AUTH_WORKERS=1", bad, NULL};
    fa_instance_stop(&fa_stall_service);
    char *log_path = fa_xasprintf("%s/stall-%d.log", fa_env("FA_TEST_TMP"), (int)getpid());
    size_t offset = fa_stall_log_size(log_path);
    bool up = fa_stall_start_service(extra);
    int requests = 8, unavailable = 0;
    for (int i = 0; up && i < requests; i++) {
        fa_http_response_t *r = fa_stall_get("/v1/auth/session");
        unavailable += r->status == 503;
        fa_http_response_free(r);
        fa_sleep_ms(300); /* 2.4 s: past several backoffs (50 ms doubling), several attempts */
    }
    char *log = fa_file_read(log_path, NULL);
    const char *since = log && strlen(log) >= offset ? log + offset : "";
    size_t lines = fa_stall_count(since, "could not connect to the database");
    FA_CHECK_FATAL(up, "the instance with a missing database did not start");
    FA_CHECK(unavailable == requests, "%d of %d requests answered 503", unavailable, requests);
    /* Once per worker: the main one and the sign-in one. */
    FA_CHECK(lines == 1 + FA_STALL_SIGNIN_WORKERS,
             "\"could not connect to the database\" logged %zu times, want once per worker (%d)",
             lines, 1 + FA_STALL_SIGNIN_WORKERS);
    FA_CHECK(strstr(since, "fa_stall_missing\\\" does not exist") != NULL ||
                 strstr(since, "fa_stall_missing\" does not exist") != NULL,
             "the log does not give libpq's reason (database does not exist)");
    FA_CHECK(strstr(since, secret) == NULL, "the log shows the password from DATABASE_URL");
    FA_CHECK(strstr(since, "dbname=") == NULL, "the log shows the conninfo");
    const char *line = strstr(since, "could not connect to the database");
    printf("\n    missing database: %d requests answered 503, one log line: %.160s\n", requests,
           line ? line : "(none)");
    free(log);
    free(log_path);
    free(bad);
    free(url);
}

void fa_register_stall_suite(void)
{
    CU_pSuite s = fa_suite_add("stall", fa_stall_init, fa_stall_cleanup);
    fa_test_add(s, "stalled backends: 503 within the deadline, then fresh connections",
                test_stalled_backends_answer_503_then_recover);
    fa_test_add(s, "the job process stops on SIGTERM with its backend stopped",
                test_jobs_stop_with_their_backend_stopped);
    fa_test_add(s, "a worker stops on SIGTERM with its backend stopped",
                test_worker_stops_with_its_backend_stopped);
    fa_test_add(s, "why a connection failed is logged once", test_connect_failure_logged_once);
}
