/* Auth suite: the GitHub sign-in flow end to end (issue 3), through nginx,
 * against the real service, PostgreSQL and the GitHub emulator. Covers the
 * rows a sign-in writes, the cookie's attributes, secrets kept out of the
 * database and the log, the OAuth refusals (invariant 2), returnTo
 * (invariant 3), the single-use code (invariant 8) and GitHub failures. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "harness.h"
#include "signin_helpers.h"

#define FA_ALICE_ID "583231"
#define FA_ALICE "octo-alice"

static void fa_before(void)
{
    FA_CHECK_FATAL(fa_emulator_clear_faults(), "DELETE /_emulator/faults failed");
}

static bool fa_healthz_ok(void *arg)
{
    (void)arg;
    fa_http_response_t *r = fa_http_get("/healthz");
    bool ok = r->status == 200;
    fa_http_response_free(r);
    return ok;
}

/* The authError of a finished sign-in, or "(not the sign-in page)". */
static char *fa_result_auth_error(const fa_signin_result_t *r)
{
    char *e = fa_auth_error_of(r->location);
    return e ? e : fa_xstrdup("(not the sign-in page)");
}

/* ---- 1. the happy path ----------------------------------------------- */

static void fa_check_session_cookie_attributes(const fa_http_response_t *callback)
{
    bool https = strncmp(fa_env("FA_TEST_URL"), "https:", 6) == 0;
    const char *line = fa_set_cookie_header(callback, fa_session_cookie_name());
    FA_CHECK_FATAL(line != NULL, "callback: no Set-Cookie for %s", fa_session_cookie_name());
    FA_CHECK(fa_set_cookie_has(line, "HttpOnly"), "session cookie lacks HttpOnly: %s", line);
    FA_CHECK(fa_set_cookie_has(line, "SameSite=Lax"), "session cookie lacks SameSite=Lax: %s",
             line);
    FA_CHECK(fa_set_cookie_has(line, "Path=/"), "session cookie lacks Path=/: %s", line);
    FA_CHECK(strstr(line, "Max-Age=") || strstr(line, "max-age="),
             "session cookie lacks Max-Age: %s", line);
    FA_CHECK(strstr(line, "Domain=") == NULL && strstr(line, "domain=") == NULL,
             "session cookie must be host-only, has a Domain: %s", line);
    if (https) {
        FA_CHECK(fa_set_cookie_has(line, "Secure"), "https: session cookie lacks Secure: %s", line);
        FA_CHECK(strncmp(line, "__Host-", 7) == 0, "https: cookie lacks __Host- prefix: %s", line);
    } else {
        /* The documented dev exception: plain http drops Secure and __Host-. */
        FA_CHECK(!fa_set_cookie_has(line, "Secure"), "http dev mode: cookie has Secure: %s", line);
        FA_CHECK(strncmp(line, "foundry_session=", 16) == 0,
                 "http dev mode: expected foundry_session= (no __Host-), got %s", line);
        FA_CHECK(fa_set_cookie_header(callback, "__Host-foundry_session") == NULL,
                 "http dev mode: a __Host-foundry_session cookie was set too");
    }
}

static void fa_check_authorize_url(const fa_signin_result_t *r)
{
    const char *emu = fa_env("FA_TEST_EMULATOR_URL");
    char *expected_prefix = fa_xasprintf("%s/login/oauth/authorize?", emu);
    char *redirect = fa_url_param(r->authorize_url, "redirect_uri");
    char *method = fa_url_param(r->authorize_url, "code_challenge_method");
    char *challenge = fa_url_param(r->authorize_url, "code_challenge");
    char *client = fa_url_param(r->authorize_url, "client_id");
    char *public_url = fa_envfile_get("FOUNDRY_AUTH_URL");
    char *expected_redirect =
        fa_xasprintf("%s/v1/auth/github/callback", public_url ? public_url : fa_env("FA_TEST_URL"));
    FA_CHECK(strncmp(r->authorize_url, expected_prefix, strlen(expected_prefix)) == 0,
             "start Location expected to begin %s, got %s", expected_prefix, r->authorize_url);
    FA_CHECK(method && strcmp(method, "S256") == 0, "code_challenge_method expected S256, got %s",
             method ? method : "(none)");
    FA_CHECK(challenge && strlen(challenge) == 43, "code_challenge expected 43 chars, got %s",
             challenge ? challenge : "(none)");
    FA_CHECK(client && *client, "client_id missing in %s", r->authorize_url);
    FA_CHECK(redirect && strcmp(redirect, expected_redirect) == 0,
             "redirect_uri expected %s, got %s", expected_redirect, redirect ? redirect : "(none)");
    FA_CHECK(r->state && strlen(r->state) >= 32, "state expected >= 32 chars, got %s",
             r->state ? r->state : "(none)");
    const char *binding = fa_set_cookie_header(r->start, fa_binding_cookie_name());
    FA_CHECK(binding != NULL, "start: no Set-Cookie %s", fa_binding_cookie_name());
    FA_CHECK(binding && fa_set_cookie_has(binding, "HttpOnly"), "binding cookie lacks HttpOnly: %s",
             binding ? binding : "");
    free(expected_prefix);
    free(redirect);
    free(method);
    free(challenge);
    free(client);
    free(public_url);
    free(expected_redirect);
}

