/* Hostile-input suite, byte level: JSON bodies with invalid UTF-8 and NUL
 * bytes, bodies shorter than their Content-Length (the client stops, or
 * half-closes), 10,000 cookies, a 100 KiB Authorization header, and at the
 * end proof that none of it hurt the service. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile.h"
#include "signin_helpers.h"

/* ---- JSON bodies with bad bytes ----------------------------------------- */

typedef struct {
    const char *text;
    size_t len; /* bytes, NULs included */
} fa_h_bytes_t;

#define FA_H_BYTES(s)                                                                              \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }

/* Values spliced between the quotes of a JSON string member. */
static const fa_h_bytes_t fa_h_bad_values[] = {
    FA_H_BYTES("\xff\xfe"),
    FA_H_BYTES("\xc3\x28"),
    FA_H_BYTES("\xed\xa0\x80"),
    FA_H_BYTES("\xc0\xaf"),
    FA_H_BYTES("\xf4\x90\x80\x80"),
    FA_H_BYTES("a\0b"),
    FA_H_BYTES("\0"),
    FA_H_BYTES("a\\u0000b"),
    FA_H_BYTES("\\ud800"),
    FA_H_BYTES("\\udc00\\ud800"),
    FA_H_BYTES("\\u00"),
    FA_H_BYTES("\x01\x1f"),
};

static void fa_h_bad_json_to(const char *method, const char *path, const char *bearer,
                             const char *key, const char *prefix)
{
    for (size_t i = 0; i < sizeof fa_h_bad_values / sizeof fa_h_bad_values[0]; i++) {
        const fa_h_bytes_t *v = &fa_h_bad_values[i];
        /* {<prefix>"key":"<bytes>"} */
        size_t cap = strlen(prefix) + strlen(key) + v->len + 16;
        char *body = fa_xmalloc(cap);
        int head = snprintf(body, cap, "{%s\"%s\":\"", prefix, key);
        memcpy(body + head, v->text, v->len);
        memcpy(body + head + v->len, "\"}", 3);
        size_t len = (size_t)head + v->len + 2;
        fa_http_response_t *r = fa_h_send(method, path, bearer, "application/json", body, len);
        char what[160];
        snprintf(what, sizeof what, "%s %s with bad bytes #%zu in %s", method, path, i, key);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r);
        free(body);
    }
}

void fa_hostile_raw_json_bodies(void)
{
    char *label = fa_xasprintf("/v1/admin/users/%s/role-label", fa_h.user.id_text);
    fa_h_bad_json_to("POST", "/v1/app/organizations/select", fa_h.user.session, "organizationId",
                     "");
    fa_h_bad_json_to("POST", "/v1/auth/token/verify", NULL, "token", "\"audience\":\"api.test\",");
    fa_h_bad_json_to("POST", "/v1/auth/token/verify", NULL, "audience", "\"token\":\"x\",");
    fa_h_bad_json_to("POST", "/v1/auth/dev/bootstrap", NULL, "githubToken", "");
    fa_h_bad_json_to("POST", "/v1/auth/token", fa_h.user.session, "scope",
                     "\"audience\":\"api.test\",");
    fa_h_bad_json_to("PUT", label, fa_h.admin, "roleLabel", "");
    free(label);
    /* Not JSON at all, or JSON of the wrong shape. */
    static const fa_h_bytes_t bodies[] = {
        FA_H_BYTES(""),
        FA_H_BYTES("{"),
        FA_H_BYTES("[]"),
        FA_H_BYTES("null"),
        FA_H_BYTES("\0"),
        FA_H_BYTES("{}garbage"),
        FA_H_BYTES("{\"organizationId\":1,}"),
        FA_H_BYTES("{\"organizationId\":\"1\",\"organizationId\":\"2\"}"),
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        fa_http_response_t *r =
            fa_h_send("POST", "/v1/app/organizations/select", fa_h.user.session, "application/json",
                      bodies[i].len ? bodies[i].text : "", bodies[i].len);
        char what[160];
        snprintf(what, sizeof what, "POST select with body #%zu", i);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r);
    }
}

/* ---- raw connections ------------------------------------------------------ */

