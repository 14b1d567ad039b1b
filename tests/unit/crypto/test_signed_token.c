/* Session tokens and signed values: round trips, the strict format, every
 * kind of tampering, and secret rotation. */
#include "crypto/signed_token.h"

#include "crypto/base64url.h"
#include "crypto/kdf.h"
#include "unit_test.h"

static const char *const secret_new = "new-secret-0123456789abcdef0123456789";
static const char *const secret_old = "old-secret-0123456789abcdef0123456789";
static const char *const secret_gone = "gone-secret-0123456789abcdef012345678";

static void init_keys(fa_hmac_keys_t *keys, const char *a, const char *b)
{
    const char *secrets[2] = {a, b};
    CU_ASSERT_TRUE_FATAL(fa_hmac_keys_init(keys, secrets, b ? 2 : 1));
}

static void test_create_verify_round_trip(void)
{
    fa_hmac_keys_t keys;
    char *value;
    uint8_t created_hash[32], verified_hash[32], expected[32];
    init_keys(&keys, secret_new, NULL);
    fa_signed_token_create(&keys, arena, &value, created_hash);

    CU_ASSERT_EQUAL(strlen(value), FA_SIGNED_TOKEN_LEN);
    CU_ASSERT_EQUAL(strlen(value), 87);
    CU_ASSERT_EQUAL(value[43], '.');
    CU_ASSERT_PTR_NULL(strpbrk(value, "+/="));
    CU_ASSERT_TRUE(fa_signed_token_verify(&keys, fa_str_from(value), verified_hash));
    CU_ASSERT_EQUAL(memcmp(created_hash, verified_hash, 32), 0);
    /* Documented: the hash is SHA-256 of the 43-character token part. */
    fa_sha256(value, 43, expected);
    CU_ASSERT_EQUAL(memcmp(created_hash, expected, 32), 0);
    /* The signature is base64url(HMAC-SHA256(derived key, token part)). */
    uint8_t key[32], mac[32];
    char sig[44];
    fa_kdf_derive(secret_new, strlen(secret_new), "session-token-signing", key, sizeof(key));
    fa_hmac_sha256(key, sizeof(key), value, 43, mac);
    fa_base64url_encode(mac, sizeof(mac), sig, sizeof(sig));
    CU_ASSERT_STRING_EQUAL(value + 44, sig);
    fa_hmac_keys_clear(&keys);
}

static void test_tokens_are_unique(void)
{
    fa_hmac_keys_t keys;
    char *a, *b;
    uint8_t ha[32], hb[32];
    init_keys(&keys, secret_new, NULL);
    fa_signed_token_create(&keys, arena, &a, ha);
    fa_signed_token_create(&keys, arena, &b, hb);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(memcmp(ha, hb, 32), 0);
    fa_hmac_keys_clear(&keys);
}

static bool verify_cstr(const fa_hmac_keys_t *keys, const char *s, size_t len)
{
    uint8_t hash[32];
    memset(hash, 0xff, sizeof(hash));
    bool ok = fa_signed_token_verify(keys, (fa_str_t){s, len}, hash);
    if (!ok) {
        static const uint8_t zero[32];
        CU_ASSERT_EQUAL(memcmp(hash, zero, 32), 0); /* no hash on failure */
    }
    return ok;
}

static void test_tampering_refused(void)
{
    fa_hmac_keys_t keys;
    char *value, copy[FA_SIGNED_TOKEN_LEN + 2];
    uint8_t hash[32];
    init_keys(&keys, secret_new, NULL);
    fa_signed_token_create(&keys, arena, &value, hash);

    /* Any changed character, in the token or the signature, is refused. */
    for (size_t i = 0; i < FA_SIGNED_TOKEN_LEN; i++) {
        if (i == 43)
            continue;
        memcpy(copy, value, FA_SIGNED_TOKEN_LEN + 1);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        CU_ASSERT_FALSE(verify_cstr(&keys, copy, FA_SIGNED_TOKEN_LEN));
    }
    /* Token and signature swapped. */
    memcpy(copy, value + 44, 43);
    copy[43] = '.';
    memcpy(copy + 44, value, 43);
    CU_ASSERT_FALSE(verify_cstr(&keys, copy, FA_SIGNED_TOKEN_LEN));
    /* The token alone, or the token with an empty signature. */
    CU_ASSERT_FALSE(verify_cstr(&keys, value, 43));
    CU_ASSERT_FALSE(verify_cstr(&keys, value, 44));
    /* Unchanged, it still verifies. */
    CU_ASSERT_TRUE(verify_cstr(&keys, value, FA_SIGNED_TOKEN_LEN));
    fa_hmac_keys_clear(&keys);
}

