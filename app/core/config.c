/* Owns: reading and validating the environment. Never: logs a secret value;
 * error lines name the variable and the rule, not the value. */
#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    fa_env_fn env;
    void *ctx;
    char *err;
    size_t err_len;
    char *warn;
    size_t warn_len;
} fa_loader_t;

static bool fa_config_fail(fa_loader_t *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool fa_config_fail(fa_loader_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, l->err_len, fmt, ap);
    va_end(ap);
    return false;
}

static void fa_warn(fa_loader_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fa_warn(fa_loader_t *l, const char *fmt, ...)
{
    if (!l->warn || !l->warn_len)
        return;
    size_t used = strlen(l->warn);
    if (used + 1 >= l->warn_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->warn + used, l->warn_len - used, fmt, ap);
    va_end(ap);
    used = strlen(l->warn);
    if (used + 1 < l->warn_len)
        strcat(l->warn, "\n");
}

static const char *fa_get(fa_loader_t *l, const char *name)
{
    const char *v = l->env(name, l->ctx);
    return (v && *v) ? v : NULL;
}

/* Reads name, falling back to a deprecated alias with a warning. */
static const char *fa_get_alias(fa_loader_t *l, const char *name, const char *alias)
{
    const char *v = fa_get(l, name);
    if (!v && alias && (v = fa_get(l, alias)))
        fa_warn(l, "%s is deprecated: rename it to %s", alias, name);
    return v;
}

static char *fa_dup_or(const char *v, const char *fallback)
{
    const char *s = v ? v : fallback;
    return s ? strdup(s) : NULL;
}

static bool fa_get_long(fa_loader_t *l, const char *name, long fallback, long min, long max,
                        long *out)
{
    const char *v = fa_get(l, name);
    if (!v) {
        *out = fallback;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < min || n > max)
        return fa_config_fail(l, "%s: must be an integer between %ld and %ld", name, min, max);
    *out = n;
    return true;
}

/* Splits a comma-separated list into trimmed, non-empty, heap-allocated items. */
static bool fa_split_list(fa_loader_t *l, const char *name, const char *value, char **items,
                          size_t max, size_t *count)
{
    *count = 0;
    if (!value)
        return true;
    const char *p = value;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *s = p;
        while (len && isspace((unsigned char)*s)) {
            s++;
            len--;
        }
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len) {
            if (*count == max)
                return fa_config_fail(l, "%s: at most %zu entries", name, max);
            items[(*count)++] = strndup(s, len);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return true;
}

/* The secret is a key, not a password: with FOUNDRY_COOKIE_CACHE_MAX_AGE on,
 * whoever holds it can sign a cache cookie for any user id, and a session
 * cookie is an offline oracle for guesses (its signature is an HMAC of its
 * visible part). So a secret must be the encoding of random bytes: hex, or
 * base64 in either alphabet, padded or not. Text that merely looks long
 * ("Summer2024!Summer2024!Summer2024!") is refused whatever its length.
 * Only the decoded length is checked here; the KDF still takes the text, so
 * keys derived from secrets already in use do not change. */
static int fa_base64_value(unsigned char c, bool *url, bool *std)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '_') {
        *url = true;
        return c == '-' ? 62 : 63;
    }
    if (c == '+' || c == '/') {
        *std = true;
        return c == '+' ? 62 : 63;
    }
    return -1;
}

/* Decodes hex (every character a hex digit: such a string is read as hex,
 * the shorter reading) or base64 into out (at most out_size bytes kept);
 * returns the decoded length, or 0 when s is neither. */
