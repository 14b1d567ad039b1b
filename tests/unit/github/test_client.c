/* The GitHub client against the real GitHub emulator
 * (tests/github-emulator), started here with node: the code exchange (once
 * per call, never retried, PKCE checked), refresh rotation, every failure
 * mode mapped to its error code (5xx, timeout, malformed, reset, 401, rate
 * limits), /user with null email and a 64-bit id, the primary email, org
 * pagination, starring, and transport hardening (no proxy from the
 * environment, no secret in any error). Without node this suite fails: the
 * client's behaviour against GitHub's quirks is the point of it. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/pkce.h"
#include "github/client.h"
#include "unit_test.h"

#define EMULATOR "../../github-emulator/emulator.js"
#define CALLBACK "http://127.0.0.1/cb"
#define SCOPE "read:user user:email read:org public_repo"

static pid_t emu_pid;
static int emu_stdout = -1;
static char origin[128];
static fa_github_t *gh;      /* timeout 5 s */
static fa_github_t *gh_fast; /* timeout 300 ms */
static fa_github_t *gh_page; /* 10 orgs per page */

/* Every secret a test handled, to check that no error ever shows one. */
static const char *secrets[64];
static size_t secret_count;

static void remember_secret(const char *s)
{
    if (s && *s && secret_count < sizeof(secrets) / sizeof(secrets[0]))
        secrets[secret_count++] = fa_arena_strdup(arena, s);
}

/* ---- emulator process -------------------------------------------------- */

