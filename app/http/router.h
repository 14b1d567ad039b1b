/* Method + path pattern routing. Patterns are literal segments and {name}
 * parameters ("/v1/auth/sessions/{id}"); a parameter matches one non-empty
 * segment. The route table lives in handlers/routes.c. */
#ifndef FA_HTTP_ROUTER_H
#define FA_HTTP_ROUTER_H

#include <stddef.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/str.h"
#include "http/request.h"

typedef struct fa_ctx fa_ctx_t;
/* A handler answers success itself and returns FA_OK, or returns a failure
 * in err for the one error path to render (handlers/reply.h). */
typedef fa_status_t (*fa_handler_fn)(fa_ctx_t *ctx, fa_error_t *err);

typedef struct {
    const char *method;  /* "GET", "POST", "DELETE", ... */
    const char *pattern; /* "/v1/auth/sessions/{id}" */
    fa_handler_fn handler;
    const char *name; /* label for logs and metrics, e.g. "auth_sessions_revoke" */
    unsigned flags;   /* handler-layer flags (see handlers/routes.h) */
} fa_route_t;

typedef enum {
    FA_ROUTE_FOUND,
    FA_ROUTE_NOT_FOUND,
    FA_ROUTE_METHOD_NOT_ALLOWED,
} fa_route_result_t;

/* The first route in table order whose pattern and method match wins (list a
 * literal segment before a {param} that would also match it). Paths compare
 * byte for byte: "/x/" is not "/x", and an empty segment never matches.
 * On FOUND: *out is the route and params holds its {name} values (verbatim
 * NUL-terminated copies in arena). HEAD matches a GET route.
 * On METHOD_NOT_ALLOWED: allow gets "GET, HEAD, POST" (the methods of the
 * routes whose pattern matched, table order, each once, HEAD after GET); a
 * method that does not fit in allow_len is left out. Otherwise *out is NULL,
 * params is empty and allow is "". */
fa_route_result_t fa_router_match(const fa_route_t *routes, size_t count, fa_str_t method,
                                  fa_str_t path, fa_arena_t *arena, const fa_route_t **out,
                                  fa_pairs_t *params, char *allow, size_t allow_len);

#endif
