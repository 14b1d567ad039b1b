/* JSON text written without a tree (json_text.c): every value it writes must
 * read back, through jansson's parser, as exactly what went in. */
#include <jansson.h>

#include "core/json_text.h"
#include "unit_test.h"

static char *text(fa_buf_t *b)
{
    return fa_buf_cstr(b);
}

/* Writes s as a JSON string inside an array and parses it back. */
static void round_trip(const char *s)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 4); /* tiny, so escaping has to grow it */
    FA_JSON_RAW(&b, "[");
    fa_json_text_string(&b, s);
    FA_JSON_RAW(&b, "]");
    json_error_t err;
    json_t *doc = json_loads(text(&b), 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(doc, 0)), s);
    json_decref(doc);
}

static void test_strings_round_trip(void)
{
    round_trip("");
    round_trip("octo-alice");
    round_trip("quote \" backslash \\ slash / </script>");
    round_trip("controls \x01\x1f\n\r\t\b\f end");
    round_trip("Zoë 日本 😀");
    char long_escapes[3001];
    memset(long_escapes, '\x01', sizeof(long_escapes) - 1); /* six-fold growth */
    long_escapes[sizeof(long_escapes) - 1] = '\0';
    round_trip(long_escapes);
}

static void test_null_and_invalid_utf8_are_null(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 16);
    fa_json_text_string(&b, NULL);
    FA_JSON_RAW(&b, ",");
    fa_json_text_string(&b, "bad \xff\xfe byte");
    CU_ASSERT_STRING_EQUAL(text(&b), "null,null");
}

static void test_ids_are_strings(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 16);
    fa_json_text_id(&b, 583231);
    FA_JSON_RAW(&b, ",");
    fa_json_text_id(&b, INT64_MAX);
    CU_ASSERT_STRING_EQUAL(text(&b), "\"583231\",\"9223372036854775807\"");
}

static void test_times(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 16);
    fa_json_text_time(&b, true, 1795440243796123LL);
    FA_JSON_RAW(&b, ",");
    fa_json_text_time(&b, false, 1795440243796123LL);
    CU_ASSERT_STRING_EQUAL(text(&b), "\"2026-11-23T13:24:03.796Z\",null");
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_strings_round_trip),
        TEST(test_null_and_invalid_utf8_are_null),
        TEST(test_ids_are_strings),
        TEST(test_times),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/json_text", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
