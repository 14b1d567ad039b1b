/* Reauth suite (issue 12 section 4, "re-authentication before sensitive
 * actions"): every JWT carries the session's GitHub sign-in time as
 * auth_time, and an audience with max_auth_age (scripts/test configures
 * "fresh.test:max_auth_age=60") refuses a session whose sign-in is older,
 * with 401 reauthentication_required and the URL of a fresh sign-in; a new
 * GitHub round trip through the emulator makes a new session that succeeds.
 * sign-out-all is deliberately not gated: it is the panic button after a
 * stolen cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "identity_helpers.h"
#include "signin_helpers.h"

#define FA_AUD_PLAIN "api.test"
#define FA_AUD_FRESH "fresh.test" /* max_auth_age=60 in scripts/test */

/* POST /v1/auth/token {"audience":audience[,"returnTo":return_to]}. */
static fa_http_response_t *fa_request_token(const char *session, const char *audience,
                                            const char *return_to)
{
    json_t *body = json_pack("{s:s}", "audience", audience);
    if (return_to)
        json_object_set_new(body, "returnTo", json_string(return_to));
    char *text = json_dumps(body, JSON_COMPACT);
    fa_http_response_t *r = fa_id_post_json("/v1/auth/token", session, text);
    free(text);
    json_decref(body);
    return r;
}

/* The verified claims of a token (POST /v1/auth/token/verify as the
 * audience it was issued for), NULL when it does not verify. */
static json_t *fa_claims_of(const fa_http_response_t *issued, const char *audience)
{
    char *token = issued->status == 200 ? fa_http_json_string(issued, "token") : NULL;
    if (!token)
        return NULL;
    json_t *body = json_pack("{s:s, s:s}", "token", token, "audience", audience);
    char *text = json_dumps(body, JSON_COMPACT);
    fa_http_response_t *r = fa_id_post_json("/v1/auth/token/verify", NULL, text);
    json_t *claims = r->status == 200 ? fa_http_json(r) : NULL;
    fa_http_response_free(r);
    free(text);
    json_decref(body);
    free(token);
    return claims;
}

