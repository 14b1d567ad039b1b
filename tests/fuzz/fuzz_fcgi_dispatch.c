/* Fuzz target for fa_worker_dispatch: one whole request through the real
 * route table, authentication and handlers, without libfcgi. The database
 * points at a closed port (127.0.0.1:1) and GitHub at another, so nothing
 * outside the process is touched: every route that needs PostgreSQL answers
 * 503 quickly, which is what the fuzzer then checks is well formed.
 * Input: FastCGI params, one "NAME=value" per line, up to a line "--"; the
 * bytes after it are the body the reader offers (fewer than CONTENT_LENGTH
 * makes the read fail, as a truncated FastCGI stream would).
 * Invariants checked (abort on violation):
 *  - the response starts with "Status: " and a 3-digit status 100..599 with a
 *    reason, and is never a 500 (hostile input is a 4xx, a dead database 503);
 *  - every header line is "token: value" with no CR, LF or other control byte
 *    inside, the head ends with an empty line, X-Request-Id appears once, and
 *    Content-Length is present exactly when the status allows a body and
 *    equals the body's length;
 *  - no session cookie is ever set (a session cannot exist without the
 *    database), and the body is read at most once, only with a declared
 *    length within FA_MAX_BODY;
 *  - the arena is empty after the reset, and the next request (no
 *    credentials) sees nothing of this one (invariant 9): it gets a 401, a
 *    fresh generated request id and no cookie. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/statements.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/routes.h"
#include "services/services.h"
#include "server/request_worker.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_PARAMS 256

static fa_config_t cfg;
static fa_worker_t worker;
static bool verbose; /* FUZZ_VERBOSE=1: print each response head, to check seeds */

static const char *table_env(const char *name, void *ctx)
{
    (void)ctx;
    static const char *const env[][2] = {
        {"FOUNDRY_AUTH_URL", "https://auth.example.com"},
        {"FOUNDRY_AUTH_SECRET", "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"},
        {"DATABASE_URL", "host=127.0.0.1 port=1 dbname=none connect_timeout=1"},
        {"GITHUB_CLIENT_ID", "Iv1.0123456789abcdef"},
        {"GITHUB_CLIENT_SECRET", "0123456789abcdef0123456789abcdef01234567"},
        {"GITHUB_OAUTH_URL", "http://127.0.0.1:1"},
        {"GITHUB_API_URL", "http://127.0.0.1:1"},
        {"FOUNDRY_GITHUB_TIMEOUT_MS", "200"},
        {"FOUNDRY_TRUSTED_ORIGINS", "https://app.example.com"},
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (strcmp(env[i][0], name) == 0)
            return env[i][1];
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256], warn[512];
    if (!fa_config_load(&cfg, table_env, NULL, err, sizeof(err), warn, sizeof(warn))) {
        fprintf(stderr, "fuzz_fcgi_dispatch: config refused: %s\n", err);
        abort();
    }
    CHECK(fa_metrics_init(1, fa_route_count) == 0);
    fa_metrics_bind_slot(0);
    fa_log_init(FA_LOG_ERROR, "serve"); /* keep request lines out of the fuzzer's output */
    CHECK(fa_statements_register_all()); /* as main.c does before the master forks */
    fa_worker_open(&worker, &cfg, 0);
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    return 0;
}

/* ---- body reader --------------------------------------------------------- */

typedef struct {
    const uint8_t *body;
    size_t available;
    int calls;
} reader_t;

static fa_status_t read_body(void *r, fa_arena_t *arena, size_t length, fa_str_t *out,
                             fa_error_t *err)
{
    reader_t *rd = r;
    rd->calls++;
    CHECK(length > 0 && length <= FA_MAX_BODY);
    if (length > rd->available)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "incomplete_body",
                            "the request body is shorter than Content-Length", NULL);
    char *buf = fa_arena_alloc(arena, length + 1);
    memcpy(buf, rd->body, length);
    buf[length] = '\0';
    *out = (fa_str_t){buf, length};
    return FA_OK;
}

/* ---- response checks ----------------------------------------------------- */

typedef struct {
    int status;
    size_t request_ids;
    char request_id[80];
    bool has_length;
    size_t content_length;
    size_t body_len;
    bool session_cookie;
    bool any_cookie;
    bool www_authenticate;
} parsed_t;

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

