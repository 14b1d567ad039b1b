/* Hostile-input suite (issue 7, "Black-box input tests through nginx",
 * invariants 4 and 5): SQL metacharacters in every query parameter, JSON
 * field and path parameter; invalid UTF-8 and NUL bytes; huge numbers and
 * ids; duplicate parameters; wrong content types; truncated bodies; 10,000
 * cookies; a 100 KiB Authorization header. Each answer is a clear 4xx JSON
 * error (browser routes: a redirect to the sign-in page with authError, or
 * on to GitHub with a safe returnTo), never a 5xx, and nothing is written.
 * The raw-byte cases are in test_hostile_raw.c. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

fa_hostile_t fa_h;

/* ---- the shared state and verdicts ------------------------------------- */

static void fa_h_tally(const fa_http_response_t *r)
{
    fa_h.requests++;
    fa_h.status_4xx += r->status >= 400 && r->status < 500;
    fa_h.redirects += r->status == 302;
    fa_h.status_5xx += r->status >= 500 || r->status == 0;
}

void fa_h_expect_4xx(const fa_http_response_t *r, const char *what)
{
    char why[256];
    fa_h_tally(r);
    bool ok = fa_http_is_json_error(r, 0, NULL, why, sizeof why);
    FA_CHECK(ok, "%s: expected a 4xx JSON error, got %ld %.200s (%s)", what, r->status, r->body,
             why);
}

/* The returnTo a start stored for the state in location (malloc'd or NULL). */
static char *fa_h_stored_return_to(const char *location)
{
    char *state = fa_url_param(location, "state");
    if (state == NULL)
        return NULL;
    char id[65];
    fa_sha256_hex(state, id);
    free(state);
    return fa_sql_text("SELECT return_to FROM verification WHERE identifier = $1", id, NULL);
}

void fa_h_expect_browser(const fa_http_response_t *r, const char *what, bool may_start)
{
    if (r->status != 302) {
        fa_h_expect_4xx(r, what);
        return;
    }
    fa_h_tally(r);
    const char *location = fa_http_header(r, "Location");
    char *error = fa_auth_error_of(location);
    if (error != NULL) {
        FA_CHECK(*error != '\0', "%s: redirect with an empty authError", what);
        free(error);
        return;
    }
    char *authorize = fa_xasprintf("%s/login/oauth/authorize?", fa_env("FA_TEST_EMULATOR_URL"));
    bool to_github = location && strncmp(location, authorize, strlen(authorize)) == 0;
    free(authorize);
    FA_CHECK(may_start && to_github,
             "%s: expected a redirect to the sign-in page with authError%s, got Location %.300s",
             what, may_start ? " or to GitHub" : "", location ? location : "(none)");
    if (!may_start || !to_github)
        return;
    fa_h.starts++;
    char *stored = fa_h_stored_return_to(location);
    FA_CHECK(stored && stored[0] == '/' && stored[1] != '/' && stored[1] != '\\' &&
                 strpbrk(stored, "\r\n\\") == NULL && strstr(stored, "evil") == NULL,
             "%s: the sign-in went on with returnTo %s", what, stored ? stored : "(no row)");
    free(stored);
}

char *fa_h_mark(void)
{
    char *t = fa_sql_text("SELECT now()::text", NULL);
    FA_CHECK_FATAL(t != NULL, "SELECT now() failed");
    return t;
}