static bool emulator_start(void)
{
    int fds[2];
    if (access(EMULATOR, R_OK) != 0 || pipe(fds) != 0) {
        fprintf(stderr, "test_client: %s not found (run from tests/unit/github)\n", EMULATOR);
        return false;
    }
    emu_pid = fork();
    if (emu_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphan emulator if this test crashes */
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("node", "node", EMULATOR, "--port", "0", "--client-id", "cid", "--client-secret",
               "csecret", "--callback-url", CALLBACK, "--auto-approve", (char *)NULL);
        fprintf(stderr, "test_client: could not run node: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    emu_stdout = fds[0];
    char line[256];
    size_t len = 0;
    struct pollfd pfd = {.fd = emu_stdout, .events = POLLIN};
    while (len < sizeof(line) - 1 && poll(&pfd, 1, 15000) == 1) {
        ssize_t n = read(emu_stdout, line + len, 1);
        if (n <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    static const char prefix[] = "github-emulator listening on ";
    if (strncmp(line, prefix, sizeof(prefix) - 1) != 0 ||
        strlen(line + sizeof(prefix) - 1) >= sizeof(origin)) {
        fprintf(stderr, "test_client: the GitHub emulator did not start (is node installed?)\n");
        return false;
    }
    strcpy(origin, line + sizeof(prefix) - 1);
    return true;
}

static void emulator_stop(void)
{
    if (emu_pid > 0) {
        kill(emu_pid, SIGTERM);
        waitpid(emu_pid, NULL, 0);
    }
    if (emu_stdout >= 0)
        close(emu_stdout);
}

/* ---- plain HTTP for the control API and the authorize step ------------- */

typedef struct {
    long status;
    fa_buf_t body;
    char *location;
} http_result_t;

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    fa_buf_append(userdata, data, size * nmemb);
    return size * nmemb;
}

static http_result_t http(const char *method, const char *path, const char *json_body)
{
    http_result_t r = {0};
    fa_buf_init(&r.body, arena, 256);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, fa_arena_sprintf(arena, "%s%s", origin, path));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (json_body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
    if (curl_easy_perform(c) == CURLE_OK) {
        char *loc = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        r.location = loc ? fa_arena_strdup(arena, loc) : NULL;
    }
    fa_buf_cstr(&r.body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static json_t *control_json(const char *method, const char *path, const char *json_body)
{
    http_result_t r = http(method, path, json_body);
    CU_ASSERT_EQUAL(r.status, 200);
    json_t *root = json_loads(r.body.data, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL(root);
    return root;
}

static void control(const char *method, const char *path, const char *json_body)
{
    json_decref(control_json(method, path, json_body));
}

static void fault(const char *json_body)
{
    control("POST", "/_emulator/faults", json_body);
}

static long calls(const char *endpoint)
{
    json_t *root = control_json("GET", "/_emulator/calls", NULL);
    long n = (long)json_integer_value(json_object_get(json_object_get(root, "counts"), endpoint));
    json_decref(root);
    return n;
}

/* A field of the details of the last recorded call to endpoint, or NULL. */
static char *last_call_detail(const char *endpoint, const char *field)
{
    json_t *root = control_json(
        "GET", fa_arena_sprintf(arena, "/_emulator/calls?endpoint=%s", endpoint), NULL);
    json_t *list = json_object_get(root, "calls");
    json_t *v = json_object_get(
        json_object_get(json_array_get(list, json_array_size(list) - 1), "details"), field);
    char *out = json_is_string(v) ? fa_arena_strdup(arena, json_string_value(v))
                : json_is_true(v) ? fa_arena_strdup(arena, "true")
                                  : NULL;
    json_decref(root);
    return out;
}

/* Each test starts from the fixtures with no faults and no calls. */
static void fresh(void)
{
    fa_arena_reset(arena);
    secret_count = 0;
    remember_secret("csecret");
    control("POST", "/_emulator/reset", "{}");
}

/* ---- the OAuth steps ----------------------------------------------------- */

/* Authorizes login at the emulator with a fresh PKCE verifier and returns
 * the code from the Location header (redirects are not followed). */
static char *authorize(const char *login, char *verifier_out)
{
    char challenge[FA_PKCE_CHALLENGE_LEN + 1];
    fa_pkce_verifier_generate(verifier_out);
    CU_ASSERT_TRUE_FATAL(fa_pkce_challenge_s256(fa_str_from(verifier_out), challenge));
    http_result_t r =
        http("GET",
             fa_arena_sprintf(arena,
                              "/login/oauth/authorize?client_id=cid&redirect_uri=%s&state=st-1"
                              "&code_challenge=%s&code_challenge_method=S256&login=%s&scope=%s",
                              "http%3A%2F%2F127.0.0.1%2Fcb", challenge, login,
                              "read%3Auser%20user%3Aemail%20read%3Aorg%20public_repo"),
             NULL);
    CU_ASSERT_EQUAL_FATAL(r.status, 302);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.location);
    const char *p = strstr(r.location, "code=");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    p += 5;
    char *code = fa_arena_strndup(arena, p, strcspn(p, "&"));
    CU_ASSERT_EQUAL_FATAL(strlen(code), 20);
    remember_secret(verifier_out);
    remember_secret(code);
    return code;
}

static void assert_no_secret(const fa_error_t *err)
{
    for (size_t i = 0; i < secret_count; i++) {
        CU_ASSERT_PTR_NULL(err->message ? strstr(err->message, secrets[i]) : NULL);
        CU_ASSERT_PTR_NULL(err->detail ? strstr(err->detail, secrets[i]) : NULL);
    }
}

static void expect_error(fa_status_t st, const fa_error_t *err, const char *code)
{
    CU_ASSERT_EQUAL(st, FA_ERR_UPSTREAM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err->code);
    CU_ASSERT_STRING_EQUAL(err->code, code);
    CU_ASSERT_PTR_NOT_NULL(err->message);
    assert_no_secret(err);
}

/* The full sign-in: authorize + exchange; returns the access token. */
static char *sign_in(const char *login, fa_github_tokens_t *tokens)
{
    char verifier[FA_PKCE_VERIFIER_LEN + 1];
    char *code = authorize(login, verifier);
    fa_error_t err = {0};
    CU_ASSERT_EQUAL_FATAL(
        fa_github_exchange_code(gh, arena, code, CALLBACK, verifier, tokens, &err), FA_OK);
    remember_secret(tokens->access_token);
    remember_secret(tokens->refresh_token);
    return tokens->access_token;
}

/* ---- token endpoint ------------------------------------------------------ */

static void test_exchange_ok(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    CU_ASSERT_EQUAL(strncmp(token, "gho_", 4), 0);
    CU_ASSERT_EQUAL(strlen(token), 40);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.scope, "read:org"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t.scope, "public_repo"));
    CU_ASSERT_PTR_NULL(t.refresh_token);
    CU_ASSERT_EQUAL(t.expires_in, 0);
    CU_ASSERT_EQUAL(calls("token"), 1);
    /* What GitHub needs to see: JSON wanted, a form, our client, PKCE. */
    CU_ASSERT_STRING_EQUAL(last_call_detail("token", "accept"), "application/json");
    CU_ASSERT_STRING_EQUAL(last_call_detail("token", "contentType"),
                           "application/x-www-form-urlencoded");
    CU_ASSERT_STRING_EQUAL(last_call_detail("token", "clientId"), "cid");
    CU_ASSERT_STRING_EQUAL(last_call_detail("token", "redirectUri"), CALLBACK);
    CU_ASSERT_STRING_EQUAL(last_call_detail("token", "hasCodeVerifier"), "true");
}

static void test_code_reuse_rejected_once_per_call(void)
{
    fresh();
    char verifier[FA_PKCE_VERIFIER_LEN + 1];
    char *code = authorize("octo-alice", verifier);
    fa_github_tokens_t t;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(fa_github_exchange_code(gh, arena, code, CALLBACK, verifier, &t, &err), FA_OK);
    remember_secret(t.access_token);
    CU_ASSERT_EQUAL(calls("token"), 1);
    fa_status_t st = fa_github_exchange_code(gh, arena, code, CALLBACK, verifier, &t, &err);
    expect_error(st, &err, "github_rejected_code");
    CU_ASSERT_STRING_EQUAL(err.detail, "bad_verification_code");
    CU_ASSERT_PTR_NULL(t.access_token);
    CU_ASSERT_EQUAL(calls("token"), 2);
}

static void test_wrong_verifier_rejected(void)
{
    fresh();
    char verifier[FA_PKCE_VERIFIER_LEN + 1], other[FA_PKCE_VERIFIER_LEN + 1];
    char *code = authorize("octo-alice", verifier);
    fa_pkce_verifier_generate(other);
    remember_secret(other);
    fa_github_tokens_t t;
    fa_error_t err = {0};
    fa_status_t st = fa_github_exchange_code(gh, arena, code, CALLBACK, other, &t, &err);
    expect_error(st, &err, "github_rejected_code");
    CU_ASSERT_STRING_EQUAL(err.detail, "bad_verification_code");
    CU_ASSERT_EQUAL(calls("token"), 1);
    /* A refused attempt does not spend the code at GitHub. */
    CU_ASSERT_EQUAL(fa_github_exchange_code(gh, arena, code, CALLBACK, verifier, &t, &err), FA_OK);
    remember_secret(t.access_token);
}

static void test_error_fault_rejected(void)
{
    fresh();
    char verifier[FA_PKCE_VERIFIER_LEN + 1];
    char *code = authorize("octo-alice", verifier);
    fault("{\"endpoint\":\"token\",\"error\":\"incorrect_client_credentials\",\"times\":1}");
    fa_github_tokens_t t;
    fa_error_t err = {0};
    fa_status_t st = fa_github_exchange_code(gh, arena, code, CALLBACK, verifier, &t, &err);
    expect_error(st, &err, "github_rejected_code");
    CU_ASSERT_STRING_EQUAL(err.detail, "incorrect_client_credentials");
}

/* Arms a fault on the token endpoint, exchanges a fresh code once with
 * client c, checks the error code and that exactly one request was made. */
static void exchange_with_fault(fa_github_t *c, const char *fault_json, const char *code_expected)
{
    fresh();
    char verifier[FA_PKCE_VERIFIER_LEN + 1];
    char *code = authorize("octo-alice", verifier);
    /* Warm the connection cache: a stale kept-alive connection is exactly
     * where libcurl would silently re-send a request. */
    fa_github_tokens_t t;
    fa_error_t err = {0};
    fa_github_user_t u;
    CU_ASSERT_EQUAL(fa_github_get_user(c, arena, "gho_warm", &u, &err), FA_ERR_UPSTREAM);
    fault(fault_json);
    fa_status_t st = fa_github_exchange_code(c, arena, code, CALLBACK, verifier, &t, &err);
    expect_error(st, &err, code_expected);
    CU_ASSERT_PTR_NULL(t.access_token);
    CU_ASSERT_EQUAL(calls("token"), 1);
}

static void test_exchange_server_error(void)
{
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"status\":500}", "github_unavailable");
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"status\":503,\"process\":true}",
                        "github_unavailable");
}

static void test_exchange_timeout_is_fast(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    exchange_with_fault(gh_fast, "{\"endpoint\":\"token\",\"delayMs\":2000}", "github_timeout");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CU_ASSERT(ms < 1500);
}

static void test_exchange_garbage(void)
{
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"body\":\"malformed\"}",
                        "github_bad_response");
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"body\":\"html\"}", "github_bad_response");
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"body\":\"empty\"}", "github_bad_response");
}

