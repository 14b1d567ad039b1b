/* Limits suite (issue 12, sections 2 and 3).
 *
 * GitHub rate limits: a 403 with x-ratelimit-remaining 0 (reset an hour
 * away) or a 429 with retry-after from /user ends the sign-in with
 * authError=github_rate_limited&retryAfter=N, and until then nothing calls
 * GitHub: not a callback begun before the limit (its code is not even
 * exchanged), not a new sign-in start, not the organization sync (postponed,
 * its attempt given back). Once the time passes, sign-in works again.
 *
 * Admin throttle: wrong admin tokens from one address get 401 up to the
 * limit, then 429 with Retry-After, the right token included, with an audit
 * event; the overall limit does the same for everyone.
 *
 * nginx: the SHIPPED rate (nginx/snippets/foundry-auth-http.conf, 10 r/s)
 * never answers a burst of session checks with 429, and does limit sign-in
 * starts. The suite runs its own nginx with the shipped zone line and the
 * shipped locations snippet, pointed at the running service (the main test
 * nginx runs with a high rate so the other suites' bursts pass).
 *
 * The suite cleans up after itself (the limit row, the failure counts), so
 * the suites and the browser test after it start unlimited. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "identity_helpers.h"
#include "own_nginx.h"
#include "signin_helpers.h"

#define FA_ADMIN_PER_ADDRESS 10 /* app/auth/admin_throttle.h */
#define FA_ADMIN_TOTAL 100

static void fa_limits_reset(void)
{
    fa_sql_exec("DELETE FROM github_rate_limits", NULL);
    fa_sql_exec("DELETE FROM auth_failures", NULL);
    fa_emulator_clear_faults();
}

static int fa_limits_init(void)
{
    fa_limits_reset();
    return 0;
}

static int fa_limits_cleanup(void)
{
    fa_limits_reset();
    return 0;
}

static double fa_metric_now(const char *metric, const char *const *labels)
{
    fa_http_response_t *r = fa_http_get("/metrics");
    double v = r->status == 200 ? fa_metrics_value(r->body, metric, labels) : -1;
    fa_http_response_free(r);
    return v < 0 ? 0 : v;
}

static bool fa_metric_present(const char *metric)
{
    fa_http_response_t *r = fa_http_get("/metrics");
    bool present = r->status == 200 && fa_metrics_value(r->body, metric, NULL) >= 0;
    fa_http_response_free(r);
    return present;
}

/* A GitHub user of its own for this suite, with a public email. */
static void fa_limits_github_user(char *login, size_t len)
{
    long long id = fa_fresh_user_id();
    snprintf(login, len, "limits-%lld", id % 100000000LL);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "POST /_emulator/users failed");
}

/* authError and retryAfter of a redirect to the sign-in page. */
static void fa_limits_outcome(const char *location, char *error, size_t len, long *retry_after)
{
    char *e = location ? fa_auth_error_of(location) : NULL;
    snprintf(error, len, "%s", e ? e : "(none)");
    free(e);
    char *r = location ? fa_url_param(location, "retryAfter") : NULL;
    *retry_after = r && *r && strspn(r, "0123456789") == strlen(r) ? atol(r) : -1;
    free(r);
}

/* GET /v1/auth/github/start: the sign-in page while limited (not GitHub). */
static void fa_limits_check_start_refused(const char *what, long min_wait, long max_wait)
{
    fa_http_response_t *r = fa_http_get("/v1/auth/github/start?returnTo=%2Fapp");
    const char *location = fa_http_header(r, "Location");
    char error[48];
    long wait;
    fa_limits_outcome(location, error, sizeof error, &wait);
    FA_CHECK(r->status == 302 && strcmp(error, "github_rate_limited") == 0 && wait >= min_wait &&
                 wait <= max_wait,
             "%s: sign-in start while GitHub limits us: expected a 302 to the sign-in page with "
             "authError=github_rate_limited&retryAfter in [%ld, %ld], got %ld Location %s",
             what, min_wait, max_wait, r->status, location ? location : "(none)");
    fa_http_response_free(r);
}

/* One limit, from /user (fault_json), seen by the callback of sign-in A; a
 * sign-in B begun before it and a new start must then not reach GitHub. */