static void fa_check_alice_rows(const char *session_id, const char *token)
{
    FA_CHECK(fa_count_for_user("users", FA_ALICE_ID) == 1, "users row for %s missing", FA_ALICE_ID);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM accounts WHERE user_id = 583231 AND provider_id = "
                        "'github' AND account_id = '583231' AND access_token_enc IS NOT NULL",
                        NULL) == 1,
             "accounts row (github, 583231, with an encrypted token) missing");
    char *login = fa_sql_text("SELECT github_login FROM user_profiles WHERE user_id = 583231", NULL);
    FA_CHECK(login && strcmp(login, FA_ALICE) == 0, "user_profiles.github_login expected %s, got %s",
             FA_ALICE, login ? login : "(no row)");
    free(login);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM sessions WHERE user_id = 583231 AND id = $1::uuid",
                        session_id, NULL) == 1,
             "sessions row %s missing", session_id);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM session_state WHERE user_id = 583231 AND "
                        "session_id = $1::uuid",
                        session_id, NULL) == 1,
             "session_state row for %s missing", session_id);
    /* The index key is SHA-256 of the token part: the row must map this very token. */
    char *part = strndup(token, strcspn(token, "."));
    char hex[65];
    fa_sha256_hex(part, hex);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM session_index WHERE user_id = 583231 AND "
                        "session_id = $1::uuid AND token_hash = decode($2, 'hex')",
                        session_id, hex, NULL) == 1,
             "session_index row (sha256 of the token part -> %s) missing", session_id);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM jobs WHERE user_id = 583231 AND kind = 'org_sync'",
                        NULL) >= 1,
             "no org_sync job row for user 583231");
    free(part);
}

static void fa_check_session_body(const fa_http_response_t *res, const char *session_id)
{
    json_t *j = fa_http_json(res);
    json_t *user = json_object_get(j, "user"), *session = json_object_get(j, "session");
    const char *id = json_string_value(json_object_get(user, "id"));
    const char *login = json_string_value(json_object_get(user, "login"));
    const char *name = json_string_value(json_object_get(user, "name"));
    const char *email = json_string_value(json_object_get(user, "email"));
    const char *sid = json_string_value(json_object_get(session, "id"));
    const char *uid = json_string_value(json_object_get(session, "userId"));
    FA_CHECK(id && strcmp(id, FA_ALICE_ID) == 0, "user.id expected \"583231\", body %.300s", res->body);
    FA_CHECK(login && strcmp(login, FA_ALICE) == 0, "user.login expected octo-alice, body %.300s",
             res->body);
    FA_CHECK(name && strcmp(name, "Alice Octo") == 0, "user.name expected Alice Octo, body %.300s",
             res->body);
    FA_CHECK(email && strcmp(email, "alice@octo.example") == 0,
             "user.email expected alice@octo.example, body %.300s", res->body);
    FA_CHECK(sid && session_id && strcmp(sid, session_id) == 0, "session.id expected %s, body %.300s",
             session_id ? session_id : "?", res->body);
    FA_CHECK(uid && strcmp(uid, FA_ALICE_ID) == 0, "session.userId expected 583231, body %.300s",
             res->body);
    FA_CHECK(json_is_string(json_object_get(session, "expiresAt")) &&
                 json_is_string(json_object_get(session, "createdAt")),
             "session.createdAt/expiresAt missing, body %.300s", res->body);
    json_decref(j);
}

static void test_full_sign_in(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, FA_ALICE, "/app/welcome", &r);
    FA_CHECK_FATAL(ok, "sign-in as octo-alice: %s", fa_signin_describe(&r));
    fa_check_authorize_url(&r);
    char *path = fa_location_path(r.location);
    FA_CHECK(path && strcmp(path, "/app/welcome") == 0, "callback Location expected /app/welcome, got %s",
             r.location);
    free(path);
    fa_check_session_cookie_attributes(r.callback);
    FA_CHECK(strlen(r.session) == 87 && r.session[43] == '.',
             "session value expected token.signature (43.43 chars), got %zu chars", strlen(r.session));

    fa_http_response_t *res = fa_browser_request("GET", "/v1/auth/session", jar, NULL, NULL, NULL);
    FA_CHECK(res->status == 200, "GET /v1/auth/session with the cookie: expected 200, got %ld %.300s",
             res->status, res->body);
    const char *cc = fa_http_header(res, "Cache-Control");
    FA_CHECK(cc && strstr(cc, "no-store"), "GET /v1/auth/session: Cache-Control expected no-store, got %s",
             cc ? cc : "(none)");
    char *session_id = fa_session_id_of(r.session);
    FA_CHECK_FATAL(session_id != NULL, "bearer GET /v1/auth/session did not answer 200");
    fa_check_session_body(res, session_id);
    fa_check_alice_rows(session_id, r.session);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'sign_in' AND "
                        "session_id = $1::uuid",
                        session_id, NULL) == 1,
             "audit_events: expected one sign_in row for session %s", session_id);
    fa_http_response_free(res);
    free(session_id);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* GitHub's /user has email null for bob-private: the primary verified email
 * comes from /user/emails. */
static void test_sign_in_private_email(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, "bob-private", "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in as bob-private: %s", fa_signin_describe(&r));
    char *email = fa_sql_text("SELECT email FROM users WHERE id = 9000000001", NULL);
    FA_CHECK(email && strcmp(email, "bob.secret@private.example") == 0,
             "users.email for bob-private expected the primary from /user/emails, got %s",
             email ? email : "(null)");
    FA_CHECK(fa_sql_int("SELECT count(*) FROM users WHERE id = 9000000001 AND email_verified", NULL) == 1,
             "users.email_verified expected true for bob-private");
    free(email);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* ---- 2. secrets never in the database or the log --------------------- */

typedef struct {
    char *column; /* "table"."column" */
    bool bytea;
} fa_scan_column_t;

