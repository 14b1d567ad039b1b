/* Owns: the cache cookie's format. Never: holds the session token or its
 * hash (only a one-way binding of the hash), or answers a mutation. */
#include "auth/cookie_cache.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/base64url.h"
#include "crypto/hash.h"

#define FA_CACHE_BINDING_LEN 16
#define FA_CACHE_BINDING_LABEL "foundry-auth cookie-cache"

const char *fa_cookie_cache_name(const fa_config_t *cfg)
{
    return cfg->secure_cookies ? "__Host-foundry_session_cache" : "foundry_session_cache";
}

static char *fa_cache_binding(fa_arena_t *arena, const uint8_t token_hash[FA_SHA256_LEN])
{
    uint8_t input[sizeof(FA_CACHE_BINDING_LABEL) - 1 + FA_SHA256_LEN], digest[FA_SHA256_LEN];
    memcpy(input, FA_CACHE_BINDING_LABEL, sizeof(FA_CACHE_BINDING_LABEL) - 1);
    memcpy(input + sizeof(FA_CACHE_BINDING_LABEL) - 1, token_hash, FA_SHA256_LEN);
    fa_sha256(input, sizeof(input), digest);
    return fa_base64url_encode_arena(arena, digest, FA_CACHE_BINDING_LEN);
}

char *fa_cookie_cache_encode(const fa_hmac_keys_t *keys, fa_arena_t *arena, const fa_session_t *s,
                             time_t now, long max_age)
{
    long long session_end = (long long)now + s->expires_in;
    long long until = (long long)now + max_age;
    if (until > session_end)
        until = session_end;
    if (until <= (long long)now)
        return NULL;
    json_t *doc = json_pack("{s:i,s:I,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:I,s:I,s:s}", "v", 1,
                            "u", (json_int_t)s->user_id, "s", s->id, "l", s->login, "n", s->name,
                            "e", s->email, "i", s->image, "r", s->role_label, "c", s->created_at,
                            "x", s->expires_at, "xe", (json_int_t)session_end, "t",
                            (json_int_t)until, "b", fa_cache_binding(arena, s->token_hash));
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return NULL;
    char *encoded = fa_base64url_encode_arena(arena, text, strlen(text));
    free(text);
    if (strlen(encoded) > FA_SIGNED_VALUE_MAX)
        return NULL;
    return fa_signed_value_create(keys, arena, fa_str_from(encoded));
}

static const char *fa_cache_string(fa_arena_t *arena, const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? fa_arena_strdup(arena, v) : NULL;
}

static bool fa_cache_fill(fa_arena_t *arena, const json_t *doc,
                          const uint8_t token_hash[FA_SHA256_LEN], time_t now, long max_age,
                          fa_session_t *out)
{
    json_t *v = json_object_get(doc, "v"), *u = json_object_get(doc, "u");
    json_t *t = json_object_get(doc, "t"), *xe = json_object_get(doc, "xe");
    const char *binding = json_string_value(json_object_get(doc, "b"));
    const char *sid = json_string_value(json_object_get(doc, "s"));
    if (!json_is_integer(v) || json_integer_value(v) != 1 || !json_is_integer(u) ||
        !json_is_integer(t) || !json_is_integer(xe) || !binding || !sid)
        return false;
    long long until = json_integer_value(t);
    if (until <= (long long)now || until > (long long)now + max_age)
        return false;
    const char *expected = fa_cache_binding(arena, token_hash);
    if (strlen(binding) != strlen(expected) || !fa_ct_equal(binding, expected, strlen(expected)))
        return false;
    memset(out, 0, sizeof(*out));
    out->user_id = (int64_t)json_integer_value(u);
    out->id = fa_arena_strdup(arena, sid);
    out->login = fa_cache_string(arena, doc, "l");
    out->name = fa_cache_string(arena, doc, "n");
    out->email = fa_cache_string(arena, doc, "e");
    out->image = fa_cache_string(arena, doc, "i");
    out->role_label = fa_cache_string(arena, doc, "r");
    out->created_at = fa_cache_string(arena, doc, "c");
    out->expires_at = fa_cache_string(arena, doc, "x");
    out->expires_in = (long)(json_integer_value(xe) - (long long)now);
    out->needs_refresh = false; /* sliding expiry happens on the next database check */
    memcpy(out->token_hash, token_hash, FA_SHA256_LEN);
    return out->user_id > 0 && out->expires_in > 0;
}

bool fa_cookie_cache_decode(const fa_hmac_keys_t *keys, fa_arena_t *arena, fa_str_t value,
                            const uint8_t token_hash[FA_SHA256_LEN], time_t now, long max_age,
                            fa_session_t *out)
{
    fa_str_t payload;
    if (max_age <= 0 || !value.ptr || !fa_signed_value_verify(keys, value, &payload))
        return false;
    size_t len;
    uint8_t *text = fa_base64url_decode_arena(arena, payload, &len);
    if (!text)
        return false;
    json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
    if (!doc)
        return false;
    bool ok = json_is_object(doc) && fa_cache_fill(arena, doc, token_hash, now, max_age, out);
    json_decref(doc);
    return ok;
}
