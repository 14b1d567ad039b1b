/* Hostile GitHub suite (issue 12): GitHub answers with its usual JSON but
 * one field replaced (the emulator's field fault) by CR/LF, a NUL, invalid
 * UTF-8, 10 KB, a wrong JSON type or an out-of-range number, for every field
 * of the token answer, /user, /user/emails and /user/orgs in turn.
 *
 * Each case: the sign-in is refused (302 to the sign-in page with
 * authError=github_error, no user, account or session row written) or
 * accepted with nothing stored that breaks the rules the boundary promises
 * (no control character, bounded); no later request (verify, session,
 * snapshot) answers 5xx; the master restarts no worker. /user/emails only
 * costs the email (oauth.c), and /user/orgs is read by the org_sync job,
 * which must record the failure while the snapshot still renders.
 *
 * Last, a login with CR/LF already in the database (an older version stored
 * it) costs the request that would put it in a header a 500, and the worker
 * serves the next request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "jobs_helpers.h"
#include "signin_helpers.h"

#define FA_RESTARTS "foundry_auth_worker_restarts_total"
#define FA_HOSTILE_SYNC_WAIT_MS 15000

typedef struct {
    const char *name;
    const char *member; /* the fault's "value":... or "rawValue":"..." */
} fa_hostile_value_t;

static char fa_long_member[10 * 1024 + 32];

/* The replacements, in turn. Wrong types include a number and a string
 * either way: "42" is the wrong type for an id, 42 for a login. */
static const fa_hostile_value_t fa_values[] = {
    {"CR/LF string", "\"value\":\"ab\\r\\nX-Evil: 1\""},
    {"NUL byte string", "\"value\":\"a\\u0000b\""},
    {"invalid UTF-8", "\"rawValue\":\"2261ff6222\""}, /* "a<FF>b" */
    {"10 KB string", fa_long_member},
    {"number", "\"value\":42"},
    {"numeric string", "\"value\":\"42\""},
    {"object", "\"value\":{\"a\":1}"},
    {"array", "\"value\":[1]"},
    {"bool", "\"value\":true"},
    {"null", "\"value\":null"},
    {"0", "\"value\":0"},
    {"-1", "\"value\":-1"},
    {"2^63", "\"rawValue\":\"39323233333732303336383534373735383038\""},
    {"1e400", "\"rawValue\":\"31653430\""},
};
enum { FA_VALUES = sizeof fa_values / sizeof fa_values[0] };

static void fa_values_init(void)
{
    char *p = fa_long_member;
    p += sprintf(p, "\"value\":\"");
    memset(p, 'x', 10 * 1024);
    strcpy(p + 10 * 1024, "\"");
}

/* ---- the service's health around each case ---------------------------- */

static double fa_restarts(void)
{
    fa_http_response_t *r = fa_http_get("/metrics");
    double v = r->status == 200 ? fa_metrics_value(r->body, FA_RESTARTS, NULL) : -2;
    fa_http_response_free(r);
    return v;
}

typedef struct {
    double restarts;
    size_t workers;
    pid_t pids[FA_MAX_WORKERS];
} fa_health_t;

static void fa_health(fa_health_t *h)
{
    h->restarts = fa_restarts();
    h->workers = fa_workers(h->pids, FA_MAX_WORKERS);
}

static void fa_health_check(const fa_health_t *before, const char *what)
{
    fa_health_t after;
    fa_health(&after);
    FA_CHECK(after.restarts == before->restarts && after.workers == before->workers &&
                 memcmp(after.pids, before->pids, after.workers * sizeof after.pids[0]) == 0,
             "%s: a worker died (restarts %.0f -> %.0f, workers %zu -> %zu)", what,
             before->restarts, after.restarts, before->workers, after.workers);
}

