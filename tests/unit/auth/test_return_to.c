/* Invariant 3: returnTo accepts same-origin paths and trusted origins only. */
#include "unit_test.h"
#include <string.h>

#include "auth/return_to.h"
#include "auth/session.h"

static fa_config_t cfg;

static const char *env_table(const char *name, void *ctx)
{
    (void)ctx;
    static const char *const pairs[][2] = {
        {"FOUNDRY_AUTH_URL", "https://auth.example.com"},
        {"FOUNDRY_AUTH_SECRET", "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"},
        {"DATABASE_URL", "dbname=x"},
        {"GITHUB_CLIENT_ID", "id"},
        {"GITHUB_CLIENT_SECRET", "secret"},
        {"FOUNDRY_TRUSTED_ORIGINS", "https://app.example.com"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (strcmp(pairs[i][0], name) == 0)
            return pairs[i][1];
    return NULL;
}

static bool safe(const char *s)
{
    return fa_return_to_is_safe(&cfg, fa_str_from(s));
}

static void test_accepts_paths_and_trusted_origins(void)
{
    CU_ASSERT_TRUE(safe("/"));
    CU_ASSERT_TRUE(safe("/app"));
    CU_ASSERT_TRUE(safe("/app/settings?tab=1#x"));
    CU_ASSERT_TRUE(safe("https://app.example.com/dashboard"));
    CU_ASSERT_TRUE(safe("https://app.example.com"));
    CU_ASSERT_TRUE(safe("https://auth.example.com/app")); /* our own origin */
}

static void test_refuses_open_redirects(void)
{
    const char *bad[] = {
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\r\nSet-Cookie:x=y",
        "/a b",
        "/\t/evil.example",
        "https://app.example.com.evil.example/",
        "https://app.example.com@evil.example/",
        "https://evil.example@app.example.com/", /* userinfo: refused outright */
        "http://app.example.com/",               /* scheme differs from the trusted origin */
        "javascript:alert(1)",
        "evil.example",
        "",
        "/caf\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_FALSE(safe(bad[i]));
}

static void test_sanitize_falls_back_to_default(void)
{
    arena = fa_arena_create(0);
    CU_ASSERT_STRING_EQUAL(fa_return_to_sanitize(&cfg, arena, FA_STR("//evil.example")), "/app");
    CU_ASSERT_STRING_EQUAL(fa_return_to_sanitize(&cfg, arena, FA_STR_NULL), "/app");
    CU_ASSERT_STRING_EQUAL(fa_return_to_sanitize(&cfg, arena, FA_STR("/x")), "/x");
    char long_path[FA_RETURN_TO_MAX + 2];
    memset(long_path, 'a', sizeof(long_path));
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    CU_ASSERT_STRING_EQUAL(fa_return_to_sanitize(&cfg, arena, fa_str_from(long_path)), "/app");
    fa_arena_destroy(arena);
}

static void test_session_id_shape(void)
{
    CU_ASSERT_TRUE(fa_session_id_valid("0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8b", 36));
    CU_ASSERT_FALSE(fa_session_id_valid("0F8E3C2A-5B7D-4E1F-9A2B-3C4D5E6F7A8B", 36));
    CU_ASSERT_FALSE(fa_session_id_valid("0f8e3c2a-5b7d-4e1f-9a2b-3c4d5e6f7a8", 35));
    CU_ASSERT_FALSE(fa_session_id_valid("0f8e3c2a-5b7d-4e1f-9a2b'3c4d5e6f7a8b", 36));
    CU_ASSERT_FALSE(fa_session_id_valid("' OR 1=1 --", 11));
}

int main(void)
{
    char err[256];
    if (!fa_config_load(&cfg, env_table, NULL, err, sizeof(err), NULL, 0)) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    static const test_case_t tests[] = {
        {"accepts paths and trusted origins", test_accepts_paths_and_trusted_origins},
        {"refuses open redirects", test_refuses_open_redirects},
        {"sanitize falls back to the default", test_sanitize_falls_back_to_default},
        {"session id shape", test_session_id_shape},
    };
    static const fa_unit_suite_t suite = {.name = "auth/return_to"};
    int rc = fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
    fa_config_free(&cfg);
    return rc;
}