static long long fa_claim_int(const json_t *claims, const char *name)
{
    json_t *v = json_object_get(claims, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* A column of the session as whole Unix seconds (-1 when there is none). */
static long long fa_session_epoch(const char *sid, const char *column)
{
    char *sql = fa_xasprintf("SELECT floor(extract(epoch FROM %s))::bigint FROM sessions "
                             "WHERE id = $1::uuid",
                             column);
    long long v = fa_sql_int(sql, sid, NULL);
    free(sql);
    return v;
}

/* Makes the session's GitHub sign-in two hours old. */
static void fa_age_sign_in(const char *sid)
{
    FA_CHECK_FATAL(fa_sql_exec("UPDATE sessions SET auth_time = now() - interval '2 hours' "
                               "WHERE id = $1::uuid",
                               sid, NULL),
                   "cannot backdate auth_time of session %s", sid);
}

/* A body for a failure message: never a 200's, which holds a token. */
static const char *fa_shown(const fa_http_response_t *r)
{
    return r->status == 200 ? "(a token)" : r->body;
}

/* r is a 401 reauthentication_required; a 200 is reported without its body,
 * which holds a token. */
static void fa_expect_reauth(const fa_http_response_t *r, const char *what)
{
    if (r->status == 200)
        FA_CHECK(false, "%s: expected 401 reauthentication_required, got 200 with a token", what);
    else
        FA_CHECK_JSON_ERROR(r, 401, "reauthentication_required", what);
}

/* ---- (a) the claim ------------------------------------------------------ */

static void test_jwt_carries_auth_time(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "authtime");
    char *sid = fa_session_id_of(u.session);
    FA_CHECK_FATAL(sid != NULL, "no session id for a fresh sign-in");
    long long signed_in = fa_session_epoch(sid, "created_at");
    long long stored = fa_session_epoch(sid, "auth_time");
    FA_CHECK(stored == signed_in,
             "sessions.auth_time of a new session expected its sign-in time %lld, got %lld",
             signed_in, stored);
    FA_CHECK(llabs(signed_in - (long long)time(NULL)) < 60, "sign-in time %lld is not now (%lld)",
             signed_in, (long long)time(NULL));
    const char *audiences[] = {FA_AUD_PLAIN, FA_AUD_FRESH};
    for (size_t i = 0; i < 2; i++) {
        fa_http_response_t *r = fa_request_token(u.session, audiences[i], NULL);
        json_t *claims = fa_claims_of(r, audiences[i]);
        FA_CHECK(claims != NULL, "token for %s: expected 200 and a verifying token, got %ld %.300s",
                 audiences[i], r->status, fa_shown(r));
        long long auth_time = fa_claim_int(claims, "auth_time");
        FA_CHECK(auth_time == signed_in,
                 "%s token: auth_time claim expected %lld (the sign-in), got %lld", audiences[i],
                 signed_in, auth_time);
        FA_CHECK(claims == NULL || auth_time <= fa_claim_int(claims, "iat"),
                 "auth_time %lld after iat %lld", auth_time, fa_claim_int(claims, "iat"));
        json_decref(claims);
        fa_http_response_free(r);
    }
    free(sid);
    fa_id_user_free(&u);
}

/* Dev bootstrap is a sign-in too (app/auth/signin.c, the same session
 * creation): its session's auth_time is its creation. */
static void test_dev_bootstrap_sets_auth_time(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "bootauth");
    char *gh_token = fa_emulator_issue_token(u.login, "read:user user:email read:org");
    FA_CHECK_FATAL(gh_token != NULL, "POST /_emulator/tokens/issue failed");
    fa_seen_secret("github", gh_token);
    char *body = fa_xasprintf("{\"githubToken\":\"%s\"}", gh_token);
    fa_http_response_t *boot = fa_id_post_json("/v1/auth/dev/bootstrap", NULL, body);
    char *session = fa_set_cookie_value(boot, fa_session_cookie_name());
    fa_seen_token(session);
    FA_CHECK_FATAL(boot->status == 200 && session, "POST /v1/auth/dev/bootstrap: %ld",
                   boot->status);
    char *sid = fa_session_id_of(session);
    FA_CHECK_FATAL(sid != NULL, "no session id for the bootstrap session");
    long long created = fa_session_epoch(sid, "created_at");
    fa_http_response_t *r = fa_request_token(session, FA_AUD_FRESH, NULL);
    json_t *claims = fa_claims_of(r, FA_AUD_FRESH);
    FA_CHECK(claims != NULL, FA_AUD_FRESH " after dev bootstrap: expected 200, got %ld %.300s",
             r->status, fa_shown(r));
    FA_CHECK(fa_claim_int(claims, "auth_time") == created,
             "bootstrap session: auth_time claim expected %lld, got %lld", created,
             fa_claim_int(claims, "auth_time"));
    json_decref(claims);
    fa_http_response_free(r);
    free(sid);
    free(session);
    fa_http_response_free(boot);
    free(body);
    free(gh_token);
    fa_id_user_free(&u);
}

/* ---- (b) an old sign-in ------------------------------------------------- */

static void fa_check_sign_in_url(const fa_http_response_t *r, const char *expected_return_to,
                                 const char *what)
{
    char *url = fa_http_json_string(r, "signInUrl");
    char *base = fa_envfile_get("FOUNDRY_AUTH_URL");
    char *prefix = fa_xasprintf("%s/v1/auth/github/start?returnTo=", base ? base : "?");
    FA_CHECK(url && strncmp(url, prefix, strlen(prefix)) == 0,
             "%s: signInUrl expected to start with %s, got %s", what, prefix, url ? url : "(none)");
    char *return_to = url ? fa_url_param(url, "returnTo") : NULL;
    FA_CHECK(return_to && strcmp(return_to, expected_return_to) == 0,
             "%s: signInUrl returnTo expected %s, got %s", what, expected_return_to,
             return_to ? return_to : "(none)");
    free(return_to);
    free(prefix);
    free(base);
    free(url);
}

