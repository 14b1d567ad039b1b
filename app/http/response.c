/* Owns: building a response (status, headers, body, Set-Cookie) and writing
 * its CGI-style head for the FastCGI layer.
 * Never: writes a header holding CR, LF or another control byte (response
 * splitting), a Set-Cookie that breaks its own prefix rules, or a response
 * without the security headers.
 *
 * Two kinds of refusal. What only code can get wrong (a header name, a cookie
 * name or prefix rule, a SameSite value) aborts: the literal is ours, a test
 * catches it. A header value or a JSON body can carry data from outside (a
 * login stored by an older version, text from GitHub, the request), and data
 * must never kill the worker: such a response is marked broken (res->broken)
 * and the dispatcher answers that one request with a logged 500. */
#include "http/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static _Noreturn void fa_response_bug(const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"module\":\"http\",\"msg\":\"response bug: %s\"}\n",
            what);
    abort();
}

/* RFC 9110 tchar: the characters of a token (header names, cookie names). */
static bool fa_is_tchar(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return true;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool fa_is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!fa_is_tchar((unsigned char)*s))
            return false;
    return true;
}

bool fa_response_header_value_valid(const char *value)
{
    if (!value)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
            return false;
    return true;
}

void fa_response_init(fa_response_t *res, fa_arena_t *arena)
{
    res->arena = arena;
    res->status = 200;
    res->headers = NULL;
    res->header_count = 0;
    res->header_cap = 0;
    res->broken = NULL;
    fa_buf_init(&res->body, arena, 256);
}

/* The first reason is kept: later ones are usually its consequences. */
static void fa_response_break(fa_response_t *res, const char *reason)
{
    if (!res->broken)
        res->broken = reason;
}

void fa_response_add_header(fa_response_t *res, const char *name, const char *value)
{
    if (!fa_is_token(name))
        fa_response_bug("invalid header name");
    if (!fa_response_header_value_valid(value)) {
        /* The name is a literal of ours, so it may go into the reason; the
         * value may be anyone's and never does. */
        fa_response_break(
            res, fa_arena_sprintf(res->arena, "control character in the %s header value", name));
        return;
    }
    if (res->header_count == res->header_cap) {
        size_t cap = res->header_cap ? res->header_cap * 2 : 8;
        fa_pair_t *headers = fa_arena_alloc(res->arena, cap * sizeof(*headers));
        if (res->header_count)
            memcpy(headers, res->headers, res->header_count * sizeof(*headers));
        res->headers = headers;
        res->header_cap = cap;
    }
    fa_pair_t *h = &res->headers[res->header_count++];
    h->name = (fa_str_t){fa_arena_strdup(res->arena, name), strlen(name)};
    h->value = (fa_str_t){fa_arena_strdup(res->arena, value), strlen(value)};
}

static void fa_response_remove_header(fa_response_t *res, const char *name)
{
    size_t kept = 0;
    for (size_t i = 0; i < res->header_count; i++)
        if (!fa_str_case_eq_cstr(res->headers[i].name, name))
            res->headers[kept++] = res->headers[i];
    res->header_count = kept;
}

void fa_response_set_header(fa_response_t *res, const char *name, const char *value)
{
    fa_response_remove_header(res, name);
    fa_response_add_header(res, name, value);
}

const char *fa_response_get_header(const fa_response_t *res, const char *name)
{
    for (size_t i = 0; i < res->header_count; i++)
        if (fa_str_case_eq_cstr(res->headers[i].name, name))
            return res->headers[i].value.ptr;
    return NULL;
}

void fa_response_json_raw(fa_response_t *res, int status, const char *json, size_t len)
{
    res->status = status;
    fa_response_set_header(res, "Content-Type", "application/json");
    res->body.len = 0;
    fa_buf_append(&res->body, json, len);
}

