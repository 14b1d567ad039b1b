/* GitHub's JSON answers, parsed with jansson into arena strings. Each parser
 * checks types strictly (ids are 64-bit integers > 0; GitHub's ids already
 * exceed 2^32) and reports what was wrong in err->detail by field name only:
 * never input text, since the body of a token answer holds a token.
 *
 * Invariant: every string handed back is checked here, at the boundary, so
 * nothing GitHub sends can make a later request fail. A login goes out in an
 * X-Auth-User-Login header, so it must have GitHub's login syntax (a CR/LF in
 * one used to abort the worker on every session check); every other text is
 * well-formed UTF-8 without control characters (C0, DEL, C1) and bounded. */
#include "github/responses.h"

#include <jansson.h>
#include <strings.h>

const char fa_github_err_bad_response[] = "github_bad_response";
const char fa_github_err_rejected_code[] = "github_rejected_code";

static const char *const BAD_MESSAGE = "GitHub sent an answer that could not be understood";

fa_status_t fa_github_bad_response(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_bad_response, BAD_MESSAGE, detail);
}

bool fa_github_token_valid(const char *token)
{
    if (!token)
        return false;
    size_t len = strlen(token);
    if (len == 0 || len > FA_GITHUB_MAX_TOKEN)
        return false;
    size_t i = 0;
    while (i < len && (strchr("-._~+/", token[i]) || (token[i] >= '0' && token[i] <= '9') ||
                       ((token[i] | 0x20) >= 'a' && (token[i] | 0x20) <= 'z')))
        i++;
    if (i == 0)
        return false;
    while (i < len && token[i] == '=')
        i++;
    return i == len;
}

/* JSON_REJECT_DUPLICATES: two "access_token" members could be read
 * differently by two parsers; refuse the ambiguity. */
static json_t *load(fa_arena_t *arena, fa_str_t body, json_type want_type)
{
    json_error_t jerr;
    /* Owned by the arena, so every early return releases the document. */
    json_t *root = fa_arena_json(
        arena, json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr));
    return root && json_typeof(root) == want_type ? root : NULL;
}

static char *dup_string(fa_arena_t *arena, const json_t *v)
{
    return fa_arena_strndup(arena, json_string_value(v), json_string_length(v));
}

/* What a string member must look like to be accepted. */
typedef enum {
    TEXT_PLAIN, /* UTF-8 text without control characters */
    TEXT_LOGIN, /* GitHub's login syntax (fa_github_login_valid) */
    TEXT_URL,   /* TEXT_PLAIN and an avatar URL (is_avatar_url) */
} text_kind_t;

/* Bounds on GitHub text, in bytes. Ours, not GitHub's documented limits:
 * an address follows RFC 5321 (64 + 1 + 255 = 320), the others are well
 * above any real name, URL or scope list and low enough that nobody can park
 * 1 MiB in a column rendered into every snapshot. */
#define FA_GITHUB_MAX_NAME 255
#define FA_GITHUB_MAX_EMAIL 320
#define FA_GITHUB_MAX_URL 2048
#define FA_GITHUB_MAX_SCOPE 1024

/* C0 controls, DEL and the C1 controls (U+0080..U+009F, C2 80..C2 9F in
 * UTF-8): none belongs in a name, an address or a URL, and a terminal or a
 * log viewer may act on them. Call only on valid UTF-8. */
static bool has_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7F)
            return true;
        if (p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            return true;
    }
    return false;
}

bool fa_github_text_valid(const char *s, size_t len, size_t max)
{
    return s && len <= max && fa_utf8_valid(s, len) && !has_control(s, len);
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* GitHub's login rule: letters, digits and single hyphens, neither first nor
 * last, at most 39 characters; Enterprise Managed Users add "_shortcode"
 * (letters and digits; we bound the shortcode at 39 as well). Anything that
 * passes is safe in a header, a URL path and a log line as it is. */
bool fa_github_login_valid(const char *s, size_t len)
{
    if (!s)
        return false;
    const char *underscore = memchr(s, '_', len);
    size_t base = underscore ? (size_t)(underscore - s) : len;
    if (base == 0 || base > FA_GITHUB_MAX_LOGIN || s[0] == '-' || s[base - 1] == '-')
        return false;
    for (size_t i = 0; i < base; i++)
        if (!is_alnum(s[i]) && !(s[i] == '-' && s[i + 1] != '-'))
            return false;
    if (!underscore)
        return true;
    size_t code = len - base - 1;
    if (code == 0 || code > FA_GITHUB_MAX_LOGIN)
        return false;
    for (size_t i = base + 1; i < len; i++)
        if (!is_alnum(s[i]))
            return false;
    return true;
}

/* Avatars are shown in <img>: http(s), as GitHub sends them, or a data:image
 * URL, which the pages' CSP allows and the browser suite's fixtures use.
 * javascript:, file: and relative URLs are refused. */
static bool is_avatar_url(const char *s, size_t len)
{
    return (len > 7 && strncasecmp(s, "http://", 7) == 0) ||
           (len > 8 && strncasecmp(s, "https://", 8) == 0) ||
           (len > 11 && strncasecmp(s, "data:image/", 11) == 0);
}

static bool text_ok(const json_t *v, text_kind_t kind, size_t max)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    /* jansson refuses \u0000 without JSON_ALLOW_NUL; checked anyway, since a
     * NUL would cut the arena copy short of what was validated. */
    if (memchr(s, '\0', len))
        return false;
    if (kind == TEXT_LOGIN)
        return fa_github_login_valid(s, len);
    if (!fa_github_text_valid(s, len, max))
        return false;
    return kind != TEXT_URL || is_avatar_url(s, len);
}

