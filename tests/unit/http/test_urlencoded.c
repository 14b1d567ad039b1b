/* Percent-decoding, form/query parsing and UTF-8 validation (urlencoded.c). */
#include "http/request.h"
#include "unit_test.h"

static fa_status_t decode(const char *in, size_t len, bool plus, fa_str_t *out, fa_error_t *err)
{
    return fa_percent_decode(arena, (fa_str_t){in, len}, plus, out, err);
}

static void assert_bad_encoding(const char *in, size_t len)
{
    fa_str_t out;
    fa_error_t err = {0};
    fa_status_t st = decode(in, len, true, &out, &err);
    CU_ASSERT_EQUAL(st, FA_ERR_BAD_REQUEST);
    CU_ASSERT_EQUAL(err.status, FA_ERR_BAD_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.code ? err.code : "", "bad_encoding");
    CU_ASSERT_PTR_NULL(out.ptr);
}

#define BAD(literal) assert_bad_encoding((literal), sizeof(literal) - 1)

static void test_utf8_accepts_well_formed(void)
{
    CU_ASSERT(fa_utf8_valid("", 0));
    CU_ASSERT(fa_utf8_valid("plain ascii", 11));
    CU_ASSERT(fa_utf8_valid("\xC3\xA9", 2));         /* é */
    CU_ASSERT(fa_utf8_valid("\xE2\x82\xAC", 3));     /* € */
    CU_ASSERT(fa_utf8_valid("\xED\x9F\xBF", 3));     /* U+D7FF, last before surrogates */
    CU_ASSERT(fa_utf8_valid("\xEE\x80\x80", 3));     /* U+E000, first after */
    CU_ASSERT(fa_utf8_valid("\xF0\x9F\x98\x80", 4)); /* 😀 */
    CU_ASSERT(fa_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
}

static void test_utf8_rejects_malformed(void)
{
    CU_ASSERT_FALSE(fa_utf8_valid("\xC3\x28", 2));         /* bad continuation */
    CU_ASSERT_FALSE(fa_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    CU_ASSERT_FALSE(fa_utf8_valid("\xC1\xBF", 2));         /* overlong */
    CU_ASSERT_FALSE(fa_utf8_valid("\xE0\x80\xAF", 3));     /* overlong 3-byte */
    CU_ASSERT_FALSE(fa_utf8_valid("\xF0\x80\x80\xAF", 4)); /* overlong 4-byte */
    CU_ASSERT_FALSE(fa_utf8_valid("\xED\xA0\x80", 3));     /* surrogate U+D800 */
    CU_ASSERT_FALSE(fa_utf8_valid("\xED\xBF\xBF", 3));     /* surrogate U+DFFF */
    CU_ASSERT_FALSE(fa_utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
    CU_ASSERT_FALSE(fa_utf8_valid("\xF5\x80\x80\x80", 4));
    CU_ASSERT_FALSE(fa_utf8_valid("\xFF", 1));
    CU_ASSERT_FALSE(fa_utf8_valid("\x80", 1));          /* lone continuation */
    CU_ASSERT_FALSE(fa_utf8_valid("\xE2\x82", 2));      /* truncated */
    CU_ASSERT_FALSE(fa_utf8_valid("a\xF0\x9F\x98", 4)); /* truncated at the end */
}

static void test_decode_escapes(void)
{
    fa_str_t out;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(decode("a%20b%2Fc", 9, false, &out, &err), FA_OK);
    ASSERT_STR(out, "a b/c");
    CU_ASSERT_EQUAL(out.ptr[out.len], '\0');
    CU_ASSERT_EQUAL(decode("%c3%A9", 6, false, &out, &err), FA_OK);
    ASSERT_STR(out, "\xC3\xA9");
    CU_ASSERT_EQUAL(decode("%E2%82%AC", 9, false, &out, &err), FA_OK);
    ASSERT_STR(out, "\xE2\x82\xAC");
    CU_ASSERT_EQUAL(decode("", 0, false, &out, &err), FA_OK);
    ASSERT_STR(out, "");
}

static void test_decode_plus_only_in_forms(void)
{
    fa_str_t out;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(decode("a+b", 3, false, &out, &err), FA_OK);
    ASSERT_STR(out, "a+b");
    CU_ASSERT_EQUAL(decode("a+b", 3, true, &out, &err), FA_OK);
    ASSERT_STR(out, "a b");
    CU_ASSERT_EQUAL(decode("%2B", 3, true, &out, &err), FA_OK);
    ASSERT_STR(out, "+");
}

static void test_decode_rejects_bad_escapes(void)
{
    BAD("%zz");
    BAD("%4");
    BAD("%");
    BAD("abc%");
    BAD("%4g");
    BAD("%%41");
}

static void test_decode_rejects_nul(void)
{
    BAD("%00");
    BAD("a%00b");
    BAD("a\0b"); /* a raw NUL is refused too, not only an escaped one */
}

static void test_decode_rejects_invalid_utf8(void)
{
    BAD("%C3%28");
    BAD("%C0%AF");
    BAD("%ED%A0%80");
    BAD("%F4%90%80%80");
    BAD("%FF");
    BAD("%E2%82");
    BAD("\xC3\x28"); /* raw, not escaped */
}

static fa_status_t parse(const char *in, size_t max, fa_pairs_t *out, fa_error_t *err)
{
    return fa_parse_urlencoded(arena, fa_str_from(in), max, out, err);
}

static void test_parse_pairs_in_order_with_duplicates(void)
{
    fa_pairs_t p;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("a=1&b=two+words&a=3", 10, &p, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 3);
    ASSERT_STR(p.items[0].name, "a");
    ASSERT_STR(p.items[0].value, "1");
    ASSERT_STR(p.items[1].name, "b");
    ASSERT_STR(p.items[1].value, "two words");
    ASSERT_STR(p.items[2].value, "3");
    CU_ASSERT_EQUAL(fa_pairs_count(&p, "a"), 2);
    ASSERT_STR(fa_pairs_get(&p, "a"), "1");
    CU_ASSERT_PTR_NULL(fa_pairs_get(&p, "A").ptr); /* names are case-sensitive */
}

static void test_parse_shapes(void)
{
    fa_pairs_t p;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("flag&empty=&k=v=w&&", 10, &p, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 3);
    ASSERT_STR(p.items[0].name, "flag");
    ASSERT_STR(p.items[0].value, "");
    ASSERT_STR(p.items[1].value, "");
    ASSERT_STR(p.items[2].value, "v=w");
    CU_ASSERT_EQUAL(parse("returnTo=%2Fdash%3Fa%3D1%26b%3D2", 10, &p, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(p.count, 1);
    ASSERT_STR(p.items[0].value, "/dash?a=1&b=2");
    CU_ASSERT_EQUAL(parse("", 10, &p, &err), FA_OK);
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_EQUAL(parse("&&&", 0, &p, &err), FA_OK);
    CU_ASSERT_EQUAL(p.count, 0);
    CU_ASSERT_EQUAL(fa_parse_urlencoded(arena, FA_STR_NULL, 10, &p, &err), FA_OK);
    CU_ASSERT_EQUAL(p.count, 0);
}

static void test_parse_limit(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 64);
    for (int i = 0; i < FA_MAX_QUERY_PARAMS; i++)
        fa_buf_printf(&b, "%sp%d=%d", i ? "&" : "", i, i);
    fa_pairs_t p;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse(fa_buf_cstr(&b), FA_MAX_QUERY_PARAMS, &p, &err), FA_OK);
    CU_ASSERT_EQUAL(p.count, FA_MAX_QUERY_PARAMS);
    fa_buf_append_cstr(&b, "&one=more");
    CU_ASSERT_EQUAL(parse(fa_buf_cstr(&b), FA_MAX_QUERY_PARAMS, &p, &err), FA_ERR_BAD_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.code, "too_many_parameters");
    CU_ASSERT_EQUAL(p.count, 0);
}

static void test_parse_bad_encoding(void)
{
    fa_pairs_t p;
    fa_error_t err = {0};
    const char *bad[] = {"a=%zz", "a=%4", "a=%00", "%C0%AF=x", "a=%ED%A0%80", "a=ok&b=%C3%28"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = NULL;
        CU_ASSERT_EQUAL(parse(bad[i], 10, &p, &err), FA_ERR_BAD_REQUEST);
        CU_ASSERT_STRING_EQUAL(err.code ? err.code : "", "bad_encoding");
    }
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_utf8_accepts_well_formed),
        TEST(test_utf8_rejects_malformed),
        TEST(test_decode_escapes),
        TEST(test_decode_plus_only_in_forms),
        TEST(test_decode_rejects_bad_escapes),
        TEST(test_decode_rejects_nul),
        TEST(test_decode_rejects_invalid_utf8),
        TEST(test_parse_pairs_in_order_with_duplicates),
        TEST(test_parse_shapes),
        TEST(test_parse_limit),
        TEST(test_parse_bad_encoding),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/urlencoded", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