static void check_header(parsed_t *p, const char *line, size_t len)
{
    size_t name_len = 0;
    while (name_len < len && is_tchar((unsigned char)line[name_len]))
        name_len++;
    CHECK(name_len > 0 && name_len + 2 <= len && line[name_len] == ':' &&
          line[name_len + 1] == ' ');
    const char *value = line + name_len + 2;
    size_t value_len = len - name_len - 2;
    for (size_t i = 0; i < value_len; i++) {
        unsigned char c = (unsigned char)value[i];
        CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
    if (name_len == 12 && strncasecmp(line, "X-Request-Id", 12) == 0) {
        p->request_ids++;
        CHECK(value_len < sizeof(p->request_id));
        memcpy(p->request_id, value, value_len);
        p->request_id[value_len] = '\0';
    } else if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
        CHECK(!p->has_length && value_len > 0 && value_len <= 8 &&
              strspn(value, "0123456789") >= value_len);
        p->has_length = true;
        p->content_length = strtoul(value, NULL, 10);
    } else if (name_len == 10 && strncasecmp(line, "Set-Cookie", 10) == 0) {
        p->any_cookie = true;
        const char *names[] = {"__Host-foundry_session=", "foundry_session="};
        for (size_t i = 0; i < 2; i++) {
            size_t n = strlen(names[i]);
            /* Clearing it (empty value) is fine; setting one is not. */
            if (value_len > n && strncmp(value, names[i], n) == 0 && value[n] != ';')
                p->session_cookie = true;
        }
    } else if (name_len == 16 && strncasecmp(line, "WWW-Authenticate", 16) == 0) {
        p->www_authenticate = true;
    }
}

static parsed_t check_response(const char *raw, size_t len)
{
    parsed_t p = {0};
    CHECK(len >= 16 && memcmp(raw, "Status: ", 8) == 0);
    for (size_t i = 8; i < 11; i++)
        CHECK(raw[i] >= '0' && raw[i] <= '9');
    p.status = (raw[8] - '0') * 100 + (raw[9] - '0') * 10 + (raw[10] - '0');
    CHECK(p.status >= 100 && p.status <= 599 && raw[11] == ' ');
    const char *end = raw + len, *line = raw;
    bool first = true;
    for (;;) {
        const char *crlf = NULL;
        for (const char *q = line; q + 1 < end; q++) {
            CHECK(*q != '\n'); /* a bare LF would split the head */
            if (q[0] == '\r') {
                CHECK(q[1] == '\n'); /* and so would a bare CR */
                crlf = q;
                break;
            }
        }
        CHECK(crlf != NULL); /* the head is terminated */
        size_t line_len = (size_t)(crlf - line);
        if (first) {
            CHECK(line_len > 12); /* "Status: NNN " and a reason */
            first = false;
        } else if (line_len == 0) {
            line = crlf + 2;
            break;
        } else {
            check_header(&p, line, line_len);
        }
        line = crlf + 2;
    }
    p.body_len = (size_t)(end - line);
    CHECK(p.request_ids == 1);
    CHECK(p.has_length == has_body(p.status));
    if (p.has_length)
        CHECK(p.content_length == p.body_len);
    else
        CHECK(p.body_len == 0);
    return p;
}

static bool generated_id(const char *id)
{
    /* Generated ids: 16 hex (per-worker random prefix) '-' 16 hex (counter). */
    return strlen(id) == 33 && strspn(id, "0123456789abcdef") == 16 && id[16] == '-' &&
           strspn(id + 17, "0123456789abcdef") == 16;
}

/* ---- one run ------------------------------------------------------------- */

static fa_buf_t dispatch(char *const *params, reader_t *reader)
{
    fa_buf_t out;
    fa_buf_init(&out, worker.arena, 4096);
    fa_worker_dispatch(&worker, params, read_body, reader, &out);
    return out;
}

/* A request with no credentials right after: nothing may carry over. */
static void check_next_request_clean(void)
{
    static char *const params[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/v1/auth/session",
                                   "QUERY_STRING=", NULL};
    reader_t none = {0};
    fa_buf_t out = dispatch(params, &none);
    parsed_t p = check_response(out.data, out.len);
    CHECK(p.status == 401 && p.www_authenticate && !p.any_cookie);
    CHECK(generated_id(p.request_id));
    CHECK(none.calls == 0);
    fa_arena_reset(worker.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Params live outside the arena, as libfcgi's envp does. */
    char *params[MAX_PARAMS + 1];
    size_t n = 0, start = 0, body_at = size;
    for (size_t i = 0; i <= size && n < MAX_PARAMS; i++) {
        if (i < size && data[i] != '\n')
            continue;
        if (i - start == 2 && memcmp(data + start, "--", 2) == 0) {
            body_at = i + 1 <= size ? i + 1 : size;
            break;
        }
        params[n++] = strndup((const char *)data + start, i - start);
        start = i + 1;
    }
    params[n] = NULL;
    reader_t reader = {data + body_at, size - body_at, 0};

    fa_buf_t out = dispatch(params, &reader);
    parsed_t p = check_response(out.data, out.len);
    if (verbose)
        fprintf(stderr, "%s -> %.*s\n", n ? params[0] : "", (int)strcspn(out.data, "\r"), out.data);
    if (p.status == 500)
        fprintf(stderr, "500 for this input:\n%.*s\n", (int)out.len, out.data);
    CHECK(p.status != 500);
    CHECK(!p.session_cookie);
    CHECK(reader.calls <= 1);
    fa_arena_reset(worker.arena);
    CHECK(fa_arena_used(worker.arena) == 0);
    check_next_request_clean();

    for (size_t i = 0; i < n; i++)
        free(params[i]);
    return 0;
}