/* A required non-empty string member of the given kind. */
static bool get_string(fa_arena_t *arena, const json_t *obj, const char *key, text_kind_t kind,
                       size_t max, char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0 || !text_ok(v, kind, max))
        return false;
    *out = dup_string(arena, v);
    return true;
}

/* An optional string member: absent or null gives NULL; other types and
 * text that is not of the kind fail. */
static bool get_nullable(fa_arena_t *arena, const json_t *obj, const char *key, text_kind_t kind,
                         size_t max, char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || !text_ok(v, kind, max))
        return false;
    *out = dup_string(arena, v);
    return true;
}

static bool get_id(const json_t *obj, int64_t *out)
{
    const json_t *v = json_object_get(obj, "id");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* A non-negative integer member; absent gives 0. */
static bool get_seconds(const json_t *obj, const char *key, long *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0x7FFFFFFF)
        return false;
    *out = (long)json_integer_value(v);
    return true;
}

/* GitHub's error names are snake_case; anything else is not echoed. */
static const char *error_name(fa_arena_t *arena, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!s || len == 0 || len > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz_") != len)
        return "unknown";
    return fa_arena_strndup(arena, s, len);
}

/* token_type: GitHub sends "bearer"; absent is tolerated, anything else
 * means the answer is not what we think it is. */
static bool token_type_ok(const json_t *root)
{
    const json_t *v = json_object_get(root, "token_type");
    return !v || (json_is_string(v) && strcasecmp(json_string_value(v), "bearer") == 0);
}

fa_status_t fa_github_parse_tokens(fa_arena_t *arena, const char *body, size_t len,
                                   fa_github_tokens_t *out, fa_error_t *err)
{
    *out = (fa_github_tokens_t){0};
    json_t *root = load(arena, (fa_str_t){body, len}, JSON_OBJECT);
    if (!root)
        return fa_github_bad_response(err, "token answer is not a JSON object");
    const json_t *error = json_object_get(root, "error");
    if (error)
        return fa_error_set(err, FA_ERR_UPSTREAM, fa_github_err_rejected_code,
                            "GitHub refused the sign-in code", error_name(arena, error));
    fa_github_tokens_t t = {0};
    if (!get_string(arena, root, "access_token", TEXT_PLAIN, FA_GITHUB_MAX_TOKEN,
                    &t.access_token) ||
        !fa_github_token_valid(t.access_token))
        return fa_github_bad_response(err, "token answer without a usable access_token");
    if (!get_nullable(arena, root, "refresh_token", TEXT_PLAIN, FA_GITHUB_MAX_TOKEN,
                      &t.refresh_token) ||
        (t.refresh_token && !fa_github_token_valid(t.refresh_token)))
        return fa_github_bad_response(err, "token answer with an unusable refresh_token");
    if (!get_nullable(arena, root, "scope", TEXT_PLAIN, FA_GITHUB_MAX_SCOPE, &t.scope))
        return fa_github_bad_response(err, "token answer with an invalid scope");
    if (!t.scope)
        t.scope = fa_arena_strdup(arena, "");
    if (!get_seconds(root, "expires_in", &t.expires_in))
        return fa_github_bad_response(err, "token answer with an invalid expires_in");
    if (!get_seconds(root, "refresh_token_expires_in", &t.refresh_token_expires_in))
        return fa_github_bad_response(err, "token answer with an invalid refresh_token_expires_in");
    if (!token_type_ok(root))
        return fa_github_bad_response(err, "token answer with a token_type other than bearer");
    *out = t;
    return FA_OK;
}

