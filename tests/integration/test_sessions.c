/* Sessions suite: what a session value does once issued (issue 3). Two
 * browsers of one user, revoking one from the other, listing, bad or expired
 * values, the CSRF rule for cookie-authenticated mutations, duplicate
 * Authorization headers (invariant 10), nginx's verify endpoint, sign-out-all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "signin_helpers.h"

#define FA_ALICE "octo-alice"
#define FA_JSON "application/json"

static void fa_before(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
}

/* Signs jar in as login; the session value (malloc'd), fatal on failure. */
static char *fa_sign_in(fa_http_jar_t *jar, const char *login)
{
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, login, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in as %s: %s", login, fa_signin_describe(&r));
    char *session = fa_xstrdup(r.session);
    fa_signin_result_free(&r);
    return session;
}

static long fa_session_status_jar(fa_http_jar_t *jar)
{
    fa_http_response_t *r = fa_browser_request("GET", "/v1/auth/session", jar, NULL, NULL, NULL);
    long status = r->status;
    fa_http_response_free(r);
    return status;
}

static long fa_session_status_bearer(const char *token)
{
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", token, NULL);
    long status = r->status;
    fa_http_response_free(r);
    return status;
}

/* GET /v1/auth/session with an explicit Cookie header (no jar). */
static fa_http_response_t *fa_session_with_cookie(const char *value)
{
    char *cookie = fa_xasprintf("Cookie: %s=%s", fa_session_cookie_name(), value);
    const char *headers[] = {cookie, NULL};
    fa_http_response_t *r = fa_http_send("GET", "/v1/auth/session", headers, NULL, NULL);
    fa_seen_response(r);
    free(cookie);
    return r;
}

/* The 401 a client acts on: the error code, and RFC 6750's challenge, with
 * error="invalid_token" exactly when a credential was sent. */
static void fa_check_denial(fa_http_response_t *r, const char *code, const char *what)
{
    FA_CHECK_JSON_ERROR(r, 401, code, what);
    const char *challenge = fa_http_header(r, "WWW-Authenticate");
    bool sent = strcmp(code, "unauthenticated") != 0;
    FA_CHECK(challenge && strncmp(challenge, "Bearer realm=\"foundry-auth\"", 27) == 0,
             "%s: WWW-Authenticate %s", what, challenge ? challenge : "(none)");
    FA_CHECK(challenge && (strstr(challenge, "error=\"invalid_token\"") != NULL) == sent,
             "%s: WWW-Authenticate %s, error=\"invalid_token\" expected: %s", what,
             challenge ? challenge : "(none)", sent ? "yes" : "no");
    FA_CHECK(!sent || (challenge && strstr(challenge, "error_description=\"") != NULL),
             "%s: WWW-Authenticate %s lacks error_description", what,
             challenge ? challenge : "(none)");
}

/* value refused with code both as a bearer token and as the session cookie. */
static void fa_expect_denied(const char *value, const char *code, const char *what)
{
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", value, NULL);
    fa_check_denial(r, code, what);
    fa_http_response_free(r);
    r = fa_session_with_cookie(value);
    char *as_cookie = fa_xasprintf("%s (as a cookie)", what);
    fa_check_denial(r, code, as_cookie);
    free(as_cookie);
    fa_http_response_free(r);
}

/* ---- 7. two browsers, one user --------------------------------------- */

