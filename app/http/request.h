/* The request as the service sees it: built from FastCGI params and the body,
 * with no libfcgi type in sight (fcgi.c is the only file that sees libfcgi),
 * so every parser here is testable and fuzzable on its own.
 * All memory belongs to the request arena. Parsers are bounded by the limits
 * below; anything over a limit or malformed is a 4xx fa_error_t, never a crash. */
#ifndef FA_HTTP_REQUEST_H
#define FA_HTTP_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/str.h"

/* nginx is configured with the same or looser limits so these are the ones a
 * client meets (nginx/fastcgi-foundry.conf). */
#define FA_MAX_HEADER_VALUE 8192     /* one header value */
#define FA_MAX_HEADERS_TOTAL 32768   /* all header names + values */
#define FA_MAX_HEADERS 100
#define FA_MAX_COOKIES 50
#define FA_MAX_QUERY_PARAMS 50
#define FA_MAX_FORM_PARAMS 50
#define FA_MAX_PATH 2048
#define FA_MAX_BODY (1024 * 1024)
#define FA_MAX_JSON_DEPTH 16

typedef struct {
    fa_str_t name;
    fa_str_t value;
} fa_pair_t;

typedef struct {
    fa_pair_t *items;
    size_t count;
} fa_pairs_t;

typedef struct {
    fa_arena_t *arena;
    fa_str_t method;       /* REQUEST_METHOD */
    fa_str_t path;         /* DOCUMENT_URI: decoded and normalised by nginx */
    fa_str_t query_string; /* QUERY_STRING, raw */
    fa_pairs_t query;      /* decoded; duplicates kept in order */
    fa_pairs_t headers;    /* lower-case names with '-' ("x-request-id"); duplicates kept */
    fa_pairs_t cookies;    /* duplicates kept in order */
    fa_str_t content_type; /* CONTENT_TYPE */
    size_t content_length; /* CONTENT_LENGTH, already checked against FA_MAX_BODY */
    fa_str_t remote_addr;  /* REMOTE_ADDR */
    fa_str_t https;        /* HTTPS param ("on" when TLS) */
    fa_str_t body;
    fa_pairs_t route_params; /* filled by the router: {id} -> value */
} fa_request_t;

/* Parses FastCGI params (a NULL-terminated array of "NAME=value" strings, as
 * libfcgi's envp) into req: method, path, headers, cookies, query, content
 * length. Does not read the body. On error req is partially filled and err
 * says why (400, 413 or 431). */
fa_status_t fa_request_parse_params(fa_request_t *req, fa_arena_t *arena, char *const *envp,
                                    fa_error_t *err);

/* First value, or FA_STR_NULL (ptr == NULL) when absent. */
fa_str_t fa_request_header(const fa_request_t *req, const char *lower_name);
size_t fa_request_header_count(const fa_request_t *req, const char *lower_name);
fa_str_t fa_request_query(const fa_request_t *req, const char *name);
size_t fa_request_query_count(const fa_request_t *req, const char *name);
fa_str_t fa_request_cookie(const fa_request_t *req, const char *name);
size_t fa_request_cookie_count(const fa_request_t *req, const char *name);
fa_str_t fa_request_route_param(const fa_request_t *req, const char *name);
fa_str_t fa_pairs_get(const fa_pairs_t *pairs, const char *name);
size_t fa_pairs_count(const fa_pairs_t *pairs, const char *name);

/* True when Content-Type's media type (parameters ignored, case-insensitive) is media. */
bool fa_request_is_content_type(const fa_request_t *req, const char *media);

/* application/x-www-form-urlencoded body or query string into pairs. */
fa_status_t fa_parse_urlencoded(fa_arena_t *arena, fa_str_t input, size_t max_pairs,
                                fa_pairs_t *out, fa_error_t *err);

/* Cookie header value ("a=1; b=2") into pairs; at most max_cookies. */
fa_status_t fa_parse_cookies(fa_arena_t *arena, fa_str_t header, size_t max_cookies,
                             fa_pairs_t *out, fa_error_t *err);

/* Percent-decoding. Rejects a bad escape, a NUL byte and invalid UTF-8 in the
 * result (400 with code "bad_encoding"). plus_as_space for form encoding. */
fa_status_t fa_percent_decode(fa_arena_t *arena, fa_str_t in, bool plus_as_space, fa_str_t *out,
                              fa_error_t *err);

bool fa_utf8_valid(const char *s, size_t len);

/* JSON body: requires Content-Type application/json (415 otherwise), an
 * object at the top, valid UTF-8, depth <= FA_MAX_JSON_DEPTH; the json_t is
 * released with the arena. */
fa_status_t fa_request_json(const fa_request_t *req, json_t **out, fa_error_t *err);

#endif
