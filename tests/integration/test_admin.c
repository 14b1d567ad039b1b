/* Admin suite (issue 5, "Admin token and operator commands"): the admin
 * token from the CLI, shown once and stored hashed; rotation through the API
 * and the CLI ending the old token before the new one is returned
 * (invariant 7); the admin API with its audit events; `admin check` and
 * `admin gc`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "harness.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

/* The live admin token for this suite (malloc'd). */
static char *fa_admin_token;

static fa_http_response_t *fa_admin(const char *method, const char *path, const char *token,
                                    const char *body)
{
    char *auth = token ? fa_xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[] = {"Content-Type: application/json", auth, NULL};
    fa_http_response_t *r = fa_http_send(method, path, headers, body, NULL);
    free(auth);
    return r;
}

static char *fa_cli_line(const char *const *args, int *exit_code)
{
    fa_run_result_t res;
    fa_id_cli(&res, args);
    *exit_code = res.exit_code;
    char *line = fa_xstrdup(res.out);
    if (res.exit_code != 0) {
        free(line);
        line = fa_xasprintf("%s%s", res.out, res.err);
    }
    fa_run_result_free(&res);
    return line;
}

static bool fa_token_shape(const char *t)
{
    return t && strlen(t) == 52 && strncmp(t, "fa_admin_", 9) == 0 &&
           strspn(t + 9, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43;
}

/* Hex of HMAC-SHA256(fa_kdf_derive(first secret, "admin-token-hmac"), token),
 * computed here from the service's env, the way the service must store it
 * (malloc'd). */
static char *fa_admin_token_mac_hex(const char *token)
{
    char *secrets[4];
    size_t n = fa_id_service_secrets(secrets);
    FA_CHECK_FATAL(n >= 1, "cannot read FOUNDRY_AUTH_SECRET from the service env");
    uint8_t key[32], mac[32];
    fa_kdf_derive(secrets[0], strlen(secrets[0]), "admin-token-hmac", key, sizeof key);
    fa_hmac_sha256(key, sizeof key, token, strlen(token), mac);
    char hex[65];
    fa_hex_encode(mac, sizeof mac, hex);
    for (size_t i = 0; i < n; i++)
        free(secrets[i]);
    return fa_xstrdup(hex);
}

/* A fresh live token: create when there is none, rotate otherwise. */
static char *fa_admin_token_fresh(void)
{
    int rc;
    const char *create[] = {"admin", "token", "create", NULL};
    char *out = fa_cli_line(create, &rc);
    if (rc != 0) {
        free(out);
        const char *rotate[] = {"admin", "token", "rotate", NULL};
        out = fa_cli_line(rotate, &rc);
    }
    FA_CHECK_FATAL(rc == 0, "admin token create/rotate: exit %d: %s", rc, out);
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = 0;
    return out;
}

static long fa_admin_status(const char *token)
{
    fa_http_response_t *r = fa_admin("GET", "/v1/admin/users?query=zz", token, NULL);
    long s = r->status;
    fa_http_response_free(r);
    return s;
}

/* ---- the token --------------------------------------------------------- */

static void test_token_create_once_hashed(void)
{
    long long before =
        fa_sql_int("SELECT count(*) FROM admin_tokens WHERE revoked_at IS NULL", NULL);
    int rc;
    const char *create[] = {"admin", "token", "create", NULL};
    char *out = fa_cli_line(create, &rc);
    if (before == 0) {
        FA_CHECK(rc == 0, "admin token create on an empty table: exit %d: %s", rc, out);
        free(fa_admin_token);
        fa_admin_token = fa_xstrdup(strtok(out, "\n"));
        /* A second create is refused: there is one live token, rotate it. */
        char *again = fa_cli_line(create, &rc);
        FA_CHECK(rc == 1 && strstr(again, "rotate"), "second create: exit %d: %s", rc, again);
        free(again);
    } else {
        FA_CHECK(rc == 1, "create with a live token: expected exit 1, got %d", rc);
        free(fa_admin_token);
        fa_admin_token = fa_admin_token_fresh();
    }
    free(out);
    FA_CHECK_FATAL(fa_token_shape(fa_admin_token), "token shape: %s", fa_admin_token);
    /* Only an HMAC of the token under a key derived from the first secret
     * is stored: never the token, nor a hash anyone could compute. */
    char *mac = fa_admin_token_mac_hex(fa_admin_token);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM admin_tokens WHERE token_hash = decode($1, 'hex') "
                        "AND revoked_at IS NULL",
                        mac, NULL) == 1,
             "no live admin_tokens row holds HMAC-SHA256 of the printed token");
    free(mac);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM admin_tokens WHERE token_hash = "
                        "sha256(convert_to($1, 'UTF8'))",
                        fa_admin_token, NULL) == 0,
             "the admin token is stored as a plain SHA-256");
    FA_CHECK(
        fa_sql_int(
            "SELECT count(*) FROM admin_tokens WHERE position(convert_to($1, 'UTF8') in "
            "token_hash) > 0 OR position(convert_to(substr($1, 10), 'UTF8') in token_hash) > 0",
            fa_admin_token, NULL) == 0,
        "the admin token is stored in plain text");
    FA_CHECK(
        fa_sql_int("SELECT count(*) FROM audit_events WHERE detail::text LIKE '%' || $1 || '%'",
                   fa_admin_token + 9, NULL) == 0,
        "the admin token reached the audit trail");
    FA_CHECK(fa_admin_status(fa_admin_token) == 200, "the new admin token does not work");
    fa_assert_log_lacks(fa_admin_token + 9);
}

