/* Sign-in helpers: the browser redirect dance done by hand (so every hop can
 * be inspected), plus counts, emulator control and leak bookkeeping shared by
 * the auth, sessions and revocation suites. Never: asserts (the suites do),
 * follows a redirect automatically, or lets a value reach SQL except as a
 * bound parameter (table names come from a fixed list). */
#include "signin_helpers.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"

/* ---- URLs, cookies, origins ------------------------------------------ */

static bool fa_test_url_is_https(void)
{
    return strncmp(fa_env("FA_TEST_URL"), "https:", 6) == 0;
}

const char *fa_session_cookie_name(void)
{
    return fa_test_url_is_https() ? "__Host-foundry_session" : "foundry_session";
}

const char *fa_binding_cookie_name(void)
{
    return fa_test_url_is_https() ? "__Host-foundry_oauth" : "foundry_oauth";
}

char *fa_test_origin(void)
{
    const char *url = fa_env("FA_TEST_URL");
    const char *host = strstr(url, "://");
    const char *end = host ? strchr(host + 3, '/') : NULL;
    size_t n = end ? (size_t)(end - url) : strlen(url);
    char *out = fa_xmalloc(n + 1);
    memcpy(out, url, n);
    out[n] = '\0';
    return out;
}

char *fa_url_param(const char *url, const char *name)
{
    const char *q = url ? strchr(url, '?') : NULL;
    size_t n = strlen(name);
    for (const char *p = q ? q + 1 : NULL; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) != 0 || p[n] != '=')
            continue;
        const char *v = p + n + 1;
        size_t len = strcspn(v, "&#");
        int outlen = 0;
        char *dec = curl_easy_unescape(NULL, v, (int)len, &outlen);
        if (dec == NULL)
            return NULL;
        char *out = fa_xstrdup(dec);
        curl_free(dec);
        return out;
    }
    return NULL;
}

const char *fa_set_cookie_header(const fa_http_response_t *res, const char *name)
{
    size_t n = strlen(name);
    const char *line;
    for (size_t i = 0; (line = fa_http_header_nth(res, "Set-Cookie", i)) != NULL; i++)
        if (strncmp(line, name, n) == 0 && line[n] == '=')
            return line;
    return NULL;
}

char *fa_set_cookie_value(const fa_http_response_t *res, const char *name)
{
    const char *line = fa_set_cookie_header(res, name);
    if (line == NULL)
        return NULL;
    const char *v = line + strlen(name) + 1;
    size_t len = strcspn(v, ";");
    while (len && v[len - 1] == ' ')
        len--;
    char *out = fa_xmalloc(len + 1);
    memcpy(out, v, len);
    out[len] = '\0';
    return out;
}

bool fa_set_cookie_has(const char *set_cookie, const char *attr)
{
    const char *p = set_cookie ? strchr(set_cookie, ';') : NULL;
    size_t n = strlen(attr);
    while (p) {
        p++;
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ";");
        while (len && p[len - 1] == ' ')
            len--;
        if (len == n && strncasecmp(p, attr, n) == 0)
            return true;
        p = strchr(p, ';');
    }
    return false;
}

char *fa_location_path(const char *location)
{
    if (location == NULL)
        return NULL;
    char *origin = fa_test_origin();
    size_t n = strlen(origin);
    const char *path = strncmp(location, origin, n) == 0 && location[n] == '/' ? location + n
                                                                                : location;
    free(origin);
    return fa_xstrdup(path);
}

bool fa_location_is_local(const char *location)
{
    char *path = fa_location_path(location);
    bool ok = path && path[0] == '/' && path[1] != '/' && path[1] != '\\' &&
              strpbrk(path, "\r\n \\") == NULL;
    free(path);
    return ok;
}

static char *fa_sign_in_path(void)
{
    char *p = fa_envfile_get("FOUNDRY_SIGN_IN_PATH");
    if (p == NULL || *p == '\0') {
        free(p);
        p = fa_xstrdup("/sign-in");
    }
    return p;
}

char *fa_auth_error_of(const char *location)
{
    char *path = fa_location_path(location);
    char *sign_in = fa_sign_in_path();
    size_t n = strlen(sign_in);
    char *out = NULL;
    if (path && strncmp(path, sign_in, n) == 0 && path[n] == '?')
        out = fa_url_param(path, "authError");
    free(path);
    free(sign_in);
    return out;
}

/* ---- leak bookkeeping ------------------------------------------------ */