static size_t fa_secret_decode(const char *s, uint8_t *out, size_t out_size)
{
    size_t len = strlen(s), n = 0;
    size_t hex = strspn(s, "0123456789abcdefABCDEF");
    if (hex == len) {
        if (len % 2)
            return 0;
        for (size_t i = 0; i < len; i += 2) {
            char pair[3] = {s[i], s[i + 1], '\0'};
            if (n < out_size)
                out[n] = (uint8_t)strtoul(pair, NULL, 16);
            n++;
        }
        return n;
    }
    size_t data = len;
    while (data && s[data - 1] == '=' && len - data < 2)
        data--;
    if ((data != len && len % 4) || data % 4 == 1)
        return 0; /* padding that does not complete a group, or a lone 6 bits */
    bool url = false, std = false;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < data; i++) {
        int v = fa_base64_value((unsigned char)s[i], &url, &std);
        if (v < 0)
            return 0;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < out_size)
                out[n] = (uint8_t)(acc >> bits);
            n++;
        }
    }
    return (url && std) ? 0 : n; /* one alphabet or the other, not a mix */
}

static int fa_distinct_bytes(const uint8_t *p, size_t len)
{
    bool seen[256] = {false};
    int distinct = 0;
    for (size_t i = 0; i < len; i++) {
        if (!seen[p[i]]) {
            seen[p[i]] = true;
            distinct++;
        }
    }
    return distinct;
}

/* Weak: not hex or base64, under FA_MIN_SECRET_LEN bytes once decoded, or
 * made of very few distinct values, as text ("ababab…vvvv…") or decoded
 * ("AAAA…" is valid base64 of zeros): the encoding of 32 random bytes has
 * about 16 (hex) or 30 (base64) distinct characters and decodes to about
 * 30 distinct byte values. */
static bool fa_secret_is_weak(const char *s, size_t *len_out)
{
    uint8_t bytes[128];
    size_t len = fa_secret_decode(s, bytes, sizeof(bytes));
    int decoded = fa_distinct_bytes(bytes, len < sizeof(bytes) ? len : sizeof(bytes));
    int text = fa_distinct_bytes((const uint8_t *)s, strlen(s));
    explicit_bzero(bytes, sizeof(bytes));
    *len_out = len;
    return len < FA_MIN_SECRET_LEN || decoded < 16 || text < 8;
}

static bool fa_load_secrets(fa_loader_t *l, fa_config_t *cfg)
{
    const char *v = fa_get_alias(l, "FOUNDRY_AUTH_SECRET", "BETTER_AUTH_SECRET");
    if (!v)
        return fa_config_fail(l,
                              "FOUNDRY_AUTH_SECRET: not set (hex or base64 of at least %d random "
                              "bytes; generate one with: openssl rand -base64 48)",
                              FA_MIN_SECRET_LEN);
    if (!fa_split_list(l, "FOUNDRY_AUTH_SECRET", v, cfg->secrets, FA_MAX_SECRETS,
                       &cfg->secret_count))
        return false;
    if (cfg->secret_count == 0)
        return fa_config_fail(l, "FOUNDRY_AUTH_SECRET: empty");
    for (size_t i = 0; i < cfg->secret_count; i++) {
        size_t len;
        if (fa_secret_is_weak(cfg->secrets[i], &len))
            return fa_config_fail(
                l,
                "FOUNDRY_AUTH_SECRET: secret %zu is too weak (decodes to %zu random "
                "bytes; need hex or base64 of at least %d; generate one with: "
                "openssl rand -base64 48)",
                i + 1, len, FA_MIN_SECRET_LEN);
    }
    return true;
}

/* URLs and paths from the environment end up verbatim in Location headers
 * and outgoing requests: printable ASCII only, no space, no backslash (a
 * control byte would make the response writer abort on every redirect). */
static bool fa_url_chars(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
            return false;
    return true;
}

/* Returns the origin (scheme://host[:port]) of an absolute http(s) URL. */
static char *fa_url_origin(const char *url)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else
        return NULL;
    size_t host_len = strcspn(rest, "/?#");
    if (host_len == 0 || !fa_url_chars(url))
        return NULL;
    for (size_t i = 0; i < host_len; i++)
        if (rest[i] == '@')
            return NULL;
    return strndup(url, (size_t)(rest - url) + host_len);
}

/* Plain http is for loopback development only: the whole host must be
 * localhost, an IPv4 address in 127/8 or [::1] (a prefix match would let
 * "localhost.evil.example" through). */