fa_status_t fa_github_parse_user(fa_arena_t *arena, fa_str_t body, fa_github_user_t *out,
                                 fa_error_t *err)
{
    *out = (fa_github_user_t){0};
    json_t *root = load(arena, body, JSON_OBJECT);
    if (!root)
        return fa_github_bad_response(err, "/user answer is not a JSON object");
    fa_github_user_t u = {0};
    if (!get_id(root, &u.id))
        return fa_github_bad_response(err, "/user answer without a positive integer id");
    if (!get_string(arena, root, "login", TEXT_LOGIN, 0, &u.login))
        return fa_github_bad_response(err, "/user answer without a valid login");
    if (!get_nullable(arena, root, "name", TEXT_PLAIN, FA_GITHUB_MAX_NAME, &u.name))
        return fa_github_bad_response(err, "/user answer with an invalid name");
    if (!get_nullable(arena, root, "email", TEXT_PLAIN, FA_GITHUB_MAX_EMAIL, &u.email))
        return fa_github_bad_response(err, "/user answer with an invalid email");
    if (!get_nullable(arena, root, "avatar_url", TEXT_URL, FA_GITHUB_MAX_URL, &u.avatar_url))
        return fa_github_bad_response(err, "/user answer with an invalid avatar_url");
    *out = u;
    return FA_OK;
}

fa_status_t fa_github_parse_primary_email(fa_arena_t *arena, fa_str_t body, char **email,
                                          bool *verified, fa_error_t *err)
{
    *email = NULL;
    *verified = false;
    json_t *root = load(arena, body, JSON_ARRAY);
    if (!root)
        return fa_github_bad_response(err, "/user/emails answer is not a JSON array");
    size_t i;
    json_t *entry;
    json_array_foreach(root, i, entry)
    {
        const json_t *primary = json_object_get(entry, "primary");
        if (!json_is_object(entry) || !json_is_boolean(primary))
            return fa_github_bad_response(err, "/user/emails entry without a primary flag");
        if (!json_is_true(primary))
            continue;
        const json_t *ver = json_object_get(entry, "verified");
        char *address;
        if (!json_is_boolean(ver))
            return fa_github_bad_response(err, "/user/emails primary entry without a verified "
                                               "flag");
        if (!get_string(arena, entry, "email", TEXT_PLAIN, FA_GITHUB_MAX_EMAIL, &address))
            return fa_github_bad_response(err, "/user/emails primary entry without a valid email");
        *email = address;
        *verified = json_is_true(ver);
        return FA_OK;
    }
    return FA_OK;
}

static bool org_seen(const fa_github_org_list_t *list, int64_t id)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].id == id)
            return true;
    return false;
}

static void org_append(fa_arena_t *arena, fa_github_org_list_t *list, const fa_github_org_t *org)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 32;
        fa_github_org_t *grown = fa_arena_alloc(arena, cap * sizeof(*grown));
        if (list->count)
            memcpy(grown, list->items, list->count * sizeof(*grown));
        list->items = grown;
        list->cap = cap;
    }
    list->items[list->count++] = *org;
}

fa_status_t fa_github_parse_orgs_page(fa_arena_t *arena, fa_str_t body, fa_github_org_list_t *list,
                                      fa_error_t *err)
{
    json_t *root = load(arena, body, JSON_ARRAY);
    if (!root)
        return fa_github_bad_response(err, "/user/orgs answer is not a JSON array");
    size_t i;
    json_t *entry;
    json_array_foreach(root, i, entry)
    {
        fa_github_org_t org = {0};
        if (!json_is_object(entry) || !get_id(entry, &org.id))
            return fa_github_bad_response(err, "/user/orgs entry without a positive integer id");
        /* An organization's login follows the same rule as a user's. */
        if (!get_string(arena, entry, "login", TEXT_LOGIN, 0, &org.login))
            return fa_github_bad_response(err, "/user/orgs entry without a valid login");
        if (!get_nullable(arena, entry, "name", TEXT_PLAIN, FA_GITHUB_MAX_NAME, &org.name))
            return fa_github_bad_response(err, "/user/orgs entry with an invalid name");
        if (!get_nullable(arena, entry, "avatar_url", TEXT_URL, FA_GITHUB_MAX_URL, &org.avatar_url))
            return fa_github_bad_response(err, "/user/orgs entry with an invalid avatar_url");
        /* Pages can repeat items when memberships change between requests. */
        if (!org_seen(list, org.id))
            org_append(arena, list, &org);
    }
    return FA_OK;
}
