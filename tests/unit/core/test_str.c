/* Counted strings and the growable buffer (str.c). */
#include "core/str.h"
#include "unit_test.h"

static void test_eq(void)
{
    CU_ASSERT(fa_str_eq(FA_STR("abc"), FA_STR("abc")));
    CU_ASSERT(!fa_str_eq(FA_STR("abc"), FA_STR("abd")));
    CU_ASSERT(!fa_str_eq(FA_STR("abc"), FA_STR("ab")));
    CU_ASSERT(!fa_str_eq(FA_STR("ab"), FA_STR("abc")));
    CU_ASSERT(fa_str_eq(FA_STR(""), FA_STR_NULL)); /* both empty */
    CU_ASSERT(fa_str_eq(FA_STR_NULL, FA_STR_NULL));
    /* Counted: bytes past len do not take part. */
    fa_str_t prefix = {"abcdef", 3};
    CU_ASSERT(fa_str_eq(prefix, FA_STR("abc")));
    CU_ASSERT(fa_str_eq_cstr(prefix, "abc"));
    CU_ASSERT(!fa_str_eq_cstr(prefix, "abcdef"));
    /* Embedded NUL is a byte like any other. */
    CU_ASSERT(!fa_str_eq(FA_STR("a\0b"), FA_STR("a\0c")));
    CU_ASSERT(fa_str_eq(FA_STR("a\0b"), FA_STR("a\0b")));
    CU_ASSERT(!fa_str_eq_cstr(FA_STR("a\0b"), "a"));
    CU_ASSERT(!fa_str_eq(FA_STR("ABC"), FA_STR("abc")));
}

static void test_case_eq(void)
{
    CU_ASSERT(fa_str_case_eq_cstr(FA_STR("Content-Type"), "content-type"));
    CU_ASSERT(fa_str_case_eq_cstr(FA_STR("AUTHORIZATION"), "authorization"));
    CU_ASSERT(!fa_str_case_eq_cstr(FA_STR("Content-Typ"), "content-type"));
    CU_ASSERT(!fa_str_case_eq_cstr(FA_STR("Content-Types"), "content-type"));
    CU_ASSERT(fa_str_case_eq_cstr(FA_STR_NULL, ""));
    fa_str_t head = {"COOKIE: x", 6};
    CU_ASSERT(fa_str_case_eq_cstr(head, "cookie"));
    /* A NUL inside the counted string must not end the comparison early. */
    CU_ASSERT(!fa_str_case_eq_cstr(FA_STR("ab\0d"), "ab"));
}

static void test_starts_with(void)
{
    CU_ASSERT(fa_str_starts_with(FA_STR("HTTP_COOKIE"), "HTTP_"));
    CU_ASSERT(fa_str_starts_with(FA_STR("HTTP_"), "HTTP_"));
    CU_ASSERT(!fa_str_starts_with(FA_STR("HTTP"), "HTTP_"));
    CU_ASSERT(!fa_str_starts_with(FA_STR("http_cookie"), "HTTP_")); /* case matters */
    CU_ASSERT(fa_str_starts_with(FA_STR("anything"), ""));
    CU_ASSERT(!fa_str_starts_with(FA_STR_NULL, "x"));
    fa_str_t cut = {"HTTP_X", 4};
    CU_ASSERT(!fa_str_starts_with(cut, "HTTP_"));
}

/* An absent header (FA_STR_NULL) against an empty prefix: must be true
 * without passing NULL to memcmp (undefined behaviour, fatal under UBSan).
 * Last in main() because UBSan without recovery ends the process. */
static void test_starts_with_null_string_empty_prefix(void)
{
    CU_ASSERT(fa_str_starts_with(FA_STR_NULL, ""));
}

static void test_trim(void)
{
    fa_str_t t = fa_str_trim(FA_STR("  \tvalue \t "));
    CU_ASSERT(fa_str_eq_cstr(t, "value"));
    CU_ASSERT(fa_str_eq_cstr(fa_str_trim(FA_STR("a b")), "a b")); /* inner space kept */
    CU_ASSERT_EQUAL(fa_str_trim(FA_STR("   ")).len, 0);
    CU_ASSERT_EQUAL(fa_str_trim(FA_STR("")).len, 0);
    CU_ASSERT_EQUAL(fa_str_trim(FA_STR_NULL).len, 0);
    CU_ASSERT(fa_str_eq_cstr(fa_str_trim(FA_STR("x")), "x"));
    /* Trimming stays inside the counted bytes. */
    fa_str_t inner = {" ab  cd", 4};
    CU_ASSERT(fa_str_eq_cstr(fa_str_trim(inner), "ab"));
}

