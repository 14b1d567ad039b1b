/* One request through fa_worker_dispatch (worker.c) without libfcgi: params
 * in, serialized CGI response out. A real arena, a config loaded from a
 * table, a database that is never reachable (port 1) and the real route
 * table. After each dispatch the arena is reset as the worker loop does, so
 * the invariant-9 tests see exactly what a second request would see. */
#include <jansson.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "admin/statements.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/routes.h"
#include "services/services.h"
#include "server/request_worker.h"
#include "unit_test.h"

static fa_config_t cfg;
static fa_worker_t worker;

static const char *table_env(const char *name, void *ctx)
{
    (void)ctx;
    static const char *const env[][2] = {
        {"FOUNDRY_AUTH_URL", "https://auth.example.com"},
        {"FOUNDRY_AUTH_SECRET", "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"},
        {"DATABASE_URL", "host=127.0.0.1 port=1 dbname=none"},
        {"GITHUB_CLIENT_ID", "Iv1.0123456789abcdef"},
        {"GITHUB_CLIENT_SECRET", "0123456789abcdef0123456789abcdef01234567"},
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (strcmp(env[i][0], name) == 0)
            return env[i][1];
    return NULL;
}

/* ---- body reader stub ---------------------------------------------------- */

typedef struct {
    int calls;
    size_t length;
    fa_status_t result;
} reader_t;

static reader_t reader;

static fa_status_t stub_read_body(void *r, fa_arena_t *a, size_t length, fa_str_t *out,
                                  fa_error_t *err)
{
    reader_t *rd = r;
    rd->calls++;
    rd->length = length;
    if (rd->result != FA_OK)
        return fa_error_set(err, rd->result, "body_unreadable", "request body could not be read",
                            NULL);
    char *body = fa_arena_calloc(a, length + 1, 1);
    memset(body, 'b', length);
    *out = (fa_str_t){body, length};
    return FA_OK;
}

/* ---- one dispatch and its parsed response ------------------------------- */

typedef struct {
    char *raw; /* malloc'd copy: the arena is reset right after dispatch */
    size_t len;
    int status;
    const char *body;
    size_t body_len;
} resp_t;

static resp_t resp;

static void resp_clear(void)
{
    free(resp.raw);
    memset(&resp, 0, sizeof(resp));
}

static void dispatch(char *const *params)
{
    resp_clear();
    fa_buf_t out;
    fa_buf_init(&out, worker.arena, 4096);
    fa_worker_dispatch(&worker, params, stub_read_body, &reader, &out);
    resp.raw = malloc(out.len + 1);
    if (!resp.raw)
        abort();
    memcpy(resp.raw, out.data, out.len);
    resp.raw[out.len] = '\0';
    resp.len = out.len;
    fa_arena_reset(worker.arena);
    CU_ASSERT_EQUAL(fa_arena_used(worker.arena), 0);

    if (sscanf(resp.raw, "Status: %d ", &resp.status) != 1)
        resp.status = -1;
    const char *sep = strstr(resp.raw, "\r\n\r\n");
    resp.body = sep ? sep + 4 : "";
    resp.body_len = sep ? resp.len - (size_t)(resp.body - resp.raw) : 0;
}

/* Value of the first response header called name (case-insensitive), copied
 * into a static buffer; NULL when absent. */
static const char *header(const char *name)
{
    static char value[512];
    size_t n = strlen(name);
    const char *end_of_head = strstr(resp.raw, "\r\n\r\n");
    for (const char *line = strstr(resp.raw, "\r\n"); line && line < end_of_head;
         line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, n) == 0 && l[n] == ':' && l[n + 1] == ' ') {
            const char *v = l + n + 2;
            size_t len = strcspn(v, "\r\n");
            if (len >= sizeof(value))
                len = sizeof(value) - 1;
            memcpy(value, v, len);
            value[len] = '\0';
            return value;
        }
    }
    return NULL;
}