static void test_old_sign_in_needs_reauthentication(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "stale");
    char *sid = fa_session_id_of(u.session);
    FA_CHECK_FATAL(sid != NULL, "no session id for a fresh sign-in");
    fa_age_sign_in(sid);

    fa_http_response_t *r = fa_request_token(u.session, FA_AUD_FRESH, "/account?tab=tokens");
    fa_expect_reauth(r, "POST /v1/auth/token for " FA_AUD_FRESH " two hours after sign-in");
    fa_check_sign_in_url(r, "/account?tab=tokens", "with returnTo");
    const char *challenge = fa_http_header(r, "WWW-Authenticate");
    FA_CHECK(challenge && strstr(challenge, "insufficient_user_authentication"),
             "WWW-Authenticate expected the step-up challenge, got %s",
             challenge ? challenge : "(none)");
    const char *cc = fa_http_header(r, "Cache-Control");
    FA_CHECK(cc && strstr(cc, "no-store"), "Cache-Control: %s", cc ? cc : "(none)");
    char *leaked = fa_http_json_string(r, "token");
    FA_CHECK(leaked == NULL, "a refused answer carries a token");
    free(leaked);
    fa_http_response_free(r);

    /* returnTo is validated like every returnTo: absent or off-site, the
     * default return path. */
    char *fallback = fa_envfile_get("FOUNDRY_DEFAULT_RETURN_TO");
    const char *expected = fallback && *fallback ? fallback : "/app";
    const char *bad[] = {NULL, "https://evil.example/steal", "//evil.example/x"};
    for (size_t i = 0; i < 3; i++) {
        r = fa_request_token(u.session, FA_AUD_FRESH, bad[i]);
        char *what = fa_xasprintf("returnTo %s", bad[i] ? bad[i] : "(absent)");
        fa_expect_reauth(r, what);
        fa_check_sign_in_url(r, expected, what);
        free(what);
        fa_http_response_free(r);
    }
    free(fallback);

    /* An audience without the limit still issues, and says how old the
     * sign-in is. */
    long long aged = fa_session_epoch(sid, "auth_time");
    r = fa_request_token(u.session, FA_AUD_PLAIN, NULL);
    json_t *claims = fa_claims_of(r, FA_AUD_PLAIN);
    FA_CHECK(claims != NULL, FA_AUD_PLAIN " with an old sign-in: expected 200, got %ld %.300s",
             r->status, fa_shown(r));
    FA_CHECK(fa_claim_int(claims, "auth_time") == aged && (long long)time(NULL) - aged >= 7100,
             FA_AUD_PLAIN " token: auth_time expected the backdated %lld, got %lld", aged,
             fa_claim_int(claims, "auth_time"));
    json_decref(claims);
    fa_http_response_free(r);

    /* The session itself is fine: the refusal is about this audience. */
    r = fa_bearer_request("GET", "/v1/auth/session", u.session, NULL);
    FA_CHECK(r->status == 200, "GET /v1/auth/session after a refusal: %ld", r->status);
    fa_http_response_free(r);

    /* A session from before migration 004 (auth_time NULL) counts from its
     * creation: refused when that is old, and the claim says so. */
    FA_CHECK_FATAL(fa_sql_exec("UPDATE sessions SET auth_time = NULL, "
                               "created_at = now() - interval '3 hours' WHERE id = $1::uuid",
                               sid, NULL),
                   "cannot make session %s look older than migration 004", sid);
    r = fa_request_token(u.session, FA_AUD_FRESH, NULL);
    fa_expect_reauth(r, FA_AUD_FRESH " for a pre-004 session created 3 hours ago");
    fa_http_response_free(r);
    long long created = fa_session_epoch(sid, "created_at");
    r = fa_request_token(u.session, FA_AUD_PLAIN, NULL);
    claims = fa_claims_of(r, FA_AUD_PLAIN);
    FA_CHECK(claims != NULL && fa_claim_int(claims, "auth_time") == created,
             FA_AUD_PLAIN " for a pre-004 session: auth_time expected created_at %lld, got %lld",
             created, claims ? fa_claim_int(claims, "auth_time") : -1);
    json_decref(claims);
    fa_http_response_free(r);
    free(sid);
    fa_id_user_free(&u);
}

/* ---- (c) a fresh GitHub round trip --------------------------------------- */

/* Follows url the way a browser does: our start, the emulator's authorize
 * as login, our callback. The new session value (malloc'd) or NULL;
 * *location is where the callback sent the browser. */
static char *fa_follow_sign_in(fa_http_jar_t *jar, const char *url, const char *login,
                               char **location)
{
    fa_signin_result_t r;
    memset(&r, 0, sizeof r);
    r.start = fa_http_send("GET", url, NULL, NULL, jar);
    fa_seen_response(r.start);
    const char *authorize = fa_http_header(r.start, "Location");
    char *session = NULL;
    *location = NULL;
    if (r.start->status == 302 && authorize) {
        r.authorize_url = fa_xstrdup(authorize);
        r.state = fa_url_param(r.authorize_url, "state");
        fa_seen_secret("state", r.state);
        char *at = fa_xasprintf("%s&login=%s", r.authorize_url, login);
        r.authorize = fa_http_send("GET", at, NULL, NULL, NULL);
        free(at);
        const char *callback = fa_http_header(r.authorize, "Location");
        r.callback_url = callback ? fa_xstrdup(callback) : NULL;
        r.code = r.callback_url ? fa_url_param(r.callback_url, "code") : NULL;
        fa_seen_secret("code", r.code);
        if (fa_signin_finish(jar, &r, 0)) {
            session = fa_xstrdup(r.session);
            *location = r.location ? fa_xstrdup(r.location) : NULL;
        }
    }
    if (!session)
        FA_CHECK(false, "following signInUrl %s: %s", url, fa_signin_describe(&r));
    fa_signin_result_free(&r);
    return session;
}