static pthread_mutex_t fa_seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char **fa_seen_tokens;
static size_t fa_seen_tokens_n;
static char **fa_seen_bodies;
static size_t fa_seen_bodies_n;

static void fa_strv_push(char ***v, size_t *n, const char *s)
{
    char **grown = realloc(*v, (*n + 1) * sizeof **v);
    if (grown == NULL)
        abort();
    *v = grown;
    (*v)[(*n)++] = fa_xstrdup(s);
}

void fa_seen_token(const char *token)
{
    if (token == NULL || *token == '\0')
        return;
    pthread_mutex_lock(&fa_seen_lock);
    fa_strv_push(&fa_seen_tokens, &fa_seen_tokens_n, token);
    const char *dot = strchr(token, '.');
    if (dot && dot > token) {
        char *part = strndup(token, (size_t)(dot - token));
        fa_strv_push(&fa_seen_tokens, &fa_seen_tokens_n, part);
        free(part);
    }
    pthread_mutex_unlock(&fa_seen_lock);
}

void fa_seen_response(const fa_http_response_t *res)
{
    if (res == NULL || res->body == NULL || res->body_len == 0 || res->status == 0)
        return;
    pthread_mutex_lock(&fa_seen_lock);
    fa_strv_push(&fa_seen_bodies, &fa_seen_bodies_n, res->body);
    pthread_mutex_unlock(&fa_seen_lock);
}

size_t fa_seen_leaks(char *why, size_t why_len)
{
    size_t leaks = 0;
    if (why_len)
        *why = '\0';
    pthread_mutex_lock(&fa_seen_lock);
    for (size_t b = 0; b < fa_seen_bodies_n; b++)
        for (size_t t = 0; t < fa_seen_tokens_n; t++)
            if (strstr(fa_seen_bodies[b], fa_seen_tokens[t])) {
                if (leaks++ == 0)
                    snprintf(why, why_len, "body %.300s contains a session token", fa_seen_bodies[b]);
                break;
            }
    pthread_mutex_unlock(&fa_seen_lock);
    return leaks;
}

size_t fa_seen_token_count(void)
{
    pthread_mutex_lock(&fa_seen_lock);
    size_t n = fa_seen_tokens_n;
    pthread_mutex_unlock(&fa_seen_lock);
    return n;
}

size_t fa_seen_body_count(void)
{
    pthread_mutex_lock(&fa_seen_lock);
    size_t n = fa_seen_bodies_n;
    pthread_mutex_unlock(&fa_seen_lock);
    return n;
}

/* Other secrets, kept apart from the tokens so fa_seen_leaks stays about
 * session tokens in bodies (a state legitimately appears in a Location). */
static fa_seen_secret_t *fa_secrets;
static size_t fa_secrets_n;

void fa_seen_secret(const char *kind, const char *value)
{
    if (value == NULL || strlen(value) < 8)
        return;
    pthread_mutex_lock(&fa_seen_lock);
    fa_seen_secret_t *grown = realloc(fa_secrets, (fa_secrets_n + 1) * sizeof *fa_secrets);
    if (grown == NULL)
        abort();
    fa_secrets = grown;
    fa_secrets[fa_secrets_n++] = (fa_seen_secret_t){kind, fa_xstrdup(value)};
    pthread_mutex_unlock(&fa_seen_lock);
}

size_t fa_seen_secrets(fa_seen_secret_t **out)
{
    pthread_mutex_lock(&fa_seen_lock);
    size_t n = fa_seen_tokens_n + fa_secrets_n;
    fa_seen_secret_t *v = fa_xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < fa_seen_tokens_n; i++)
        v[i] = (fa_seen_secret_t){"session", fa_xstrdup(fa_seen_tokens[i])};
    for (size_t i = 0; i < fa_secrets_n; i++)
        v[fa_seen_tokens_n + i] =
            (fa_seen_secret_t){fa_secrets[i].kind, fa_xstrdup(fa_secrets[i].value)};
    pthread_mutex_unlock(&fa_seen_lock);
    *out = v;
    return n;
}

void fa_seen_secrets_free(fa_seen_secret_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].value);
    free(v);
}

/* ---- the browser sign-in dance -------------------------------------- */

static char *fa_start_path(const char *return_to)
{
    if (return_to == NULL)
        return fa_xstrdup("/v1/auth/github/start");
    char *esc = curl_easy_escape(NULL, return_to, (int)strlen(return_to));
    if (esc == NULL)
        abort();
    char *path = fa_xasprintf("/v1/auth/github/start?returnTo=%s", esc);
    curl_free(esc);
    return path;
}

