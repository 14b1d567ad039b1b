/* Owns: matching a method and path against the route table.
 * Never: decodes or normalises the path (nginx's $document_uri already is),
 * lets a {param} match an empty segment, or treats "/x/" as "/x" (a trailing
 * slash is another path; only "/" itself ends in one). */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More {params} than this in one pattern is a route-table bug. */
#define FA_ROUTE_MAX_PARAMS 8

/* Next '/'-separated segment of s from *pos (just past a '/'); false at the end. */
static bool fa_next_segment(fa_str_t s, size_t *pos, fa_str_t *seg)
{
    if (*pos > s.len)
        return false;
    const char *start = s.ptr + *pos;
    const char *slash = memchr(start, '/', s.len - *pos);
    size_t len = slash ? (size_t)(slash - start) : s.len - *pos;
    *seg = (fa_str_t){start, len};
    *pos += len + 1;
    return true;
}

static bool fa_is_param(fa_str_t seg)
{
    return seg.len >= 3 && seg.ptr[0] == '{' && seg.ptr[seg.len - 1] == '}';
}

/* Matches path against pattern; params receive the {name} values (slices of
 * pattern and path) when it does. */
static bool fa_pattern_match(const char *pattern, fa_str_t path, fa_pair_t *params, size_t *count)
{
    fa_str_t pat = fa_str_from(pattern);
    if (pat.len == 0 || pat.ptr[0] != '/' || path.len == 0 || path.ptr[0] != '/')
        return false;
    size_t ppos = 1, spos = 1;
    fa_str_t pseg, sseg;
    *count = 0;
    for (;;) {
        bool more_pat = fa_next_segment(pat, &ppos, &pseg);
        bool more_path = fa_next_segment(path, &spos, &sseg);
        if (!more_pat || !more_path)
            return more_pat == more_path;
        if (fa_is_param(pseg)) {
            if (sseg.len == 0)
                return false;
            if (*count == FA_ROUTE_MAX_PARAMS)
                abort();
            params[*count].name = (fa_str_t){pseg.ptr + 1, pseg.len - 2};
            params[(*count)++].value = sseg;
        } else if (!fa_str_eq(pseg, sseg)) {
            return false;
        }
    }
}

static bool fa_method_matches(const char *route_method, fa_str_t method)
{
    return fa_str_eq_cstr(method, route_method) ||
           (fa_str_eq_cstr(method, "HEAD") && strcmp(route_method, "GET") == 0);
}

/* Appends method to the comma-separated allow list unless already there. The
 * list is bounded by allow_len; a method that does not fit is left out. */
static void fa_allow_add(char *allow, size_t allow_len, const char *method)
{
    if (!allow || allow_len == 0)
        return;
    size_t mlen = strlen(method), used = strlen(allow);
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += mlen)
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
    if (used + (used ? 2 : 0) + mlen + 1 > allow_len)
        return;
    snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "", method);
}

static void fa_copy_params(fa_arena_t *arena, const fa_pair_t *src, size_t count,
                           fa_pairs_t *params)
{
    params->items = count ? fa_arena_calloc(arena, count, sizeof(*params->items)) : NULL;
    params->count = count;
    for (size_t i = 0; i < count; i++) {
        params->items[i].name = (fa_str_t){fa_str_dup(arena, src[i].name), src[i].name.len};
        params->items[i].value = (fa_str_t){fa_str_dup(arena, src[i].value), src[i].value.len};
    }
}

/* First route in table order wins, so the table lists a literal segment before
 * a {param} that would also match it. */
fa_route_result_t fa_router_match(const fa_route_t *routes, size_t count, fa_str_t method,
                                  fa_str_t path, fa_arena_t *arena, const fa_route_t **out,
                                  fa_pairs_t *params, char *allow, size_t allow_len)
{
    bool path_known = false;
    *out = NULL;
    params->items = NULL;
    params->count = 0;
    if (allow && allow_len)
        allow[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        fa_pair_t tmp[FA_ROUTE_MAX_PARAMS];
        size_t found = 0;
        if (!fa_pattern_match(routes[i].pattern, path, tmp, &found))
            continue;
        if (fa_method_matches(routes[i].method, method)) {
            *out = &routes[i];
            fa_copy_params(arena, tmp, found, params);
            return FA_ROUTE_FOUND;
        }
        path_known = true;
        fa_allow_add(allow, allow_len, routes[i].method);
        if (strcmp(routes[i].method, "GET") == 0)
            fa_allow_add(allow, allow_len, "HEAD");
    }
    return path_known ? FA_ROUTE_METHOD_NOT_ALLOWED : FA_ROUTE_NOT_FOUND;
}