static void test_from_and_dup(void)
{
    fa_str_t s = fa_str_from("hello");
    CU_ASSERT_EQUAL(s.len, 5);
    CU_ASSERT_EQUAL(fa_str_from(NULL).len, 0);
    CU_ASSERT_PTR_NULL(fa_str_from(NULL).ptr);
    fa_str_t part = {"hello world", 5};
    char *d = fa_str_dup(arena, part);
    CU_ASSERT_STRING_EQUAL(d, "hello");
    CU_ASSERT_STRING_EQUAL(fa_str_dup(arena, FA_STR_NULL), "");
}

static void test_buf_growth_across_many_appends(void)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 1); /* start tiny so every growth path runs */
    size_t expected_len = 0;
    for (int i = 0; i < 5000; i++) {
        char piece[32];
        int n = snprintf(piece, sizeof(piece), "%d,", i);
        fa_buf_append(&buf, piece, (size_t)n);
        expected_len += (size_t)n;
        CU_ASSERT_FATAL(buf.len == expected_len);
        CU_ASSERT_FATAL(buf.cap > buf.len);
    }
    /* Content survived every copy to a bigger block. */
    size_t off = 0;
    for (int i = 0; i < 5000; i++) {
        char piece[32];
        int n = snprintf(piece, sizeof(piece), "%d,", i);
        if (memcmp(buf.data + off, piece, (size_t)n) != 0) {
            CU_FAIL("buffer content corrupted by growth");
            break;
        }
        off += (size_t)n;
    }
    CU_ASSERT_EQUAL(off, buf.len);
}

static void test_buf_append_variants(void)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 0); /* 0 = default capacity */
    CU_ASSERT(buf.cap > 0);
    CU_ASSERT_EQUAL(buf.len, 0);
    fa_buf_append_cstr(&buf, "ab");
    fa_buf_append_char(&buf, 'c');
    fa_buf_append(&buf, "", 0);
    fa_buf_append(&buf, "d\0e", 3); /* binary safe */
    CU_ASSERT_EQUAL(buf.len, 6);
    CU_ASSERT(memcmp(buf.data, "abcd\0e", 6) == 0);
    /* append_char growth path from a full buffer */
    fa_buf_t small;
    fa_buf_init(&small, arena, 2);
    for (int i = 0; i < 100; i++)
        fa_buf_append_char(&small, (char)('a' + i % 26));
    CU_ASSERT_EQUAL(small.len, 100);
    CU_ASSERT_EQUAL(small.data[99], 'a' + 99 % 26);
}

static void test_buf_printf(void)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 4);
    fa_buf_printf(&buf, "%s=%d", "count", 42);
    fa_buf_printf(&buf, "%s", ""); /* empty output is fine */
    fa_buf_printf(&buf, ";%05.2f", 3.14159);
    CU_ASSERT_STRING_EQUAL(fa_buf_cstr(&buf), "count=42;03.14");
    CU_ASSERT_EQUAL(buf.len, strlen("count=42;03.14"));
    /* Output much larger than the capacity. */
    char big[3001];
    memset(big, 'x', 3000);
    big[3000] = '\0';
    fa_buf_printf(&buf, "[%s]", big);
    CU_ASSERT_EQUAL(buf.len, 14 + 3002);
    CU_ASSERT_EQUAL(buf.data[14], '[');
    CU_ASSERT_EQUAL(buf.data[14 + 3001], ']');
}

static void test_buf_cstr_terminates_without_counting(void)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 4);
    CU_ASSERT_STRING_EQUAL(fa_buf_cstr(&buf), "");
    fa_buf_append(&buf, "abcd", 4); /* exactly at capacity */
    char *s = fa_buf_cstr(&buf);
    CU_ASSERT_STRING_EQUAL(s, "abcd");
    CU_ASSERT_EQUAL(buf.len, 4);
    CU_ASSERT(buf.cap > buf.len);
    /* Appending after cstr overwrites the terminator and stays correct. */
    fa_buf_append_cstr(&buf, "ef");
    CU_ASSERT_STRING_EQUAL(fa_buf_cstr(&buf), "abcdef");
    CU_ASSERT_EQUAL(buf.len, 6);
}

static void test_buf_append_uint(void)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, 2);
    fa_buf_append_uint(&buf, 0);
    fa_buf_append_char(&buf, ' ');
    fa_buf_append_uint(&buf, 583231);
    fa_buf_append_char(&buf, ' ');
    fa_buf_append_uint(&buf, 18446744073709551615ULL);
    CU_ASSERT_STRING_EQUAL(fa_buf_cstr(&buf), "0 583231 18446744073709551615");
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_eq),
        TEST(test_case_eq),
        TEST(test_starts_with),
        TEST(test_trim),
        TEST(test_from_and_dup),
        TEST(test_buf_growth_across_many_appends),
        TEST(test_buf_append_variants),
        TEST(test_buf_printf),
        TEST(test_buf_append_uint),
        TEST(test_buf_cstr_terminates_without_counting),
        TEST(test_starts_with_null_string_empty_prefix),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/str", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
