/* Configuration from a table-driven environment (config.c): required and weak
 * settings, deprecated aliases, plain-http development, derived URLs,
 * trusted origins and numeric bounds. No test reads the real environment. */
#include "core/config.h"
#include "unit_test.h"

#define STRONG_1 "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"
#define STRONG_2 "Vb3N8m1Qw5Er7Ty9Ui0Op2As4Df6Gh8Jk1Lz3Xc5Vb7N"

typedef struct {
    const char *name;
    const char *value; /* NULL: unset (removes a base entry) */
} env_entry_t;

/* The minimal valid configuration; a test overrides or removes entries. */
static const env_entry_t base_env[] = {
    {"FOUNDRY_AUTH_URL", "https://auth.example.com"},
    {"FOUNDRY_AUTH_SECRET", STRONG_1},
    {"DATABASE_URL", "postgresql:///foundry"},
    {"GITHUB_CLIENT_ID", "Iv1.0123456789abcdef"},
    {"GITHUB_CLIENT_SECRET", "0123456789abcdef0123456789abcdef01234567"},
};

typedef struct {
    const env_entry_t *overrides; /* looked up first */
    size_t override_count;
    bool no_base;
} env_table_t;

static const char *table_env(const char *name, void *ctx)
{
    const env_table_t *t = ctx;
    for (size_t i = 0; i < t->override_count; i++)
        if (strcmp(t->overrides[i].name, name) == 0)
            return t->overrides[i].value;
    if (t->no_base)
        return NULL;
    for (size_t i = 0; i < sizeof(base_env) / sizeof(base_env[0]); i++)
        if (strcmp(base_env[i].name, name) == 0)
            return base_env[i].value;
    return NULL;
}

static fa_config_t cfg;
static char err[512];
static char warn[1024];

static bool load_with(const env_entry_t *overrides, size_t count)
{
    env_table_t t = {overrides, count, false};
    memset(err, 'X', sizeof(err) - 1); /* stale text must not survive */
    err[sizeof(err) - 1] = '\0';
    return fa_config_load(&cfg, table_env, &t, err, sizeof(err), warn, sizeof(warn));
}

#define LOAD(...)                                                                                  \
    load_with((const env_entry_t[]){__VA_ARGS__},                                                  \
              sizeof((const env_entry_t[]){__VA_ARGS__}) / sizeof(env_entry_t))

static bool contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* A refusal is one line that names the variable and never echoes a value. */
static void assert_refused(bool ok, const char *variable)
{
    CU_ASSERT_FALSE(ok);
    if (!contains(err, variable))
        fprintf(stderr, "\n  error \"%s\" does not name %s\n", err, variable);
    CU_ASSERT(contains(err, variable));
    CU_ASSERT(strchr(err, '\n') == NULL);
    CU_ASSERT(strlen(err) > strlen(variable));
    CU_ASSERT(!contains(err, "XXXX"));
    if (ok)
        fa_config_free(&cfg);
}

static void test_minimal_valid_config(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"UNUSED", NULL}));
    CU_ASSERT_STRING_EQUAL(err, "");
    CU_ASSERT_STRING_EQUAL(warn, "");
    CU_ASSERT_STRING_EQUAL(cfg.public_url, "https://auth.example.com");
    CU_ASSERT_STRING_EQUAL(cfg.public_origin, "https://auth.example.com");
    CU_ASSERT_TRUE(cfg.secure_cookies);
    CU_ASSERT_EQUAL(cfg.secret_count, 1);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[0], STRONG_1);
    CU_ASSERT_STRING_EQUAL(cfg.database_url, "postgresql:///foundry");
    CU_ASSERT_STRING_EQUAL(cfg.github_client_id, "Iv1.0123456789abcdef");
    CU_ASSERT_STRING_EQUAL(cfg.github_oauth_url, "https://github.com");
    CU_ASSERT_STRING_EQUAL(cfg.github_api_url, "https://api.github.com");
    CU_ASSERT_STRING_EQUAL(cfg.callback_url, "https://auth.example.com/v1/auth/github/callback");
    CU_ASSERT_EQUAL(cfg.trusted_origin_count, 1);
    CU_ASSERT_STRING_EQUAL(cfg.trusted_origins[0], "https://auth.example.com");
    CU_ASSERT_STRING_EQUAL(cfg.sign_in_path, "/sign-in");
    CU_ASSERT_STRING_EQUAL(cfg.default_return_to, "/app");
    CU_ASSERT_EQUAL(cfg.session_ttl, 7 * 86400);
    CU_ASSERT_EQUAL(cfg.session_update_age, 86400);
    CU_ASSERT_EQUAL(cfg.session_max_age, 30 * 86400);
    CU_ASSERT_EQUAL(cfg.jwt_ttl, 300);
    CU_ASSERT_EQUAL(cfg.cookie_cache_max_age, 0);
    CU_ASSERT_EQUAL(cfg.workers, 2);
    CU_ASSERT_EQUAL(cfg.log_level, FA_LOG_INFO);
    CU_ASSERT_FALSE(cfg.dev_mode);
    CU_ASSERT_PTR_NULL(cfg.starter_repo);
    fa_config_free(&cfg);
    CU_ASSERT_PTR_NULL(cfg.public_url); /* free leaves a zeroed struct */
}