static void test_wrong_tokens_refused(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token (previous test failed)");
    fa_id_user_t u;
    fa_id_user_new(&u, "admwrong");
    char *random = fa_random_b64url();
    char *wrong = fa_xasprintf("fa_admin_%s", random);
    free(random);
    char *flipped = fa_xstrdup(fa_admin_token);
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    const char *tokens[] = {NULL, wrong, flipped, u.session, "fa_admin_short", fa_admin_token + 9};
    const char *names[] = {
        "no token",      "a random admin-shaped token", "one character changed", "a session token",
        "a short token", "the token without its prefix"};
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        fa_http_response_t *r = fa_admin("GET", "/v1/admin/users", tokens[i], NULL);
        FA_CHECK_JSON_ERROR(r, 401, "invalid_admin_token", names[i]);
        /* RFC 6750 section 3.1: an error code exactly when a token was sent. */
        const char *challenge = fa_http_header(r, "WWW-Authenticate");
        bool says_invalid = challenge && strstr(challenge, "error=\"invalid_token\"");
        FA_CHECK(challenge && strncmp(challenge, "Bearer realm=\"foundry-auth-admin\"", 32) == 0 &&
                     says_invalid == (tokens[i] != NULL),
                 "%s: WWW-Authenticate %s", names[i], challenge ? challenge : "(none)");
        fa_http_response_free(r);
        r = fa_admin("POST", "/v1/admin/token/rotate", tokens[i], "{}");
        FA_CHECK_JSON_ERROR(r, 401, "invalid_admin_token", names[i]);
        fa_http_response_free(r);
    }
    /* The session cookie is not an admin credential either. */
    fa_http_response_t *r = fa_browser_request("GET", "/v1/admin/users", u.jar, NULL, NULL, NULL);
    FA_CHECK_JSON_ERROR(r, 401, "invalid_admin_token", "a session cookie");
    fa_http_response_free(r);
    /* Those were 10 failed authentications from this address, the limit of a
     * minute (issue 12, app/auth/admin_throttle.h; test_limits.c shows the
     * 429s): start a new window for the rest of this suite. */
    FA_CHECK(fa_sql_exec("DELETE FROM auth_failures", NULL), "could not clear auth_failures");
    FA_CHECK(fa_admin_status(fa_admin_token) == 200, "the real token stopped working");
    free(flipped);
    free(wrong);
    fa_id_user_free(&u);
}

