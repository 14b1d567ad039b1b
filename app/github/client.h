/* The GitHub client: the OAuth token endpoint and the few REST calls the
 * service makes, over one reusable libcurl easy handle per worker (keep-alive
 * to GitHub). It owns the HTTP details (timeouts, headers, size caps, no
 * proxy from the environment, no redirects) and turns GitHub's answers into
 * fa_error_t codes; it never logs, and never puts a token, code, PKCE
 * verifier or the client secret into an error. Not thread-safe: one
 * fa_github_t per worker process.
 *
 * Every failure is FA_ERR_UPSTREAM with one of these codes:
 *   github_unavailable   connect failure, reset, 5xx
 *   github_timeout       no complete answer within timeout_ms
 *   github_bad_response  malformed JSON, missing/invalid fields, non-JSON,
 *                        body over 1 MiB, unparsable or foreign Link header
 *   github_rejected_code the token endpoint answered an "error" (HTTP 200);
 *                        detail names GitHub's error, e.g. bad_verification_code
 *   github_unauthorized  401 from the API: token revoked or expired
 *   github_rate_limited  403/429 with x-ratelimit-remaining: 0 or retry-after
 *                        (see fa_github_retry_after)
 *   github_refused       any other 4xx (e.g. 404 when starring a missing
 *                        repository or without the public_repo scope)
 * except argument errors (FA_ERR_BAD_REQUEST "invalid_github_argument") for a
 * token or repository name that could not be sent safely.
 * Each code is a constant below (fa_github_err_<x>); test it with
 * fa_error_is, never strcmp.
 * All returned strings live in the caller's arena; on failure the out
 * parameters are left zeroed/NULL. */
#ifndef FA_GITHUB_CLIENT_H
#define FA_GITHUB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"

/* Response bodies larger than this abort the transfer (github_bad_response). */
#define FA_GITHUB_MAX_BODY (1024 * 1024)
/* list_orgs follows at most this many pages, then fails rather than return a
 * truncated list. */
#define FA_GITHUB_MAX_PAGES 50

/* The codes of the list above; err->code is one of these pointers. */
extern const char fa_github_err_unavailable[];      /* "github_unavailable" */
extern const char fa_github_err_timeout[];          /* "github_timeout" */
extern const char fa_github_err_bad_response[];     /* "github_bad_response" */
extern const char fa_github_err_rejected_code[];    /* "github_rejected_code" */
extern const char fa_github_err_unauthorized[];     /* "github_unauthorized" */
extern const char fa_github_err_rate_limited[];     /* "github_rate_limited" */
extern const char fa_github_err_refused[];          /* "github_refused" */
extern const char fa_github_err_invalid_argument[]; /* "invalid_github_argument" */

typedef struct fa_github fa_github_t;

typedef struct {
    const char *oauth_url; /* e.g. https://github.com (no trailing slash needed) */
    const char *api_url;   /* e.g. https://api.github.com or https://ghe/api/v3 */
    const char *client_id;
    const char *client_secret;
    long timeout_ms;         /* total per HTTP request */
    long connect_timeout_ms; /* TCP + TLS handshake */
    long orgs_per_page;      /* 0 means 100, GitHub's maximum; tests use less */
} fa_github_config_t;

/* Copies cfg (the strings too). Returns NULL when a URL is not absolute
 * http(s) or a required field is missing; aborts on out of memory. */
fa_github_t *fa_github_create(const fa_github_config_t *cfg);
/* Closes the connections and wipes the copied client secret. NULL is a no-op. */
void fa_github_destroy(fa_github_t *gh);

typedef struct {
    char *access_token;
    char *refresh_token; /* NULL when tokens do not expire */
    char *scope;         /* comma-separated as GitHub sends it; "" if absent */
    long expires_in;     /* seconds; 0 when the token does not expire */
    long refresh_token_expires_in;
} fa_github_tokens_t;

