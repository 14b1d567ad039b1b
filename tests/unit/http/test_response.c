/* Building and serialising responses (response.c): headers, JSON and error
 * bodies, redirects, Set-Cookie with every attribute, security headers, the
 * aborts that stop a handler bug (a bad header name, a cookie rule) from
 * reaching the wire, and the broken mark that stops outside data (a header
 * value with CR/LF, a body that cannot be serialised) without an abort. */
#include "http/response.h"
#include "unit_test.h"

static fa_response_t res;

static void init(void)
{
    fa_response_init(&res, arena);
}

static const char *serialize(void)
{
    fa_buf_t out = {0};
    fa_response_serialize(&res, &out);
    return fa_buf_cstr(&out);
}

/* Number of header lines "Name: ..." in a serialised head (case-sensitive). */
static int header_lines(const char *wire, const char *name)
{
    int n = 0;
    size_t len = strlen(name);
    const char *end = strstr(wire, "\r\n\r\n");
    for (const char *line = wire; line && end && line <= end;) {
        n += strncmp(line, name, len) == 0 && line[len] == ':';
        const char *next = strstr(line, "\r\n");
        line = next ? next + 2 : NULL;
    }
    return n;
}

static void test_init(void)
{
    init();
    CU_ASSERT_EQUAL(res.status, 200);
    CU_ASSERT_EQUAL(res.header_count, 0);
    CU_ASSERT_EQUAL(res.body.len, 0);
    CU_ASSERT_PTR_NULL(fa_response_get_header(&res, "Content-Type"));
}

static void test_headers(void)
{
    init();
    char value[] = "one";
    fa_response_add_header(&res, "X-Thing", value);
    value[0] = 'X'; /* copied, not borrowed */
    fa_response_add_header(&res, "x-thing", "two");
    fa_response_add_header(&res, "Vary", "Cookie");
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "X-THING"), "one");
    fa_response_set_header(&res, "X-Thing", "three");
    CU_ASSERT_EQUAL(res.header_count, 2);
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "x-thing"), "three");
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "vary"), "Cookie");
    for (int i = 0; i < 40; i++) /* growth keeps every header */
        fa_response_add_header(&res, "X-Many", "v");
    CU_ASSERT_EQUAL(res.header_count, 42);
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "Vary"), "Cookie");
}

static void test_header_value_validation(void)
{
    CU_ASSERT(fa_response_header_value_valid("plain value, with \"quotes\""));
    CU_ASSERT(fa_response_header_value_valid("tab\tallowed"));
    CU_ASSERT(fa_response_header_value_valid(""));
    CU_ASSERT(fa_response_header_value_valid("caf\xC3\xA9"));
    CU_ASSERT_FALSE(fa_response_header_value_valid("a\r\nSet-Cookie: x=1"));
    CU_ASSERT_FALSE(fa_response_header_value_valid("a\rb"));
    CU_ASSERT_FALSE(fa_response_header_value_valid("a\nb"));
    CU_ASSERT_FALSE(fa_response_header_value_valid("bell\a"));
    CU_ASSERT_FALSE(fa_response_header_value_valid("del\x7F"));
    CU_ASSERT_FALSE(fa_response_header_value_valid(NULL));
}

static void add_crlf_name(void)
{
    fa_response_add_header(&res, "X-Test\r\nEvil", "v");
}
static void add_colon_name(void)
{
    fa_response_add_header(&res, "X-Test:", "v");
}
static void add_empty_name(void)
{
    fa_response_add_header(&res, "", "v");
}

/* A header name is a literal of the code: a bad one is a bug and aborts. */
static void test_header_name_misuse_aborts(void)
{
    init();
    CU_ASSERT(aborts(add_crlf_name));
    CU_ASSERT(aborts(add_colon_name));
    CU_ASSERT(aborts(add_empty_name));
    CU_ASSERT_EQUAL(res.header_count, 0); /* the parent's response is untouched */
}

/* Regression (issue 12): a GitHub login "ab\r\nX-Evil: 1" stored in the
 * database reached X-Auth-User-Login and aborted the worker on every session
 * check. A value is data: it is dropped and the response marked broken, and
 * the first reason (naming the header, never the value) is kept. */
