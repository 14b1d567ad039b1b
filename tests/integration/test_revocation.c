/* Revocation suite: invariant 1 (revocation is linearizable) under a race
 * and on one pipelined connection, a worker killed in the middle of
 * callbacks, and the end-of-run checks: no orphan session rows, and no
 * response body seen by the auth, sessions or revocation suites carried a
 * session token. Register it after auth and sessions. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "signin_helpers.h"

#define FA_ALICE "octo-alice"
#define FA_ALICE_ID "583231"

static void fa_before(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
}

static char *fa_sign_in(const char *login)
{
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, login, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in as %s: %s", login, fa_signin_describe(&r));
    char *session = fa_xstrdup(r.session);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
    return session;
}

/* ---- 8. revocation racing writes -------------------------------------- */

enum { FA_RACE_THREADS = 8, FA_RACE_ROUNDS = 20, FA_RACE_MAX_PER_THREAD = 512 };

typedef struct {
    double sent;
    long status;
} fa_race_request_t;

typedef struct {
    const char *token;
    atomic_int *stop;
    fa_race_request_t requests[FA_RACE_MAX_PER_THREAD];
    size_t count;
} fa_hammer_t;

static const char fa_select_body[] = "{\"organizationId\":\"" FA_ALICE_ID "\"}";

static void *fa_hammer_thread(void *arg)
{
    fa_hammer_t *h = arg;
    while (!atomic_load(h->stop) && h->count < FA_RACE_MAX_PER_THREAD) {
        double sent = fa_now();
        fa_http_response_t *r =
            fa_bearer_request("POST", "/v1/app/organizations/select", h->token, fa_select_body);
        h->requests[h->count++] = (fa_race_request_t){sent, r->status};
        fa_http_response_free(r);
    }
    return NULL;
}

typedef struct {
    char *session_id;
    double revoked_at;  /* when the sign-out response had arrived */
    long long audit_at; /* org_selected rows for the session right then */
    long ok_responses;  /* 200s the hammers received */
    long requests;      /* all requests the hammers sent */
    long sent_after;    /* of which sent after revoked_at */
} fa_race_round_t;

static long long fa_org_selected_count(const char *session_id)
{
    return fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'org_selected' AND "
                      "session_id = $1::uuid",
                      session_id, NULL);
}

/* Checks one round's requests against the moment the revocation answered. */
static void fa_race_check(int round, fa_hammer_t *hammers, fa_race_round_t *out)
{
    long late_ok = 0, odd = 0, odd_status = 0;
    for (int t = 0; t < FA_RACE_THREADS; t++)
        for (size_t i = 0; i < hammers[t].count; i++) {
            const fa_race_request_t *q = &hammers[t].requests[i];
            out->ok_responses += q->status == 200;
            out->requests++;
            out->sent_after += q->sent > out->revoked_at;
            if (q->sent > out->revoked_at && q->status != 401)
                late_ok++;
            if (q->status != 200 && q->status != 401) {
                odd++;
                odd_status = q->status;
            }
        }
    FA_CHECK(late_ok == 0, "round %d: %ld request(s) sent after the sign-out response were not 401",
             round, late_ok);
    FA_CHECK(odd == 0, "round %d: %ld request(s) answered neither 200 nor 401 (e.g. %ld)", round, odd,
             odd_status);
}

static void fa_race_round(int round, fa_race_round_t *out)
{
    char *token = fa_sign_in(FA_ALICE);
    out->session_id = fa_session_id_of(token);
    FA_CHECK_FATAL(out->session_id != NULL, "round %d: new session does not work", round);
    atomic_int stop = 0;
    static fa_hammer_t hammers[FA_RACE_THREADS];
    pthread_t threads[FA_RACE_THREADS];
    for (int t = 0; t < FA_RACE_THREADS; t++) {
        hammers[t].token = token;
        hammers[t].stop = &stop;
        hammers[t].count = 0;
        FA_CHECK_FATAL(pthread_create(&threads[t], NULL, fa_hammer_thread, &hammers[t]) == 0,
                       "pthread_create");
    }
    fa_sleep_ms(100);
    fa_http_response_t *r = fa_bearer_request("POST", "/v1/auth/sign-out", token, NULL);
    out->revoked_at = fa_now();
    out->audit_at = fa_org_selected_count(out->session_id);
    long status = r->status;
    fa_http_response_free(r);
    fa_sleep_ms(150); /* let the hammers send after the revocation too */
    atomic_store(&stop, 1);
    for (int t = 0; t < FA_RACE_THREADS; t++)
        pthread_join(threads[t], NULL);
    FA_CHECK(status == 204, "round %d: sign-out during the race: expected 204, got %ld", round, status);
    fa_race_check(round, hammers, out);
    FA_CHECK(out->audit_at == out->ok_responses,
             "round %d: %lld org_selected rows committed when the revocation answered, but %ld "
             "requests got 200", round, out->audit_at, out->ok_responses);
    free(token);
}