static void test_format_refused(void)
{
    fa_hmac_keys_t keys;
    char *value, copy[256];
    uint8_t hash[32];
    init_keys(&keys, secret_new, NULL);
    fa_signed_token_create(&keys, arena, &value, hash);

    CU_ASSERT_FALSE(verify_cstr(&keys, "", 0));
    CU_ASSERT_FALSE(verify_cstr(&keys, NULL, 0));
    CU_ASSERT_FALSE(verify_cstr(&keys, ".", 1));
    /* Extra dot: in place of a token character, or appended. */
    memcpy(copy, value, 88);
    copy[10] = '.';
    CU_ASSERT_FALSE(verify_cstr(&keys, copy, 87));
    memcpy(copy, value, 87);
    copy[87] = '.';
    CU_ASSERT_FALSE(verify_cstr(&keys, copy, 88));
    /* Trailing whitespace, NUL, padding. */
    static const char extra[] = " \n=\0";
    for (size_t i = 0; i < sizeof(extra) - 1; i++) {
        memcpy(copy, value, 87);
        copy[87] = extra[i];
        CU_ASSERT_FALSE(verify_cstr(&keys, copy, 88));
    }
    /* Dot moved one to the left or right. */
    memcpy(copy, value, 87);
    copy[43] = copy[42];
    copy[42] = '.';
    CU_ASSERT_FALSE(verify_cstr(&keys, copy, 87));
    /* Standard-alphabet spelling of the same bytes. */
    memcpy(copy, value, 87);
    for (size_t i = 0; i < 87; i++)
        copy[i] = copy[i] == '-' ? '+' : copy[i] == '_' ? '/' : copy[i];
    if (memcmp(copy, value, 87) != 0)
        CU_ASSERT_FALSE(verify_cstr(&keys, copy, 87));
    /* Huge input. */
    size_t huge = 1 << 20;
    char *big = fa_arena_alloc(arena, huge);
    memset(big, 'A', huge);
    memcpy(big, value, 87);
    CU_ASSERT_FALSE(verify_cstr(&keys, big, huge));
    fa_hmac_keys_clear(&keys);
}

static void test_rotation(void)
{
    fa_hmac_keys_t old_only, rotated, dropped;
    char *old_value, *new_value;
    uint8_t hash[32];
    init_keys(&old_only, secret_old, NULL);
    init_keys(&rotated, secret_new, secret_old);
    init_keys(&dropped, secret_new, secret_gone);

    fa_signed_token_create(&old_only, arena, &old_value, hash);
    fa_signed_token_create(&rotated, arena, &new_value, hash);
    /* (new, old): the old token still verifies, new tokens use the new secret. */
    CU_ASSERT_TRUE(verify_cstr(&rotated, old_value, 87));
    CU_ASSERT_TRUE(verify_cstr(&rotated, new_value, 87));
    CU_ASSERT_FALSE(verify_cstr(&old_only, new_value, 87));
    /* Once the old secret leaves the list, its tokens are dead. */
    CU_ASSERT_FALSE(verify_cstr(&dropped, old_value, 87));
    CU_ASSERT_TRUE(verify_cstr(&dropped, new_value, 87));
    fa_hmac_keys_clear(&old_only);
    fa_hmac_keys_clear(&rotated);
    fa_hmac_keys_clear(&dropped);
}