/* POST {oauth_url}/login/oauth/access_token with client_id, client_secret,
 * code, redirect_uri and code_verifier, form-encoded, Accept:
 * application/json. NEVER retried, not even by libcurl on a stale kept-alive
 * connection (a code is single-use): exactly one HTTP request on a fresh
 * connection. GitHub answers errors with HTTP 200 and an "error" field:
 * anything without access_token is a failure. */
fa_status_t fa_github_exchange_code(fa_github_t *gh, fa_arena_t *arena, const char *code,
                                    const char *redirect_uri, const char *code_verifier,
                                    fa_github_tokens_t *out, fa_error_t *err);

/* grant_type=refresh_token: GitHub rotates both tokens, so this too is one
 * request on a fresh connection; the old refresh token is dead afterwards. */
fa_status_t fa_github_refresh_token(fa_github_t *gh, fa_arena_t *arena, const char *refresh_token,
                                    fa_github_tokens_t *out, fa_error_t *err);

typedef struct {
    int64_t id; /* > 0; may exceed 2^32 */
    char *login;
    char *name;  /* NULL when not set */
    char *email; /* public email; NULL when private */
    char *avatar_url;
} fa_github_user_t;

/* GET {api_url}/user. */
fa_status_t fa_github_get_user(fa_github_t *gh, fa_arena_t *arena, const char *token,
                               fa_github_user_t *out, fa_error_t *err);

/* GET {api_url}/user/emails → the primary email and whether it is verified
 * (*email NULL and *verified false when there is no primary). */
fa_status_t fa_github_primary_email(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                    char **email, bool *verified, fa_error_t *err);

typedef struct {
    int64_t id;
    char *login;
    char *name; /* NULL: /user/orgs does not carry it */
    char *avatar_url;
} fa_github_org_t;

/* GET {api_url}/user/orgs?per_page=100 following Link rel="next" (only to
 * URLs on api_url's origin; at most FA_GITHUB_MAX_PAGES pages), deduplicated
 * by id in first-seen order. A foreign or malformed Link, or more pages than
 * the cap, fail the whole call: a partial list would drop memberships. */
fa_status_t fa_github_list_orgs(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                fa_github_org_t **orgs, size_t *count, fa_error_t *err);
/* Called before each page is requested (page 0 first); a status other than
 * FA_OK (with err set) ends the listing with that error. */
typedef fa_status_t (*fa_github_page_fn)(void *ctx, int page, fa_error_t *err);
/* The same, calling before_page (may be NULL) before each page: a caller
 * that must stay alive across a long listing (a job renewing its lease)
 * does it between pages, and can stop it. */
fa_status_t fa_github_list_orgs_paced(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                      fa_github_page_fn before_page, void *ctx,
                                      fa_github_org_t **orgs, size_t *count, fa_error_t *err);

/* PUT {api_url}/user/starred/{owner}/{repo} (Content-Length: 0) → 204.
 * owner_repo is "owner/repo" with GitHub's name characters. */
fa_status_t fa_github_star_repo(fa_github_t *gh, fa_arena_t *arena, const char *token,
                                const char *owner_repo, fa_error_t *err);

/* Rate-limit info of the last call: seconds until GitHub allows the next call
 * (from retry-after, or x-ratelimit-reset when x-ratelimit-remaining is 0;
 * at least 1 then), 0 when not limited. */
long fa_github_retry_after(const fa_github_t *gh);
/* The HTTP status (403 or 429) of the last call when it was rate limited,
 * 0 otherwise: for the record of the limit (auth/github_limit.c). */
long fa_github_rate_limit_status(const fa_github_t *gh);

/* The token endpoint's JSON body to tokens (exposed for tests and the fuzzer).
 * An "error" member gives github_rejected_code with the error name (checked
 * to be snake_case, else "unknown") in err->detail; no or an unusable
 * access_token gives github_bad_response. */
fa_status_t fa_github_parse_tokens(fa_arena_t *arena, const char *body, size_t len,
                                   fa_github_tokens_t *out, fa_error_t *err);

#endif
