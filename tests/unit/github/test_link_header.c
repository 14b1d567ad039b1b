/* Link header parser and pagination origin check: GitHub's real header
 * shape, RFC 8288 corners (quoted params with commas, several relation
 * types, repeated rel), junk rejected as a whole, and next-page URLs on
 * another origin refused so the token never leaves api_url's origin. */
#include <string.h>

#include "github/link_header.h"
#include "unit_test.h"

static const char *next_of(const char *header, fa_github_next_t *kind)
{
    const char *url = NULL;
    *kind = fa_github_link_next(arena, fa_str_from(header), "https://api.github.com", &url);
    return url;
}

static const char *find(const char *header, const char *rel)
{
    fa_github_link_t *links;
    size_t count;
    if (!fa_github_link_parse(arena, fa_str_from(header), &links, &count))
        return "<parse error>";
    return fa_github_link_find(links, count, rel);
}

static void test_github_shape(void)
{
    const char *h = "<https://api.github.com/user/orgs?per_page=10&page=2>; rel=\"next\", "
                    "<https://api.github.com/user/orgs?per_page=10&page=3>; rel=\"last\"";
    fa_github_link_t *links;
    size_t count;
    CU_ASSERT_TRUE_FATAL(fa_github_link_parse(arena, fa_str_from(h), &links, &count));
    CU_ASSERT_EQUAL_FATAL(count, 2);
    CU_ASSERT_STRING_EQUAL(links[0].url, "https://api.github.com/user/orgs?per_page=10&page=2");
    CU_ASSERT_STRING_EQUAL(links[0].rel, "next");
    CU_ASSERT_STRING_EQUAL(links[1].rel, "last");
    CU_ASSERT_STRING_EQUAL(fa_github_link_find(links, count, "last"),
                           "https://api.github.com/user/orgs?per_page=10&page=3");
    CU_ASSERT_PTR_NULL(fa_github_link_find(links, count, "prev"));
    fa_github_next_t kind;
    const char *url = next_of(h, &kind);
    CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_FOUND);
    CU_ASSERT_STRING_EQUAL(url, "https://api.github.com/user/orgs?per_page=10&page=2");
}

static void test_last_page_has_no_next(void)
{
    fa_github_next_t kind;
    const char *h = "<https://api.github.com/user/orgs?page=2>; rel=\"prev\", "
                    "<https://api.github.com/user/orgs?page=1>; rel=\"first\"";
    CU_ASSERT_PTR_NULL(next_of(h, &kind));
    CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_NONE);
    CU_ASSERT_PTR_NULL(next_of("", &kind));
    CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_NONE);
    const char *url = "x";
    CU_ASSERT_EQUAL(fa_github_link_next(arena, FA_STR_NULL, "https://api.github.com", &url),
                    FA_GITHUB_NEXT_NONE);
    CU_ASSERT_PTR_NULL(url);
}

static void test_quoted_params(void)
{
    /* Commas and semicolons inside a quoted-string or the URL do not split. */
    const char *h = "<https://a.example/x?q=a,b;c>; title=\"a, b; \\\"c\\\"\"; rel=\"next\"";
    CU_ASSERT_STRING_EQUAL(find(h, "next"), "https://a.example/x?q=a,b;c");
    CU_ASSERT_STRING_EQUAL(find("<https://a.example/1>;rel=next", "next"), "https://a.example/1");
    CU_ASSERT_STRING_EQUAL(find("<https://a.example/1> ;\trel = \"next\" ", "next"),
                           "https://a.example/1");
    CU_ASSERT_STRING_EQUAL(find("<https://a.example/1>; anchor; rel=next", "next"),
                           "https://a.example/1");
}

static void test_multiple_rels(void)
{
    const char *h = "<https://a.example/2>; rel=\"prev  NEXT\", <https://a.example/9>; REL=last";
    CU_ASSERT_STRING_EQUAL(find(h, "next"), "https://a.example/2");
    CU_ASSERT_STRING_EQUAL(find(h, "prev"), "https://a.example/2");
    CU_ASSERT_STRING_EQUAL(find(h, "last"), "https://a.example/9");
    CU_ASSERT_STRING_EQUAL(find(h, "Next"), "https://a.example/2");
    CU_ASSERT_PTR_NULL(find(h, "nex"));
    /* RFC 8288 §3.3: a second rel parameter is ignored. */
    CU_ASSERT_PTR_NULL(find("<https://a.example/2>; rel=last; rel=next", "next"));
    /* Empty list elements are allowed (RFC 9110 §5.6.1). */
    CU_ASSERT_STRING_EQUAL(find(" , ,<https://a.example/3>; rel=next,, ", "next"),
                           "https://a.example/3");
}

