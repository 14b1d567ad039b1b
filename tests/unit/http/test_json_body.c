/* JSON request bodies (json_body.c): media type, UTF-8, depth, duplicates,
 * errors that never echo the body, and the json_t dying with the arena. */
#include "http/request.h"
#include "unit_test.h"

static fa_error_t err;

static fa_status_t load(const char *content_type, const char *body, size_t len, json_t **out)
{
    fa_request_t req = {
        .arena = arena, .content_type = fa_str_from(content_type), .body = {body, len}};
    memset(&err, 0, sizeof(err));
    return fa_request_json(&req, out, &err);
}

#define LOAD(ct, literal, out) load((ct), (literal), sizeof(literal) - 1, (out))

/* out is read through a pointer: the load in the first argument must have run. */
static void assert_invalid(fa_status_t st, const char *code, json_t **out)
{
    CU_ASSERT_EQUAL(st, FA_ERR_BAD_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.code ? err.code : "", code);
    CU_ASSERT_PTR_NULL(*out);
}

static void test_object_accepted(void)
{
    json_t *j = NULL;
    CU_ASSERT_EQUAL(LOAD("application/json", "{\"audience\":\"api\",\"n\":[1,{\"a\":null}]}", &j),
                    FA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "audience")), "api");
    CU_ASSERT_EQUAL(LOAD("application/json; charset=utf-8", " {} ", &j), FA_OK);
    CU_ASSERT(json_is_object(j));
    CU_ASSERT_EQUAL(LOAD("Application/JSON", "{\"s\":\"\xC3\xA9\"}", &j), FA_OK);
}

static void test_media_type_required(void)
{
    const char *types[] = {NULL,
                           "",
                           "text/plain",
                           "application/x-www-form-urlencoded",
                           "application/jsonp",
                           "multipart/form-data"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        json_t *j = NULL;
        CU_ASSERT_EQUAL(LOAD(types[i], "{}", &j), FA_ERR_UNSUPPORTED_TYPE);
        CU_ASSERT_STRING_EQUAL(err.code, "unsupported_media_type");
        CU_ASSERT_EQUAL(fa_status_http_code(err.status), 415);
        CU_ASSERT_PTR_NULL(j);
    }
}

static void test_rejected_bodies(void)
{
    json_t *j = NULL;
    assert_invalid(LOAD("application/json", "", &j), "invalid_json", &j);
    assert_invalid(load("application/json", NULL, 0, &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "[1,2]", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "\"str\"", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "42", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "null", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "{\"a\":1,\"a\":2}", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "{} {}", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "{\"a\":1,}", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "{\"a\":\"\\u0000\"}", &j), "invalid_json", &j);
    assert_invalid(LOAD("application/json", "{\"a\":\"x\0\"}", &j), "invalid_json", &j);
}

static void test_invalid_utf8(void)
{
    json_t *j = NULL;
    assert_invalid(LOAD("application/json", "{\"a\":\"\xC3\x28\"}", &j), "bad_encoding", &j);
    assert_invalid(LOAD("application/json", "{\"a\":\"\xED\xA0\x80\"}", &j), "bad_encoding", &j);
    assert_invalid(LOAD("application/json", "{\"\xC0\xAF\":1}", &j), "bad_encoding", &j);
}

static void test_error_never_echoes_body(void)
{
    json_t *j = NULL;
    assert_invalid(LOAD("application/json", "{\"githubToken\": gho_SECRET123}", &j), "invalid_json",
                   &j);
    CU_ASSERT_PTR_NULL(strstr(err.message, "SECRET"));
    CU_ASSERT_PTR_NULL(strstr(err.message, "gho_"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(err.detail);
    CU_ASSERT_PTR_NULL(strstr(err.detail, "SECRET"));
    CU_ASSERT_PTR_NULL(strstr(err.detail, "gho_"));
}

static const char *nested(int depth, const char *inner)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 64);
    fa_buf_append_cstr(&b, "{\"a\":");
    for (int i = 1; i < depth; i++)
        fa_buf_append_cstr(&b, i % 2 ? "[" : "{\"b\":");
    fa_buf_append_cstr(&b, inner);
    for (int i = depth - 1; i >= 1; i--)
        fa_buf_append_cstr(&b, i % 2 ? "]" : "}");
    fa_buf_append_cstr(&b, "}");
    return fa_buf_cstr(&b);
}

static void test_depth_limit(void)
{
    json_t *j = NULL;
    const char *ok = nested(FA_MAX_JSON_DEPTH, "1");
    CU_ASSERT_EQUAL(load("application/json", ok, strlen(ok), &j), FA_OK);
    const char *deep = nested(FA_MAX_JSON_DEPTH + 1, "1");
    assert_invalid(load("application/json", deep, strlen(deep), &j), "invalid_json", &j);
    const char *very_deep = nested(100000, "1");
    assert_invalid(load("application/json", very_deep, strlen(very_deep), &j), "invalid_json", &j);
    /* Brackets and escaped quotes inside strings are not nesting. */
    const char *strings = nested(FA_MAX_JSON_DEPTH, "\"[[[[{{{{\\\"[[[[[[[[[[[[[[[[[[[[[[\"");
    CU_ASSERT_EQUAL(load("application/json", strings, strlen(strings), &j), FA_OK);
}

static void test_released_with_arena(void)
{
    json_t *j = NULL;
    CU_ASSERT_EQUAL_FATAL(LOAD("application/json", "{\"k\":\"v\"}", &j), FA_OK);
    json_incref(j);
    CU_ASSERT_EQUAL(j->refcount, 2);
    fa_arena_reset(arena); /* drops the arena's reference */
    CU_ASSERT_EQUAL(j->refcount, 1);
    json_decref(j);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_object_accepted),         TEST(test_media_type_required),
        TEST(test_rejected_bodies),         TEST(test_invalid_utf8),
        TEST(test_error_never_echoes_body), TEST(test_depth_limit),
        TEST(test_released_with_arena),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/json_body", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