static void test_header_value_injection_marks_broken(void)
{
    init();
    fa_response_add_header(&res, "X-Ok", "fine");
    CU_ASSERT_PTR_NULL(res.broken);
    fa_response_set_header(&res, "X-Auth-User-Login", "ab\r\nX-Evil: 1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(res.broken);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.broken, "X-Auth-User-Login"));
    CU_ASSERT_PTR_NULL(strstr(res.broken, "Evil"));
    CU_ASSERT_PTR_NULL(fa_response_get_header(&res, "X-Auth-User-Login"));
    fa_response_add_header(&res, "X-Test", "a\nb");
    CU_ASSERT_PTR_NOT_NULL(strstr(res.broken, "X-Auth-User-Login")); /* first reason kept */
    CU_ASSERT_EQUAL(res.header_count, 1);

    init();
    fa_response_redirect(&res, 302, "/next\r\nSet-Cookie: evil=1");
    CU_ASSERT_PTR_NOT_NULL(res.broken);
    CU_ASSERT_PTR_NULL(fa_response_get_header(&res, "Location"));

    init();
    fa_response_redirect(&res, 302, ""); /* a return_to the database lost */
    CU_ASSERT_PTR_NOT_NULL(res.broken);

    init();
    fa_response_json(&res, 200, NULL); /* what json_pack gives for non-UTF-8 text */
    CU_ASSERT_PTR_NOT_NULL(res.broken);
}

/* What the dispatcher sends instead: a clean 500 with nothing the handler
 * had set, not even its cookies. */
static void test_replace_broken(void)
{
    init();
    fa_cookie_t c = {.name = "sid", .value = "v", .secure = true, .http_only = true};
    fa_response_set_cookie(&res, &c);
    fa_response_empty(&res, 200);
    fa_response_add_header(&res, "X-Auth-User-Id", "7");
    fa_response_add_header(&res, "X-Auth-User-Login", "a\rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(res.broken);
    fa_response_replace_broken(&res);
    CU_ASSERT_EQUAL(res.status, 500);
    const char *wire = serialize();
    CU_ASSERT_EQUAL(header_lines(wire, "Set-Cookie"), 0);
    CU_ASSERT_EQUAL(header_lines(wire, "X-Auth-User-Id"), 0);
    CU_ASSERT_PTR_NULL(strstr(wire, "a\rb"));
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "\"error\":\"internal_error\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "Status: 500 "));
}

static void test_json(void)
{
    init();
    json_t *body = json_pack("{s:s, s:i, s:[b]}", "a", "x/y", "n", 1, "l", 1);
    fa_response_json(&res, 201, body);
    json_decref(body); /* the response holds bytes, not the tree */
    CU_ASSERT_EQUAL(res.status, 201);
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "Content-Type"), "application/json");
    ASSERT_STR(((fa_str_t){res.body.data, res.body.len}), "{\"a\":\"x/y\",\"n\":1,\"l\":[true]}");
    fa_response_json_raw(&res, 200, "{\"raw\":true}", 12);
    ASSERT_STR(((fa_str_t){res.body.data, res.body.len}), "{\"raw\":true}");
    CU_ASSERT_EQUAL(res.header_count, 1); /* Content-Type set, not added twice */
}

static void test_error(void)
{
    init();
    fa_error_t err = {FA_ERR_UNAVAILABLE, "database_unavailable", "try again later", "detail"};
    fa_response_error(&res, &err);
    CU_ASSERT_EQUAL(res.status, 503);
    ASSERT_STR(((fa_str_t){res.body.data, res.body.len}),
               "{\"error\":\"database_unavailable\",\"message\":\"try again later\"}");
    CU_ASSERT_PTR_NULL(strstr(res.body.data, "detail"));
    fa_response_error_status(&res, FA_ERR_HEADER_TOO_LARGE, "header_too_large", "too \"big\"");
    CU_ASSERT_EQUAL(res.status, 431);
    ASSERT_STR(((fa_str_t){res.body.data, res.body.len}),
               "{\"error\":\"header_too_large\",\"message\":\"too \\\"big\\\"\"}");
    /* FA_OK is not an error: a handler bug, answered as 500. */
    fa_response_error_status(&res, FA_OK, "oops", "m");
    CU_ASSERT_EQUAL(res.status, 500);
    /* A message that is not UTF-8 cannot be JSON: the code survives. */
    fa_response_error_status(&res, FA_ERR_BAD_REQUEST, "bad_request", "\xC3\x28");
    CU_ASSERT_EQUAL(res.status, 400);
    ASSERT_STR(((fa_str_t){res.body.data, res.body.len}),
               "{\"error\":\"bad_request\",\"message\":\"Bad Request\"}");
}

