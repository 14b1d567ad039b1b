/* base64url: RFC 4648 §10 vectors (padding removed, §5 alphabet) and the
 * strictness rules that keep one spelling per value. */
#include "crypto/base64url.h"

#include "unit_test.h"

static const struct {
    const char *plain, *encoded;
} rfc4648[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

static void test_encode_rfc4648(void)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        char out[16];
        size_t n =
            fa_base64url_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), out, sizeof(out));
        CU_ASSERT_EQUAL(n, strlen(rfc4648[i].encoded));
        CU_ASSERT_EQUAL(n, fa_base64url_encoded_len(strlen(rfc4648[i].plain)));
        CU_ASSERT_STRING_EQUAL(out, rfc4648[i].encoded);
    }
}

static void test_decode_rfc4648(void)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        uint8_t out[16];
        size_t n = 99;
        const char *enc = rfc4648[i].encoded;
        CU_ASSERT_TRUE(fa_base64url_decode(enc, strlen(enc), out, sizeof(out), &n));
        CU_ASSERT_EQUAL(n, strlen(rfc4648[i].plain));
        CU_ASSERT_EQUAL(memcmp(out, rfc4648[i].plain, n), 0);
    }
}

/* Bytes whose standard base64 uses '+' and '/' must come out as '-' and '_'. */
static void test_url_alphabet(void)
{
    static const uint8_t in[] = {0xfb, 0xff, 0xbf, 0xfb, 0xff};
    char out[16];
    uint8_t back[8];
    size_t n;
    fa_base64url_encode(in, sizeof(in), out, sizeof(out));
    CU_ASSERT_STRING_EQUAL(out, "-_-_-_8");
    CU_ASSERT_TRUE(fa_base64url_decode(out, strlen(out), back, sizeof(back), &n));
    CU_ASSERT_EQUAL(n, sizeof(in));
    CU_ASSERT_EQUAL(memcmp(back, in, sizeof(in)), 0);
    CU_ASSERT_FALSE(fa_base64url_decode("+/+/", 4, back, sizeof(back), &n));
}

static void test_decode_rejects(void)
{
    static const char *const bad[] = {
        "Zg==",         /* padding */
        "Zm8=",         /* padding */
        "Zm9vY",        /* 4k+1 characters can encode nothing */
        "Z",            /* same */
        "Zh",           /* unused trailing bits set ('h' = 33, low 4 bits 0001) */
        "Zm9",          /* unused trailing bits set ('9' = 61, low 2 bits 01) */
        "Zm9v Zg",      /* space */
        "Zm9v\nZg",     /* newline */
        "Zm9v.Zg",      /* dot */
        "Zm9v+g",       /* standard alphabet */
        "Zm9v/g",       /* standard alphabet */
        "Zm9v\xc3\xa9", /* non-ASCII */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t n = 99;
        CU_ASSERT_FALSE(fa_base64url_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n));
        CU_ASSERT_EQUAL(n, 0);
    }
    /* Embedded NUL: length-counted input, not a C string. */
    uint8_t out[8];
    size_t n;
    CU_ASSERT_FALSE(fa_base64url_decode("Zm\0v", 4, out, sizeof(out), &n));
}

static void test_decode_bounded_output(void)
{
    uint8_t out[8];
    size_t n = 99;
    memset(out, 0xee, sizeof(out));
    /* "Zm9vYmFy" is 6 bytes: a 5-byte buffer is refused before writing. */
    CU_ASSERT_FALSE(fa_base64url_decode("Zm9vYmFy", 8, out, 5, &n));
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(out[5], 0xee);
    CU_ASSERT_TRUE(fa_base64url_decode("Zm9vYmFy", 8, out, 6, &n));
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT_EQUAL(out[6], 0xee);
    CU_ASSERT_EQUAL(fa_base64url_decoded_max(8), 6);
    CU_ASSERT_EQUAL(fa_base64url_decoded_max(7), 5);
    CU_ASSERT_EQUAL(fa_base64url_decoded_max(6), 4);
    CU_ASSERT_EQUAL(fa_base64url_decoded_max(0), 0);
}

/* Every length 0..64 and many byte patterns survive a round trip. */
static void test_round_trip_all_lengths(void)
{
    uint8_t in[64], back[64];
    char enc[100];
    for (size_t len = 0; len <= sizeof(in); len++) {
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)(i * 37 + len * 11);
        size_t n = fa_base64url_encode(in, len, enc, sizeof(enc));
        size_t m = 0;
        CU_ASSERT_EQUAL(strlen(enc), n);
        CU_ASSERT_PTR_NULL(strpbrk(enc, "+/="));
        CU_ASSERT_TRUE(fa_base64url_decode(enc, n, back, sizeof(back), &m));
        CU_ASSERT_EQUAL(m, len);
        CU_ASSERT_EQUAL(memcmp(back, in, len), 0);
    }
}

static void test_arena_variants(void)
{
    arena = fa_arena_create(0);
    size_t n = 0;
    CU_ASSERT_STRING_EQUAL(fa_base64url_encode_arena(arena, "foobar", 6), "Zm9vYmFy");
    uint8_t *dec = fa_base64url_decode_arena(arena, FA_STR("Zm9vYmE"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_STRING_EQUAL((char *)dec, "fooba");
    CU_ASSERT_PTR_NULL(fa_base64url_decode_arena(arena, FA_STR("Zm9vYmE="), &n));
    CU_ASSERT_EQUAL(n, 0);
    fa_arena_destroy(arena);
}

static void test_alphabet_check(void)
{
    CU_ASSERT_TRUE(fa_base64url_is_alphabet("AZaz09-_", 8));
    CU_ASSERT_TRUE(fa_base64url_is_alphabet("", 0));
    CU_ASSERT_FALSE(fa_base64url_is_alphabet("ab.c", 4));
    CU_ASSERT_FALSE(fa_base64url_is_alphabet("ab=", 3));
    CU_ASSERT_FALSE(fa_base64url_is_alphabet("a\0b", 3));
}

int main(void)
{
    static const test_case_t tests[] = {
        {"encode RFC 4648 §10 vectors", test_encode_rfc4648},
        {"decode RFC 4648 §10 vectors", test_decode_rfc4648},
        {"url-safe alphabet", test_url_alphabet},
        {"decode rejects padding, bad characters, non-canonical bits", test_decode_rejects},
        {"decode output is bounded", test_decode_bounded_output},
        {"round trip of every length 0..64", test_round_trip_all_lengths},
        {"arena encode/decode", test_arena_variants},
        {"alphabet check", test_alphabet_check},
    };
    static const fa_unit_suite_t suite = {.name = "crypto/base64url"};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