/* Requests a browser or nginx makes after a sign-in; none may be a 5xx. */
static void fa_later_requests(fa_http_jar_t *jar, const char *session, const char *what)
{
    static const char *const paths[] = {"/v1/auth/verify", "/v1/auth/session", "/v1/app/snapshot"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        fa_http_response_t *r = session
                                    ? fa_bearer_request("GET", paths[i], session, NULL)
                                    : fa_browser_request("GET", paths[i], jar, NULL, NULL, NULL);
        FA_CHECK(r->status > 0 && r->status < 500, "%s: GET %s answered %ld", what, paths[i],
                 r->status);
        fa_http_response_free(r);
    }
}

/* What the boundary promises about stored text: no control character, and
 * the bounds of app/github/responses.c. 0 when the user's rows keep it. */
static long long fa_bad_stored_text(const char *user_id)
{
    return fa_sql_int("SELECT count(*) FROM users u JOIN user_profiles p ON p.user_id = u.id "
                      "LEFT JOIN accounts a ON a.user_id = u.id WHERE u.id = $1::bigint AND ("
                      "p.github_login !~ '^[A-Za-z0-9-]{1,39}(_[A-Za-z0-9]{1,39})?$' "
                      "OR coalesce(u.name, '') ~ '[[:cntrl:]]' OR octet_length(u.name) > 255 "
                      "OR coalesce(u.email, '') ~ '[[:cntrl:]]' OR octet_length(u.email) > 320 "
                      "OR coalesce(u.image, '') ~ '[[:cntrl:]]' OR octet_length(u.image) > 2048 "
                      "OR coalesce(a.scope, '') ~ '[[:cntrl:]]' OR octet_length(a.scope) > 1024)",
                      user_id, NULL);
}

/* ---- users at the emulator --------------------------------------------- */

typedef struct {
    long long id;
    char id_text[24];
    char login[40];
} fa_hostile_user_t;

/* A fresh user; private_email makes the sign-in read /user/emails. */
static void fa_hostile_user(fa_hostile_user_t *u, bool private_email, long long org_id)
{
    u->id = fa_fresh_user_id();
    snprintf(u->id_text, sizeof u->id_text, "%lld", u->id);
    snprintf(u->login, sizeof u->login, "hostile-%lld", u->id % 100000000LL);
    char *email = fa_xasprintf("%s@users.test.example", u->login);
    json_t *orgs = json_array();
    if (org_id)
        json_array_append_new(orgs, json_integer(org_id));
    json_t *body = json_pack("{s:I,s:s,s:s,s:o,s:[{s:s,s:b,s:b,s:s}],s:o}", "id", (json_int_t)u->id,
                             "login", u->login, "name", u->login, "email",
                             private_email ? json_null() : json_string(email), "emails", "email",
                             email, "primary", 1, "verified", 1, "visibility",
                             private_email ? "private" : "public", "orgIds", orgs);
    char *text = json_dumps(body, JSON_COMPACT);
    fa_http_response_t *r = fa_emulator_post("users", text);
    FA_CHECK_FATAL(r->status >= 200 && r->status < 300, "POST /_emulator/users: %ld %.200s",
                   r->status, r->body);
    fa_http_response_free(r);
    free(text);
    json_decref(body);
    free(email);
}

/* ---- sign-in cases (token, user, emails) ------------------------------- */

typedef struct {
    const char *endpoint;
    const char *field;
} fa_hostile_field_t;

/* One sign-in whose callback meets GitHub answering endpoint with field
 * replaced by value. Returns how many checks failed. */