static void test_revocation_race(void)
{
    fa_before();
    fa_race_round_t rounds[FA_RACE_ROUNDS];
    memset(rounds, 0, sizeof rounds);
    double start = fa_now();
    long total_ok = 0, total = 0, after = 0;
    for (int i = 0; i < FA_RACE_ROUNDS; i++) {
        fa_race_round(i, &rounds[i]);
        total_ok += rounds[i].ok_responses;
        total += rounds[i].requests;
        after += rounds[i].sent_after;
    }
    /* No write made with the old token may commit after the revocation. */
    double wait = rounds[FA_RACE_ROUNDS - 1].revoked_at + 1.0 - fa_now();
    if (wait > 0)
        fa_sleep_ms((long)(wait * 1000.0) + 1);
    for (int i = 0; i < FA_RACE_ROUNDS; i++) {
        long long later = fa_org_selected_count(rounds[i].session_id);
        FA_CHECK(later == rounds[i].audit_at,
                 "round %d: org_selected rows for the revoked session went %lld -> %lld after the "
                 "revocation answered", i, rounds[i].audit_at, later);
        free(rounds[i].session_id);
    }
    fprintf(stderr, "\n    revocation race: %d rounds, %ld requests, %ld answered 200, %ld sent after "
            "the revocation answered (%.1f s)\n", FA_RACE_ROUNDS, total, total_ok, after,
            fa_now() - start);
    FA_CHECK(total_ok > 0, "no select succeeded before any revocation: the race was not exercised");
    FA_CHECK(after > 0, "no request was sent after a revocation answered: nothing was checked");
    FA_CHECK(fa_now() - start < 45.0, "revocation race took %.1f s", fa_now() - start);
}

/* ---- issue 16: two sessions of one user revoking each other ----------- */

/* Each mutation first locks its own session row (FOR KEY SHARE), then
 * deletes the other's: two at once lock in opposite orders and PostgreSQL
 * kills one with 40P01. That transaction must run again, not answer 500. */
enum { FA_MUTUAL_ROUNDS_MIN = 6, FA_MUTUAL_ROUNDS_MAX = 30 };

typedef struct {
    const char *method;
    char path[96];
    const char *token;
    pthread_barrier_t *go;
    long status;
} fa_mutual_t;

static void *fa_mutual_thread(void *arg)
{
    fa_mutual_t *m = arg;
    pthread_barrier_wait(m->go);
    fa_http_response_t *r = fa_bearer_request(m->method, m->path, m->token, NULL);
    m->status = r ? r->status : -1;
    fa_http_response_free(r);
    return NULL;
}

/* Lines of the service log that say a deadlock was detected (db.c logs
 * each one): proof the race ran, whatever the outcome. */
static long fa_deadlocks_logged(void)
{
    char *log = fa_file_read(fa_env("FA_TEST_SERVICE_LOG"), NULL);
    long n = 0;
    for (const char *p = log; p && (p = strstr(p, "deadlock detected")); p++)
        n++;
    free(log);
    return n;
}

/* One round: two fresh sessions of alice; odd rounds revoke each other by
 * id, even rounds both sign out everywhere at once. */
