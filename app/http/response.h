/* The response being built for one request: status, headers, body, cookies.
 * Serialised to the CGI-style head ("Status: 302 Found\r\n...") that the
 * FastCGI layer writes. Every response carries the security headers and,
 * unless a handler chose otherwise, Cache-Control: no-store. */
#ifndef FA_HTTP_RESPONSE_H
#define FA_HTTP_RESPONSE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/str.h"
#include "http/request.h"

typedef struct {
    fa_arena_t *arena;
    int status;
    fa_pair_t *headers;
    size_t header_count;
    size_t header_cap;
    fa_buf_t body;
    /* Why this response cannot be sent (a header value with a control byte,
     * a JSON body that cannot be serialised); NULL while it can. Set by the
     * builders below instead of aborting, since the value may come from
     * outside; the dispatcher answers 500 instead (fa_response_replace_broken). */
    const char *broken;
} fa_response_t;

typedef enum { FA_SAMESITE_LAX, FA_SAMESITE_STRICT, FA_SAMESITE_NONE } fa_samesite_t;

typedef struct {
    const char *name;
    const char *value;
    const char *path;   /* NULL = "/" */
    const char *domain; /* NULL = host-only (required by __Host-) */
    long max_age;       /* seconds; < 0 = session cookie; 0 = delete now */
    bool secure;
    bool http_only;
    fa_samesite_t same_site;
} fa_cookie_t;

void fa_response_init(fa_response_t *res, fa_arena_t *arena);

/* Appends a header (copied into the arena). The name must be an RFC 9110
 * token: a name is a literal of the code, so another one aborts. A value
 * holding CR, LF or another control byte but HTAB is not added and marks the
 * response broken (it may come from outside: the database, GitHub). */
void fa_response_add_header(fa_response_t *res, const char *name, const char *value);
/* Replaces every header of that name (case-insensitive) with one value. */
void fa_response_set_header(fa_response_t *res, const char *name, const char *value);
const char *fa_response_get_header(const fa_response_t *res, const char *name);
/* True when fa_response_add_header would add value (not mark it broken). */
bool fa_response_header_value_valid(const char *value);

/* Serialises body (compact) with Content-Type: application/json; a NULL or
 * unserialisable body marks the response broken. */
void fa_response_json(fa_response_t *res, int status, const json_t *body);
/* Already-serialised JSON (hot paths that render without a DOM). */
void fa_response_json_raw(fa_response_t *res, int status, const char *json, size_t len);
/* {"error":code,"message":message} with the status mapped from err->status
 * (a non-error status there is a bug and becomes 500). */
void fa_response_error(fa_response_t *res, const fa_error_t *err);
void fa_response_error_status(fa_response_t *res, fa_status_t status, const char *code,
                              const char *message);
/* Same, with the members of fields (an object, or NULL) after "message". */
void fa_response_error_fields(fa_response_t *res, const fa_error_t *err, const json_t *fields);
/* Sets Location and an empty body; the location must already be validated
 * (a CR or LF marks the response broken like any header value). */
void fa_response_redirect(fa_response_t *res, int status, const char *location);
/* Throws away everything a broken response holds (headers, Set-Cookie, body)
 * and makes it a 500 {"error":"internal_error"}. For the dispatcher. */
void fa_response_replace_broken(fa_response_t *res);
void fa_response_empty(fa_response_t *res, int status);
/* The handler refused (an error status) or the response cannot be sent: a
 * transaction around the handler must roll back, not commit. */
static inline bool fa_response_failed(const fa_response_t *res)
{
    return res->status >= 400 || res->broken != NULL;
}

/* Appends "Set-Cookie: name=value; Path=/; [Domain=d; ][Max-Age=n; ]
 * [Secure; ][HttpOnly; ]SameSite=Lax". max_age 0 also adds an Expires in 1970
 * (the delete form). Aborts on a name that is not a token, a value outside
 * RFC 6265 cookie-octets, a __Host- cookie without Secure or with Domain or a
 * Path other than "/", a __Secure- cookie without Secure, and SameSite=None
 * without Secure. */
void fa_response_set_cookie(fa_response_t *res, const fa_cookie_t *cookie);

/* Appends "Status: ...\r\nHeader: v\r\n...\r\n\r\nbody" to out (initialised in
 * res's arena when out->data is NULL), adding the security headers a handler
 * did not set (X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
 * Content-Security-Policy, Cache-Control: no-store) and Content-Length. A
 * handler's own Content-Length is ignored; 1xx, 204 and 304 get no body and
 * no Content-Length. */
void fa_response_serialize(const fa_response_t *res, fa_buf_t *out);

#endif
