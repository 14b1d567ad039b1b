/* Invariant 7, the parts that need no database: the admin token comes from
 * the CSPRNG in one exact shape, only its SHA-256 is ever used, and the
 * Authorization parsing accepts nothing but that shape. */
#include <string.h>

#include "auth/admin_token.h"
#include "crypto/base64url.h"
#include "crypto/crypto_test.h"

static fa_arena_t *arena;

static void test_generate_shape_and_hash(void)
{
    char *token;
    uint8_t hash[32], expected[32], parsed[32];
    fa_admin_token_generate(arena, &token, hash);
    CU_ASSERT_EQUAL(strlen(token), FA_ADMIN_TOKEN_LEN);
    CU_ASSERT_EQUAL(strlen(token), 52);
    CU_ASSERT_EQUAL(strncmp(token, "fa_admin_", 9), 0);
    uint8_t raw[32];
    size_t raw_len;
    CU_ASSERT_TRUE(fa_base64url_decode(token + 9, 43, raw, sizeof(raw), &raw_len));
    CU_ASSERT_EQUAL(raw_len, 32);
    /* Stored form: SHA-256 of the whole printed string. */
    fa_sha256(token, strlen(token), expected);
    CU_ASSERT_EQUAL(memcmp(hash, expected, 32), 0);
    CU_ASSERT_TRUE(fa_admin_token_hash(fa_str_from(token), parsed));
    CU_ASSERT_EQUAL(memcmp(parsed, expected, 32), 0);
}

static void test_tokens_are_unique(void)
{
    char *a, *b;
    uint8_t ha[32], hb[32];
    fa_admin_token_generate(arena, &a, ha);
    fa_admin_token_generate(arena, &b, hb);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(memcmp(ha, hb, 32), 0);
}

static void test_hash_refuses_other_shapes(void)
{
    char *token;
    uint8_t hash[32];
    fa_admin_token_generate(arena, &token, hash);
    uint8_t out[32];
    memset(out, 0, sizeof(out));
    CU_ASSERT_FALSE(fa_admin_token_hash(FA_STR_NULL, out));
    CU_ASSERT_FALSE(fa_admin_token_hash(FA_STR(""), out));
    CU_ASSERT_FALSE(fa_admin_token_hash(fa_str_from(token + 9), out)); /* no prefix */
    char *wrong_prefix = fa_arena_strdup(arena, token);
    wrong_prefix[0] = 'F';
    CU_ASSERT_FALSE(fa_admin_token_hash(fa_str_from(wrong_prefix), out));
    CU_ASSERT_FALSE(fa_admin_token_hash((fa_str_t){token, strlen(token) - 1}, out));
    char *longer = fa_arena_sprintf(arena, "%sA", token);
    CU_ASSERT_FALSE(fa_admin_token_hash(fa_str_from(longer), out));
    char *bad_char = fa_arena_strdup(arena, token);
    bad_char[20] = '+';
    CU_ASSERT_FALSE(fa_admin_token_hash(fa_str_from(bad_char), out));
    /* A session token (token.signature) is not an admin token. */
    CU_ASSERT_FALSE(fa_admin_token_hash(FA_STR("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq."
                                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"),
                                        out));
}

static void test_from_authorization(void)
{
    char *token;
    uint8_t hash[32], out[32];
    fa_admin_token_generate(arena, &token, hash);
    CU_ASSERT_TRUE(fa_admin_token_from_authorization(
        fa_str_from(fa_arena_sprintf(arena, "Bearer %s", token)), out));
    CU_ASSERT_EQUAL(memcmp(out, hash, 32), 0);
    CU_ASSERT_TRUE(fa_admin_token_from_authorization(
        fa_str_from(fa_arena_sprintf(arena, "bearer   %s ", token)), out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(
        fa_str_from(fa_arena_sprintf(arena, "Basic %s", token)), out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(fa_str_from(token), out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(FA_STR("Bearer "), out));
    CU_ASSERT_FALSE(fa_admin_token_from_authorization(FA_STR_NULL, out));
}

int main(void)
{
    arena = fa_arena_create(16 * 1024);
    static const test_case_t cases[] = {
        {"generated shape and stored hash", test_generate_shape_and_hash},
        {"tokens are unique", test_tokens_are_unique},
        {"other shapes refused", test_hash_refuses_other_shapes},
        {"Authorization: Bearer parsing", test_from_authorization},
        {NULL, NULL},
    };
    int rc = test_run_suite("auth/admin_token", cases);
    fa_arena_destroy(arena);
    return rc;
}