static void test_two_browsers_revoke_one(void)
{
    fa_before();
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new();
    char *ta = fa_sign_in(a, FA_ALICE), *tb = fa_sign_in(b, FA_ALICE);
    char *ida = fa_session_id_of(ta), *idb = fa_session_id_of(tb);
    FA_CHECK_FATAL(ida && idb && strcmp(ida, idb) != 0, "two browsers: expected two session ids, got %s / %s",
                   ida ? ida : "(none)", idb ? idb : "(none)");
    FA_CHECK(fa_count_for_user("users", "583231") == 1, "two browsers: expected one users row");
    FA_CHECK(fa_sql_int("SELECT count(*) FROM sessions WHERE user_id = 583231 AND id IN ($1::uuid, $2::uuid)",
                        ida, idb, NULL) == 2,
             "two browsers: expected both sessions in the sessions table");

    char *path = fa_xasprintf("/v1/auth/sessions/%s", ida);
    char *origin = fa_test_origin();
    fa_http_response_t *r = fa_browser_request("DELETE", path, b, origin, FA_JSON, NULL);
    FA_CHECK(r->status == 204, "DELETE %s from the other browser: expected 204, got %ld %.300s", path,
             r->status, r->body);
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_jar(a) == 401, "revoked browser: GET /v1/auth/session expected 401");
    FA_CHECK(fa_session_status_bearer(ta) == 401, "revoked token as bearer: expected 401");
    FA_CHECK(fa_session_status_jar(b) == 200, "the other browser: GET /v1/auth/session expected 200");
    FA_CHECK(fa_sql_int("SELECT count(*) FROM sessions WHERE id = $1::uuid", ida, NULL) == 0,
             "revoked session %s still in the sessions table", ida);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'session_revoked' AND "
                        "session_id = $1::uuid",
                        ida, NULL) == 1,
             "audit_events: expected one session_revoked row for %s", ida);

    /* Revoking it again, or a session that is not ours, is a 404. */
    r = fa_browser_request("DELETE", path, b, origin, FA_JSON, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "session_not_found", "DELETE of an already revoked session");
    fa_http_response_free(r);
    free(path);
    path = fa_xasprintf("/v1/auth/sessions/%s", "00000000-0000-4000-8000-000000000000");
    r = fa_browser_request("DELETE", path, b, origin, FA_JSON, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "session_not_found", "DELETE of an unknown session id");
    fa_http_response_free(r);

    free(path);
    free(origin);
    free(ida);
    free(idb);
    free(ta);
    free(tb);
    fa_http_jar_free(a);
    fa_http_jar_free(b);
}

/* Another user's session id cannot be revoked by knowing it. */
static void test_cannot_revoke_another_users_session(void)
{
    fa_before();
    fa_http_jar_t *alice = fa_http_jar_new(), *bob = fa_http_jar_new();
    char *ta = fa_sign_in(alice, FA_ALICE), *tb = fa_sign_in(bob, "bob-private");
    char *ida = fa_session_id_of(ta);
    FA_CHECK_FATAL(ida != NULL, "alice's session does not work");
    char *path = fa_xasprintf("/v1/auth/sessions/%s", ida);
    fa_http_response_t *r = fa_bearer_request("DELETE", path, tb, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "session_not_found", "bob revoking alice's session id");
    FA_CHECK(fa_session_status_bearer(ta) == 200, "alice's session died when bob named its id");
    fa_http_response_free(r);
    free(path);
    free(ida);
    free(ta);
    free(tb);
    fa_http_jar_free(alice);
    fa_http_jar_free(bob);
}