static void test_short_secret_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", "0123456789"}), "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, "0123456789"));
}

static void test_low_entropy_secret_refused(void)
{
    const char *aaaa = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; /* 40 bytes */
    CU_ASSERT_EQUAL(strlen(aaaa), 40);
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", aaaa}), "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, "aaaaaaaa"));
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", "abababababababababababababababababababab"}),
                   "FOUNDRY_AUTH_SECRET");
    /* Valid base64 of 84 bytes of 7 characters (found by fuzz_config):
     * bit-shifting spreads it over many byte values, the text shows it. */
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET",
                         "ababababababababavvvvvvvvvvvvvvvvvvvvxxxxxxxxxxxxxxxxxxxxxxxxv"
                         "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvB9999999999999999999999bab"
                         "ababababababacab"}),
                   "FOUNDRY_AUTH_SECRET");
    /* Valid base64 of 33 zero bytes: long enough, but not random. */
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
                   "FOUNDRY_AUTH_SECRET");
}

/* Issue 13: a long password is not a key. 33 characters with 10 distinct
 * ones passed the old length-and-variety check, yet a dictionary finds it
 * and the secret mints cache cookies for any user. */
static void test_password_like_secret_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", "Summer2024!Summer2024!Summer2024!"}),
                   "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, "Summer"));
    assert_refused(
        LOAD({"FOUNDRY_AUTH_SECRET", "correct horse battery staple correct horse battery"}),
        "FOUNDRY_AUTH_SECRET");
    /* 44 base64 characters of one alphabet each are fine, a mix is not base64. */
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9p+/"}),
                   "FOUNDRY_AUTH_SECRET");
}

/* The check is on the decoded length: 32 bytes and more pass in every
 * encoding openssl rand and common tools print; 31 bytes do not. */
static void test_secret_decoded_length(void)
{
    static const char *const accepted[] = {
        /* openssl rand -base64 32: 44 characters, padded */
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiWrM=",
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiWrM",  /* unpadded */
        "q0Yd8Xh4Vw1b2MZpT9n-Jc7R_kLs6GfEuA3yBoHiWrM=", /* url alphabet */
        /* openssl rand -hex 32 */
        "3f9a1c7e5b2d8046e1f3a9c7b5d20e4f6a8c1e3b5d7f9021a4c6e8b0d2f4a6c8",
        "3F9A1C7E5B2D8046E1F3A9C7B5D20E4F6A8C1E3B5D7F9021A4C6E8B0D2F4A6C8",
        /* openssl rand -base64 48 */
        "kY3oc5ak3e9gOPUBMhnDhEEc27H9watdNuktKtnAL5pkMHXh+H1WAFik0rR+doRO",
        STRONG_1, /* 43 base64url characters: 32 bytes */
    };
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        bool ok = LOAD({"FOUNDRY_AUTH_SECRET", accepted[i]});
        CU_ASSERT_TRUE(ok);
        if (!ok)
            fprintf(stderr, "refused %s: %s\n", accepted[i], err);
        else
            fa_config_free(&cfg);
    }
    static const char *const refused[] = {
        /* 63 hex digits: odd, and would be 47 bytes read as base64 */
        "3f9a1c7e5b2d8046e1f3a9c7b5d20e4f6a8c1e3b5d7f9021a4c6e8b0d2f4a6c",
        /* 62 hex digits: 31 bytes */
        "3f9a1c7e5b2d8046e1f3a9c7b5d20e4f6a8c1e3b5d7f9021a4c6e8b0d2f4a6",
        /* 42 base64 characters: 31 bytes */
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiWr",
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiW",   /* a lone 6 bits */
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiWr=", /* padding short of a group */
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6Gf=EuA3yBoHiWrM", /* padding inside */
        "q0Yd8Xh4Vw1b2MZpT9n+Jc7R/kLs6GfEuA3yBoHiWrM===",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        bool ok = LOAD({"FOUNDRY_AUTH_SECRET", refused[i]});
        CU_ASSERT_FALSE(ok);
        if (ok) {
            fprintf(stderr, "accepted %s\n", refused[i]);
            fa_config_free(&cfg);
        } else {
            CU_ASSERT(contains(err, "FOUNDRY_AUTH_SECRET"));
            CU_ASSERT(!contains(err, "q0Yd8Xh4"));
            CU_ASSERT(!contains(err, "3f9a1c7e"));
        }
    }
}

