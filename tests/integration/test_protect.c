/* Protect suite (issue 5, "nginx auth_request"): nginx/snippets/
 * foundry-auth-protect.conf in front of a small upstream that echoes what it
 * receives (echo_upstream.js). The suite runs its own nginx, built from the
 * shipped snippets and pointed at the running service's socket, so it tests
 * the files users include, not a copy. Shows: no session -> 302 to sign-in
 * with returnTo; a session -> the upstream sees the identity headers and no
 * client-forged ones; after sign-out -> 302 again. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "identity_helpers.h"
#include "own_nginx.h"
#include "signin_helpers.h"

static pid_t fa_echo_pid = -1;
static fa_own_nginx_t fa_nginx = {.pid = -1};
static char *fa_dir; /* the echo upstream's files */

static bool fa_file_nonempty(void *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

static int fa_start_echo(void)
{
    char *port_file = fa_xasprintf("%s/echo.port", fa_dir);
    char *script = fa_xasprintf("%s/tests/integration/echo_upstream.js", fa_env("FA_TEST_ROOT"));
    char *log = fa_xasprintf("%s/echo.log", fa_dir);
    char *argv[] = {"/usr/bin/env", "node", script, "0", port_file, NULL};
    fa_echo_pid = fa_spawn(argv, NULL, log);
    int port = -1;
    if (fa_echo_pid > 0 && fa_wait_until(10000, 50, fa_file_nonempty, port_file)) {
        char *text = fa_file_read(port_file, NULL);
        port = text ? atoi(text) : -1;
        free(text);
    }
    free(port_file), free(script), free(log);
    return port;
}

static int fa_protect_cleanup(void);

/* CUnit skips a suite's cleanup when its init fails: a failed init cleans up
 * itself, or the echo upstream outlives the run. */
static int fa_protect_init(void)
{
    fa_dir = fa_xasprintf("%s/protect-echo-%d", fa_env("FA_TEST_TMP"), (int)getpid());
    mkdir(fa_dir, 0755);
    int echo_port = fa_start_echo();
    if (echo_port <= 0) {
        fprintf(stderr, "protect suite: the echo upstream did not start (%s/echo.log)\n", fa_dir);
        fa_protect_cleanup();
        return 1;
    }
    /* The shipped locations snippet plus one protected location, exactly as
     * the snippet's header tells users to write it. */
    char *server = fa_xasprintf("        include snippets/foundry-auth-locations.conf;\n"
                                "        location /protected/ {\n"
                                "            include snippets/foundry-auth-protect.conf;\n"
                                "            proxy_pass http://127.0.0.1:%d;\n"
                                "        }",
                                echo_port);
    bool up = fa_own_nginx_start(
        &fa_nginx, "protect", 1,
        "    limit_req_zone $binary_remote_addr zone=foundry_auth_auth:1m rate=10000r/s;\n"
        "    include snippets/foundry-auth-protect-maps.conf;",
        server);
    free(server);
    if (!up)
        fa_protect_cleanup();
    return up ? 0 : 1;
}

static int fa_protect_cleanup(void)
{
    fa_own_nginx_stop(&fa_nginx);
    if (fa_echo_pid > 0) {
        kill(fa_echo_pid, SIGTERM);
        if (fa_wait_pid(fa_echo_pid, 5000) == -1) {
            kill(fa_echo_pid, SIGKILL);
            fa_wait_pid(fa_echo_pid, 2000);
        }
    }
    fa_echo_pid = -1;
    free(fa_dir);
    fa_dir = NULL;
    return 0;
}

/* GET (or POST) path on our nginx with extra headers. */
static fa_http_response_t *fa_protected(const char *method, const char *path,
                                        const char *const *headers, const char *body)
{
    char *url = fa_own_nginx_url(&fa_nginx, path);
    fa_http_response_t *r = fa_http_send(method, url, headers, body, NULL);
    free(url);
    return r;
}

/* Every value the upstream received for header name (lower case), joined
 * with '|' (malloc'd; "" when none). */
static char *fa_upstream_header(const fa_http_response_t *r, const char *name)
{
    json_t *j = fa_http_json(r);
    char *out = fa_xstrdup("");
    size_t i;
    json_t *pair;
    json_array_foreach(json_object_get(j, "headers"), i, pair)
    {
        if (strcmp(json_string_value(json_array_get(pair, 0)), name) != 0)
            continue;
        char *next = fa_xasprintf("%s%s%s", out, *out ? "|" : "",
                                  json_string_value(json_array_get(pair, 1)));
        free(out);
        out = next;
    }
    json_decref(j);
    return out;
}

static char *fa_cookie_header(const char *session)
{
    return fa_xasprintf("Cookie: %s=%s", fa_session_cookie_name(), session);
}

static void fa_expect_sign_in_redirect(const fa_http_response_t *r, const char *path,
                                       const char *what)
{
    char *expected = fa_xasprintf("http://127.0.0.1:%d/sign-in?returnTo=%s", fa_nginx.port, path);
    const char *location = fa_http_header(r, "Location");
    FA_CHECK(r->status == 302 && location && strcmp(location, expected) == 0,
             "%s: expected 302 to %s, got %ld Location %s", what, expected, r->status,
             location ? location : "(none)");
    FA_CHECK(strstr(r->body, "\"url\"") == NULL, "%s: the upstream answered", what);
    free(expected);
}

static void test_signed_out_redirects(void)
{
    fa_http_response_t *r = fa_protected("GET", "/protected/page?tab=2", NULL, NULL);
    fa_expect_sign_in_redirect(r, "/protected/page?tab=2", "no cookie");
    fa_http_response_free(r);
    char *garbage = fa_cookie_header("not-a-session");
    const char *headers[] = {garbage, NULL};
    r = fa_protected("GET", "/protected/", headers, NULL);
    fa_expect_sign_in_redirect(r, "/protected/", "a garbage cookie");
    fa_http_response_free(r);
    free(garbage);
    /* A client claiming an identity gets nowhere without a session. */
    const char *forged[] = {"X-Auth-User-Id: 1", "X-Auth-User-Login: root", NULL};
    r = fa_protected("GET", "/protected/x", forged, NULL);
    fa_expect_sign_in_redirect(r, "/protected/x", "forged identity headers without a session");
    fa_http_response_free(r);
}

static void test_identity_reaches_upstream(void)
{
    fa_id_user_t u;
    fa_id_user_new(&u, "protect");
    char *sid = fa_session_id_of(u.session);
    char *cookie = fa_cookie_header(u.session);
    const char *headers[] = {cookie,
                             "X-Auth-User-Id: 1",
                             "X-Auth-User-Id: 2",
                             "X-Auth-User-Login: root",
                             "X-Auth-Session-Id: forged",
                             "X_Auth_User_Id: 3",
                             NULL};
    fa_http_response_t *r = fa_protected("GET", "/protected/data?q=1", headers, NULL);
    FA_CHECK_FATAL(r->status == 200,
                   "with a session: expected 200 from the upstream, got %ld %.300s", r->status,
                   r->body);
    char *uid = fa_upstream_header(r, "x-auth-user-id");
    char *login = fa_upstream_header(r, "x-auth-user-login");
    char *session = fa_upstream_header(r, "x-auth-session-id");
    char *underscore = fa_upstream_header(r, "x_auth_user_id");
    FA_CHECK(strcmp(uid, u.id_text) == 0, "upstream X-Auth-User-Id: expected exactly %s, got %s",
             u.id_text, uid);
    FA_CHECK(strcmp(login, u.login) == 0, "upstream X-Auth-User-Login: expected %s, got %s",
             u.login, login);
    FA_CHECK(sid && strcmp(session, sid) == 0, "upstream X-Auth-Session-Id: expected %s, got %s",
             sid ? sid : "?", session);
    FA_CHECK(*underscore == 0, "an underscore-spelled identity header reached the upstream: %s",
             underscore);
    free(uid), free(login), free(session), free(underscore);
    fa_http_response_free(r);

    /* The upstream gets the site's own cookies but never the session (nor
     * its cache cookie), wherever it sits in the header. */
    static const char *const placements[] = {"theme=dark; %s=%s; lang=en", "%s=%s; theme=dark",
                                             "theme=dark; %s=%s", "%s=%s"};
    for (size_t i = 0; i < sizeof placements / sizeof placements[0]; i++) {
        char *value = fa_xasprintf(placements[i], fa_session_cookie_name(), u.session);
        char *with_cache =
            fa_xasprintf("Cookie: %s; %s_cache=cached.value", value, fa_session_cookie_name());
        const char *mixed[] = {with_cache, NULL};
        r = fa_protected("GET", "/protected/cookies", mixed, NULL);
        char *seen = fa_upstream_header(r, "cookie");
        FA_CHECK(r->status == 200, "%s: %ld", with_cache, r->status);
        FA_CHECK(!strstr(seen, u.session) && !strstr(seen, "foundry_session"),
                 "the upstream received Foundry Auth cookies: %s", seen);
        bool own = strstr(value, "theme=dark") != NULL;
        FA_CHECK(!own || strstr(seen, "theme=dark"), "the site's own cookie was lost: \"%s\"",
                 seen);
        FA_CHECK(!strstr(value, "lang=en") || strstr(seen, "theme=dark; lang=en"),
                 "cookies around the session were not rejoined: \"%s\"", seen);
        free(seen), free(with_cache), free(value);
        fa_http_response_free(r);
    }

    /* A POST with a body goes through too (the verify subrequest skips it). */
    const char *post_headers[] = {cookie, "Content-Type: application/json", NULL};
    r = fa_protected("POST", "/protected/submit", post_headers, "{\"a\":1}");
    FA_CHECK(r->status == 200 && strstr(r->body, "\"POST\""), "POST with a session: %ld %.200s",
             r->status, r->body);
    fa_http_response_free(r);
    /* A bearer session works like the cookie. */
    char *bearer = fa_xasprintf("Authorization: Bearer %s", u.session);
    const char *bearer_headers[] = {bearer, NULL};
    r = fa_protected("GET", "/protected/api", bearer_headers, NULL);
    char *uid2 = fa_upstream_header(r, "x-auth-user-id");
    char *auth = fa_upstream_header(r, "authorization");
    FA_CHECK(r->status == 200 && strcmp(uid2, u.id_text) == 0, "bearer session: %ld, user %s",
             r->status, uid2);
    FA_CHECK(*auth == 0, "the upstream received the bearer session: %s", auth);
    free(uid2), free(auth);
    fa_http_response_free(r);

    /* After sign-out the same cookie is sent to sign in again. */
    r = fa_bearer_request("POST", "/v1/auth/sign-out", u.session, "{}");
    FA_CHECK(r->status == 204, "sign-out: %ld", r->status);
    fa_http_response_free(r);
    r = fa_protected("GET", "/protected/data?q=1", headers, NULL);
    fa_expect_sign_in_redirect(r, "/protected/data?q=1", "after sign-out");
    fa_http_response_free(r);
    free(bearer), free(cookie), free(sid);
    fa_id_user_free(&u);
}

void fa_register_protect_suite(void)
{
    CU_pSuite s = fa_suite_add("protect", fa_protect_init, fa_protect_cleanup);
    fa_test_add(s, "signed out: 302 to sign-in with returnTo", test_signed_out_redirects);
    fa_test_add(s, "signed in: identity headers upstream, forged ones dropped",
                test_identity_reaches_upstream);
}