static void test_sessions_list(void)
{
    fa_before();
    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("lister-%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new();
    char *ta = fa_sign_in(a, login), *tb = fa_sign_in(b, login);
    char *ida = fa_session_id_of(ta), *idb = fa_session_id_of(tb);
    fa_http_response_t *r = fa_browser_request("GET", "/v1/auth/sessions", a, NULL, NULL, NULL);
    FA_CHECK_FATAL(r->status == 200, "GET /v1/auth/sessions: expected 200, got %ld %.300s", r->status,
                   r->body);
    json_t *j = fa_http_json(r);
    json_t *list = json_object_get(j, "sessions");
    FA_CHECK(json_is_array(list) && json_array_size(list) == 2,
             "GET /v1/auth/sessions: expected 2 sessions, body %.500s", r->body);
    size_t i;
    json_t *s;
    int seen_a = 0, seen_b = 0;
    json_array_foreach(list, i, s) {
        const char *sid = json_string_value(json_object_get(s, "id"));
        json_t *current = json_object_get(s, "current");
        FA_CHECK(json_is_string(json_object_get(s, "createdAt")) &&
                     json_is_string(json_object_get(s, "updatedAt")) &&
                     json_is_string(json_object_get(s, "expiresAt")) && json_is_boolean(current),
                 "sessions[%zu] lacks createdAt/updatedAt/expiresAt/current: %.300s", i, r->body);
        if (sid && ida && strcmp(sid, ida) == 0) {
            seen_a++;
            FA_CHECK(json_is_true(current), "the requesting session is not marked current");
        } else if (sid && idb && strcmp(sid, idb) == 0) {
            seen_b++;
            FA_CHECK(json_is_false(current), "the other session is marked current");
        }
    }
    FA_CHECK(seen_a == 1 && seen_b == 1, "GET /v1/auth/sessions: expected %s and %s once each, body %.500s",
             ida ? ida : "?", idb ? idb : "?", r->body);
    json_decref(j);
    fa_http_response_free(r);
    r = fa_http_get("/v1/auth/sessions");
    FA_CHECK_JSON_ERROR(r, 401, "unauthenticated", "GET /v1/auth/sessions without a session");
    fa_http_response_free(r);
    free(ida);
    free(idb);
    free(ta);
    free(tb);
    free(login);
    fa_http_jar_free(a);
    fa_http_jar_free(b);
}

/* ---- 3 (second half). bad, unknown and expired session values -------- */

static char *fa_with_char_flipped(const char *value, size_t at)
{
    char *copy = fa_xstrdup(value);
    copy[at] = copy[at] == 'A' ? 'B' : 'A';
    return copy;
}

static void test_bad_session_values(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    char *token = fa_sign_in(jar, FA_ALICE);
    FA_CHECK_FATAL(strlen(token) == 87, "unexpected session value length %zu", strlen(token));

    char *bad_sig = fa_with_char_flipped(token, 60);
    fa_expect_denied(bad_sig, "invalid_token", "tampered signature");
    char *bad_token = fa_with_char_flipped(token, 10);
    fa_expect_denied(bad_token, "invalid_token", "tampered token part");
    char *unknown = fa_random_session_value();
    fa_expect_denied(unknown, "invalid_token", "random token.sig never issued");
    char *no_sig = strndup(token, 43);
    fa_expect_denied(no_sig, "invalid_token", "token without its signature");
    fa_expect_denied("", "invalid_token", "empty value");
    /* The service never sets a quoted value: a quoted genuine token is refused. */
    char *quoted = fa_xasprintf("\"%s\"", token);
    fa_http_response_t *r = fa_session_with_cookie(quoted);
    fa_check_denial(r, "invalid_token", "the genuine session value in DQUOTEs (cookie)");
    fa_http_response_free(r);
    free(quoted);
    /* Nothing sent at all: no error code in the challenge. */
    r = fa_http_get("/v1/auth/session");
    fa_check_denial(r, "unauthenticated", "no credential");
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/sessions", NULL, NULL);
    fa_check_denial(r, "unauthenticated", "no credential (sessions list)");
    fa_http_response_free(r);

    FA_CHECK(fa_session_status_bearer(token) == 200, "the genuine session stopped working");
    char *id = fa_session_id_of(token);
    FA_CHECK_FATAL(id != NULL, "no session id");
    FA_CHECK_FATAL(fa_sql_exec("UPDATE sessions SET expires_at = now() - interval '1 second' "
                               "WHERE id = $1::uuid",
                               id, NULL),
                   "UPDATE sessions failed");
    fa_expect_denied(token, "session_expired", "expired session");
    FA_CHECK(fa_session_status_jar(jar) == 401, "expired session through the browser: expected 401");
    free(id);
    free(no_sig);
    free(unknown);
    free(bad_token);
    free(bad_sig);
    free(token);
    fa_http_jar_free(jar);
}

/* ---- CSRF: cookie-authenticated mutations need a trusted Origin ------- */

static void test_csrf_rules(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    char *token = fa_sign_in(jar, FA_ALICE);
    char *origin = fa_test_origin();

    fa_http_response_t *r = fa_browser_request("POST", "/v1/auth/sign-out", jar, NULL, FA_JSON, "{}");
    FA_CHECK_JSON_ERROR(r, 403, "untrusted_origin", "cookie sign-out without Origin");
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_jar(jar) == 200, "session died after a refused sign-out (no Origin)");

    r = fa_browser_request("POST", "/v1/auth/sign-out", jar, "https://evil.example", FA_JSON, "{}");
    FA_CHECK_JSON_ERROR(r, 403, "untrusted_origin", "cookie sign-out from https://evil.example");
    fa_http_response_free(r);
    r = fa_browser_request("POST", "/v1/auth/sign-out", jar, "null", FA_JSON, "{}");
    FA_CHECK_JSON_ERROR(r, 403, "untrusted_origin", "cookie sign-out with Origin: null");
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_jar(jar) == 200, "session died after a refused sign-out (evil Origin)");

    r = fa_browser_request("POST", "/v1/auth/sign-out", jar, origin, "text/plain", "{}");
    FA_CHECK_JSON_ERROR(r, 415, NULL, "cookie sign-out with Content-Type text/plain");
    fa_http_response_free(r);
    r = fa_browser_request("POST", "/v1/auth/sign-out", jar, origin,
                           "application/x-www-form-urlencoded", "a=b");
    FA_CHECK_JSON_ERROR(r, 415, NULL, "cookie sign-out with a form content type");
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_jar(jar) == 200, "session died after a refused sign-out (content type)");

    r = fa_browser_request("POST", "/v1/auth/sign-out", jar, origin, FA_JSON, "{}");
    FA_CHECK(r->status == 204, "cookie sign-out with Origin %s: expected 204, got %ld %.300s", origin,
             r->status, r->body);
    const char *cleared = fa_set_cookie_header(r, fa_session_cookie_name());
    FA_CHECK(cleared && (strstr(cleared, "Max-Age=0") || strstr(cleared, "Expires=")),
             "sign-out: expected a Set-Cookie clearing %s, got %s", fa_session_cookie_name(),
             cleared ? cleared : "(none)");
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_bearer(token) == 401, "signed-out token still authenticates");

    /* Bearer requests carry no ambient credential: no Origin needed. */
    fa_http_jar_t *other = fa_http_jar_new();
    char *bearer = fa_sign_in(other, FA_ALICE);
    r = fa_bearer_request("POST", "/v1/auth/sign-out", bearer, NULL);
    FA_CHECK(r->status == 204, "bearer sign-out without Origin: expected 204, got %ld %.300s", r->status,
             r->body);
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_bearer(bearer) == 401, "bearer-signed-out token still authenticates");

    free(bearer);
    fa_http_jar_free(other);
    free(origin);
    free(token);
    fa_http_jar_free(jar);
}