static void fa_limits_scenario(const char *what, const char *fault_json, long min_wait,
                               long max_wait)
{
    fa_limits_reset();
    char login[48];
    fa_limits_github_user(login, sizeof login);
    fa_http_jar_t *jar_a = fa_http_jar_new(), *jar_b = fa_http_jar_new();
    fa_signin_result_t a, b;
    bool begun = fa_signin_begin(jar_a, login, "/app", &a);
    begun = fa_signin_begin(jar_b, login, "/app", &b) && begun;
    FA_CHECK_FATAL(begun, "%s: the sign-ins did not reach the callback: %s", what,
                   fa_signin_describe(&a));
    const char *const refused[] = {"reason=github_rate_limited", NULL};
    double limited_before = fa_metric_now("foundry_auth_github_rate_limited_total", NULL);
    double refused_before = fa_metric_now("foundry_auth_sign_ins_refused_total", refused);

    FA_CHECK_FATAL(fa_emulator_arm_fault(fault_json), "%s: arming %s failed", what, fault_json);
    bool session = fa_signin_finish(jar_a, &a, 0);
    char error[48];
    long wait;
    fa_limits_outcome(a.location, error, sizeof error, &wait);
    FA_CHECK(!session && a.callback->status == 302 && strcmp(error, "github_rate_limited") == 0 &&
                 wait >= min_wait && wait <= max_wait,
             "%s: /user rate limited: expected a 302 to the sign-in page with "
             "authError=github_rate_limited&retryAfter in [%ld, %ld], got %ld Location %s",
             what, min_wait, max_wait, a.callback->status, a.location ? a.location : "(none)");

    /* GitHub would answer now: any call we see is one the service should
     * not have made. */
    fa_emulator_clear_faults();
    fa_emulator_clear_calls();
    session = fa_signin_finish(jar_b, &b, 0);
    fa_limits_outcome(b.location, error, sizeof error, &wait);
    FA_CHECK(!session && strcmp(error, "github_rate_limited") == 0 && wait >= min_wait - 5 &&
                 wait <= max_wait,
             "%s: a callback while limited: expected authError=github_rate_limited with "
             "retryAfter in [%ld, %ld], got Location %s",
             what, min_wait - 5, max_wait, b.location ? b.location : "(none)");
    fa_limits_check_start_refused(what, min_wait - 5, max_wait);
    long tokens = fa_emulator_calls("token"), users = fa_emulator_calls("user");
    FA_CHECK(tokens == 0 && users == 0,
             "%s: while limited the service still called GitHub: %ld code exchange(s), %ld /user "
             "call(s) (want 0 and 0: the code must not be spent for nothing)",
             what, tokens, users);

    double limited = fa_metric_now("foundry_auth_github_rate_limited_total", NULL);
    double refused_now = fa_metric_now("foundry_auth_sign_ins_refused_total", refused);
    FA_CHECK(limited >= limited_before + 1,
             "%s: foundry_auth_github_rate_limited_total went from %.0f to %.0f", what,
             limited_before, limited);
    FA_CHECK(refused_now >= refused_before + 2,
             "%s: foundry_auth_sign_ins_refused_total{reason=\"github_rate_limited\"} went from "
             "%.0f to %.0f (a callback and a start were refused)",
             what, refused_before, refused_now);
    long long rows = fa_sql_int("SELECT count(*) FROM github_rate_limits WHERE limited_until > "
                                "now()",
                                NULL);
    FA_CHECK(rows == 1, "%s: %lld live rows in github_rate_limits, want 1", what, rows);
    fa_signin_result_free(&a);
    fa_signin_result_free(&b);
    fa_http_jar_free(jar_a);
    fa_http_jar_free(jar_b);
}

static void test_github_403_reset_in_an_hour(void)
{
    FA_CHECK(fa_metric_present("foundry_auth_github_rate_limited_total"),
             "/metrics has no foundry_auth_github_rate_limited_total");
    fa_limits_scenario("403 remaining 0, reset +1h",
                       "{\"endpoint\":\"user\",\"rateLimit\":\"403\",\"retryAfter\":3600}", 3590,
                       3600);
    fa_limits_reset();
}

