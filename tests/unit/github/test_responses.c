/* GitHub's JSON answers without a network: the token endpoint's HTTP-200
 * errors, tokens unsafe for a header, ids beyond 2^32 and of the wrong type,
 * null name/email, emails without a primary, and org pages that repeat
 * items (deduplicated by id). */
#include <string.h>

#include "github/responses.h"
#include "unit_test.h"

static fa_status_t tokens(const char *json, fa_github_tokens_t *out, fa_error_t *err)
{
    return fa_github_parse_tokens(arena, json, strlen(json), out, err);
}

static void expect_bad(fa_status_t st, const fa_error_t *err)
{
    CU_ASSERT_EQUAL(st, FA_ERR_UPSTREAM);
    CU_ASSERT_STRING_EQUAL(err->code, "github_bad_response");
}

static void test_tokens_ok(void)
{
    fa_github_tokens_t t;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL_FATAL(tokens("{\"access_token\":\"gho_abc123\",\"token_type\":\"bearer\","
                                 "\"scope\":\"read:user,user:email\"}",
                                 &t, &err),
                          FA_OK);
    CU_ASSERT_STRING_EQUAL(t.access_token, "gho_abc123");
    CU_ASSERT_STRING_EQUAL(t.scope, "read:user,user:email");
    CU_ASSERT_PTR_NULL(t.refresh_token);
    CU_ASSERT_EQUAL(t.expires_in, 0);
    CU_ASSERT_EQUAL_FATAL(
        tokens("{\"access_token\":\"ghu_x\",\"expires_in\":28800,"
               "\"refresh_token\":\"ghr_y\",\"refresh_token_expires_in\":15897600}",
               &t, &err),
        FA_OK);
    CU_ASSERT_STRING_EQUAL(t.refresh_token, "ghr_y");
    CU_ASSERT_EQUAL(t.expires_in, 28800);
    CU_ASSERT_EQUAL(t.refresh_token_expires_in, 15897600);
    CU_ASSERT_STRING_EQUAL(t.scope, "");
}

static void test_tokens_error_with_200(void)
{
    fa_github_tokens_t t;
    fa_error_t err = {0};
    CU_ASSERT_EQUAL(tokens("{\"error\":\"bad_verification_code\",\"error_description\":\"The code "
                           "passed is incorrect or expired.\",\"error_uri\":\"https://x\"}",
                           &t, &err),
                    FA_ERR_UPSTREAM);
    CU_ASSERT_STRING_EQUAL(err.code, "github_rejected_code");
    CU_ASSERT_STRING_EQUAL(err.detail, "bad_verification_code");
    CU_ASSERT_PTR_NULL(t.access_token);
    /* An error wins over a token in the same answer. */
    CU_ASSERT_EQUAL(tokens("{\"error\":\"x\",\"access_token\":\"gho_a\"}", &t, &err),
                    FA_ERR_UPSTREAM);
    CU_ASSERT_STRING_EQUAL(err.code, "github_rejected_code");
    CU_ASSERT_PTR_NULL(t.access_token);
    /* A non-snake_case error name is not echoed into logs. */
    CU_ASSERT_EQUAL(tokens("{\"error\":\"Bad Code <gho_secret>\"}", &t, &err), FA_ERR_UPSTREAM);
    CU_ASSERT_STRING_EQUAL(err.detail, "unknown");
    CU_ASSERT_EQUAL(tokens("{\"error\":42}", &t, &err), FA_ERR_UPSTREAM);
    CU_ASSERT_STRING_EQUAL(err.detail, "unknown");
}

static void test_tokens_unusable(void)
{
    static const char *const bodies[] = {
        "",
        "null",
        "[]",
        "{}",
        "access_token=gho_abc&scope=&token_type=bearer",
        "{\"access_token\":\"\"}",
        "{\"access_token\":null}",
        "{\"access_token\":12}",
        "{\"access_token\":\"gho_a\\r\\nX-Evil: 1\"}",
        "{\"access_token\":\"gho a\"}",
        "{\"access_token\":\"=abc\"}",
        "{\"access_token\":\"ab=c\"}",
        "{\"access_token\":\"gho_a\",\"access_token\":\"gho_b\"}",
        "{\"access_token\":\"gho_a\",\"expires_in\":-1}",
        "{\"access_token\":\"gho_a\",\"expires_in\":\"28800\"}",
        "{\"access_token\":\"gho_a\",\"refresh_token\":\"r\\n\"}",
        "{\"access_token\":\"gho_a\",\"scope\":[]}",
        "{\"access_token\":\"gho_a\"",
        "{\"access_token\":\"gho_\\u0000a\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        fa_github_tokens_t t;
        fa_error_t err = {0};
        expect_bad(tokens(bodies[i], &t, &err), &err);
        CU_ASSERT_PTR_NULL(t.access_token);
        CU_ASSERT_PTR_NULL(strstr(err.detail, "gho_"));
    }
}

