/* Owns: the open-redirect rule. Never: redirects anywhere not on the list. */
#include "auth/return_to.h"

#include <string.h>

/* Printable ASCII without space and backslash: browsers treat '\' as '/', and
 * every other byte outside this range is either a header-splitting character
 * or something that should have been percent-encoded. */
static bool fa_plain_url_chars(fa_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return false;
    }
    return true;
}

static bool fa_is_safe_path(fa_str_t s)
{
    /* "/x" yes; "//host" and "/\host" are protocol-relative URLs to browsers. */
    return s.len >= 1 && s.ptr[0] == '/' && (s.len == 1 || (s.ptr[1] != '/' && s.ptr[1] != '\\'));
}

static bool fa_is_trusted_absolute(const fa_config_t *cfg, fa_str_t s)
{
    const char *scheme_end = memchr(s.ptr, ':', s.len);
    if (!scheme_end || (size_t)(scheme_end - s.ptr) + 3 > s.len || scheme_end[1] != '/' ||
        scheme_end[2] != '/')
        return false;
    const char *host = scheme_end + 3;
    size_t rest = s.len - (size_t)(host - s.ptr);
    size_t host_len = 0;
    while (host_len < rest && host[host_len] != '/' && host[host_len] != '?' &&
           host[host_len] != '#')
        host_len++;
    if (host_len == 0 || memchr(host, '@', host_len))
        return false;
    size_t origin_len = (size_t)(host - s.ptr) + host_len;
    return fa_config_is_trusted_origin(cfg, s.ptr, origin_len);
}

bool fa_return_to_is_safe(const fa_config_t *cfg, fa_str_t s)
{
    if (!s.ptr || s.len == 0 || s.len > FA_RETURN_TO_MAX || !fa_plain_url_chars(s))
        return false;
    if (s.ptr[0] == '/')
        return fa_is_safe_path(s);
    return fa_is_trusted_absolute(cfg, s);
}

const char *fa_return_to_sanitize(const fa_config_t *cfg, fa_arena_t *arena, fa_str_t candidate)
{
    if (fa_return_to_is_safe(cfg, candidate))
        return fa_str_dup(arena, candidate);
    return cfg->default_return_to;
}
