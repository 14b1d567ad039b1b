/* Invariant 7, the parts that need no database: the admin token comes from
 * the CSPRNG in one exact shape, only its HMAC-SHA256 under a key derived
 * from the secrets is ever used (issue 13: a plain SHA-256 let whoever could
 * write the table mint admin tokens), and the Authorization parsing accepts
 * nothing but that shape. */
#include <string.h>

#include "auth/admin_token.h"
#include "crypto/base64url.h"
#include "unit_test.h"
#include "crypto/kdf.h"

static fa_hmac_keys_t keys, rotated;

#define SECRET_NEW "q0Yd8Xh4Vw1b2MZpT9n-Jc7R_kLs6GfEuA3yBoHiWrM"
#define SECRET_OLD "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"

static void test_generate_shape_and_mac(void)
{
    char *token;
    uint8_t mac[32], expected[32], sha[32], key[32];
    fa_admin_token_macs_t parsed;
    fa_admin_token_generate(&keys, arena, &token, mac);
    CU_ASSERT_EQUAL(strlen(token), FA_ADMIN_TOKEN_LEN);
    CU_ASSERT_EQUAL(strlen(token), 52);
    CU_ASSERT_EQUAL(strncmp(token, "fa_admin_", 9), 0);
    uint8_t raw[32];
    size_t raw_len;
    CU_ASSERT_TRUE(fa_base64url_decode(token + 9, 43, raw, sizeof(raw), &raw_len));
    CU_ASSERT_EQUAL(raw_len, 32);
    /* Stored form: HMAC-SHA256(HKDF(secret, "admin-token-hmac"), whole string). */
    fa_kdf_derive(SECRET_OLD, strlen(SECRET_OLD), "admin-token-hmac", key, sizeof key);
    fa_hmac_sha256(key, sizeof key, token, strlen(token), expected);
    CU_ASSERT_EQUAL(memcmp(mac, expected, 32), 0);
    fa_sha256(token, strlen(token), sha);
    CU_ASSERT_NOT_EQUAL(memcmp(mac, sha, 32), 0); /* not a hash anyone can compute */
    CU_ASSERT_TRUE(fa_admin_token_macs(&keys, fa_str_from(token), &parsed));
    CU_ASSERT_EQUAL(parsed.count, 1);
    CU_ASSERT_EQUAL(memcmp(parsed.macs[0], expected, 32), 0);
}

/* Secret rotation (new,old): written under the first key, checked under
 * each, so a token created before the rotation still matches. */
static void test_macs_per_secret(void)
{
    char *token;
    uint8_t old_mac[32];
    fa_admin_token_generate(&keys, arena, &token, old_mac);
    fa_admin_token_macs_t macs;
    CU_ASSERT_TRUE_FATAL(fa_admin_token_macs(&rotated, fa_str_from(token), &macs));
    CU_ASSERT_EQUAL(macs.count, 2);
    CU_ASSERT_NOT_EQUAL(memcmp(macs.macs[0], old_mac, 32), 0);
    CU_ASSERT_EQUAL(memcmp(macs.macs[1], old_mac, 32), 0);
    uint8_t new_mac[32];
    fa_admin_token_generate(&rotated, arena, &token, new_mac);
    CU_ASSERT_TRUE(fa_admin_token_macs(&rotated, fa_str_from(token), &macs));
    CU_ASSERT_EQUAL(memcmp(macs.macs[0], new_mac, 32), 0);
}

static void test_tokens_are_unique(void)
{
    char *a, *b;
    uint8_t ha[32], hb[32];
    fa_admin_token_generate(&keys, arena, &a, ha);
    fa_admin_token_generate(&keys, arena, &b, hb);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(memcmp(ha, hb, 32), 0);
}

static void test_macs_refuse_other_shapes(void)
{
    char *token;
    uint8_t mac[32];
    fa_admin_token_generate(&keys, arena, &token, mac);
    fa_admin_token_macs_t out;
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, FA_STR_NULL, &out));
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, FA_STR(""), &out));
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, fa_str_from(token + 9), &out)); /* no prefix */
    char *wrong_prefix = fa_arena_strdup(arena, token);
    wrong_prefix[0] = 'F';
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, fa_str_from(wrong_prefix), &out));
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, (fa_str_t){token, strlen(token) - 1}, &out));
    char *longer = fa_arena_sprintf(arena, "%sA", token);
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, fa_str_from(longer), &out));
    char *bad_char = fa_arena_strdup(arena, token);
    bad_char[20] = '+';
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys, fa_str_from(bad_char), &out));
    CU_ASSERT_EQUAL(out.count, 0);
    /* A session token (token.signature) is not an admin token. */
    CU_ASSERT_FALSE(fa_admin_token_macs(&keys,
                                        FA_STR("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq."
                                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"),
                                        &out));
}

static void test_from_authorization(void)
{
    char *token;
    uint8_t mac[32];
    fa_admin_token_macs_t out;
    fa_admin_token_generate(&keys, arena, &token, mac);
    CU_ASSERT_TRUE(fa_admin_token_from_authorization(
        &keys, fa_str_from(fa_arena_sprintf(arena, "Bearer %s", token)), &out));
    CU_ASSERT_EQUAL(memcmp(out.macs[0], mac, 32), 0);
    CU_ASSERT_TRUE(fa_admin_token_from_authorization(
        &keys, fa_str_from(fa_arena_sprintf(arena, "bearer   %s ", token)), &out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(
        &keys, fa_str_from(fa_arena_sprintf(arena, "Basic %s", token)), &out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(&keys, fa_str_from(token), &out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(&keys, FA_STR("Bearer "), &out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(&keys, FA_STR_NULL, &out));
}

int main(void)
{
    arena = fa_arena_create(16 * 1024);
    const char *one[] = {SECRET_OLD};
    const char *two[] = {SECRET_NEW, SECRET_OLD};
    if (!fa_admin_token_keys_init(&keys, one, 1) || !fa_admin_token_keys_init(&rotated, two, 2))
        return 1;
    static const test_case_t tests[] = {
        {"generated shape and stored mac", test_generate_shape_and_mac},
        {"a mac per secret, the first writes", test_macs_per_secret},
        {"tokens are unique", test_tokens_are_unique},
        {"other shapes refused", test_macs_refuse_other_shapes},
        {"Authorization: Bearer parsing", test_from_authorization},
    };
    static const fa_unit_suite_t suite = {.name = "auth/admin_token"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_hmac_keys_clear(&keys);
    fa_hmac_keys_clear(&rotated);
    fa_arena_destroy(arena);
    return rc;
}