static void test_junk_rejected(void)
{
    static const char *const junk[] = {
        "garbage",
        "<https://a.example/2>; rel=\"next",
        "<https://a.example/2",
        "<>; rel=next",
        "<https://a.example/2> rel=next",
        "<https://a.example/2>; =next",
        "<https://a.example/2>; rel=",
        "<https://a.example/a b>; rel=next",
        "<https://a.example/2>; rel=next <https://a.example/3>; rel=last",
        "<https://a.example/2>; rel=next\r\nX-Evil: 1",
        "<https://a.example/2>; rel=\"ne\x01xt\"",
        "https://a.example/2; rel=next",
        "<https://a.example/2>; rel=next; title=\"\\",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        fa_github_link_t *links = (fa_github_link_t *)1;
        size_t count = 7;
        CU_ASSERT_FALSE(fa_github_link_parse(arena, fa_str_from(junk[i]), &links, &count));
        CU_ASSERT_PTR_NULL(links);
        CU_ASSERT_EQUAL(count, 0);
        fa_github_next_t kind;
        CU_ASSERT_PTR_NULL(next_of(junk[i], &kind));
        CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_MALFORMED);
    }
}

static void expect_foreign(const char *url)
{
    char *h = fa_arena_sprintf(arena, "<%s>; rel=\"next\"", url);
    fa_github_next_t kind;
    CU_ASSERT_PTR_NULL(next_of(h, &kind));
    CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_FOREIGN);
}

static void test_foreign_origin_refused(void)
{
    expect_foreign("https://evil.example/user/orgs?page=2");
    expect_foreign("http://api.github.com/user/orgs?page=2");       /* scheme */
    expect_foreign("https://api.github.com:8443/user/orgs?page=2"); /* port */
    expect_foreign("https://api.github.com.evil.example/user/orgs");
    expect_foreign("https://api.github.com@evil.example/user/orgs");
    expect_foreign("https://user:pw@api.github.com/user/orgs"); /* userinfo */
    expect_foreign("https://evil.example\\@api.github.com/user/orgs");
    expect_foreign("/user/orgs?page=2"); /* relative: GitHub sends absolute URLs */
    expect_foreign("//evil.example/user/orgs");
    expect_foreign("ftp://api.github.com/user/orgs");
    expect_foreign("javascript:alert(1)");
}

static void test_same_origin_normalises(void)
{
    CU_ASSERT_TRUE(fa_github_same_origin("https://API.GitHub.com:443/user/orgs?page=2",
                                         "https://api.github.com"));
    CU_ASSERT_TRUE(
        fa_github_same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/api/v3"));
    CU_ASSERT_FALSE(fa_github_same_origin("http://127.0.0.1:8081/x", "http://127.0.0.1:8080"));
    CU_ASSERT_FALSE(fa_github_same_origin("http://127.0.0.1/x", "not a url"));
    fa_github_next_t kind;
    CU_ASSERT_STRING_EQUAL(
        next_of("<https://api.github.com:443/user/orgs?page=2>; rel=next", &kind),
        "https://api.github.com:443/user/orgs?page=2");
    CU_ASSERT_EQUAL(kind, FA_GITHUB_NEXT_FOUND);
}

int main(void)
{
    arena = fa_arena_create(0);
    static const test_case_t tests[] = {
        {"github_shape", test_github_shape},
        {"last_page_has_no_next", test_last_page_has_no_next},
        {"quoted_params", test_quoted_params},
        {"multiple_rels", test_multiple_rels},
        {"junk_rejected", test_junk_rejected},
        {"foreign_origin_refused", test_foreign_origin_refused},
        {"same_origin_normalises", test_same_origin_normalises},
    };
    static const fa_unit_suite_t suite = {.name = "github/link_header"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_arena_destroy(arena);
    return rc;
}
