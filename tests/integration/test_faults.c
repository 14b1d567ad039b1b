/* Faults suite (issue 7, "Faults"), database side: PostgreSQL restarted under
 * load (fast and immediate shutdown), a statement blocked past the service's
 * statement_timeout, and the role out of connections. Each prints what it
 * measured (requests, 503s, wrong answers, recovery time) for the closing
 * note. The process and GitHub faults are in test_faults_procs.c and
 * test_faults_github.c. Register after every suite that needs a quiet
 * service: these tests take the database away. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "signin_helpers.h"

/* ---- PostgreSQL restarted under load ------------------------------------ */

/* FA_TEST_PG_STOP with "-m fast" replaced by "-m <mode>" (malloc'd). */
static char *fa_pg_stop_command(const char *mode)
{
    const char *cmd = fa_env("FA_TEST_PG_STOP");
    const char *at = strstr(cmd, "-m fast");
    FA_CHECK_FATAL(at != NULL, "FA_TEST_PG_STOP has no \"-m fast\" to replace: %s", cmd);
    return fa_xasprintf("%.*s-m %s%s", (int)(at - cmd), cmd, mode, at + strlen("-m fast"));
}

/* The test cluster runs with synchronous_commit = off (speed): an immediate
 * shutdown would then lose the last commits, which says nothing about the
 * service. Durable commits for the length of the test, through the server
 * configuration so the workers' open connections get it too. */
static bool fa_pg_durable_commits(bool on)
{
    bool ok = fa_sql_exec(on ? "ALTER SYSTEM SET synchronous_commit = on"
                             : "ALTER SYSTEM RESET synchronous_commit",
                          NULL);
    return ok && fa_sql_exec("SELECT pg_reload_conf()", NULL);
}

typedef struct {
    double stop_begin, down, start_begin, back; /* fa_now() */
} fa_outage_t;

enum { FA_RECOVERY_RUN = 20 };

/* Time from back until the first of FA_RECOVERY_RUN consecutive right answers
 * (forged tokens excluded: they never need the database); -1 when none. */
static double fa_recovery_ms(fa_load_t *l, double back)
{
    const fa_op_record_t *rec;
    size_t n = fa_load_records(l, &rec);
    size_t run = 0;
    double first = 0;
    for (size_t i = 0; i < n; i++) {
        if (rec[i].sent < back || rec[i].kind == FA_OP_FORGED)
            continue;
        if (rec[i].outcome != FA_OUT_OK) {
            run = 0;
            continue;
        }
        if (run++ == 0)
            first = rec[i].answered;
        if (run == FA_RECOVERY_RUN)
            return (first - back) * 1000.0;
    }
    return -1;
}

/* Requests sent after PostgreSQL was down and answered before it was started
 * again: all must be 503s (forged tokens: 401, no database needed). */
static void fa_check_gap(fa_load_t *l, const fa_outage_t *o, const char *mode, long *in_gap,
                         long *gap_503)
{
    const fa_op_record_t *rec;
    size_t n = fa_load_records(l, &rec);
    long other = 0;
    const fa_op_record_t *example = NULL;
    *in_gap = *gap_503 = 0;
    for (size_t i = 0; i < n; i++) {
        if (rec[i].sent < o->down || rec[i].answered > o->start_begin)
            continue;
        (*in_gap)++;
        if (rec[i].kind == FA_OP_FORGED)
            continue;
        if (rec[i].outcome == FA_OUT_UNAVAILABLE) {
            (*gap_503)++;
        } else {
            other++;
            example = example ? example : &rec[i];
        }
    }
    FA_CHECK(*in_gap > 0, "PostgreSQL %s stop: no request was sent and answered during the gap",
             mode);
    FA_CHECK(other == 0,
             "PostgreSQL %s stop: %ld request(s) during the gap were not 503 (e.g. %s: status %ld "
             "%s)",
             mode, other, example ? fa_op_kind_name(example->kind) : "-",
             example ? example->status : 0, example ? example->detail : "");
}

static bool fa_same_workers(const pid_t *a, size_t na, const pid_t *b, size_t nb)
{
    return na == nb && memcmp(a, b, na * sizeof *a) == 0;
}