static char *fa_dup_header(const fa_http_response_t *res, const char *name)
{
    const char *v = fa_http_header(res, name);
    return v ? fa_xstrdup(v) : NULL;
}

bool fa_signin_begin(fa_http_jar_t *jar, const char *login, const char *return_to,
                     fa_signin_result_t *out)
{
    memset(out, 0, sizeof *out);
    char *path = fa_start_path(return_to);
    out->start = fa_http_send("GET", path, NULL, NULL, jar);
    free(path);
    fa_seen_response(out->start);
    out->authorize_url = fa_dup_header(out->start, "Location");
    out->binding = fa_http_jar_cookie(jar, fa_binding_cookie_name());
    if (out->start->status != 302 || out->authorize_url == NULL)
        return false;
    out->state = fa_url_param(out->authorize_url, "state");
    fa_seen_secret("state", out->state);
    fa_seen_secret("binding", out->binding);
    char *url = login ? fa_xasprintf("%s&login=%s", out->authorize_url, login)
                      : fa_xstrdup(out->authorize_url);
    /* No jar at the emulator: the GitHub user is chosen by login=, and
     * nothing there depends on our cookies. */
    out->authorize = fa_http_send("GET", url, NULL, NULL, NULL);
    free(url);
    out->callback_url = fa_dup_header(out->authorize, "Location");
    if (out->authorize->status != 302 || out->callback_url == NULL)
        return false;
    out->code = fa_url_param(out->callback_url, "code");
    fa_seen_secret("code", out->code);
    return out->state != NULL && out->code != NULL;
}

fa_http_response_t *fa_signin_callback(fa_http_jar_t *jar, const char *callback_url,
                                       const char *const *headers, long timeout_ms)
{
    fa_http_response_t *res = fa_http_do(&(fa_http_request_t){
        .path = callback_url,
        .headers = headers,
        .jar = jar,
        .timeout_ms = timeout_ms ? timeout_ms : 15000,
    });
    fa_seen_response(res);
    char *session = fa_set_cookie_value(res, fa_session_cookie_name());
    if (session && *session)
        fa_seen_token(session);
    free(session);
    return res;
}

bool fa_signin_finish(fa_http_jar_t *jar, fa_signin_result_t *out, long timeout_ms)
{
    if (out->callback_url == NULL)
        return false;
    fa_http_response_free(out->callback);
    free(out->location);
    free(out->session);
    out->callback = fa_signin_callback(jar, out->callback_url, NULL, timeout_ms);
    out->location = fa_dup_header(out->callback, "Location");
    out->session = fa_set_cookie_value(out->callback, fa_session_cookie_name());
    if (out->session && *out->session == '\0') {
        free(out->session);
        out->session = NULL;
    }
    return out->callback->status == 302 && out->session != NULL;
}

bool fa_signin_browser(fa_http_jar_t *jar, const char *login, const char *return_to,
                       fa_signin_result_t *out)
{
    return fa_signin_begin(jar, login, return_to, out) && fa_signin_finish(jar, out, 0);
}

const char *fa_signin_describe(const fa_signin_result_t *r)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "start %ld -> %.200s; authorize %ld -> %.200s; callback %ld -> %s (session cookie %s)%s%.200s",
             r->start ? r->start->status : -1, r->authorize_url ? r->authorize_url : "(none)",
             r->authorize ? r->authorize->status : -1, r->callback_url ? r->callback_url : "(none)",
             r->callback ? r->callback->status : -1, r->location ? r->location : "(none)",
             r->session ? "set" : "absent", r->callback && r->callback->status != 302 ? "; body " : "",
             r->callback && r->callback->status != 302 ? r->callback->body : "");
    return buf;
}

void fa_signin_result_free(fa_signin_result_t *r)
{
    fa_http_response_free(r->start);
    fa_http_response_free(r->authorize);
    fa_http_response_free(r->callback);
    free(r->authorize_url);
    free(r->callback_url);
    free(r->state);
    free(r->code);
    free(r->binding);
    free(r->location);
    free(r->session);
    memset(r, 0, sizeof *r);
}

/* ---- requests carrying a session ------------------------------------- */

static bool fa_method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0;
}

