/* Fuzz target for fa_config_load (PRODUCT.md section 8): the environment is
 * the operator's input, and a bad one must stop the service with one clear
 * line, never start it half-configured.
 * Input: lines "NAME=value" override a valid baseline environment, a line
 * "NAME" without '=' unsets NAME; unknown names are ignored. Values end at a
 * NUL as in a real environment.
 * Invariants checked (abort on violation):
 *  - accepted: every secret has >= FA_MIN_SECRET_LEN bytes (and >= 8 distinct
 *    ones); the public URL is absolute http(s), without a trailing '/', plain
 *    http only on a loopback host; the callback URL is pinned to it; every
 *    URL and path that ends up in a Location header holds no control byte,
 *    space or non-ASCII, and base URLs have no query or fragment; the
 *    sign-in path and default returnTo are same-site paths as returnTo
 *    validation defines them (no open redirect configured by accident,
 *    no "//host", no backslash); trusted origins are bare origins
 *    ending with the public one; every number is in its documented range
 *    and the session TTL <= the max age;
 *  - refused: the error is one non-empty line starting with "<VARIABLE>:"
 *    for a variable the service reads, and the struct is left empty;
 *  - neither the error nor the warnings quote a secret or the database URL;
 *  - fa_config_free may always be called (LeakSanitizer checks the rest). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz_check.h"

#define DAY 86400L

/* Every variable fa_config_load reads, with the baseline value (NULL = unset). */
static const char *const names[] = {
    "FOUNDRY_AUTH_URL",
    "BETTER_AUTH_URL",
    "FOUNDRY_AUTH_SECRET",
    "BETTER_AUTH_SECRET",
    "DATABASE_URL",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GITHUB_OAUTH_URL",
    "GITHUB_API_URL",
    "GITHUB_SCOPES",
    "FOUNDRY_TRUSTED_ORIGINS",
    "FOUNDRY_SIGN_IN_PATH",
    "FOUNDRY_DEFAULT_RETURN_TO",
    "FOUNDRY_SESSION_TTL",
    "FOUNDRY_SESSION_UPDATE_AGE",
    "FOUNDRY_SESSION_MAX_AGE",
    "FOUNDRY_JWT_TTL",
    "FOUNDRY_JWT_LEEWAY",
    "FOUNDRY_JWT_AUDIENCES",
    "FOUNDRY_COOKIE_CACHE_MAX_AGE",
    "FOUNDRY_STARTER_REPO",
    "FOUNDRY_AUTH_WORKERS",
    "FOUNDRY_AUTH_SOCKET",
    "FOUNDRY_AUTH_SOCKET_GROUP",
    "FOUNDRY_AUTH_SIGNIN_SOCKET",
    "FOUNDRY_AUTH_SIGNIN_WORKERS",
    "FOUNDRY_AUTH_SIGNIN_QUEUE",
    "FOUNDRY_AUTH_USER",
    "FOUNDRY_AUTH_DRAIN_SECONDS",
    "FOUNDRY_GITHUB_TIMEOUT_MS",
    "FOUNDRY_JOBS_BACKOFF_BASE_MS",
    "FOUNDRY_JOBS_POLL_MS",
    "FOUNDRY_JOBS_GC_SECONDS",
    "FOUNDRY_AUTH_LOG_LEVEL",
    "FOUNDRY_AUTH_DEV_MODE",
};
#define NVARS (sizeof(names) / sizeof(names[0]))

static const char *const baseline[NVARS] = {
    [0] = "https://auth.example.com",
    [2] = "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ",
    [4] = "host=127.0.0.1 port=1 dbname=none",
    [5] = "Iv1.0123456789abcdef",
    [6] = "0123456789abcdef0123456789abcdef01234567",
};

/* Values that must never be echoed: the secrets and the database URL. */
static const size_t secret_vars[] = {2, 3, 4, 6};

typedef struct {
    char *values[NVARS];
} env_t;

static const char *table_env(const char *name, void *ctx)
{
    env_t *env = ctx;
    for (size_t i = 0; i < NVARS; i++)
        if (strcmp(names[i], name) == 0)
            return env->values[i];
    return NULL;
}

static void env_build(env_t *env, const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < NVARS; i++)
        env->values[i] = baseline[i] ? strdup(baseline[i]) : NULL;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        const char *line = (const char *)data + start;
        size_t len = i - start;
        start = i + 1;
        const char *eq = memchr(line, '=', len);
        size_t name_len = eq ? (size_t)(eq - line) : len;
        for (size_t k = 0; k < NVARS; k++) {
            if (strlen(names[k]) != name_len || memcmp(names[k], line, name_len) != 0)
                continue;
            free(env->values[k]);
            env->values[k] = eq ? strndup(eq + 1, len - name_len - 1) : NULL;
        }
    }
}