static void fa_pg_outage(const char *mode, fa_load_t *l, fa_outage_t *o, int *stop_rc,
                         int *start_rc)
{
    char *stop = fa_pg_stop_command(mode);
    fa_sleep_ms(800); /* the load runs against a healthy service first */
    o->stop_begin = fa_now();
    *stop_rc = system(stop);
    o->down = fa_now();
    fa_sleep_ms(1500);
    o->start_begin = fa_now();
    *start_rc = system(fa_env("FA_TEST_PG_START")); /* always, whatever happened */
    o->back = fa_now();
    /* Until the answers are right again (or long past the 5 s promise). */
    while (fa_now() - o->back < 8.0 && !(fa_load_ok_streak(l) >= 3 * FA_RECOVERY_RUN &&
                                         fa_load_ok_since(l, o->back) >= 3 * FA_RECOVERY_RUN))
        fa_sleep_ms(50);
    fa_sleep_ms(300);
    free(stop);
}

static void fa_restart_under_load(const char *mode)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    FA_CHECK_FATAL(fa_pg_durable_commits(true), "ALTER SYSTEM SET synchronous_commit failed");
    pid_t before[FA_MAX_WORKERS], after[FA_MAX_WORKERS];
    size_t nbefore = fa_workers(before, FA_MAX_WORKERS);
    FA_CHECK_FATAL(nbefore > 0, "no workers");
    fa_load_user_t u;
    fa_load_user_new(&u, "pgrestart");
    char *since = fa_db_now();
    fa_load_config_t cfg = {.login = u.user.login,
                            .valid_token = u.valid_token,
                            .revoked_token = u.revoked_token,
                            .org_id = u.user.id_text,
                            .with_signins = true,
                            .with_sessions = true,
                            .with_mutations = true};
    fa_load_t *l = fa_load_start(&cfg);
    fa_outage_t o;
    int stop_rc, start_rc;
    fa_pg_outage(mode, l, &o, &stop_rc, &start_rc);
    fa_load_stop(l);
    FA_CHECK(stop_rc == 0, "PostgreSQL %s stop failed with status %d", mode, stop_rc);
    FA_CHECK_FATAL(start_rc == 0, "FA_TEST_PG_START failed with status %d", start_rc);

    fa_load_summary_t all;
    fa_load_summarize(l, 0, 1e18, &all);
    long in_gap, gap_503;
    fa_check_gap(l, &o, mode, &in_gap, &gap_503);
    double recovery = fa_recovery_ms(l, o.back);
    FA_CHECK(all.wrong == 0, "PostgreSQL %s restart: %ld wrong answer(s), first: %s: %s", mode,
             all.wrong, all.first_wrong ? fa_op_kind_name(all.first_wrong->kind) : "-",
             all.first_wrong ? all.first_wrong->detail : "");
    FA_CHECK(recovery >= 0 && recovery < 5000.0,
             "PostgreSQL %s restart: no %d consecutive right answers within 5 s of PostgreSQL "
             "accepting connections again (%.0f ms)",
             mode, FA_RECOVERY_RUN, recovery);
    size_t nafter = fa_workers(after, FA_MAX_WORKERS);
    FA_CHECK(fa_same_workers(before, nbefore, after, nafter),
             "PostgreSQL %s restart: the workers changed (%zu before, %zu after): one crashed",
             mode, nbefore, nafter);
    char *const *sessions;
    size_t nsessions = fa_load_sessions(l, &sessions);
    FA_CHECK(nsessions > 0, "PostgreSQL %s restart: no sign-in succeeded at all", mode);
    char when[64];
    snprintf(when, sizeof when, "after a PostgreSQL %s restart", mode);
    fa_faults_check_sessions_live(when, sessions, nsessions);
    fa_faults_check_consistency(when, since);
    FA_CHECK(fa_pg_durable_commits(false), "ALTER SYSTEM RESET synchronous_commit failed");
    printf("\n    PostgreSQL %s restart under load: %ld requests (%ld sign-ins, %ld live-session "
           "checks, %ld revoked-token, %ld forged-token, %ld mutations); stop took %.0f ms, down "
           "%.0f ms; %ld requests during the gap, %ld of them 503; %ld answered 503 overall; "
           "wrong answers %ld; recovery %.0f ms after PostgreSQL accepted connections; %zu "
           "sign-ins set a cookie, all live; workers unchanged\n",
           mode, all.total, all.per_kind[FA_OP_SIGNIN], all.per_kind[FA_OP_SESSION_VALID],
           all.per_kind[FA_OP_REVOKED], all.per_kind[FA_OP_FORGED], all.per_kind[FA_OP_MUTATION],
           (o.down - o.stop_begin) * 1000, (o.start_begin - o.down) * 1000, in_gap, gap_503,
           all.unavailable, all.wrong, recovery, nsessions);
    fa_load_free(l);
    free(since);
    fa_load_user_free(&u);
}

