/* Foundation suite, HTTP side: operational routes, error shapes, metrics,
 * hostile input, request ids, logs without secrets, the socket and nginx
 * hardening of invariant 10. Everything through nginx (FA_TEST_URL). */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "foundation.h"
#include "harness.h"

/* Asserts the headers every service response carries. */
static void fa_check_common_headers(const fa_http_response_t *r, const char *what)
{
    const char *cc = fa_http_header(r, "Cache-Control");
    const char *xcto = fa_http_header(r, "X-Content-Type-Options");
    FA_CHECK(cc && strstr(cc, "no-store"), "%s: Cache-Control expected no-store, got %s", what,
             cc ? cc : "(none)");
    FA_CHECK(xcto && strcasecmp(xcto, "nosniff") == 0,
             "%s: X-Content-Type-Options expected nosniff, got %s", what, xcto ? xcto : "(none)");
}

static void fa_check_json_type(const fa_http_response_t *r, const char *what)
{
    const char *ct = fa_http_header(r, "Content-Type");
    FA_CHECK(ct && strncasecmp(ct, "application/json", 16) == 0,
             "%s: Content-Type expected application/json, got %s", what, ct ? ct : "(none)");
}

/* GET /healthz is 200 right now: the worker that took the last hit survived. */
static void fa_check_alive(const char *after)
{
    fa_http_response_t *r = fa_http_get("/healthz");
    FA_CHECK(r->status == 200, "GET /healthz after %s: expected 200, got %ld %.200s", after,
             r->status, r->body);
    fa_http_response_free(r);
}

static void test_health_and_ready(void)
{
    fa_http_response_t *r = fa_http_get("/healthz");
    json_t *j = fa_http_json(r);
    FA_CHECK(r->status == 200, "GET /healthz: expected 200, got %ld %.200s", r->status, r->body);
    FA_CHECK(json_is_object(j), "GET /healthz: expected a JSON object, got %.200s", r->body);
    fa_check_json_type(r, "GET /healthz");
    fa_check_common_headers(r, "GET /healthz");
    json_decref(j);
    fa_http_response_free(r);

    long long expected = fa_sql_int("SELECT max(version) FROM schema_migrations", NULL);
    FA_CHECK(expected > 0, "schema_migrations max(version) expected > 0, got %lld", expected);
    r = fa_http_get("/readyz");
    j = fa_http_json(r);
    json_t *v = json_object_get(j, "schemaVersion");
    FA_CHECK(r->status == 200, "GET /readyz: expected 200, got %ld %.200s", r->status, r->body);
    FA_CHECK(json_is_integer(v) && json_integer_value(v) == expected,
             "GET /readyz: schemaVersion expected %lld, body %.200s", expected, r->body);
    fa_check_json_type(r, "GET /readyz");
    fa_check_common_headers(r, "GET /readyz");
    json_decref(j);
    fa_http_response_free(r);
}

static const char *const fa_healthz_200[] = {"route=healthz", "status=200", NULL};
#define FA_METRIC_REQUESTS "foundry_auth_http_requests_total"
#define FA_METRIC_DURATION "foundry_auth_http_request_duration_seconds"

/* Value of requests_total{route="healthz",status="200"} (0 when absent). */
static double fa_healthz_count(char **text_out)
{
    fa_http_response_t *r = fa_http_get("/metrics");
    const char *ct = fa_http_header(r, "Content-Type");
    FA_CHECK(r->status == 200, "GET /metrics: expected 200, got %ld", r->status);
    /* Prometheus's exposition type, charset included like every text type. */
    FA_CHECK(ct && strcmp(ct, "text/plain; version=0.0.4; charset=utf-8") == 0,
             "GET /metrics: Content-Type expected text/plain; version=0.0.4; charset=utf-8, "
             "got %s",
             ct ? ct : "(none)");
    double v = fa_metrics_value(r->body, FA_METRIC_REQUESTS, fa_healthz_200);
    if (text_out)
        *text_out = fa_xstrdup(r->body);
    fa_http_response_free(r);
    return v < 0 ? 0 : v;
}