static void test_exchange_reset_not_retried(void)
{
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"reset\":true}", "github_unavailable");
    /* The answer is lost after GitHub used the code: still one request. */
    exchange_with_fault(gh, "{\"endpoint\":\"token\",\"reset\":true,\"process\":true}",
                        "github_unavailable");
}

static void test_exchange_bad_arguments(void)
{
    fresh();
    fa_github_tokens_t t;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(fa_github_exchange_code(gh, arena, "", CALLBACK, "v", &t, &err),
                    FA_ERR_BAD_REQUEST);
    CU_ASSERT_EQUAL(fa_github_exchange_code(gh, arena, "c", CALLBACK, NULL, &t, &err),
                    FA_ERR_BAD_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.code, "invalid_github_argument");
    CU_ASSERT_EQUAL(calls("token"), 0);
}

static void test_refresh_rotates(void)
{
    fresh();
    fa_github_tokens_t t, t2, t3;
    sign_in("dave-expiring", &t);
    CU_ASSERT_EQUAL(strncmp(t.access_token, "ghu_", 4), 0);
    CU_ASSERT_EQUAL(t.expires_in, 28800);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t.refresh_token);
    CU_ASSERT(t.refresh_token_expires_in > 0);
    fa_error_t err = {0};
    CU_ASSERT_EQUAL_FATAL(fa_github_refresh_token(gh, arena, t.refresh_token, &t2, &err), FA_OK);
    remember_secret(t2.access_token);
    remember_secret(t2.refresh_token);
    CU_ASSERT_STRING_NOT_EQUAL(t2.access_token, t.access_token);
    CU_ASSERT_STRING_NOT_EQUAL(t2.refresh_token, t.refresh_token);
    fa_github_user_t u;
    CU_ASSERT_EQUAL(fa_github_get_user(gh, arena, t2.access_token, &u, &err), FA_OK);
    CU_ASSERT_STRING_EQUAL(u.login, "dave-expiring");
    /* The old refresh token died with the rotation. */
    fa_status_t st = fa_github_refresh_token(gh, arena, t.refresh_token, &t3, &err);
    expect_error(st, &err, "github_rejected_code");
    CU_ASSERT_STRING_EQUAL(err.detail, "bad_refresh_token");
    st = fa_github_get_user(gh, arena, t.access_token, &u, &err);
    expect_error(st, &err, "github_unauthorized");
    CU_ASSERT_EQUAL(calls("refresh"), 2);
}

