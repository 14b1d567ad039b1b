/* Owns: turning FastCGI params into an fa_request_t, and the lookups on it.
 * Never: trusts a param's size (every limit of request.h is enforced here),
 * stores HTTP_PROXY (httpoxy), or merges duplicate headers (callers must be
 * able to see and refuse a second Authorization). */
#include "http/request.h"

#include <string.h>

typedef struct {
    size_t header_bytes;     /* names + values, checked against FA_MAX_HEADERS_TOTAL */
    size_t header_cap;       /* slots allocated in req->headers.items */
    size_t cookie_headers;   /* "cookie" entries among the headers */
    fa_str_t content_length; /* raw CONTENT_LENGTH, parsed after the walk */
} fa_param_state_t;

static fa_status_t fa_headers_too_large(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_HEADER_TOO_LARGE, "header_too_large",
                        "request headers are too large", detail);
}

/* CONTENT_LENGTH as nginx sends it: empty when there is no body, otherwise
 * 1*DIGIT. Signs, spaces and hex are refused instead of guessed at. */
static fa_status_t fa_parse_content_length(fa_str_t v, size_t *out, fa_error_t *err)
{
    *out = 0;
    size_t n = 0;
    bool too_large = false;
    for (size_t i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_content_length",
                                "Content-Length is not a decimal number", NULL);
        if (!too_large)
            n = n * 10 + (size_t)(v.ptr[i] - '0');
        too_large = too_large || n > FA_MAX_BODY; /* stops before n can overflow */
    }
    if (too_large)
        return fa_error_set(err, FA_ERR_TOO_LARGE, "body_too_large", "request body is too large",
                            NULL);
    *out = n;
    return FA_OK;
}

/* Everything kept is copied into the arena: the request must not depend on
 * libfcgi's param buffers, which die at FCGX_Finish_r (a log line written after
 * the response has gone out still reads the request id). */
static fa_str_t fa_copy(fa_arena_t *arena, fa_str_t s)
{
    return (fa_str_t){fa_str_dup(arena, s), s.len};
}

/* "HTTP_X_REQUEST_ID" -> "x-request-id" (NUL-terminated, in the arena). */
static fa_str_t fa_header_name(fa_arena_t *arena, fa_str_t param)
{
    char *name = fa_arena_alloc(arena, param.len + 1);
    for (size_t i = 0; i < param.len; i++) {
        char c = param.ptr[i];
        name[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    name[param.len] = '\0';
    return (fa_str_t){name, param.len};
}

static fa_status_t fa_add_header(fa_request_t *req, fa_param_state_t *st, fa_str_t name,
                                 fa_str_t value, fa_error_t *err)
{
    /* httpoxy: a client "Proxy:" header must never look like proxy config. */
    if (fa_str_case_eq_cstr(name, "PROXY"))
        return FA_OK;
    if (value.len > FA_MAX_HEADER_VALUE)
        return fa_headers_too_large(err, "header value over limit");
    st->header_bytes += name.len + value.len;
    if (st->header_bytes > FA_MAX_HEADERS_TOTAL)
        return fa_headers_too_large(err, "headers over total limit");
    if (req->headers.count >= FA_MAX_HEADERS || req->headers.count >= st->header_cap)
        return fa_headers_too_large(err, "too many headers");
    fa_pair_t *h = &req->headers.items[req->headers.count++];
    h->name = fa_header_name(req->arena, name);
    h->value = fa_copy(req->arena, value);
    st->cookie_headers += fa_str_eq_cstr(h->name, "cookie");
    return FA_OK;
}

/* Later duplicates of a CGI variable are ignored: libfcgi's own lookup returns
 * the first, and nginx sends each once. */
static void fa_set_once(fa_arena_t *arena, fa_str_t *field, fa_str_t value)
{
    if (field->ptr == NULL)
        *field = fa_copy(arena, value);
}

static fa_status_t fa_apply_param(fa_request_t *req, fa_param_state_t *st, fa_str_t name,
                                  fa_str_t value, fa_error_t *err)
{
    if (fa_str_starts_with(name, "HTTP_") && name.len > 5)
        return fa_add_header(req, st, (fa_str_t){name.ptr + 5, name.len - 5}, value, err);
    if (fa_str_eq_cstr(name, "REQUEST_METHOD"))
        fa_set_once(req->arena, &req->method, value);
    else if (fa_str_eq_cstr(name, "DOCUMENT_URI"))
        fa_set_once(req->arena, &req->path, value);
    else if (fa_str_eq_cstr(name, "QUERY_STRING"))
        fa_set_once(req->arena, &req->query_string, value);
    else if (fa_str_eq_cstr(name, "CONTENT_TYPE"))
        fa_set_once(req->arena, &req->content_type, value);
    else if (fa_str_eq_cstr(name, "CONTENT_LENGTH"))
        fa_set_once(req->arena, &st->content_length, value);
    else if (fa_str_eq_cstr(name, "REMOTE_ADDR"))
        fa_set_once(req->arena, &req->remote_addr, value);
    else if (fa_str_eq_cstr(name, "HTTPS"))
        fa_set_once(req->arena, &req->https, value);
    return FA_OK;
}

static fa_status_t fa_walk_params(fa_request_t *req, fa_param_state_t *st, char *const *envp,
                                  fa_error_t *err)
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    st->header_cap = n < FA_MAX_HEADERS ? n : FA_MAX_HEADERS;
    req->headers.items = fa_arena_calloc(req->arena, st->header_cap + 1, sizeof(fa_pair_t));
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(envp[i], '=');
        if (!eq)
            continue;
        fa_str_t name = {envp[i], (size_t)(eq - envp[i])};
        fa_status_t status = fa_apply_param(req, st, name, fa_str_from(eq + 1), err);
        if (status != FA_OK)
            return status;
    }
    return FA_OK;
}