/* ---- invariant 10: two Authorization headers -------------------------- */

static char *fa_host_header(void)
{
    char *origin = fa_test_origin();
    char *host = fa_xstrdup(strstr(origin, "://") + 3);
    free(origin);
    return host;
}

static void fa_expect_duplicate_refused(const char *first, const char *second, const char *what)
{
    char *host = fa_host_header();
    char *raw = fa_xasprintf("GET /v1/auth/session HTTP/1.1\r\nHost: %s\r\n"
                             "Authorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
                             "Connection: close\r\n\r\n",
                             host, first, second);
    fa_http_response_t *r = fa_raw_request(raw, strlen(raw));
    fa_seen_response(r);
    /* nginx 1.22 treats Authorization as a unique header and refuses the
     * request itself (its JSON 400 page, bad_request); the service's own
     * check (duplicate_authorization) is the defence behind it. Either one
     * refusing is the invariant; a 200 or 401 would mean one was picked. */
    char *code = fa_http_json_string(r, "error");
    bool refused = code && (strcmp(code, "duplicate_authorization") == 0 ||
                            strcmp(code, "bad_request") == 0);
    FA_CHECK_JSON_ERROR(r, 400, NULL, what);
    FA_CHECK(refused, "%s: expected error duplicate_authorization (service) or bad_request "
             "(nginx), got %s", what, code ? code : "(none)");
    free(code);
    fa_http_response_free(r);
    free(raw);
    free(host);
}