static void test_token_valid(void)
{
    CU_ASSERT_TRUE(fa_github_token_valid("gho_16C7e42F292c6912E7710c838347Ae178B4a"));
    CU_ASSERT_TRUE(fa_github_token_valid("a-._~+/b=="));
    CU_ASSERT_FALSE(fa_github_token_valid(NULL));
    CU_ASSERT_FALSE(fa_github_token_valid(""));
    CU_ASSERT_FALSE(fa_github_token_valid("a b"));
    CU_ASSERT_FALSE(fa_github_token_valid("a\r\nb"));
    CU_ASSERT_FALSE(fa_github_token_valid("=="));
    char long_token[FA_GITHUB_MAX_TOKEN + 2];
    memset(long_token, 'a', sizeof(long_token) - 1);
    long_token[sizeof(long_token) - 1] = '\0';
    CU_ASSERT_FALSE(fa_github_token_valid(long_token));
    long_token[FA_GITHUB_MAX_TOKEN] = '\0';
    CU_ASSERT_TRUE(fa_github_token_valid(long_token));
}

static void test_user(void)
{
    fa_github_user_t u;
    fa_error_t err = {0};
    const char *json = "{\"login\":\"bob-private\",\"id\":9000000001,\"name\":null,"
                       "\"email\":null,\"avatar_url\":\"https://a/u/9\"}";
    CU_ASSERT_EQUAL_FATAL(fa_github_parse_user(arena, fa_str_from(json), &u, &err), FA_OK);
    CU_ASSERT_EQUAL(u.id, INT64_C(9000000001));
    CU_ASSERT_STRING_EQUAL(u.login, "bob-private");
    CU_ASSERT_PTR_NULL(u.name);
    CU_ASSERT_PTR_NULL(u.email);
    CU_ASSERT_STRING_EQUAL(u.avatar_url, "https://a/u/9");
    static const char *const bad[] = {
        "{\"login\":\"a\",\"id\":0}",
        "{\"login\":\"a\",\"id\":-5}",
        "{\"login\":\"a\",\"id\":1.5}",
        "{\"login\":\"a\",\"id\":\"9000000001\"}",
        "{\"login\":\"a\",\"id\":1e3}",
        "{\"login\":\"a\"}",
        "{\"id\":1}",
        "{\"login\":\"\",\"id\":1}",
        "{\"login\":\"a\",\"id\":1,\"email\":5}",
        "{\"login\":\"a\",\"id\":99999999999999999999}",
        "[{\"login\":\"a\",\"id\":1}]",
        "<html>unicorn</html>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_bad(fa_github_parse_user(arena, fa_str_from(bad[i]), &u, &err), &err);
        CU_ASSERT_PTR_NULL(u.login);
    }
}

static void test_primary_email(void)
{
    char *email;
    bool verified = true;
    fa_error_t err = {0};
    const char *json =
        "[{\"email\":\"old@x\",\"primary\":false,\"verified\":true},"
        "{\"email\":\"me@x\",\"primary\":true,\"verified\":false,\"visibility\":null}]";
    CU_ASSERT_EQUAL(
        fa_github_parse_primary_email(arena, fa_str_from(json), &email, &verified, &err), FA_OK);
    CU_ASSERT_STRING_EQUAL(email, "me@x");
    CU_ASSERT_FALSE(verified);
    CU_ASSERT_EQUAL(fa_github_parse_primary_email(arena, FA_STR("[]"), &email, &verified, &err),
                    FA_OK);
    CU_ASSERT_PTR_NULL(email);
    CU_ASSERT_FALSE(verified);
    expect_bad(fa_github_parse_primary_email(arena, FA_STR("[{\"email\":\"a\",\"primary\":true}]"),
                                             &email, &verified, &err),
               &err);
    expect_bad(fa_github_parse_primary_email(arena, FA_STR("{}"), &email, &verified, &err), &err);
    CU_ASSERT_PTR_NULL(email);
}