/* Issue 13: whoever can write to the database must not become admin by
 * inserting the SHA-256 of a token they made up. The stored value is an
 * HMAC under a key derived from FOUNDRY_AUTH_SECRET, which the database
 * never sees. */
static void test_plain_sha256_row_refused(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token (previous test failed)");
    char *random = fa_random_b64url();
    char *forged = fa_xasprintf("fa_admin_%s", random);
    free(random);
    FA_CHECK_FATAL(fa_sql_exec("INSERT INTO admin_tokens (token_hash) "
                               "VALUES (sha256(convert_to($1, 'UTF8')))",
                               forged, NULL),
                   "could not insert a forged admin_tokens row");
    long read = fa_admin_status(forged);
    fa_http_response_t *r = fa_admin("POST", "/v1/admin/token/rotate", forged, "{}");
    long rotate = r->status;
    fa_http_response_free(r);
    FA_CHECK(fa_sql_exec("DELETE FROM admin_tokens WHERE token_hash = "
                         "sha256(convert_to($1, 'UTF8'))",
                         forged, NULL),
             "could not delete the forged row");
    FA_CHECK(fa_sql_exec("DELETE FROM auth_failures", NULL), "could not clear auth_failures");
    FA_CHECK(read == 401, "a forged SHA-256 row authenticated a read: %ld", read);
    FA_CHECK(rotate == 401, "a forged SHA-256 row rotated the admin token: %ld", rotate);
    FA_CHECK(fa_admin_status(fa_admin_token) == 200, "the real token stopped working");
    free(forged);
}

static void test_rotate_through_the_api(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token (previous test failed)");
    char *old = fa_admin_token;
    fa_http_response_t *r = fa_admin("POST", "/v1/admin/token/rotate", old, "{}");
    char *fresh = fa_http_json_string(r, "token");
    FA_CHECK_FATAL(r->status == 200 && fa_token_shape(fresh), "rotate: %ld %.200s", r->status,
                   r->body);
    const char *cc = fa_http_header(r, "Cache-Control");
    FA_CHECK(cc && strstr(cc, "no-store"), "rotate response Cache-Control: %s", cc ? cc : "(none)");
    fa_http_response_free(r);
    /* The old token is dead the moment the new one arrived. */
    FA_CHECK(fa_admin_status(old) == 401, "the old token still works after rotation");
    r = fa_admin("POST", "/v1/admin/token/rotate", old, "{}");
    FA_CHECK_JSON_ERROR(r, 401, "invalid_admin_token", "rotating again with the old token");
    fa_http_response_free(r);
    FA_CHECK(fa_admin_status(fresh) == 200, "the rotated token does not work");
    /* One transaction: the old row was revoked at the very instant (the
     * transaction's now()) the new row was created, and one row is live. */
    char *old_mac = fa_admin_token_mac_hex(old), *fresh_mac = fa_admin_token_mac_hex(fresh);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM admin_tokens o, admin_tokens n "
                        "WHERE o.token_hash = decode($1, 'hex') "
                        "AND n.token_hash = decode($2, 'hex') "
                        "AND o.revoked_at = n.created_at AND n.revoked_at IS NULL",
                        old_mac, fresh_mac, NULL) == 1,
             "old revoked_at and new created_at differ: not one transaction");
    free(old_mac);
    free(fresh_mac);
    FA_CHECK(fa_sql_int("SELECT count(*) FROM admin_tokens WHERE revoked_at IS NULL", NULL) == 1,
             "more than one live admin token after rotation");
    FA_CHECK(fa_sql_int("SELECT count(*) FROM audit_events WHERE event = 'admin_token_rotated' "
                        "AND actor = 'admin' AND at > now() - interval '1 minute'",
                        NULL) >= 1,
             "no admin_token_rotated audit event");
    fa_assert_log_lacks(fresh + 9);
    free(old);
    fa_admin_token = fresh;
}