static int fa_h_connect(void)
{
    const char *url = fa_env("FA_TEST_URL");
    const char *colon = strrchr(url, ':');
    int port = colon ? atoi(colon + 1) : 80;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Sends raw, optionally half-closes, reads for up to timeout_ms; returns the
 * status of the first response (0 when nothing came back). */
static long fa_h_raw(const char *raw, size_t len, bool half_close, long timeout_ms, char *body,
                     size_t body_cap)
{
    int fd = fa_h_connect();
    FA_CHECK_FATAL(fd >= 0, "cannot connect to FA_TEST_URL: %s", strerror(errno));
    send(fd, raw, len, MSG_NOSIGNAL);
    if (half_close)
        shutdown(fd, SHUT_WR);
    char buf[8192];
    size_t n = 0;
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    while (n < sizeof buf - 1) {
        long left = (long)((deadline - fa_now()) * 1000.0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    long status = strncmp(buf, "HTTP/1.", 7) == 0 ? strtol(buf + 9, NULL, 10) : 0;
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(body, body_cap, "%s", b ? b + 4 : "");
    return status;
}

static void test_truncated_bodies(void)
{
    fa_h_setup();
    char *since = fa_h_mark();
    char *host = fa_test_origin();
    const char *authority = strstr(host, "://") + 3;
    char *body = fa_xasprintf("{\"organizationId\":\"%s\"}", fa_h.user.id_text);
    struct {
        const char *path;
        const char *bearer;
        const char *body;
    } targets[] = {
        {"/v1/app/organizations/select", fa_h.user.session, body},
        {"/v1/auth/token/verify", NULL, "{\"token\":\"x\",\"audience\":\"api.test\"}"},
        {"/v1/auth/dev/bootstrap", NULL, "{\"githubToken\":\"gho_x\"}"},
    };
    long answered = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
        for (int half = 0; half < 2; half++) {
            /* The whole JSON is sent, but Content-Length promises more. */
            char *auth = targets[t].bearer
                             ? fa_xasprintf("Authorization: Bearer %s\r\n", targets[t].bearer)
                             : fa_xstrdup("");
            char *raw = fa_xasprintf("POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: "
                                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                     targets[t].path, authority, auth,
                                     strlen(targets[t].body) + 100, targets[t].body);
            char got[512];
            double t0 = fa_now();
            long status = fa_h_raw(raw, strlen(raw), half == 1, 1500, got, sizeof got);
            double took = fa_now() - t0;
            fa_h.requests++;
            fa_h.status_4xx += status >= 400 && status < 500;
            fa_h.status_5xx += status >= 500;
            answered += status != 0;
            FA_CHECK(status == 0 || (status >= 400 && status < 500),
                     "POST %s with %zu bytes missing from its body%s: expected no answer or a "
                     "4xx, got %ld %.200s",
                     targets[t].path, (size_t)100, half ? " (then half-closed)" : "", status, got);
            FA_CHECK(took < 2.5, "truncated body: the exchange took %.2f s", took);
            free(raw);
            free(auth);
        }
    fa_http_response_t *r = fa_http_get("/healthz");
    FA_CHECK(r->status == 200, "GET /healthz after truncated bodies: %ld", r->status);
    fa_http_response_free(r);
    fa_h_expect_no_writes(since, "truncated bodies", 0);
    printf("\n    truncated bodies: 6 requests %ld of them answered (4xx), the rest cut by the "
           "client; none reached a handler\n",
           answered);
    free(body);
    free(host);
    free(since);
}

/* ---- 10,000 cookies and a 100 KiB Authorization header -------------------- */

static char *fa_h_cookie_list(int from, int count, const char *extra)
{
    size_t cap = (size_t)count * 16 + (extra ? strlen(extra) : 0) + 16;
    char *s = fa_xmalloc(cap);
    size_t n = 0;
    for (int i = from; i < from + count; i++)
        n += (size_t)snprintf(s + n, cap - n, "%sc%d=v", i > from ? "; " : "", i);
    if (extra)
        n += (size_t)snprintf(s + n, cap - n, "; %s", extra);
    return s;
}

static void fa_h_cookie_header(int count, const char *extra, const char *what)
{
    char *list = fa_h_cookie_list(0, count, extra);
    char *header = fa_xasprintf("Cookie: %s", list);
    const char *headers[] = {header, NULL};
    fa_http_response_t *r = fa_http_send("GET", "/v1/auth/session", headers, NULL, NULL);
    fa_h_expect_4xx(r, what);
    fa_http_response_free(r);
    free(header);
    free(list);
}

static void test_cookies_and_authorization(void)
{
    fa_h_setup();
    char *since = fa_h_mark();
    char *session = fa_xasprintf("%s=%s", fa_session_cookie_name(), fa_h.user.session);
    fa_h_cookie_header(10000, NULL, "10,000 cookies in one Cookie header");
    fa_h_cookie_header(10000, session, "10,000 cookies and a live session cookie");
    fa_h_cookie_header(60, session, "60 cookies (over the service's 50) with a live session");

    /* The same 10,000 spread over 100 Cookie headers (raw: curl would merge). */
    char *origin = fa_test_origin();
    size_t cap = 200000, n = 0;
    char *raw = fa_xmalloc(cap);
    n += (size_t)snprintf(raw, cap, "GET /v1/auth/session HTTP/1.1\r\nHost: %s\r\n",
                          strstr(origin, "://") + 3);
    for (int h = 0; h < 100; h++) {
        char *list = fa_h_cookie_list(h * 100, 100, h == 50 ? session : NULL);
        n += (size_t)snprintf(raw + n, cap - n, "Cookie: %s\r\n", list);
        free(list);
    }
    n += (size_t)snprintf(raw + n, cap - n, "Connection: close\r\n\r\n");
    fa_http_response_t *r = fa_raw_request(raw, n);
    fa_h_expect_4xx(r, "10,000 cookies in 100 Cookie headers");
    fa_http_response_free(r);
    free(raw);

    static const size_t sizes[] = {100 * 1024, 9 * 1024};
    for (size_t i = 0; i < 2; i++) {
        char *big = fa_xmalloc(sizes[i] + 1);
        memset(big, 'A', sizes[i]);
        big[sizes[i]] = '\0';
        char *header = fa_xasprintf("Authorization: Bearer %s", big);
        const char *headers[] = {header, NULL};
        r = fa_http_send("GET", "/v1/auth/session", headers, NULL, NULL);
        char what[96];
        snprintf(what, sizeof what, "an Authorization header of %zu KiB", sizes[i] / 1024);
        fa_h_expect_4xx(r, what);
        fa_http_response_free(r);
        free(header);
        free(big);
    }
    /* A live token padded past the service's header limit is not honoured. */
    char *padded = fa_xasprintf("Authorization: Bearer %s%*s", fa_h.user.session, 9000, "");
    const char *headers[] = {padded, NULL};
    r = fa_http_send("GET", "/v1/auth/session", headers, NULL, NULL);
    fa_h_expect_4xx(r, "a live bearer token padded to 9 KiB");
    fa_http_response_free(r);
    free(padded);
    free(origin);
    free(session);
    fa_h_expect_no_writes(since, "cookies and Authorization", 0);
    free(since);
}

/* ---- nothing hurt --------------------------------------------------------- */

static void test_service_unharmed(void)
{
    fa_h_setup();
    pid_t now[FA_MAX_WORKERS];
    size_t n = fa_workers(now, FA_MAX_WORKERS);
    FA_CHECK(n == fa_h.workers && memcmp(now, fa_h.worker_pids, n * sizeof now[0]) == 0,
             "the workers changed during the hostile-input suite (%zu before, %zu now): one "
             "crashed",
             fa_h.workers, n);
    fa_http_response_t *r = fa_bearer_request("GET", "/v1/auth/session", fa_h.user.session, NULL);
    FA_CHECK(r->status == 200, "the hostile user's session after the suite: %ld", r->status);
    fa_http_response_free(r);
    FA_CHECK(fa_h.status_5xx == 0, "%ld hostile requests were answered 5xx (or not at all)",
             fa_h.status_5xx);
    FA_CHECK(fa_h.requests > 400, "only %ld hostile requests were checked", fa_h.requests);
    printf("\n    hostile input: %ld requests; %ld answered 4xx JSON, %ld redirected (sign-in "
           "page with authError, or on to GitHub with a safe returnTo: %lld), %ld 5xx; "
           "nothing written; workers unchanged\n",
           fa_h.requests, fa_h.status_4xx, fa_h.redirects, fa_h.starts, fa_h.status_5xx);
}

void fa_hostile_add_raw_tests(CU_pSuite suite)
{
    fa_test_add(suite, "truncated bodies", test_truncated_bodies);
    fa_test_add(suite, "10,000 cookies, 100 KiB Authorization", test_cookies_and_authorization);
    fa_test_add(suite, "the service is unharmed", test_service_unharmed);
}
