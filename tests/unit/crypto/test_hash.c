/* SHA-256 (FIPS 180-4 examples), HMAC-SHA256 (RFC 4231 cases 1-4, 6, 7),
 * constant-time comparison and hex. */
#include "crypto/hash.h"

#include "unit_test.h"

static void test_sha256_fips180(void)
{
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t got[FA_SHA256_LEN];
        char hex[FA_SHA256_HEX_LEN + 1];
        fa_sha256(v[i].msg, strlen(v[i].msg), got);
        fa_hex_encode(got, sizeof(got), hex);
        CU_ASSERT_STRING_EQUAL(hex, v[i].hex);
    }
}

/* RFC 4231 §4: keys and data as hex, or as text where the RFC gives text.
 * Case 5 (truncated output) is left out: this API never truncates. */
static void test_hmac_sha256_rfc4231(void)
{
    static const char aa131[] =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char dd50[] = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                               "dddddddddddddddddddddddddddddddddddddddd";
    static const char cd50[] = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
                               "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    static const struct {
        int number;
        const char *key_hex, *key_text, *data_hex, *data_text, *mac;
    } v[] = {
        {1, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, NULL, "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {2, NULL, "Jefe", NULL, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {3, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, dd50, NULL,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {4, "0102030405060708090a0b0c0d0e0f10111213141516171819", NULL, cd50, NULL,
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {6, aa131, NULL, NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {7, aa131, NULL, NULL,
         "This is a test using a larger than block-size key and a larger than block-size "
         "data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t key[256], data[256], mac[FA_SHA256_LEN];
        char hex[FA_SHA256_HEX_LEN + 1];
        size_t klen, dlen;
        if (v[i].key_hex) {
            klen = test_hex(v[i].key_hex, key, sizeof(key));
        } else {
            klen = strlen(v[i].key_text);
            memcpy(key, v[i].key_text, klen);
        }
        if (v[i].data_hex) {
            dlen = test_hex(v[i].data_hex, data, sizeof(data));
        } else {
            dlen = strlen(v[i].data_text);
            memcpy(data, v[i].data_text, dlen);
        }
        fa_hmac_sha256(key, klen, data, dlen, mac);
        fa_hex_encode(mac, sizeof(mac), hex);
        if (strcmp(hex, v[i].mac) != 0)
            fprintf(stderr, "RFC 4231 test case %d: got %s\n", v[i].number, hex);
        CU_ASSERT_STRING_EQUAL(hex, v[i].mac);
    }
    CU_ASSERT_EQUAL(strlen(aa131), 2 * 131);
}

static void test_hmac_empty_key_and_message(void)
{
    /* HMAC-SHA256("", "") is a well-known constant. */
    uint8_t mac[FA_SHA256_LEN];
    char hex[FA_SHA256_HEX_LEN + 1];
    fa_hmac_sha256(NULL, 0, NULL, 0, mac);
    fa_hex_encode(mac, sizeof(mac), hex);
    CU_ASSERT_STRING_EQUAL(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_ct_equal(void)
{
    uint8_t a[32], b[32];
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    CU_ASSERT_TRUE(fa_ct_equal(a, b, sizeof(a)));
    CU_ASSERT_TRUE(fa_ct_equal(a, b, 0));
    b[0] ^= 1;
    CU_ASSERT_FALSE(fa_ct_equal(a, b, sizeof(a)));
    b[0] ^= 1;
    b[31] ^= 0x80;
    CU_ASSERT_FALSE(fa_ct_equal(a, b, sizeof(a)));
    CU_ASSERT_TRUE(fa_ct_equal(a, b, 31));
}

static void test_hex_encode(void)
{
    static const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof(in) + 1];
    memset(out, 'x', sizeof(out));
    fa_hex_encode(in, sizeof(in), out);
    CU_ASSERT_STRING_EQUAL(out, "00017f80abff");
    fa_hex_encode(in, 0, out);
    CU_ASSERT_STRING_EQUAL(out, "");

    arena = fa_arena_create(0);
    CU_ASSERT_STRING_EQUAL(fa_hex_encode_arena(arena, in, 2), "0001");
    fa_arena_destroy(arena);
}

int main(void)
{
    static const test_case_t tests[] = {
        {"sha256 FIPS 180 vectors", test_sha256_fips180},
        {"hmac-sha256 RFC 4231 cases 1-4, 6, 7", test_hmac_sha256_rfc4231},
        {"hmac-sha256 empty key and message", test_hmac_empty_key_and_message},
        {"constant-time equality", test_ct_equal},
        {"hex encoding", test_hex_encode},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/hash"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