static void test_rotate_through_the_cli(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token (previous test failed)");
    int rc;
    const char *rotate[] = {"admin", "token", "rotate", NULL};
    char *out = fa_cli_line(rotate, &rc);
    FA_CHECK_FATAL(rc == 0, "admin token rotate: exit %d: %s", rc, out);
    char *fresh = fa_xstrdup(strtok(out, "\n"));
    free(out);
    FA_CHECK(fa_token_shape(fresh), "CLI rotate printed %s", fresh);
    FA_CHECK(fa_admin_status(fa_admin_token) == 401, "the old token survives a CLI rotation");
    FA_CHECK(fa_admin_status(fresh) == 200, "the CLI-rotated token does not work");
    free(fa_admin_token);
    fa_admin_token = fresh;
}

/* ---- the admin API ------------------------------------------------------- */

static long long fa_audit_count(const char *event, const char *user_id, const char *session_id)
{
    if (!session_id)
        return fa_sql_int("SELECT count(*) FROM audit_events WHERE event = $1 "
                          "AND user_id = $2::bigint AND actor = 'admin'",
                          event, user_id, NULL);
    return fa_sql_int("SELECT count(*) FROM audit_events WHERE event = $1 AND user_id = $2::bigint "
                      "AND actor = 'admin' AND session_id = $3::uuid",
                      event, user_id, session_id, NULL);
}

static void test_users_search(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token");
    fa_id_user_t u;
    fa_id_user_new(&u, "admsearch");
    char *path = fa_xasprintf("/v1/admin/users?query=%.12s", u.login); /* a prefix */
    fa_http_response_t *r = fa_admin("GET", path, fa_admin_token, NULL);
    json_t *j = fa_http_json(r);
    bool found = false;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "users"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "id")), u.id_text) == 0 &&
            strcmp(json_string_value(json_object_get(row, "login")), u.login) == 0)
            found = true;
    }
    FA_CHECK(r->status == 200 && found, "search %s: %ld %.300s", path, r->status, r->body);
    FA_CHECK(json_array_size(json_object_get(j, "users")) <= 50, "search is not bounded");
    json_decref(j);
    fa_http_response_free(r);
    free(path);
    /* Wildcards are literal: '%' and '_' match only themselves. */
    r = fa_admin("GET", "/v1/admin/users?query=%25", fa_admin_token, NULL);
    j = fa_http_json(r);
    FA_CHECK(r->status == 200 && json_array_size(json_object_get(j, "users")) == 0,
             "query=%% matched users: %.200s", r->body);
    json_decref(j);
    fa_http_response_free(r);
    r = fa_admin("GET", "/v1/admin/users?limit=abc", fa_admin_token, NULL);
    FA_CHECK_JSON_ERROR(r, 400, "invalid_limit", "limit=abc");
    fa_http_response_free(r);
    char *long_query = fa_xasprintf("/v1/admin/users?query=%0101d", 0);
    r = fa_admin("GET", long_query, fa_admin_token, NULL);
    FA_CHECK_JSON_ERROR(r, 400, "invalid_query", "a 101-character query");
    fa_http_response_free(r);
    free(long_query);
    /* The CLI finds the same user. */
    int rc;
    const char *search[] = {"admin", "users", "search", u.login, NULL};
    char *out = fa_cli_line(search, &rc);
    FA_CHECK(rc == 0 && strstr(out, u.id_text) && strstr(out, u.login),
             "admin users search: exit %d: %s", rc, out);
    free(out);
    fa_id_user_free(&u);
}