static bool fa_is_loopback_origin(const char *origin)
{
    const char *host = strstr(origin, "://") + 3;
    size_t len = strlen(host);
    if (host[0] == '[')
        return strncmp(host, "[::1]", 5) == 0 && (host[5] == '\0' || host[5] == ':');
    const char *colon = strchr(host, ':');
    if (colon)
        len = (size_t)(colon - host);
    char name[64];
    if (len == 0 || len >= sizeof(name))
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    if (strcmp(name, "localhost") == 0)
        return true;
    struct in_addr addr;
    return inet_pton(AF_INET, name, &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

static bool fa_load_url(fa_loader_t *l, fa_config_t *cfg)
{
    const char *v = fa_get_alias(l, "FOUNDRY_AUTH_URL", "BETTER_AUTH_URL");
    if (!v)
        return fa_config_fail(l, "FOUNDRY_AUTH_URL: not set (the public base URL, e.g. "
                                 "https://auth.example.com)");
    cfg->public_origin = fa_url_origin(v);
    if (!cfg->public_origin || strpbrk(v, "?#"))
        return fa_config_fail(l, "FOUNDRY_AUTH_URL: must be an absolute http(s) URL without query "
                                 "or fragment");
    cfg->public_url = strdup(v);
    size_t n = strlen(cfg->public_url);
    while (n && cfg->public_url[n - 1] == '/')
        cfg->public_url[--n] = '\0';
    cfg->secure_cookies = strncmp(v, "https://", 8) == 0;
    if (!cfg->secure_cookies) {
        if (!fa_is_loopback_origin(cfg->public_origin))
            return fa_config_fail(l, "FOUNDRY_AUTH_URL: plain http is only allowed on loopback "
                                     "(127.0.0.1, localhost) for development");
        fa_warn(l, "FOUNDRY_AUTH_URL is plain http: session cookies are sent without "
                   "Secure and without the __Host- prefix (development only)");
    }
    size_t cb_len = strlen(cfg->public_url) + sizeof("/v1/auth/github/callback");
    cfg->callback_url = malloc(cb_len);
    snprintf(cfg->callback_url, cb_len, "%s/v1/auth/github/callback", cfg->public_url);
    return true;
}

static bool fa_load_origins(fa_loader_t *l, fa_config_t *cfg)
{
    if (!fa_split_list(l, "FOUNDRY_TRUSTED_ORIGINS", fa_get(l, "FOUNDRY_TRUSTED_ORIGINS"),
                       cfg->trusted_origins, FA_MAX_TRUSTED_ORIGINS - 1,
                       &cfg->trusted_origin_count))
        return false;
    for (size_t i = 0; i < cfg->trusted_origin_count; i++) {
        char *origin = fa_url_origin(cfg->trusted_origins[i]);
        bool exact = origin && strcmp(origin, cfg->trusted_origins[i]) == 0;
        free(origin);
        if (!exact)
            return fa_config_fail(l,
                                  "FOUNDRY_TRUSTED_ORIGINS: entry %zu is not an origin "
                                  "(scheme://host[:port], no path)",
                                  i + 1);
    }
    cfg->trusted_origins[cfg->trusted_origin_count++] = strdup(cfg->public_origin);
    return true;
}

static bool fa_load_required(fa_loader_t *l, const char *name, char **out)
{
    const char *v = fa_get(l, name);
    if (!v)
        return fa_config_fail(l, "%s: not set", name);
    *out = strdup(v);
    return true;
}

static bool fa_load_base_url(fa_loader_t *l, const char *name, const char *fallback, char **out)
{
    const char *v = fa_get(l, name);
    char *origin = fa_url_origin(v ? v : fallback);
    if (!origin || strpbrk(v ? v : fallback, "?#")) {
        free(origin);
        return fa_config_fail(l, "%s: must be an absolute http(s) URL without query or fragment",
                              name);
    }
    /* Codes, client secrets and users' tokens travel to these URLs: plain
     * http only to this machine (the bundled emulator). */
    bool plain_remote = strncmp(origin, "http://", 7) == 0 && !fa_is_loopback_origin(origin);
    free(origin);
    if (plain_remote)
        return fa_config_fail(
            l, "%s: must be https (plain http only on loopback, for the emulator)", name);
    *out = fa_dup_or(v, fallback);
    size_t n = strlen(*out);
    while (n && (*out)[n - 1] == '/')
        (*out)[--n] = '\0';
    return true;
}

static bool fa_load_log_level(fa_loader_t *l, fa_config_t *cfg)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    const char *v = fa_get(l, "FOUNDRY_AUTH_LOG_LEVEL");
    cfg->log_level = FA_LOG_INFO;
    if (!v)
        return true;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(v, names[i]) == 0) {
            cfg->log_level = (fa_log_level_t)i;
            return true;
        }
    return fa_config_fail(l, "FOUNDRY_AUTH_LOG_LEVEL: must be debug, info, warn or error");
}