enum { FA_LOAD_THREADS = 8, FA_LOAD_PER_THREAD = 25 };

static void *fa_healthz_hammer(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < FA_LOAD_PER_THREAD; i++) {
        fa_http_response_t *r = fa_http_get("/healthz");
        *ok += r->status == 200;
        fa_http_response_free(r);
    }
    return NULL;
}

/* How many distinct worker pids logged a healthz request after offset. */
static size_t fa_healthz_pids(size_t offset)
{
    json_t *lines = fa_log_lines(offset), *line;
    json_int_t pids[64];
    size_t n = 0, i;
    json_array_foreach(lines, i, line)
    {
        const char *route = json_string_value(json_object_get(line, "route"));
        json_int_t pid = json_integer_value(json_object_get(line, "pid"));
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || pids[k] == pid;
        if (route && strcmp(route, "healthz") == 0 && pid > 0 && !seen && n < 64)
            pids[n++] = pid;
    }
    json_decref(lines);
    return n;
}

static void test_metrics_counts_concurrent_requests(void)
{
    size_t offset = fa_log_offset();
    double before = fa_healthz_count(NULL);
    pthread_t threads[FA_LOAD_THREADS];
    int ok[FA_LOAD_THREADS] = {0};
    for (int i = 0; i < FA_LOAD_THREADS; i++)
        FA_CHECK_FATAL(pthread_create(&threads[i], NULL, fa_healthz_hammer, &ok[i]) == 0,
                       "pthread_create failed");
    int total_ok = 0;
    for (int i = 0; i < FA_LOAD_THREADS; i++) {
        pthread_join(threads[i], NULL);
        total_ok += ok[i];
    }
    FA_CHECK(total_ok == FA_LOAD_THREADS * FA_LOAD_PER_THREAD,
             "concurrent GET /healthz: expected %d x 200, got %d",
             FA_LOAD_THREADS * FA_LOAD_PER_THREAD, total_ok);
    /* The sum below only proves aggregation if more than one worker served. */
    char *workers = fa_envfile_get("FOUNDRY_AUTH_WORKERS");
    size_t expected_pids = workers && atoi(workers) == 1 ? 1 : 2;
    size_t pids = 0;
    for (int i = 0; i < 20 && pids < expected_pids; i++, fa_sleep_ms(50))
        pids = fa_healthz_pids(offset);
    FA_CHECK(pids >= expected_pids,
             "concurrent GET /healthz: served by %zu worker pid(s), expected >= %zu", pids,
             expected_pids);
    free(workers);
    char *text = NULL;
    double after = fa_healthz_count(&text);
    FA_CHECK(after - before >= FA_LOAD_THREADS * FA_LOAD_PER_THREAD,
             "%s{route=\"healthz\",status=\"200\"}: expected +%d, went %.0f -> %.0f",
             FA_METRIC_REQUESTS, FA_LOAD_THREADS * FA_LOAD_PER_THREAD, before, after);
    static const char *const inf[] = {"le=+Inf", NULL};
    double buckets = fa_metrics_value(text, FA_METRIC_DURATION "_bucket", inf);
    FA_CHECK(buckets >= FA_LOAD_THREADS * FA_LOAD_PER_THREAD,
             "%s_bucket{le=\"+Inf\"}: expected >= %d, got %.0f", FA_METRIC_DURATION,
             FA_LOAD_THREADS * FA_LOAD_PER_THREAD, buckets);
    FA_CHECK(fa_metrics_value(text, FA_METRIC_DURATION "_count", NULL) >= 0 &&
                 fa_metrics_value(text, FA_METRIC_DURATION "_sum", NULL) >= 0,
             "%s: expected _count and _sum samples", FA_METRIC_DURATION);
    FA_CHECK(strstr(text, "# TYPE " FA_METRIC_DURATION " histogram") != NULL,
             "/metrics: expected '# TYPE %s histogram'", FA_METRIC_DURATION);
    free(text);
}