static void test_sessions_list_and_revoke(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token");
    fa_id_user_t u;
    fa_id_user_new(&u, "admsess");
    fa_http_jar_t *jar2;
    char *second = fa_id_user_second_session(&u, &jar2);
    char *sid1 = fa_session_id_of(u.session), *sid2 = fa_session_id_of(second);
    FA_CHECK_FATAL(sid1 && sid2, "cannot read the session ids");

    char *path = fa_xasprintf("/v1/admin/users/%s/sessions", u.id_text);
    fa_http_response_t *r = fa_admin("GET", path, fa_admin_token, NULL);
    json_t *j = fa_http_json(r);
    FA_CHECK(r->status == 200 && json_array_size(json_object_get(j, "sessions")) == 2,
             "GET %s: expected 2 sessions, got %ld %.300s", path, r->status, r->body);
    FA_CHECK(strstr(r->body, u.session) == NULL && strstr(r->body, second) == NULL,
             "the admin session list carries a session token");
    json_decref(j);
    fa_http_response_free(r);

    /* Revoke one: it stops working, the other does not; audited. */
    char *one = fa_xasprintf("%s/%s", path, sid1);
    r = fa_admin("DELETE", one, fa_admin_token, NULL);
    FA_CHECK(r->status == 200, "DELETE %s: %ld %.200s", one, r->status, r->body);
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/session", u.session, NULL);
    FA_CHECK(r->status == 401, "revoked session still answers %ld", r->status);
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/session", second, NULL);
    FA_CHECK(r->status == 200, "the other session answers %ld after revoking one", r->status);
    fa_http_response_free(r);
    FA_CHECK(fa_audit_count("session_revoked", u.id_text, sid1) == 1,
             "no session_revoked audit event by admin for %s", sid1);
    r = fa_admin("DELETE", one, fa_admin_token, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "session_not_found", "revoking the same session again");
    fa_http_response_free(r);

    /* Revoke all. */
    r = fa_admin("DELETE", path, fa_admin_token, NULL);
    j = fa_http_json(r);
    FA_CHECK(r->status == 200 && json_integer_value(json_object_get(j, "revoked")) == 1,
             "DELETE %s: %ld %.200s", path, r->status, r->body);
    json_decref(j);
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/session", second, NULL);
    FA_CHECK(r->status == 401, "session survives revoke-all: %ld", r->status);
    fa_http_response_free(r);

    /* Unknown and malformed users. */
    r = fa_admin("GET", "/v1/admin/users/1/sessions", fa_admin_token, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "user_not_found", "sessions of an unknown user");
    fa_http_response_free(r);
    r = fa_admin("GET", "/v1/admin/users/abc/sessions", fa_admin_token, NULL);
    FA_CHECK_JSON_ERROR(r, 404, "user_not_found", "sessions of user 'abc'");
    fa_http_response_free(r);

    /* The CLI: list and revoke a fresh session. */
    fa_http_jar_t *jar3;
    char *third = fa_id_user_second_session(&u, &jar3);
    char *sid3 = fa_session_id_of(third);
    int rc;
    const char *list[] = {"admin", "sessions", "list", u.id_text, NULL};
    char *out = fa_cli_line(list, &rc);
    FA_CHECK(rc == 0 && sid3 && strstr(out, sid3), "admin sessions list: exit %d: %s", rc, out);
    free(out);
    const char *revoke[] = {"admin", "sessions", "revoke", u.id_text, sid3, NULL};
    out = fa_cli_line(revoke, &rc);
    FA_CHECK(rc == 0 && strstr(out, "revoked 1"), "admin sessions revoke: exit %d: %s", rc, out);
    free(out);
    r = fa_bearer_request("GET", "/v1/auth/session", third, NULL);
    FA_CHECK(r->status == 401, "CLI-revoked session answers %ld", r->status);
    fa_http_response_free(r);

    free(sid3), free(third), free(one), free(path), free(sid1), free(sid2), free(second);
    fa_http_jar_free(jar3);
    fa_http_jar_free(jar2);
    fa_id_user_free(&u);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ", the one format the service shows instants in. */
static bool fa_iso_ms(const char *t)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (!t || strlen(t) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
            return false;
    return true;
}

/* The createdAt of the session with id sid in a {"sessions":[...]} answer
 * (malloc'd), NULL when absent; every instant of every row must be in the
 * one format. */
static char *fa_listed_created_at(const fa_http_response_t *r, const char *sid, const char *what)
{
    json_t *j = fa_http_json(r);
    char *found = NULL;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "sessions"), i, row)
    {
        const char *created = json_string_value(json_object_get(row, "createdAt"));
        FA_CHECK(fa_iso_ms(created) &&
                     fa_iso_ms(json_string_value(json_object_get(row, "updatedAt"))) &&
                     fa_iso_ms(json_string_value(json_object_get(row, "expiresAt"))),
                 "%s: instants not in the one format: %.300s", what, r->body);
        const char *id = json_string_value(json_object_get(row, "id"));
        if (id && strcmp(id, sid) == 0 && created)
            found = fa_xstrdup(created);
    }
    json_decref(j);
    return found;
}

