/* PKCE: the RFC 7636 Appendix B example and verifier validation. */
#include "crypto/pkce.h"

#include "crypto/base64url.h"
#include "unit_test.h"

static void test_rfc7636_appendix_b(void)
{
    char challenge[FA_PKCE_CHALLENGE_LEN + 1];
    CU_ASSERT_TRUE(
        fa_pkce_challenge_s256(FA_STR("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), challenge));
    CU_ASSERT_STRING_EQUAL(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void test_generated_verifier(void)
{
    char v1[FA_PKCE_VERIFIER_LEN + 1], v2[FA_PKCE_VERIFIER_LEN + 1];
    char challenge[FA_PKCE_CHALLENGE_LEN + 1];
    fa_pkce_verifier_generate(v1);
    fa_pkce_verifier_generate(v2);
    CU_ASSERT_EQUAL(strlen(v1), 43);
    CU_ASSERT_STRING_NOT_EQUAL(v1, v2);
    CU_ASSERT_TRUE(fa_pkce_verifier_valid(fa_str_from(v1)));
    CU_ASSERT_TRUE(fa_base64url_is_alphabet(v1, strlen(v1)));
    CU_ASSERT_TRUE(fa_pkce_challenge_s256(fa_str_from(v1), challenge));
    CU_ASSERT_EQUAL(strlen(challenge), 43);
    CU_ASSERT_STRING_NOT_EQUAL(challenge, v1);
}

static void test_verifier_validation(void)
{
    char buf[200];
    char challenge[FA_PKCE_CHALLENGE_LEN + 1];
    memset(buf, 'a', sizeof(buf));
    CU_ASSERT_FALSE(fa_pkce_verifier_valid((fa_str_t){buf, 42}));
    CU_ASSERT_TRUE(fa_pkce_verifier_valid((fa_str_t){buf, 43}));
    CU_ASSERT_TRUE(fa_pkce_verifier_valid((fa_str_t){buf, 128}));
    CU_ASSERT_FALSE(fa_pkce_verifier_valid((fa_str_t){buf, 129}));
    CU_ASSERT_FALSE(fa_pkce_verifier_valid(FA_STR_NULL));
    /* All four unreserved punctuation characters are allowed... */
    memcpy(buf, "-._~", 4);
    CU_ASSERT_TRUE(fa_pkce_verifier_valid((fa_str_t){buf, 43}));
    /* ...and nothing else. */
    static const char bad[] = "+/= %\n\"";
    for (size_t i = 0; i < sizeof(bad) - 1; i++) {
        buf[10] = bad[i];
        CU_ASSERT_FALSE(fa_pkce_verifier_valid((fa_str_t){buf, 43}));
    }
    buf[10] = '\0';
    CU_ASSERT_FALSE(fa_pkce_verifier_valid((fa_str_t){buf, 43}));
    memcpy(challenge, "junk", 5);
    CU_ASSERT_FALSE(fa_pkce_challenge_s256((fa_str_t){buf, 43}, challenge));
    CU_ASSERT_STRING_EQUAL(challenge, "");
}

int main(void)
{
    static const test_case_t tests[] = {
        {"RFC 7636 Appendix B example", test_rfc7636_appendix_b},
        {"generated verifier", test_generated_verifier},
        {"verifier validation", test_verifier_validation},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/pkce"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