static void test_pg_restart_fast(void)
{
    fa_restart_under_load("fast");
}

static void test_pg_restart_immediate(void)
{
    fa_restart_under_load("immediate");
}

/* ---- PostgreSQL restarted while the workers were idle -------------------- */

/* Workers that saw no request during the restart still hold connections the
 * server has ended: the first requests afterwards must reconnect, not fail. */
static void test_pg_restart_while_idle(void)
{
    fa_load_user_t u;
    fa_load_user_new(&u, "pgidle");
    FA_CHECK_FATAL(fa_faults_wait_ready(5000), "the service is not ready");
    int stop_rc = system(fa_env("FA_TEST_PG_STOP"));
    int start_rc = system(fa_env("FA_TEST_PG_START"));
    FA_CHECK_FATAL(start_rc == 0, "FA_TEST_PG_START failed with status %d", start_rc);
    FA_CHECK(stop_rc == 0, "FA_TEST_PG_STOP failed with status %d", stop_rc);
    int ok = 0, requests = 40;
    long other = 0;
    for (int i = 0; i < requests; i++) {
        fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", u.valid_token, NULL);
        ok += r->status == 200;
        other = r->status != 200 ? r->status : other;
        fa_http_response_free(r);
    }
    FA_CHECK(ok == requests,
             "PostgreSQL restarted while the workers were idle: %d of the first %d session "
             "checks afterwards failed (e.g. %ld)",
             requests - ok, requests, other);
    printf("\n    PostgreSQL restarted while idle: %d of the first %d requests afterwards "
           "answered 200\n",
           ok, requests);
    fa_load_user_free(&u);
}

/* ---- a statement blocked past statement_timeout ------------------------- */

enum { FA_BLOCKED_MAX = 8 };

typedef struct {
    const char *token;
    const char *select_body;
    bool mutation;
    long status;
    char error[64];
    double seconds;
} fa_blocked_t;

static void *fa_blocked_thread(void *arg)
{
    fa_blocked_t *b = arg;
    fa_http_response_t *r =
        b->mutation
            ? fa_bearer_request("POST", "/v1/app/organizations/select", b->token, b->select_body)
            : fa_bearer_request("GET", "/v1/auth/session", b->token, NULL);
    b->status = r->status;
    b->seconds = r->seconds;
    char *e = fa_http_json_string(r, "error");
    snprintf(b->error, sizeof b->error, "%s", e ? e : "(none)");
    free(e);
    fa_http_response_free(r);
    return NULL;
}

static bool fa_session_ok(void *arg)
{
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", arg, NULL);
    bool ok = r->status == 200;
    fa_http_response_free(r);
    return ok;
}

/* Twenty right answers in a row. */
static bool fa_session_ok_run(void *arg)
{
    for (int i = 0; i < FA_RECOVERY_RUN; i++)
        if (!fa_session_ok(arg))
            return false;
    return true;
}