/* ---- API ----------------------------------------------------------------- */

static void test_user_private_email(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("bob-private", &t);
    fa_github_user_t u;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL_FATAL(fa_github_get_user(gh, arena, token, &u, &err), FA_OK);
    CU_ASSERT_EQUAL(u.id, INT64_C(9000000001));
    CU_ASSERT_STRING_EQUAL(u.login, "bob-private");
    CU_ASSERT_PTR_NULL(u.email);
    CU_ASSERT_PTR_NULL(u.name);
    CU_ASSERT_PTR_NOT_NULL(u.avatar_url);
    CU_ASSERT_STRING_EQUAL(last_call_detail("user", "userAgent"), "foundry-auth");
    CU_ASSERT_STRING_EQUAL(last_call_detail("user", "auth"), "bearer");
    char *email;
    bool verified = false;
    CU_ASSERT_EQUAL(fa_github_primary_email(gh, arena, token, &email, &verified, &err), FA_OK);
    CU_ASSERT_STRING_EQUAL(email, "bob.secret@private.example");
    CU_ASSERT_TRUE(verified);
    CU_ASSERT_EQUAL(fa_github_retry_after(gh), 0);
}

static void test_user_public_and_unverified(void)
{
    fresh();
    fa_github_tokens_t t;
    fa_github_user_t u;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(fa_github_get_user(gh, arena, sign_in("octo-alice", &t), &u, &err), FA_OK);
    CU_ASSERT_EQUAL(u.id, 583231);
    CU_ASSERT_STRING_EQUAL(u.name, "Alice Octo");
    CU_ASSERT_STRING_EQUAL(u.email, "alice@octo.example");
    char *email;
    bool verified = true;
    CU_ASSERT_EQUAL(
        fa_github_primary_email(gh, arena, sign_in("erin-unverified", &t), &email, &verified, &err),
        FA_OK);
    CU_ASSERT_STRING_EQUAL(email, "erin@unverified.example");
    CU_ASSERT_FALSE(verified);
}