static void test_secret_missing_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", NULL}), "FOUNDRY_AUTH_SECRET");
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", ""}), "FOUNDRY_AUTH_SECRET");
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", " , ,"}), "FOUNDRY_AUTH_SECRET");
}

static void test_secret_list_first_signs(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SECRET", STRONG_2 "," STRONG_1}));
    CU_ASSERT_EQUAL(cfg.secret_count, 2);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[0], STRONG_2);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[1], STRONG_1);
    fa_config_free(&cfg);
    /* Spaces around the comma are not part of a secret. */
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SECRET", " " STRONG_2 " , " STRONG_1 " "}));
    CU_ASSERT_EQUAL(cfg.secret_count, 2);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[0], STRONG_2);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[1], STRONG_1);
    fa_config_free(&cfg);
}

static void test_one_weak_secret_in_list_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", STRONG_1 ",tooshort-secret"}),
                   "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, "tooshort-secret"));
    CU_ASSERT(!contains(err, STRONG_1));
    assert_refused(
        LOAD({"FOUNDRY_AUTH_SECRET", "0000000000000000000000000000000000000000," STRONG_1}),
        "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, "00000000"));
}

static void test_too_many_secrets_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET",
                         STRONG_1 "," STRONG_2 "," STRONG_1 "x," STRONG_2 "y," STRONG_1 "z"}),
                   "FOUNDRY_AUTH_SECRET");
    CU_ASSERT(!contains(err, STRONG_1));
}

static void test_missing_required_each_named(void)
{
    assert_refused(LOAD({"DATABASE_URL", NULL}), "DATABASE_URL");
    assert_refused(LOAD({"GITHUB_CLIENT_ID", NULL}), "GITHUB_CLIENT_ID");
    assert_refused(LOAD({"GITHUB_CLIENT_SECRET", NULL}), "GITHUB_CLIENT_SECRET");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", NULL}), "FOUNDRY_AUTH_URL");
    /* Set but empty counts as missing. */
    assert_refused(LOAD({"DATABASE_URL", ""}), "DATABASE_URL");
}

static void test_empty_environment_refused(void)
{
    env_table_t t = {NULL, 0, true};
    bool ok = fa_config_load(&cfg, table_env, &t, err, sizeof(err), warn, sizeof(warn));
    CU_ASSERT_FALSE(ok);
    CU_ASSERT(strlen(err) > 0);
    CU_ASSERT(strchr(err, '\n') == NULL);
}

static void test_better_auth_aliases_accepted_with_warning(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_URL", NULL}, {"FOUNDRY_AUTH_SECRET", NULL},
                              {"BETTER_AUTH_URL", "https://legacy.example.com"},
                              {"BETTER_AUTH_SECRET", STRONG_2}));
    CU_ASSERT_STRING_EQUAL(cfg.public_url, "https://legacy.example.com");
    CU_ASSERT_EQUAL(cfg.secret_count, 1);
    CU_ASSERT_STRING_EQUAL(cfg.secrets[0], STRONG_2);
    CU_ASSERT(contains(warn, "BETTER_AUTH_URL"));
    CU_ASSERT(contains(warn, "BETTER_AUTH_SECRET"));
    CU_ASSERT(contains(warn, "deprecated"));
    CU_ASSERT(contains(warn, "FOUNDRY_AUTH_URL"));
    CU_ASSERT(contains(warn, "FOUNDRY_AUTH_SECRET"));
    CU_ASSERT(!contains(warn, STRONG_2));
    /* one warning per line */
    const char *nl = strchr(warn, '\n');
    CU_ASSERT(nl != NULL && strchr(nl + 1, '\n') != NULL);
    fa_config_free(&cfg);
}