static void fa_mutual_round(int round, long *statuses_bad, long *bad_status)
{
    char *a = fa_sign_in(FA_ALICE), *b = fa_sign_in(FA_ALICE);
    char *id_a = fa_session_id_of(a), *id_b = fa_session_id_of(b);
    FA_CHECK_FATAL(id_a && id_b, "round %d: new sessions do not work", round);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    fa_mutual_t m[2] = {{.token = a, .go = &go}, {.token = b, .go = &go}};
    for (int i = 0; i < 2; i++) {
        m[i].method = round % 2 ? "DELETE" : "POST";
        if (round % 2)
            snprintf(m[i].path, sizeof m[i].path, "/v1/auth/sessions/%s", i ? id_a : id_b);
        else
            snprintf(m[i].path, sizeof m[i].path, "/v1/auth/sign-out-all");
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        FA_CHECK_FATAL(pthread_create(&t[i], NULL, fa_mutual_thread, &m[i]) == 0, "pthread_create");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    /* Each answer is a verdict: done (204/200), or this session was already
     * revoked by the other (401). Never a 5xx. */
    for (int i = 0; i < 2; i++) {
        long st = m[i].status;
        if (!(st == 200 || st == 204 || st == 401)) {
            (*statuses_bad)++;
            *bad_status = st;
        }
    }
    /* And the verdicts hold: what a request said it revoked is gone. Two
     * sign-out-alls leave nothing; of two mutual revocations one wins and
     * the other is refused, its own session revoked first (invariant 1:
     * a revoked session acts no more), so exactly one survives unless both
     * were refused. */
    char *alive_a = fa_session_id_of(a), *alive_b = fa_session_id_of(b);
    for (int i = 0; i < 2; i++) {
        bool done = m[i].status == 200 || m[i].status == 204;
        bool target_alive = round % 2 ? (i ? alive_a != NULL : alive_b != NULL)
                                      : (alive_a != NULL || alive_b != NULL);
        FA_CHECK(!(done && target_alive), "round %d: request %d answered %ld but what it revoked "
                 "still works", round, i, m[i].status);
    }
    FA_CHECK(!(alive_a && alive_b) || (m[0].status == 401 && m[1].status == 401),
             "round %d: both sessions survive answers %ld and %ld", round, m[0].status,
             m[1].status);
    free(alive_a);
    free(alive_b);
    free(a);
    free(b);
    free(id_a);
    free(id_b);
}

static void test_mutual_revocation(void)
{
    fa_before();
    long before = fa_deadlocks_logged(), bad = 0, bad_status = 0;
    int rounds = 0;
    double start = fa_now();
    while (rounds < FA_MUTUAL_ROUNDS_MAX &&
           (rounds < FA_MUTUAL_ROUNDS_MIN || fa_deadlocks_logged() == before))
        fa_mutual_round(rounds++, &bad, &bad_status);
    long deadlocks = fa_deadlocks_logged() - before;
    fprintf(stderr, "\n    mutual revocation: %d rounds, %ld deadlocks detected, %ld bad answers "
            "(%.1f s)\n", rounds, deadlocks, bad, fa_now() - start);
    FA_CHECK(bad == 0, "%ld of %d concurrent mutual revocations answered neither 200/204 nor 401 "
             "(e.g. %ld)", bad, 2 * rounds, bad_status);
    FA_CHECK(deadlocks > 0, "no deadlock in %d rounds: the race was not exercised", rounds);
}

/* ---- 9. pipelined on one connection ------------------------------------ */

static char *fa_host(void)
{
    char *origin = fa_test_origin();
    char *host = fa_xstrdup(strstr(origin, "://") + 3);
    free(origin);
    return host;
}

static void test_pipelined_sign_out(void)
{
    fa_before();
    char *host = fa_host();
    for (int round = 0; round < 5; round++) {
        char *token = fa_sign_in(FA_ALICE);
        char *raw = fa_xasprintf(
            "GET /v1/auth/session HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n"
            "POST /v1/auth/sign-out HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: 0\r\n\r\n"
            "GET /v1/auth/session HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
            "Connection: close\r\n\r\n",
            host, token, host, token, host, token);
        fa_http_response_t *res[3] = {NULL, NULL, NULL};
        size_t n = fa_raw_exchange(raw, strlen(raw), 10000, res, 3);
        for (size_t i = 0; i < n; i++)
            fa_seen_response(res[i]);
        FA_CHECK(n == 3, "round %d: pipelined GET, POST sign-out, GET: expected 3 responses, got %zu",
                 round, n);
        if (n == 3) {
            FA_CHECK(res[0]->status == 200, "round %d: GET before sign-out: expected 200, got %ld",
                     round, res[0]->status);
            FA_CHECK(res[1]->status == 204, "round %d: pipelined sign-out: expected 204, got %ld %.200s",
                     round, res[1]->status, res[1]->body);
            FA_CHECK(res[2]->status == 401,
                     "round %d: GET pipelined right after the sign-out: expected 401, got %ld %.200s",
                     round, res[2]->status, res[2]->body);
        }
        for (size_t i = 0; i < n; i++)
            fa_http_response_free(res[i]);
        free(raw);
        free(token);
    }
    /* Exactly the two-request shape of the issue, in one write. */
    char *token = fa_sign_in(FA_ALICE);
    char *raw = fa_xasprintf("POST /v1/auth/sign-out HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                             "Content-Length: 0\r\n\r\n"
                             "GET /v1/auth/session HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                             "Connection: close\r\n\r\n",
                             host, token, host, token);
    fa_http_response_t *res[2] = {NULL, NULL};
    size_t n = fa_raw_exchange(raw, strlen(raw), 10000, res, 2);
    FA_CHECK(n == 2 && res[0]->status == 204 && res[1]->status == 401,
             "pipelined sign-out + session: expected 204 then 401, got %zu responses (%ld, %ld)", n,
             n > 0 ? res[0]->status : -1, n > 1 ? res[1]->status : -1);
    for (size_t i = 0; i < n; i++) {
        fa_seen_response(res[i]);
        fa_http_response_free(res[i]);
    }
    free(raw);
    free(token);
    free(host);
}

/* ---- 11. a worker killed in the middle of callbacks ------------------- */

enum { FA_KILL_CALLBACKS = 4, FA_MAX_WORKERS = 64 };

typedef struct {
    fa_http_jar_t *jar;
    fa_signin_result_t r;
    bool ok;
} fa_kill_job_t;

static void *fa_kill_callback_thread(void *arg)
{
    fa_kill_job_t *job = arg;
    job->ok = fa_signin_finish(job->jar, &job->r, 20000);
    return NULL;
}

typedef struct {
    pid_t master, killed;
    size_t workers;
} fa_respawn_t;

/* The master is back to its worker count, without the killed pid. */
static bool fa_respawned(void *arg)
{
    fa_respawn_t *w = arg;
    pid_t kids[FA_MAX_WORKERS];
    size_t n = fa_proc_children(w->master, kids, FA_MAX_WORKERS);
    for (size_t i = 0; i < n; i++)
        if (kids[i] == w->killed)
            return false;
    return n >= w->workers;
}

static bool fa_healthz_ok(void *arg)
{
    (void)arg;
    fa_http_response_t *r = fa_http_get("/healthz");
    bool ok = r->status == 200;
    fa_http_response_free(r);
    return ok;
}

static void fa_check_no_orphans(const char *when)
{
    fa_orphans_t o;
    fa_orphans_count(&o);
    FA_CHECK(o.index_without_session == 0, "%s: %lld session_index rows without a session", when,
             o.index_without_session);
    FA_CHECK(o.session_without_index == 0, "%s: %lld sessions without a session_index row", when,
             o.session_without_index);
    FA_CHECK(o.session_without_state == 0, "%s: %lld sessions without a session_state row", when,
             o.session_without_state);
}

static void test_worker_killed_mid_callback(void)
{
    fa_before();
    pid_t master = fa_service_master_pid();
    FA_CHECK_FATAL(master > 0, "no master pid in FA_TEST_SERVICE_PIDFILE");
    pid_t kids[FA_MAX_WORKERS];
    size_t workers = fa_proc_children(master, kids, FA_MAX_WORKERS);
    FA_CHECK_FATAL(workers > 0, "master %d has no workers", (int)master);

    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("crash-%lld", id);
    char *uid = fa_xasprintf("%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_kill_job_t jobs[FA_KILL_CALLBACKS];
    for (int i = 0; i < FA_KILL_CALLBACKS; i++) {
        jobs[i].jar = fa_http_jar_new();
        bool begun = fa_signin_begin(jobs[i].jar, login, "/app", &jobs[i].r);
        FA_CHECK_FATAL(begun, "start %d: %s", i, fa_signin_describe(&jobs[i].r));
    }
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"user\",\"delayMs\":1500}"),
                   "arming the /user delay failed");
    pthread_t threads[FA_KILL_CALLBACKS];
    for (int i = 0; i < FA_KILL_CALLBACKS; i++)
        FA_CHECK_FATAL(pthread_create(&threads[i], NULL, fa_kill_callback_thread, &jobs[i]) == 0,
                       "pthread_create");
    fa_sleep_ms(500);
    workers = fa_proc_children(master, kids, FA_MAX_WORKERS);
    FA_CHECK_FATAL(workers > 0, "master %d has no workers mid-test", (int)master);
    /* The callbacks run on the sign-in pool (issue 15): kill one of its workers. */
    pid_t victim = fa_proc_in_pool(kids, workers, "signin");
    FA_CHECK(kill(victim, SIGKILL) == 0, "kill -9 %d failed", (int)victim);
    for (int i = 0; i < FA_KILL_CALLBACKS; i++)
        pthread_join(threads[i], NULL);
    fa_emulator_clear_faults();

    int signed_in = 0;
    fprintf(stderr, "\n    killed worker %d; callbacks:", (int)victim);
    for (int i = 0; i < FA_KILL_CALLBACKS; i++) {
        fa_signin_result_t *r = &jobs[i].r;
        signed_in += jobs[i].ok;
        fprintf(stderr, " %ld%s", r->callback ? r->callback->status : -1L,
                jobs[i].ok ? "+session" : "");
        /* The killed one ends on the sign-in page (nginx turns its 502 into
         * authError=service_unavailable); the others finish either way. */
        char *auth_error = fa_auth_error_of(r->location);
        FA_CHECK(jobs[i].ok || r->callback->status >= 500 || auth_error != NULL,
                 "callback %d after the kill: neither signed in, a 5xx nor a sign-in error: %s", i,
                 fa_signin_describe(r));
        free(auth_error);
    }
    fa_respawn_t w = {master, victim, workers};
    FA_CHECK(fa_wait_until(5000, 100, fa_respawned, &w),
             "the master did not replace killed worker %d within 5 s", (int)victim);
    FA_CHECK(fa_wait_until(5000, 100, fa_healthz_ok, NULL), "GET /healthz not 200 within 5 s of the kill");
    long long sessions = fa_count_for_user("sessions", uid);
    FA_CHECK(sessions >= signed_in && sessions <= FA_KILL_CALLBACKS,
             "after the kill: %d callbacks signed in but user %s has %lld sessions", signed_in, uid,
             sessions);
    /* With no more workers than callbacks, every worker was busy at the kill. */
    if (workers <= FA_KILL_CALLBACKS)
        FA_CHECK(signed_in < FA_KILL_CALLBACKS, "all %d callbacks succeeded: the kill hit no request",
                 FA_KILL_CALLBACKS);
    fprintf(stderr, "\n");
    fa_check_no_orphans("after kill -9 of a worker mid-callback");
    for (int i = 0; i < FA_KILL_CALLBACKS; i++) {
        fa_signin_result_free(&jobs[i].r);
        fa_http_jar_free(jobs[i].jar);
    }
    free(uid);
    free(login);
}

/* ---- end of run ------------------------------------------------------- */

static void test_no_orphans_and_no_token_in_bodies(void)
{
    fa_check_no_orphans("end of the run");
    char why[512];
    size_t leaks = fa_seen_leaks(why, sizeof why);
    FA_CHECK(fa_seen_token_count() > 0 && fa_seen_body_count() > 0,
             "nothing recorded (%zu tokens, %zu bodies): the leak check would prove nothing",
             fa_seen_token_count(), fa_seen_body_count());
    FA_CHECK(leaks == 0, "%zu response bodies contained a session token: %s", leaks, why);
}

void fa_register_revocation_suite(void)
{
    CU_pSuite s = fa_suite_add("revocation", NULL, NULL);
    fa_test_add(s, "no write commits after a racing revocation", test_revocation_race);
    fa_test_add(s, "pipelined request after sign-out is 401", test_pipelined_sign_out);
    fa_test_add(s, "worker killed mid-callback leaves no orphans", test_worker_killed_mid_callback);
    fa_test_add(s, "two sessions revoking each other: no 5xx (issue 16)", test_mutual_revocation);
    fa_test_add(s, "no orphan session rows, no token in any body", test_no_orphans_and_no_token_in_bodies);
}
