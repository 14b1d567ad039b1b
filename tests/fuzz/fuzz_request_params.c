/* Fuzz target for fa_request_parse_params, the first code every request
 * reaches. The input is the FastCGI params, one "NAME=value" per line.
 * Invariants checked (abort on violation):
 *  - an error is a 4xx (400, 413 or 431) with a code and a message;
 *  - on success every limit of request.h holds: header count, value size,
 *    total size, cookies, query parameters, path length, content length;
 *  - header names are lower-case with '-', and no "proxy" header exists
 *    (httpoxy), while every Authorization header is kept (duplicates refused
 *    later need to be seen);
 *  - query names and values are valid UTF-8 without NUL. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"
#include "fuzz_check.h"

#define MAX_PARAMS 1024

static bool clean_text(fa_str_t s)
{
    return s.ptr && !memchr(s.ptr, '\0', s.len) && fa_utf8_valid(s.ptr, s.len);
}

static void check_ok(const fa_request_t *req, size_t authorization_params)
{
    CHECK(req->method.len > 0);
    CHECK(req->path.len > 0 && req->path.len <= FA_MAX_PATH && req->path.ptr[0] == '/');
    CHECK(fa_utf8_valid(req->path.ptr, req->path.len));
    CHECK(req->content_length <= FA_MAX_BODY);
    CHECK(req->headers.count <= FA_MAX_HEADERS);
    size_t total = 0;
    for (size_t i = 0; i < req->headers.count; i++) {
        fa_str_t name = req->headers.items[i].name, value = req->headers.items[i].value;
        CHECK(name.len > 0 && value.len <= FA_MAX_HEADER_VALUE);
        for (size_t k = 0; k < name.len; k++)
            CHECK(name.ptr[k] != '_' && !(name.ptr[k] >= 'A' && name.ptr[k] <= 'Z'));
        CHECK(!fa_str_eq_cstr(name, "proxy"));
        total += name.len + value.len;
    }
    CHECK(total <= FA_MAX_HEADERS_TOTAL);
    CHECK(fa_request_header_count(req, "authorization") == authorization_params);
    CHECK(req->query.count <= FA_MAX_QUERY_PARAMS);
    for (size_t i = 0; i < req->query.count; i++)
        CHECK(clean_text(req->query.items[i].name) && clean_text(req->query.items[i].value));
    CHECK(req->cookies.count <= FA_MAX_COOKIES);
    for (size_t i = 0; i < req->cookies.count; i++) {
        fa_str_t name = req->cookies.items[i].name, value = req->cookies.items[i].value;
        CHECK(name.len > 0 && !memchr(name.ptr, ';', name.len) && !memchr(name.ptr, '=', name.len));
        CHECK(!memchr(value.ptr, ';', value.len));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fa_arena_t *arena;
    if (!arena)
        arena = fa_arena_create(0);
    char **envp = fa_arena_calloc(arena, MAX_PARAMS + 1, sizeof(char *));
    size_t n = 0, start = 0, authorization = 0;
    for (size_t i = 0; i <= size && n < MAX_PARAMS; i++) {
        if (i < size && data[i] != '\n')
            continue;
        /* A NUL inside a line ends that C string, as it would in libfcgi's envp. */
        envp[n] = fa_arena_strndup(arena, (const char *)data + start, i - start);
        /* Names are lower-cased, so HTTP_AuThOrIzAtIoN is an Authorization too. */
        authorization += strncmp(envp[n], "HTTP_", 5) == 0 &&
                         strncasecmp(envp[n] + 5, "AUTHORIZATION=", 14) == 0;
        n++;
        start = i + 1;
    }
    fa_request_t req;
    fa_error_t err = {0};
    if (fa_request_parse_params(&req, arena, envp, &err) == FA_OK) {
        check_ok(&req, authorization);
    } else {
        int code = fa_status_http_code(err.status);
        CHECK(code == 400 || code == 413 || code == 431);
        CHECK(err.code && err.message);
    }
    fa_arena_reset(arena);
    return 0;
}