static void test_new_name_wins_over_alias_without_warning(void)
{
    CU_ASSERT_TRUE_FATAL(
        LOAD({"BETTER_AUTH_URL", "https://legacy.example.com"}, {"BETTER_AUTH_SECRET", STRONG_2}));
    CU_ASSERT_STRING_EQUAL(cfg.public_url, "https://auth.example.com");
    CU_ASSERT_STRING_EQUAL(cfg.secrets[0], STRONG_1);
    CU_ASSERT(!contains(warn, "deprecated"));
    fa_config_free(&cfg);
}

static void test_weak_alias_secret_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_SECRET", NULL}, {"BETTER_AUTH_SECRET", "w3ak-alias"}),
                   "SECRET");
    CU_ASSERT(!contains(err, "w3ak-alias"));
}

static void test_http_non_loopback_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "http://auth.example.com"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "http://10.0.0.5:8080"}), "FOUNDRY_AUTH_URL");
}

/* Hosts that merely start like a loopback name are public hosts. */
static void test_http_loopback_lookalike_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "http://localhost.evil.example"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "http://127.0.0.1.evil.example"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "http://localhostevil.example:8080"}),
                   "FOUNDRY_AUTH_URL");
}

static void test_http_loopback_accepted_with_insecure_warning(void)
{
    const char *urls[] = {"http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080",
                          "http://127.0.0.1"};
    for (size_t i = 0; i < 4; i++) {
        bool ok = LOAD({"FOUNDRY_AUTH_URL", urls[i]});
        CU_ASSERT_TRUE(ok);
        if (!ok) {
            fprintf(stderr, "\n  %s refused: %s\n", urls[i], err);
            continue;
        }
        CU_ASSERT_FALSE(cfg.secure_cookies);
        CU_ASSERT(contains(warn, "FOUNDRY_AUTH_URL"));
        CU_ASSERT(contains(warn, "Secure"));
        CU_ASSERT_STRING_EQUAL(cfg.public_origin, urls[i]);
        fa_config_free(&cfg);
    }
}

static void test_https_secure_cookies(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_URL", "https://127.0.0.1:8443"}));
    CU_ASSERT_TRUE(cfg.secure_cookies);
    CU_ASSERT(!contains(warn, "Secure"));
    fa_config_free(&cfg);
}

static void test_bad_url_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "auth.example.com"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "ftp://auth.example.com"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "https://"}), "FOUNDRY_AUTH_URL");
    assert_refused(LOAD({"FOUNDRY_AUTH_URL", "https://user@auth.example.com"}), "FOUNDRY_AUTH_URL");
}

static void test_callback_url_derived(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_URL", "https://auth.example.com/"}));
    CU_ASSERT_STRING_EQUAL(cfg.public_url, "https://auth.example.com");
    CU_ASSERT_STRING_EQUAL(cfg.callback_url, "https://auth.example.com/v1/auth/github/callback");
    CU_ASSERT(!contains(cfg.callback_url + strlen("https://"), "//"));
    fa_config_free(&cfg);
    /* Mounted under a path: the origin drops it, the callback keeps it. */
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_URL", "https://example.com:8443/auth/"}));
    CU_ASSERT_STRING_EQUAL(cfg.public_origin, "https://example.com:8443");
    CU_ASSERT_STRING_EQUAL(cfg.callback_url,
                           "https://example.com:8443/auth/v1/auth/github/callback");
    fa_config_free(&cfg);
}

static void test_github_urls_trailing_slash_trimmed(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"GITHUB_OAUTH_URL", "http://127.0.0.1:9999/"},
                              {"GITHUB_API_URL", "http://127.0.0.1:9999/api/"}));
    CU_ASSERT_STRING_EQUAL(cfg.github_oauth_url, "http://127.0.0.1:9999");
    CU_ASSERT_STRING_EQUAL(cfg.github_api_url, "http://127.0.0.1:9999/api");
    fa_config_free(&cfg);
    assert_refused(LOAD({"GITHUB_API_URL", "not a url"}), "GITHUB_API_URL");
    /* Secrets travel there: plain http only to loopback. */
    assert_refused(LOAD({"GITHUB_OAUTH_URL", "http://github.example"}), "GITHUB_OAUTH_URL");
    assert_refused(LOAD({"GITHUB_API_URL", "http://localhost.evil.example/api"}),
                   "GITHUB_API_URL");
    CU_ASSERT_TRUE_FATAL(LOAD({"GITHUB_API_URL", "https://ghe.example.com/api/v3"}));
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(LOAD({"GITHUB_OAUTH_URL", "http://localhost:9000"}));
    fa_config_free(&cfg);
}