static void test_github_429_retry_after(void)
{
    fa_limits_scenario("429 retry-after 120",
                       "{\"endpoint\":\"user\",\"rateLimit\":\"429\",\"retryAfter\":120}", 115,
                       120);
    fa_limits_reset();
}

/* The latest org_sync job of user_id has been postponed for the limit. */
static bool fa_sync_postponed(void *user_id)
{
    long long n = fa_sql_int("SELECT count(*) FROM jobs WHERE user_id = $1::bigint AND kind = "
                             "'org_sync' AND status = 'queued' AND attempts = 0 "
                             "AND run_at > now() + interval '30 minutes' "
                             "AND last_error LIKE 'github_rate_limited%'",
                             (const char *)user_id, NULL);
    return n >= 1;
}

static bool fa_sync_settled(void *user_id)
{
    return fa_sql_int("SELECT count(*) FROM jobs WHERE user_id = $1::bigint AND kind = 'org_sync' "
                      "AND status IN ('queued', 'running') AND run_at <= now()",
                      (const char *)user_id, NULL) == 0;
}

static void test_github_limit_postpones_org_sync(void)
{
    fa_limits_reset();
    fa_id_user_t u;
    fa_id_user_new(&u, "limsync");
    /* The sign-in's own sync runs first, unlimited. */
    fa_wait_until(10000, 100, fa_sync_settled, u.id_text);
    fa_sql_exec("INSERT INTO github_rate_limits (api, limited_until, http_status) "
                "VALUES ('github_api', now() + interval '1 hour', 403)",
                NULL);
    fa_emulator_clear_calls();
    fa_http_response_t *r =
        fa_bearer_request("POST", "/v1/app/organizations/sync", u.session, "{}");
    FA_CHECK(r->status >= 200 && r->status < 300, "POST /v1/app/organizations/sync: %ld %.200s",
             r->status, r->body);
    fa_http_response_free(r);
    bool postponed = fa_wait_until(10000, 200, fa_sync_postponed, u.id_text);
    char *jobs =
        fa_sql_text("SELECT string_agg(status || ' attempts=' || attempts || ' run_at-now=' "
                    "|| (run_at - now()) || ' ' || coalesce(last_error, ''), '; ') "
                    "FROM jobs WHERE user_id = $1::bigint AND kind = 'org_sync'",
                    u.id_text, NULL);
    FA_CHECK(postponed,
             "org sync while GitHub limits us: expected the job queued again for after the reset "
             "with its attempt given back (github_rate_limited), got: %s",
             jobs ? jobs : "(no job)");
    long orgs = fa_emulator_calls("orgs");
    FA_CHECK(orgs == 0, "org sync while limited called GET /user/orgs %ld time(s)", orgs);
    free(jobs);
    fa_id_user_free(&u);
    fa_limits_reset();
}

static void test_github_signin_works_after_the_reset(void)
{
    fa_limits_reset();
    char login[48];
    fa_limits_github_user(login, sizeof login);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t a;
    FA_CHECK_FATAL(fa_signin_begin(jar, login, "/app", &a), "sign-in did not reach the callback");
    FA_CHECK_FATAL(
        fa_emulator_arm_fault(
            "{\"endpoint\":\"user\",\"rateLimit\":\"403\",\"retryAfter\":3,\"times\":1}"),
        "arming the fault failed");
    bool session = fa_signin_finish(jar, &a, 0);
    char error[48];
    long wait;
    fa_limits_outcome(a.location, error, sizeof error, &wait);
    FA_CHECK(!session && strcmp(error, "github_rate_limited") == 0 && wait >= 1 && wait <= 3,
             "403 with reset in 3 s: expected authError=github_rate_limited&retryAfter in [1, 3], "
             "got Location %s",
             a.location ? a.location : "(none)");
    fa_signin_result_free(&a);
    fa_limits_check_start_refused("reset in 3 s", 1, 3);
    fa_sleep_ms(4000);
    fa_http_jar_t *jar2 = fa_http_jar_new();
    fa_signin_result_t b;
    session = fa_signin_browser(jar2, login, "/app", &b);
    FA_CHECK(session, "sign-in after the reset passed: %s", fa_signin_describe(&b));
    fa_signin_result_free(&b);
    fa_http_jar_free(jar);
    fa_http_jar_free(jar2);
    fa_limits_reset();
}