static int fa_hostile_signin(const fa_hostile_field_t *f, const fa_hostile_value_t *v)
{
    int failed = 0;
    bool emails = strcmp(f->endpoint, "emails") == 0;
    fa_hostile_user_t u;
    fa_hostile_user(&u, emails, 0);
    char *what = fa_xasprintf("%s.%s = %s", f->endpoint, f->field, v->name);
    fa_health_t before;
    fa_health(&before);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool begun = fa_signin_begin(jar, u.login, "/app", &r);
    char *fault =
        fa_xasprintf("{\"endpoint\":\"%s\",\"field\":\"%s\",%s}", f->endpoint, f->field, v->member);
    failed += !FA_CHECK(begun && fa_emulator_arm_fault(fault), "%s: could not begin (%s)", what,
                        fa_signin_describe(&r));
    free(fault);
    bool session = begun && fa_signin_finish(jar, &r, 15000);
    fa_emulator_clear_faults();
    long status = r.callback ? r.callback->status : 0;
    char *auth_error = fa_auth_error_of(r.location);
    if (!session) {
        /* Refused: said so, with nothing written for this user. */
        long long rows = fa_count_for_user("users", u.id_text) +
                         fa_count_for_user("accounts", u.id_text) +
                         fa_count_for_user("sessions", u.id_text);
        failed += !FA_CHECK(!emails && status == 302 && auth_error &&
                                strcmp(auth_error, "github_error") == 0 && rows == 0,
                            "%s: refused with %ld authError=%s and %lld rows written (want 302 "
                            "authError=github_error, no rows%s)",
                            what, status, auth_error ? auth_error : "(none)", rows,
                            emails ? "; /user/emails may only cost the email" : "");
    } else {
        long long bad = fa_bad_stored_text(u.id_text);
        failed += !FA_CHECK(status == 302 && bad == 0,
                            "%s: signed in (%ld) and stored text that breaks the boundary's "
                            "rules (%lld rows)",
                            what, status, bad);
        fa_later_requests(jar, r.session, what);
    }
    failed += !FA_CHECK(status > 0 && status < 500, "%s: the callback answered %ld", what, status);
    fa_health_check(&before, what);
    free(auth_error);
    free(what);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
    return failed;
}

static void fa_hostile_endpoint(const fa_hostile_field_t *fields, size_t count)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    fa_values_init();
    fa_health_t before;
    fa_health(&before);
    FA_CHECK_FATAL(before.restarts >= 0 && before.workers > 0,
                   "cannot read %s from /metrics or find the workers", FA_RESTARTS);
    int failed = 0, cases = 0;
    for (size_t f = 0; f < count; f++)
        for (int v = 0; v < FA_VALUES; v++, cases++)
            failed += fa_hostile_signin(&fields[f], &fa_values[v]) > 0;
    fa_health_check(&before, "after every case");
    printf("\n    %d hostile %s answers, %d mishandled\n", cases, fields[0].endpoint, failed);
}

static void test_hostile_token_answer(void)
{
    static const fa_hostile_field_t fields[] = {
        {"token", "access_token"},
        {"token", "refresh_token"},
        {"token", "scope"},
        {"token", "expires_in"},
        {"token", "refresh_token_expires_in"},
        {"token", "token_type"},
    };
    fa_hostile_endpoint(fields, sizeof fields / sizeof fields[0]);
}

static void test_hostile_user_answer(void)
{
    static const fa_hostile_field_t fields[] = {
        {"user", "id"},    {"user", "login"},      {"user", "name"},
        {"user", "email"}, {"user", "avatar_url"},
    };
    fa_hostile_endpoint(fields, sizeof fields / sizeof fields[0]);
}

static void test_hostile_emails_answer(void)
{
    static const fa_hostile_field_t fields[] = {
        {"emails", "email"}, {"emails", "primary"}, {"emails", "verified"}};
    fa_hostile_endpoint(fields, sizeof fields / sizeof fields[0]);
}

/* ---- /user/orgs: read by the org_sync job ------------------------------ */

/* An organization of our own, so no case rewrites a fixture other suites
 * read. */
static long long fa_hostile_org(void)
{
    long long id = fa_fresh_user_id();
    char *body = fa_xasprintf("{\"id\":%lld,\"login\":\"hostile-org-%lld\",\"name\":\"Hostile "
                              "Org\",\"description\":\"issue 12\"}",
                              id, id % 100000000LL);
    fa_http_response_t *r = fa_emulator_post("orgs", body);
    FA_CHECK_FATAL(r->status >= 200 && r->status < 300, "POST /_emulator/orgs: %ld %.200s",
                   r->status, r->body);
    fa_http_response_free(r);
    free(body);
    return id;
}