static size_t header_count(const char *name)
{
    size_t count = 0, n = strlen(name);
    const char *end_of_head = strstr(resp.raw, "\r\n\r\n");
    for (const char *line = strstr(resp.raw, "\r\n"); line && line < end_of_head;
         line = strstr(line + 2, "\r\n"))
        count += strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':';
    return count;
}

static void assert_header(const char *name, const char *want)
{
    const char *got = header(name);
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "\n  header %s: got \"%s\", want \"%s\"\n", name, got ? got : "(none)",
                want);
    CU_ASSERT(got && strcmp(got, want) == 0);
}

/* The JSON error body's "error" member equals code. */
static void assert_error_body(int status, const char *code)
{
    if (resp.status != status)
        fprintf(stderr, "\n  status: got %d, want %d\n  %s\n", resp.status, status, resp.raw);
    CU_ASSERT_EQUAL(resp.status, status);
    assert_header("Content-Type", "application/json");
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const char *got = json_string_value(json_object_get(j, "error"));
    if (!got || strcmp(got, code) != 0)
        fprintf(stderr, "\n  error: got \"%s\", want \"%s\"\n", got ? got : "(none)", code);
    CU_ASSERT(got && strcmp(got, code) == 0);
    CU_ASSERT(json_is_string(json_object_get(j, "message")));
    json_decref(j);
}

static bool is_generated_id(const char *id)
{
    /* Generated ids: 16 hex (per-worker random prefix) '-' 16 hex (counter). */
    return id && strlen(id) == 33 && strspn(id, "0123456789abcdef") == 16 && id[16] == '-' &&
           strspn(id + 17, "0123456789abcdef") == 16;
}

static void assert_security_headers(void)
{
    assert_header("X-Content-Type-Options", "nosniff");
    assert_header("X-Frame-Options", "DENY");
    assert_header("Referrer-Policy", "no-referrer");
    assert_header("Cache-Control", "no-store");
    CU_ASSERT_PTR_NOT_NULL(header("Content-Security-Policy"));
    CU_ASSERT_EQUAL(header_count("X-Request-Id"), 1);
    CU_ASSERT(resp.len >= 2 && strncmp(resp.raw, "Status: ", 8) == 0);
    /* Content-Length is the real body length. */
    const char *cl = header("Content-Length");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
    CU_ASSERT_EQUAL(strtoul(cl, NULL, 10), resp.body_len);
}

/* ---- tests --------------------------------------------------------------- */

static void test_healthz(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "QUERY_STRING=", NULL};
    dispatch(p);
    CU_ASSERT_EQUAL(resp.status, 200);
    CU_ASSERT(strncmp(resp.raw, "Status: 200 OK\r\n", 16) == 0);
    assert_header("Content-Type", "application/json");
    assert_security_headers();
    CU_ASSERT(is_generated_id(header("X-Request-Id")));
    CU_ASSERT_EQUAL(resp.body_len, strlen("{\"status\":\"ok\"}"));
    CU_ASSERT(strncmp(resp.body, "{\"status\":\"ok\"}", resp.body_len) == 0);
}

static void test_head_healthz(void)
{
    char *p[] = {"REQUEST_METHOD=HEAD", "DOCUMENT_URI=/healthz", NULL};
    dispatch(p);
    CU_ASSERT_EQUAL(resp.status, 200);
    CU_ASSERT_PTR_NOT_NULL(header("X-Request-Id"));
}

static void test_request_id_echoed(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "HTTP_X_REQUEST_ID=abc-123", NULL};
    dispatch(p);
    CU_ASSERT_EQUAL(resp.status, 200);
    assert_header("X-Request-Id", "abc-123");
    CU_ASSERT_EQUAL(header_count("X-Request-Id"), 1);
}

static void test_request_id_64_chars_kept(void)
{
    char param[128] = "HTTP_X_REQUEST_ID=";
    size_t n = strlen(param);
    memset(param + n, 'a', 64);
    param[n + 64] = '\0';
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", param, NULL};
    dispatch(p);
    assert_header("X-Request-Id", param + n);
}