static void test_sign_in_again_succeeds(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "again");
    char *old_sid = fa_session_id_of(u.session);
    FA_CHECK_FATAL(old_sid != NULL, "no session id for a fresh sign-in");
    fa_age_sign_in(old_sid);
    fa_http_response_t *r = fa_request_token(u.session, FA_AUD_FRESH, "/account");
    fa_expect_reauth(r, "token with an old sign-in");
    char *url = fa_http_json_string(r, "signInUrl");
    fa_http_response_free(r);
    FA_CHECK_FATAL(url != NULL, "no signInUrl to follow");

    char *location = NULL;
    char *session = fa_follow_sign_in(u.jar, url, u.login, &location);
    FA_CHECK_FATAL(session != NULL, "no new session from the signInUrl");
    char *path = location ? fa_location_path(location) : NULL;
    FA_CHECK(path && strcmp(path, "/account") == 0,
             "the new sign-in should end at returnTo /account, went to %s",
             location ? location : "(none)");
    char *new_sid = fa_session_id_of(session);
    FA_CHECK(new_sid && strcmp(new_sid, old_sid) != 0,
             "a new sign-in must be a new session id (old %s, new %s)", old_sid,
             new_sid ? new_sid : "(none)");
    long long fresh = new_sid ? fa_session_epoch(new_sid, "auth_time") : -1;
    FA_CHECK(llabs(fresh - (long long)time(NULL)) < 60, "new session auth_time %lld is not now",
             fresh);

    r = fa_request_token(session, FA_AUD_FRESH, "/account");
    json_t *claims = fa_claims_of(r, FA_AUD_FRESH);
    FA_CHECK(claims != NULL, FA_AUD_FRESH " after signing in again: expected 200, got %ld %.300s",
             r->status, fa_shown(r));
    FA_CHECK(fa_claim_int(claims, "auth_time") == fresh,
             "auth_time claim expected the new sign-in %lld, got %lld", fresh,
             fa_claim_int(claims, "auth_time"));
    json_decref(claims);
    fa_http_response_free(r);

    /* The old session did not become fresh by the new sign-in. */
    r = fa_request_token(u.session, FA_AUD_FRESH, NULL);
    fa_expect_reauth(r, "the old session afterwards");
    fa_http_response_free(r);

    free(path);
    free(location);
    free(new_sid);
    free(session);
    free(url);
    free(old_sid);
    fa_id_user_free(&u);
}

/* ---- the migration ------------------------------------------------------ */

static int fa_migrate_db(const char *conninfo, const char *dir)
{
    char *db = fa_xasprintf("DATABASE_URL=%s", conninfo);
    char *dir_env = fa_xasprintf("FA_MIGRATIONS_DIR=%s", dir);
    const char *overrides[] = {db, dir_env, NULL};
    char **envp = fa_environ_with(overrides);
    char *argv[] = {(char *)fa_env("FA_TEST_MIGRATE"), NULL};
    fa_run_result_t res;
    fa_run(argv, envp, 60000, &res);
    int rc = res.exit_code;
    if (rc != 0)
        FA_CHECK(false, "migrate %s: exit %d: %.500s", dir, rc, res.err);
    fa_run_result_free(&res);
    fa_strv_free(envp);
    free(dir_env);
    free(db);
    return rc;
}

/* Sessions that exist when 004 runs keep auth_time NULL (no row rewritten
 * under the ALTER's lock; the service reads them as signed in when they were
 * created, see test_old_sign_in_needs_reauthentication). New rows get the
 * time of their insert. */