/* ---- admin throttle ---------------------------------------------------- */

static char *fa_limits_admin_token(void)
{
    fa_run_result_t res;
    const char *create[] = {"admin", "token", "create", NULL};
    fa_id_cli(&res, create);
    if (res.exit_code != 0) {
        fa_run_result_free(&res);
        const char *rotate[] = {"admin", "token", "rotate", NULL};
        fa_id_cli(&res, rotate);
    }
    FA_CHECK_FATAL(res.exit_code == 0, "admin token create/rotate: exit %d: %s%s", res.exit_code,
                   res.out, res.err);
    char *token = fa_xstrdup(strtok(res.out, "\n"));
    fa_run_result_free(&res);
    fa_seen_secret("admin", token);
    return token;
}

static long fa_admin_get(const char *token, char *retry_after, size_t len)
{
    char *auth = fa_xasprintf("Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    fa_http_response_t *r = fa_http_send("GET", "/v1/admin/users?limit=1", headers, NULL, NULL);
    long status = r->status;
    if (retry_after) {
        const char *ra = fa_http_header(r, "Retry-After");
        snprintf(retry_after, len, "%s", ra ? ra : "");
    }
    if (status == 429)
        FA_CHECK_JSON_ERROR(r, 429, "admin_auth_throttled", "a throttled admin request");
    fa_http_response_free(r);
    free(auth);
    return status;
}

/* Stay inside one minute window: fixed windows restart the count at :00. */
static void fa_wait_for_fresh_minute(void)
{
    long long second = fa_sql_int("SELECT extract(second FROM now())::int", NULL);
    if (second > 45)
        fa_sleep_ms((61 - second) * 1000);
}

static void test_admin_wrong_tokens_throttled(void)
{
    fa_limits_reset();
    char *token = fa_limits_admin_token();
    FA_CHECK_FATAL(fa_admin_get(token, NULL, 0) == 200, "the fresh admin token does not work");
    fa_wait_for_fresh_minute();
    double throttled_before = fa_metric_now("foundry_auth_admin_auth_throttled_total", NULL);
    int unauthorized = 0, throttled = 0, other = 0, first_429 = -1;
    char retry_after[32] = "";
    for (int i = 0; i < 100; i++) {
        char *random = fa_random_b64url();
        char *wrong = fa_xasprintf("fa_admin_%s", random);
        char ra[32];
        long st = fa_admin_get(wrong, ra, sizeof ra);
        if (st == 401)
            unauthorized++;
        else if (st == 429) {
            throttled++;
            if (first_429 < 0) {
                first_429 = i;
                snprintf(retry_after, sizeof retry_after, "%s", ra);
            }
        } else
            other++;
        free(wrong), free(random);
    }
    FA_CHECK(unauthorized == FA_ADMIN_PER_ADDRESS && throttled == 100 - FA_ADMIN_PER_ADDRESS &&
                 other == 0,
             "100 wrong admin tokens from one address: expected %d x 401 then %d x 429, got %d x "
             "401, %d x 429 (first at #%d), %d other",
             FA_ADMIN_PER_ADDRESS, 100 - FA_ADMIN_PER_ADDRESS, unauthorized, throttled,
             first_429 + 1, other);
    long wait = atol(retry_after);
    FA_CHECK(wait >= 1 && wait <= 60, "throttled admin answer: Retry-After \"%s\", want 1..60",
             retry_after);
    /* The observation: the 101st, correct, token got 200. */
    long st = fa_admin_get(token, NULL, 0);
    FA_CHECK(st == 429,
             "the correct admin token while the address is throttled: expected 429, "
             "got %ld",
             st);
    long long events = fa_sql_int("SELECT count(*) FROM audit_events WHERE event = "
                                  "'admin_auth_throttled' AND ip = '127.0.0.1' "
                                  "AND detail->>'scope' = 'address' "
                                  "AND at > now() - interval '2 minutes'",
                                  NULL);
    FA_CHECK(events >= 1, "no admin_auth_throttled audit event for 127.0.0.1");
    double throttled_now = fa_metric_now("foundry_auth_admin_auth_throttled_total", NULL);
    FA_CHECK(throttled_now >= throttled_before + 91,
             "foundry_auth_admin_auth_throttled_total went from %.0f to %.0f after 91 refusals",
             throttled_before, throttled_now);
    /* A new window (simulated: the counts deleted) lets the right token in. */
    fa_sql_exec("DELETE FROM auth_failures", NULL);
    st = fa_admin_get(token, NULL, 0);
    FA_CHECK(st == 200, "the admin token once the window is over: %ld", st);

    /* The overall limit: failures from every address together. */
    fa_sql_exec("INSERT INTO auth_failures (scope, key, window_start, failures) VALUES "
                "('admin_total', '', date_trunc('minute', now()), $1::int)",
                "100", NULL);
    st = fa_admin_get(token, NULL, 0);
    FA_CHECK(st == 429, "the admin token past the overall failure limit: expected 429, got %ld",
             st);
    fa_limits_reset();
    free(token);
}

/* ---- nginx with the shipped rate ---------------------------------------- */

static fa_own_nginx_t fa_nginx = {.pid = -1};

/* The limit_req_zone line of the shipped http snippet, as users get it. */
static char *fa_shipped_zone(void)
{
    char *path = fa_xasprintf("%s/nginx/snippets/foundry-auth-http.conf", fa_env("FA_TEST_ROOT"));
    char *text = fa_file_read(path, NULL);
    free(path);
    FA_CHECK_FATAL(text != NULL, "cannot read nginx/snippets/foundry-auth-http.conf");
    char *line = strstr(text, "\nlimit_req_zone ");
    FA_CHECK_FATAL(line != NULL, "no limit_req_zone in foundry-auth-http.conf");
    line++;
    char *end = strchr(line, '\n');
    char *zone = end ? strndup(line, (size_t)(end - line)) : fa_xstrdup(line);
    free(text);
    return zone;
}

/* The shipped locations snippet behind the shipped limit_req_zone line. */
static bool fa_shipped_nginx_start(char **zone_out)
{
    char *zone = fa_shipped_zone();
    char *http = fa_xasprintf("    %s\n    limit_req_status 429;", zone);
    bool up = fa_own_nginx_start(&fa_nginx, "limits", 2, http,
                                 "        include snippets/foundry-auth-locations.conf;");
    free(http);
    *zone_out = zone;
    return up;
}

static void fa_shipped_nginx_stop(void)
{
    fa_own_nginx_stop(&fa_nginx);
}

enum { FA_CHECKERS = 8, FA_CHECKS_EACH = 25 };

typedef struct {
    const char *session;
    int index;
    long verify[6]; /* GET /v1/auth/verify: 2xx, 401, 429, other 4xx, 5xx, transport */
    long others[6]; /* the other session checks, same slots */
} fa_checker_t;

static void fa_count_status(long *counts, long status)
{
    int slot = status == 0                     ? 5
               : status >= 200 && status < 300 ? 0
               : status == 401                 ? 1
               : status == 429                 ? 2
               : status >= 400 && status < 500 ? 3
                                               : 4;
    counts[slot]++;
}

static long fa_check_once(const char *method, const char *path, const char *const *headers,
                          const char *body)
{
    char *url = fa_own_nginx_url(&fa_nginx, path);
    fa_http_response_t *r = fa_http_send(method, url, headers, body, NULL);
    long status = r->status;
    fa_http_response_free(r);
    free(url);
    return status;
}

/* What every page load and every backend asks: GET /v1/auth/verify each
 * round (the auth_request of a protected site), and one of the other
 * session checks round robin. */
static void *fa_checker(void *arg)
{
    fa_checker_t *c = arg;
    char *auth = fa_xasprintf("Authorization: Bearer %s", c->session);
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    static const char *const paths[] = {"/v1/auth/session", "/v1/auth/sessions", "/v1/app/snapshot",
                                        "/.well-known/jwks.json"};
    for (int i = 0; i < FA_CHECKS_EACH; i++) {
        fa_count_status(c->verify, fa_check_once("GET", "/v1/auth/verify", headers, NULL));
        int n = (c->index + i) % 5;
        long status = n == 4 ? fa_check_once("POST", "/v1/auth/token/verify", headers,
                                             "{\"token\":\"x.y.z\",\"audience\":\"api.test\"}")
                             : fa_check_once("GET", paths[n], headers, NULL);
        fa_count_status(c->others, status);
    }
    free(auth);
    return NULL;
}

static void test_nginx_shipped_rate_spares_session_checks(void)
{
    fa_limits_reset();
    char *zone = NULL;
    bool up = fa_shipped_nginx_start(&zone);
    FA_CHECK(zone && strstr(zone, "rate=10r/s"), "the shipped zone is not 10 r/s: %s",
             zone ? zone : "(none)");
    if (!up) {
        FA_CHECK(false, "nginx with the shipped rate did not start");
        fa_shipped_nginx_stop();
        free(zone);
        return;
    }
    fa_id_user_t u;
    fa_id_user_new(&u, "limnginx");
    fa_checker_t checkers[FA_CHECKERS];
    pthread_t threads[FA_CHECKERS];
    for (int i = 0; i < FA_CHECKERS; i++) {
        checkers[i] = (fa_checker_t){.session = u.session, .index = i};
        pthread_create(&threads[i], NULL, fa_checker, &checkers[i]);
    }
    long verify[6] = {0}, others[6] = {0};
    for (int i = 0; i < FA_CHECKERS; i++) {
        pthread_join(threads[i], NULL);
        for (int k = 0; k < 6; k++) {
            verify[k] += checkers[i].verify[k];
            others[k] += checkers[i].others[k];
        }
    }
    FA_CHECK(verify[0] == FA_CHECKERS * FA_CHECKS_EACH,
             "%d GET /v1/auth/verify with a session from one address at concurrency %d with the "
             "shipped rate: %ld x 2xx, %ld x 401, %ld x 429, %ld other 4xx, %ld x 5xx, %ld "
             "transport errors (want all 2xx, no 429)",
             FA_CHECKERS * FA_CHECKS_EACH, FA_CHECKERS, verify[0], verify[1], verify[2], verify[3],
             verify[4], verify[5]);
    FA_CHECK(others[2] == 0 && others[4] == 0 && others[5] == 0,
             "%d other session checks (session, sessions, snapshot, jwks, token/verify) with the "
             "shipped rate: %ld x 2xx, %ld x 401, %ld x 429, %ld other 4xx, %ld x 5xx, %ld "
             "transport errors (want no 429)",
             FA_CHECKERS * FA_CHECKS_EACH, others[0], others[1], others[2], others[3], others[4],
             others[5]);

    /* Sign-in starts beyond the burst are limited. */
    long starts[6] = {0};
    char *url = fa_own_nginx_url(&fa_nginx, "/v1/auth/github/start");
    for (int i = 0; i < 60; i++) {
        fa_http_response_t *r = fa_http_get(url);
        fa_count_status(starts, r->status);
        fa_http_response_free(r);
    }
    free(url);
    FA_CHECK(starts[2] > 0,
             "60 sign-in starts from one address with the shipped rate: no 429 "
             "(%ld other answers)",
             60 - starts[2]);
    printf("\n    shipped rate: %d verify + %d other session checks -> %ld x 429; 60 sign-in "
           "starts -> %ld x 429\n",
           FA_CHECKERS * FA_CHECKS_EACH, FA_CHECKERS * FA_CHECKS_EACH, verify[2] + others[2],
           starts[2]);
    fa_id_user_free(&u);
    fa_shipped_nginx_stop();
    free(zone);
}

void fa_register_limits_suite(void)
{
    CU_pSuite s = fa_suite_add("limits", fa_limits_init, fa_limits_cleanup);
    fa_test_add(s, "GitHub 403 with reset in an hour: no call until then",
                test_github_403_reset_in_an_hour);
    fa_test_add(s, "GitHub 429 with retry-after: no call until then", test_github_429_retry_after);
    fa_test_add(s, "GitHub limit postpones the org sync", test_github_limit_postpones_org_sync);
    fa_test_add(s, "sign-in works again after the reset", test_github_signin_works_after_the_reset);
    fa_test_add(s, "wrong admin tokens throttled, right one too",
                test_admin_wrong_tokens_throttled);
    fa_test_add(s, "nginx shipped rate: session checks never 429, sign-in start does",
                test_nginx_shipped_rate_spares_session_checks);
}
