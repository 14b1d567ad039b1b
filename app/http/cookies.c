/* Owns: parsing the Cookie request header (RFC 6265 section 4.2 cookie-string,
 * read leniently as section 5.4 user agents send it).
 * Never: percent-decodes, unquotes or otherwise rewrites a value (a session
 * token must reach the verifier byte for byte), nor keeps more than
 * max_cookies. */
#include "http/request.h"

#include <string.h>

/* Splits one "name=value" piece; false for pieces a browser would not have
 * sent as a cookie (no '=', empty name). */
static bool fa_cookie_split(fa_str_t piece, fa_str_t *name, fa_str_t *value)
{
    const char *eq = memchr(piece.ptr, '=', piece.len);
    if (!eq)
        return false;
    *name = fa_str_trim((fa_str_t){piece.ptr, (size_t)(eq - piece.ptr)});
    /* DQUOTEs stay part of the value: RFC 6265 allows a quoted cookie-value,
     * but this service never sets one, so a quoted session token is not one
     * it issued and must fail verification rather than be unwrapped. */
    *value = fa_str_trim((fa_str_t){eq + 1, piece.len - (size_t)(eq - piece.ptr) - 1});
    return name->len > 0;
}

/* Counts the well-formed pieces and, when items is given, stores them: one
 * walk for both so the count and the stored list cannot disagree. */
static size_t fa_cookie_walk(fa_str_t header, fa_arena_t *arena, fa_pair_t *items, size_t cap)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= header.len; i++) {
        if (i < header.len && header.ptr[i] != ';')
            continue;
        fa_str_t piece = {header.ptr + start, i - start}, name, value;
        start = i + 1;
        if (!fa_cookie_split(piece, &name, &value))
            continue;
        if (items && n < cap) {
            /* Own NUL-terminated copies, so values can go to C libraries as is. */
            items[n].name = (fa_str_t){fa_str_dup(arena, name), name.len};
            items[n].value = (fa_str_t){fa_str_dup(arena, value), value.len};
        }
        n++;
    }
    return n;
}

/* Too many cookies is a 431: like an oversized header, it is the request head
 * that is too large, and the client's fix is the same (clear cookies). */
fa_status_t fa_parse_cookies(fa_arena_t *arena, fa_str_t header, size_t max_cookies,
                             fa_pairs_t *out, fa_error_t *err)
{
    out->items = NULL;
    out->count = 0;
    if (header.ptr == NULL || header.len == 0)
        return FA_OK;
    size_t count = fa_cookie_walk(header, arena, NULL, 0);
    if (count > max_cookies)
        return fa_error_set(err, FA_ERR_HEADER_TOO_LARGE, "too_many_cookies",
                            "request carries too many cookies", NULL);
    if (count == 0)
        return FA_OK;
    out->items = fa_arena_calloc(arena, count, sizeof(*out->items));
    out->count = fa_cookie_walk(header, arena, out->items, count);
    return FA_OK;
}