static void test_duplicate_authorization(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    char *token = fa_sign_in(jar, FA_ALICE);
    char *unknown = fa_random_session_value();
    fa_expect_duplicate_refused(token, token, "two identical Authorization headers");
    fa_expect_duplicate_refused(token, unknown, "valid then forged Authorization");
    fa_expect_duplicate_refused(unknown, token, "forged then valid Authorization");
    FA_CHECK(fa_session_status_bearer(token) == 200, "a single Authorization header stopped working");
    free(unknown);
    free(token);
    fa_http_jar_free(jar);
}

/* ---- nginx auth_request endpoint -------------------------------------- */

static void test_verify(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    char *token = fa_sign_in(jar, FA_ALICE);
    char *id = fa_session_id_of(token);
    fa_http_response_t *r = fa_browser_request("GET", "/v1/auth/verify", jar, NULL, NULL, NULL);
    const char *uid = fa_http_header(r, "X-Auth-User-Id");
    const char *login = fa_http_header(r, "X-Auth-User-Login");
    const char *sid = fa_http_header(r, "X-Auth-Session-Id");
    FA_CHECK(r->status == 200, "GET /v1/auth/verify with the cookie: expected 200, got %ld", r->status);
    FA_CHECK(uid && strcmp(uid, "583231") == 0, "X-Auth-User-Id expected 583231, got %s", uid ? uid : "(none)");
    FA_CHECK(login && strcmp(login, FA_ALICE) == 0, "X-Auth-User-Login expected octo-alice, got %s",
             login ? login : "(none)");
    FA_CHECK(sid && id && strcmp(sid, id) == 0, "X-Auth-Session-Id expected %s, got %s", id ? id : "?",
             sid ? sid : "(none)");
    fa_http_response_free(r);

    r = fa_bearer_request("GET", "/v1/auth/verify", token, NULL);
    FA_CHECK(r->status == 200, "GET /v1/auth/verify with the bearer: expected 200, got %ld", r->status);
    fa_http_response_free(r);

    char *forged = fa_random_session_value();
    const char *const values[] = {NULL, forged};
    for (size_t i = 0; i < 2; i++) {
        r = fa_bearer_request("GET", "/v1/auth/verify", values[i], NULL);
        FA_CHECK(r->status == 401 && r->body_len == 0,
                 "GET /v1/auth/verify %s: expected 401 with no body, got %ld (%zu bytes)",
                 values[i] ? "with a forged token" : "without credentials", r->status, r->body_len);
        FA_CHECK(fa_http_header(r, "X-Auth-User-Id") == NULL, "a 401 verify carries X-Auth-User-Id");
        fa_http_response_free(r);
    }
    free(forged);
    free(id);
    free(token);
    fa_http_jar_free(jar);
}

/* ---- sign-out-all ----------------------------------------------------- */