static void test_statement_timeout(void)
{
    fa_load_user_t u;
    fa_load_user_new(&u, "stmt-timeout");
    pid_t workers[FA_MAX_WORKERS];
    /* The main pool's: the sign-in pool never sees these routes (issue 15). */
    size_t n = fa_proc_keep_pool(workers, fa_workers(workers, FA_MAX_WORKERS), "main");
    FA_CHECK_FATAL(n > 0 && n <= FA_BLOCKED_MAX, "%zu workers", n);
    PGconn *c = PQconnectdb(fa_env("FA_TEST_DATABASE_URL"));
    FA_CHECK_FATAL(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
    bool locked = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    char *select = fa_xasprintf("{\"organizationId\":\"%s\"}", u.user.id_text);
    double t0 = fa_now();
    /* One request per worker: each is stuck behind the lock until the
     * service's 5 s statement_timeout, none waits behind another. */
    fa_blocked_t b[FA_BLOCKED_MAX];
    pthread_t th[FA_BLOCKED_MAX];
    for (size_t i = 0; i < n; i++) {
        b[i] =
            (fa_blocked_t){.token = u.valid_token, .select_body = select, .mutation = i % 2 == 1};
        if (pthread_create(&th[i], NULL, fa_blocked_thread, &b[i]) != 0)
            abort();
    }
    fa_sleep_ms(6000 - (long)((fa_now() - t0) * 1000));
    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    double released = fa_now();
    PQfinish(c);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    FA_CHECK_FATAL(locked, "LOCK TABLE sessions failed");
    double slowest = 0;
    for (size_t i = 0; i < n; i++) {
        const char *what =
            b[i].mutation ? "POST /v1/app/organizations/select" : "GET /v1/auth/session";
        FA_CHECK(b[i].status == 503, "%s with sessions locked for 6 s: expected 503, got %ld (%s)",
                 what, b[i].status, b[i].error);
        FA_CHECK(b[i].seconds < 6.5, "%s with sessions locked: answered after %.2f s", what,
                 b[i].seconds);
        slowest = b[i].seconds > slowest ? b[i].seconds : slowest;
    }
    bool back = fa_wait_until(5000, 20, fa_session_ok_run, u.valid_token);
    double recovery = (fa_now() - released) * 1000;
    FA_CHECK(back, "no %d right answers in a row within 5 s of the lock's release",
             FA_RECOVERY_RUN);
    printf("\n    statement timeout: %zu requests blocked by an ACCESS EXCLUSIVE lock held 6 s: "
           "%s, slowest answered after %.2f s; %d right answers in a row %.0f ms after the "
           "release\n",
           n, b[0].error, slowest, FA_RECOVERY_RUN, recovery);
    free(select);
    fa_load_user_free(&u);
}

/* ---- a reconnect that meets a lock ------------------------------------------ */

static long long fa_terminate_service_connections(void)
{
    return fa_sql_int("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE usename = 'foundry_auth' AND pid <> pg_backend_pid()",
                      NULL);
}

typedef struct {
    const char *token;
    long status;
    double seconds;
} fa_probe_t;

static void *fa_probe_thread(void *arg)
{
    fa_probe_t *p = arg;
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", p->token, NULL);
    p->status = r->status;
    p->seconds = r->seconds;
    fa_http_response_free(r);
    return NULL;
}

/* Workers whose connections were ended reconnect while a table their
 * statements use is locked: preparing them times out. That is a failed
 * connection attempt (503, retried), not a connection kept with statements
 * missing (which would answer 500 until the next reconnect). */
static void test_reconnect_meets_a_lock(void)
{
    fa_load_user_t u;
    fa_load_user_new(&u, "prep-lock");
    pid_t workers[FA_MAX_WORKERS];
    size_t n = fa_proc_keep_pool(workers, fa_workers(workers, FA_MAX_WORKERS), "main");
    FA_CHECK_FATAL(n > 0 && n <= FA_BLOCKED_MAX, "%zu workers", n);
    PGconn *c = PQconnectdb(fa_env("FA_TEST_DATABASE_URL"));
    FA_CHECK_FATAL(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
    bool locked = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    long long ended = fa_terminate_service_connections();
    double t0 = fa_now();
    fa_probe_t probes[FA_BLOCKED_MAX];
    pthread_t th[FA_BLOCKED_MAX];
    for (size_t i = 0; i < n; i++) {
        probes[i] = (fa_probe_t){.token = u.valid_token};
        if (pthread_create(&th[i], NULL, fa_probe_thread, &probes[i]) != 0)
            abort();
    }
    fa_sleep_ms(6000 - (long)((fa_now() - t0) * 1000));
    r = PQexec(c, "ROLLBACK");
    PQclear(r);
    double released = fa_now();
    PQfinish(c);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    FA_CHECK_FATAL(locked, "LOCK TABLE sessions failed");
    FA_CHECK(ended >= 1, "no service connection was ended (%lld)", ended);
    for (size_t i = 0; i < n; i++)
        FA_CHECK((probes[i].status == 503 || probes[i].status == 200) && probes[i].seconds < 7.0,
                 "GET /v1/auth/session while the reconnect met the lock: %ld after %.2f s "
                 "(want 503, or 200 once released, within 7 s)",
                 probes[i].status, probes[i].seconds);
    int ok = 0, requests = 40;
    long other = 0;
    double back = 0;
    for (int i = 0; i < requests || (ok < requests && fa_now() - released < 5.0); i++) {
        fa_http_response_t *resp =
            fa_bearer_request("GET", "/v1/auth/session", u.valid_token, NULL);
        if (resp->status == 200 && back == 0)
            back = fa_now() - released;
        ok = resp->status == 200 ? ok + 1 : 0;
        other = resp->status != 200 && resp->status != 503 ? resp->status : other;
        fa_http_response_free(resp);
        if (ok >= requests)
            break;
    }
    FA_CHECK(other == 0,
             "after the lock was released a request was answered %ld (not 200/503): "
             "a worker kept a connection without its prepared statements",
             other);
    FA_CHECK(ok >= requests, "no %d right answers in a row within 5 s of the release", requests);
    printf("\n    reconnect meeting a lock: %lld connections ended with sessions locked 6 s; "
           "the waiting requests answered %ld/%ld after %.2f/%.2f s; first 200 %.0f ms after "
           "the release, then %d in a row\n",
           ended, probes[0].status, n > 1 ? probes[1].status : 0, probes[0].seconds,
           n > 1 ? probes[1].seconds : 0, back * 1000, requests);
    fa_load_user_free(&u);
}

/* ---- out of connections ------------------------------------------------- */

static void test_out_of_connections(void)
{
    fa_load_user_t u;
    fa_load_user_new(&u, "no-conn");
    pid_t before[FA_MAX_WORKERS], after[FA_MAX_WORKERS];
    size_t nbefore = fa_workers(before, FA_MAX_WORKERS);
    /* No connection left for the role: what the service meets when a pool,
     * max_connections or another client took them all. */
    bool limited = fa_sql_exec("ALTER ROLE foundry_auth CONNECTION LIMIT 0", NULL);
    long long killed = fa_terminate_service_connections();
    int requests = 20, unavailable = 0;
    long worst_status = 0;
    double slowest = 0;
    for (int i = 0; i < requests; i++) {
        fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", u.valid_token, NULL);
        char why[128];
        if (fa_http_is_json_error(r, 503, NULL, why, sizeof why))
            unavailable++;
        else
            worst_status = r->status;
        slowest = r->seconds > slowest ? r->seconds : slowest;
        fa_http_response_free(r);
    }
    fa_http_response_t *ready = fa_http_get("/readyz");
    long ready_status = ready->status;
    fa_http_response_free(ready);
    bool restored = fa_sql_exec("ALTER ROLE foundry_auth CONNECTION LIMIT -1", NULL);
    double t_restored = fa_now();
    bool back = fa_wait_until(5000, 20, fa_session_ok_run, u.valid_token);
    double recovery = (fa_now() - t_restored) * 1000;
    FA_CHECK_FATAL(limited && restored, "ALTER ROLE foundry_auth CONNECTION LIMIT failed");
    FA_CHECK(killed >= 1, "pg_terminate_backend ended no connection of foundry_auth (%lld)",
             killed);
    FA_CHECK(unavailable == requests,
             "out of connections: %d of %d GET /v1/auth/session were not a 503 JSON error (e.g. "
             "%ld)",
             requests - unavailable, requests, worst_status);
    FA_CHECK(slowest < 1.5, "out of connections: a 503 took %.2f s", slowest);
    FA_CHECK(ready_status == 503, "GET /readyz out of connections: %ld", ready_status);
    FA_CHECK(back, "no %d right answers in a row within 5 s of the limit's removal",
             FA_RECOVERY_RUN);
    size_t nafter = fa_workers(after, FA_MAX_WORKERS);
    FA_CHECK(fa_same_workers(before, nbefore, after, nafter), "the workers changed");
    printf("\n    out of connections: %lld service connections terminated, role limit 0; %d of "
           "%d requests answered 503 (slowest %.3f s); %d right answers in a row %.0f ms after "
           "the limit was lifted\n",
           killed, unavailable, requests, slowest, FA_RECOVERY_RUN, recovery);
    fa_load_user_free(&u);
}

void fa_faults_add_database_tests(CU_pSuite suite)
{
    fa_test_add(suite, "PostgreSQL fast restart under load", test_pg_restart_fast);
    fa_test_add(suite, "PostgreSQL immediate restart under load", test_pg_restart_immediate);
    fa_test_add(suite, "PostgreSQL restarted while idle: no request fails after",
                test_pg_restart_while_idle);
    fa_test_add(suite, "statement timeout: 503, then recovery", test_statement_timeout);
    fa_test_add(suite, "a reconnect meeting a lock: 503, never 500", test_reconnect_meets_a_lock);
    fa_test_add(suite, "out of connections: 503, then recovery", test_out_of_connections);
}

void fa_register_faults_suite(void)
{
    CU_pSuite s = fa_suite_add("faults", NULL, NULL);
    fa_faults_add_github_tests(s);
    fa_faults_add_process_tests(s);
    fa_faults_add_database_tests(s);
}