static void test_invalid_request_id_replaced(void)
{
    char long_id[160] = "HTTP_X_REQUEST_ID=";
    size_t n = strlen(long_id);
    memset(long_id + n, 'a', 100);
    long_id[n + 100] = '\0';
    char *ids[] = {
        "HTTP_X_REQUEST_ID=abc 123",    long_id,
        "HTTP_X_REQUEST_ID=",           "HTTP_X_REQUEST_ID=abc\r\nSet-Cookie: x=1",
        "HTTP_X_REQUEST_ID=\"quoted\"", "HTTP_X_REQUEST_ID=caf\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", ids[i], NULL};
        dispatch(p);
        CU_ASSERT_EQUAL(resp.status, 200);
        const char *id = header("X-Request-Id");
        if (!is_generated_id(id))
            fprintf(stderr, "\n  case %zu: X-Request-Id \"%s\"\n", i, id ? id : "(none)");
        CU_ASSERT(is_generated_id(id));
        CU_ASSERT_EQUAL(header_count("Set-Cookie"), 0);
    }
}

static void test_generated_ids_differ(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", NULL};
    dispatch(p);
    char first[64];
    snprintf(first, sizeof(first), "%s", header("X-Request-Id") ? header("X-Request-Id") : "");
    dispatch(p);
    const char *second = header("X-Request-Id");
    CU_ASSERT(is_generated_id(first));
    CU_ASSERT(is_generated_id(second));
    CU_ASSERT(second && strcmp(first, second) != 0);
}

static void test_unknown_path_404(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/no/such/endpoint", NULL};
    dispatch(p);
    assert_error_body(404, "not_found");
    assert_security_headers();
}

static void test_post_healthz_405(void)
{
    char *p[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/healthz", NULL};
    dispatch(p);
    assert_error_body(405, "method_not_allowed");
    assert_header("Allow", "GET, HEAD");
    assert_security_headers();
}

static void test_duplicate_authorization_400(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "HTTP_AUTHORIZATION=Bearer first",
                 "HTTP_AUTHORIZATION=Bearer second", NULL};
    dispatch(p);
    assert_error_body(400, "duplicate_authorization");
    assert_security_headers();
    /* A single one is fine. */
    char *one[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "HTTP_AUTHORIZATION=Bearer first",
                   NULL};
    dispatch(one);
    CU_ASSERT_EQUAL(resp.status, 200);
}

static void test_bad_query_encoding_400(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "QUERY_STRING=x=%zz", NULL};
    dispatch(p);
    assert_error_body(400, "bad_encoding");
    CU_ASSERT_PTR_NOT_NULL(header("X-Request-Id"));
}

static void test_big_header_431(void)
{
    size_t big = 20 * 1024;
    char *param = malloc(strlen("HTTP_X_BIG=") + big + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(param);
    strcpy(param, "HTTP_X_BIG=");
    memset(param + strlen("HTTP_X_BIG="), 'v', big);
    param[strlen("HTTP_X_BIG=") + big] = '\0';
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", param, NULL};
    dispatch(p);
    free(param);
    assert_error_body(431, "header_too_large");
    assert_security_headers();
    CU_ASSERT_PTR_NULL(strstr(resp.raw, "vvvvvvvv")); /* the value is not echoed */
}

static void test_missing_method_400(void)
{
    char *p[] = {"DOCUMENT_URI=/healthz", NULL};
    dispatch(p);
    CU_ASSERT_EQUAL(resp.status, 400);
    CU_ASSERT_PTR_NOT_NULL(header("X-Request-Id"));
    char *empty[] = {NULL};
    dispatch(empty);
    CU_ASSERT_EQUAL(resp.status, 400);
}

static void test_body_too_large_413(void)
{
    memset(&reader, 0, sizeof(reader));
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "CONTENT_LENGTH=2000000", NULL};
    dispatch(p);
    CU_ASSERT_EQUAL(resp.status, 413);
    CU_ASSERT_EQUAL(reader.calls, 0); /* refused before reading */
}

