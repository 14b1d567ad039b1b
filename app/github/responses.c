/* GitHub's JSON answers, parsed with jansson into arena strings. Each parser
 * checks types strictly (ids are 64-bit integers > 0; GitHub's ids already
 * exceed 2^32) and reports what was wrong in err->detail by field name only:
 * never input text, since the body of a token answer holds a token. */
#include "github/responses.h"

#include <jansson.h>

static const char *const BAD_MESSAGE = "GitHub sent an answer that could not be understood";

fa_status_t fa_github_bad_response(fa_error_t *err, const char *detail)
{
    return fa_error_set(err, FA_ERR_UPSTREAM, "github_bad_response", BAD_MESSAGE, detail);
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

/* Registered with the arena so every early return releases the document. */
static void decref(void *json)
{
    json_decref(json);
}

/* JSON_REJECT_DUPLICATES: two "access_token" members could be read
 * differently by two parsers; refuse the ambiguity. */
static json_t *load(fa_arena_t *arena, fa_str_t body, json_type want_type)
{
    json_error_t jerr;
    json_t *root = json_loadb(body.ptr ? body.ptr : "", body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return NULL;
    fa_arena_defer(arena, decref, root);
    return json_typeof(root) == want_type ? root : NULL;
}

static char *dup_string(fa_arena_t *arena, const json_t *v)
{
    return fa_arena_strndup(arena, json_string_value(v), json_string_length(v));
}

/* A required non-empty string member. */
static bool get_string(fa_arena_t *arena, const json_t *obj, const char *key, char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return false;
    *out = dup_string(arena, v);
    return true;
}

/* An optional string member: absent or null gives NULL; other types fail. */
static bool get_nullable(fa_arena_t *arena, const json_t *obj, const char *key, char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v))
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

fa_status_t fa_github_parse_tokens(fa_arena_t *arena, const char *body, size_t len,
                                   fa_github_tokens_t *out, fa_error_t *err)
{
    *out = (fa_github_tokens_t){0};
    json_t *root = load(arena, (fa_str_t){body, len}, JSON_OBJECT);
    if (!root)
        return fa_github_bad_response(err, "token answer is not a JSON object");
    const json_t *error = json_object_get(root, "error");
    if (error)
        return fa_error_set(err, FA_ERR_UPSTREAM, "github_rejected_code",
                            "GitHub refused the sign-in code", error_name(arena, error));
    fa_github_tokens_t t = {0};
    if (!get_string(arena, root, "access_token", &t.access_token) ||
        !fa_github_token_valid(t.access_token))
        return fa_github_bad_response(err, "token answer without a usable access_token");
    if (!get_nullable(arena, root, "refresh_token", &t.refresh_token) ||
        (t.refresh_token && !fa_github_token_valid(t.refresh_token)))
        return fa_github_bad_response(err, "token answer with an unusable refresh_token");
    if (!get_nullable(arena, root, "scope", &t.scope))
        return fa_github_bad_response(err, "token answer with a non-string scope");
    if (!t.scope)
        t.scope = fa_arena_strdup(arena, "");
    if (!get_seconds(root, "expires_in", &t.expires_in) ||
        !get_seconds(root, "refresh_token_expires_in", &t.refresh_token_expires_in))
        return fa_github_bad_response(err, "token answer with an invalid expiry");
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
    if (!get_string(arena, root, "login", &u.login))
        return fa_github_bad_response(err, "/user answer without a login");
    if (!get_nullable(arena, root, "name", &u.name) ||
        !get_nullable(arena, root, "email", &u.email) ||
        !get_nullable(arena, root, "avatar_url", &u.avatar_url))
        return fa_github_bad_response(err, "/user answer with a field of the wrong type");
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
        if (!json_is_boolean(ver) || !get_string(arena, entry, "email", &address))
            return fa_github_bad_response(err, "/user/emails primary entry is incomplete");
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
        if (!json_is_object(entry) || !get_id(entry, &org.id) ||
            !get_string(arena, entry, "login", &org.login) ||
            !get_nullable(arena, entry, "name", &org.name) ||
            !get_nullable(arena, entry, "avatar_url", &org.avatar_url))
            return fa_github_bad_response(err, "/user/orgs entry without a valid id or login");
        /* Pages can repeat items when memberships change between requests. */
        if (!org_seen(list, org.id))
            org_append(arena, list, &org);
    }
    return FA_OK;
}