static void test_orgs_paginated(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("carol-orgs", &t);
    fa_github_org_t *orgs;
    size_t count;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL_FATAL(fa_github_list_orgs(gh_page, arena, token, &orgs, &count, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(count, 25);
    CU_ASSERT_EQUAL(calls("orgs"), 3);
    for (size_t i = 0; i < count; i++) {
        CU_ASSERT(orgs[i].id > 0);
        CU_ASSERT_PTR_NOT_NULL(orgs[i].login);
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_NOT_EQUAL(orgs[i].id, orgs[j].id);
    }
    /* per_page=100: one request. */
    CU_ASSERT_EQUAL(fa_github_list_orgs(gh, arena, token, &orgs, &count, &err), FA_OK);
    CU_ASSERT_EQUAL(count, 25);
    CU_ASSERT_EQUAL(calls("orgs"), 4);
    CU_ASSERT_STRING_EQUAL(last_call_detail("orgs", "auth"), "bearer");
}

static void test_orgs_failure_mid_way_is_total(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("carol-orgs", &t);
    fault("{\"endpoint\":\"orgs\",\"status\":502,\"after\":1,\"times\":1}");
    fa_github_org_t *orgs = (fa_github_org_t *)1;
    size_t count = 9;
    fa_error_t err = {0};
    fa_status_t st = fa_github_list_orgs(gh_page, arena, token, &orgs, &count, &err);
    expect_error(st, &err, "github_unavailable");
    CU_ASSERT_PTR_NULL(orgs);
    CU_ASSERT_EQUAL(count, 0);
    CU_ASSERT_EQUAL(calls("orgs"), 2);
    /* No orgs at all is a valid, empty answer. */
    CU_ASSERT_EQUAL(fa_github_list_orgs(gh, arena, sign_in("bob-private", &t), &orgs, &count, &err),
                    FA_OK);
    CU_ASSERT_EQUAL(count, 0);
}

static void test_star(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(fa_github_star_repo(gh, arena, token, "foundry-labs/starter.app", &err), FA_OK);
    json_t *stars = control_json("GET", "/_emulator/stars", NULL);
    json_t *first = json_array_get(json_object_get(stars, "stars"), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "repo")),
                           "foundry-labs/starter.app");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "login")), "octo-alice");
    json_decref(stars);
    fa_status_t st = fa_github_star_repo(gh, arena, token, "ghost-owner/missing-repo", &err);
    expect_error(st, &err, "github_refused");
    CU_ASSERT_EQUAL(calls("star"), 2);
    static const char *const bad[] = {"norepo",  "a/",    "/b",       "a/..", "a/b/c",
                                      "a/b?x=1", "a b/c", "a/b%2F..", NULL};
    for (int i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
        CU_ASSERT_EQUAL(fa_github_star_repo(gh, arena, token, bad[i], &err), FA_ERR_BAD_REQUEST);
        CU_ASSERT_STRING_EQUAL(err.code, "invalid_github_argument");
    }
    CU_ASSERT_EQUAL(calls("star"), 2);
}

static void test_unauthorized(void)
{
    fresh();
    fa_github_user_t u;
    fa_error_t err = {0};
    fa_status_t st =
        fa_github_get_user(gh, arena, "gho_NotARealToken000000000000000000000", &u, &err);
    expect_error(st, &err, "github_unauthorized");
    CU_ASSERT_PTR_NULL(u.login);
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    control("POST", "/_emulator/tokens/revoke", "{\"login\":\"octo-alice\"}");
    fa_github_org_t *orgs;
    size_t count;
    st = fa_github_list_orgs(gh, arena, token, &orgs, &count, &err);
    expect_error(st, &err, "github_unauthorized");
    st = fa_github_star_repo(gh, arena, token, "foundry-labs/starter", &err);
    expect_error(st, &err, "github_unauthorized");
    /* A token that could inject a header is never sent. */
    CU_ASSERT_EQUAL(fa_github_get_user(gh, arena, "gho_a\r\nX-Evil: 1", &u, &err),
                    FA_ERR_BAD_REQUEST);
    CU_ASSERT_EQUAL(calls("user"), 1);
}