static void test_orgs_dedup_across_pages(void)
{
    fa_github_org_list_t list = {0};
    fa_error_t err = {0};
    const char *page1 = "[{\"login\":\"a\",\"id\":1,\"avatar_url\":\"https://a/o/1\"},"
                        "{\"login\":\"b\",\"id\":4000000001,\"avatar_url\":\"http://u\"}]";
    /* Membership changed between requests: "b" shows up again on page 2. */
    const char *page2 = "[{\"login\":\"b\",\"id\":4000000001,\"avatar_url\":\"http://u\"},"
                        "{\"login\":\"c\",\"id\":3,\"avatar_url\":null}]";
    CU_ASSERT_EQUAL(fa_github_parse_orgs_page(arena, fa_str_from(page1), &list, &err), FA_OK);
    CU_ASSERT_EQUAL(fa_github_parse_orgs_page(arena, fa_str_from(page2), &list, &err), FA_OK);
    CU_ASSERT_EQUAL_FATAL(list.count, 3);
    CU_ASSERT_EQUAL(list.items[0].id, 1);
    CU_ASSERT_EQUAL(list.items[1].id, INT64_C(4000000001));
    CU_ASSERT_STRING_EQUAL(list.items[2].login, "c");
    CU_ASSERT_PTR_NULL(list.items[2].avatar_url);
    CU_ASSERT_PTR_NULL(list.items[0].name);
    expect_bad(
        fa_github_parse_orgs_page(arena, FA_STR("[{\"login\":\"d\",\"id\":true}]"), &list, &err),
        &err);
    expect_bad(fa_github_parse_orgs_page(arena, FA_STR("[1]"), &list, &err), &err);
    expect_bad(fa_github_parse_orgs_page(arena, FA_STR("{\"message\":\"x\"}"), &list, &err), &err);
}

/* Regression (issue 12): GitHub's answer is input. A login with CR/LF was
 * accepted, stored, and aborted the worker on every later session check. */
static void test_login_syntax(void)
{
    static const char *const good[] = {
        "a",          "octo-cat",
        "Octo-Cat-2", "octo-cat_acme",
        "a1_B2",      "abcdefghijklmnopqrstuvwxyz0123456789abc", /* 39 */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CU_ASSERT(fa_github_login_valid(good[i], strlen(good[i])));
    static const char *const bad[] = {
        "",
        "-a",
        "a-",
        "a--b",
        "ab\r\nX-Evil: 1",
        "a b",
        "a.b",
        "_acme",
        "a_",
        "a_b_c",
        "a_b-c",
        "caf\xC3\xA9",
        "abcdefghijklmnopqrstuvwxyz0123456789abcd", /* 40 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_FALSE(fa_github_login_valid(bad[i], strlen(bad[i])));
    CU_ASSERT_FALSE(fa_github_login_valid("a\0b", 3));
    CU_ASSERT_FALSE(fa_github_login_valid(NULL, 0));
}

static void test_text_rule(void)
{
    CU_ASSERT(fa_github_text_valid("Zo\xC3\xAB O'Brien \xF0\x9F\x98\x80", 17, 255));
    CU_ASSERT(fa_github_text_valid("", 0, 0));
    CU_ASSERT_FALSE(fa_github_text_valid("a\rb", 3, 255));
    CU_ASSERT_FALSE(fa_github_text_valid("a\tb", 3, 255));
    CU_ASSERT_FALSE(fa_github_text_valid("a\x7F", 2, 255));
    CU_ASSERT_FALSE(fa_github_text_valid("a\xC2\x85", 3, 255)); /* NEL, a C1 control */
    CU_ASSERT_FALSE(fa_github_text_valid("a\xFF", 2, 255));
    CU_ASSERT_FALSE(fa_github_text_valid("abcd", 4, 3));
}

/* Each field refused on its own, with the field named in the detail. */
static void expect_field(fa_status_t st, const fa_error_t *err, const char *field)
{
    expect_bad(st, err);
    CU_ASSERT_PTR_NOT_NULL(err->detail ? strstr(err->detail, field) : NULL);
}

static void test_user_fields_validated(void)
{
    fa_github_user_t u;
    fa_error_t err = {0};
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"id\":1,\"login\":\"ab\\r\\nX-Evil: 1\"}", "login"},
        {"{\"id\":1,\"login\":\"a--b\"}", "login"},
        {"{\"id\":1,\"login\":\"a\",\"name\":\"x\\ny\"}", "name"},
        {"{\"id\":1,\"login\":\"a\",\"name\":\"x\\u0085y\"}", "name"},
        {"{\"id\":1,\"login\":\"a\",\"email\":\"a@b\\r\\n\"}", "email"},
        {"{\"id\":1,\"login\":\"a\",\"avatar_url\":\"javascript:alert(1)\"}", "avatar_url"},
        {"{\"id\":1,\"login\":\"a\",\"avatar_url\":\"https://a/\\u0007\"}", "avatar_url"},
        {"{\"id\":1,\"login\":\"a\",\"avatar_url\":7}", "avatar_url"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_field(fa_github_parse_user(arena, fa_str_from(bad[i].json), &u, &err), &err,
                     bad[i].field);
        CU_ASSERT_PTR_NULL(u.login);
    }
    char json[600];
    char name[257];
    memset(name, 'n', 256);
    name[256] = '\0';
    snprintf(json, sizeof json, "{\"id\":1,\"login\":\"a\",\"name\":\"%s\"}", name);
    expect_field(fa_github_parse_user(arena, fa_str_from(json), &u, &err), &err, "name");
    name[255] = '\0'; /* 255 bytes: the bound itself is accepted */
    snprintf(json, sizeof json, "{\"id\":1,\"login\":\"a\",\"name\":\"%s\"}", name);
    CU_ASSERT_EQUAL(fa_github_parse_user(arena, fa_str_from(json), &u, &err), FA_OK);
    const char *data =
        "{\"id\":3,\"login\":\"a\",\"avatar_url\":\"data:image/svg+xml;base64,PHN2Zz4=\"}";
    CU_ASSERT_EQUAL(fa_github_parse_user(arena, fa_str_from(data), &u, &err), FA_OK);
    const char *emu = "{\"id\":2,\"login\":\"octo-cat_acme\",\"name\":\"Zo\\u00eb\","
                      "\"avatar_url\":\"HTTP://a/u/2\"}";
    CU_ASSERT_EQUAL(fa_github_parse_user(arena, fa_str_from(emu), &u, &err), FA_OK);
}

static void test_token_fields_validated(void)
{
    fa_github_tokens_t t;
    fa_error_t err = {0};
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"access_token\":\"gho_a\",\"scope\":\"user\\r\\nX: 1\"}", "scope"},
        {"{\"access_token\":\"gho_a\",\"scope\":[]}", "scope"},
        {"{\"access_token\":\"gho_a\",\"token_type\":\"mac\"}", "token_type"},
        {"{\"access_token\":\"gho_a\",\"token_type\":1}", "token_type"},
        {"{\"access_token\":\"gho_a\",\"expires_in\":-1}", "expires_in"},
        {"{\"access_token\":\"gho_a\",\"refresh_token_expires_in\":true}",
         "refresh_token_expires_in"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_field(tokens(bad[i].json, &t, &err), &err, bad[i].field);
        CU_ASSERT_PTR_NULL(t.access_token);
    }
    CU_ASSERT_EQUAL(tokens("{\"access_token\":\"gho_a\",\"token_type\":\"Bearer\"}", &t, &err),
                    FA_OK);
}