static void test_trusted_origins_parsed(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_TRUSTED_ORIGINS",
                               " https://app.example.com , https://admin.example.com:8443,,"}));
    CU_ASSERT_EQUAL_FATAL(cfg.trusted_origin_count, 3);
    CU_ASSERT_STRING_EQUAL(cfg.trusted_origins[0], "https://app.example.com");
    CU_ASSERT_STRING_EQUAL(cfg.trusted_origins[1], "https://admin.example.com:8443");
    /* The service's own origin is always trusted. */
    CU_ASSERT_STRING_EQUAL(cfg.trusted_origins[2], "https://auth.example.com");
    fa_config_free(&cfg);
}

static void test_trusted_origin_with_path_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_TRUSTED_ORIGINS", "https://app.example.com/path"}),
                   "FOUNDRY_TRUSTED_ORIGINS");
    assert_refused(
        LOAD({"FOUNDRY_TRUSTED_ORIGINS", "https://ok.example.com,https://app.example.com/"}),
        "FOUNDRY_TRUSTED_ORIGINS");
    assert_refused(LOAD({"FOUNDRY_TRUSTED_ORIGINS", "app.example.com"}), "FOUNDRY_TRUSTED_ORIGINS");
    assert_refused(LOAD({"FOUNDRY_TRUSTED_ORIGINS", "https://app.example.com?x=1"}),
                   "FOUNDRY_TRUSTED_ORIGINS");
}

static bool trusted(const char *origin)
{
    return fa_config_is_trusted_origin(&cfg, origin, strlen(origin));
}

static void test_is_trusted_origin_exact_only(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_TRUSTED_ORIGINS", "https://app.example.com"}));
    CU_ASSERT_TRUE(trusted("https://app.example.com"));
    CU_ASSERT_TRUE(trusted("https://auth.example.com"));
    CU_ASSERT_FALSE(trusted("https://app.example.com.evil.com"));
    CU_ASSERT_FALSE(trusted("https://app.example.co"));
    CU_ASSERT_FALSE(trusted("https://app.example.com/"));
    CU_ASSERT_FALSE(trusted("https://app.example.com:443"));
    CU_ASSERT_FALSE(trusted("http://app.example.com"));
    CU_ASSERT_FALSE(trusted("https://evil.app.example.com"));
    CU_ASSERT_FALSE(trusted("https://app.example.com@evil.com"));
    CU_ASSERT_FALSE(trusted(""));
    CU_ASSERT_FALSE(trusted("null"));
    /* The length is authoritative: a longer buffer cut at len is judged by len. */
    const char *longer = "https://app.example.com.evil.com";
    CU_ASSERT_TRUE(fa_config_is_trusted_origin(&cfg, longer, strlen("https://app.example.com")));
    CU_ASSERT_FALSE(fa_config_is_trusted_origin(&cfg, "https://app.example.com", 10));
    fa_config_free(&cfg);
}

static void test_numeric_out_of_range_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_SESSION_TTL", "10"}), "FOUNDRY_SESSION_TTL");
    assert_refused(LOAD({"FOUNDRY_SESSION_TTL", "-5"}), "FOUNDRY_SESSION_TTL");
    assert_refused(LOAD({"FOUNDRY_SESSION_TTL", "1h"}), "FOUNDRY_SESSION_TTL");
    assert_refused(LOAD({"FOUNDRY_JWT_TTL", "99999999999999999999999"}), "FOUNDRY_JWT_TTL");
    assert_refused(LOAD({"FOUNDRY_JWT_LEEWAY", "301"}), "FOUNDRY_JWT_LEEWAY");
    assert_refused(LOAD({"FOUNDRY_AUTH_WORKERS", "0"}), "FOUNDRY_AUTH_WORKERS");
    assert_refused(LOAD({"FOUNDRY_AUTH_WORKERS", "65"}), "FOUNDRY_AUTH_WORKERS");
    assert_refused(LOAD({"FOUNDRY_AUTH_WORKERS", "two"}), "FOUNDRY_AUTH_WORKERS");
    assert_refused(LOAD({"FOUNDRY_COOKIE_CACHE_MAX_AGE", "301"}), "FOUNDRY_COOKIE_CACHE_MAX_AGE");
    assert_refused(LOAD({"FOUNDRY_GITHUB_TIMEOUT_MS", "50"}), "FOUNDRY_GITHUB_TIMEOUT_MS");
    assert_refused(LOAD({"FOUNDRY_AUTH_DRAIN_SECONDS", "0"}), "FOUNDRY_AUTH_DRAIN_SECONDS");
}