static void test_keys_init_and_clear(void)
{
    fa_hmac_keys_t keys;
    const char *five[5] = {"a1", "a2", "a3", "a4", "a5"};
    const char *with_empty[2] = {"a1", ""};
    const char *with_null[2] = {"a1", NULL};
    static const uint8_t zero[sizeof(fa_hmac_keys_t)];
    CU_ASSERT_FALSE(fa_hmac_keys_init(&keys, five, 0));
    CU_ASSERT_FALSE(fa_hmac_keys_init(&keys, five, 5));
    CU_ASSERT_FALSE(fa_hmac_keys_init(&keys, with_empty, 2));
    CU_ASSERT_EQUAL(keys.count, 0);
    CU_ASSERT_FALSE(fa_hmac_keys_init(&keys, with_null, 2));
    CU_ASSERT_TRUE(fa_hmac_keys_init(&keys, five, 4));
    CU_ASSERT_EQUAL(keys.count, 4);
    CU_ASSERT_NOT_EQUAL(memcmp(keys.keys[0], keys.keys[1], 32), 0);
    fa_hmac_keys_clear(&keys);
    CU_ASSERT_EQUAL(memcmp(&keys, zero, sizeof(keys)), 0);
}

static void test_signed_value(void)
{
    const char *secrets[2] = {secret_new, secret_old};
    fa_hmac_keys_t cache, binding, cache_old;
    fa_str_t out;
    CU_ASSERT_TRUE_FATAL(fa_hmac_keys_init_purpose(&cache, FA_KDF_LABEL_COOKIE_CACHE, secrets, 2));
    CU_ASSERT_TRUE_FATAL(
        fa_hmac_keys_init_purpose(&binding, FA_KDF_LABEL_OAUTH_BROWSER_BINDING, secrets, 2));
    CU_ASSERT_TRUE_FATAL(
        fa_hmac_keys_init_purpose(&cache_old, FA_KDF_LABEL_COOKIE_CACHE, secrets + 1, 1));

    char *v = fa_signed_value_create(&cache, arena, FA_STR("uid=42.sid=7"));
    CU_ASSERT_EQUAL(strlen(v), 12 + 1 + 43);
    CU_ASSERT_PTR_NULL(strpbrk(v + 13, "+/="));
    CU_ASSERT_TRUE(fa_signed_value_verify(&cache, fa_str_from(v), &out));
    CU_ASSERT_TRUE(fa_str_eq(out, FA_STR("uid=42.sid=7")));
    /* Another purpose's keys refuse it. */
    CU_ASSERT_FALSE(fa_signed_value_verify(&binding, fa_str_from(v), &out));
    CU_ASSERT_PTR_NULL(out.ptr);
    /* Changed value, changed signature, truncated, extended: refused. */
    v[4] = '3';
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, fa_str_from(v), &out));
    v[4] = '4';
    v[20] = v[20] == 'A' ? 'B' : 'A';
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, fa_str_from(v), &out));
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, (fa_str_t){v + 1, strlen(v) - 1}, &out));
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, FA_STR(""), &out));
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, FA_STR_NULL, &out));

    /* Empty value; and rotation as for session tokens. */
    char *e = fa_signed_value_create(&cache_old, arena, FA_STR(""));
    CU_ASSERT_EQUAL(strlen(e), 44);
    CU_ASSERT_TRUE(fa_signed_value_verify(&cache, fa_str_from(e), &out));
    CU_ASSERT_EQUAL(out.len, 0);

    /* A session token is not a signed value of any purpose, and back. */
    fa_hmac_keys_t session;
    char *token;
    uint8_t hash[32];
    init_keys(&session, secret_new, secret_old);
    fa_signed_token_create(&session, arena, &token, hash);
    CU_ASSERT_FALSE(fa_signed_value_verify(&cache, fa_str_from(token), &out));
    char *lookalike = fa_signed_value_create(&cache, arena, (fa_str_t){token, 43});
    CU_ASSERT_FALSE(verify_cstr(&session, lookalike, strlen(lookalike)));

    fa_hmac_keys_clear(&cache);
    fa_hmac_keys_clear(&binding);
    fa_hmac_keys_clear(&cache_old);
    fa_hmac_keys_clear(&session);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"create/verify round trip and documented construction", test_create_verify_round_trip},
        {"tokens are unique", test_tokens_are_unique},
        {"tampered token or signature refused", test_tampering_refused},
        {"malformed, empty and huge input refused", test_format_refused},
        {"secret rotation: first signs, all verify", test_rotation},
        {"key set init and clear", test_keys_init_and_clear},
        {"signed values per purpose", test_signed_value},
    };
    arena = fa_arena_create(0);
    static const fa_unit_suite_t suite = {.name = "crypto/signed_token"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_arena_destroy(arena);
    return rc;
}