static bool fa_load_bool(fa_loader_t *l, const char *name, bool *out)
{
    const char *v = fa_get(l, name);
    *out = false;
    if (!v || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0)
        return true;
    if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0) {
        *out = true;
        return true;
    }
    return fa_config_fail(l, "%s: must be 0 or 1", name);
}

static bool fa_load_path(fa_loader_t *l, const char *name, const char *fallback, char **out)
{
    const char *v = fa_get(l, name);
    /* Redirect targets: "//host" or "/\\host" would leave the site. */
    if (v && (v[0] != '/' || v[1] == '/' || v[1] == '\\' || !fa_url_chars(v)))
        return fa_config_fail(l,
                              "%s: must be a path starting with a single '/', printable "
                              "ASCII without spaces",
                              name);
    *out = fa_dup_or(v, fallback);
    return true;
}

static bool fa_load_lifetimes(fa_loader_t *l, fa_config_t *cfg)
{
    const long day = 86400;
    if (!fa_get_long(l, "FOUNDRY_SESSION_TTL", 7 * day, 60, 365 * day, &cfg->session_ttl) ||
        !fa_get_long(l, "FOUNDRY_SESSION_UPDATE_AGE", day, 0, 365 * day,
                     &cfg->session_update_age) ||
        !fa_get_long(l, "FOUNDRY_SESSION_MAX_AGE", 30 * day, 60, 3650 * day,
                     &cfg->session_max_age) ||
        !fa_get_long(l, "FOUNDRY_JWT_TTL", 300, 10, day, &cfg->jwt_ttl) ||
        !fa_get_long(l, "FOUNDRY_JWT_LEEWAY", 30, 0, 300, &cfg->jwt_leeway) ||
        !fa_get_long(l, "FOUNDRY_COOKIE_CACHE_MAX_AGE", 0, 0, 300, &cfg->cookie_cache_max_age))
        return false;
    if (cfg->session_ttl > cfg->session_max_age)
        return fa_config_fail(l, "FOUNDRY_SESSION_TTL: must not exceed FOUNDRY_SESSION_MAX_AGE");
    return true;
}

static bool fa_is_option_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static const char *fa_skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Where an entry's option starts: the first ':' followed by a key and '='.
 * Audiences are often URIs with colons of their own
 * ("https://api.example.com:8443"), which must keep meaning what they meant
 * before options existed, so a bare ':' does not start one. */
static char *fa_audience_option(char *entry)
{
    for (char *c = strchr(entry, ':'); c; c = strchr(c + 1, ':')) {
        const char *p = fa_skip_blanks(c + 1), *key = p;
        while (fa_is_option_key_char(*p))
            p++;
        if (p != key && *fa_skip_blanks(p) == '=')
            return c;
    }
    return NULL;
}

/* "audience" or "audience:max_auth_age=SECONDS"; cuts the option off entry.
 * A misspelt or malformed option is refused, never read as part of the
 * audience's name: that would silently issue tokens without the limit the
 * operator asked for. */
