/* The optional cookie cache: what it lets through and, mostly, what it must
 * not: another session's token, an expired or over-long cache, tampering,
 * another purpose's signature. */
#include <string.h>

#include "auth/cookie_cache.h"
#include "crypto/kdf.h"
#include "unit_test.h"

static fa_hmac_keys_t keys;
static const char *const secret = "cookie-cache-secret-0123456789abcdef012";
static const time_t t0 = 1700000000;

static fa_session_t session(void)
{
    fa_session_t s = {
        .user_id = 583231,
        .id = "0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b",
        .expires_at = "2023-11-21T22:13:20.000Z",
        .created_at = "2023-11-14T22:13:20.000Z",
        .expires_in = 3600,
        .login = "octocat",
        .name = "The Octocat",
        .email = NULL,
        .image = "https://avatars.example/u/583231",
        .role_label = "staff",
    };
    memset(s.token_hash, 0x42, sizeof(s.token_hash));
    return s;
}

static void test_round_trip(void)
{
    fa_session_t s = session(), out;
    char *value = fa_cookie_cache_encode(&keys, arena, &s, t0, 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(value);
    CU_ASSERT_TRUE_FATAL(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0 + 59, 60, &out));
    CU_ASSERT_EQUAL(out.user_id, s.user_id);
    CU_ASSERT_STRING_EQUAL(out.id, s.id);
    CU_ASSERT_STRING_EQUAL(out.login, "octocat");
    CU_ASSERT_STRING_EQUAL(out.name, "The Octocat");
    CU_ASSERT_PTR_NULL(out.email);
    CU_ASSERT_STRING_EQUAL(out.role_label, "staff");
    CU_ASSERT_STRING_EQUAL(out.expires_at, s.expires_at);
    CU_ASSERT_EQUAL(out.expires_in, 3600 - 59);
    CU_ASSERT_FALSE(out.needs_refresh);
    /* Cookie-safe: base64url and the signature's '.'. */
    CU_ASSERT_EQUAL(
        strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
        strlen(value));
}

static void test_bound_to_the_session_token(void)
{
    fa_session_t s = session(), out;
    char *value = fa_cookie_cache_encode(&keys, arena, &s, t0, 60);
    uint8_t other[32];
    memset(other, 0x43, sizeof(other));
    CU_ASSERT_FALSE(fa_cookie_cache_decode(&keys, arena, fa_str_from(value), other, t0, 60, &out));
    /* The cookie carries no token hash, only a one-way binding of it. */
    char hex_marker[] = "QkJCQkJC"; /* base64 of 0x42 bytes */
    CU_ASSERT_PTR_NULL(strstr(value, hex_marker));
}

static void test_expires_within_max_age(void)
{
    fa_session_t s = session(), out;
    char *value = fa_cookie_cache_encode(&keys, arena, &s, t0, 60);
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0 + 60, 60, &out));
    /* Max-age lowered since it was issued: the shorter bound wins. */
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0, 30, &out));
    /* Turned off: never used. */
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0, 0, &out));
}

static void test_never_outlives_the_session(void)
{
    fa_session_t s = session(), out;
    s.expires_in = 10;
    char *value = fa_cookie_cache_encode(&keys, arena, &s, t0, 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(value);
    CU_ASSERT_TRUE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0 + 9, 60, &out));
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(value), s.token_hash, t0 + 10, 60, &out));
    s.expires_in = 0;
    CU_ASSERT_PTR_NULL(fa_cookie_cache_encode(&keys, arena, &s, t0, 60));
}

static void test_tampering_and_other_keys_refused(void)
{
    fa_session_t s = session(), out;
    char *value = fa_cookie_cache_encode(&keys, arena, &s, t0, 60);
    char *copy = fa_arena_strdup(arena, value);
    copy[5] = copy[5] == 'A' ? 'B' : 'A';
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, fa_str_from(copy), s.token_hash, t0, 60, &out));
    fa_hmac_keys_t other;
    const char *secrets[1] = {secret};
    CU_ASSERT_TRUE_FATAL(
        fa_hmac_keys_init_purpose(&other, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, secrets, 1));
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&other, arena, fa_str_from(value), s.token_hash, t0, 60, &out));
    fa_hmac_keys_clear(&other);
    CU_ASSERT_FALSE(
        fa_cookie_cache_decode(&keys, arena, FA_STR("garbage"), s.token_hash, t0, 60, &out));
    CU_ASSERT_FALSE(fa_cookie_cache_decode(&keys, arena, FA_STR_NULL, s.token_hash, t0, 60, &out));
}

static void test_too_large_is_not_cached(void)
{
    fa_session_t s = session();
    char *huge = fa_arena_alloc(arena, 2001);
    memset(huge, 'n', 2000);
    huge[2000] = 0;
    s.name = huge;
    CU_ASSERT_PTR_NULL(fa_cookie_cache_encode(&keys, arena, &s, t0, 60));
}

static void test_cookie_name(void)
{
    fa_config_t cfg = {.secure_cookies = true};
    CU_ASSERT_STRING_EQUAL(fa_cookie_cache_name(&cfg), "__Host-foundry_session_cache");
    cfg.secure_cookies = false;
    CU_ASSERT_STRING_EQUAL(fa_cookie_cache_name(&cfg), "foundry_session_cache");
}

int main(void)
{
    arena = fa_arena_create(16 * 1024);
    const char *secrets[1] = {secret};
    if (!fa_hmac_keys_init_purpose(&keys, FA_KDF_LABEL_COOKIE_CACHE, secrets, 1))
        return 1;
    static const test_case_t tests[] = {
        {"round trip", test_round_trip},
        {"bound to the session token", test_bound_to_the_session_token},
        {"expires within max-age", test_expires_within_max_age},
        {"never outlives the session", test_never_outlives_the_session},
        {"tampering and other keys refused", test_tampering_and_other_keys_refused},
        {"too large is not cached", test_too_large_is_not_cached},
        {"cookie name", test_cookie_name},
    };
    static const fa_unit_suite_t suite = {.name = "auth/cookie_cache"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_hmac_keys_clear(&keys);
    fa_arena_destroy(arena);
    return rc;
}