/* Issue 14: every API shows an instant as the public API does, ISO 8601 UTC
 * with milliseconds (the admin API showed whole seconds, the admin CLI
 * PostgreSQL's text form), and the same instant reads the same everywhere. */
static void test_one_timestamp_format(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token");
    fa_id_user_t u;
    fa_id_user_new(&u, "admtime");
    char *sid = fa_session_id_of(u.session);
    FA_CHECK_FATAL(sid != NULL, "cannot read the session id");

    /* The public API: the session's createdAt. */
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", u.session, NULL);
    json_t *j = fa_http_json(r);
    const char *c = json_string_value(json_object_get(json_object_get(j, "session"), "createdAt"));
    char *created = fa_xstrdup(c ? c : "");
    FA_CHECK(r->status == 200 && fa_iso_ms(created), "/v1/auth/session createdAt %s: %.300s",
             created, r->body);
    json_decref(j);
    fa_http_response_free(r);

    /* The sessions lists, the owner's and the operator's: the same instant. */
    r = fa_bearer_request("GET", "/v1/auth/sessions", u.session, NULL);
    char *listed = fa_listed_created_at(r, sid, "/v1/auth/sessions");
    FA_CHECK(listed && strcmp(listed, created) == 0,
             "/v1/auth/sessions createdAt %s, /v1/auth/session says %s", listed, created);
    free(listed);
    fa_http_response_free(r);
    char *path = fa_xasprintf("/v1/admin/users/%s/sessions", u.id_text);
    r = fa_admin("GET", path, fa_admin_token, NULL);
    listed = fa_listed_created_at(r, sid, path);
    FA_CHECK(listed && strcmp(listed, created) == 0, "%s createdAt %s, /v1/auth/session says %s",
             path, listed, created);
    free(listed);
    fa_http_response_free(r);
    free(path);

    /* The admin users search: the user's created_at, to the millisecond. */
    char *want = fa_sql_text("SELECT to_char(created_at AT TIME ZONE 'UTC', "
                             "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM users WHERE id = $1",
                             u.id_text, NULL);
    FA_CHECK_FATAL(want != NULL, "no users row for %s", u.id_text);
    path = fa_xasprintf("/v1/admin/users?query=%s", u.id_text);
    r = fa_admin("GET", path, fa_admin_token, NULL);
    j = fa_http_json(r);
    c = NULL;
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(j, "users"), i, row)
    {
        const char *id = json_string_value(json_object_get(row, "id"));
        if (id && strcmp(id, u.id_text) == 0)
            c = json_string_value(json_object_get(row, "createdAt"));
    }
    FA_CHECK(r->status == 200 && c && strcmp(c, want) == 0, "%s: createdAt %s, expected %s: %.300s",
             path, c ? c : "(none)", want, r->body);
    json_decref(j);
    fa_http_response_free(r);
    free(path);

    /* The admin CLI prints the same text. */
    int rc;
    const char *search[] = {"admin", "users", "search", u.id_text, NULL};
    char *out = fa_cli_line(search, &rc);
    FA_CHECK(rc == 0 && strstr(out, want), "admin users search: expected %s: %s", want, out);
    free(out);
    const char *list[] = {"admin", "sessions", "list", u.id_text, NULL};
    out = fa_cli_line(list, &rc);
    FA_CHECK(rc == 0 && strstr(out, created), "admin sessions list: expected %s: %s", created, out);
    free(out);
    const char *keys[] = {"keys", "list", NULL};
    out = fa_cli_line(keys, &rc);
    FA_CHECK(rc == 0 && *out, "keys list: exit %d: %s", rc, out);
    for (char *line = strtok(out, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
        char *field[5] = {line};
        for (int f = 1; f < 5; f++)
            field[f] =
                field[f - 1] && strchr(field[f - 1], '\t') ? strchr(field[f - 1], '\t') + 1 : NULL;
        for (int f = 2; f < 5 && field[f]; f++) {
            char *end = strchr(field[f], '\t');
            if (end)
                *end = '\0';
        }
        FA_CHECK(field[4] && fa_iso_ms(field[2]) && fa_iso_ms(field[3]) &&
                     (strcmp(field[4], "-") == 0 || fa_iso_ms(field[4])),
                 "keys list: instants not in the one format: %s", line);
    }
    free(out);
    free(want), free(created), free(sid);
    fa_id_user_free(&u);
}