static bool fa_parse_audience(fa_loader_t *l, size_t index, char *entry, long *max_auth_age)
{
    static const char key_name[] = "max_auth_age";
    *max_auth_age = 0;
    char *colon = fa_audience_option(entry);
    if (!colon) {
        if (strstr(entry, key_name))
            return fa_config_fail(l,
                                  "FOUNDRY_JWT_AUDIENCES: entry %zu: write the limit as "
                                  "audience:max_auth_age=SECONDS",
                                  index + 1);
        return true;
    }
    const char *key = fa_skip_blanks(colon + 1), *p = key;
    while (fa_is_option_key_char(*p))
        p++;
    if ((size_t)(p - key) != sizeof(key_name) - 1 || strncmp(key, key_name, (size_t)(p - key)) != 0)
        return fa_config_fail(l,
                              "FOUNDRY_JWT_AUDIENCES: entry %zu: unknown option (the only one is "
                              "max_auth_age=SECONDS)",
                              index + 1);
    const char *value = fa_skip_blanks(fa_skip_blanks(p) + 1);
    char *end;
    errno = 0;
    long n = (*value >= '0' && *value <= '9') ? strtol(value, &end, 10) : -1;
    if (n < 1 || n > FA_MAX_AUTH_AGE_LIMIT || errno || *fa_skip_blanks(end))
        return fa_config_fail(l,
                              "FOUNDRY_JWT_AUDIENCES: entry %zu: max_auth_age must be an integer "
                              "between 1 and %ld (seconds)",
                              index + 1, FA_MAX_AUTH_AGE_LIMIT);
    while (colon > entry && (colon[-1] == ' ' || colon[-1] == '\t'))
        colon--;
    *colon = '\0';
    if (!*entry)
        return fa_config_fail(
            l, "FOUNDRY_JWT_AUDIENCES: entry %zu: no audience before max_auth_age", index + 1);
    *max_auth_age = n;
    return true;
}

static bool fa_load_audiences(fa_loader_t *l, fa_config_t *cfg)
{
    if (!fa_split_list(l, "FOUNDRY_JWT_AUDIENCES", fa_get(l, "FOUNDRY_JWT_AUDIENCES"),
                       cfg->jwt_audiences, FA_MAX_AUDIENCES, &cfg->jwt_audience_count))
        return false;
    for (size_t i = 0; i < cfg->jwt_audience_count; i++)
        if (!fa_parse_audience(l, i, cfg->jwt_audiences[i], &cfg->jwt_audience_max_auth_age[i]))
            return false;
    return true;
}

/* "<dir>/<name>.sock" -> "<dir>/<name>-signin.sock", any other path gets
 * ".signin" appended: beside the main socket, so nginx's group reaches it
 * the same way and two services in one directory never share one. An
 * inherited main socket ("-", "systemd") has no path to go beside. */
static char *fa_signin_socket_default(const char *socket)
{
    if (socket[0] != '/')
        return strdup("/run/foundry-auth/foundry-auth-signin.sock");
    size_t len = strlen(socket);
    bool dot_sock = len > 5 && strcmp(socket + len - 5, ".sock") == 0;
    size_t stem = dot_sock ? len - 5 : len;
    char *out = malloc(stem + sizeof("-signin.sock"));
    if (!out)
        abort();
    memcpy(out, socket, stem);
    strcpy(out + stem, dot_sock ? "-signin.sock" : ".signin");
    return out;
}

/* 0 sign-in workers is refused: the routes nginx sends to that socket would
 * then answer service_busy forever. */