static void test_sign_out_all(void)
{
    fa_before();
    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("everywhere-%lld", id);
    char *uid = fa_xasprintf("%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new(), *c = fa_http_jar_new();
    char *ta = fa_sign_in(a, login), *tb = fa_sign_in(b, login), *tc = fa_sign_in(c, login);
    FA_CHECK(fa_count_for_user("sessions", uid) == 3, "expected 3 sessions before sign-out-all, got %lld",
             fa_count_for_user("sessions", uid));
    char *origin = fa_test_origin();
    fa_http_response_t *r = fa_browser_request("POST", "/v1/auth/sign-out-all", a, origin, FA_JSON, "{}");
    json_t *j = fa_http_json(r);
    json_t *n = json_object_get(j, "revoked");
    FA_CHECK(r->status == 200 && json_is_integer(n) && json_integer_value(n) == 3,
             "POST /v1/auth/sign-out-all: expected 200 {\"revoked\":3}, got %ld %.300s", r->status, r->body);
    json_decref(j);
    fa_http_response_free(r);
    FA_CHECK(fa_session_status_bearer(ta) == 401 && fa_session_status_bearer(tb) == 401 &&
                 fa_session_status_bearer(tc) == 401,
             "a session survived sign-out-all");
    /* A client is told its session is gone (sign in again), not that it sent nothing. */
    fa_expect_denied(tb, "session_revoked", "a session revoked by sign-out-all");
    r = fa_bearer_request("POST", "/v1/auth/sign-out", tc, NULL);
    fa_check_denial(r, "session_revoked", "a mutation with a session revoked by sign-out-all");
    fa_http_response_free(r);
    FA_CHECK(fa_count_for_user("sessions", uid) == 0 && fa_count_for_user("session_index", uid) == 0 &&
                 fa_count_for_user("session_state", uid) == 0,
             "sign-out-all left session rows for user %s", uid);
    FA_CHECK(fa_session_status_jar(a) == 401, "browser that signed out everywhere is still signed in");
    fa_http_jar_free(a);
    fa_http_jar_free(b);
    fa_http_jar_free(c);
    free(origin);
    free(ta);
    free(tb);
    free(tc);
    free(uid);
    free(login);
}

/* ---- per-session active organization ---------------------------------- */

static void test_org_select(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    char *token = fa_sign_in(jar, FA_ALICE);
    char *id = fa_session_id_of(token);
    FA_CHECK_FATAL(id != NULL, "no session id");
    char *origin = fa_test_origin();
    fa_http_response_t *r = fa_browser_request("POST", "/v1/app/organizations/select", jar, origin,
                                               FA_JSON, "{\"organizationId\":\"583231\"}");
    char *active = fa_http_json_string(r, "activeOrganizationId");
    FA_CHECK(r->status == 200 && active && strcmp(active, "583231") == 0,
             "selecting the personal account: expected 200 {\"activeOrganizationId\":\"583231\"}, "
             "got %ld %.300s", r->status, r->body);
    fa_http_response_free(r);
    FA_CHECK(fa_sql_int("SELECT active_organization_id FROM session_state WHERE session_id = $1::uuid",
                        id, NULL) == 583231,
             "session_state.active_organization_id was not set for session %s", id);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'org_selected' AND "
                        "session_id = $1::uuid",
                        id, NULL) == 1,
             "expected one org_selected audit row for session %s", id);

    /* An organization the user is not eligible for changes nothing. */
    r = fa_bearer_request("POST", "/v1/app/organizations/select", token,
                          "{\"organizationId\":\"4999999999\"}");
    FA_CHECK_JSON_ERROR(r, 403, "organization_not_eligible", "selecting an ineligible organization");
    fa_http_response_free(r);
    FA_CHECK(fa_sql_int("SELECT active_organization_id FROM session_state WHERE session_id = $1::uuid",
                        id, NULL) == 583231,
             "a refused selection changed session_state.active_organization_id");
    FA_CHECK(fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'org_selected' AND "
                        "session_id = $1::uuid",
                        id, NULL) == 1,
             "a refused selection wrote an org_selected audit row");
    free(active);
    free(origin);
    free(id);
    free(token);
    fa_http_jar_free(jar);
}

void fa_register_sessions_suite(void)
{
    CU_pSuite s = fa_suite_add("sessions", NULL, NULL);
    fa_test_add(s, "two browsers: revoking one leaves the other", test_two_browsers_revoke_one);
    fa_test_add(s, "another user's session id cannot be revoked", test_cannot_revoke_another_users_session);
    fa_test_add(s, "sessions list marks the current one", test_sessions_list);
    fa_test_add(s, "tampered, unknown and expired sessions are 401", test_bad_session_values);
    fa_test_add(s, "cookie mutations need a trusted Origin and JSON", test_csrf_rules);
    fa_test_add(s, "duplicate Authorization headers are refused", test_duplicate_authorization);
    fa_test_add(s, "verify answers nginx auth_request", test_verify);
    fa_test_add(s, "sign-out-all ends every session", test_sign_out_all);
    fa_test_add(s, "organization select is per session and checked", test_org_select);
}
