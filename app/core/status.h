/* The one status enum of the service and its single mapping to HTTP codes.
 * An fa_error_t carries a public code/message (safe to send to a client) and a
 * log-only detail (never a secret either). */
#ifndef FA_CORE_STATUS_H
#define FA_CORE_STATUS_H

#include <stdbool.h>

typedef enum {
    FA_OK = 0,
    FA_ERR_BAD_REQUEST,      /* 400 */
    FA_ERR_UNAUTHORIZED,     /* 401 */
    FA_ERR_FORBIDDEN,        /* 403 */
    FA_ERR_NOT_FOUND,        /* 404 */
    FA_ERR_METHOD,           /* 405 */
    FA_ERR_CONFLICT,         /* 409 */
    FA_ERR_TOO_LARGE,        /* 413 */
    FA_ERR_UNSUPPORTED_TYPE, /* 415 */
    FA_ERR_UNPROCESSABLE,    /* 422 */
    FA_ERR_RATE_LIMITED,     /* 429 */
    FA_ERR_HEADER_TOO_LARGE, /* 431 */
    FA_ERR_INTERNAL,         /* 500 */
    FA_ERR_UPSTREAM,         /* 502: GitHub failed */
    FA_ERR_UNAVAILABLE,      /* 503: database down */
} fa_status_t;

typedef struct {
    fa_status_t status;
    const char *code;    /* snake_case, e.g. "database_unavailable"; a code that callers
                          * test is a named constant of the module that sets it */
    const char *message; /* human text for the client */
    const char *detail;  /* log only; may be NULL */
} fa_error_t;

int fa_status_http_code(fa_status_t status);
const char *fa_http_reason(int http_code);

/* Fills err and returns status, so callers can `return fa_error_set(...)`. */
fa_status_t fa_error_set(fa_error_t *err, fa_status_t status, const char *code,
                         const char *message, const char *detail);

/* Whether err carries code, compared by identity (h2o's h2o_socket_error_*):
 * code is the producing module's `extern const char fa_<module>_err_<x>[]`,
 * and the producer sets err->code from that same constant. Two modules may
 * then use the same text without one test matching the other's error, and
 * a misspelt code is a compile error rather than a silent mismatch. */
static inline bool fa_error_is(const fa_error_t *err, const char *code)
{
    return err->code == code;
}

#endif