static void test_numeric_in_range_accepted(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_SESSION_TTL", "3600"}, {"FOUNDRY_SESSION_MAX_AGE", "3600"},
                              {"FOUNDRY_JWT_TTL", "10"}, {"FOUNDRY_AUTH_WORKERS", "64"},
                              {"FOUNDRY_COOKIE_CACHE_MAX_AGE", "60"}));
    CU_ASSERT_EQUAL(cfg.session_ttl, 3600);
    CU_ASSERT_EQUAL(cfg.session_max_age, 3600);
    CU_ASSERT_EQUAL(cfg.jwt_ttl, 10);
    CU_ASSERT_EQUAL(cfg.workers, 64);
    CU_ASSERT_EQUAL(cfg.cookie_cache_max_age, 60);
    fa_config_free(&cfg);
}

static void test_session_ttl_above_max_age_refused(void)
{
    assert_refused(LOAD({"FOUNDRY_SESSION_TTL", "7200"}, {"FOUNDRY_SESSION_MAX_AGE", "3600"}),
                   "FOUNDRY_SESSION_TTL");
    CU_ASSERT(contains(err, "FOUNDRY_SESSION_MAX_AGE"));
    /* Also against the default max age of 30 days. */
    assert_refused(LOAD({"FOUNDRY_SESSION_TTL", "3000000"}), "FOUNDRY_SESSION_TTL");
}

static void test_other_settings(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_LOG_LEVEL", "DEBUG"}, {"FOUNDRY_AUTH_DEV_MODE", "1"},
                              {"FOUNDRY_STARTER_REPO", "acme/starter-kit"},
                              {"FOUNDRY_JWT_AUDIENCES", "api, billing"},
                              {"FOUNDRY_AUTH_SOCKET", "-"}));
    CU_ASSERT_EQUAL(cfg.log_level, FA_LOG_DEBUG);
    CU_ASSERT_TRUE(cfg.dev_mode);
    CU_ASSERT_STRING_EQUAL(cfg.starter_repo, "acme/starter-kit");
    CU_ASSERT_EQUAL_FATAL(cfg.jwt_audience_count, 2);
    CU_ASSERT_STRING_EQUAL(cfg.jwt_audiences[1], "billing");
    CU_ASSERT_STRING_EQUAL(cfg.socket_path, "-");
    fa_config_free(&cfg);
    assert_refused(LOAD({"FOUNDRY_AUTH_LOG_LEVEL", "verbose"}), "FOUNDRY_AUTH_LOG_LEVEL");
    assert_refused(LOAD({"FOUNDRY_AUTH_DEV_MODE", "maybe"}), "FOUNDRY_AUTH_DEV_MODE");
    assert_refused(LOAD({"FOUNDRY_STARTER_REPO", "acme"}), "FOUNDRY_STARTER_REPO");
    assert_refused(LOAD({"FOUNDRY_STARTER_REPO", "acme/a/b"}), "FOUNDRY_STARTER_REPO");
    assert_refused(LOAD({"FOUNDRY_AUTH_SOCKET", "relative.sock"}), "FOUNDRY_AUTH_SOCKET");
    assert_refused(LOAD({"FOUNDRY_SIGN_IN_PATH", "https://evil.example/"}), "FOUNDRY_SIGN_IN_PATH");
}

/* Issue 15: the sign-in pool is sized apart, never 0 (nginx would send the
 * callback to a socket nobody serves), and its socket sits beside the main
 * one unless given. */