static void test_not_found_and_method_not_allowed(void)
{
    fa_http_response_t *r = fa_http_get("/v1/no-such-route");
    FA_CHECK_JSON_ERROR(r, 404, "not_found", "GET /v1/no-such-route");
    fa_check_common_headers(r, "GET /v1/no-such-route");
    fa_http_response_free(r);

    r = fa_http_send("POST", "/healthz", NULL, "", NULL);
    const char *allow = fa_http_header(r, "Allow");
    FA_CHECK_JSON_ERROR(r, 405, NULL, "POST /healthz");
    FA_CHECK(allow && strstr(allow, "GET"), "POST /healthz: Allow expected to contain GET, got %s",
             allow ? allow : "(none)");
    fa_http_response_free(r);
}

/* Three requests pipelined on one keep-alive connection: one answer each,
 * in order, and the second does not inherit the first one's request id. */
static void test_pipelined_requests(void)
{
    static const char raw[] =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: pipe-one\r\n\r\n"
        "GET /v1/no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    fa_http_response_t *r[4] = {NULL};
    size_t n = fa_raw_exchange(raw, sizeof raw - 1, 10000, r, 4);
    FA_CHECK_FATAL(n == 3, "3 pipelined requests: expected 3 responses, got %zu", n);
    FA_CHECK(r[0]->status == 200, "pipelined GET /healthz: expected 200, got %ld", r[0]->status);
    FA_CHECK_JSON_ERROR(r[1], 404, "not_found", "pipelined GET /v1/no-such-route");
    FA_CHECK(r[2]->status == 200, "pipelined GET /readyz: expected 200, got %ld", r[2]->status);
    const char *id = fa_http_header(r[1], "X-Request-Id");
    FA_CHECK(id && strcmp(id, "pipe-one") != 0,
             "pipelined request 2: expected its own X-Request-Id, got %s", id ? id : "(none)");
    for (size_t i = 0; i < n; i++)
        fa_http_response_free(r[i]);
}

/* Sends raw through the socket helper and expects a 4xx JSON error (code
 * when not NULL), then checks the worker is still alive. */
static void fa_check_hostile(const char *what, const char *raw, size_t len, const char *code)
{
    fa_http_response_t *r = fa_raw_request(raw, len);
    FA_CHECK_JSON_ERROR(r, 0, code, what);
    fa_http_response_free(r);
    fa_check_alive(what);
}

static void fa_check_hostile_get(const char *what, const char *target, const char *extra,
                                 const char *code)
{
    char *raw = fa_xasprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
                             target, extra ? extra : "");
    fa_check_hostile(what, raw, strlen(raw), code);
    free(raw);
}

