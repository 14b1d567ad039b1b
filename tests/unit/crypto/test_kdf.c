/* HKDF-SHA256: RFC 5869 Appendix A vectors through fa_kdf_hkdf(), and the
 * purpose separation of fa_kdf_derive(). */
#include "crypto/kdf.h"

#include "crypto/hash.h"
#include "unit_test.h"

static void check_hkdf(const char *ikm_hex, const char *salt_hex, const char *info_hex, size_t len,
                       const char *okm_hex)
{
    uint8_t ikm[128], salt[128], info[128], okm[128];
    char hex[257];
    size_t ikm_len = test_hex(ikm_hex, ikm, sizeof(ikm));
    size_t salt_len = test_hex(salt_hex, salt, sizeof(salt));
    size_t info_len = test_hex(info_hex, info, sizeof(info));
    fa_kdf_hkdf(salt, salt_len, ikm, ikm_len, info, info_len, okm, len);
    fa_hex_encode(okm, len, hex);
    CU_ASSERT_STRING_EQUAL(hex, okm_hex);
}

static void test_hkdf_rfc5869_case1(void)
{
    check_hkdf(
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9", 42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

/* Case 3: empty salt and info (the salt defaults to HashLen zero bytes). */
static void test_hkdf_rfc5869_case3(void)
{
    check_hkdf(
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

static void test_derive_separates_purposes(void)
{
    static const char secret[] = "0123456789abcdef0123456789abcdef-secret";
    uint8_t a[32], a2[32], b[32], c[32], manual[32];
    fa_kdf_derive(secret, strlen(secret), FA_KDF_LABEL_SESSION_TOKEN, a, sizeof(a));
    fa_kdf_derive(secret, strlen(secret), FA_KDF_LABEL_SESSION_TOKEN, a2, sizeof(a2));
    fa_kdf_derive(secret, strlen(secret), FA_KDF_LABEL_TOKEN_ENCRYPTION, b, sizeof(b));
    fa_kdf_derive("another secret of enough length!", 32, FA_KDF_LABEL_SESSION_TOKEN, c, sizeof(c));
    CU_ASSERT_EQUAL(memcmp(a, a2, 32), 0);    /* deterministic */
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, 32), 0); /* per purpose */
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, 32), 0); /* per secret */
    /* The documented construction: salt "foundry-auth v1", info = label. */
    fa_kdf_hkdf("foundry-auth v1", 15, secret, strlen(secret), "session-token-signing", 21, manual,
                sizeof(manual));
    CU_ASSERT_EQUAL(memcmp(a, manual, 32), 0);
    /* Never the secret itself. */
    CU_ASSERT_NOT_EQUAL(memcmp(a, secret, 32), 0);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"hkdf-sha256 RFC 5869 test case 1", test_hkdf_rfc5869_case1},
        {"hkdf-sha256 RFC 5869 test case 3", test_hkdf_rfc5869_case3},
        {"derive separates purposes and secrets", test_derive_separates_purposes},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/kdf"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
