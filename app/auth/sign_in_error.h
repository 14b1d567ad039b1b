/* Why a browser sign-in failed, as the sign-in page is told: every authError
 * code the service may send, what each means, which failure gives which code,
 * and the one URL that carries it (<sign_in_path>?authError=<code>, plus
 * &retryAfter=<seconds> for github_rate_limited). The page
 * (nginx/static/sign-in.js) has one message per code of fa_sign_in_errors;
 * tests/unit/auth/test_sign_in_error.c holds the two lists together.
 *
 * The codes are part of the API: their text never changes. Like the error
 * codes of fa_error_t (fa_error_is), they are named constants compared by
 * identity, never with strcmp. */
#ifndef FA_AUTH_SIGN_IN_ERROR_H
#define FA_AUTH_SIGN_IN_ERROR_H

#include <stddef.h>

#include "core/arena.h"
#include "core/status.h"

extern const char fa_sign_in_error_access_denied[];       /* "access_denied" */
extern const char fa_sign_in_error_invalid_state[];       /* "invalid_state" */
extern const char fa_sign_in_error_state_expired[];       /* "state_expired" */
extern const char fa_sign_in_error_state_used[];          /* "state_used" */
extern const char fa_sign_in_error_browser_mismatch[];    /* "browser_mismatch" */
extern const char fa_sign_in_error_code_rejected[];       /* "code_rejected" */
extern const char fa_sign_in_error_github_error[];        /* "github_error" */
extern const char fa_sign_in_error_github_timeout[];      /* "github_timeout" */
extern const char fa_sign_in_error_github_rate_limited[]; /* "github_rate_limited" */
extern const char fa_sign_in_error_service_unavailable[]; /* "service_unavailable" */
extern const char fa_sign_in_error_server_error[];        /* "server_error" */
extern const char fa_sign_in_error_service_busy[];        /* "service_busy" */

typedef struct {
    const char *code;    /* one of the constants above */
    const char *meaning; /* for operators and tests; the page words its own message */
} fa_sign_in_error_info_t;

/* Every code above, once each, with its meaning; *count entries. */
const fa_sign_in_error_info_t *fa_sign_in_errors(size_t *count);

/* A failure on our side (database, sealing, an internal error):
 * service_unavailable for FA_ERR_UNAVAILABLE (try again soon), server_error
 * for anything else. */
const char *fa_sign_in_error_for_status(fa_status_t status);

/* A failed GitHub call (err from github/client.h or github/limit.h):
 * github_rate_limited, github_timeout, code_rejected (the token endpoint
 * refused the code) or github_error for anything else. */
const char *fa_sign_in_error_for_github(const fa_error_t *err);

/* "<sign_in_path>?authError=<code>", in the arena; for
 * fa_sign_in_error_github_rate_limited also "&retryAfter=<seconds>" with
 * retry_after raised to at least 1 (other codes ignore it). code must be one
 * of the constants above: it is not escaped. */
const char *fa_sign_in_error_location(fa_arena_t *arena, const char *sign_in_path, const char *code,
                                      long retry_after);

#endif
