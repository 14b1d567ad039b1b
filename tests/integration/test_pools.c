/* Pools suite (issue 15, items 1 and 7).
 *
 * The routes that wait on GitHub (the OAuth callback, the starter-repo star,
 * the dev bootstrap) run on a pool of their own, on a socket of their own,
 * routed there by the shipped locations snippet. With GitHub slowed down and
 * more concurrent sign-ins than the pool can hold:
 * - a signed-in user's verify, session and snapshot (and a new sign-in's
 *   start, which stays on the main pool) keep their normal latency: every
 *   one of them answers well under a quarter of GitHub's delay;
 * - the sign-ins beyond the pool and its short queue end at once on the
 *   sign-in page with authError=service_busy (the JSON routes with 503
 *   service_busy), never after a long wait, and their code is never
 *   exchanged (nothing retried);
 * - /metrics shows the sign-in pool's workers busy and the time the queued
 *   ones waited.
 * On one shared pool (before issue 15) the session checks queue behind the
 * sign-ins for the whole delay and nothing answers service_busy. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "signin_helpers.h"

/* GitHub's token endpoint answers after this long: long enough that a
 * queued sign-in is clearly seen waiting, short enough that the last of a
 * full queue (4 rounds with the default queue) keeps the suite near 15 s. */
#define FA_POOLS_DELAY_MS 1500
/* The checks must stay far below the delay: a quarter of it. Normal latency
 * here is a few ms; the rest is room for a loaded 2-core machine. */
#define FA_POOLS_CHECK_BOUND_S (FA_POOLS_DELAY_MS / 4000.0)
/* "Quickly": nginx is refused a connection at once (EAGAIN on a full unix
 * socket queue); 3 s leaves room for scheduling noise, and is still just
 * the delay, where a queued request would take at least one more. */
#define FA_POOLS_BUSY_BOUND_S 3.0
#define FA_POOLS_MAX_SIGNINS 64

static int fa_pools_env_int(const char *name, int fallback)
{
    char *v = fa_envfile_get(name);
    int n = v ? atoi(v) : fallback;
    free(v);
    return n > 0 ? n : fallback;
}

/* The running service's sign-in pool: workers, and how many may wait. */
static int fa_pools_signin_workers(void)
{
    return fa_pools_env_int("FOUNDRY_AUTH_SIGNIN_WORKERS", 2);
}

static int fa_pools_signin_queue(void)
{
    return fa_pools_env_int("FOUNDRY_AUTH_SIGNIN_QUEUE", 4 * fa_pools_signin_workers());
}

/* More sign-ins than the pool holds (in hand + queued), and four more. */
static int fa_pools_burst(void)
{
    int n = fa_pools_signin_workers() + fa_pools_signin_queue() + 4;
    return n > FA_POOLS_MAX_SIGNINS ? FA_POOLS_MAX_SIGNINS : n;
}

static int fa_pools_init(void)
{
    fa_emulator_clear_faults();
    return 0;
}

static int fa_pools_cleanup(void)
{
    fa_emulator_clear_faults();
    return 0;
}

/* ---- concurrent callbacks --------------------------------------------- */

typedef struct {
    fa_http_jar_t *jar;
    fa_signin_result_t r;
    bool begun, signed_in;
    double seconds; /* the callback's own time */
} fa_pools_signin_t;

static void *fa_pools_callback_thread(void *arg)
{
    fa_pools_signin_t *s = arg;
    double t0 = fa_now();
    s->signed_in = fa_signin_finish(s->jar, &s->r, 20000);
    s->seconds = fa_now() - t0;
    return NULL;
}

/* ---- the session checks meanwhile --------------------------------------- */

typedef struct {
    const char *token;
    volatile bool stop;
    double max_seconds;
    const char *max_path;
    long requests, failures;
    char first_failure[160];
    double signin_busy_max; /* foundry_auth_pool_busy_workers{pool=signin}, highest seen */
} fa_pools_checker_t;