static void env_free(env_t *env)
{
    for (size_t i = 0; i < NVARS; i++)
        free(env->values[i]);
}

/* No byte a header, a URL or a browser would treat specially. */
static bool header_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

/* The shape fa_return_to_is_safe accepts for paths (its length cap aside):
 * one leading '/', never "//" or "/\\", nothing a header would choke on. */
static bool same_site_path(const char *s)
{
    return s[0] == '/' && s[1] != '/' && s[1] != '\\' && header_safe(s) && !strchr(s, '\\');
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *after_scheme(const char *url)
{
    if (starts_with(url, "https://"))
        return url + 8;
    if (starts_with(url, "http://"))
        return url + 7;
    return NULL;
}

/* Host of an http origin is localhost, [::1] or 127.0.0.0/8 (whole host). */
static bool loopback_host(const char *origin)
{
    const char *host = after_scheme(origin);
    if (starts_with(host, "[::1]"))
        return host[5] == '\0' || host[5] == ':';
    char name[64];
    size_t len = strcspn(host, ":");
    if (len == 0 || len >= sizeof(name))
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    struct in_addr addr;
    return strcmp(name, "localhost") == 0 ||
           (inet_pton(AF_INET, name, &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127);
}

static bool is_bare_origin(const char *o)
{
    const char *host = after_scheme(o);
    return host && *host && strcspn(host, "/?#@") == strlen(host);
}

static size_t distinct_bytes(const char *s)
{
    bool seen[256] = {false};
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!seen[*p]) {
            seen[*p] = true;
            n++;
        }
    return n;
}

static void check_urls(const fa_config_t *c)
{
    CHECK(c->public_url && c->public_origin && c->callback_url);
    CHECK(after_scheme(c->public_url) != NULL);
    CHECK(c->secure_cookies == starts_with(c->public_url, "https://"));
    CHECK(starts_with(c->public_url, c->public_origin));
    size_t n = strlen(c->public_url);
    CHECK(n > 0 && c->public_url[n - 1] != '/');
    CHECK(c->secure_cookies || loopback_host(c->public_origin));
    CHECK(strlen(c->callback_url) == n + strlen("/v1/auth/github/callback") &&
          starts_with(c->callback_url, c->public_url) &&
          strcmp(c->callback_url + n, "/v1/auth/github/callback") == 0);
    CHECK(c->github_oauth_url && after_scheme(c->github_oauth_url));
    CHECK(c->github_api_url && after_scheme(c->github_api_url));
    /* These end up verbatim in Location headers and outgoing requests. */
    CHECK(header_safe(c->public_url));
    CHECK(header_safe(c->github_oauth_url));
    CHECK(header_safe(c->github_api_url));
    /* Base URLs get paths appended: a query or fragment would swallow them. */
    CHECK(!strpbrk(c->public_url, "?#") && !strpbrk(c->github_oauth_url, "?#") &&
          !strpbrk(c->github_api_url, "?#"));
    CHECK(c->trusted_origin_count >= 1 && c->trusted_origin_count <= FA_MAX_TRUSTED_ORIGINS);
    for (size_t i = 0; i < c->trusted_origin_count; i++)
        CHECK(is_bare_origin(c->trusted_origins[i]));
    CHECK(strcmp(c->trusted_origins[c->trusted_origin_count - 1], c->public_origin) == 0);
}

static void check_paths(const fa_config_t *c)
{
    CHECK(c->sign_in_path && c->sign_in_path[0] == '/');
    CHECK(c->default_return_to && c->default_return_to[0] == '/');
    CHECK(same_site_path(c->sign_in_path) && same_site_path(c->default_return_to));
    CHECK(c->socket_path && (strcmp(c->socket_path, "-") == 0 ||
                             strcmp(c->socket_path, "systemd") == 0 || c->socket_path[0] == '/'));
    CHECK(c->signin_socket_path && c->signin_socket_path[0] == '/' &&
          strcmp(c->signin_socket_path, c->socket_path) != 0);
    CHECK(c->signin_workers >= 1 && c->signin_workers <= 64);
    CHECK(c->signin_queue >= 1 && c->signin_queue <= 4096);
    CHECK(c->run_as_user && c->run_as_user[0]);
    if (c->starter_repo) {
        const char *slash = strchr(c->starter_repo, '/');
        CHECK(slash && slash != c->starter_repo && slash[1] && !strchr(slash + 1, '/'));
    }
}

static void check_numbers(const fa_config_t *c)
{
    CHECK(c->session_ttl >= 60 && c->session_ttl <= 365 * DAY);
    CHECK(c->session_update_age >= 0 && c->session_update_age <= 365 * DAY);
    CHECK(c->session_max_age >= 60 && c->session_max_age <= 3650 * DAY);
    CHECK(c->session_ttl <= c->session_max_age);
    CHECK(c->jwt_ttl >= 10 && c->jwt_ttl <= DAY);
    CHECK(c->jwt_leeway >= 0 && c->jwt_leeway <= 300);
    CHECK(c->cookie_cache_max_age >= 0 && c->cookie_cache_max_age <= 300);
    CHECK(c->workers >= 1 && c->workers <= 64);
    CHECK(c->drain_seconds >= 1 && c->drain_seconds <= 300);
    CHECK(c->github_timeout_ms >= 100 && c->github_timeout_ms <= 60000);
    CHECK(c->jobs_backoff_base_ms >= 1 && c->jobs_backoff_base_ms <= 600000);
    CHECK(c->jobs_poll_ms >= 10 && c->jobs_poll_ms <= 600000);
    CHECK(c->jobs_gc_seconds >= 1 && c->jobs_gc_seconds <= DAY);
    CHECK(c->log_level >= FA_LOG_DEBUG && c->log_level <= FA_LOG_ERROR);
}

static void check_accepted(const fa_config_t *c)
{
    CHECK(c->secret_count >= 1 && c->secret_count <= FA_MAX_SECRETS);
    for (size_t i = 0; i < c->secret_count; i++)
        /* Issue 13: the encoding of >= 32 bytes, so at least 43 characters
         * (base64 without padding) drawn from the hex or base64 alphabets. */
        CHECK(strlen(c->secrets[i]) >= 43 && distinct_bytes(c->secrets[i]) >= 8 &&
              strspn(c->secrets[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789+/-_=") == strlen(c->secrets[i]));
    CHECK(c->database_url && c->database_url[0]);
    CHECK(c->github_client_id && c->github_client_id[0]);
    CHECK(c->github_client_secret && c->github_client_secret[0]);
    CHECK(c->jwt_audience_count <= FA_MAX_AUDIENCES);
    for (size_t i = 0; i < c->jwt_audience_count; i++) {
        CHECK(c->jwt_audiences[i][0] && !strchr(c->jwt_audiences[i], ','));
        CHECK(c->jwt_audience_max_auth_age[i] >= 0 &&
              c->jwt_audience_max_auth_age[i] <= FA_MAX_AUTH_AGE_LIMIT);
    }
    check_urls(c);
    check_paths(c);
    check_numbers(c);
}

static void check_refused(const fa_config_t *c, const char *err)
{
    size_t len = strlen(err);
    CHECK(len > 0 && !strchr(err, '\n') && !strchr(err, '\r'));
    bool named = false;
    for (size_t i = 0; i < NVARS && !named; i++)
        named = starts_with(err, names[i]) && err[strlen(names[i])] == ':';
    if (!named)
        fprintf(stderr, "config error names no variable: %s\n", err);
    CHECK(named);
    CHECK(c->public_url == NULL && c->secret_count == 0 && c->trusted_origin_count == 0);
}

/* A value (or one comma-separated piece of it) long and odd enough that no
 * fixed message text could contain it by chance must not show up. */
static void check_not_quoted(const char *text, const char *value)
{
    if (!value)
        return;
    char *copy = strdup(value), *save = NULL;
    CHECK(copy != NULL);
    for (char *piece = strtok_r(copy, ",", &save); piece; piece = strtok_r(NULL, ",", &save)) {
        bool odd = strpbrk(piece, "#~!*|^$") != NULL;
        for (const unsigned char *p = (const unsigned char *)piece; *p && !odd; p++)
            odd = *p >= 0x80;
        if (strlen(piece) >= 8 && odd && strstr(text, piece))
            CHECK(!"a secret value appears in a config message");
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    env_t env;
    env_build(&env, data, size);
    fa_config_t cfg;
    char err[512], warn[1024];
    bool ok = fa_config_load(&cfg, table_env, &env, err, sizeof(err), warn, sizeof(warn));
    if (ok)
        check_accepted(&cfg);
    else
        check_refused(&cfg, err);
    for (size_t i = 0; i < sizeof(secret_vars) / sizeof(secret_vars[0]); i++) {
        check_not_quoted(warn, env.values[secret_vars[i]]);
        if (!ok)
            check_not_quoted(err, env.values[secret_vars[i]]);
    }
    fa_config_free(&cfg);
    fa_config_free(&cfg); /* idempotent on the emptied struct */
    env_free(&env);
    return 0;
}