static void test_signin_pool(void)
{
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SOCKET", "/run/x/foundry-auth.sock"}));
    CU_ASSERT_EQUAL(cfg.signin_workers, 2);
    CU_ASSERT_EQUAL(cfg.signin_queue, 8);
    CU_ASSERT_STRING_EQUAL(cfg.signin_socket_path, "/run/x/foundry-auth-signin.sock");
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SOCKET", "/run/x/fcgi"}));
    CU_ASSERT_STRING_EQUAL(cfg.signin_socket_path, "/run/x/fcgi.signin");
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SOCKET", "-"}));
    CU_ASSERT_STRING_EQUAL(cfg.signin_socket_path, "/run/foundry-auth/foundry-auth-signin.sock");
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(
        LOAD({"FOUNDRY_AUTH_SIGNIN_WORKERS", "5"}, {"FOUNDRY_AUTH_SIGNIN_SOCKET", "/tmp/s.sock"}));
    CU_ASSERT_EQUAL(cfg.signin_workers, 5);
    CU_ASSERT_EQUAL(cfg.signin_queue, 20);
    CU_ASSERT_STRING_EQUAL(cfg.signin_socket_path, "/tmp/s.sock");
    fa_config_free(&cfg);
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_AUTH_SIGNIN_QUEUE", "1"}));
    CU_ASSERT_EQUAL(cfg.signin_queue, 1);
    fa_config_free(&cfg);
    assert_refused(LOAD({"FOUNDRY_AUTH_SIGNIN_QUEUE", "0"}), "FOUNDRY_AUTH_SIGNIN_QUEUE");
    assert_refused(LOAD({"FOUNDRY_AUTH_SIGNIN_QUEUE", "4097"}), "FOUNDRY_AUTH_SIGNIN_QUEUE");
    assert_refused(LOAD({"FOUNDRY_AUTH_SIGNIN_WORKERS", "0"}), "FOUNDRY_AUTH_SIGNIN_WORKERS");
    assert_refused(LOAD({"FOUNDRY_AUTH_SIGNIN_WORKERS", "65"}), "FOUNDRY_AUTH_SIGNIN_WORKERS");
    assert_refused(LOAD({"FOUNDRY_AUTH_SIGNIN_SOCKET", "rel.sock"}), "FOUNDRY_AUTH_SIGNIN_SOCKET");
    assert_refused(
        LOAD({"FOUNDRY_AUTH_SOCKET", "/tmp/a.sock"}, {"FOUNDRY_AUTH_SIGNIN_SOCKET", "/tmp/a.sock"}),
        "FOUNDRY_AUTH_SIGNIN_SOCKET");
}

/* Issue 12: "audience:max_auth_age=SECONDS" limits how old the GitHub
 * sign-in behind a token may be; plain entries, and URIs with colons of
 * their own, keep their meaning. */
static void test_audience_max_auth_age_parsed(void)
{
    CU_ASSERT_TRUE_FATAL(
        LOAD({"FOUNDRY_JWT_AUDIENCES", "api, provider-proxy:max_auth_age=3600, "
                                       "https://svc.example.com:8443, fresh : max_auth_age = 60"}));
    CU_ASSERT_EQUAL_FATAL(cfg.jwt_audience_count, 4);
    CU_ASSERT_STRING_EQUAL(cfg.jwt_audiences[0], "api");
    CU_ASSERT_EQUAL(cfg.jwt_audience_max_auth_age[0], 0);
    CU_ASSERT_STRING_EQUAL(cfg.jwt_audiences[1], "provider-proxy");
    CU_ASSERT_EQUAL(cfg.jwt_audience_max_auth_age[1], 3600);
    CU_ASSERT_STRING_EQUAL(cfg.jwt_audiences[2], "https://svc.example.com:8443");
    CU_ASSERT_EQUAL(cfg.jwt_audience_max_auth_age[2], 0);
    CU_ASSERT_STRING_EQUAL(cfg.jwt_audiences[3], "fresh");
    CU_ASSERT_EQUAL(cfg.jwt_audience_max_auth_age[3], 60);
    fa_config_free(&cfg);
}

/* A malformed limit stops the start: read as part of the name it would
 * issue tokens with no limit at all. */