void fa_response_json(fa_response_t *res, int status, const json_t *body)
{
    /* NULL is what json_pack gives for a string that is not UTF-8, which
     * text from the database could be: broken, not a bug. */
    size_t len = body ? json_dumpb(body, NULL, 0, JSON_COMPACT) : 0;
    if (len == 0) {
        fa_response_break(res, "json body cannot be serialised");
        return;
    }
    char *data = fa_arena_alloc(res->arena, len + 1);
    if (json_dumpb(body, data, len, JSON_COMPACT) != len)
        fa_response_bug("json body changed while serialised");
    data[len] = '\0';
    res->status = status;
    fa_response_set_header(res, "Content-Type", "application/json");
    res->body = (fa_buf_t){.arena = res->arena, .data = data, .len = len, .cap = len + 1};
}

/* An error always goes out as an error: FA_OK or a missing code here is a
 * handler bug, answered as a 500 rather than a success with an error body. */
void fa_response_error(fa_response_t *res, const fa_error_t *err)
{
    fa_response_error_fields(res, err, NULL);
}

void fa_response_error_fields(fa_response_t *res, const fa_error_t *err, const json_t *fields)
{
    int code = fa_status_http_code(err->status);
    if (code < 400)
        code = 500;
    const char *name = err->code ? err->code : "internal_error";
    const char *message = err->message ? err->message : fa_http_reason(code);
    json_t *body = json_pack("{s:s, s:s}", "error", name, "message", message);
    if (!body) /* message was not valid UTF-8: keep the code, drop the text */
        body = json_pack("{s:s, s:s}", "error", name, "message", fa_http_reason(code));
    if (!body)
        fa_response_bug("error code is not valid UTF-8");
    if (fields)
        json_object_update_missing(body, (json_t *)fields);
    fa_response_json(res, code, body);
    json_decref(body);
}

void fa_response_error_status(fa_response_t *res, fa_status_t status, const char *code,
                              const char *message)
{
    fa_error_t err = {.status = status, .code = code, .message = message, .detail = NULL};
    fa_response_error(res, &err);
}

void fa_response_redirect(fa_response_t *res, int status, const char *location)
{
    /* The location of an OAuth callback comes from the database (the
     * verification row): data, so a missing one breaks the response. */
    if (!location || !*location) {
        fa_response_break(res, "empty redirect location");
        return;
    }
    res->status = status;
    fa_response_set_header(res, "Location", location);
    fa_response_remove_header(res, "Content-Type");
    res->body.len = 0;
}

void fa_response_replace_broken(fa_response_t *res)
{
    res->header_count = 0;
    res->body.len = 0;
    static const char body[] = "{\"error\":\"internal_error\","
                               "\"message\":\"the response could not be sent\"}";
    fa_response_json_raw(res, 500, body, sizeof(body) - 1);
}

void fa_response_empty(fa_response_t *res, int status)
{
    res->status = status;
    fa_response_remove_header(res, "Content-Type");
    res->body.len = 0;
}

/* RFC 6265 cookie-octet: printable US-ASCII but DQUOTE, comma, semicolon and
 * backslash. Session tokens are base64url, well inside this. */
static bool fa_is_cookie_value(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x21 || *p > 0x7E || *p == '"' || *p == ',' || *p == ';' || *p == '\\')
            return false;
    return true;
}

/* RFC 6265 path-value and domain: any CHAR but CTLs and ';'. */
static bool fa_is_attribute_value(const char *v)
{
    if (!*v)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p > 0x7E || *p == ';')
            return false;
    return true;
}

/* The cookie prefixes of RFC 6265bis section 4.1.3, which browsers enforce by
 * dropping the cookie: checked here so that a mistake fails a test, not a
 * sign-in in production. */
static void fa_cookie_check(const fa_cookie_t *c, const char *path)
{
    if (!fa_is_token(c->name))
        fa_response_bug("invalid cookie name");
    if (!c->value || !fa_is_cookie_value(c->value))
        fa_response_bug("invalid cookie value");
    if (!fa_is_attribute_value(path) || path[0] != '/')
        fa_response_bug("invalid cookie path");
    if (c->domain && !fa_is_attribute_value(c->domain))
        fa_response_bug("invalid cookie domain");
    bool host_prefix = strncasecmp(c->name, "__Host-", 7) == 0;
    bool secure_prefix = strncasecmp(c->name, "__Secure-", 9) == 0;
    if ((host_prefix || secure_prefix) && !c->secure)
        fa_response_bug("__Host-/__Secure- cookie without Secure");
    if (host_prefix && (c->domain || strcmp(path, "/") != 0))
        fa_response_bug("__Host- cookie with Domain or a Path other than /");
    if (c->same_site == FA_SAMESITE_NONE && !c->secure)
        fa_response_bug("SameSite=None cookie without Secure");
}