static void test_role_label(void)
{
    FA_CHECK_FATAL(fa_admin_token != NULL, "no admin token");
    fa_id_user_t u;
    fa_id_user_new(&u, "admlabel");
    char *path = fa_xasprintf("/v1/admin/users/%s/role-label", u.id_text);
    fa_http_response_t *r = fa_admin("PUT", path, fa_admin_token, "{\"roleLabel\":\"Staff\"}");
    FA_CHECK(r->status == 200, "PUT %s: %ld %.200s", path, r->status, r->body);
    fa_http_response_free(r);
    r = fa_bearer_request("GET", "/v1/auth/session", u.session, NULL);
    json_t *j = fa_http_json(r);
    const char *label = json_string_value(json_object_get(json_object_get(j, "user"), "roleLabel"));
    FA_CHECK(label && strcmp(label, "Staff") == 0, "session user roleLabel: %.300s", r->body);
    json_decref(j);
    fa_http_response_free(r);
    FA_CHECK(fa_audit_count("role_label_set", u.id_text, NULL) == 1,
             "no role_label_set audit event");

    const char *bad[] = {"{\"roleLabel\":\"a\\nb\"}", "{\"roleLabel\":\"\"}", "{\"roleLabel\":5}",
                         "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = fa_admin("PUT", path, fa_admin_token, bad[i]);
        FA_CHECK(r->status == 400, "PUT role-label %s: expected 400, got %ld", bad[i], r->status);
        fa_http_response_free(r);
    }
    char *label_now = fa_sql_text("SELECT role_label FROM user_profiles WHERE user_id = $1::bigint",
                                  u.id_text, NULL);
    FA_CHECK(label_now && strcmp(label_now, "Staff") == 0, "a refused PUT changed the label to %s",
             label_now ? label_now : "NULL");
    free(label_now);
    r = fa_admin("PUT", path, fa_admin_token, "{\"roleLabel\":null}");
    FA_CHECK(r->status == 200, "clearing the label: %ld", r->status);
    fa_http_response_free(r);
    FA_CHECK(fa_sql_text("SELECT role_label FROM user_profiles WHERE user_id = $1::bigint",
                         u.id_text, NULL) == NULL,
             "label not cleared");
    r = fa_admin("PUT", "/v1/admin/users/1/role-label", fa_admin_token, "{\"roleLabel\":\"x\"}");
    FA_CHECK_JSON_ERROR(r, 404, "user_not_found", "role label of an unknown user");
    fa_http_response_free(r);
    /* Without a valid admin token nothing changes. */
    r = fa_admin("PUT", path, u.session, "{\"roleLabel\":\"Owner\"}");
    FA_CHECK_JSON_ERROR(r, 401, "invalid_admin_token", "role label with a session token");
    fa_http_response_free(r);
    int rc;
    const char *cli[] = {"admin", "role-label", u.id_text, "Maintainer", NULL};
    char *out = fa_cli_line(cli, &rc);
    FA_CHECK(rc == 0, "admin role-label: exit %d: %s", rc, out);
    free(out);
    label_now = fa_sql_text("SELECT role_label FROM user_profiles WHERE user_id = $1::bigint",
                            u.id_text, NULL);
    FA_CHECK(label_now && strcmp(label_now, "Maintainer") == 0, "CLI label: %s",
             label_now ? label_now : "NULL");
    free(label_now);
    free(path);
    fa_id_user_free(&u);
}