static void test_migration_rewrites_nothing(void)
{
    char *db = fa_xasprintf("fa_reauth_migrate_%d", (int)getpid());
    char *drop = fa_xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    char *create = fa_xasprintf("CREATE DATABASE %s", db);
    fa_sql_exec(drop, NULL);
    FA_CHECK_FATAL(fa_sql_exec(create, NULL), "%s failed", create);
    char *conninfo = fa_sql_conninfo_for(db);
    char *before = fa_xasprintf("%s/sql-before-004-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    char *cmd = fa_xasprintf("rm -rf '%s' && mkdir -p '%s' && cp '%s'/sql/00[0-3]_*.sql '%s'/",
                             before, before, fa_env("FA_TEST_ROOT"), before);
    fa_run_result_t res;
    fa_run_shell(cmd, 10000, &res);
    FA_CHECK_FATAL(res.exit_code == 0, "%s: %s", cmd, res.err);
    fa_run_result_free(&res);
    char *all = fa_xasprintf("%s/sql", fa_env("FA_TEST_ROOT"));

    if (fa_migrate_db(conninfo, before) == 0) {
        long long inserted = fa_sql_int_in(
            conninfo,
            "WITH u AS (INSERT INTO users (id) VALUES (42) RETURNING id), "
            "s AS (INSERT INTO sessions (user_id, id, expires_at, absolute_expires_at, "
            "created_at) SELECT id, gen_random_uuid(), now() + interval '1 day', "
            "now() + interval '20 days', now() - interval '3 days' FROM u RETURNING 1) "
            "SELECT count(*) FROM s",
            NULL);
        FA_CHECK(inserted == 1, "inserting a session before 004: %lld rows", inserted);
        fa_migrate_db(conninfo, all);
        /* No row rewritten under the ALTER's lock: the old session keeps NULL,
         * which the service reads as its creation time. */
        long long untouched =
            fa_sql_int_in(conninfo,
                          "SELECT count(*) FROM sessions WHERE auth_time IS NULL "
                          "AND created_at < now() - interval '2 days'",
                          NULL);
        FA_CHECK(untouched == 1, "sessions from before 004 left with auth_time NULL: %lld",
                 untouched);
        long long fresh = fa_sql_int_in(
            conninfo,
            "WITH s AS (INSERT INTO sessions (user_id, id, expires_at, absolute_expires_at) "
            "VALUES (42, gen_random_uuid(), now() + interval '1 day', now() + interval '20 days') "
            "RETURNING auth_time) SELECT count(*) FROM s WHERE auth_time = now()",
            NULL);
        FA_CHECK(fresh == 1, "a session inserted after 004 gets auth_time now(): %lld", fresh);
    }
    FA_CHECK(fa_sql_exec(drop, NULL), "%s failed", drop);
    free(all), free(cmd), free(before), free(conninfo), free(create), free(drop), free(db);
}

/* ---- sign-out-all stays ungated ---------------------------------------- */

/* A decision, not a bug: sign-out-all is what a user presses after a stolen
 * cookie, possibly from a browser whose own sign-in is old; making it wait
 * for a GitHub round trip would hand the attacker time, and it only ever
 * removes access. */
static void test_sign_out_all_needs_no_recent_sign_in(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "panic");
    fa_http_jar_t *other_jar;
    char *other = fa_id_user_second_session(&u, &other_jar);
    char *sid = fa_session_id_of(u.session);
    FA_CHECK_FATAL(sid != NULL, "no session id");
    fa_age_sign_in(sid);
    fa_http_response_t *r = fa_bearer_request("POST", "/v1/auth/sign-out-all", u.session, "{}");
    FA_CHECK(r->status == 200, "sign-out-all from an old sign-in: expected 200, got %ld %.200s",
             r->status, fa_shown(r));
    fa_http_response_free(r);
    long long left = fa_count_for_user("sessions", u.id_text);
    FA_CHECK(left == 0, "sessions left after sign-out-all: %lld", left);
    free(sid);
    free(other);
    fa_http_jar_free(other_jar);
    fa_id_user_free(&u);
}

void fa_register_reauth_suite(void)
{
    CU_pSuite s = fa_suite_add("reauth", NULL, NULL);
    fa_test_add(s, "JWT carries auth_time, the session's sign-in", test_jwt_carries_auth_time);
    fa_test_add(s, "dev bootstrap sets auth_time too", test_dev_bootstrap_sets_auth_time);
    fa_test_add(s, "old sign-in: reauthentication_required for a max_auth_age audience",
                test_old_sign_in_needs_reauthentication);
    fa_test_add(s, "signing in again gives a new session that gets the token",
                test_sign_in_again_succeeds);
    fa_test_add(s, "migration 004 rewrites no row; new sessions get auth_time now()",
                test_migration_rewrites_nothing);
    fa_test_add(s, "sign-out-all needs no recent sign-in",
                test_sign_out_all_needs_no_recent_sign_in);
}