typedef struct {
    const char *user_id;
    char *seen; /* "<status> <error or ->" that ended the wait */
} fa_sync_wait_t;

/* The first sync attempt ended: done, or an error recorded. Kept as seen,
 * since a retry (100 ms backoff in tests) may clear the error right after. */
static bool fa_sync_attempted(void *arg)
{
    fa_sync_wait_t *w = arg;
    char *s = fa_sql_text("SELECT org_sync_status || ' ' || coalesce(org_sync_error, '-') FROM "
                          "user_profiles WHERE user_id = $1::bigint",
                          w->user_id, NULL);
    bool ended = s && (strncmp(s, "done", 4) == 0 || strncmp(s, "failed", 6) == 0 ||
                       strcmp(s + strcspn(s, " "), " -") != 0);
    free(w->seen);
    w->seen = s;
    return ended;
}

static int fa_hostile_orgs_case(long long org_id, const char *field, const fa_hostile_value_t *v)
{
    int failed = 0;
    char *what = fa_xasprintf("orgs.%s = %s", field, v->name);
    fa_hostile_user_t u;
    fa_hostile_user(&u, false, org_id);
    fa_health_t before;
    fa_health(&before);
    char *fault = fa_xasprintf("{\"endpoint\":\"orgs\",\"field\":\"%s\",%s}", field, v->member);
    failed += !FA_CHECK(fa_emulator_arm_fault(fault), "%s: could not arm the fault", what);
    free(fault);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool session = fa_signin_browser(jar, u.login, "/app", &r);
    failed +=
        !FA_CHECK(session, "%s: the sign-in itself failed (%s)", what, fa_signin_describe(&r));
    fa_sync_wait_t w = {u.id_text, NULL};
    bool ended = session && fa_wait_until(FA_HOSTILE_SYNC_WAIT_MS, 50, fa_sync_attempted, &w);
    fa_emulator_clear_faults();
    char *sync = w.seen;
    long long bad_orgs = fa_sql_int(
        "SELECT count(*) FROM organizations o JOIN organization_members m ON "
        "m.organization_id = o.id WHERE m.user_id = $1::bigint AND ("
        "o.login !~ '^[A-Za-z0-9-]{1,39}(_[A-Za-z0-9]{1,39})?$' "
        "OR coalesce(o.name, '') ~ '[[:cntrl:]]' OR octet_length(o.name) > 255 "
        "OR coalesce(o.avatar_url, '') ~ '[[:cntrl:]]' OR octet_length(o.avatar_url) > 2048)",
        u.id_text, NULL);
    bool done = sync && strncmp(sync, "done", 4) == 0;
    bool refused = sync && !done && strstr(sync, "github_bad_response") != NULL;
    failed += !FA_CHECK(ended && (done ? bad_orgs == 0 : refused),
                        "%s: sync ended %s with %lld stored organizations breaking the "
                        "boundary's rules (want done with none, or a github_bad_response "
                        "failure)",
                        what, sync ? sync : "(no profile)", bad_orgs);
    if (session)
        fa_later_requests(jar, NULL, what);
    fa_health_check(&before, what);
    free(sync);
    free(what);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
    return failed;
}

static void test_hostile_orgs_answer(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    fa_values_init();
    long long org = fa_hostile_org();
    static const char *const fields[] = {"id", "login", "avatar_url"};
    int failed = 0, cases = 0;
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        for (int v = 0; v < FA_VALUES; v++, cases++)
            failed += fa_hostile_orgs_case(org, fields[f], &fa_values[v]) > 0;
    printf("\n    %d hostile orgs answers, %d mishandled\n", cases, failed);
}