void fa_h_expect_no_writes(const char *since, const char *what, long long starts)
{
    long long users = fa_sql_int("SELECT count(*) FROM users WHERE created_at >= $1::timestamptz "
                                 "OR updated_at >= $1::timestamptz",
                                 since, NULL);
    long long sessions = fa_sql_int("SELECT count(*) FROM sessions WHERE created_at >= "
                                    "$1::timestamptz OR updated_at >= $1::timestamptz",
                                    since, NULL);
    long long index = fa_sql_int("SELECT count(*) FROM session_index i JOIN sessions s ON "
                                 "s.user_id = i.user_id AND s.id = i.session_id "
                                 "WHERE s.created_at >= $1::timestamptz",
                                 since, NULL);
    long long audit =
        fa_sql_int("SELECT count(*) FROM audit_events WHERE at >= $1::timestamptz", since, NULL);
    long long created = fa_sql_int("SELECT count(*) FROM verification WHERE created_at >= "
                                   "$1::timestamptz",
                                   since, NULL);
    long long used = fa_sql_int("SELECT count(*) FROM verification WHERE consumed_at >= "
                                "$1::timestamptz OR completed_at >= $1::timestamptz",
                                since, NULL);
    FA_CHECK(users == 0 && sessions == 0 && index == 0 && audit == 0 && used == 0 &&
                 created == starts,
             "%s wrote rows: users %lld, sessions %lld, session_index %lld, audit_events %lld, "
             "verification used %lld, verification created %lld (sign-ins started: %lld)",
             what, users, sessions, index, audit, used, created, starts);
}

static char *fa_h_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, (int)strlen(s));
    if (e == NULL)
        abort();
    char *out = fa_xstrdup(e);
    curl_free(e);
    return out;
}

