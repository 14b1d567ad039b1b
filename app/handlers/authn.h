/* Authentication and CSRF before a handler runs (PRODUCT.md section 5).
 * A route's flags say what it needs; handlers never parse tokens themselves.
 *   FA_ROUTE_SESSION  a valid session, else 401 (one round trip).
 *   FA_ROUTE_MUTATION cookie callers need a trusted Origin and a JSON content
 *                     type; the handler runs inside a transaction that first
 *                     locks the session row, and commits only when the
 *                     handler answered < 400 (invariant 1).
 *   FA_ROUTE_OPTIONAL_SESSION the session when there is one (snapshot).
 *   FA_ROUTE_COOKIE_CACHE a read route that may answer from the optional
 *                     session cookie cache (auth/cookie_cache.h) instead of
 *                     the database; never combine it with MUTATION.
 *   FA_ROUTE_CALLS_OUT with MUTATION: the handler calls another service
 *                     (GitHub) before it writes, so it runs outside any
 *                     transaction, with the session checked and CSRF
 *                     enforced, and writes through fa_authn_commit.
 *   FA_ROUTE_IDENTITY the handler reads only the identity (user id, login,
 *                     session id, expiry): the slimmer fa_session_check,
 *                     without the user's name, email and image.
 *   FA_ROUTE_AUTH_TIME with IDENTITY: also the session's auth_time (token
 *                     issue judges how recent the GitHub sign-in was), from
 *                     the same single query.
 *   FA_ROUTE_BARE_ERRORS errors are the status and headers, no body: for
 *                     nginx auth_request, which reads nothing else, and the
 *                     browser-facing callback. */
#ifndef FA_HANDLERS_AUTHN_H
#define FA_HANDLERS_AUTHN_H

#include "auth/session.h"
#include "handlers/context.h"
#include "handlers/transaction.h"

#define FA_ROUTE_SESSION 0x1u
#define FA_ROUTE_MUTATION 0x2u
#define FA_ROUTE_OPTIONAL_SESSION 0x4u
#define FA_ROUTE_COOKIE_CACHE 0x8u
#define FA_ROUTE_IDENTITY 0x10u
#define FA_ROUTE_CALLS_OUT 0x20u
#define FA_ROUTE_AUTH_TIME 0x40u
#define FA_ROUTE_BARE_ERRORS 0x80u

/* Runs ctx->route->handler under the route's rules; a refusal (401, CSRF)
 * or the handler's failure comes back in err for fa_reply_error. */
fa_status_t fa_authn_invoke(fa_ctx_t *ctx, fa_error_t *err);

/* For FA_ROUTE_CALLS_OUT handlers, after their call out: runs write in a
 * transaction that first locks the session row again (a session revoked
 * meanwhile answers 401 and nothing is written), committing only when write
 * returned FA_OK, exactly like a MUTATION handler. */
fa_status_t fa_authn_commit(fa_ctx_t *ctx, fa_tx_step_fn write, void *data, fa_error_t *err);

/* For handlers that check the session in their own single query (the
 * snapshot): the verified token's hash. False when there is no credential or
 * its signature is bad (never reaching the database then). */
bool fa_authn_token_hash(const fa_ctx_t *ctx, uint8_t hash[FA_SHA256_LEN], bool *from_cookie);

/* Sliding expiry for such handlers: extends when due and re-sets the cookie. */
void fa_authn_slide(fa_ctx_t *ctx, fa_session_t *session, bool from_cookie);

/* The authenticated session of this request (NULL when none). */
fa_session_t *fa_authn_session(const fa_ctx_t *ctx);

const char *fa_authn_cookie_name(const fa_config_t *cfg);
void fa_authn_set_session_cookie(fa_ctx_t *ctx, const char *value, long max_age);
void fa_authn_clear_session_cookie(fa_ctx_t *ctx);

#endif