/* Every column of every base table of the public schema. */
static fa_scan_column_t *fa_scan_columns(size_t *count)
{
    char *list = fa_sql_text(
        "SELECT string_agg(format('%I.%I:%s', c.table_name, c.column_name, c.data_type), ',') "
        "FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
        NULL);
    fa_scan_column_t *cols = NULL;
    size_t n = 0;
    for (char *save = NULL, *tok = list ? strtok_r(list, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        cols = realloc(cols, (n + 1) * sizeof *cols);
        if (cols == NULL)
            abort();
        cols[n].column = fa_xstrdup(tok);
        cols[n++].bytea = strcmp(colon + 1, "bytea") == 0;
    }
    free(list);
    *count = n;
    return cols;
}

/* One query: the "table.column" names (comma-separated) where value occurs as
 * text, or inside a bytea as its UTF-8 bytes or as raw_hex (when not empty). */
static char *fa_scan_for(const fa_scan_column_t *cols, size_t n, const char *value,
                         const char *raw_hex)
{
    /* An ARRAY, not concat_ws: a function takes at most 100 arguments. */
    char *sql = fa_xstrdup("SELECT array_to_string(ARRAY[NULL::text");
    for (size_t i = 0; i < n; i++) {
        char *dot = strchr(cols[i].column, '.');
        char *table = strndup(cols[i].column, (size_t)(dot - cols[i].column));
        const char *col = dot + 1;
        char *cond = cols[i].bytea
                         ? fa_xasprintf("position(convert_to($1, 'UTF8') in %s) > 0 OR "
                                        "($2 <> '' AND position(decode($2, 'hex') in %s) > 0)",
                                        col, col)
                         : fa_xasprintf("position($1 in %s::text) > 0", col);
        char *next = fa_xasprintf("%s, CASE WHEN EXISTS (SELECT 1 FROM %s WHERE %s) THEN '%s' END",
                                  sql, table, cond, cols[i].column);
        free(sql);
        free(cond);
        free(table);
        sql = next;
    }
    char *full = fa_xasprintf("%s], ',')", sql);
    char *found = fa_sql_text(full, value, raw_hex ? raw_hex : "", NULL);
    free(full);
    free(sql);
    return found ? found : fa_xstrdup("(query failed)");
}

/* Hex of the bytes a base64url value decodes to ("" when it does not). */
static char *fa_raw_hex_of(const char *b64)
{
    size_t n = strlen(b64), len = 0;
    uint8_t *raw = fa_xmalloc(n);
    char *hex = fa_xstrdup("");
    if (fa_base64url_decode(b64, n, raw, n, &len) && len >= 16) {
        free(hex);
        hex = fa_xmalloc(2 * len + 1);
        fa_hex_encode(raw, len, hex);
    }
    free(raw);
    return hex;
}

typedef struct {
    const char *what;
    char *value;
} fa_secret_t;

static void fa_scan_secrets(fa_secret_t *secrets, size_t count)
{
    size_t ncols = 0;
    fa_scan_column_t *cols = fa_scan_columns(&ncols);
    FA_CHECK_FATAL(ncols > 20, "information_schema listed only %zu columns", ncols);
    /* Positive control: the scan does find what is stored in plain text. */
    char *control = fa_scan_for(cols, ncols, "alice@octo.example", NULL);
    FA_CHECK(strstr(control, "users.email") != NULL,
             "scan control: alice's email expected in users.email, scan found: %s", control);
    free(control);
    for (size_t i = 0; i < count; i++) {
        if (secrets[i].value == NULL || strlen(secrets[i].value) < 4) {
            FA_CHECK(false, "secret %s was not captured, cannot scan for it", secrets[i].what);
            continue;
        }
        char *hex = fa_raw_hex_of(secrets[i].value);
        char *found = fa_scan_for(cols, ncols, secrets[i].value, hex);
        FA_CHECK(*found == '\0', "%s found in plain text in the database: %s", secrets[i].what, found);
        fa_assert_log_lacks(secrets[i].value);
        free(found);
        free(hex);
    }
    for (size_t i = 0; i < ncols; i++)
        free(cols[i].column);
    free(cols);
}

static void test_no_secret_in_database_or_log(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, FA_ALICE, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in: %s", fa_signin_describe(&r));

    /* A GitHub token whose value we know, handed to the service by dev bootstrap. */
    char *gh_token = fa_emulator_issue_token(FA_ALICE, "read:user user:email read:org");
    FA_CHECK_FATAL(gh_token != NULL, "POST /_emulator/tokens/issue failed");
    char *body = fa_xasprintf("{\"githubToken\":\"%s\"}", gh_token);
    static const char *const json_ct[] = {"Content-Type: application/json", NULL};
    fa_http_response_t *boot = fa_http_send("POST", "/v1/auth/dev/bootstrap", json_ct, body, NULL);
    fa_seen_response(boot);
    char *boot_session = fa_set_cookie_value(boot, fa_session_cookie_name());
    fa_seen_token(boot_session);
    FA_CHECK(boot->status == 200 && boot_session,
             "POST /v1/auth/dev/bootstrap: expected 200 + session cookie, got %ld %.300s",
             boot->status, boot->body);
    FA_CHECK(strstr(boot->body, gh_token) == NULL, "dev bootstrap body echoes the GitHub token");
    FA_CHECK(!boot_session || strstr(boot->body, boot_session) == NULL,
             "dev bootstrap body contains the session token");

    fa_secret_t secrets[] = {
        {"session token (token.sig)", fa_xstrdup(r.session)},
        {"session token part", strndup(r.session, strcspn(r.session, "."))},
        {"OAuth code", r.code ? fa_xstrdup(r.code) : NULL},
        {"OAuth state", r.state ? fa_xstrdup(r.state) : NULL},
        {"browser-binding cookie", r.binding ? fa_xstrdup(r.binding) : NULL},
        {"GitHub access token", fa_xstrdup(gh_token)},
        {"dev bootstrap session token", boot_session ? fa_xstrdup(boot_session) : NULL},
        {"dev bootstrap token part",
         boot_session ? strndup(boot_session, strcspn(boot_session, ".")) : NULL},
        /* Whatever tokens the sign-in exchange produced: GitHub's prefixes. */
        {"a gho_ GitHub token", fa_xstrdup("gho_")},
        {"a ghu_ GitHub token", fa_xstrdup("ghu_")},
        {"a ghr_ GitHub refresh token", fa_xstrdup("ghr_")},
    };
    size_t n = sizeof secrets / sizeof secrets[0];
    fa_scan_secrets(secrets, n);
    for (size_t i = 0; i < n; i++)
        free(secrets[i].value);
    free(boot_session);
    fa_http_response_free(boot);
    free(body);
    free(gh_token);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* ---- 3. OAuth refusals ----------------------------------------------- */

/* Runs the callback of r (begun elsewhere) from jar, expecting a redirect to
 * the sign-in page with code and not a single new row. */
static void fa_expect_refusal(fa_http_jar_t *jar, const char *callback_url, const char *code,
                              const char *what)
{
    fa_row_counts_t before, after;
    fa_row_counts(&before);
    fa_http_response_t *res = fa_signin_callback(jar, callback_url, NULL, 0);
    const char *loc = fa_http_header(res, "Location");
    char *got = fa_auth_error_of(loc);
    FA_CHECK(res->status == 302, "%s: expected a 302 redirect, got %ld %.200s", what, res->status,
             res->body);
    FA_CHECK(got && strcmp(got, code) == 0, "%s: expected /sign-in?authError=%s, got Location %s",
             what, code, loc ? loc : "(none)");
    char *session = fa_set_cookie_value(res, fa_session_cookie_name());
    FA_CHECK(session == NULL || *session == '\0', "%s: a refused callback set a session cookie", what);
    free(session);
    fa_row_counts(&after);
    char why[512];
    FA_CHECK(fa_row_counts_equal(&before, &after, why, sizeof why), "%s: %s", what, why);
    free(got);
    fa_http_response_free(res);
}

static void test_state_replayed_by_another_browser(void)
{
    fa_before();
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new(), *empty = fa_http_jar_new();
    fa_signin_result_t r, other;
    bool ok = fa_signin_browser(a, FA_ALICE, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in: %s", fa_signin_describe(&r));
    /* Browser b has a binding cookie of its own (it started a sign-in). */
    fa_signin_begin(b, FA_ALICE, "/app", &other);
    FA_CHECK_FATAL(other.binding != NULL, "second browser got no binding cookie");
    fa_expect_refusal(b, r.callback_url, "browser_mismatch", "completed state replayed by another browser");
    fa_expect_refusal(empty, r.callback_url, "browser_mismatch",
                      "completed state replayed by a browser without cookies");
    fa_signin_result_free(&other);
    fa_signin_result_free(&r);
    fa_http_jar_free(a);
    fa_http_jar_free(b);
    fa_http_jar_free(empty);
}

static void test_state_expired(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, FA_ALICE, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    char hex[65];
    fa_sha256_hex(r.state, hex);
    FA_CHECK_FATAL(fa_sql_int("SELECT count(*) FROM verification WHERE identifier = $1", hex, NULL) == 1,
                   "no verification row whose identifier is hex SHA-256 of the state");
    FA_CHECK_FATAL(fa_sql_exec("UPDATE verification SET expires_at = now() - interval '1 minute' "
                               "WHERE identifier = $1",
                               hex, NULL),
                   "UPDATE verification failed");
    fa_emulator_clear_calls();
    fa_expect_refusal(jar, r.callback_url, "state_expired", "expired state");
    FA_CHECK(fa_emulator_calls("token") == 0, "expired state: the code was exchanged anyway (%ld token calls)",
             fa_emulator_calls("token"));
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

static void test_state_from_another_browser_before_completion(void)
{
    fa_before();
    fa_http_jar_t *a = fa_http_jar_new(), *b = fa_http_jar_new();
    fa_signin_result_t r, other;
    bool ok = fa_signin_begin(a, FA_ALICE, "/app/mine", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    fa_signin_begin(b, FA_ALICE, "/app", &other);
    fa_emulator_clear_calls();
    fa_expect_refusal(b, r.callback_url, "browser_mismatch", "state used by another browser first");
    FA_CHECK(fa_emulator_calls("token") == 0,
             "another browser's callback exchanged the code (%ld token calls)", fa_emulator_calls("token"));
    /* The thief did not burn the state: the real browser still finishes. */
    ok = fa_signin_finish(a, &r, 0);
    char *path = fa_location_path(r.location);
    FA_CHECK(ok && path && strcmp(path, "/app/mine") == 0,
             "original browser after a foreign attempt: expected signed in at /app/mine, %s",
             fa_signin_describe(&r));
    free(path);
    fa_signin_result_free(&other);
    fa_signin_result_free(&r);
    fa_http_jar_free(a);
    fa_http_jar_free(b);
}

static void test_state_unknown_or_missing(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, FA_ALICE, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    char *state = fa_random_b64url();
    char *forged = fa_xasprintf("/v1/auth/github/callback?code=%s&state=%s", r.code, state);
    fa_expect_refusal(jar, forged, "invalid_state", "a state never issued");
    char *no_state = fa_xasprintf("/v1/auth/github/callback?code=%s", r.code);
    fa_expect_refusal(jar, no_state, "invalid_state", "no state at all");
    /* The genuine state is still good after those. */
    ok = fa_signin_finish(jar, &r, 0);
    FA_CHECK(ok, "genuine callback after forged ones: %s", fa_signin_describe(&r));
    free(no_state);
    free(forged);
    free(state);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

static void test_access_denied(void)
{
    fa_before();
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"authorize\",\"deny\":true,\"times\":1}"),
                   "arming the deny fault failed");
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    fa_signin_begin(jar, FA_ALICE, "/app", &r);
    char *error = fa_url_param(r.callback_url, "error");
    FA_CHECK_FATAL(error && strcmp(error, "access_denied") == 0,
                   "emulator deny: expected a callback URL with error=access_denied, got %s",
                   r.callback_url ? r.callback_url : "(none)");
    fa_expect_refusal(jar, r.callback_url, "access_denied", "user cancelled at GitHub");
    free(error);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* ---- 4. returnTo ----------------------------------------------------- */

/* No response and no jar may carry a cookie named x (header injection). */
static void fa_check_no_injected_cookie(const fa_signin_result_t *r, fa_http_jar_t *jar,
                                        const char *what)
{
    const fa_http_response_t *hops[] = {r->start, r->callback};
    for (size_t i = 0; i < 2; i++) {
        if (hops[i] == NULL)
            continue;
        FA_CHECK(fa_set_cookie_header(hops[i], "x") == NULL, "%s: hop %zu set cookie x: %s", what,
                 i, fa_set_cookie_header(hops[i], "x"));
        for (size_t h = 0; h < hops[i]->header_count; h++)
            FA_CHECK(strchr(hops[i]->headers[h].value, '\r') == NULL &&
                         strchr(hops[i]->headers[h].value, '\n') == NULL,
                     "%s: header %s carries CR/LF", what, hops[i]->headers[h].name);
    }
    char *x = fa_http_jar_cookie(jar, "x");
    FA_CHECK(x == NULL, "%s: the browser ended with an injected cookie x=%s", what, x ? x : "");
    free(x);
}

static void test_return_to_is_never_an_open_redirect(void)
{
    static const char *const hostile[] = {
        "https://evil.example",  "//evil.example",          "/\\evil.example",
        "/\r\nSet-Cookie:x=y",   "https://evil.example/app", "http:/evil.example",
        "\\\\evil.example",      "/\t/evil.example",
    };
    fa_before();
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        fa_http_jar_t *jar = fa_http_jar_new();
        fa_signin_result_t r;
        bool ok = fa_signin_browser(jar, FA_ALICE, hostile[i], &r);
        FA_CHECK(ok, "returnTo #%zu: sign-in did not complete: %s", i, fa_signin_describe(&r));
        FA_CHECK(r.location && fa_location_is_local(r.location),
                 "returnTo #%zu (%s): final Location %s leaves our origin", i, hostile[i],
                 r.location ? r.location : "(none)");
        FA_CHECK(r.location && strstr(r.location, "evil.example") == NULL,
                 "returnTo #%zu: final Location %s still names evil.example", i, r.location);
        fa_check_no_injected_cookie(&r, jar, hostile[i]);
        fa_signin_result_free(&r);
        fa_http_jar_free(jar);
    }
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, FA_ALICE, "/app/settings?tab=1", &r);
    char *path = fa_location_path(r.location);
    FA_CHECK(ok && path && strcmp(path, "/app/settings?tab=1") == 0,
             "legit returnTo /app/settings?tab=1 expected honoured, %s", fa_signin_describe(&r));
    free(path);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* ---- 5. duplicate callbacks ------------------------------------------ */

static void fa_check_works(const char *session, const char *what)
{
    char *id = session ? fa_session_id_of(session) : NULL;
    FA_CHECK(id != NULL, "%s: the session cookie does not authenticate GET /v1/auth/session", what);
    free(id);
}

static void test_duplicate_callback_same_browser(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, FA_ALICE, "/app/dup", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    fa_emulator_clear_calls();
    ok = fa_signin_finish(jar, &r, 0);
    FA_CHECK_FATAL(ok, "first callback: %s", fa_signin_describe(&r));
    fa_http_response_t *again = fa_signin_callback(jar, r.callback_url, NULL, 0);
    char *session = fa_set_cookie_value(again, fa_session_cookie_name());
    char *path = fa_location_path(fa_http_header(again, "Location"));
    FA_CHECK(again->status == 302 && path && strcmp(path, "/app/dup") == 0,
             "duplicate callback: expected 302 to /app/dup, got %ld Location %s", again->status,
             path ? path : "(none)");
    FA_CHECK(session && *session, "duplicate callback: no session cookie");
    fa_check_works(session, "duplicate callback");
    fa_check_works(r.session, "first callback after the duplicate");
    FA_CHECK(fa_emulator_calls("token") == 1, "duplicate callback: expected exactly 1 token call, got %ld",
             fa_emulator_calls("token"));

    /* Once that session is gone, a replay cannot sign in, nor exchange again. */
    fa_http_response_t *out = fa_bearer_request("POST", "/v1/auth/sign-out", session, NULL);
    FA_CHECK(out->status == 204, "sign-out: expected 204, got %ld %.200s", out->status, out->body);
    fa_expect_refusal(jar, r.callback_url, "state_used", "duplicate callback after sign-out");
    FA_CHECK(fa_emulator_calls("token") == 1, "replay after sign-out exchanged the code again (%ld calls)",
             fa_emulator_calls("token"));
    fa_http_response_free(out);
    fa_http_response_free(again);
    free(session);
    free(path);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* The sealed session token of the state in r: 1 when stored, 0 when erased,
 * -1 when the row is gone. */
static long long fa_sealed_session_stored(const fa_signin_result_t *r)
{
    char hex[65];
    fa_sha256_hex(r->state, hex);
    return fa_sql_int("SELECT coalesce((SELECT (session_token_enc IS NOT NULL)::int FROM "
                      "verification WHERE identifier = $1), -1)",
                      hex, NULL);
}

static void fa_backdate_state(const fa_signin_result_t *r, const char *set)
{
    char hex[65];
    fa_sha256_hex(r->state, hex);
    char *sql = fa_xasprintf("UPDATE verification SET %s WHERE identifier = $1", set);
    FA_CHECK_FATAL(fa_sql_exec(sql, hex, NULL), "cannot backdate the state: %s", sql);
    free(sql);
}

/* Issue 13: the first callback's session is replayed only within the window
 * (60 s after completion, FA_OAUTH_REPLAY_WINDOW_SECONDS) and while the
 * state lives. Later the sealed session token, a credential, is erased
 * instead of waiting for the row's deletion, and the duplicate is refused. */
static void fa_check_late_duplicate(const char *set, const char *code, const char *what)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, FA_ALICE, "/app/late", &r);
    FA_CHECK_FATAL(ok, "sign-in: %s", fa_signin_describe(&r));

    /* Still inside the window: the replay works, and keeps the token. */
    fa_backdate_state(&r, "completed_at = now() - interval '30 seconds'");
    fa_http_response_t *again = fa_signin_callback(jar, r.callback_url, NULL, 0);
    char *session = fa_set_cookie_value(again, fa_session_cookie_name());
    FA_CHECK(again->status == 302 && session && *session,
             "duplicate callback 30 s after completion: expected signed in, got %ld Location %s",
             again->status, fa_http_header(again, "Location"));
    FA_CHECK(fa_sealed_session_stored(&r) == 1, "a replay in the window erased the sealed token");
    free(session);
    fa_http_response_free(again);

    fa_backdate_state(&r, set);
    fa_emulator_clear_calls();
    fa_expect_refusal(jar, r.callback_url, code, what);
    FA_CHECK(fa_emulator_calls("token") == 0, "%s: the code was exchanged again", what);
    long long stored = fa_sealed_session_stored(&r);
    FA_CHECK(stored == 0, "%s: session_token_enc expected erased (0), got %lld", what, stored);
    fa_check_works(r.session, "the first callback's session after a refused late duplicate");
    /* And it stays refused. */
    fa_expect_refusal(jar, r.callback_url, code, what);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

static void test_duplicate_callback_after_the_window(void)
{
    fa_check_late_duplicate("completed_at = now() - interval '61 seconds'", "state_used",
                            "duplicate callback 61 s after completion");
}

static void test_duplicate_callback_after_the_state_expired(void)
{
    fa_check_late_duplicate("expires_at = now() - interval '1 second'", "state_expired",
                            "duplicate callback in the window but after the state expired");
}

typedef struct {
    fa_http_jar_t *jar;
    const char *url;
    pthread_barrier_t *barrier;
    fa_http_response_t *res;
} fa_callback_job_t;

static void *fa_callback_thread(void *arg)
{
    fa_callback_job_t *job = arg;
    pthread_barrier_wait(job->barrier);
    job->res = fa_signin_callback(job->jar, job->url, NULL, 20000);
    return NULL;
}

/* A proxy retry arriving while the first callback is still talking to GitHub. */
static void test_duplicate_callback_concurrent(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, FA_ALICE, "/app/race", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    FA_CHECK_FATAL(fa_emulator_arm_fault("{\"endpoint\":\"token\",\"delayMs\":800,\"times\":1}"),
                   "arming the token delay failed");
    fa_emulator_clear_calls();
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    fa_callback_job_t jobs[2] = {{jar, r.callback_url, &barrier, NULL},
                                 {jar, r.callback_url, &barrier, NULL}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        FA_CHECK_FATAL(pthread_create(&t[i], NULL, fa_callback_thread, &jobs[i]) == 0, "pthread_create");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < 2; i++) {
        char *session = fa_set_cookie_value(jobs[i].res, fa_session_cookie_name());
        char *path = fa_location_path(fa_http_header(jobs[i].res, "Location"));
        FA_CHECK(jobs[i].res->status == 302 && path && strcmp(path, "/app/race") == 0 && session,
                 "concurrent duplicate callback %d: expected signed in at /app/race, got %ld %s", i,
                 jobs[i].res->status, path ? path : "(no Location)");
        if (session)
            fa_check_works(session, "concurrent duplicate callback");
        free(session);
        free(path);
        fa_http_response_free(jobs[i].res);
    }
    FA_CHECK(fa_emulator_calls("token") == 1, "concurrent duplicates: expected 1 token call, got %ld",
             fa_emulator_calls("token"));
    fa_emulator_clear_faults();
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* Invariant 8: a prefetch must not spend the code. */
static void test_prefetch_does_not_consume(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, FA_ALICE, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in start: %s", fa_signin_describe(&r));
    fa_emulator_clear_calls();
    static const char *const prefetch[] = {"Sec-Purpose: prefetch", NULL};
    fa_http_response_t *pre = fa_signin_callback(jar, r.callback_url, prefetch, 0);
    FA_CHECK(pre->status == 503, "prefetch of the callback: expected 503, got %ld", pre->status);
    FA_CHECK(fa_set_cookie_header(pre, fa_session_cookie_name()) == NULL,
             "prefetch of the callback set a session cookie");
    FA_CHECK(fa_emulator_calls("token") == 0, "prefetch exchanged the code (%ld token calls)",
             fa_emulator_calls("token"));
    ok = fa_signin_finish(jar, &r, 0);
    FA_CHECK(ok, "real callback after a prefetch: %s", fa_signin_describe(&r));
    FA_CHECK(fa_emulator_calls("token") == 1, "prefetch + callback: expected 1 token call, got %ld",
             fa_emulator_calls("token"));
    fa_http_response_free(pre);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

/* ---- 6. GitHub failing ----------------------------------------------- */

typedef struct {
    const char *what;
    const char *fault; /* JSON, without "times" */
    const char *code;  /* expected authError */
    long token_calls;  /* the exchange is attempted exactly this often */
} fa_github_failure_t;

static void fa_check_github_failure(const fa_github_failure_t *f, long timeout_ms)
{
    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("fault-%lld", id);
    char *uid = fa_xasprintf("%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_begin(jar, login, "/app", &r);
    FA_CHECK_FATAL(ok, "%s: sign-in start: %s", f->what, fa_signin_describe(&r));
    char *fault = fa_xasprintf("%.*s,\"times\":1}", (int)strlen(f->fault) - 1, f->fault);
    FA_CHECK_FATAL(fa_emulator_arm_fault(fault), "%s: arming %s failed", f->what, fault);
    fa_emulator_clear_calls();
    fa_row_counts_t before, after;
    fa_row_counts(&before);
    fa_signin_finish(jar, &r, timeout_ms);
    char *got = fa_result_auth_error(&r);
    FA_CHECK(r.callback->status == 302 && strcmp(got, f->code) == 0,
             "%s: expected 302 /sign-in?authError=%s, got %ld Location %s", f->what, f->code,
             r.callback->status, r.location ? r.location : "(none)");
    FA_CHECK(r.session == NULL, "%s: a session cookie was set", f->what);
    static const char *const tables[] = {"users", "accounts", "user_profiles", "sessions",
                                         "session_index", "session_state"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        FA_CHECK(fa_count_for_user(tables[i], uid) == 0, "%s: %s has a row for user %s", f->what,
                 tables[i], uid);
    fa_row_counts(&after);
    char why[512];
    FA_CHECK(fa_row_counts_equal(&before, &after, why, sizeof why), "%s: %s", f->what, why);
    FA_CHECK(fa_emulator_calls("token") == f->token_calls,
             "%s: expected %ld token call(s) (never retried), got %ld", f->what, f->token_calls,
             fa_emulator_calls("token"));
    FA_CHECK(fa_healthz_ok(NULL), "%s: GET /healthz right after did not answer 200", f->what);
    fa_emulator_clear_faults();
    free(got);
    free(fault);
    free(uid);
    free(login);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
}

static void test_github_failures(void)
{
    fa_before();
    long timeout = fa_service_github_timeout_ms();
    char *slow = fa_xasprintf("{\"endpoint\":\"token\",\"delayMs\":%ld}", timeout + 1500);
    const fa_github_failure_t failures[] = {
        {"token endpoint 500", "{\"endpoint\":\"token\",\"status\":500}", "github_error", 1},
        {"token endpoint slower than the timeout", slow, "github_timeout", 1},
        {"token endpoint garbage body", "{\"endpoint\":\"token\",\"body\":\"malformed\"}",
         "github_error", 1},
        {"token endpoint HTTP 200 bad_verification_code",
         "{\"endpoint\":\"token\",\"error\":\"bad_verification_code\"}", "code_rejected", 1},
        {"token endpoint connection reset", "{\"endpoint\":\"token\",\"reset\":true}",
         "github_error", 1},
        {"/user 500 after a good exchange", "{\"endpoint\":\"user\",\"status\":500}",
         "github_error", 1},
    };
    for (size_t i = 0; i < sizeof failures / sizeof failures[0]; i++)
        fa_check_github_failure(&failures[i], timeout + 10000);
    free(slow);
}

/* ---- 10. tabs, concurrent first sign-ins, renames -------------------- */

static void test_two_tabs_one_browser(void)
{
    fa_before();
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t t1, t2;
    bool ok1 = fa_signin_begin(jar, FA_ALICE, "/app/tab1", &t1);
    bool ok2 = fa_signin_begin(jar, FA_ALICE, "/app/tab2", &t2);
    FA_CHECK_FATAL(ok1 && ok2, "two starts in one browser: %s", fa_signin_describe(&t2));
    FA_CHECK(t1.binding && t2.binding && strcmp(t1.binding, t2.binding) == 0,
             "the second tab replaced the browser-binding cookie");
    ok1 = fa_signin_finish(jar, &t1, 0);
    char *p1 = fa_location_path(t1.location);
    FA_CHECK(ok1 && p1 && strcmp(p1, "/app/tab1") == 0, "tab 1: %s", fa_signin_describe(&t1));
    ok2 = fa_signin_finish(jar, &t2, 0);
    char *p2 = fa_location_path(t2.location);
    FA_CHECK(ok2 && p2 && strcmp(p2, "/app/tab2") == 0, "tab 2 after tab 1: %s", fa_signin_describe(&t2));
    char *s1 = ok1 ? fa_session_id_of(t1.session) : NULL;
    char *s2 = ok2 ? fa_session_id_of(t2.session) : NULL;
    FA_CHECK(s1 && s2 && strcmp(s1, s2) != 0, "two tabs: expected two distinct live sessions, got %s / %s",
             s1 ? s1 : "(dead)", s2 ? s2 : "(dead)");
    free(s1);
    free(s2);
    free(p1);
    free(p2);
    fa_signin_result_free(&t1);
    fa_signin_result_free(&t2);
    fa_http_jar_free(jar);
}

typedef struct {
    fa_http_jar_t *jar;
    fa_signin_result_t *r;
    pthread_barrier_t *barrier;
    bool ok;
} fa_finish_job_t;

static void *fa_finish_thread(void *arg)
{
    fa_finish_job_t *job = arg;
    pthread_barrier_wait(job->barrier);
    job->ok = fa_signin_finish(job->jar, job->r, 20000);
    return NULL;
}

static void test_concurrent_first_sign_ins(void)
{
    fa_before();
    long long id = fa_fresh_user_id();
    char *login = fa_xasprintf("twin-%lld", id);
    char *uid = fa_xasprintf("%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, login), "adding emulator user %s failed", login);
    fa_http_jar_t *jars[2] = {fa_http_jar_new(), fa_http_jar_new()};
    fa_signin_result_t r[2];
    for (int i = 0; i < 2; i++) {
        bool begun = fa_signin_begin(jars[i], login, "/app", &r[i]);
        FA_CHECK_FATAL(begun, "start %d: %s", i, fa_signin_describe(&r[i]));
    }
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    fa_finish_job_t jobs[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        jobs[i] = (fa_finish_job_t){jars[i], &r[i], &barrier, false};
        FA_CHECK_FATAL(pthread_create(&t[i], NULL, fa_finish_thread, &jobs[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    for (int i = 0; i < 2; i++)
        FA_CHECK(jobs[i].ok, "concurrent first sign-in %d: %s", i, fa_signin_describe(&r[i]));
    FA_CHECK(fa_count_for_user("users", uid) == 1, "two concurrent first sign-ins: expected one users row, got %lld",
             fa_count_for_user("users", uid));
    FA_CHECK(fa_count_for_user("user_profiles", uid) == 1, "expected one user_profiles row, got %lld",
             fa_count_for_user("user_profiles", uid));
    FA_CHECK(fa_count_for_user("accounts", uid) == 1, "expected one accounts row, got %lld",
             fa_count_for_user("accounts", uid));
    FA_CHECK(fa_count_for_user("sessions", uid) == 2, "expected two sessions, got %lld",
             fa_count_for_user("sessions", uid));
    for (int i = 0; i < 2; i++) {
        fa_signin_result_free(&r[i]);
        fa_http_jar_free(jars[i]);
    }
    free(uid);
    free(login);
}

static void test_login_rename_keeps_user(void)
{
    fa_before();
    long long id = fa_fresh_user_id();
    char *before = fa_xasprintf("rename-a-%lld", id), *after = fa_xasprintf("rename-b-%lld", id);
    char *uid = fa_xasprintf("%lld", id);
    FA_CHECK_FATAL(fa_emulator_put_user(id, before), "adding emulator user %s failed", before);
    fa_http_jar_t *jar = fa_http_jar_new();
    fa_signin_result_t r;
    bool ok = fa_signin_browser(jar, before, "/app", &r);
    FA_CHECK_FATAL(ok, "first sign-in as %s: %s", before, fa_signin_describe(&r));
    fa_signin_result_free(&r);
    FA_CHECK_FATAL(fa_emulator_put_user(id, after), "renaming emulator user to %s failed", after);
    ok = fa_signin_browser(jar, after, "/app", &r);
    FA_CHECK_FATAL(ok, "sign-in after the rename as %s: %s", after, fa_signin_describe(&r));
    FA_CHECK(fa_count_for_user("users", uid) == 1, "rename: expected one users row for %s, got %lld",
             uid, fa_count_for_user("users", uid));
    char *login = fa_sql_text("SELECT github_login FROM user_profiles WHERE user_id = $1::bigint", uid, NULL);
    FA_CHECK(login && strcmp(login, after) == 0, "user_profiles.github_login expected %s, got %s",
             after, login ? login : "(no row)");
    fa_http_response_t *res = fa_bearer_request("GET", "/v1/auth/session", r.session, NULL);
    json_t *j = fa_http_json(res);
    const char *shown = json_string_value(json_object_get(json_object_get(j, "user"), "login"));
    FA_CHECK(shown && strcmp(shown, after) == 0, "GET /v1/auth/session user.login expected %s, body %.300s",
             after, res->body);
    json_decref(j);
    fa_http_response_free(res);
    free(login);
    fa_signin_result_free(&r);
    fa_http_jar_free(jar);
    free(uid);
    free(before);
    free(after);
}

void fa_register_auth_suite(void)
{
    CU_pSuite s = fa_suite_add("auth", NULL, NULL);
    fa_test_add(s, "full sign-in writes every row and a well-formed cookie", test_full_sign_in);
    fa_test_add(s, "private GitHub email comes from /user/emails", test_sign_in_private_email);
    fa_test_add(s, "no token, code, state or GitHub token in the database or log",
                test_no_secret_in_database_or_log);
    fa_test_add(s, "completed state replayed by another browser", test_state_replayed_by_another_browser);
    fa_test_add(s, "expired state", test_state_expired);
    fa_test_add(s, "state from another browser before completion",
                test_state_from_another_browser_before_completion);
    fa_test_add(s, "unknown or missing state", test_state_unknown_or_missing);
    fa_test_add(s, "access denied at GitHub", test_access_denied);
    fa_test_add(s, "returnTo is never an open redirect", test_return_to_is_never_an_open_redirect);
    fa_test_add(s, "duplicate callback from the same browser", test_duplicate_callback_same_browser);
    fa_test_add(s, "concurrent duplicate callbacks exchange once", test_duplicate_callback_concurrent);
    fa_test_add(s, "a duplicate callback after the replay window is refused, token erased",
                test_duplicate_callback_after_the_window);
    fa_test_add(s, "a duplicate callback after the state expired is refused, token erased",
                test_duplicate_callback_after_the_state_expired);
    fa_test_add(s, "prefetch of the callback consumes nothing", test_prefetch_does_not_consume);
    fa_test_add(s, "GitHub failures end in a clean sign-in error", test_github_failures);
    fa_test_add(s, "two tabs of one browser both finish", test_two_tabs_one_browser);
    fa_test_add(s, "concurrent first sign-ins make one user", test_concurrent_first_sign_ins);
    fa_test_add(s, "a GitHub login rename keeps the user", test_login_rename_keeps_user);
}
