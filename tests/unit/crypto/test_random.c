/* CSPRNG wrappers: sizes, alphabets, UUID layout, and that two draws differ. */
#include "crypto/random.h"

#include <ctype.h>

#include "crypto/base64url.h"
#include "unit_test.h"

static void test_random_bytes_fill(void)
{
    /* 64 bytes staying all-zero (or equal twice) happens with probability 2^-512. */
    uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
    fa_random_bytes(a, sizeof(a));
    fa_random_bytes(b, sizeof(b));
    CU_ASSERT_NOT_EQUAL(memcmp(a, zero, sizeof(a)), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof(a)), 0);
    fa_random_bytes(NULL, 0); /* a zero-length draw is a no-op */
}

static void test_token_b64url(void)
{
    arena = fa_arena_create(0);
    char *t1 = fa_random_token_b64url(arena, 32);
    char *t2 = fa_random_token_b64url(arena, 32);
    uint8_t raw[32];
    size_t n = 0;
    CU_ASSERT_EQUAL(strlen(t1), 43);
    CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
    CU_ASSERT_TRUE(fa_base64url_decode(t1, 43, raw, sizeof(raw), &n));
    CU_ASSERT_EQUAL(n, 32);
    /* Larger than the internal stack buffer. */
    char *big = fa_random_token_b64url(arena, 300);
    CU_ASSERT_EQUAL(strlen(big), fa_base64url_encoded_len(300));
    CU_ASSERT_TRUE(fa_base64url_is_alphabet(big, strlen(big)));
    CU_ASSERT_STRING_EQUAL(fa_random_token_b64url(arena, 0), "");
    fa_arena_destroy(arena);
}

static void test_uuid_v4_format(void)
{
    char a[FA_UUID_STR_LEN + 1], b[FA_UUID_STR_LEN + 1];
    for (int round = 0; round < 100; round++) {
        fa_random_uuid_v4(a);
        CU_ASSERT_EQUAL(strlen(a), 36);
        for (size_t i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                CU_ASSERT_EQUAL(a[i], '-');
            } else {
                CU_ASSERT_TRUE(isxdigit((unsigned char)a[i]) && !isupper((unsigned char)a[i]));
            }
        }
        CU_ASSERT_EQUAL(a[14], '4');
        CU_ASSERT_PTR_NOT_NULL(strchr("89ab", a[19]));
    }
    fa_random_uuid_v4(b);
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"random bytes are filled and differ", test_random_bytes_fill},
        {"base64url tokens", test_token_b64url},
        {"uuid v4 format", test_uuid_v4_format},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/random"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