/* A JSON object with one string member (escaped by jansson). */
static char *fa_h_json1(const char *key, const char *value)
{
    json_t *o = json_pack("{s:s}", key, value);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

fa_http_response_t *fa_h_send(const char *method, const char *path, const char *bearer,
                              const char *content_type, const char *body, size_t body_len)
{
    char *auth = bearer ? fa_xasprintf("Authorization: Bearer %s", bearer) : NULL;
    char *ct = content_type ? fa_xasprintf("Content-Type: %s", content_type) : NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (auth)
        headers[n++] = auth;
    if (ct)
        headers[n++] = ct;
    fa_http_response_t *r = fa_http_do(&(fa_http_request_t){
        .method = method, .path = path, .headers = headers, .body = body, .body_len = body_len});
    fa_seen_response(r);
    free(auth);
    free(ct);
    return r;
}

void fa_h_setup(void)
{
    if (fa_h.user.session != NULL)
        return;
    fa_id_user_new(&fa_h.user, "hostile");
    fa_h.workers = fa_workers(fa_h.worker_pids, FA_MAX_WORKERS);
    fa_run_result_t res;
    const char *create[] = {"admin", "token", "create", NULL};
    fa_id_cli(&res, create);
    if (res.exit_code != 0) {
        fa_run_result_free(&res);
        const char *rotate[] = {"admin", "token", "rotate", NULL};
        fa_id_cli(&res, rotate);
    }
    FA_CHECK_FATAL(res.exit_code == 0, "admin token create/rotate: exit %d: %s", res.exit_code,
                   res.err);
    res.out[strcspn(res.out, "\n")] = '\0';
    fa_h.admin = fa_xstrdup(res.out);
    fa_run_result_free(&res);
    fa_seen_secret("admin_token", fa_h.admin);
}

/* ---- SQL metacharacters everywhere -------------------------------------- */

static const char *const fa_h_payloads[] = {
    "'",
    "\"",
    ";",
    "--",
    "/*",
    "*/",
    "\\",
    "%00",
    "' OR '1'='1",
    "1' OR 1=1 --",
    "'; DROP TABLE users; --",
    "1; DELETE FROM sessions",
    "' UNION SELECT token_hash FROM session_index --",
    "1 UNION SELECT id FROM users",
    "\\'; SELECT pg_sleep(5); --",
    "'||(SELECT version())||'",
    "$1",
    "/* */ OR /**/ 1=1",
};
enum { FA_H_PAYLOADS = sizeof fa_h_payloads / sizeof fa_h_payloads[0] };

static void fa_h_query_params(const char *p, const char *esc)
{
    char what[200];
    char *path = fa_xasprintf("/v1/auth/github/start?returnTo=%s", esc);
    fa_http_response_t *r = fa_http_get(path);
    snprintf(what, sizeof what, "GET start returnTo=%s", p);
    fa_h_expect_browser(r, what, true);
    fa_http_response_free(r), free(path);

    const char *forms[] = {"code=%s&state=%s", "error=%s&state=%s", "code=abc&state=%s",
                           "state=%s&code=%s&state=abc"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *q = fa_xasprintf(forms[i], esc, esc);
        path = fa_xasprintf("/v1/auth/github/callback?%s", q);
        r = fa_http_get(path);
        snprintf(what, sizeof what, "GET callback?%.150s", q);
        fa_h_expect_browser(r, what, false);
        fa_http_response_free(r), free(path), free(q);
    }
}

static void fa_h_json_fields(const char *p)
{
    char what[200];
    const fa_id_user_t *u = &fa_h.user;
    struct {
        const char *path, *key, *bearer;
    } fields[] = {
        {"/v1/app/organizations/select", "organizationId", u->session},
        {"/v1/auth/dev/bootstrap", "githubToken", NULL},
        {"/v1/auth/token/verify", "token", NULL},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char *body = fa_h_json1(fields[i].key, p);
        fa_http_response_t *r =
            fa_h_send("POST", fields[i].path, fields[i].bearer, "application/json", body, 0);
        snprintf(what, sizeof what, "POST %s {\"%s\": %s}", fields[i].path, fields[i].key, p);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(body);
    }
    json_t *o = json_pack("{s:s,s:s}", "audience", p, "scope", "read");
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fa_http_response_t *r =
        fa_h_send("POST", "/v1/auth/token", u->session, "application/json", body, 0);
    snprintf(what, sizeof what, "POST /v1/auth/token audience %s", p);
    fa_h_expect_4xx(r, what);
    fa_http_response_free(r), free(body);
    /* token/verify needs both members: each hostile in turn, the other sane. */
    json_t *pairs[2] = {json_pack("{s:s,s:s}", "token", p, "audience", "api.test"),
                        json_pack("{s:s,s:s}", "token", "x.y.z", "audience", p)};
    for (int i = 0; i < 2; i++) {
        body = json_dumps(pairs[i], JSON_COMPACT);
        json_decref(pairs[i]);
        r = fa_h_send("POST", "/v1/auth/token/verify", NULL, "application/json", body, 0);
        snprintf(what, sizeof what, "POST /v1/auth/token/verify %s %s", i ? "audience" : "token",
                 p);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(body);
    }
}

/* scope is free text within RFC 6749's characters: either refused, or
 * carried into the token exactly as sent (a bound value, not SQL). */
static void fa_h_scope(const char *p)
{
    json_t *o = json_pack("{s:s,s:s}", "audience", "api.test", "scope", p);
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fa_http_response_t *r =
        fa_h_send("POST", "/v1/auth/token", fa_h.user.session, "application/json", body, 0);
    char what[200];
    snprintf(what, sizeof what, "POST /v1/auth/token scope %s", p);
    if (r->status == 200) {
        fa_h_tally(r);
        char *jwt = fa_http_json_string(r, "token");
        json_t *vo = json_pack("{s:s,s:s}", "token", jwt ? jwt : "", "audience", "api.test");
        char *vbody = json_dumps(vo, JSON_COMPACT);
        json_decref(vo);
        fa_http_response_t *v =
            fa_h_send("POST", "/v1/auth/token/verify", NULL, "application/json", vbody, 0);
        json_t *claims = fa_http_json(v);
        const char *scope = json_string_value(json_object_get(claims, "scope"));
        FA_CHECK(v->status == 200 && scope && strcmp(scope, p) == 0,
                 "%s: token issued but verify says %ld, scope %s", what, v->status,
                 scope ? scope : "(none)");
        json_decref(claims);
        fa_http_response_free(v), free(vbody), free(jwt);
    } else {
        fa_h_expect_4xx(r, what);
    }
    fa_http_response_free(r), free(body);
}

static void fa_h_path_params(const char *esc)
{
    char what[200];
    const fa_id_user_t *u = &fa_h.user;
    struct {
        const char *method, *fmt, *bearer, *body;
    } paths[] = {
        {"DELETE", "/v1/auth/sessions/%s", u->session, NULL},
        {"GET", "/v1/admin/users/%s/sessions", fa_h.admin, NULL},
        {"DELETE", "/v1/admin/users/%s/sessions", fa_h.admin, NULL},
        {"PUT", "/v1/admin/users/%s/role-label", fa_h.admin, "{\"roleLabel\":\"x\"}"},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *path = fa_xasprintf(paths[i].fmt, esc);
        fa_http_response_t *r =
            fa_h_send(paths[i].method, path, paths[i].bearer,
                      paths[i].body ? "application/json" : NULL, paths[i].body, 0);
        snprintf(what, sizeof what, "%s %s", paths[i].method, path);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(path);
    }
    char *path = fa_xasprintf("/v1/admin/users/%s/sessions/%s", u->id_text, esc);
    fa_http_response_t *r = fa_h_send("DELETE", path, fa_h.admin, NULL, NULL, 0);
    snprintf(what, sizeof what, "DELETE %s", path);
    fa_h_expect_4xx(r, what);
    fa_http_response_free(r), free(path);
}

/* The admin search takes free text: it must find nothing for a payload
 * (no login or email starts with these), not every user. */
static void fa_h_search(const char *p, const char *esc)
{
    char *path = fa_xasprintf("/v1/admin/users?query=%s", esc);
    fa_http_response_t *r = fa_h_send("GET", path, fa_h.admin, NULL, NULL, 0);
    char what[200];
    snprintf(what, sizeof what, "GET /v1/admin/users?query=%s", p);
    if (r->status == 200) {
        fa_h_tally(r);
        json_t *j = fa_http_json(r);
        json_t *users = json_object_get(j, "users");
        bool wild = strpbrk(p, "%_") != NULL;
        FA_CHECK(json_is_array(users) && (wild || json_array_size(users) == 0),
                 "%s: expected no users, got %.300s", what, r->body);
        json_decref(j);
    } else {
        fa_h_expect_4xx(r, what);
    }
    fa_http_response_free(r), free(path);
}

static void test_sql_metacharacters(void)
{
    fa_h_setup();
    char *since = fa_h_mark();
    long long starts = fa_h.starts;
    for (size_t i = 0; i < FA_H_PAYLOADS; i++) {
        const char *p = fa_h_payloads[i];
        char *esc = fa_h_escape(p);
        fa_h_query_params(p, esc);
        fa_h_json_fields(p);
        fa_h_scope(p);
        fa_h_path_params(esc);
        fa_h_search(p, esc);
        free(esc);
    }
    fa_h_expect_no_writes(since, "SQL metacharacters", fa_h.starts - starts);
    free(since);

    /* roleLabel is free text too: stored exactly as sent, nothing else touched. */
    long long users = fa_count_all("users");
    char *path = fa_xasprintf("/v1/admin/users/%s/role-label", fa_h.user.id_text);
    for (size_t i = 0; i < FA_H_PAYLOADS; i++) {
        char *body = fa_h_json1("roleLabel", fa_h_payloads[i]);
        fa_http_response_t *r = fa_h_send("PUT", path, fa_h.admin, "application/json", body, 0);
        fa_h_tally(r);
        char *stored = fa_sql_text("SELECT role_label FROM user_profiles WHERE user_id = "
                                   "$1::bigint",
                                   fa_h.user.id_text, NULL);
        FA_CHECK(r->status == 200 && stored && strcmp(stored, fa_h_payloads[i]) == 0,
                 "PUT role-label %s: %ld %.200s, stored %s", fa_h_payloads[i], r->status, r->body,
                 stored ? stored : "(null)");
        free(stored), free(body);
        fa_http_response_free(r);
    }
    fa_http_response_t *r =
        fa_h_send("PUT", path, fa_h.admin, "application/json", "{\"roleLabel\":null}", 0);
    FA_CHECK(r->status == 200, "PUT role-label null: %ld", r->status);
    fa_http_response_free(r), free(path);
    FA_CHECK(fa_count_all("users") == users, "the users table changed under roleLabel payloads");
}

/* ---- invalid UTF-8, NUL, huge numbers and ids ---------------------------- */

static const char *const fa_h_bad_escapes[] = {"%C3%28",       "%FF", "%ED%A0%80", "%C0%AF",
                                               "%F4%90%80%80", "%00", "a%00b",     "%E2%82"};

static void test_encodings_and_numbers(void)
{
    fa_h_setup();
    char *since = fa_h_mark();
    char what[200];
    for (size_t i = 0; i < sizeof fa_h_bad_escapes / sizeof fa_h_bad_escapes[0]; i++) {
        const char *e = fa_h_bad_escapes[i];
        const char *fmts[] = {"/v1/auth/github/start?returnTo=%s",
                              "/v1/auth/github/callback?code=%s&state=%s",
                              "/v1/auth/github/callback?error=%s&state=abc"};
        for (size_t f = 0; f < 3; f++) {
            char *path = fa_xasprintf(fmts[f], e, e);
            fa_http_response_t *r = fa_http_get(path);
            snprintf(what, sizeof what, "GET %s", path);
            fa_h_expect_browser(r, what, false);
            fa_http_response_free(r), free(path);
        }
        const char *api[] = {"/v1/admin/users?query=%s", "/v1/auth/sessions/%s",
                             "/v1/admin/users/%s/sessions"};
        for (size_t f = 0; f < 3; f++) {
            char *path = fa_xasprintf(api[f], e);
            fa_http_response_t *r =
                fa_h_send(f == 1 ? "DELETE" : "GET", path, f == 1 ? fa_h.user.session : fa_h.admin,
                          NULL, NULL, 0);
            snprintf(what, sizeof what, "%s %s", f == 1 ? "DELETE" : "GET", path);
            fa_h_expect_4xx(r, what);
            fa_http_response_free(r), free(path);
        }
    }
    fa_hostile_raw_json_bodies();
    static const char *const ids[] = {"1e400",
                                      "99999999999999999999",
                                      "-1",
                                      "0",
                                      "\"1e400\"",
                                      "\"-1\"",
                                      "\"99999999999999999999\"",
                                      "\"0\"",
                                      "1.5",
                                      "true",
                                      "null",
                                      "[]",
                                      "{}",
                                      "\"\"",
                                      "\"9223372036854775808\"",
                                      "\"1 \"",
                                      "\" 1\"",
                                      "\"0x10\"",
                                      "\"+1\"",
                                      "9223372036854775807",
                                      "-9223372036854775808",
                                      "\"00000000000000000001\""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char *body = fa_xasprintf("{\"organizationId\":%s}", ids[i]);
        fa_http_response_t *r = fa_h_send("POST", "/v1/app/organizations/select", fa_h.user.session,
                                          "application/json", body, 0);
        snprintf(what, sizeof what, "POST select %s", body);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(body);
    }
    static const char *const path_ids[] = {"99999999999999999999999", "-1",  "0",
                                           "9223372036854775808",     "1e3", "0x1f"};
    for (size_t i = 0; i < sizeof path_ids / sizeof path_ids[0]; i++) {
        char *path = fa_xasprintf("/v1/admin/users/%s/sessions", path_ids[i]);
        fa_http_response_t *r = fa_h_send("GET", path, fa_h.admin, NULL, NULL, 0);
        snprintf(what, sizeof what, "GET %s", path);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(path);
        path = fa_xasprintf("/v1/auth/sessions/%s", path_ids[i]);
        r = fa_h_send("DELETE", path, fa_h.user.session, NULL, NULL, 0);
        snprintf(what, sizeof what, "DELETE %s", path);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r), free(path);
    }
    /* A well-formed id of nobody: a plain 404, not an error. */
    char *path = fa_xasprintf("/v1/auth/sessions/%s", "00000000-0000-0000-0000-000000000000");
    fa_http_response_t *r = fa_h_send("DELETE", path, fa_h.user.session, NULL, NULL, 0);
    fa_h_expect_4xx(r, "DELETE /v1/auth/sessions/<nil uuid>");
    fa_http_response_free(r), free(path);
    fa_h_expect_no_writes(since, "invalid UTF-8, NUL bytes, huge numbers", 0);
    free(since);
}