static void test_email_and_org_fields_validated(void)
{
    char *email;
    bool verified;
    fa_error_t err = {0};
    expect_field(fa_github_parse_primary_email(
                     arena, FA_STR("[{\"email\":\"a@b\\nc\",\"primary\":true,\"verified\":true}]"),
                     &email, &verified, &err),
                 &err, "email");
    expect_field(fa_github_parse_primary_email(
                     arena, FA_STR("[{\"email\":\"a@b\",\"primary\":true,\"verified\":\"yes\"}]"),
                     &email, &verified, &err),
                 &err, "verified");
    fa_github_org_list_t list = {0};
    expect_field(
        fa_github_parse_orgs_page(arena, FA_STR("[{\"id\":1,\"login\":\"o\\r\\n\"}]"), &list, &err),
        &err, "login");
    expect_field(
        fa_github_parse_orgs_page(
            arena, FA_STR("[{\"id\":1,\"login\":\"o\",\"name\":\"\\u001b[31m\"}]"), &list, &err),
        &err, "name");
    expect_field(
        fa_github_parse_orgs_page(
            arena, FA_STR("[{\"id\":1,\"login\":\"o\",\"avatar_url\":\"ftp://x\"}]"), &list, &err),
        &err, "avatar_url");
    expect_field(
        fa_github_parse_orgs_page(arena, FA_STR("[{\"id\":0,\"login\":\"o\"}]"), &list, &err), &err,
        "id");
}

int main(void)
{
    arena = fa_arena_create(0);
    static const test_case_t tests[] = {
        {"tokens_ok", test_tokens_ok},
        {"tokens_error_with_200", test_tokens_error_with_200},
        {"tokens_unusable", test_tokens_unusable},
        {"token_valid", test_token_valid},
        {"user", test_user},
        {"primary_email", test_primary_email},
        {"orgs_dedup_across_pages", test_orgs_dedup_across_pages},
        {"login_syntax", test_login_syntax},
        {"text_rule", test_text_rule},
        {"user_fields_validated", test_user_fields_validated},
        {"token_fields_validated", test_token_fields_validated},
        {"email_and_org_fields_validated", test_email_and_org_fields_validated},
    };
    static const fa_unit_suite_t suite = {.name = "github/responses"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_arena_destroy(arena);
    return rc;
}