static void test_audience_max_auth_age_malformed_refused(void)
{
    static const char *const bad[] = {
        "proxy:max_auth_age=",
        "proxy:max_auth_age=abc",
        "proxy:max_auth_age=-5",
        "proxy:max_auth_age=0",
        "proxy:max_auth_age=60s",
        "proxy:max_auth_age=+60",
        "proxy:max_auth_age=99999999999999999999",
        "proxy:max_auth_age=315360001",
        "proxy:max_auth_age",
        "proxy:max_auth_age 60",
        "proxy:maxauthage=60",
        "proxy:max_age=60",
        ":max_auth_age=60",
        "proxy:max_auth_age=60:max_auth_age=30",
        "api, proxy:max_auth_age=1e3",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool ok = LOAD({"FOUNDRY_JWT_AUDIENCES", bad[i]});
        if (ok)
            fprintf(stderr, "\n  accepted FOUNDRY_JWT_AUDIENCES=%s\n", bad[i]);
        assert_refused(ok, "FOUNDRY_JWT_AUDIENCES");
        CU_ASSERT(contains(err, "max_auth_age"));
    }
    /* The largest limit is accepted, one more is not (above). */
    CU_ASSERT_TRUE_FATAL(LOAD({"FOUNDRY_JWT_AUDIENCES", "proxy:max_auth_age=315360000"}));
    CU_ASSERT_EQUAL(cfg.jwt_audience_max_auth_age[0], 315360000);
    fa_config_free(&cfg);
}

/* Invariant 6: no refusal or warning carries a secret value, whatever failed
 * after the secrets were read. */
static void test_error_never_contains_secret(void)
{
    const env_entry_t cases[][2] = {
        {{"FOUNDRY_AUTH_SECRET", STRONG_1 ",weak"}, {"UNUSED", NULL}},
        {{"FOUNDRY_AUTH_SECRET", STRONG_1}, {"DATABASE_URL", NULL}},
        {{"FOUNDRY_AUTH_SECRET", STRONG_1}, {"FOUNDRY_SESSION_TTL", "x"}},
        {{"FOUNDRY_AUTH_SECRET", STRONG_1}, {"GITHUB_CLIENT_ID", NULL}},
        {{"FOUNDRY_AUTH_SECRET", NULL}, {"BETTER_AUTH_SECRET", STRONG_1 ",short"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_FALSE(load_with(cases[i], 2));
        CU_ASSERT(!contains(err, STRONG_1));
        CU_ASSERT(!contains(err, "k7Qz"));
        CU_ASSERT(!contains(warn, STRONG_1));
        CU_ASSERT(!contains(err, "0123456789abcdef01234567")); /* GitHub client secret */
    }
}

static void test_small_error_buffer_truncates_safely(void)
{
    env_table_t t = {(const env_entry_t[]){{"DATABASE_URL", NULL}}, 1, false};
    char tiny[8];
    bool ok = fa_config_load(&cfg, table_env, &t, tiny, sizeof(tiny), NULL, 0);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_EQUAL(strlen(tiny), sizeof(tiny) - 1);
}

int main(void)
{
    static const test_case_t tests[] = {
        TEST(test_minimal_valid_config),
        TEST(test_short_secret_refused),
        TEST(test_low_entropy_secret_refused),
        TEST(test_password_like_secret_refused),
        TEST(test_secret_decoded_length),
        TEST(test_secret_missing_refused),
        TEST(test_secret_list_first_signs),
        TEST(test_one_weak_secret_in_list_refused),
        TEST(test_too_many_secrets_refused),
        TEST(test_missing_required_each_named),
        TEST(test_empty_environment_refused),
        TEST(test_better_auth_aliases_accepted_with_warning),
        TEST(test_new_name_wins_over_alias_without_warning),
        TEST(test_weak_alias_secret_refused),
        TEST(test_http_non_loopback_refused),
        TEST(test_http_loopback_lookalike_refused),
        TEST(test_http_loopback_accepted_with_insecure_warning),
        TEST(test_https_secure_cookies),
        TEST(test_bad_url_refused),
        TEST(test_callback_url_derived),
        TEST(test_github_urls_trailing_slash_trimmed),
        TEST(test_trusted_origins_parsed),
        TEST(test_trusted_origin_with_path_refused),
        TEST(test_is_trusted_origin_exact_only),
        TEST(test_numeric_out_of_range_refused),
        TEST(test_numeric_in_range_accepted),
        TEST(test_session_ttl_above_max_age_refused),
        TEST(test_other_settings),
        TEST(test_signin_pool),
        TEST(test_audience_max_auth_age_parsed),
        TEST(test_audience_max_auth_age_malformed_refused),
        TEST(test_error_never_contains_secret),
        TEST(test_small_error_buffer_truncates_safely),
    };
    static const fa_unit_suite_t suite = {
        .name = "core/config", .setup = test_arena_setup, .teardown = test_arena_teardown};
    return fa_unit_run(&suite, tests, FA_UNIT_COUNT(tests));
}