static void test_redirect(void)
{
    init();
    fa_response_json_raw(&res, 200, "{}", 2);
    fa_response_redirect(&res, 302, "https://github.com/login/oauth/authorize?state=s");
    CU_ASSERT_EQUAL(res.status, 302);
    CU_ASSERT_STRING_EQUAL(fa_response_get_header(&res, "Location"),
                           "https://github.com/login/oauth/authorize?state=s");
    CU_ASSERT_EQUAL(res.body.len, 0);
    CU_ASSERT_PTR_NULL(fa_response_get_header(&res, "Content-Type"));
    const char *wire = serialize();
    CU_ASSERT(strncmp(wire, "Status: 302 Found\r\n", 19) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "\r\nContent-Length: 0\r\n"));
    CU_ASSERT(strlen(wire) >= 4 && strcmp(wire + strlen(wire) - 4, "\r\n\r\n") == 0);
}

static const char *set_cookie(const fa_cookie_t *c)
{
    init();
    fa_response_set_cookie(&res, c);
    CU_ASSERT_EQUAL(res.header_count, 1);
    return fa_response_get_header(&res, "Set-Cookie");
}

static void test_cookie_session(void)
{
    fa_cookie_t c = {.name = "__Host-fa_session",
                     .value = "tok.sig-_",
                     .max_age = 604800,
                     .secure = true,
                     .http_only = true,
                     .same_site = FA_SAMESITE_LAX};
    CU_ASSERT_STRING_EQUAL(set_cookie(&c), "__Host-fa_session=tok.sig-_; Path=/; Max-Age=604800; "
                                           "Secure; HttpOnly; SameSite=Lax");
}

static void test_cookie_delete(void)
{
    fa_cookie_t c = {.name = "__Host-fa_session",
                     .value = "",
                     .max_age = 0,
                     .secure = true,
                     .http_only = true,
                     .same_site = FA_SAMESITE_LAX};
    CU_ASSERT_STRING_EQUAL(set_cookie(&c),
                           "__Host-fa_session=; Path=/; Max-Age=0; "
                           "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax");
}

static void test_cookie_every_attribute(void)
{
    fa_cookie_t c = {.name = "fa_state",
                     .value = "abc",
                     .path = "/v1/auth/github",
                     .domain = "auth.example.com",
                     .max_age = 600,
                     .secure = true,
                     .http_only = true,
                     .same_site = FA_SAMESITE_NONE};
    CU_ASSERT_STRING_EQUAL(set_cookie(&c), "fa_state=abc; Path=/v1/auth/github; "
                                           "Domain=auth.example.com; Max-Age=600; Secure; "
                                           "HttpOnly; SameSite=None");
    /* Plain http development: no Secure, session lifetime, Strict. */
    fa_cookie_t dev = {
        .name = "fa_session", .value = "t", .max_age = -1, .same_site = FA_SAMESITE_STRICT};
    CU_ASSERT_STRING_EQUAL(set_cookie(&dev), "fa_session=t; Path=/; SameSite=Strict");
}

static void test_two_cookies(void)
{
    init();
    fa_cookie_t a = {.name = "a", .value = "1", .max_age = -1};
    fa_cookie_t b = {.name = "b", .value = "2", .max_age = -1};
    fa_response_set_cookie(&res, &a);
    fa_response_set_cookie(&res, &b);
    CU_ASSERT_EQUAL(header_lines(serialize(), "Set-Cookie"), 2);
}

static fa_cookie_t bad;
static void set_bad_cookie(void)
{
    fa_response_set_cookie(&res, &bad);
}

static bool cookie_aborts(fa_cookie_t c)
{
    init();
    bad = c;
    return aborts(set_bad_cookie);
}

static void test_cookie_misuse_aborts(void)
{
    fa_cookie_t ok = {.name = "n", .value = "v", .secure = true, .max_age = -1};
    CU_ASSERT_FALSE(cookie_aborts(ok));
    fa_cookie_t c = ok;
    c.name = "bad name";
    CU_ASSERT(cookie_aborts(c));
    c.name = "a=b";
    CU_ASSERT(cookie_aborts(c));
    c.name = "";
    CU_ASSERT(cookie_aborts(c));
    c = ok;
    const char *values[] = {"a;b", "a b", "a,b", "a\"b", "a\\b", "a\r\nb", "caf\xC3\xA9", NULL};
    for (int i = 0; values[i]; i++) {
        c.value = values[i];
        CU_ASSERT(cookie_aborts(c));
    }
    c = ok;
    c.path = "/x; Domain=evil";
    CU_ASSERT(cookie_aborts(c));
    c.path = "relative";
    CU_ASSERT(cookie_aborts(c));
    c = ok;
    c.domain = "a.com\r\n";
    CU_ASSERT(cookie_aborts(c));
    /* Prefix rules the browser would enforce by dropping the cookie. */
    fa_cookie_t host = {.name = "__Host-s", .value = "v", .secure = true, .max_age = -1};
    CU_ASSERT_FALSE(cookie_aborts(host));
    c = host;
    c.secure = false;
    CU_ASSERT(cookie_aborts(c));
    c = host;
    c.domain = "example.com";
    CU_ASSERT(cookie_aborts(c));
    c = host;
    c.path = "/v1";
    CU_ASSERT(cookie_aborts(c));
    c = host;
    c.name = "__host-s"; /* browsers match the prefix without case */
    c.secure = false;
    CU_ASSERT(cookie_aborts(c));
    c = host;
    c.name = "__Secure-s";
    c.secure = false;
    CU_ASSERT(cookie_aborts(c));
    c = ok;
    c.secure = false;
    c.same_site = FA_SAMESITE_NONE;
    CU_ASSERT(cookie_aborts(c));
}

