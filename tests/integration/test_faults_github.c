/* Faults suite, GitHub side: every endpoint the sign-in calls (token, user,
 * emails) slow past the service's timeout, resetting every connection,
 * answering 5xx or malformed JSON, for as long as the callback runs. A failed
 * token or user call ends the sign-in with a clear authError within the
 * timeout plus a second; a failed emails call (asked only for a private
 * email) costs only the email, by design (oauth.c). The code is never
 * exchanged twice, and the workers' fds and memory stay flat over hundreds
 * of failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "signin_helpers.h"

static const char *const fa_gh_endpoints[] = {"token", "user", "emails"};
enum { FA_GH_ENDPOINTS = 3 };

typedef struct {
    const char *name;
    const char *json;     /* printf format: endpoint, then delay (slow only) */
    const char *expected; /* authError */
} fa_gh_fault_t;

/* No "times": GitHub keeps failing while the callback runs, so a transparent
 * retry of an idempotent GET on a fresh connection cannot hide the fault. */
static const fa_gh_fault_t fa_gh_slow = {"slow", "{\"endpoint\":\"%s\",\"delayMs\":%ld}",
                                         "github_timeout"};
static const fa_gh_fault_t fa_gh_fast[] = {
    {"reset", "{\"endpoint\":\"%s\",\"reset\":true}", "github_error"},
    {"5xx", "{\"endpoint\":\"%s\",\"status\":502}", "github_error"},
    {"malformed", "{\"endpoint\":\"%s\",\"body\":\"malformed\"}", "github_error"},
};
enum { FA_GH_FAST = 3 };

/* A user whose email is private, so the sign-in reads /user/emails too. */
static void fa_gh_user(char *login, size_t len, char *id_text, size_t id_len)
{
    long long id = fa_fresh_user_id();
    snprintf(login, len, "ghfault-%lld", id % 100000000LL);
    snprintf(id_text, id_len, "%lld", id);
    char *body = fa_xasprintf("{\"id\":%lld,\"login\":\"%s\",\"name\":null,\"email\":null,"
                              "\"emails\":[{\"email\":\"%s@users.test.example\",\"primary\":true,"
                              "\"verified\":true,\"visibility\":\"private\"}],\"orgIds\":[]}",
                              id, login, login);
    fa_http_response_t *r = fa_emulator_post("users", body);
    FA_CHECK_FATAL(r->status >= 200 && r->status < 300, "POST /_emulator/users: %ld %.200s",
                   r->status, r->body);
    fa_http_response_free(r);
    free(body);
}

typedef struct {
    bool begun;
    long status;
    double seconds;
    char auth_error[48];
    bool session;
    long token_calls; /* code exchanges this attempt caused */
} fa_gh_attempt_t;