static char *fa_repeat(char c, size_t n)
{
    char *s = fa_xmalloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void fa_check_big_body(void)
{
    size_t n = 2 * 1024 * 1024;
    char *body = fa_repeat('a', n);
    static const char *const headers[] = {"Content-Type: application/json",
                                          "Origin: http://127.0.0.1", NULL};
    fa_http_response_t *r = fa_http_do(&(fa_http_request_t){.method = "POST",
                                                            .path = "/v1/auth/sign-out",
                                                            .headers = headers,
                                                            .body = body,
                                                            .body_len = n});
    FA_CHECK_JSON_ERROR(r, 413, NULL, "POST /v1/auth/sign-out with a 2 MiB body");
    fa_http_response_free(r);
    free(body);
    fa_check_alive("a 2 MiB body");
}

static void test_hostile_input(void)
{
    char *big = fa_repeat('x', 20 * 1024);
    char *line = fa_xasprintf("X-Big: %s\r\n", big);
    fa_check_hostile_get("a 20 KiB header value", "/healthz", line, NULL);
    free(line);
    free(big);

    fa_check_big_body();
    fa_check_hostile_get("bad escape ?x=%zz", "/healthz?x=%zz", NULL, "bad_encoding");
    fa_check_hostile_get("truncated escape ?x=%4", "/healthz?x=%4", NULL, "bad_encoding");
    fa_check_hostile_get("NUL in a query value", "/healthz?x=a%00b", NULL, "bad_encoding");
    fa_check_hostile_get("invalid UTF-8 ?x=%C3%28", "/healthz?x=%C3%28", NULL, "bad_encoding");

    char *cookies = fa_xstrdup("Cookie: ");
    for (int i = 0; i < 300; i++) {
        char *next = fa_xasprintf("%sc%d=v%d%s", cookies, i, i, i < 299 ? "; " : "\r\n");
        free(cookies);
        cookies = next;
    }
    fa_check_hostile_get("300 cookies", "/healthz", cookies, NULL);
    free(cookies);

    char *tail = fa_repeat('a', 5000 - 4);
    char *path = fa_xasprintf("/v1/%s", tail);
    fa_check_hostile_get("a 5000-character path", path, NULL, NULL);
    free(path);
    free(tail);

    /* A NUL byte on the wire, inside a header value: nothing may crash. */
    static const char nul_raw[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\0b\r\n"
                                  "Connection: close\r\n\r\n";
    fa_http_response_t *r = fa_raw_request(nul_raw, sizeof nul_raw - 1);
    FA_CHECK(r->status >= 200 && r->status < 500,
             "raw NUL byte in a header: expected a non-5xx answer, got %ld", r->status);
    fa_http_response_free(r);
    fa_check_alive("a NUL byte in a header");
}

/* Asserts the access-log line for request_id has the request's fields. */
static void fa_check_request_log(size_t offset, const char *request_id)
{
    json_t *line = fa_log_find(offset, "request_id", request_id, 3000);
    FA_CHECK_FATAL(line != NULL, "service log: no JSON line with request_id %s within 3 s",
                   request_id);
    const char *method = json_string_value(json_object_get(line, "method"));
    const char *route = json_string_value(json_object_get(line, "route"));
    json_t *status = json_object_get(line, "status");
    json_t *duration = json_object_get(line, "duration_ms");
    char *dump = json_dumps(line, JSON_COMPACT);
    FA_CHECK(method && strcmp(method, "GET") == 0, "log line: method expected GET: %s", dump);
    FA_CHECK(route && strcmp(route, "healthz") == 0, "log line: route expected healthz: %s", dump);
    FA_CHECK(json_integer_value(status) == 200, "log line: status expected 200: %s", dump);
    FA_CHECK(json_is_number(duration) && json_number_value(duration) >= 0,
             "log line: duration_ms expected a number: %s", dump);
    free(dump);
    json_decref(line);
}

static void test_request_ids(void)
{
    size_t offset = fa_log_offset();
    static const char *const with_id[] = {"X-Request-Id: test-abc-123", NULL};
    fa_http_response_t *r = fa_http_send("GET", "/healthz", with_id, NULL, NULL);
    FA_CHECK(r->status == 200, "GET /healthz with X-Request-Id: expected 200, got %ld", r->status);
    const char *echoed = fa_http_header(r, "X-Request-Id");
    FA_CHECK(echoed && strcmp(echoed, "test-abc-123") == 0,
             "X-Request-Id: expected test-abc-123 echoed, got %s", echoed ? echoed : "(none)");
    fa_http_response_free(r);
    fa_check_request_log(offset, "test-abc-123");

    offset = fa_log_offset();
    r = fa_http_get("/healthz");
    const char *generated = fa_http_header(r, "X-Request-Id");
    FA_CHECK_FATAL(generated && *generated,
                   "GET /healthz without X-Request-Id: expected a generated X-Request-Id");
    char *id = fa_xstrdup(generated);
    fa_http_response_free(r);
    fa_check_request_log(offset, id);
    free(id);
}

static void test_logs_hold_no_secrets(void)
{
    char *secrets = fa_envfile_get("FOUNDRY_AUTH_SECRET");
    char *client_secret = fa_envfile_get("GITHUB_CLIENT_SECRET");
    FA_CHECK_FATAL(secrets && *secrets, "FA_TEST_ENV_FILE has no FOUNDRY_AUTH_SECRET");
    FA_CHECK(client_secret && *client_secret, "FA_TEST_ENV_FILE has no GITHUB_CLIENT_SECRET");
    char *save = NULL;
    for (char *s = strtok_r(secrets, ",", &save); s; s = strtok_r(NULL, ",", &save))
        fa_assert_log_lacks(s);
    if (client_secret && *client_secret)
        fa_assert_log_lacks(client_secret);
    free(secrets);
    free(client_secret);
}

/* Blanks out "# ..." comments (outside quotes) in place, so a directive
 * quoted in a comment does not count. */
static void fa_nginx_strip_comments(char *text)
{
    char quote = 0;
    for (char *p = text; *p; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '#') {
            while (*p && *p != '\n')
                *p++ = ' ';
            if (*p == '\0')
                break;
        }
        if (*p == '\n')
            quote = 0;
    }
}

/* Text of the nginx conf and every file it includes (non-glob, recursive).
 * nginx resolves a relative include against the conf prefix (the directory
 * of the -c file), not against the including file. */
static char *fa_nginx_conf_text(const char *path, const char *prefix, int depth)
{
    char *text = fa_file_read(path, NULL);
    if (text == NULL || depth > 4)
        return text ? text : fa_xstrdup("");
    fa_nginx_strip_comments(text);
    char *all = fa_xstrdup(text);
    regex_t re;
    regcomp(&re, "(^|[;{}[:space:]])include[[:space:]]+([^;*?[:space:]]+);",
            REG_EXTENDED | REG_NEWLINE);
    regmatch_t m[3];
    for (const char *p = text; regexec(&re, p, 3, m, 0) == 0; p += m[0].rm_eo) {
        char *inc = strndup(p + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
        char *full = inc[0] == '/' ? fa_xstrdup(inc) : fa_xasprintf("%s/%s", prefix, inc);
        char *sub = fa_nginx_conf_text(full, prefix, depth + 1);
        char *joined = fa_xasprintf("%s\n%s", all, sub);
        free(all), free(sub), free(full), free(inc);
        all = joined;
    }
    regfree(&re);
    free(text);
    return all;
}

static bool fa_text_matches(const char *text, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
        return false;
    bool hit = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

static void test_socket_and_nginx_hardening(void)
{
    char *sock = fa_envfile_get("FOUNDRY_AUTH_SOCKET");
    struct stat st;
    FA_CHECK_FATAL(sock && stat(sock, &st) == 0, "FOUNDRY_AUTH_SOCKET %s: cannot stat",
                   sock ? sock : "(unset in FA_TEST_ENV_FILE)");
    FA_CHECK(S_ISSOCK(st.st_mode), "%s: expected a socket", sock);
    FA_CHECK((st.st_mode & 0007) == 0, "%s: mode %04o is world-accessible", sock,
             (unsigned)(st.st_mode & 07777));
    free(sock);

    static const char *const proxy[] = {"Proxy: http://evil.invalid:3128", NULL};
    fa_http_response_t *r = fa_http_send("GET", "/healthz", proxy, NULL, NULL);
    FA_CHECK(r->status == 200, "GET /healthz with Proxy header: expected 200, got %ld", r->status);
    fa_http_response_free(r);

    const char *conf_path = fa_env("FA_TEST_NGINX_CONF");
    char *prefix = fa_xstrdup(conf_path);
    char *slash = strrchr(prefix, '/');
    if (slash)
        *slash = '\0';
    char *conf = fa_nginx_conf_text(conf_path, slash ? prefix : ".", 0);
    free(prefix);
    FA_CHECK(fa_text_matches(conf, "fastcgi_param[[:space:]]+HTTP_PROXY[[:space:]]+\"\""),
             "%s: expected fastcgi_param HTTP_PROXY \"\"", conf_path);
    FA_CHECK(fa_text_matches(conf, "fastcgi_next_upstream[[:space:]]+off[[:space:]]*;"),
             "%s: expected fastcgi_next_upstream off", conf_path);
    free(conf);
}

/* Invariant 10 at two layers. nginx 1.22 refuses a repeated Authorization
 * itself (400, "client sent duplicate header line"), so through nginx we can
 * only check that answer is a JSON error; the service's own refusal is
 * checked by sending it the two params directly over FastCGI (cgi-fcgi
 * forwards every environment entry, duplicates included), as another proxy
 * or HTTP/2 in front could deliver them. */
static void test_duplicate_authorization(void)
{
    static const char raw[] = "GET /v1/auth/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer aaaa.bbbb\r\n"
                              "Authorization: Bearer cccc.dddd\r\n"
                              "Connection: close\r\n\r\n";
    fa_http_response_t *r = fa_raw_request(raw, sizeof raw - 1);
    FA_CHECK_JSON_ERROR(r, 400, NULL, "GET /v1/auth/session with two Authorization headers");
    fa_http_response_free(r);
    fa_check_alive("duplicate Authorization");

    char *sock = fa_envfile_get("FOUNDRY_AUTH_SOCKET");
    FA_CHECK_FATAL(sock && *sock == '/', "FOUNDRY_AUTH_SOCKET in FA_TEST_ENV_FILE is not a path");
    char *argv[] = {"/usr/bin/cgi-fcgi", "-bind", "-connect", sock, NULL};
    char *envp[] = {"REQUEST_METHOD=GET",
                    "DOCUMENT_URI=/v1/auth/session",
                    "SCRIPT_NAME=/v1/auth/session",
                    "REQUEST_URI=/v1/auth/session",
                    "QUERY_STRING=",
                    "SERVER_PROTOCOL=HTTP/1.1",
                    "REMOTE_ADDR=127.0.0.1",
                    "HTTP_AUTHORIZATION=Bearer aaaa.bbbb",
                    "HTTP_AUTHORIZATION=Bearer cccc.dddd",
                    NULL};
    fa_run_result_t res;
    fa_run(argv, envp, 5000, &res);
    FA_CHECK(
        strstr(res.out, "Status: 400") && strstr(res.out, "\"duplicate_authorization\""),
        "FastCGI GET /v1/auth/session with two HTTP_AUTHORIZATION params: expected Status: 400 "
        "{\"error\":\"duplicate_authorization\"}, got exit %d: %.400s",
        res.exit_code, res.out);
    fa_run_result_free(&res);
    free(sock);
}

static int fa_foundation_init(void)
{
    /* Fail early and clearly when run outside scripts/test. */
    static const char *const required[] = {"FA_TEST_URL",
                                           "FA_TEST_DATABASE_URL",
                                           "FA_TEST_ROOT",
                                           "FA_TEST_BIN",
                                           "FA_TEST_TMP",
                                           "FA_TEST_SERVICE_PIDFILE",
                                           "FA_TEST_SERVICE_LOG",
                                           "FA_TEST_ENV_FILE",
                                           "FA_TEST_PG_STOP",
                                           "FA_TEST_PG_START",
                                           "FA_TEST_MIGRATE",
                                           "FA_TEST_NGINX_CONF",
                                           NULL};
    for (size_t i = 0; required[i]; i++)
        fa_env(required[i]);
    return 0;
}

void fa_register_foundation_suite(void)
{
    CU_pSuite s = fa_suite_add("foundation", fa_foundation_init, NULL);
    fa_test_add(s, "healthz and readyz", test_health_and_ready);
    fa_test_add(s, "metrics count concurrent requests", test_metrics_counts_concurrent_requests);
    fa_test_add(s, "404 and 405 are JSON", test_not_found_and_method_not_allowed);
    fa_test_add(s, "pipelined requests get their own answers", test_pipelined_requests);
    fa_test_add(s, "hostile input gets a 4xx JSON error", test_hostile_input);
    fa_test_add(s, "request ids reach the log", test_request_ids);
    fa_test_add(s, "socket mode and nginx hardening", test_socket_and_nginx_hardening);
    fa_test_add(s, "duplicate Authorization is refused", test_duplicate_authorization);
    fa_foundation_add_process_tests(s);
    fa_foundation_add_disruptive_tests(s);
    fa_test_add(s, "logs hold no secrets", test_logs_hold_no_secrets);
}