static void test_body_read_only_for_matched_route(void)
{
    memset(&reader, 0, sizeof(reader));
    char *miss[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/nope", "CONTENT_LENGTH=3", NULL};
    dispatch(miss);
    CU_ASSERT_EQUAL(resp.status, 404);
    CU_ASSERT_EQUAL(reader.calls, 0);
    char *hit[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "CONTENT_LENGTH=3", NULL};
    dispatch(hit);
    CU_ASSERT_EQUAL(resp.status, 200);
    CU_ASSERT_EQUAL(reader.calls, 1);
    CU_ASSERT_EQUAL(reader.length, 3);
    char *none[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "CONTENT_LENGTH=", NULL};
    dispatch(none);
    CU_ASSERT_EQUAL(reader.calls, 1); /* no body, no read */
}

static void test_body_reader_error_answered(void)
{
    memset(&reader, 0, sizeof(reader));
    reader.result = FA_ERR_BAD_REQUEST;
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "CONTENT_LENGTH=10", NULL};
    dispatch(p);
    assert_error_body(400, "body_unreadable");
    CU_ASSERT_EQUAL(reader.calls, 1);
    reader.result = FA_OK;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_readyz_database_down_503_fast(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/readyz", NULL};
    for (int i = 0; i < 3; i++) {
        double start = now_seconds();
        dispatch(p);
        double elapsed = now_seconds() - start;
        if (elapsed >= 1.0)
            fprintf(stderr, "\n  /readyz took %.3f s\n", elapsed);
        CU_ASSERT(elapsed < 1.0);
        assert_error_body(503, "database_unavailable");
        assert_security_headers();
    }
}

static long long healthz_200(void)
{
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/metrics", NULL};
    dispatch(p);
    if (resp.status != 200)
        return -1;
    const char *key = "foundry_auth_http_requests_total{route=\"healthz\",status=\"200\"} ";
    const char *line = strstr(resp.body, key);
    return line ? strtoll(line + strlen(key), NULL, 10) : 0;
}

static void test_metrics_count_requests(void)
{
    long long before = healthz_200();
    CU_ASSERT(before >= 0);
    CU_ASSERT_PTR_NOT_NULL(header("Content-Type"));
    CU_ASSERT(header("Content-Type") && strncmp(header("Content-Type"), "text/plain", 10) == 0);
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", NULL};
    for (int i = 0; i < 3; i++)
        dispatch(p);
    CU_ASSERT_EQUAL(healthz_200(), before + 3);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(resp.body, "foundry_auth_http_requests_total{route=\"unmatched\",status=\"404\"}"));
}

