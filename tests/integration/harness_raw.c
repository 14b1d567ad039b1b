/* Raw HTTP/1.1 over a TCP socket to nginx, for bytes libcurl would refuse or
 * normalise: pipelined requests on one connection, duplicate headers, NUL
 * bytes, malformed escapes. The reader understands just what nginx sends
 * back (Content-Length, chunked, or read-until-close). Never: retries. */
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

/* Host and port of FA_TEST_URL, parsed by libcurl's URL API. */
static int fa_raw_connect(void)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    int fd = -1;
    if (curl_url_set(u, CURLUPART_URL, fa_env("FA_TEST_URL"), 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        fprintf(stderr, "fa_integration: cannot parse FA_TEST_URL\n");
        exit(2);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        goto out;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
out:
    if (ai)
        freeaddrinfo(ai);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return fd;
}

static bool fa_raw_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false; /* the server may answer and close early: still read */
        p += w, n -= (size_t)w;
    }
    return true;
}

/* Reads until EOF, error or the deadline; returns a NUL-terminated buffer. */
static char *fa_raw_read_all(int fd, long timeout_ms, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = fa_xmalloc(cap);
    double deadline = fa_now() + (double)timeout_ms / 1000.0;
    for (;;) {
        long left = (long)((deadline - fa_now()) * 1000.0);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        if (cap - n < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static const char *fa_find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

/* Decodes a chunked body at p; returns the end of the message or NULL when
 * incomplete. */
static const char *fa_raw_dechunk(const char *p, const char *end, char **body, size_t *blen)
{
    size_t cap = 1024, n = 0;
    char *out = fa_xmalloc(cap);
    for (;;) {
        const char *eol = fa_find_crlf(p, end);
        if (eol == NULL)
            goto fail;
        size_t size = strtoul(p, NULL, 16);
        p = eol + 2;
        if (size == 0) {
            const char *trailer_end = fa_find_crlf(p, end); /* no trailers from nginx */
            p = trailer_end ? trailer_end + 2 : end;
            break;
        }
        if ((size_t)(end - p) < size + 2)
            goto fail;
        if (n + size + 1 > cap) {
            while (n + size + 1 > cap)
                cap *= 2;
            out = realloc(out, cap);
            if (out == NULL)
                abort();
        }
        memcpy(out + n, p, size);
        n += size;
        p += size + 2;
    }
    out[n] = '\0';
    *body = out;
    *blen = n;
    return p;
fail:
    free(out);
    return NULL;
}

static void fa_raw_add_header(fa_http_response_t *res, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL)
        return;
    res->headers = realloc(res->headers, (res->header_count + 1) * sizeof *res->headers);
    if (res->headers == NULL)
        abort();
    const char *v = colon + 1;
    while (v < line + n && (*v == ' ' || *v == '\t'))
        v++;
    fa_http_header_t *h = &res->headers[res->header_count++];
    h->name = strndup(line, (size_t)(colon - line));
    h->value = strndup(v, (size_t)(line + n - v));
}

/* Parses one response at p; returns where the next starts, NULL when p holds
 * no complete status line and header block. */
static const char *fa_raw_parse_one(const char *p, const char *end, fa_http_response_t **out)
{
    const char *eol = fa_find_crlf(p, end);
    if (eol == NULL || end - p < 12 || strncmp(p, "HTTP/", 5) != 0)
        return NULL;
    fa_http_response_t *res = calloc(1, sizeof *res);
    if (res == NULL)
        abort();
    const char *sp = memchr(p, ' ', (size_t)(eol - p));
    res->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    for (p = eol + 2; (eol = fa_find_crlf(p, end)) != NULL && eol != p; p = eol + 2)
        fa_raw_add_header(res, p, (size_t)(eol - p));
    p = eol ? eol + 2 : end;
    const char *te = fa_http_header(res, "Transfer-Encoding");
    const char *cl = fa_http_header(res, "Content-Length");
    const char *next = end;
    if (te && strcasecmp(te, "chunked") == 0) {
        next = fa_raw_dechunk(p, end, &res->body, &res->body_len);
        if (next == NULL)
            next = end; /* truncated: keep what headers say, body empty */
    } else {
        size_t n = (size_t)(end - p);
        if (res->status == 204 || res->status == 304 || (res->status >= 100 && res->status < 200))
            n = 0;
        else if (cl)
            n = strtoul(cl, NULL, 10) < n ? strtoul(cl, NULL, 10) : n;
        res->body = strndup(p, n);
        res->body_len = n;
        next = p + n;
    }
    if (res->body == NULL)
        res->body = fa_xstrdup("");
    *out = res;
    return next;
}

size_t fa_raw_exchange(const char *raw, size_t len, long timeout_ms, fa_http_response_t **out,
                       size_t max)
{
    double start = fa_now();
    int fd = fa_raw_connect();
    if (fd < 0) {
        fprintf(stderr, "fa_integration: raw connect to %s failed\n", fa_env("FA_TEST_URL"));
        return 0;
    }
    fa_raw_write_all(fd, raw, len);
    size_t n = 0, count = 0;
    char *buf = fa_raw_read_all(fd, timeout_ms, &n);
    close(fd);
    const char *p = buf, *end = buf + n;
    while (count < max && p && p < end) {
        p = fa_raw_parse_one(p, end, &out[count]);
        if (p)
            out[count++]->seconds = fa_now() - start;
    }
    free(buf);
    return count;
}

fa_http_response_t *fa_raw_request(const char *raw, size_t len)
{
    fa_http_response_t *res = NULL;
    if (fa_raw_exchange(raw, len, 10000, &res, 1) == 1)
        return res;
    res = calloc(1, sizeof *res);
    if (res == NULL)
        abort();
    res->body = fa_xstrdup("raw request: no response");
    res->body_len = strlen(res->body);
    return res;
}
