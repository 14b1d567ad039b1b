/* The GitHub OAuth flow (PRODUCT.md section 4, invariants 2, 3 and 8). Owns
 * the verification table.
 *
 * start: a CSPRNG state (stored only as its SHA-256), a PKCE S256 pair (the
 * verifier stored encrypted), the sanitized returnTo, and a browser-binding
 * cookie shared by every tab of one browser, so two tabs can sign in at once.
 * callback: consumes the state once, only from the browser that started it,
 * exchanges the code once (never retried), reads the GitHub user and commits
 * the sign-in in one transaction. A duplicate callback from the same browser,
 * within FA_OAUTH_REPLAY_WINDOW_SECONDS of the first one's completion and
 * before the state expires, ends signed in with the session the first one
 * created, without a second exchange; later it is refused (state_used or
 * state_expired). Every failure is a redirect to the sign-in page with
 * authError (auth/sign_in_error.h: the codes and the URL). */
#ifndef FA_AUTH_OAUTH_H
#define FA_AUTH_OAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "db/db.h"
#include "services/services.h"

#define FA_OAUTH_TTL_SECONDS 600
/* How long after the first callback completed a duplicate from the same
 * browser still gets that callback's session. Duplicates are proxy and
 * browser retries or a double click: they come within seconds. A minute
 * covers a slow mobile retry; beyond it the sealed session token is a
 * credential kept for nothing, so it is erased (here on a late duplicate,
 * and by jobs/gc.h every FA_GC_STATES_SECONDS when none comes). */
#define FA_OAUTH_REPLAY_WINDOW_SECONDS 60

typedef struct {
    const char *location;       /* GitHub's authorize URL */
    const char *binding_cookie; /* browser-binding value to set (new or refreshed) */
    long retry_after; /* on fa_github_err_rate_limited: seconds until GitHub may be called */
} fa_oauth_start_result_t;

typedef struct {
    fa_str_t code;
    fa_str_t state;
    fa_str_t error;   /* GitHub's ?error= (e.g. access_denied) */
    fa_str_t binding; /* the browser-binding cookie, FA_STR_NULL when absent */
    const char *ip;
    const char *user_agent;
} fa_oauth_callback_t;

typedef struct {
    const char *location;       /* returnTo on success, the sign-in page on failure */
    const char *auth_error;     /* NULL on success, else a fa_sign_in_error_* code */
    const char *session_cookie; /* the session cookie value on success */
    long session_max_age;
    int64_t user_id;
    const char *session_id;
} fa_oauth_result_t;

void fa_oauth_register_statements(void);

/* Columns of a verification row sealed at rest, named in their aad. */
#define FA_OAUTH_AAD_CODE_VERIFIER "code_verifier"
#define FA_OAUTH_AAD_SESSION_TOKEN "session_token"
/* "verification:<identifier>:<column>": the aad that binds a sealed value to
 * its row and column (public so a test can show the columns cannot swap). */
const char *fa_oauth_aad(fa_arena_t *arena, const char *identifier, const char *column);

const char *fa_oauth_binding_cookie_name(const fa_config_t *cfg);

/* Fails with github_rate_limited (out->retry_after set) while GitHub's
 * recorded rate limit lasts, without writing anything. */
fa_status_t fa_oauth_start(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                           fa_str_t return_to, fa_str_t binding, fa_oauth_start_result_t *out,
                           fa_error_t *err);

/* Where to send a browser for a fresh GitHub sign-in that ends at
 * return_to (sanitized like every returnTo; absent or refused = the default
 * return path): FOUNDRY_AUTH_URL + /v1/auth/github/start?returnTo=...,
 * absolute so that a page on another trusted origin can follow it too. */
const char *fa_oauth_start_url(const fa_config_t *cfg, fa_arena_t *arena, fa_str_t return_to);

/* Always fills out with a redirect; never reports a partial sign-in. */
void fa_oauth_callback(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                       const fa_oauth_callback_t *in, fa_oauth_result_t *out);

#endif