/* nginx has already decoded and normalised DOCUMENT_URI; what is left to check
 * is that it is there, bounded, and text the rest of the service can log and
 * put in JSON. */
static fa_status_t fa_check_request_line(const fa_request_t *req, fa_error_t *err)
{
    if (req->method.len == 0)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_request", "request has no method",
                            "missing REQUEST_METHOD");
    if (req->path.len == 0 || req->path.ptr[0] != '/')
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_request", "request has no path",
                            "missing or relative DOCUMENT_URI");
    /* 400 rather than 414: fa_status_t has no 414 and clients treat both alike. */
    if (req->path.len > FA_MAX_PATH)
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "path_too_long", "request path is too long",
                            NULL);
    if (!fa_utf8_valid(req->path.ptr, req->path.len))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "bad_encoding",
                            "request path is not valid UTF-8", NULL);
    return FA_OK;
}

/* Duplicate Cookie headers are joined with "; ", as RFC 9113 section 8.2.3
 * joins HTTP/2 cookie fields, so their cookies all count against one limit. */
static fa_str_t fa_joined_cookie_header(const fa_request_t *req, const fa_param_state_t *st)
{
    if (st->cookie_headers == 0)
        return FA_STR_NULL;
    if (st->cookie_headers == 1)
        return fa_request_header(req, "cookie");
    fa_buf_t buf;
    fa_buf_init(&buf, req->arena, 256);
    for (size_t i = 0; i < req->headers.count; i++) {
        if (!fa_str_eq_cstr(req->headers.items[i].name, "cookie"))
            continue;
        if (buf.len)
            fa_buf_append(&buf, "; ", 2);
        fa_buf_append(&buf, req->headers.items[i].value.ptr, req->headers.items[i].value.len);
    }
    return (fa_str_t){fa_buf_cstr(&buf), buf.len};
}

fa_status_t fa_request_parse_params(fa_request_t *req, fa_arena_t *arena, char *const *envp,
                                    fa_error_t *err)
{
    memset(req, 0, sizeof(*req));
    req->arena = arena;
    fa_param_state_t st = {0};
    fa_status_t status = fa_walk_params(req, &st, envp, err);
    if (status == FA_OK)
        status = fa_check_request_line(req, err);
    if (status == FA_OK)
        status = fa_parse_content_length(st.content_length, &req->content_length, err);
    if (status == FA_OK)
        status =
            fa_parse_urlencoded(arena, req->query_string, FA_MAX_QUERY_PARAMS, &req->query, err);
    if (status == FA_OK)
        status = fa_parse_cookies(arena, fa_joined_cookie_header(req, &st), FA_MAX_COOKIES,
                                  &req->cookies, err);
    return status;
}

fa_str_t fa_pairs_get(const fa_pairs_t *pairs, const char *name)
{
    for (size_t i = 0; i < pairs->count; i++)
        if (fa_str_eq_cstr(pairs->items[i].name, name))
            return pairs->items[i].value;
    return FA_STR_NULL;
}

size_t fa_pairs_count(const fa_pairs_t *pairs, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < pairs->count; i++)
        n += fa_str_eq_cstr(pairs->items[i].name, name);
    return n;
}

/* Header names are stored lower-case; comparing without case as well keeps a
 * caller's "Authorization" from silently never matching. */
fa_str_t fa_request_header(const fa_request_t *req, const char *lower_name)
{
    for (size_t i = 0; i < req->headers.count; i++)
        if (fa_str_case_eq_cstr(req->headers.items[i].name, lower_name))
            return req->headers.items[i].value;
    return FA_STR_NULL;
}

size_t fa_request_header_count(const fa_request_t *req, const char *lower_name)
{
    size_t n = 0;
    for (size_t i = 0; i < req->headers.count; i++)
        n += fa_str_case_eq_cstr(req->headers.items[i].name, lower_name);
    return n;
}

fa_str_t fa_request_query(const fa_request_t *req, const char *name)
{
    return fa_pairs_get(&req->query, name);
}

size_t fa_request_query_count(const fa_request_t *req, const char *name)
{
    return fa_pairs_count(&req->query, name);
}

fa_str_t fa_request_cookie(const fa_request_t *req, const char *name)
{
    return fa_pairs_get(&req->cookies, name);
}

size_t fa_request_cookie_count(const fa_request_t *req, const char *name)
{
    return fa_pairs_count(&req->cookies, name);
}

fa_str_t fa_request_route_param(const fa_request_t *req, const char *name)
{
    return fa_pairs_get(&req->route_params, name);
}

bool fa_request_is_content_type(const fa_request_t *req, const char *media)
{
    fa_str_t ct = req->content_type;
    if (ct.ptr == NULL)
        return false;
    const char *semi = memchr(ct.ptr, ';', ct.len);
    if (semi)
        ct.len = (size_t)(semi - ct.ptr);
    return fa_str_case_eq_cstr(fa_str_trim(ct), media);
}
