/* Link header parsing (RFC 8288 §3 with RFC 9110 list, token and
 * quoted-string rules) and the same-origin check for pagination. The parser
 * is strict: a header that does not follow the grammar is rejected as a
 * whole, because an org list built from a misread header would silently drop
 * memberships. URLs are parsed by libcurl's URL API, the same parser that
 * later connects, so the check and the request cannot disagree. */
#include "github/link_header.h"

#include <curl/curl.h>
#include <strings.h>

typedef struct {
    const char *p;
    const char *end;
} cursor_t;

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* qdtext and the second byte of a quoted-pair (RFC 9110 §5.6.4). */
static bool is_qdtext(unsigned char c, bool escaped)
{
    if (c == '\t' || c == ' ' || c >= 0x80)
        return true;
    if (c < 0x21 || c == 0x7F)
        return false;
    return escaped || (c != '"' && c != '\\');
}

static bool is_url_char(unsigned char c)
{
    return c > 0x20 && c < 0x7F && c != '<' && c != '>';
}

static void skip_ows(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool at(const cursor_t *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static fa_str_t read_token(cursor_t *c)
{
    const char *start = c->p;
    while (c->p < c->end && is_tchar((unsigned char)*c->p))
        c->p++;
    return (fa_str_t){start, (size_t)(c->p - start)};
}

/* Reads a quoted-string at c->p (on the opening quote) and returns it
 * unescaped in the arena, or NULL on a syntax error. */
static char *read_quoted(fa_arena_t *arena, cursor_t *c)
{
    c->p++;
    char *out = fa_arena_alloc(arena, (size_t)(c->end - c->p) + 1);
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        bool escaped = *c->p == '\\';
        if (escaped && ++c->p == c->end)
            return NULL;
        if (!is_qdtext((unsigned char)*c->p, escaped))
            return NULL;
        out[n++] = *c->p++;
    }
    if (!at(c, '"'))
        return NULL;
    c->p++;
    out[n] = '\0';
    return out;
}

static char *lower_dup(fa_arena_t *arena, const char *s, size_t len)
{
    char *out = fa_arena_strndup(arena, s, len);
    for (size_t i = 0; i < len; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] - 'A' + 'a');
    return out;
}

/* link-param = token BWS [ "=" BWS ( token / quoted-string ) ]; keeps the
 * first rel only (RFC 8288 §3.3: later occurrences are ignored). */
static bool parse_param(fa_arena_t *arena, cursor_t *c, fa_github_link_t *link)
{
    fa_str_t name = read_token(c);
    if (name.len == 0)
        return false;
    skip_ows(c);
    fa_str_t value = FA_STR("");
    if (at(c, '=')) {
        c->p++;
        skip_ows(c);
        if (at(c, '"')) {
            char *q = read_quoted(arena, c);
            if (!q)
                return false;
            value = fa_str_from(q);
        } else {
            value = read_token(c);
            if (value.len == 0)
                return false;
        }
    }
    if (!link->rel && fa_str_case_eq_cstr(name, "rel"))
        link->rel = lower_dup(arena, value.ptr, value.len);
    return true;
}

/* link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), ending at
 * the end of input or before the "," that separates list elements. */
static bool parse_link(fa_arena_t *arena, cursor_t *c, fa_github_link_t *link)
{
    const char *start = ++c->p;
    while (c->p < c->end && is_url_char((unsigned char)*c->p))
        c->p++;
    if (c->p == start || !at(c, '>'))
        return false;
    link->url = fa_arena_strndup(arena, start, (size_t)(c->p - start));
    link->rel = NULL;
    c->p++;
    for (;;) {
        skip_ows(c);
        if (c->p == c->end || at(c, ','))
            break;
        if (!at(c, ';'))
            return false;
        c->p++;
        skip_ows(c);
        if (!parse_param(arena, c, link))
            return false;
    }
    if (!link->rel)
        link->rel = fa_arena_strdup(arena, "");
    return true;
}

bool fa_github_link_parse(fa_arena_t *arena, fa_str_t value, fa_github_link_t **links,
                          size_t *count)
{
    cursor_t c = {value.ptr, value.ptr + value.len};
    fa_github_link_t *items = NULL;
    size_t n = 0, cap = 0;
    *links = NULL;
    *count = 0;
    for (;;) {
        while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == ','))
            c.p++;
        if (c.p == c.end)
            break;
        if (*c.p != '<')
            return false;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            fa_github_link_t *grown = fa_arena_alloc(arena, cap * sizeof(*grown));
            if (n)
                memcpy(grown, items, n * sizeof(*grown));
            items = grown;
        }
        if (!parse_link(arena, &c, &items[n]))
            return false;
        n++;
    }
    *links = items;
    *count = n;
    return true;
}

static bool rel_list_has(const char *list, const char *rel)
{
    size_t want = strlen(rel);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len > 0 && len == want && strncasecmp(p, rel, len) == 0)
            return true;
        p += len;
    }
    return false;
}

const char *fa_github_link_find(const fa_github_link_t *links, size_t count, const char *rel)
{
    for (size_t i = 0; i < count; i++)
        if (rel_list_has(links[i].rel, rel))
            return links[i].url;
    return NULL;
}

typedef struct {
    char *scheme;
    char *host;
    char *port;
} origin_t;

static void origin_free(origin_t *o)
{
    curl_free(o->scheme);
    curl_free(o->host);
    curl_free(o->port);
}

/* Fills o from an absolute http(s) URL without userinfo; false otherwise. */
static bool origin_of(const char *url, origin_t *o)
{
    bool ok = false;
    char *user = NULL;
    CURLU *u = curl_url();
    *o = (origin_t){0};
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &o->host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    ok = strcasecmp(o->scheme, "http") == 0 || strcasecmp(o->scheme, "https") == 0;
out:
    curl_free(user);
    curl_url_cleanup(u);
    if (!ok)
        origin_free(o);
    return ok;
}

bool fa_github_same_origin(const char *url, const char *base)
{
    /* A backslash or non-ASCII byte means some parser somewhere may read the
     * authority differently; GitHub never sends one. */
    for (const char *p = url; *p; p++)
        if (*p == '\\' || (unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F)
            return false;
    origin_t a, b;
    if (!origin_of(url, &a))
        return false;
    bool same = false;
    if (origin_of(base, &b)) {
        same = strcasecmp(a.scheme, b.scheme) == 0 && strcasecmp(a.host, b.host) == 0 &&
               strcmp(a.port, b.port) == 0;
        origin_free(&b);
    }
    origin_free(&a);
    return same;
}

fa_github_next_t fa_github_link_next(fa_arena_t *arena, fa_str_t value, const char *base,
                                     const char **url)
{
    fa_github_link_t *links;
    size_t count;
    *url = NULL;
    if (!value.ptr)
        return FA_GITHUB_NEXT_NONE;
    if (!fa_github_link_parse(arena, value, &links, &count))
        return FA_GITHUB_NEXT_MALFORMED;
    const char *next = fa_github_link_find(links, count, "next");
    if (!next)
        return FA_GITHUB_NEXT_NONE;
    if (!fa_github_same_origin(next, base))
        return FA_GITHUB_NEXT_FOREIGN;
    *url = next;
    return FA_GITHUB_NEXT_FOUND;
}