static const char *fa_samesite_name(fa_samesite_t s)
{
    switch (s) {
    case FA_SAMESITE_LAX:
        return "Lax";
    case FA_SAMESITE_STRICT:
        return "Strict";
    case FA_SAMESITE_NONE:
        return "None";
    }
    fa_response_bug("unknown SameSite value");
}

void fa_response_set_cookie(fa_response_t *res, const fa_cookie_t *c)
{
    const char *path = c->path ? c->path : "/";
    fa_cookie_check(c, path);
    fa_buf_t b;
    fa_buf_init(&b, res->arena, 256);
    fa_buf_printf(&b, "%s=%s; Path=%s", c->name, c->value, path);
    if (c->domain)
        fa_buf_printf(&b, "; Domain=%s", c->domain);
    if (c->max_age == 0)
        /* Expires as well: the delete must also reach clients that predate Max-Age. */
        fa_buf_append_cstr(&b, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    else if (c->max_age > 0)
        fa_buf_printf(&b, "; Max-Age=%ld", c->max_age);
    if (c->secure)
        fa_buf_append_cstr(&b, "; Secure");
    if (c->http_only)
        fa_buf_append_cstr(&b, "; HttpOnly");
    fa_buf_printf(&b, "; SameSite=%s", fa_samesite_name(c->same_site));
    fa_response_add_header(res, "Set-Cookie", fa_buf_cstr(&b));
}

/* 1xx, 204 and 304 have no body, so they carry neither one nor a
 * Content-Length (RFC 9110 sections 8.6, 15.3.5, 15.4.5). */
static bool fa_status_has_body(int status)
{
    return status >= 200 && status != 204 && status != 304;
}

static const struct {
    const char *name, *value;
} fa_default_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    /* An API never renders in a browser: nothing may load, nothing may frame it. */
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
    /* Identity-dependent by default; a public endpoint opts out explicitly. */
    {"Cache-Control", "no-store"},
};

static void fa_write_header(fa_buf_t *out, fa_str_t name, fa_str_t value)
{
    fa_buf_append(out, name.ptr, name.len);
    fa_buf_append(out, ": ", 2);
    fa_buf_append(out, value.ptr, value.len);
    fa_buf_append(out, "\r\n", 2);
}

void fa_response_serialize(const fa_response_t *res, fa_buf_t *out)
{
    if (out->data == NULL)
        fa_buf_init(out, res->arena, 512 + res->body.len);
    bool has_body = fa_status_has_body(res->status);
    fa_buf_append_cstr(out, "Status: ");
    fa_buf_append_uint(out, (unsigned)res->status);
    fa_buf_append_char(out, ' ');
    fa_buf_append_cstr(out, fa_http_reason(res->status));
    fa_buf_append(out, "\r\n", 2);
    for (size_t i = 0; i < res->header_count; i++) {
        /* Content-Length is computed here, never taken from a handler. */
        if (fa_str_case_eq_cstr(res->headers[i].name, "Content-Length"))
            continue;
        fa_write_header(out, res->headers[i].name, res->headers[i].value);
    }
    for (size_t i = 0; i < sizeof(fa_default_headers) / sizeof(fa_default_headers[0]); i++)
        if (!fa_response_get_header(res, fa_default_headers[i].name))
            fa_write_header(out, fa_str_from(fa_default_headers[i].name),
                            fa_str_from(fa_default_headers[i].value));
    if (has_body) {
        fa_buf_append_cstr(out, "Content-Length: ");
        fa_buf_append_uint(out, res->body.len);
        fa_buf_append(out, "\r\n", 2);
    }
    fa_buf_append(out, "\r\n", 2);
    if (has_body)
        fa_buf_append(out, res->body.data, res->body.len);
}
