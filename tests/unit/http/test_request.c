/* FastCGI params into fa_request_t (request.c): the limits of request.h,
 * duplicate headers, httpoxy, cookies and query strings. */
#include "http/request.h"
#include "unit_test.h"

static fa_request_t req;
static fa_error_t err;

/* Parses a NULL-terminated list of params. */
static fa_status_t parse(char *const *envp)
{
    memset(&err, 0, sizeof(err));
    return fa_request_parse_params(&req, arena, envp, &err);
}

static char *param(const char *name, size_t value_len, char fill)
{
    size_t n = strlen(name);
    char *p = fa_arena_alloc(arena, n + 1 + value_len + 1);
    memcpy(p, name, n);
    p[n] = '=';
    memset(p + n + 1, fill, value_len);
    p[n + 1 + value_len] = '\0';
    return p;
}

static void assert_error(fa_status_t st, fa_status_t want, const char *code)
{
    CU_ASSERT_EQUAL(st, want);
    CU_ASSERT_EQUAL(err.status, want);
    CU_ASSERT_STRING_EQUAL(err.code ? err.code : "", code);
    CU_ASSERT(fa_status_http_code(err.status) >= 400 && fa_status_http_code(err.status) < 500);
}

static void test_basic_request(void)
{
    char *envp[] = {"REQUEST_METHOD=POST",
                    "DOCUMENT_URI=/v1/auth/sessions/abc",
                    "QUERY_STRING=returnTo=%2Fdash&x=a+b",
                    "CONTENT_TYPE=application/json; charset=utf-8",
                    "CONTENT_LENGTH=17",
                    "REMOTE_ADDR=203.0.113.9",
                    "HTTPS=on",
                    "SCRIPT_NAME=/ignored",
                    "HTTP_X_REQUEST_ID=req-1",
                    "HTTP_USER_AGENT=curl/8",
                    "HTTP_COOKIE=a=1; b=2",
                    "not a param",
                    NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    CU_ASSERT_PTR_EQUAL(req.arena, arena);
    ASSERT_STR(req.method, "POST");
    ASSERT_STR(req.path, "/v1/auth/sessions/abc");
    ASSERT_STR(req.query_string, "returnTo=%2Fdash&x=a+b");
    ASSERT_STR(fa_request_query(&req, "returnTo"), "/dash");
    ASSERT_STR(fa_request_query(&req, "x"), "a b");
    ASSERT_STR(req.content_type, "application/json; charset=utf-8");
    CU_ASSERT_EQUAL(req.content_length, 17);
    ASSERT_STR(req.remote_addr, "203.0.113.9");
    ASSERT_STR(req.https, "on");
    CU_ASSERT_EQUAL(req.headers.count, 3);
    ASSERT_STR(req.headers.items[0].name, "x-request-id");
    ASSERT_STR(fa_request_header(&req, "x-request-id"), "req-1");
    ASSERT_STR(fa_request_header(&req, "user-agent"), "curl/8");
    ASSERT_STR(fa_request_cookie(&req, "b"), "2");
    CU_ASSERT_PTR_NULL(fa_request_header(&req, "script-name").ptr);
    CU_ASSERT_PTR_NULL(fa_request_header(&req, "authorization").ptr);
    CU_ASSERT_EQUAL(req.body.len, 0);
    CU_ASSERT_EQUAL(req.route_params.count, 0);
}

/* Regression guard: values must outlive libfcgi's param buffers. */
static void test_values_copied(void)
{
    char method[] = "REQUEST_METHOD=GET", path[] = "DOCUMENT_URI=/a",
         id[] = "HTTP_X_REQUEST_ID=req-7", query[] = "QUERY_STRING=q=1";
    char *envp[] = {method, path, id, query, NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    memset(method, 'Z', sizeof(method) - 1);
    memset(path, 'Z', sizeof(path) - 1);
    memset(id, 'Z', sizeof(id) - 1);
    memset(query, 'Z', sizeof(query) - 1);
    ASSERT_STR(req.method, "GET");
    ASSERT_STR(req.path, "/a");
    ASSERT_STR(fa_request_header(&req, "x-request-id"), "req-7");
    ASSERT_STR(req.query_string, "q=1");
    CU_ASSERT_EQUAL(req.path.ptr[req.path.len], '\0');
}

static void test_missing_method_or_path(void)
{
    char *no_method[] = {"DOCUMENT_URI=/x", NULL};
    assert_error(parse(no_method), FA_ERR_BAD_REQUEST, "bad_request");
    char *empty_method[] = {"REQUEST_METHOD=", "DOCUMENT_URI=/x", NULL};
    assert_error(parse(empty_method), FA_ERR_BAD_REQUEST, "bad_request");
    char *no_path[] = {"REQUEST_METHOD=GET", NULL};
    assert_error(parse(no_path), FA_ERR_BAD_REQUEST, "bad_request");
    char *relative[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=x", NULL};
    assert_error(parse(relative), FA_ERR_BAD_REQUEST, "bad_request");
    char *none[] = {NULL};
    assert_error(parse(none), FA_ERR_BAD_REQUEST, "bad_request");
    assert_error(parse(NULL), FA_ERR_BAD_REQUEST, "bad_request");
}

static void test_first_cgi_variable_wins(void)
{
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/a", "REQUEST_METHOD=DELETE",
                    "DOCUMENT_URI=/b", NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    ASSERT_STR(req.method, "GET");
    ASSERT_STR(req.path, "/a");
}

static void test_path_limits(void)
{
    char *long_path = param("DOCUMENT_URI", FA_MAX_PATH + 1, 'a');
    long_path[strlen("DOCUMENT_URI=")] = '/';
    char *envp[] = {"REQUEST_METHOD=GET", long_path, NULL};
    assert_error(parse(envp), FA_ERR_BAD_REQUEST, "path_too_long");
    long_path[strlen(long_path) - 1] = '\0'; /* exactly FA_MAX_PATH */
    CU_ASSERT_EQUAL(parse(envp), FA_OK);
    char *bad_utf8[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/\xC0\xAF", NULL};
    assert_error(parse(bad_utf8), FA_ERR_BAD_REQUEST, "bad_encoding");
}

static void test_duplicate_headers_kept(void)
{
    char *envp[] = {"REQUEST_METHOD=GET",
                    "DOCUMENT_URI=/",
                    "HTTP_AUTHORIZATION=Bearer first",
                    "HTTP_ACCEPT=*/*",
                    "HTTP_AUTHORIZATION=Bearer second",
                    NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    CU_ASSERT_EQUAL(fa_request_header_count(&req, "authorization"), 2);
    ASSERT_STR(fa_request_header(&req, "authorization"), "Bearer first");
    ASSERT_STR(req.headers.items[2].value, "Bearer second");
    CU_ASSERT_EQUAL(fa_request_header_count(&req, "Authorization"), 2);
    CU_ASSERT_EQUAL(fa_request_header_count(&req, "cookie"), 0);
}

static void test_httpoxy_ignored(void)
{
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "HTTP_PROXY=http://evil:8080",
                    "HTTP_X_A=1", NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    CU_ASSERT_EQUAL(req.headers.count, 1);
    CU_ASSERT_EQUAL(fa_request_header_count(&req, "proxy"), 0);
    CU_ASSERT_PTR_NULL(fa_request_header(&req, "proxy").ptr);
    /* A header that merely starts with "proxy" is an ordinary header. */
    char *other[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "HTTP_PROXY_AUTHORIZATION=x", NULL};
    CU_ASSERT_EQUAL_FATAL(parse(other), FA_OK);
    ASSERT_STR(fa_request_header(&req, "proxy-authorization"), "x");
}

static void test_header_value_limit(void)
{
    char *big = param("HTTP_X_BIG", 20 * 1024, 'x');
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", big, NULL};
    assert_error(parse(envp), FA_ERR_HEADER_TOO_LARGE, "header_too_large");
    CU_ASSERT_EQUAL(fa_status_http_code(err.status), 431);
    char *at_limit = param("HTTP_X_BIG", FA_MAX_HEADER_VALUE, 'x');
    char *ok[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", at_limit, NULL};
    CU_ASSERT_EQUAL(parse(ok), FA_OK);
}

static void test_header_total_limit(void)
{
    char *envp[8] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/"};
    for (int i = 2; i < 7; i++) /* 5 x 7000 bytes, each under the per-value limit */
        envp[i] = param("HTTP_X_FILL", 7000, 'y');
    envp[7] = NULL;
    assert_error(parse(envp), FA_ERR_HEADER_TOO_LARGE, "header_too_large");
    envp[6] = NULL; /* 4 x 7000 fits */
    CU_ASSERT_EQUAL(parse(envp), FA_OK);
}

static void test_header_count_limit(void)
{
    char *envp[FA_MAX_HEADERS + 4] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/"};
    for (int i = 0; i < FA_MAX_HEADERS; i++)
        envp[2 + i] = fa_arena_sprintf(arena, "HTTP_X_H%d=v", i);
    envp[FA_MAX_HEADERS + 2] = NULL;
    CU_ASSERT_EQUAL(parse(envp), FA_OK);
    CU_ASSERT_EQUAL(req.headers.count, FA_MAX_HEADERS);
    envp[FA_MAX_HEADERS + 2] = "HTTP_X_ONE_MORE=v";
    envp[FA_MAX_HEADERS + 3] = NULL;
    assert_error(parse(envp), FA_ERR_HEADER_TOO_LARGE, "header_too_large");
}

static void test_cookies(void)
{
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "HTTP_COOKIE=a=1; s=\"tok\"",
                    "HTTP_COOKIE=s=two; c=3", NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    CU_ASSERT_EQUAL(req.cookies.count, 4);
    CU_ASSERT_EQUAL(fa_request_cookie_count(&req, "s"), 2);
    ASSERT_STR(fa_request_cookie(&req, "s"), "\"tok\""); /* quotes kept: never unwrapped */
    ASSERT_STR(req.cookies.items[2].value, "two");
    ASSERT_STR(fa_request_cookie(&req, "c"), "3");
    CU_ASSERT_EQUAL(fa_request_header_count(&req, "cookie"), 2);
}

static void test_too_many_cookies(void)
{
    fa_buf_t b;
    fa_buf_init(&b, arena, 64);
    fa_buf_append_cstr(&b, "HTTP_COOKIE=");
    for (int i = 0; i < 300; i++)
        fa_buf_printf(&b, "%sc%d=v", i ? "; " : "", i);
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", fa_buf_cstr(&b), NULL};
    assert_error(parse(envp), FA_ERR_HEADER_TOO_LARGE, "too_many_cookies");
    /* Split over two Cookie headers, the limit still applies to the sum. */
    char *half1 = fa_arena_strdup(arena, "HTTP_COOKIE=");
    char *half2 = half1;
    for (int i = 0; i < 30; i++) {
        half1 = fa_arena_sprintf(arena, "%s%sa%d=v", half1, i ? "; " : "", i);
        half2 = fa_arena_sprintf(arena, "%s%sb%d=v", half2, i ? "; " : "", i);
    }
    char *split[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", half1, half2, NULL};
    assert_error(parse(split), FA_ERR_HEADER_TOO_LARGE, "too_many_cookies");
}

static void test_content_length(void)
{
    static const struct {
        const char *param;
        fa_status_t status;
        size_t value;
    } cases[] = {
        {"CONTENT_LENGTH=", FA_OK, 0},
        {"CONTENT_LENGTH=0", FA_OK, 0},
        {"CONTENT_LENGTH=007", FA_OK, 7},
        {"CONTENT_LENGTH=1048576", FA_OK, FA_MAX_BODY},
        {"CONTENT_LENGTH=1048577", FA_ERR_TOO_LARGE, 0},
        {"CONTENT_LENGTH=99999999999999999999999999", FA_ERR_TOO_LARGE, 0},
        {"CONTENT_LENGTH=-1", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=+5", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH= 5", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=5 ", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=0x10", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=1e3", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=5,5", FA_ERR_BAD_REQUEST, 0},
        {"CONTENT_LENGTH=99999999999999999999999999x", FA_ERR_BAD_REQUEST, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *envp[] = {"REQUEST_METHOD=POST", "DOCUMENT_URI=/", (char *)cases[i].param, NULL};
        fa_status_t st = parse(envp);
        CU_ASSERT_EQUAL(st, cases[i].status);
        if (st != cases[i].status)
            fprintf(stderr, "\n  %s\n", cases[i].param);
        if (cases[i].status == FA_OK) {
            CU_ASSERT_EQUAL(req.content_length, cases[i].value);
        } else {
            CU_ASSERT_STRING_EQUAL(err.code, cases[i].status == FA_ERR_TOO_LARGE
                                                 ? "body_too_large"
                                                 : "bad_content_length");
        }
    }
}

static void test_query_errors(void)
{
    const char *bad[] = {"QUERY_STRING=a=%zz",    "QUERY_STRING=a=%4",
                         "QUERY_STRING=a=%00",    "QUERY_STRING=a=%C3%28",
                         "QUERY_STRING=a=%C0%AF", "QUERY_STRING=a=%ED%A0%80",
                         "QUERY_STRING=a=\xFF"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", (char *)bad[i], NULL};
        assert_error(parse(envp), FA_ERR_BAD_REQUEST, "bad_encoding");
    }
    fa_buf_t b;
    fa_buf_init(&b, arena, 64);
    fa_buf_append_cstr(&b, "QUERY_STRING=");
    for (int i = 0; i <= FA_MAX_QUERY_PARAMS; i++)
        fa_buf_printf(&b, "%sp=%d", i ? "&" : "", i);
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", fa_buf_cstr(&b), NULL};
    assert_error(parse(envp), FA_ERR_BAD_REQUEST, "too_many_parameters");
}

static void test_query_duplicates(void)
{
    char *envp[] = {"REQUEST_METHOD=GET", "DOCUMENT_URI=/", "QUERY_STRING=state=a&state=b", NULL};
    CU_ASSERT_EQUAL_FATAL(parse(envp), FA_OK);
    CU_ASSERT_EQUAL(fa_request_query_count(&req, "state"), 2);
    ASSERT_STR(fa_request_query(&req, "state"), "a");
    CU_ASSERT_PTR_NULL(fa_request_query(&req, "code").ptr);
}

static void test_content_type_match(void)
{
    static const struct {
        const char *ct;
        bool json;
    } cases[] = {
        {"application/json", true},
        {"application/json; charset=utf-8", true},
        {"Application/JSON", true},
        {" application/json ;charset=UTF-8", true},
        {"application/jsonx", false},
        {"application/json-patch+json", false},
        {"text/plain", false},
        {"", false},
        {"application/x-www-form-urlencoded", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fa_request_t r = {.content_type = fa_str_from(cases[i].ct)};
        CU_ASSERT_EQUAL(fa_request_is_content_type(&r, "application/json"), cases[i].json);
    }
    fa_request_t none = {0};
    CU_ASSERT_FALSE(fa_request_is_content_type(&none, "application/json"));
}

static void test_route_param_lookup(void)
{
    fa_pair_t items[] = {{FA_STR("id"), FA_STR("s1")}};
    fa_request_t r = {.route_params = {items, 1}};
    ASSERT_STR(fa_request_route_param(&r, "id"), "s1");
    CU_ASSERT_PTR_NULL(fa_request_route_param(&r, "other").ptr);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_basic_request),
        TEST(test_values_copied),
        TEST(test_missing_method_or_path),
        TEST(test_first_cgi_variable_wins),
        TEST(test_path_limits),
        TEST(test_duplicate_headers_kept),
        TEST(test_httpoxy_ignored),
        TEST(test_header_value_limit),
        TEST(test_header_total_limit),
        TEST(test_header_count_limit),
        TEST(test_cookies),
        TEST(test_too_many_cookies),
        TEST(test_content_length),
        TEST(test_query_errors),
        TEST(test_query_duplicates),
        TEST(test_content_type_match),
        TEST(test_route_param_lookup),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/request", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
