/* Configuration from the environment (PRODUCT.md section 8), validated once
 * at start-up. A missing or weak setting is reported as one line naming the
 * variable and the process exits non-zero; nothing runs half-configured.
 * The struct is read-only after fa_config_load and shared by every module. */
#ifndef FA_CORE_CONFIG_H
#define FA_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define FA_MAX_SECRETS 4
#define FA_MAX_TRUSTED_ORIGINS 16
#define FA_MAX_AUDIENCES 16
#define FA_MIN_SECRET_LEN 32 /* bytes, once decoded from hex or base64 */
#define FA_MAX_AUTH_AGE_LIMIT (3650L * 86400) /* the longest FOUNDRY_SESSION_MAX_AGE */

typedef enum { FA_LOG_DEBUG, FA_LOG_INFO, FA_LOG_WARN, FA_LOG_ERROR } fa_log_level_t;

typedef struct {
    char *public_url;    /* FOUNDRY_AUTH_URL, e.g. https://auth.example.com (no trailing '/') */
    char *public_origin; /* scheme://host[:port] of public_url */
    bool secure_cookies; /* public_url is https; false only in plain-http development */
    char *secrets[FA_MAX_SECRETS]; /* FOUNDRY_AUTH_SECRET, comma-separated: first signs */
    size_t secret_count;
    char *database_url; /* DATABASE_URL */
    char *github_client_id;
    char *github_client_secret;
    char *github_oauth_url; /* GITHUB_OAUTH_URL, default https://github.com */
    char *github_api_url;   /* GITHUB_API_URL, default https://api.github.com */
    char *github_scopes;    /* GITHUB_SCOPES */
    char *callback_url;     /* public_url + /v1/auth/github/callback (pinned) */
    char *trusted_origins[FA_MAX_TRUSTED_ORIGINS]; /* FOUNDRY_TRUSTED_ORIGINS (+ public_origin) */
    size_t trusted_origin_count;
    char *sign_in_path;     /* FOUNDRY_SIGN_IN_PATH, where browser errors land (default /sign-in) */
    char *default_return_to; /* FOUNDRY_DEFAULT_RETURN_TO (default /app) */
    long session_ttl;       /* FOUNDRY_SESSION_TTL seconds (sliding), default 7 days */
    long session_update_age; /* FOUNDRY_SESSION_UPDATE_AGE, default 1 day */
    long session_max_age;   /* FOUNDRY_SESSION_MAX_AGE (absolute), default 30 days */
    long jwt_ttl;           /* FOUNDRY_JWT_TTL, default 300 */
    long jwt_leeway;        /* FOUNDRY_JWT_LEEWAY, default 30 */
    char *jwt_audiences[FA_MAX_AUDIENCES]; /* FOUNDRY_JWT_AUDIENCES, names only */
    /* Per audience (same index): the oldest GitHub sign-in, in seconds, a
     * token may be issued on (":max_auth_age=N"); 0 = no limit. */
    long jwt_audience_max_auth_age[FA_MAX_AUDIENCES];
    size_t jwt_audience_count;
    long cookie_cache_max_age; /* FOUNDRY_COOKIE_CACHE_MAX_AGE, 0 = off (default) */
    char *starter_repo;     /* FOUNDRY_STARTER_REPO owner/repo */
    int workers;            /* FOUNDRY_AUTH_WORKERS, default 2 */
    char *socket_path; /* FOUNDRY_AUTH_SOCKET; "-" = inherited on fd 0, "systemd" = fd 3 */
    /* The sign-in pool (issue 15): the routes that wait on GitHub, on a socket
     * of their own so they never take a session check's worker. */
    int signin_workers;       /* FOUNDRY_AUTH_SIGNIN_WORKERS, default 2 */
    char *signin_socket_path; /* FOUNDRY_AUTH_SIGNIN_SOCKET, default beside socket_path */
    int signin_queue;         /* FOUNDRY_AUTH_SIGNIN_QUEUE, default 4 x signin_workers */
    char *socket_group;     /* FOUNDRY_AUTH_SOCKET_GROUP: group that may connect (nginx's) */
    char *run_as_user;      /* FOUNDRY_AUTH_USER: workers drop root to it (default nobody) */
    long drain_seconds;     /* FOUNDRY_AUTH_DRAIN_SECONDS, default 10 */
    long github_timeout_ms; /* FOUNDRY_GITHUB_TIMEOUT_MS total per call, default 5000 */
    long db_timeout_ms;     /* FOUNDRY_AUTH_DB_TIMEOUT_MS: client-side bound of one database
                               call, default 6000 (statement_timeout 5 s + 1 s) */
    fa_log_level_t log_level; /* FOUNDRY_AUTH_LOG_LEVEL debug|info|warn|error */
    bool dev_mode;          /* FOUNDRY_AUTH_DEV_MODE=1 */
    long jobs_backoff_base_ms; /* FOUNDRY_JOBS_BACKOFF_BASE_MS: first retry delay, default 2000 */
    long jobs_poll_ms;      /* FOUNDRY_JOBS_POLL_MS: queue poll when no NOTIFY came, default 5000 */
    long jobs_gc_seconds;   /* FOUNDRY_JOBS_GC_SECONDS: garbage collection period, default 300 */
    long jobs_lease_seconds; /* FOUNDRY_JOBS_LEASE_SECONDS: a job running longer lost its
                                worker and is taken over, default 300 */
} fa_config_t;

/* getenv-like lookup so tests can feed a table instead of the process env. */
typedef const char *(*fa_env_fn)(const char *name, void *ctx);

/* Returns true when valid. On false, err holds one line naming the variable
 * ("FOUNDRY_AUTH_SECRET: secret 1 is too weak (decodes to 10 random bytes; ...").
 * Deprecated aliases (BETTER_AUTH_URL, BETTER_AUTH_SECRET) are accepted;
 * warnings (aliases, insecure dev cookies) are appended to warn, one per line.
 * which_required: the subcommand decides what it needs (serve needs all). */
bool fa_config_load(fa_config_t *cfg, fa_env_fn env, void *env_ctx, char *err, size_t err_len,
                    char *warn, size_t warn_len);

const char *fa_config_process_env(const char *name, void *ctx);
void fa_config_free(fa_config_t *cfg);

bool fa_config_is_trusted_origin(const fa_config_t *cfg, const char *origin, size_t len);

#endif
