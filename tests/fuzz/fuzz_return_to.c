/* Fuzz target for fa_return_to_is_safe / fa_return_to_sanitize (invariant 3:
 * no open redirect). The whole input is the returnTo candidate.
 * Invariants checked (abort on violation), against a definition written here
 * independently of return_to.c:
 *  - accepted means 1..FA_RETURN_TO_MAX bytes, none <= 0x20, none >= 0x7f, no
 *    backslash, and either a path ('/' not followed by '/' or '\') or a URL
 *    whose scheme://authority is exactly (ASCII case aside) one of the
 *    configured trusted origins, followed by the end, '/', '?' or '#';
 *  - everything that definition allows is accepted too (no over-blocking of
 *    same-origin paths or trusted URLs);
 *  - fa_return_to_sanitize returns an equal copy when safe and the configured
 *    default otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/return_to.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static fa_config_t cfg;
static fa_arena_t *arena;

static const char *table_env(const char *name, void *ctx)
{
    (void)ctx;
    static const char *const env[][2] = {
        {"FOUNDRY_AUTH_URL", "https://auth.example.com"},
        {"FOUNDRY_AUTH_SECRET", "k7Qz-9vLmP2xR4tW8yB1nC6dF3gH5jK0aS2eU7iO9pZ"},
        {"DATABASE_URL", "host=127.0.0.1 port=1 dbname=none"},
        {"GITHUB_CLIENT_ID", "Iv1.0123456789abcdef"},
        {"GITHUB_CLIENT_SECRET", "0123456789abcdef0123456789abcdef01234567"},
        {"FOUNDRY_TRUSTED_ORIGINS",
         "https://app.example.com, http://localhost:3000,https://[::1]:8443"},
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (strcmp(env[i][0], name) == 0)
            return env[i][1];
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256], warn[512];
    if (!fa_config_load(&cfg, table_env, NULL, err, sizeof(err), warn, sizeof(warn))) {
        fprintf(stderr, "fuzz_return_to: config refused: %s\n", err);
        abort();
    }
    /* The public origin is trusted implicitly, plus the three listed. */
    CHECK(cfg.trusted_origin_count == 4);
    arena = fa_arena_create(0);
    return 0;
}

static bool plain_bytes(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '\\')
            return false;
    return true;
}

/* s begins with a trusted origin and the authority ends right after it. */
static bool on_trusted_origin(const char *s, size_t n)
{
    for (size_t i = 0; i < cfg.trusted_origin_count; i++) {
        const char *o = cfg.trusted_origins[i];
        size_t len = strlen(o);
        if (n >= len && strncasecmp(s, o, len) == 0 &&
            (n == len || s[len] == '/' || s[len] == '?' || s[len] == '#'))
            return true;
    }
    return false;
}

static bool expected_safe(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (size == 0 || size > FA_RETURN_TO_MAX || !plain_bytes(data, size))
        return false;
    if (s[0] == '/')
        return size == 1 || (s[1] != '/' && s[1] != '\\');
    return on_trusted_origin(s, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy so ASan sees any read past the candidate. */
    char *copy = malloc(size ? size : 1);
    CHECK(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    fa_str_t candidate = {copy, size};

    bool safe = fa_return_to_is_safe(&cfg, candidate);
    bool want = expected_safe(data, size);
    if (safe != want)
        fprintf(stderr, "return_to: is_safe=%d, expected %d for %zu bytes\n", safe, want, size);
    CHECK(safe == want);
    if (safe) {
        /* Restated as the brief puts it: nothing a browser could reinterpret. */
        CHECK(!memchr(copy, '\r', size) && !memchr(copy, '\n', size) && !memchr(copy, '\\', size));
        CHECK(!(size >= 2 && copy[0] == '/' && copy[1] == '/'));
    }

    const char *out = fa_return_to_sanitize(&cfg, arena, candidate);
    CHECK(out != NULL);
    if (safe)
        CHECK(out != copy && strlen(out) == size && memcmp(out, copy, size) == 0);
    else
        CHECK(out == cfg.default_return_to);
    fa_arena_reset(arena);
    free(copy);
    return 0;
}
