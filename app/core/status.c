/* Owns: the mapping from fa_status_t to HTTP. It is the only such mapping. */
#include "core/status.h"

int fa_status_http_code(fa_status_t status)
{
    switch (status) {
    case FA_OK: return 200;
    case FA_ERR_BAD_REQUEST: return 400;
    case FA_ERR_UNAUTHORIZED: return 401;
    case FA_ERR_FORBIDDEN: return 403;
    case FA_ERR_NOT_FOUND: return 404;
    case FA_ERR_METHOD: return 405;
    case FA_ERR_CONFLICT: return 409;
    case FA_ERR_TOO_LARGE: return 413;
    case FA_ERR_UNSUPPORTED_TYPE: return 415;
    case FA_ERR_UNPROCESSABLE: return 422;
    case FA_ERR_RATE_LIMITED: return 429;
    case FA_ERR_HEADER_TOO_LARGE: return 431;
    case FA_ERR_INTERNAL: return 500;
    case FA_ERR_UPSTREAM: return 502;
    case FA_ERR_UNAVAILABLE: return 503;
    }
    return 500;
}

const char *fa_http_reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

fa_status_t fa_error_set(fa_error_t *err, fa_status_t status, const char *code,
                         const char *message, const char *detail)
{
    if (err) {
        err->status = status;
        err->code = code;
        err->message = message;
        err->detail = detail;
    }
    return status;
}