fa_http_response_t *fa_bearer_request(const char *method, const char *path, const char *token,
                                      const char *body)
{
    char *auth = token ? fa_xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (auth)
        headers[n++] = auth;
    if (body && *body)
        headers[n++] = "Content-Type: application/json";
    if (body == NULL && fa_method_has_body(method))
        body = ""; /* Content-Length: 0 rather than none */
    fa_http_response_t *res = fa_http_send(method, path, headers, body, NULL);
    fa_seen_response(res);
    free(auth);
    return res;
}

fa_http_response_t *fa_browser_request(const char *method, const char *path, fa_http_jar_t *jar,
                                       const char *origin, const char *content_type,
                                       const char *body)
{
    char *o = origin ? fa_xasprintf("Origin: %s", origin) : NULL;
    char *ct = content_type ? fa_xasprintf("Content-Type: %s", content_type) : NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (o)
        headers[n++] = o;
    if (ct)
        headers[n++] = ct;
    if (body == NULL && fa_method_has_body(method))
        body = "";
    fa_http_response_t *res = fa_http_send(method, path, headers, body, jar);
    fa_seen_response(res);
    free(o);
    free(ct);
    return res;
}

char *fa_session_id_of(const char *token)
{
    fa_http_response_t *res = fa_bearer_request("GET", "/v1/auth/session", token, NULL);
    char *out = NULL;
    if (res->status == 200) {
        json_t *j = fa_http_json(res);
        const char *id = json_string_value(json_object_get(json_object_get(j, "session"), "id"));
        out = id ? fa_xstrdup(id) : NULL;
        json_decref(j);
    }
    fa_http_response_free(res);
    return out;
}

char *fa_random_b64url(void)
{
    unsigned char raw[32];
    char out[64];
    if (RAND_bytes(raw, sizeof raw) != 1)
        abort();
    fa_base64url_encode(raw, sizeof raw, out, sizeof out);
    return fa_xstrdup(out);
}

char *fa_random_session_value(void)
{
    char *token = fa_random_b64url(), *sig = fa_random_b64url();
    char *out = fa_xasprintf("%s.%s", token, sig);
    free(token);
    free(sig);
    return out;
}

/* ---- database -------------------------------------------------------- */

static const char *const fa_counted_tables[] = {
    "users",         "accounts", "user_profiles", "sessions",     "session_index",
    "session_state", "jobs",     "verification",  "audit_events", "organization_members",
};

/* table when it is on the list (so it may be spliced into SQL), else abort. */
static const char *fa_known_table(const char *table)
{
    for (size_t i = 0; i < sizeof fa_counted_tables / sizeof fa_counted_tables[0]; i++)
        if (strcmp(table, fa_counted_tables[i]) == 0)
            return fa_counted_tables[i];
    fprintf(stderr, "fa_integration: fa_count_*: unknown table %s\n", table);
    abort();
}

long long fa_count_for_user(const char *table, const char *user_id)
{
    const char *t = fa_known_table(table);
    char *sql = fa_xasprintf("SELECT count(*) FROM %s WHERE %s = $1::bigint", t,
                             strcmp(t, "users") == 0 ? "id" : "user_id");
    long long n = fa_sql_int(sql, user_id, NULL);
    free(sql);
    return n;
}

long long fa_count_all(const char *table)
{
    char *sql = fa_xasprintf("SELECT count(*) FROM %s", fa_known_table(table));
    long long n = fa_sql_int(sql, NULL);
    free(sql);
    return n;
}

void fa_row_counts(fa_row_counts_t *out)
{
    out->users = fa_count_all("users");
    out->accounts = fa_count_all("accounts");
    out->profiles = fa_count_all("user_profiles");
    out->sessions = fa_count_all("sessions");
    out->session_index = fa_count_all("session_index");
    out->session_state = fa_count_all("session_state");
}

bool fa_row_counts_equal(const fa_row_counts_t *a, const fa_row_counts_t *b, char *why,
                         size_t why_len)
{
    snprintf(why, why_len,
             "rows before/after: users %lld/%lld accounts %lld/%lld user_profiles %lld/%lld "
             "sessions %lld/%lld session_index %lld/%lld session_state %lld/%lld",
             a->users, b->users, a->accounts, b->accounts, a->profiles, b->profiles, a->sessions,
             b->sessions, a->session_index, b->session_index, a->session_state, b->session_state);
    return memcmp(a, b, sizeof *a) == 0;
}