/* ---- duplicate parameters and wrong content types ------------------------ */

static void test_duplicates_and_content_types(void)
{
    fa_h_setup();
    char *since = fa_h_mark();
    long long starts = fa_h.starts;
    static const char *const browser[] = {
        "/v1/auth/github/callback?state=a&state=b&code=x&code=y",
        "/v1/auth/github/callback?code=x&state=a&error=access_denied",
        "/v1/auth/github/callback?error=a&error=b&state=c",
        "/v1/auth/github/start?returnTo=/app&returnTo=//evil.example",
        "/v1/auth/github/start?returnTo=//evil.example&returnTo=/app",
    };
    for (size_t i = 0; i < sizeof browser / sizeof browser[0]; i++) {
        fa_http_response_t *r = fa_http_get(browser[i]);
        fa_h_expect_browser(r, browser[i], strstr(browser[i], "/start") != NULL);
        fa_http_response_free(r);
    }
    fa_http_response_t *r =
        fa_h_send("GET", "/v1/admin/users?query=a&query=b", fa_h.admin, NULL, NULL, 0);
    fa_h_expect_4xx(r, "GET /v1/admin/users?query=a&query=b");
    fa_http_response_free(r);

    char *select = fa_xasprintf("{\"organizationId\":\"%s\"}", fa_h.user.id_text);
    char *label = fa_xasprintf("/v1/admin/users/%s/role-label", fa_h.user.id_text);
    struct {
        const char *method, *path, *bearer, *body;
    } endpoints[] = {
        {"POST", "/v1/app/organizations/select", fa_h.user.session, select},
        {"POST", "/v1/auth/token", fa_h.user.session, "{\"audience\":\"api.test\"}"},
        {"POST", "/v1/auth/token/verify", NULL, "{\"token\":\"x\",\"audience\":\"api.test\"}"},
        {"POST", "/v1/auth/dev/bootstrap", NULL, "{\"githubToken\":\"gho_x\"}"},
        {"PUT", label, fa_h.admin, "{\"roleLabel\":\"x\"}"},
    };
    static const char *const types[] = {"text/plain", "application/x-www-form-urlencoded",
                                        "multipart/form-data; boundary=x", NULL};
    char what[200];
    for (size_t e = 0; e < sizeof endpoints / sizeof endpoints[0]; e++)
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            r = fa_h_send(endpoints[e].method, endpoints[e].path, endpoints[e].bearer, types[t],
                          endpoints[e].body, 0);
            snprintf(what, sizeof what, "%s %s with Content-Type %s", endpoints[e].method,
                     endpoints[e].path, types[t] ? types[t] : "(none)");
            fa_h_expect_4xx(r, what);
            fa_http_response_free(r);
        }
    /* Cookie-authenticated: the CSRF rule refuses a form post first. */
    char *origin = fa_test_origin();
    for (size_t t = 0; t < 3; t++) {
        r = fa_browser_request("POST", "/v1/app/organizations/select", fa_h.user.jar, origin,
                               types[t], select);
        snprintf(what, sizeof what, "cookie POST select with Content-Type %s", types[t]);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r);
    }
    free(origin);
    free(label);
    free(select);
    fa_h_expect_no_writes(since, "duplicate parameters and wrong content types",
                          fa_h.starts - starts);
    free(since);
}

void fa_register_hostile_suite(void)
{
    CU_pSuite s = fa_suite_add("hostile", NULL, NULL);
    fa_test_add(s, "SQL metacharacters in every parameter", test_sql_metacharacters);
    fa_test_add(s, "invalid UTF-8, NUL bytes, huge numbers and ids", test_encodings_and_numbers);
    fa_test_add(s, "duplicate parameters, wrong content types", test_duplicates_and_content_types);
    fa_hostile_add_raw_tests(s);
}
