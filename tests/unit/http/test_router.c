/* Route matching (router.c): literal and {param} segments, HEAD on GET
 * routes, 405 with Allow, trailing slashes and empty segments. */
#include "http/router.h"
#include "unit_test.h"

static fa_status_t h_any(fa_ctx_t *ctx, fa_error_t *err)
{
    (void)ctx;
    (void)err;
    return FA_OK;
}

static const fa_route_t routes[] = {
    {"GET", "/", h_any, "root", 0},
    {"GET", "/healthz", h_any, "healthz", 0},
    {"GET", "/v1/auth/session", h_any, "session", 0},
    {"GET", "/v1/auth/sessions", h_any, "sessions_list", 0},
    {"POST", "/v1/auth/sessions", h_any, "sessions_create", 0},
    {"DELETE", "/v1/auth/sessions/current", h_any, "sessions_revoke_current", 0},
    {"DELETE", "/v1/auth/sessions/{id}", h_any, "sessions_revoke", 0},
    {"POST", "/v1/auth/sign-out", h_any, "sign_out", 0},
    {"GET", "/v1/orgs/{org}/members/{user}", h_any, "member", 0},
    {"PUT", "/v1/orgs/{org}/members/{user}", h_any, "member_put", 0},
    {"GET", "/dup/{a}", h_any, "dup_a", 0},
    {"GET", "/dup/{b}", h_any, "dup_b", 0},
    {"PATCH", "/dup/{c}", h_any, "dup_c", 0},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const fa_route_t *route;
static fa_pairs_t params;
static char allow[64];

static fa_route_result_t match(const char *method, const char *path)
{
    memset(allow, 'x', sizeof(allow)); /* stale content must not leak into the answer */
    route = (const fa_route_t *)&routes[1];
    return fa_router_match(routes, NROUTES, fa_str_from(method), fa_str_from(path), arena, &route,
                           &params, allow, sizeof(allow));
}

static void assert_found(const char *method, const char *path, const char *name)
{
    CU_ASSERT_EQUAL(match(method, path), FA_ROUTE_FOUND);
    CU_ASSERT_PTR_NOT_NULL_FATAL(route);
    CU_ASSERT_STRING_EQUAL(route->name, name);
}

static void assert_not_found(const char *method, const char *path)
{
    CU_ASSERT_EQUAL(match(method, path), FA_ROUTE_NOT_FOUND);
    CU_ASSERT_PTR_NULL(route);
    CU_ASSERT_EQUAL(params.count, 0);
}

static void test_literal_routes(void)
{
    assert_found("GET", "/", "root");
    assert_found("GET", "/healthz", "healthz");
    assert_found("GET", "/v1/auth/session", "session");
    assert_found("GET", "/v1/auth/sessions", "sessions_list");
    assert_found("POST", "/v1/auth/sessions", "sessions_create");
    CU_ASSERT_EQUAL(params.count, 0);
}

static void test_params(void)
{
    assert_found("DELETE", "/v1/auth/sessions/s_123", "sessions_revoke");
    CU_ASSERT_EQUAL_FATAL(params.count, 1);
    ASSERT_STR(params.items[0].name, "id");
    ASSERT_STR(params.items[0].value, "s_123");
    CU_ASSERT_EQUAL(params.items[0].value.ptr[5], '\0'); /* own NUL-terminated copy */
    assert_found("GET", "/v1/orgs/acme/members/octocat", "member");
    CU_ASSERT_EQUAL_FATAL(params.count, 2);
    ASSERT_STR(params.items[0].name, "org");
    ASSERT_STR(params.items[0].value, "acme");
    ASSERT_STR(params.items[1].name, "user");
    ASSERT_STR(params.items[1].value, "octocat");
    /* Taken verbatim: nginx has already decoded the path. */
    assert_found("DELETE", "/v1/auth/sessions/a%20b c", "sessions_revoke");
    ASSERT_STR(params.items[0].value, "a%20b c");
    fa_request_t req = {.route_params = params};
    ASSERT_STR(fa_request_route_param(&req, "id"), "a%20b c");
}

static void test_table_order(void)
{
    assert_found("DELETE", "/v1/auth/sessions/current", "sessions_revoke_current");
    CU_ASSERT_EQUAL(params.count, 0);
    assert_found("GET", "/dup/x", "dup_a");
    ASSERT_STR(params.items[0].name, "a");
}

static void test_head_matches_get(void)
{
    assert_found("HEAD", "/healthz", "healthz");
    assert_found("HEAD", "/v1/orgs/o/members/u", "member");
    ASSERT_STR(params.items[1].value, "u");
    CU_ASSERT_EQUAL(match("HEAD", "/v1/auth/sign-out"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "POST");
}

static void test_method_not_allowed(void)
{
    CU_ASSERT_EQUAL(match("PUT", "/v1/auth/sessions"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, POST");
    CU_ASSERT_PTR_NULL(route);
    CU_ASSERT_EQUAL(params.count, 0);
    CU_ASSERT_EQUAL(match("GET", "/v1/auth/sign-out"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "POST");
    CU_ASSERT_EQUAL(match("POST", "/v1/auth/sessions/abc"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "DELETE");
    CU_ASSERT_EQUAL(match("DELETE", "/v1/orgs/a/members/b"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PUT");
    /* Two GET routes for one path: each method once, in table order. */
    CU_ASSERT_EQUAL(match("POST", "/dup/x"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, PATCH");
    /* Methods are case-sensitive (RFC 9110 section 9.1). */
    CU_ASSERT_EQUAL(match("get", "/healthz"), FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD");
}

static void test_allow_buffer_bounded(void)
{
    char small[8];
    memset(small, 'x', sizeof(small));
    const fa_route_t *r = NULL;
    fa_pairs_t p;
    CU_ASSERT_EQUAL(fa_router_match(routes, NROUTES, FA_STR("PUT"), FA_STR("/v1/auth/sessions"),
                                    arena, &r, &p, small, sizeof(small)),
                    FA_ROUTE_METHOD_NOT_ALLOWED);
    CU_ASSERT_STRING_EQUAL(small, "GET"); /* ", HEAD" does not fit: left out, not cut */
    CU_ASSERT_EQUAL(fa_router_match(routes, NROUTES, FA_STR("PUT"), FA_STR("/v1/auth/sessions"),
                                    arena, &r, &p, NULL, 0),
                    FA_ROUTE_METHOD_NOT_ALLOWED);
}

static void test_not_found(void)
{
    assert_not_found("GET", "/nope");
    assert_not_found("GET", "/healthz/");          /* a trailing slash is another path */
    assert_not_found("GET", "/v1/auth/sessions/"); /* {id} never matches empty */
    assert_not_found("DELETE", "/v1/auth/sessions/");
    assert_not_found("DELETE", "/v1/auth/sessions/a/b");
    assert_not_found("GET", "//healthz");
    assert_not_found("GET", "/v1//auth/session");
    assert_not_found("GET", "/v1/orgs//members/u");
    assert_not_found("GET", "/HEALTHZ");
    assert_not_found("GET", "/healthzz");
    assert_not_found("GET", "/v1/auth");
    assert_not_found("GET", "");
    assert_not_found("GET", "healthz");
    CU_ASSERT_STRING_EQUAL(allow, "");
}

static void test_empty_table(void)
{
    const fa_route_t *r = &routes[0];
    fa_pairs_t p;
    CU_ASSERT_EQUAL(
        fa_router_match(routes, 0, FA_STR("GET"), FA_STR("/"), arena, &r, &p, allow, sizeof(allow)),
        FA_ROUTE_NOT_FOUND);
    CU_ASSERT_PTR_NULL(r);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_literal_routes),     TEST(test_params),
        TEST(test_table_order),        TEST(test_head_matches_get),
        TEST(test_method_not_allowed), TEST(test_allow_buffer_bounded),
        TEST(test_not_found),          TEST(test_empty_table),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/router", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