static void test_rate_limited(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    fa_github_user_t u;
    fa_error_t err = {0};
    fault("{\"endpoint\":\"user\",\"rateLimit\":\"403\",\"times\":1}");
    fa_status_t st = fa_github_get_user(gh, arena, token, &u, &err);
    expect_error(st, &err, "github_rate_limited");
    CU_ASSERT(fa_github_retry_after(gh) > 0 && fa_github_retry_after(gh) <= 61);
    CU_ASSERT_EQUAL(fa_github_rate_limit_status(gh), 403);
    fault("{\"endpoint\":\"orgs\",\"rateLimit\":\"429\",\"retryAfter\":17,\"times\":1}");
    fa_github_org_t *orgs;
    size_t count;
    st = fa_github_list_orgs(gh, arena, token, &orgs, &count, &err);
    expect_error(st, &err, "github_rate_limited");
    CU_ASSERT_EQUAL(fa_github_retry_after(gh), 17);
    CU_ASSERT_EQUAL(fa_github_rate_limit_status(gh), 429);
    /* An hour away (x-ratelimit-reset), as GitHub says for an exhausted
     * primary limit: the whole wait, not a default minute (issue 12). */
    fault("{\"endpoint\":\"user\",\"rateLimit\":\"403\",\"retryAfter\":3600,\"times\":1}");
    st = fa_github_get_user(gh, arena, token, &u, &err);
    expect_error(st, &err, "github_rate_limited");
    CU_ASSERT(fa_github_retry_after(gh) >= 3598 && fa_github_retry_after(gh) <= 3600);
    /* Once GitHub answers normally, no wait is reported. */
    CU_ASSERT_EQUAL(fa_github_get_user(gh, arena, token, &u, &err), FA_OK);
    CU_ASSERT_EQUAL(fa_github_retry_after(gh), 0);
    CU_ASSERT_EQUAL(fa_github_rate_limit_status(gh), 0);
    /* A 403 that is not a rate limit (no header) is a refusal. */
    fault("{\"endpoint\":\"emails\",\"status\":403,\"times\":1}");
    char *email;
    bool verified;
    st = fa_github_primary_email(gh, arena, token, &email, &verified, &err);
    expect_error(st, &err, "github_refused");
    CU_ASSERT_EQUAL(fa_github_retry_after(gh), 0);
}

