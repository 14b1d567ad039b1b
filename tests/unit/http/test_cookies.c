/* Cookie header parsing (cookies.c): RFC 6265 cookie-string, read the way
 * browsers actually send it. */
#include "http/request.h"
#include "unit_test.h"

static fa_status_t parse(const char *header, size_t max, fa_pairs_t *out, fa_error_t *err)
{
    return fa_parse_cookies(arena, fa_str_from(header), max, out, err);
}

static void test_simple_pairs(void)
{
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("a=1; b=2", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(c.count, 2);
    ASSERT_STR(c.items[0].name, "a");
    ASSERT_STR(c.items[0].value, "1");
    ASSERT_STR(c.items[1].name, "b");
    ASSERT_STR(c.items[1].value, "2");
    /* Copies are NUL-terminated, so a value can go to a C library as is. */
    CU_ASSERT_EQUAL(c.items[0].value.ptr[1], '\0');
    CU_ASSERT_EQUAL(c.items[0].name.ptr[1], '\0');
}

static void test_spaces_trimmed(void)
{
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("  a = 1 ;b=2;\tc=3\t;", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(c.count, 3);
    ASSERT_STR(c.items[0].name, "a");
    ASSERT_STR(c.items[0].value, "1");
    ASSERT_STR(c.items[2].name, "c");
    ASSERT_STR(c.items[2].value, "3");
}

static void test_malformed_pieces_skipped(void)
{
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("novalue; =orphan; ;; a=1; =", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(c.count, 1);
    ASSERT_STR(c.items[0].name, "a");
    CU_ASSERT_EQUAL(parse(";;;", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL(c.count, 0);
    CU_ASSERT_EQUAL(parse("", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL(c.count, 0);
    CU_ASSERT_EQUAL(fa_parse_cookies(arena, FA_STR_NULL, 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL(c.count, 0);
}

static void test_values_kept_verbatim(void)
{
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(
        parse("q=\"quoted\"; e=; eq=a=b==; pct=%41%00; half=\"x; plus=a+b", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(c.count, 6);
    /* DQUOTEs stay: the service never sets a quoted value, so a quoted
     * session token must not verify (issue 12, protocol details). */
    ASSERT_STR(c.items[0].value, "\"quoted\"");
    ASSERT_STR(c.items[1].value, "");
    ASSERT_STR(c.items[2].value, "a=b==");  /* base64 padding survives */
    ASSERT_STR(c.items[3].value, "%41%00"); /* never percent-decoded */
    ASSERT_STR(c.items[4].value, "\"x");    /* a lone quote is not a wrapper */
    ASSERT_STR(c.items[5].value, "a+b");
}

static void test_duplicates_kept_in_order(void)
{
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse("__Host-s=first; other=x; __Host-s=second", 10, &c, &err), FA_OK);
    CU_ASSERT_EQUAL(fa_pairs_count(&c, "__Host-s"), 2);
    ASSERT_STR(fa_pairs_get(&c, "__Host-s"), "first");
    ASSERT_STR(c.items[2].value, "second");
}

static void test_limit(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 64);
    for (int i = 0; i < FA_MAX_COOKIES; i++)
        fa_buf_printf(&b, "%sc%d=v", i ? "; " : "", i);
    fa_pairs_t c;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(parse(fa_buf_cstr(&b), FA_MAX_COOKIES, &c, &err), FA_OK);
    CU_ASSERT_EQUAL(c.count, FA_MAX_COOKIES);
    /* Junk pieces do not count; a real cookie over the limit does. */
    fa_buf_append_cstr(&b, "; junk; =x");
    CU_ASSERT_EQUAL(parse(fa_buf_cstr(&b), FA_MAX_COOKIES, &c, &err), FA_OK);
    fa_buf_append_cstr(&b, "; one=more");
    CU_ASSERT_EQUAL(parse(fa_buf_cstr(&b), FA_MAX_COOKIES, &c, &err), FA_ERR_HEADER_TOO_LARGE);
    CU_ASSERT_STRING_EQUAL(err.code, "too_many_cookies");
    CU_ASSERT_EQUAL(c.count, 0);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_simple_pairs),
        TEST(test_spaces_trimmed),
        TEST(test_malformed_pieces_skipped),
        TEST(test_values_kept_verbatim),
        TEST(test_duplicates_kept_in_order),
        TEST(test_limit),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/cookies", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