void fa_orphans_count(fa_orphans_t *out)
{
    out->index_without_session = fa_sql_int(
        "SELECT count(*) FROM session_index i LEFT JOIN sessions s "
        "ON s.user_id = i.user_id AND s.id = i.session_id WHERE s.id IS NULL",
        NULL);
    out->session_without_index = fa_sql_int(
        "SELECT count(*) FROM sessions s LEFT JOIN session_index i "
        "ON i.user_id = s.user_id AND i.session_id = s.id WHERE i.session_id IS NULL",
        NULL);
    out->session_without_state = fa_sql_int(
        "SELECT count(*) FROM sessions s LEFT JOIN session_state st "
        "ON st.user_id = s.user_id AND st.session_id = s.id WHERE st.session_id IS NULL",
        NULL);
}

void fa_sha256_hex(const char *s, char out[65])
{
    uint8_t digest[FA_SHA256_LEN];
    fa_sha256(s, strlen(s), digest);
    fa_hex_encode(digest, sizeof digest, out);
}

/* ---- GitHub emulator ------------------------------------------------- */

static fa_http_response_t *fa_emulator_delete(const char *path)
{
    char *url = fa_xasprintf("%s/_emulator/%s", fa_env("FA_TEST_EMULATOR_URL"), path);
    fa_http_response_t *res = fa_http_do(&(fa_http_request_t){.method = "DELETE", .path = url});
    free(url);
    return res;
}

static bool fa_emulator_ok(fa_http_response_t *res, const char *what)
{
    bool ok = res->status >= 200 && res->status < 300;
    if (!ok)
        fprintf(stderr, "fa_integration: emulator %s: %ld %.300s\n", what, res->status, res->body);
    fa_http_response_free(res);
    return ok;
}

long fa_emulator_calls(const char *endpoint)
{
    fa_http_response_t *res = fa_emulator_get("calls");
    json_t *j = fa_http_json(res);
    json_t *counts = json_object_get(j, "counts");
    long n = res->status == 200 && json_is_object(counts)
                 ? (long)json_integer_value(json_object_get(counts, endpoint))
                 : -1;
    json_decref(j);
    fa_http_response_free(res);
    return n;
}

void fa_emulator_clear_calls(void)
{
    fa_emulator_ok(fa_emulator_delete("calls"), "DELETE calls");
}

bool fa_emulator_clear_faults(void)
{
    return fa_emulator_ok(fa_emulator_delete("faults"), "DELETE faults");
}

bool fa_emulator_arm_fault(const char *json)
{
    return fa_emulator_ok(fa_emulator_post("faults", json), "POST faults");
}

bool fa_emulator_put_user(long long id, const char *login)
{
    char *email = fa_xasprintf("%s@users.test.example", login);
    json_t *u = json_pack("{s:I,s:s,s:s,s:s,s:[{s:s,s:b,s:b,s:s}],s:[]}", "id", (json_int_t)id,
                          "login", login, "name", login, "email", email, "emails", "email", email,
                          "primary", 1, "verified", 1, "visibility", "public", "orgIds");
    char *body = json_dumps(u, JSON_COMPACT);
    bool ok = fa_emulator_ok(fa_emulator_post("users", body), "POST users");
    free(body);
    free(email);
    json_decref(u);
    return ok;
}

char *fa_emulator_issue_token(const char *login, const char *scope)
{
    json_t *req = json_pack("{s:s,s:s}", "login", login, "scope", scope);
    char *body = json_dumps(req, JSON_COMPACT);
    fa_http_response_t *res = fa_emulator_post("tokens/issue", body);
    char *token = res->status == 200 ? fa_http_json_string(res, "access_token") : NULL;
    fa_seen_secret("github_token", token);
    if (token == NULL)
        fprintf(stderr, "fa_integration: tokens/issue: %ld %.300s\n", res->status, res->body);
    fa_http_response_free(res);
    free(body);
    json_decref(req);
    return token;
}

long long fa_fresh_user_id(void)
{
    /* Ids in [6e9, 7e9) are ours: no fixture uses them. Start past any a
     * previous run left in this database. */
    static long long next;
    if (next == 0) {
        long long max = fa_sql_int("SELECT coalesce(max(id), 6000000000) FROM users "
                                   "WHERE id >= 6000000000 AND id < 7000000000",
                                   NULL);
        next = (max > 0 ? max : 6000000000LL) + 1000;
    }
    return next++;
}

long fa_service_github_timeout_ms(void)
{
    char *v = fa_envfile_get("FOUNDRY_GITHUB_TIMEOUT_MS");
    long ms = v && *v ? strtol(v, NULL, 10) : 5000;
    free(v);
    return ms > 0 ? ms : 5000;
}