static void fa_pools_check_once(fa_pools_checker_t *c, const char *method, const char *path,
                                bool want_200)
{
    fa_http_response_t *r = fa_bearer_request(method, path, c->token, NULL);
    c->requests++;
    if (r->seconds > c->max_seconds) {
        c->max_seconds = r->seconds;
        c->max_path = path;
    }
    if ((want_200 && r->status != 200) || (!want_200 && (r->status == 0 || r->status >= 500))) {
        if (c->failures++ == 0)
            snprintf(c->first_failure, sizeof c->first_failure, "%s %s -> %ld", method, path,
                     r->status);
    }
    fa_http_response_free(r);
}

static void *fa_pools_checker_thread(void *arg)
{
    fa_pools_checker_t *c = arg;
    static const char *const busy[] = {"pool=signin", NULL};
    while (!c->stop) {
        fa_pools_check_once(c, "GET", "/v1/auth/verify", true);
        fa_pools_check_once(c, "GET", "/v1/auth/session", true);
        fa_pools_check_once(c, "GET", "/v1/app/snapshot", true);
        /* A new sign-in's first step stays on the main pool (no GitHub). */
        fa_pools_check_once(c, "GET", "/v1/auth/github/start?returnTo=%2Fapp", false);
        fa_http_response_t *m = fa_http_get("/metrics");
        double b = m->status == 200
                       ? fa_metrics_value(m->body, "foundry_auth_pool_busy_workers", busy)
                       : -1;
        if (b > c->signin_busy_max)
            c->signin_busy_max = b;
        fa_http_response_free(m);
        fa_sleep_ms(20);
    }
    return NULL;
}

static double fa_pools_metric(const char *metric, const char *const *labels)
{
    fa_http_response_t *r = fa_http_get("/metrics");
    double v = r->status == 200 ? fa_metrics_value(r->body, metric, labels) : -1;
    fa_http_response_free(r);
    return v;
}

