/* GitHub's rate limit, remembered for every worker and host (issue 12). Owns
 * the github_rate_limits table.
 *
 * GitHub answers a limited call with 403 or 429 and says when to come back
 * (x-ratelimit-reset, retry-after), and bans integrations that keep calling
 * while limited. Whoever sees such an answer records it here; every caller
 * of the GitHub API checks here first (one primary-key lookup) and does not
 * call before the recorded time.
 *
 * One key for the whole service, FA_GITHUB_LIMIT_KEY: GitHub's primary limit
 * is per user for user tokens, but its secondary limits and its bans are per
 * application (and per address), and a sign-in cannot know whose limit it
 * met before /user answered. Waiting out one user's exhausted limit for
 * everyone costs at most that limit's remaining time; calling on and being
 * banned costs every user the service. */
#ifndef FA_GITHUB_LIMIT_H
#define FA_GITHUB_LIMIT_H

#include "db/db.h"
#include "github/client.h"

#define FA_GITHUB_LIMIT_KEY "github_api"

void fa_github_limit_register_statements(void);

/* *wait_seconds = seconds until GitHub may be called again (rounded up),
 * 0 when it may be called now. On a database error, *wait_seconds is 0 and
 * the error is returned: the caller decides whether to go on. */
fa_status_t fa_github_limit_check(fa_db_t *db, fa_arena_t *arena, long *wait_seconds,
                                  fa_error_t *err);

/* After a GitHub call failed with err: when err is github_rate_limited,
 * records how long GitHub asked to wait (fa_github_retry_after of gh; a
 * later time already recorded is kept) and counts it in the metrics. A
 * failure to record is logged, not returned: the caller's answer is about
 * GitHub. No-op for any other error. */
void fa_github_limit_note(fa_db_t *db, fa_arena_t *arena, const fa_github_t *gh,
                          const fa_error_t *err);

/* True when err is GitHub's rate limit (github_rate_limited). */
bool fa_github_limit_is(const fa_error_t *err);

/* Fills err with github_rate_limited for a call refused without calling
 * GitHub (FA_ERR_UPSTREAM; the message says how long). */
fa_status_t fa_github_limit_refuse(fa_arena_t *arena, long wait_seconds, fa_error_t *err);

#endif