/* ---- a hostile login already in the database --------------------------- */

static void test_stored_crlf_login_costs_one_request(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
    fa_hostile_user_t evil, clean;
    fa_hostile_user(&evil, false, 0);
    fa_hostile_user(&clean, false, 0);
    fa_http_jar_t *evil_jar = fa_http_jar_new(), *clean_jar = fa_http_jar_new();
    fa_signin_result_t re, rc;
    /* Signed in first: the message's arguments may be evaluated before it. */
    bool evil_in = fa_signin_browser(evil_jar, evil.login, "/app", &re);
    FA_CHECK_FATAL(evil_in, "sign in %s: %s", evil.login, fa_signin_describe(&re));
    bool clean_in = fa_signin_browser(clean_jar, clean.login, "/app", &rc);
    FA_CHECK_FATAL(clean_in, "sign in %s: %s", clean.login, fa_signin_describe(&rc));
    /* What an older version, which took any login, left behind. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE user_profiles SET github_login = E'ab\\r\\nX-Evil: 1' "
                               "WHERE user_id = $1::bigint",
                               evil.id_text, NULL),
                   "write a CR/LF login");
    fa_health_t before;
    fa_health(&before);
    size_t log_at = fa_log_offset();
    for (int i = 0; i < 3; i++) {
        fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/verify", re.session, NULL);
        FA_CHECK(r->status == 500 && !fa_http_header(r, "X-Evil") &&
                     !fa_http_header(r, "X-Auth-User-Login"),
                 "verify #%d with a CR/LF login in the database: %ld (want 500, no X-Evil, no "
                 "X-Auth-User-Login)",
                 i + 1, r->status);
        fa_http_response_free(r);
        r = fa_bearer_request("GET", "/v1/auth/verify", rc.session, NULL);
        const char *login = fa_http_header(r, "X-Auth-User-Login");
        FA_CHECK(r->status == 200 && login && strcmp(login, clean.login) == 0,
                 "verify of a clean session right after: %ld, login %s", r->status,
                 login ? login : "(none)");
        fa_http_response_free(r);
    }
    /* Data in JSON is escaped, not refused: the rest of the session works. */
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", re.session, NULL);
    FA_CHECK(r->status == 200, "GET /v1/auth/session with a CR/LF login: %ld", r->status);
    fa_http_response_free(r);
    json_decref(fa_log_find(log_at, "level", "error", 5000)); /* wait for the line */
    json_t *lines = fa_log_lines(log_at);
    const char *msg = NULL;
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        const char *m = json_string_value(json_object_get(line, "msg"));
        if (m && strstr(m, "response refused"))
            msg = m;
    }
    FA_CHECK(msg && strstr(msg, "X-Auth-User-Login") && !strstr(msg, "Evil"),
             "log line for the refused response: %s (want the header named, not the value)",
             msg ? msg : "(none)");
    json_decref(lines);
    fa_health_check(&before, "verify with a CR/LF login in the database");
    fa_sql_exec("UPDATE user_profiles SET github_login = $2 WHERE user_id = $1::bigint",
                evil.id_text, evil.login, NULL);
    fa_signin_result_free(&re);
    fa_signin_result_free(&rc);
    fa_http_jar_free(evil_jar);
    fa_http_jar_free(clean_jar);
}

void fa_register_hostile_github_suite(void)
{
    CU_pSuite s = fa_suite_add("hostile_github", NULL, NULL);
    fa_test_add(s, "stored CR/LF login: one 500, the worker lives",
                test_stored_crlf_login_costs_one_request);
    fa_test_add(s, "hostile token answer fields", test_hostile_token_answer);
    fa_test_add(s, "hostile /user fields", test_hostile_user_answer);
    fa_test_add(s, "hostile /user/emails fields", test_hostile_emails_answer);
    fa_test_add(s, "hostile /user/orgs fields (org_sync job)", test_hostile_orgs_answer);
}