static void test_slow_github_leaves_session_checks_alone(void)
{
    int workers = fa_pools_signin_workers(), queue = fa_pools_signin_queue();
    int n = fa_pools_burst();
    /* The last queued sign-in waits for queue / workers rounds, then takes
     * its own; half a round more for noise. */
    double rounds = 1.0 + (queue + workers - 1) / workers + 0.5;

    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("pools-%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_http_jar_t *user_jar = fa_http_jar_new();
    fa_signin_result_t user = {0};
    bool user_ok = fa_signin_browser(user_jar, login, "/app", &user);
    FA_CHECK_FATAL(user_ok, "signing in the user: %s", fa_signin_describe(&user));

    fa_pools_signin_t s[FA_POOLS_MAX_SIGNINS] = {0};
    for (int i = 0; i < n; i++) {
        s[i].jar = fa_http_jar_new();
        s[i].begun = fa_signin_begin(s[i].jar, login, "/app", &s[i].r);
        FA_CHECK_FATAL(s[i].begun, "sign-in %d start: %s", i, fa_signin_describe(&s[i].r));
        fa_seen_secret("code", s[i].r.code);
        fa_seen_secret("state", s[i].r.state);
    }
    static const char *const signin_pool[] = {"pool=signin", NULL};
    double waits_before = fa_pools_metric("foundry_auth_pool_wait_seconds_count", signin_pool);
    double waited_before = fa_pools_metric("foundry_auth_pool_wait_seconds_sum", signin_pool);
    long tokens_before = fa_emulator_calls("token");
    char *fault = fa_xasprintf("{\"endpoint\":\"token\",\"delayMs\":%d}", FA_POOLS_DELAY_MS);
    FA_CHECK_FATAL(fa_emulator_arm_fault(fault), "arming the token delay failed");
    free(fault);

    fa_pools_checker_t checker = {.token = user.session};
    pthread_t checker_thread, threads[FA_POOLS_MAX_SIGNINS];
    FA_CHECK_FATAL(pthread_create(&checker_thread, NULL, fa_pools_checker_thread, &checker) == 0,
                   "pthread_create");
    for (int i = 0; i < n; i++)
        FA_CHECK_FATAL(pthread_create(&threads[i], NULL, fa_pools_callback_thread, &s[i]) == 0,
                       "pthread_create");
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    checker.stop = true;
    pthread_join(checker_thread, NULL);
    fa_emulator_clear_faults();
    long exchanged = fa_emulator_calls("token") - tokens_before;
    double waits_after = fa_pools_metric("foundry_auth_pool_wait_seconds_count", signin_pool);
    double waited_after = fa_pools_metric("foundry_auth_pool_wait_seconds_sum", signin_pool);

    int signed_in = 0, busy = 0, other = 0;
    double busy_max = 0, signed_in_max = 0;
    fprintf(stderr, "\n    %d callbacks, GitHub token delay %d ms:", n, FA_POOLS_DELAY_MS);
    for (int i = 0; i < n; i++) {
        char *err = fa_auth_error_of(s[i].r.location);
        fprintf(stderr, " %s %.2fs;", s[i].signed_in ? "session" : err ? err : "?", s[i].seconds);
        if (s[i].signed_in) {
            signed_in++;
            signed_in_max = s[i].seconds > signed_in_max ? s[i].seconds : signed_in_max;
        } else if (err && strcmp(err, "service_busy") == 0) {
            busy++;
            busy_max = s[i].seconds > busy_max ? s[i].seconds : busy_max;
        } else {
            other++;
            FA_CHECK(false, "callback %d: neither a session nor service_busy: %s", i,
                     fa_signin_describe(&s[i].r));
        }
        free(err);
    }
    fprintf(stderr,
            "\n    session checks: %ld requests, max %.3f s (%s); service_busy max %.3f s; "
            "signed in max %.3f s; signin busy workers max %.0f\n    ",
            checker.requests, checker.max_seconds, checker.max_path ? checker.max_path : "-",
            busy_max, signed_in_max, checker.signin_busy_max);

    FA_CHECK(checker.requests > 0 && checker.failures == 0,
             "session checks during the sign-ins: %ld of %ld failed, first: %s", checker.failures,
             checker.requests, checker.first_failure);
    FA_CHECK(checker.max_seconds < FA_POOLS_CHECK_BOUND_S,
             "a session check (%s) took %.3f s while GitHub was %d ms slow: the sign-ins held "
             "its worker (bound %.2f s)",
             checker.max_path ? checker.max_path : "-", checker.max_seconds, FA_POOLS_DELAY_MS,
             FA_POOLS_CHECK_BOUND_S);
    FA_CHECK(signed_in >= workers, "only %d of %d sign-ins finished; the pool has %d workers",
             signed_in, n, workers);
    /* The queue is bounded: at most workers + queue admitted, and the last
     * queued one waits queue / workers sign-ins, never more. */
    FA_CHECK(signed_in <= workers + queue,
             "%d of %d sign-ins admitted for a pool of %d with a queue of %d: the queue is "
             "longer",
             signed_in, n, workers, queue);
    FA_CHECK(signed_in_max < rounds * FA_POOLS_DELAY_MS / 1000.0,
             "a sign-in took %.3f s with GitHub at %d ms: it waited behind more than %d",
             signed_in_max, FA_POOLS_DELAY_MS, queue / workers);
    FA_CHECK(busy >= 1, "%d sign-ins for a pool of %d: none answered service_busy", n, workers);
    FA_CHECK(busy_max < FA_POOLS_BUSY_BOUND_S,
             "service_busy took %.3f s (bound %.1f s): the queue is not bounded", busy_max,
             FA_POOLS_BUSY_BOUND_S);
    FA_CHECK(other == 0, "%d callbacks ended otherwise", other);
    /* A refused callback never reached a worker: its code was not spent, and
     * no code was exchanged twice. */
    FA_CHECK(exchanged == signed_in, "GitHub code exchanges: %ld for %d sign-ins", exchanged,
             signed_in);
    FA_CHECK(checker.signin_busy_max >= workers,
             "foundry_auth_pool_busy_workers{pool=\"signin\"} never reached %d (max %.0f)", workers,
             checker.signin_busy_max);
    FA_CHECK(waits_after - waits_before >= signed_in,
             "foundry_auth_pool_wait_seconds_count{pool=\"signin\"}: +%.0f for %d sign-ins",
             waits_after - waits_before, signed_in);
    /* The queued ones waited about one sign-in (the delay) each. */
    FA_CHECK(signed_in <= workers ||
                 waited_after - waited_before >= 0.8 * FA_POOLS_DELAY_MS / 1000.0,
             "foundry_auth_pool_wait_seconds_sum{pool=\"signin\"}: +%.3f s with %d sign-ins "
             "queued behind a %d ms GitHub",
             waited_after - waited_before, signed_in - workers, FA_POOLS_DELAY_MS);
    fprintf(stderr, "signin pool wait: +%.0f requests, +%.3f s\n    ", waits_after - waits_before,
            waited_after - waited_before);

    for (int i = 0; i < n; i++) {
        fa_signin_result_free(&s[i].r);
        fa_http_jar_free(s[i].jar);
    }
    fa_signin_result_free(&user);
    fa_http_jar_free(user_jar);
    free(login);
}

/* ---- the JSON routes ---------------------------------------------------- */

typedef struct {
    const char *body;
    long status;
    char error[32];
    double seconds;
} fa_pools_bootstrap_t;

static void *fa_pools_bootstrap_thread(void *arg)
{
    fa_pools_bootstrap_t *b = arg;
    static const char *const json_ct[] = {"Content-Type: application/json", NULL};
    fa_http_response_t *r = fa_http_send("POST", "/v1/auth/dev/bootstrap", json_ct, b->body, NULL);
    b->status = r->status;
    b->seconds = r->seconds;
    char *e = fa_http_json_string(r, "error");
    snprintf(b->error, sizeof b->error, "%s", e ? e : "");
    free(e);
    fa_http_response_free(r);
    return NULL;
}

/* The dev bootstrap calls GitHub's /user: on the sign-in pool, and beyond
 * it a quick 503 service_busy (JSON, Retry-After), not a wait. */
static void test_busy_json_route_answers_503_service_busy(void)
{
    int workers = fa_pools_signin_workers();
    int n = fa_pools_burst();
    char *token = fa_emulator_issue_token("octo-alice", "read:user user:email read:org");
    FA_CHECK_FATAL(token != NULL, "POST /_emulator/tokens/issue failed");
    char *body = fa_xasprintf("{\"githubToken\":\"%s\"}", token);
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"user\",\"delayMs\":1000}"),
                   "arming the /user delay failed");
    fa_pools_bootstrap_t b[FA_POOLS_MAX_SIGNINS];
    pthread_t threads[FA_POOLS_MAX_SIGNINS];
    for (int i = 0; i < n; i++) {
        b[i] = (fa_pools_bootstrap_t){.body = body};
        FA_CHECK_FATAL(pthread_create(&threads[i], NULL, fa_pools_bootstrap_thread, &b[i]) == 0,
                       "pthread_create");
    }
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    fa_emulator_clear_faults();
    int ok = 0, busy = 0;
    double busy_max = 0;
    for (int i = 0; i < n; i++) {
        if (b[i].status == 200) {
            ok++;
        } else if (b[i].status == 503 && strcmp(b[i].error, "service_busy") == 0) {
            busy++;
            busy_max = b[i].seconds > busy_max ? b[i].seconds : busy_max;
        } else {
            FA_CHECK(false, "dev bootstrap %d: %ld %s", i, b[i].status, b[i].error);
        }
    }
    fprintf(stderr, "\n    dev bootstrap x%d: %d ok, %d service_busy (max %.3f s)\n    ", n, ok,
            busy, busy_max);
    FA_CHECK(ok >= workers, "only %d of %d bootstraps succeeded", ok, n);
    FA_CHECK(busy >= 1, "%d bootstraps for a pool of %d: none answered 503 service_busy", n,
             workers);
    FA_CHECK(busy_max < FA_POOLS_BUSY_BOUND_S, "503 service_busy took %.3f s", busy_max);
    free(body);
    free(token);
}

void fa_register_pools_suite(void)
{
    CU_pSuite s = fa_suite_add("pools", fa_pools_init, fa_pools_cleanup);
    fa_test_add(s, "slow GitHub: session checks stay fast, extra sign-ins service_busy",
                test_slow_github_leaves_session_checks_alone);
    fa_test_add(s, "slow GitHub: the dev bootstrap beyond the pool gets 503 service_busy",
                test_busy_json_route_answers_503_service_busy);
}
