/* The HTTP Link header (RFC 8288) as GitHub uses it for pagination, and the
 * origin check that keeps the client from following a "next" page to another
 * host with the user's token. Pure functions: no I/O, testable and fuzzable
 * without a network. */
#ifndef FA_GITHUB_LINK_HEADER_H
#define FA_GITHUB_LINK_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/str.h"

typedef struct {
    char *url; /* the target between < and >, as given (non-empty, no space) */
    char *rel; /* the first rel parameter, lower-cased, unquoted; "" if none */
} fa_github_link_t;

/* Parses a whole Link header value: link-value *( "," link-value ) with
 * token / quoted-string parameters. Empty elements between commas are
 * allowed. Returns false on any syntax error (the caller must then not trust
 * any part of it) and leaves *links NULL / *count 0. All strings live in the
 * arena. */
bool fa_github_link_parse(fa_arena_t *arena, fa_str_t value, fa_github_link_t **links,
                          size_t *count);

/* The URL of the first link whose rel list (space-separated relation types)
 * contains rel, compared case-insensitively; NULL when none. */
const char *fa_github_link_find(const fa_github_link_t *links, size_t count, const char *rel);

/* True when url is an absolute http(s) URL without userinfo whose scheme,
 * host and port (default port filled in) equal those of base. */
bool fa_github_same_origin(const char *url, const char *base);

typedef enum {
    FA_GITHUB_NEXT_NONE,      /* no rel="next": this was the last page */
    FA_GITHUB_NEXT_FOUND,     /* *url is the next page, on base's origin */
    FA_GITHUB_NEXT_MALFORMED, /* the header does not parse */
    FA_GITHUB_NEXT_FOREIGN,   /* rel="next" points elsewhere: refused */
} fa_github_next_t;

/* The next-page URL from a Link header value (an empty or absent header is
 * NONE). *url is set only for FOUND. */
fa_github_next_t fa_github_link_next(fa_arena_t *arena, fa_str_t value, const char *base,
                                     const char **url);

#endif
