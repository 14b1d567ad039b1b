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
 * length. Does not read the body. Everything kept is copied into the arena
 * (NUL-terminated), so envp may go away first. HTTP_<NAME> params become headers ("x-request-id"),
 * every duplicate kept; HTTP_PROXY is dropped (httpoxy). For other CGI
 * variables the first occurrence wins. Cookie headers are all parsed into
 * one list. On error req is partially filled and err says why:
 *   431 header_too_large   a value, the total or the count over its limit
 *   431 too_many_cookies   more than FA_MAX_COOKIES
 *   400 bad_request        no REQUEST_METHOD, no or relative DOCUMENT_URI
 *   400 path_too_long      path over FA_MAX_PATH (fa_status_t has no 414)
 *   400 bad_encoding       path not UTF-8; query escape, NUL or UTF-8 error
 *   400 too_many_parameters more than FA_MAX_QUERY_PARAMS
 *   400 bad_content_length CONTENT_LENGTH not empty or 1*DIGIT
 *   413 body_too_large     CONTENT_LENGTH over FA_MAX_BODY */
fa_status_t fa_request_parse_params(fa_request_t *req, fa_arena_t *arena, char *const *envp,
                                    fa_error_t *err);

/* First value, or FA_STR_NULL (ptr == NULL) when absent. Header names
 * compare without case; query, cookie and route names are exact. */
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

/* application/x-www-form-urlencoded body or query string into pairs, as the
 * WHATWG URL urlencoded parser: split on '&', empty pieces skipped, '+' is a
 * space (in query strings too), a piece without '=' has an empty value,
 * names and values percent-decoded (see below), duplicates kept in order.
 * More than max_pairs pieces: 400 too_many_parameters. */
fa_status_t fa_parse_urlencoded(fa_arena_t *arena, fa_str_t input, size_t max_pairs,
                                fa_pairs_t *out, fa_error_t *err);

/* Cookie header value ("a=1; b=2") into pairs: split on ';', spaces trimmed,
 * pieces without '=' or with an empty name skipped, one pair of DQUOTEs
 * around a value stripped, nothing percent-decoded; duplicates kept in order;
 * names and values are NUL-terminated copies. More than max_cookies:
 * 431 too_many_cookies. */
fa_status_t fa_parse_cookies(fa_arena_t *arena, fa_str_t header, size_t max_cookies,
                             fa_pairs_t *out, fa_error_t *err);

/* Percent-decoding into a NUL-terminated copy. Rejects a bad or truncated
 * escape, a NUL byte (escaped or raw) and invalid UTF-8 in the result (400
 * with code "bad_encoding"). plus_as_space for form encoding; otherwise '+'
 * stays '+'. */
fa_status_t fa_percent_decode(fa_arena_t *arena, fa_str_t in, bool plus_as_space, fa_str_t *out,
                              fa_error_t *err);

/* JSON body: requires Content-Type application/json (415
 * unsupported_media_type otherwise), valid UTF-8 (400 bad_encoding), an
 * object at the top, no duplicate keys, depth <= FA_MAX_JSON_DEPTH (400
 * invalid_json, whose message never quotes the body); the json_t is
 * released with req->arena, so callers must not decref it. */
fa_status_t fa_request_json(const fa_request_t *req, json_t **out, fa_error_t *err);

#endif