static bool fa_load_signin_pool(fa_loader_t *l, fa_config_t *cfg)
{
    long workers = 0;
    if (!fa_get_long(l, "FOUNDRY_AUTH_SIGNIN_WORKERS", 2, 1, 64, &workers))
        return false;
    cfg->signin_workers = (int)workers;
    /* Sign-ins that may wait for a worker before nginx answers service_busy.
     * 4 per worker absorbs a burst when GitHub is fast and bounds the wait
     * at about 4 sign-ins' time when it is slow (2 s at 0.5 s each). At most
     * 4096: Linux caps a listen backlog at net.core.somaxconn (4096). */
    long queue = 0;
    if (!fa_get_long(l, "FOUNDRY_AUTH_SIGNIN_QUEUE", 4 * workers, 1, 4096, &queue))
        return false;
    cfg->signin_queue = (int)queue;
    const char *socket = fa_get(l, "FOUNDRY_AUTH_SIGNIN_SOCKET");
    if (socket && socket[0] != '/')
        return fa_config_fail(l, "FOUNDRY_AUTH_SIGNIN_SOCKET: must be an absolute path");
    cfg->signin_socket_path =
        socket ? fa_dup_or(socket, NULL) : fa_signin_socket_default(cfg->socket_path);
    if (strcmp(cfg->signin_socket_path, cfg->socket_path) == 0)
        return fa_config_fail(l,
                              "FOUNDRY_AUTH_SIGNIN_SOCKET: must differ from FOUNDRY_AUTH_SOCKET");
    return true;
}

static bool fa_load_process(fa_loader_t *l, fa_config_t *cfg)
{
    long workers = 0;
    if (!fa_get_long(l, "FOUNDRY_AUTH_WORKERS", 2, 1, 64, &workers) ||
        !fa_get_long(l, "FOUNDRY_AUTH_DRAIN_SECONDS", 10, 1, 300, &cfg->drain_seconds) ||
        !fa_get_long(l, "FOUNDRY_GITHUB_TIMEOUT_MS", 5000, 100, 60000, &cfg->github_timeout_ms) ||
        !fa_get_long(l, "FOUNDRY_AUTH_DB_TIMEOUT_MS", 6000, 200, 600000, &cfg->db_timeout_ms))
        return false;
    cfg->workers = (int)workers;
    /* The job worker's pacing; tests shorten it, production keeps the defaults. */
    if (!fa_get_long(l, "FOUNDRY_JOBS_BACKOFF_BASE_MS", 2000, 1, 600000,
                     &cfg->jobs_backoff_base_ms) ||
        !fa_get_long(l, "FOUNDRY_JOBS_POLL_MS", 5000, 10, 600000, &cfg->jobs_poll_ms) ||
        !fa_get_long(l, "FOUNDRY_JOBS_GC_SECONDS", 300, 1, 86400, &cfg->jobs_gc_seconds) ||
        !fa_get_long(l, "FOUNDRY_JOBS_LEASE_SECONDS", 300, 2, 86400, &cfg->jobs_lease_seconds))
        return false;
    /* A running job renews its lease between GitHub calls (issue 15): one
     * call, and a token refresh before it, must fit in the lease. */
    if (cfg->jobs_lease_seconds * 1000 < 2 * cfg->github_timeout_ms)
        return fa_config_fail(l,
                              "FOUNDRY_JOBS_LEASE_SECONDS: must be at least twice "
                              "FOUNDRY_GITHUB_TIMEOUT_MS (%ld ms)",
                              cfg->github_timeout_ms);
    const char *socket = fa_get(l, "FOUNDRY_AUTH_SOCKET");
    if (socket && strcmp(socket, "-") != 0 && strcmp(socket, "systemd") != 0 && socket[0] != '/')
        return fa_config_fail(l,
                              "FOUNDRY_AUTH_SOCKET: must be an absolute path, '-' (inherit fd 0) "
                              "or 'systemd' (socket activation)");
    cfg->socket_path = fa_dup_or(socket, "/run/foundry-auth/fcgi.sock");
    cfg->socket_group = fa_dup_or(fa_get(l, "FOUNDRY_AUTH_SOCKET_GROUP"), NULL);
    if (!fa_load_signin_pool(l, cfg))
        return false;
    cfg->run_as_user = fa_dup_or(fa_get(l, "FOUNDRY_AUTH_USER"), "nobody");
    return fa_load_log_level(l, cfg) && fa_load_bool(l, "FOUNDRY_AUTH_DEV_MODE", &cfg->dev_mode);
}