static void test_serialize_json(void)
{
    init();
    fa_response_json_raw(&res, 200, "{\"ok\":true}", 11);
    CU_ASSERT_STRING_EQUAL(serialize(), "Status: 200 OK\r\n"
                                        "Content-Type: application/json\r\n"
                                        "X-Content-Type-Options: nosniff\r\n"
                                        "X-Frame-Options: DENY\r\n"
                                        "Referrer-Policy: no-referrer\r\n"
                                        "Content-Security-Policy: default-src 'none'; "
                                        "frame-ancestors 'none'\r\n"
                                        "Cache-Control: no-store\r\n"
                                        "Content-Length: 11\r\n"
                                        "\r\n"
                                        "{\"ok\":true}");
}

static void test_serialize_handler_overrides(void)
{
    init();
    fa_response_set_header(&res, "cache-control", "public, max-age=300");
    fa_response_set_header(&res, "Content-Length", "999");
    fa_response_json_raw(&res, 200, "{\"keys\":[]}", 11);
    const char *wire = serialize();
    CU_ASSERT_EQUAL(header_lines(wire, "cache-control"), 1);
    CU_ASSERT_EQUAL(header_lines(wire, "Cache-Control"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "\r\ncache-control: public, max-age=300\r\n"));
    CU_ASSERT_PTR_NULL(strstr(wire, "999"));
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "\r\nContent-Length: 11\r\n"));
    CU_ASSERT_EQUAL(header_lines(wire, "X-Frame-Options"), 1);
}

static void test_serialize_no_body_statuses(void)
{
    const int statuses[] = {204, 304};
    for (size_t i = 0; i < 2; i++) {
        init();
        fa_response_json_raw(&res, statuses[i], "{\"x\":1}", 7);
        const char *wire = serialize();
        CU_ASSERT_PTR_NULL(strstr(wire, "Content-Length"));
        CU_ASSERT_PTR_NULL(strstr(wire, "{\"x\":1}"));
        CU_ASSERT(strcmp(wire + strlen(wire) - 4, "\r\n\r\n") == 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(wire, "X-Content-Type-Options: nosniff\r\n"));
    }
    init();
    fa_response_empty(&res, 401); /* auth_request's "no" carries no body */
    const char *wire = serialize();
    CU_ASSERT(strncmp(wire, "Status: 401 Unauthorized\r\n", 26) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(wire, "\r\nContent-Length: 0\r\n\r\n"));
}

static void test_serialize_appends(void)
{
    init();
    fa_buf_t out;
    fa_buf_init(&out, arena, 16);
    fa_buf_append_cstr(&out, "PREFIX");
    fa_response_empty(&res, 200);
    fa_response_serialize(&res, &out);
    CU_ASSERT(strncmp(fa_buf_cstr(&out), "PREFIXStatus: 200 OK\r\n", 22) == 0);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_init),
        TEST(test_headers),
        TEST(test_header_value_validation),
        TEST(test_header_name_misuse_aborts),
        TEST(test_header_value_injection_marks_broken),
        TEST(test_replace_broken),
        TEST(test_json),
        TEST(test_error),
        TEST(test_redirect),
        TEST(test_cookie_session),
        TEST(test_cookie_delete),
        TEST(test_cookie_every_attribute),
        TEST(test_two_cookies),
        TEST(test_cookie_misuse_aborts),
        TEST(test_serialize_json),
        TEST(test_serialize_handler_overrides),
        TEST(test_serialize_no_body_statuses),
        TEST(test_serialize_appends),
    };
    static const fa_unit_suite_t suite = {
        .name = "http/response", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