/* ---- check and gc -------------------------------------------------------- */

static void test_check(void)
{
    int rc;
    const char *check[] = {"admin", "check", NULL};
    char *out = fa_cli_line(check, &rc);
    FA_CHECK(rc == 0 && strstr(out, "schema version") && strstr(out, "session_index rows") &&
                 !strstr(out, "FAIL"),
             "admin check on a healthy database: exit %d: %s", rc, out);
    free(out);
    /* A session without its index row (written behind the service's back)
     * is a finding: exit 1 and a FAIL line naming it. */
    fa_id_user_t u;
    fa_id_user_new(&u, "admcheck");
    FA_CHECK_FATAL(
        fa_sql_exec("INSERT INTO sessions (user_id, id, expires_at, absolute_expires_at) "
                    "VALUES ($1::bigint, gen_random_uuid(), now() + interval '1 hour', "
                    "now() + interval '1 hour')",
                    u.id_text, NULL),
        "cannot insert an orphan session");
    out = fa_cli_line(check, &rc);
    FA_CHECK(rc == 1 && strstr(out, "FAIL sessions without a session_index row: 1"),
             "admin check with an orphan session: exit %d: %s", rc, out);
    free(out);
    fa_sql_exec("DELETE FROM sessions s WHERE user_id = $1::bigint AND NOT EXISTS "
                "(SELECT 1 FROM session_index i WHERE i.session_id = s.id)",
                u.id_text, NULL);
    out = fa_cli_line(check, &rc);
    FA_CHECK(rc == 0, "admin check after the repair: exit %d: %s", rc, out);
    free(out);
    fa_id_user_free(&u);
}

static void test_gc(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "admgc");
    /* Expire the user's session in place; gc deletes it with its index. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE sessions SET expires_at = now() - interval '1 minute' "
                               "WHERE user_id = $1::bigint",
                               u.id_text, NULL),
                   "cannot expire the session");
    int rc;
    const char *gc[] = {"admin", "gc", NULL};
    char *out = fa_cli_line(gc, &rc);
    FA_CHECK(rc == 0 && strstr(out, "sessions\t"), "admin gc: exit %d: %s", rc, out);
    free(out);
    FA_CHECK(fa_count_for_user("sessions", u.id_text) == 0 &&
                 fa_count_for_user("session_index", u.id_text) == 0,
             "gc left the expired session or its index row");
    fa_id_user_free(&u);
}

static void test_cli_usage(void)
{
    int rc;
    const char *bad[] = {"admin", "frobnicate", NULL};
    char *out = fa_cli_line(bad, &rc);
    FA_CHECK(rc == 2 && strstr(out, "usage"), "unknown admin command: exit %d: %s", rc, out);
    free(out);
    const char *bad_user[] = {"admin", "sessions", "list", "12abc", NULL};
    out = fa_cli_line(bad_user, &rc);
    FA_CHECK(rc == 2, "admin sessions list 12abc: exit %d: %s", rc, out);
    free(out);
}

void fa_register_admin_suite(void)
{
    CU_pSuite s = fa_suite_add("admin", NULL, NULL);
    fa_test_add(s, "token created once, stored hashed", test_token_create_once_hashed);
    fa_test_add(s, "wrong tokens refused", test_wrong_tokens_refused);
    fa_test_add(s, "a plain SHA-256 row is not an admin token", test_plain_sha256_row_refused);
    fa_test_add(s, "rotation through the API ends the old token first",
                test_rotate_through_the_api);
    fa_test_add(s, "rotation through the CLI", test_rotate_through_the_cli);
    fa_test_add(s, "users search", test_users_search);
    fa_test_add(s, "sessions list and revoke", test_sessions_list_and_revoke);
    fa_test_add(s, "one timestamp format on every API", test_one_timestamp_format);
    fa_test_add(s, "role label", test_role_label);
    fa_test_add(s, "admin check", test_check);
    fa_test_add(s, "admin gc", test_gc);
    fa_test_add(s, "CLI usage errors", test_cli_usage);
}