static bool fa_load_github(fa_loader_t *l, fa_config_t *cfg)
{
    if (!fa_load_required(l, "GITHUB_CLIENT_ID", &cfg->github_client_id) ||
        !fa_load_required(l, "GITHUB_CLIENT_SECRET", &cfg->github_client_secret) ||
        !fa_load_base_url(l, "GITHUB_OAUTH_URL", "https://github.com", &cfg->github_oauth_url) ||
        !fa_load_base_url(l, "GITHUB_API_URL", "https://api.github.com", &cfg->github_api_url))
        return false;
    cfg->github_scopes = fa_dup_or(fa_get(l, "GITHUB_SCOPES"), "read:user user:email read:org");
    const char *repo = fa_get(l, "FOUNDRY_STARTER_REPO");
    if (repo) {
        const char *slash = strchr(repo, '/');
        if (!slash || slash == repo || !slash[1] || strchr(slash + 1, '/') ||
            strspn(repo, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") !=
                strlen(repo))
            return fa_config_fail(l, "FOUNDRY_STARTER_REPO: must be owner/repo");
    }
    cfg->starter_repo = fa_dup_or(repo, NULL);
    return true;
}

bool fa_config_load(fa_config_t *cfg, fa_env_fn env, void *env_ctx, char *err, size_t err_len,
                    char *warn, size_t warn_len)
{
    fa_loader_t l = {env, env_ctx, err, err_len, warn, warn_len};
    memset(cfg, 0, sizeof(*cfg));
    if (warn && warn_len)
        warn[0] = '\0';
    if (err_len)
        err[0] = '\0';
    bool ok = fa_load_url(&l, cfg) && fa_load_secrets(&l, cfg) &&
              fa_load_required(&l, "DATABASE_URL", &cfg->database_url) &&
              fa_load_github(&l, cfg) && fa_load_origins(&l, cfg) &&
              fa_load_path(&l, "FOUNDRY_SIGN_IN_PATH", "/sign-in", &cfg->sign_in_path) &&
              fa_load_path(&l, "FOUNDRY_DEFAULT_RETURN_TO", "/app", &cfg->default_return_to) &&
              fa_load_lifetimes(&l, cfg) && fa_load_audiences(&l, cfg) &&
              fa_load_process(&l, cfg);
    if (!ok)
        fa_config_free(cfg);
    return ok;
}

const char *fa_config_process_env(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static void fa_free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s)); /* the process env may still hold it */
        free(s);
    }
}

void fa_config_free(fa_config_t *cfg)
{
    for (size_t i = 0; i < cfg->secret_count; i++)
        fa_free_secret(cfg->secrets[i]);
    fa_free_secret(cfg->github_client_secret);
    for (size_t i = 0; i < cfg->trusted_origin_count; i++)
        free(cfg->trusted_origins[i]);
    for (size_t i = 0; i < cfg->jwt_audience_count; i++)
        free(cfg->jwt_audiences[i]);
    free(cfg->public_url);
    free(cfg->public_origin);
    free(cfg->database_url);
    free(cfg->github_client_id);
    free(cfg->github_oauth_url);
    free(cfg->github_api_url);
    free(cfg->github_scopes);
    free(cfg->callback_url);
    free(cfg->sign_in_path);
    free(cfg->default_return_to);
    free(cfg->starter_repo);
    free(cfg->socket_path);
    free(cfg->socket_group);
    free(cfg->signin_socket_path);
    free(cfg->run_as_user);
    memset(cfg, 0, sizeof(*cfg));
}

bool fa_config_is_trusted_origin(const fa_config_t *cfg, const char *origin, size_t len)
{
    for (size_t i = 0; i < cfg->trusted_origin_count; i++)
        if (strlen(cfg->trusted_origins[i]) == len &&
            strncasecmp(cfg->trusted_origins[i], origin, len) == 0)
            return true;
    return false;
}
