/* The single fa_status_t -> HTTP mapping (status.c), reason phrases and
 * fa_error_set. */
#include "core/status.h"
#include "unit_test.h"

static const struct {
    fa_status_t status;
    int http;
    const char *reason;
} expected[] = {
    {FA_OK, 200, "OK"},
    {FA_ERR_BAD_REQUEST, 400, "Bad Request"},
    {FA_ERR_UNAUTHORIZED, 401, "Unauthorized"},
    {FA_ERR_FORBIDDEN, 403, "Forbidden"},
    {FA_ERR_NOT_FOUND, 404, "Not Found"},
    {FA_ERR_METHOD, 405, "Method Not Allowed"},
    {FA_ERR_CONFLICT, 409, "Conflict"},
    {FA_ERR_TOO_LARGE, 413, "Content Too Large"},
    {FA_ERR_UNSUPPORTED_TYPE, 415, "Unsupported Media Type"},
    {FA_ERR_UNPROCESSABLE, 422, "Unprocessable Content"},
    {FA_ERR_RATE_LIMITED, 429, "Too Many Requests"},
    {FA_ERR_HEADER_TOO_LARGE, 431, "Request Header Fields Too Large"},
    {FA_ERR_INTERNAL, 500, "Internal Server Error"},
    {FA_ERR_UPSTREAM, 502, "Bad Gateway"},
    {FA_ERR_UNAVAILABLE, 503, "Service Unavailable"},
};
#define EXPECTED_COUNT (sizeof(expected) / sizeof(expected[0]))

static void test_every_status_maps_to_documented_code(void)
{
    /* The table covers the whole enum: FA_ERR_UNAVAILABLE is its last member. */
    CU_ASSERT_EQUAL(EXPECTED_COUNT, (size_t)FA_ERR_UNAVAILABLE + 1);
    for (size_t i = 0; i < EXPECTED_COUNT; i++) {
        int got = fa_status_http_code(expected[i].status);
        if (got != expected[i].http)
            fprintf(stderr, "\n  status %d: got %d, want %d\n", (int)expected[i].status, got,
                    expected[i].http);
        CU_ASSERT_EQUAL(got, expected[i].http);
    }
}

static void test_unknown_status_is_500(void)
{
    CU_ASSERT_EQUAL(fa_status_http_code((fa_status_t)999), 500);
    CU_ASSERT_EQUAL(fa_status_http_code((fa_status_t)-1), 500);
}

static void test_reasons(void)
{
    for (size_t i = 0; i < EXPECTED_COUNT; i++)
        CU_ASSERT_STRING_EQUAL(fa_http_reason(expected[i].http), expected[i].reason);
    CU_ASSERT_STRING_EQUAL(fa_http_reason(201), "Created");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(204), "No Content");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(302), "Found");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(303), "See Other");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(304), "Not Modified");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(418), "Unknown");
    CU_ASSERT_STRING_EQUAL(fa_http_reason(0), "Unknown");
}

static void test_error_set(void)
{
    fa_error_t err = {0};
    fa_status_t st = fa_error_set(&err, FA_ERR_UNAVAILABLE, "database_unavailable",
                                  "the database is unavailable", "connection refused");
    CU_ASSERT_EQUAL(st, FA_ERR_UNAVAILABLE);
    CU_ASSERT_EQUAL(err.status, FA_ERR_UNAVAILABLE);
    CU_ASSERT_STRING_EQUAL(err.code, "database_unavailable");
    CU_ASSERT_STRING_EQUAL(err.message, "the database is unavailable");
    CU_ASSERT_STRING_EQUAL(err.detail, "connection refused");
    st = fa_error_set(&err, FA_ERR_BAD_REQUEST, "bad_request", "bad", NULL);
    CU_ASSERT_EQUAL(st, FA_ERR_BAD_REQUEST);
    CU_ASSERT_PTR_NULL(err.detail);
    /* A caller that does not want the details may pass NULL. */
    CU_ASSERT_EQUAL(fa_error_set(NULL, FA_ERR_CONFLICT, "c", "m", NULL), FA_ERR_CONFLICT);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_every_status_maps_to_documented_code),
        TEST(test_unknown_status_is_500),
        TEST(test_reasons),
        TEST(test_error_set),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/status", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