/* One sign-in whose callback meets the fault (armed after start + authorize). */
static void fa_gh_attempt(const char *login, const char *fault_json, long timeout_ms,
                          fa_gh_attempt_t *a)
{
    memset(a, 0, sizeof *a);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    a->begun = fa_signin_begin(jar, login, "/app", &r);
    long tokens = fa_emulator_calls("token");
    if (a->begun && fa_emulator_arm_fault(fault_json)) {
        a->session = fa_signin_finish(jar, &r, timeout_ms + 5000);
        a->status = r.callback->status;
        a->seconds = r.callback->seconds;
        char *e = fa_auth_error_of(r.location);
        snprintf(a->auth_error, sizeof a->auth_error, "%s", e ? e : "(none)");
        free(e);
        a->token_calls = fa_emulator_calls("token") - tokens;
    }
    fa_emulator_clear_faults();
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* expected NULL: the sign-in succeeds without the email (an emails fault). */
static void fa_gh_check(const fa_gh_attempt_t *a, const char *endpoint, const char *fault,
                        const char *expected, long timeout_ms, const char *user_id)
{
    FA_CHECK(a->begun, "%s %s: the sign-in did not get to the callback", endpoint, fault);
    if (!a->begun)
        return;
    if (expected) {
        FA_CHECK(a->status == 302 && strcmp(a->auth_error, expected) == 0 && !a->session,
                 "GitHub %s %s: expected a 302 to the sign-in page with authError=%s and no "
                 "session, got %ld authError=%s session=%s",
                 endpoint, fault, expected, a->status, a->auth_error, a->session ? "set" : "none");
    } else {
        char *email = fa_sql_text("SELECT coalesce(email, '(null)') FROM users WHERE id = "
                                  "$1::bigint",
                                  user_id, NULL);
        FA_CHECK(a->status == 302 && a->session && email && strcmp(email, "(null)") == 0,
                 "GitHub %s %s: expected a sign-in without the email, got %ld authError=%s "
                 "session=%s email=%s",
                 endpoint, fault, a->status, a->auth_error, a->session ? "set" : "none",
                 email ? email : "(no user row)");
        free(email);
    }
    FA_CHECK(a->seconds <= (double)timeout_ms / 1000.0 + 1.0,
             "GitHub %s %s: the callback took %.2f s (timeout %ld ms + 1 s)", endpoint, fault,
             a->seconds, timeout_ms);
    FA_CHECK(a->token_calls == 1, "GitHub %s %s: %ld code exchanges for one callback", endpoint,
             fault, a->token_calls);
}

static void test_github_faults_per_endpoint(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    char login[48], id[24];
    fa_gh_user(login, sizeof login, id, sizeof id);
    long timeout = fa_service_github_timeout_ms();
    double slowest[FA_GH_ENDPOINTS] = {0}, fastest_fault = 1e9, slowest_fault = 0;
    long long signed_in = 0;
    for (int e = 0; e < FA_GH_ENDPOINTS; e++) {
        const char *ep = fa_gh_endpoints[e];
        bool email_only = strcmp(ep, "emails") == 0;
        fa_gh_attempt_t a;
        char *json = fa_xasprintf(fa_gh_slow.json, ep, timeout + 1500);
        fa_gh_attempt(login, json, timeout, &a);
        free(json);
        fa_gh_check(&a, ep, fa_gh_slow.name, email_only ? NULL : fa_gh_slow.expected, timeout, id);
        slowest[e] = a.seconds;
        signed_in += a.session;
        for (int f = 0; f < FA_GH_FAST; f++) {
            json = fa_xasprintf(fa_gh_fast[f].json, ep);
            fa_gh_attempt(login, json, timeout, &a);
            free(json);
            fa_gh_check(&a, ep, fa_gh_fast[f].name, email_only ? NULL : fa_gh_fast[f].expected,
                        timeout, id);
            fastest_fault = a.seconds < fastest_fault ? a.seconds : fastest_fault;
            slowest_fault = a.seconds > slowest_fault ? a.seconds : slowest_fault;
            signed_in += a.session;
        }
    }
    long long sessions = fa_count_for_user("sessions", id);
    FA_CHECK(sessions == signed_in, "user %s has %lld sessions after %lld successful sign-ins",
             login, sessions, signed_in);
    printf("\n    GitHub faults: slow (%ld ms past the %ld ms timeout) token/user answered "
           "github_timeout after %.2f/%.2f s, emails gave up after %.2f s and signed in without "
           "the email; reset, 502 and malformed JSON answered in %.3f-%.3f s (token/user: "
           "github_error; emails: signed in without the email); one code exchange per "
           "callback\n",
           1500L, timeout, slowest[0], slowest[1], slowest[2], fastest_fault, slowest_fault);
}

/* Failed sign-ins cycling through the fast faults on the token and user
 * endpoints; returns how many did not end with a github_error redirect. */
static int fa_gh_fail_many(const char *login, int count, long timeout)
{
    int bad = 0;
    for (int i = 0; i < count; i++) {
        const char *ep = fa_gh_endpoints[i % 2];
        const fa_gh_fault_t *f = &fa_gh_fast[(i / 2) % FA_GH_FAST];
        char *json = fa_xasprintf(f->json, ep);
        fa_gh_attempt_t a;
        fa_gh_attempt(login, json, timeout, &a);
        free(json);
        bad += !a.begun || a.session || strcmp(a.auth_error, f->expected) != 0;
    }
    return bad;
}

typedef struct {
    size_t n;
    pid_t pid[FA_MAX_WORKERS];
    long fds[FA_MAX_WORKERS];
    long rss[FA_MAX_WORKERS];
} fa_worker_usage_t;

static void fa_worker_usage(fa_worker_usage_t *u)
{
    u->n = fa_workers(u->pid, FA_MAX_WORKERS);
    for (size_t i = 0; i < u->n; i++) {
        u->fds[i] = fa_proc_fd_count(u->pid[i]);
        u->rss[i] = fa_proc_rss_kib(u->pid[i]);
    }
}

static bool fa_same_pids(const fa_worker_usage_t *a, const fa_worker_usage_t *b)
{
    return a->n == b->n && memcmp(a->pid, b->pid, a->n * sizeof a->pid[0]) == 0;
}

static void test_github_faults_leak_nothing(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    char login[48], id[24];
    fa_gh_user(login, sizeof login, id, sizeof id);
    long timeout = fa_service_github_timeout_ms();
    /* Warm-up: every code path once, so lazily built state is in place. */
    int bad = fa_gh_fail_many(login, 4 * FA_GH_FAST, timeout);
    fa_worker_usage_t u0, u1, u2;
    fa_worker_usage(&u0);
    bad += fa_gh_fail_many(login, 50, timeout);
    fa_worker_usage(&u1);
    double t = fa_now();
    bad += fa_gh_fail_many(login, 200, timeout);
    double took = fa_now() - t;
    fa_worker_usage(&u2);
    FA_CHECK(bad == 0, "%d failing sign-ins did not end with authError=github_error", bad);
    FA_CHECK_FATAL(u0.n > 0 && fa_same_pids(&u0, &u1) && fa_same_pids(&u1, &u2),
                   "the workers changed during the failing sign-ins: one crashed");
    /* Under ASan freed memory sits in the allocator's quarantine, so RSS
     * grows by design; LeakSanitizer checks leaks when the workers exit. */
    bool asan = fa_service_is_asan();
    long rss_bound = asan ? 64 * 1024 : 4 * 1024;
    long max_fd_growth = 0, max_rss_growth = 0;
    for (size_t i = 0; i < u0.n; i++) {
        long fd_growth = u1.fds[i] - u0.fds[i];
        long rss_growth = u2.rss[i] - u1.rss[i];
        FA_CHECK(u0.fds[i] > 0 && fd_growth <= 2,
                 "worker %d: %ld open fds before 50 failing sign-ins, %ld after", (int)u0.pid[i],
                 u0.fds[i], u1.fds[i]);
        FA_CHECK(u1.rss[i] > 0 && rss_growth <= rss_bound,
                 "worker %d: VmRSS %ld KiB before 200 failing sign-ins, %ld KiB after (bound %ld "
                 "KiB)",
                 (int)u0.pid[i], u1.rss[i], u2.rss[i], rss_bound);
        max_fd_growth = fd_growth > max_fd_growth ? fd_growth : max_fd_growth;
        max_rss_growth = rss_growth > max_rss_growth ? rss_growth : max_rss_growth;
    }
    long long sessions = fa_count_for_user("sessions", id);
    FA_CHECK(sessions == 0, "user %s has %lld sessions after only failed sign-ins", login,
             sessions);
    printf("\n    GitHub failing (reset/502/malformed on token and user): %zu workers; open "
           "fds grew by at most %ld over 50 failed sign-ins (%ld..%ld); VmRSS grew by at most "
           "%ld KiB over 200 (%.1f s, bound %ld KiB%s)\n",
           u0.n, max_fd_growth, u0.fds[0], u1.fds[0], max_rss_growth, took, rss_bound,
           asan ? ", ASan quarantine" : "");
}

void fa_faults_add_github_tests(CU_pSuite suite)
{
    fa_test_add(suite, "GitHub slow, reset, 5xx, malformed: clear errors in time",
                test_github_faults_per_endpoint);
    fa_test_add(suite, "GitHub failures leak no fds or memory", test_github_faults_leak_nothing);
}
