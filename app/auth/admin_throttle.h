/* Throttling failed admin authentication (issue 12). Owns the auth_failures
 * table.
 *
 * Failures are counted per fixed one-minute window, per client address and
 * for everyone together, in PostgreSQL so that every worker of every host
 * counts into the same numbers. Past either limit the admin API answers 429
 * with Retry-After until the window ends, to every request that presents a
 * credential, the right token included: otherwise a guesser would learn from
 * a 200 that it had found the token while everyone else gets 429.
 *
 * The limits are constants: an operator makes a few admin calls a minute and
 * a mistyped token a handful of failures; a guesser is after 2^256 tokens
 * and none of these numbers matters to it, they only bound the load and the
 * noise. The overall limit stops a guesser spread over many addresses; it
 * also locks the operator out for the rest of the minute, which is the price
 * (the CLI, `foundry-auth admin`, needs no token and is never throttled). */
#ifndef FA_AUTH_ADMIN_THROTTLE_H
#define FA_AUTH_ADMIN_THROTTLE_H

#include "db/db.h"

#define FA_ADMIN_THROTTLE_WINDOW_SECONDS 60
/* Failed admin authentications per client address per window. */
#define FA_ADMIN_THROTTLE_PER_ADDRESS 10
/* Failed admin authentications from all addresses together per window. */
#define FA_ADMIN_THROTTLE_TOTAL 100

void fa_admin_throttle_register_statements(void);

/* *retry_after = seconds until the current window ends when ip (NULL =
 * unknown) or everyone is past a limit, 0 otherwise. On a database error
 * *retry_after is 0 and the error is returned. */
fa_status_t fa_admin_throttle_check(fa_db_t *db, fa_arena_t *arena, const char *ip,
                                    long *retry_after, fa_error_t *err);

/* Counts one failed authentication from ip; the failure that reaches a limit
 * records an admin_auth_throttled audit event. Errors are logged only: the
 * caller answers 401 either way. */
void fa_admin_throttle_fail(fa_db_t *db, fa_arena_t *arena, const char *ip);

#endif