static void test_api_failures(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    fa_github_user_t u;
    fa_error_t err = {0};
    static const struct {
        const char *fault;
        const char *code;
    } cases[] = {
        {"{\"endpoint\":\"user\",\"status\":500,\"times\":1}", "github_unavailable"},
        {"{\"endpoint\":\"user\",\"body\":\"malformed\",\"times\":1}", "github_bad_response"},
        {"{\"endpoint\":\"user\",\"body\":\"html\",\"times\":1}", "github_bad_response"},
        /* Unlimited: libcurl may re-send a GET once per dead kept-alive
         * connection, which is harmless for reads. */
        {"{\"endpoint\":\"user\",\"reset\":true}", "github_unavailable"},
        {"{\"endpoint\":\"user\",\"status\":200,\"body\":\"empty\",\"times\":1}",
         "github_bad_response"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fault(cases[i].fault);
        fa_status_t st = fa_github_get_user(gh, arena, token, &u, &err);
        expect_error(st, &err, cases[i].code);
        CU_ASSERT_PTR_NULL(u.login);
        control("DELETE", "/_emulator/faults", NULL);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fault("{\"endpoint\":\"emails\",\"delayMs\":2000,\"times\":1}");
    char *email;
    bool verified;
    fa_status_t st = fa_github_primary_email(gh_fast, arena, token, &email, &verified, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    expect_error(st, &err, "github_timeout");
    CU_ASSERT(t1.tv_sec - t0.tv_sec < 2);
}

static void test_proxy_environment_ignored(void)
{
    fresh();
    fa_github_tokens_t t;
    char *token = sign_in("octo-alice", &t);
    /* httpoxy: a proxy in the environment (as a CGI-style HTTP_PROXY would
     * put it) must not divert the token; port 9 would refuse. */
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
    setenv("all_proxy", "http://127.0.0.1:9", 1);
    fa_github_user_t u;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(fa_github_get_user(gh, arena, token, &u, &err), FA_OK);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
}

static void test_unreachable_and_config(void)
{
    fresh();
    fa_github_config_t cfg = {.oauth_url = "http://127.0.0.1:1",
                              .api_url = "http://127.0.0.1:1/",
                              .client_id = "cid",
                              .client_secret = "csecret",
                              .timeout_ms = 2000,
                              .connect_timeout_ms = 1000};
    fa_github_t *down = fa_github_create(&cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(down);
    fa_github_user_t u;
    fa_error_t err = {0};
    expect_error(fa_github_get_user(down, arena, "gho_x", &u, &err), &err, "github_unavailable");
    fa_github_tokens_t t;
    expect_error(fa_github_exchange_code(down, arena, "code", CALLBACK, "verifier", &t, &err), &err,
                 "github_unavailable");
    fa_github_destroy(down);
    fa_github_config_t bad = cfg;
    bad.api_url = "ftp://127.0.0.1";
    CU_ASSERT_PTR_NULL(fa_github_create(&bad));
    bad = cfg;
    bad.client_secret = "";
    CU_ASSERT_PTR_NULL(fa_github_create(&bad));
    bad = cfg;
    bad.oauth_url = "github.com";
    CU_ASSERT_PTR_NULL(fa_github_create(&bad));
    CU_ASSERT_PTR_NULL(fa_github_create(NULL));
    fa_github_destroy(NULL);
}

/* ---- a canned HTTP server for what the emulator cannot send --------------- */

typedef struct {
    pid_t pid;
    int port;
    int served; /* read end: one byte per request answered */
} canned_t;

/* Answers every connection with head followed by body_size bytes of 'x'
 * (chunked when head says so), one request per connection. */
static canned_t canned_start(const char *head, size_t body_size)
{
    canned_t c = {0};
    int fds[2];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(s, 8) != 0 ||
        getsockname(s, (struct sockaddr *)&addr, &alen) != 0 || pipe(fds) != 0)
        abort();
    c.port = ntohs(addr.sin_port);
    c.pid = fork();
    if (c.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_IGN);
        static char chunk[65536];
        memset(chunk, 'x', sizeof(chunk));
        bool chunked = strstr(head, "chunked") != NULL;
        for (;;) {
            int conn = accept(s, NULL, NULL);
            char req[8192];
            size_t got = 0;
            while (got < sizeof(req) - 1) {
                ssize_t n = read(conn, req + got, sizeof(req) - 1 - got);
                if (n <= 0)
                    break;
                got += (size_t)n;
                req[got] = '\0';
                if (strstr(req, "\r\n\r\n"))
                    break;
            }
            if (write(fds[1], "r", 1) != 1 || write(conn, head, strlen(head)) < 0)
                _exit(1);
            for (size_t sent = 0; sent < body_size; sent += sizeof(chunk)) {
                char size_line[32];
                int len = snprintf(size_line, sizeof(size_line), "%zx\r\n", sizeof(chunk));
                if ((chunked && write(conn, size_line, (size_t)len) < 0) ||
                    write(conn, chunk, sizeof(chunk)) < 0 ||
                    (chunked && write(conn, "\r\n", 2) < 0))
                    break;
            }
            close(conn);
        }
    }
    close(s);
    close(fds[1]);
    c.served = fds[0];
    return c;
}

/* Stops the server and returns how many requests it answered. */
static int canned_stop(canned_t *c)
{
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    char buf[64];
    int total = 0;
    ssize_t n;
    while ((n = read(c->served, buf, sizeof(buf))) > 0)
        total += (int)n;
    close(c->served);
    return total;
}

static fa_github_t *canned_client(const canned_t *c)
{
    char *url = fa_arena_sprintf(arena, "http://127.0.0.1:%d", c->port);
    fa_github_config_t cfg = {.oauth_url = url,
                              .api_url = url,
                              .client_id = "cid",
                              .client_secret = "csecret",
                              .timeout_ms = 5000,
                              .connect_timeout_ms = 1000};
    fa_github_t *client = fa_github_create(&cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(client);
    return client;
}

/* One call to /user against a canned answer: the expected error, one request. */
static void canned_user(const char *head, size_t body_size, const char *code, const char *detail)
{
    canned_t c = canned_start(head, body_size);
    fa_github_t *client = canned_client(&c);
    fa_github_user_t u;
    fa_error_t err = {0};
    expect_error(fa_github_get_user(client, arena, "gho_x", &u, &err), &err, code);
    CU_ASSERT_STRING_EQUAL(err.detail, detail);
    fa_github_destroy(client);
    CU_ASSERT_EQUAL(canned_stop(&c), 1);
}

static void test_body_over_1mib_refused(void)
{
    fresh();
    canned_user(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n",
        2097152, "github_bad_response", "answer larger than 1 MiB");
    /* Without a Content-Length the write callback enforces the cap. */
    canned_user("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n",
                2097152, "github_bad_response", "answer larger than 1 MiB");
}

static void test_redirect_not_followed(void)
{
    fresh();
    canned_user("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\n"
                "Content-Length: 0\r\n\r\n",
                0, "github_bad_response", "GET /user answered HTTP 302");
}

static void test_foreign_next_page_refused(void)
{
    fresh();
    canned_t foreign = canned_start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]", 0);
    char *head = fa_arena_sprintf(arena,
                                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Link: <http://localhost:%d/user/orgs?page=2>; rel=\"next\"\r\n"
                                  "Content-Length: 23\r\n\r\n[{\"login\":\"a\",\"id\":1}]\n",
                                  foreign.port);
    canned_t c = canned_start(head, 0);
    fa_github_t *client = canned_client(&c);
    fa_github_org_t *orgs;
    size_t count;
    fa_error_t err = {0};
    expect_error(fa_github_list_orgs(client, arena, "gho_x", &orgs, &count, &err), &err,
                 "github_bad_response");
    CU_ASSERT_PTR_NULL(orgs);
    fa_github_destroy(client);
    CU_ASSERT_EQUAL(canned_stop(&c), 1);
    CU_ASSERT_EQUAL(canned_stop(&foreign), 0); /* the token never went there */
}

static fa_github_t *client(long timeout_ms, long per_page)
{
    fa_github_config_t cfg = {.oauth_url = origin,
                              .api_url = origin,
                              .client_id = "cid",
                              .client_secret = "csecret",
                              .timeout_ms = timeout_ms,
                              .connect_timeout_ms = 2000,
                              .orgs_per_page = per_page};
    fa_github_t *c = fa_github_create(&cfg);
    if (!c)
        abort();
    return c;
}

int main(void)
{
    static const test_case_t tests[] = {
        {"exchange_ok", test_exchange_ok},
        {"code_reuse_rejected_once_per_call", test_code_reuse_rejected_once_per_call},
        {"wrong_verifier_rejected", test_wrong_verifier_rejected},
        {"error_fault_rejected", test_error_fault_rejected},
        {"exchange_server_error", test_exchange_server_error},
        {"exchange_timeout_is_fast", test_exchange_timeout_is_fast},
        {"exchange_garbage", test_exchange_garbage},
        {"exchange_reset_not_retried", test_exchange_reset_not_retried},
        {"exchange_bad_arguments", test_exchange_bad_arguments},
        {"refresh_rotates", test_refresh_rotates},
        {"user_private_email", test_user_private_email},
        {"user_public_and_unverified", test_user_public_and_unverified},
        {"orgs_paginated", test_orgs_paginated},
        {"orgs_failure_mid_way_is_total", test_orgs_failure_mid_way_is_total},
        {"star", test_star},
        {"unauthorized", test_unauthorized},
        {"rate_limited", test_rate_limited},
        {"api_failures", test_api_failures},
        {"proxy_environment_ignored", test_proxy_environment_ignored},
        {"unreachable_and_config", test_unreachable_and_config},
        {"body_over_1mib_refused", test_body_over_1mib_refused},
        {"redirect_not_followed", test_redirect_not_followed},
        {"foreign_next_page_refused", test_foreign_next_page_refused},
    };
    /* A missing node or emulator is a failure, not a skip. */
    if (!emulator_start()) {
        emulator_stop();
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    arena = fa_arena_create(0);
    gh = client(5000, 0);
    gh_fast = client(300, 0);
    gh_page = client(5000, 10);
    static const fa_unit_suite_t suite = {.name = "github/client"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_github_destroy(gh);
    fa_github_destroy(gh_fast);
    fa_github_destroy(gh_page);
    fa_arena_destroy(arena);
    emulator_stop();
    curl_global_cleanup();
    return rc;
}