/* Invariant 9: nothing of one request reaches the next one. */
static void test_nothing_leaks_to_next_request(void)
{
    char *first[] = {"REQUEST_METHOD=GET",
                     "DOCUMENT_URI=/healthz",
                     "HTTP_X_REQUEST_ID=first-request-id",
                     "HTTP_AUTHORIZATION=Bearer one",
                     "HTTP_AUTHORIZATION=Bearer two",
                     "HTTP_COOKIE=__Host-foundry_session=secretvalue",
                     NULL};
    dispatch(first);
    CU_ASSERT_EQUAL(resp.status, 400);
    assert_header("X-Request-Id", "first-request-id");

    char *second[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", NULL};
    dispatch(second);
    CU_ASSERT_EQUAL(resp.status, 200); /* the first one's Authorization pair is gone */
    const char *id = header("X-Request-Id");
    CU_ASSERT(id && strcmp(id, "first-request-id") != 0);
    CU_ASSERT(is_generated_id(id));
    CU_ASSERT_PTR_NULL(strstr(resp.raw, "first-request-id"));
    CU_ASSERT_PTR_NULL(strstr(resp.raw, "secretvalue"));
    CU_ASSERT_PTR_NULL(strstr(resp.raw, "duplicate_authorization"));
    CU_ASSERT_EQUAL(header_count("X-Request-Id"), 1);
    CU_ASSERT_EQUAL(header_count("Content-Type"), 1);

    /* A 405's Allow header does not stick to the next response. */
    char *post[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/healthz", NULL};
    dispatch(post);
    CU_ASSERT_PTR_NOT_NULL(header("Allow"));
    dispatch(second);
    CU_ASSERT_PTR_NULL(header("Allow"));
    CU_ASSERT_EQUAL(resp.status, 200);
}

/* The log tag is cleared after the request: a line logged between requests
 * carries no request id, and the request line itself carries the right one. */
static void test_request_log_line_and_cleared_tag(void)
{
    fa_log_init(FA_LOG_INFO, "serve");
    char *p[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/healthz", "HTTP_X_REQUEST_ID=abc-123", NULL};
    capture_begin();
    dispatch(p);
    fa_log_info("test", "between requests");
    char *text = capture_end();
    fa_log_init(FA_LOG_ERROR, "serve");

    json_t *request_line = NULL, *between = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        CU_ASSERT_PTR_NOT_NULL(j);
        if (!j)
            continue;
        const char *event = json_string_value(json_object_get(j, "event"));
        const char *msg = json_string_value(json_object_get(j, "msg"));
        if (event && strcmp(event, "request") == 0 && !request_line)
            request_line = json_incref(j);
        if (msg && strcmp(msg, "between requests") == 0 && !between)
            between = json_incref(j);
        json_decref(j);
    }
    free(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(request_line);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(request_line, "request_id")),
                           "abc-123");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(request_line, "method")), "GET");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(request_line, "route")), "healthz");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(request_line, "path")), "/healthz");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(request_line, "status")), 200);
    CU_ASSERT(json_is_number(json_object_get(request_line, "duration_ms")));
    CU_ASSERT_PTR_NULL(json_object_get(request_line, "user_id")); /* nobody signed in */
    CU_ASSERT_PTR_NOT_NULL_FATAL(between);
    CU_ASSERT_PTR_NULL(json_object_get(between, "request_id"));
    json_decref(request_line);
    json_decref(between);
}

/* ---- set-up -------------------------------------------------------------- */

static int suite_init(void)
{
    char err[256], warn[256];
    if (!fa_config_load(&cfg, table_env, NULL, err, sizeof(err), warn, sizeof(warn))) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (fa_metrics_init(1, fa_route_count) != 0)
        return -1;
    fa_metrics_bind_slot(0);
    fa_log_init(FA_LOG_ERROR, "serve"); /* request lines only where a test reads them */
    if (!fa_statements_register_all())  /* as main.c does before the master forks */
        return -1;
    fa_worker_open(&worker, &cfg, 0);
    return 0;
}

static int suite_cleanup(void)
{
    resp_clear();
    fa_worker_close(&worker);
    fa_config_free(&cfg);
    return 0;
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_healthz),
        TEST(test_head_healthz),
        TEST(test_request_id_echoed),
        TEST(test_request_id_64_chars_kept),
        TEST(test_invalid_request_id_replaced),
        TEST(test_generated_ids_differ),
        TEST(test_unknown_path_404),
        TEST(test_post_healthz_405),
        TEST(test_duplicate_authorization_400),
        TEST(test_bad_query_encoding_400),
        TEST(test_big_header_431),
        TEST(test_missing_method_400),
        TEST(test_body_too_large_413),
        TEST(test_body_read_only_for_matched_route),
        TEST(test_body_reader_error_answered),
        TEST(test_readyz_database_down_503_fast),
        TEST(test_metrics_count_requests),
        TEST(test_nothing_leaks_to_next_request),
        TEST(test_request_log_line_and_cleared_tag),
    };
    static const fa_unit_suite_t suite = {
        .name = "server/dispatch", .init = suite_init, .cleanup = suite_cleanup};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
