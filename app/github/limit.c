/* Owns: the github_rate_limits table. Never: lets a database failure turn
 * into a call GitHub asked us not to make without saying so in the log. */
#include "github/limit.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"

static const fa_db_statement_t fa_github_limit_statements[] = {
    /* The hot check: one primary-key lookup, a row only while limited. */
    {"github_limit_check",
     "SELECT ceil(extract(epoch FROM limited_until - now()))::bigint AS wait "
     "FROM github_rate_limits WHERE api = $1 AND limited_until > now()",
     1},
    /* Two workers may record at once; the later reset wins, so an answer that
     * arrived late can never shorten a wait GitHub asked for. */
    {"github_limit_record",
     "INSERT INTO github_rate_limits (api, limited_until, http_status) "
     "VALUES ($1, now() + make_interval(secs => $2::bigint), $3::int) "
     "ON CONFLICT (api) DO UPDATE SET limited_until = greatest(excluded.limited_until, "
     "CASE WHEN github_rate_limits.limited_until > now() THEN github_rate_limits.limited_until "
     "END), http_status = excluded.http_status, recorded_at = now()",
     3},
};

void fa_github_limit_register_statements(void)
{
    FA_DB_REGISTER(fa_github_limit_statements);
}

fa_status_t fa_github_limit_check(fa_db_t *db, fa_arena_t *arena, long *wait_seconds,
                                  fa_error_t *err)
{
    *wait_seconds = 0;
    const char *values[1] = {FA_GITHUB_LIMIT_KEY};
    PGresult *r = fa_db_exec(db, arena, "github_limit_check", 1, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) == 1) {
        long long wait = fa_db_value_ll(r, 0, "wait", 1);
        *wait_seconds = wait < 1 ? 1 : (long)wait;
    }
    return FA_OK;
}

bool fa_github_limit_is(const fa_error_t *err)
{
    return fa_error_is(err, fa_github_err_rate_limited);
}

void fa_github_limit_note(fa_db_t *db, fa_arena_t *arena, const fa_github_t *gh,
                          const fa_error_t *err)
{
    if (!fa_github_limit_is(err))
        return;
    fa_metrics_inc(FA_METRIC_GITHUB_RATE_LIMITED);
    long wait = fa_github_retry_after(gh);
    if (wait < 1)
        wait = 1;
    long status = fa_github_rate_limit_status(gh);
    const char *values[3] = {FA_GITHUB_LIMIT_KEY, fa_arena_sprintf(arena, "%ld", wait),
                             fa_arena_sprintf(arena, "%ld", status ? status : 403L)};
    fa_error_t db_err;
    if (!fa_db_exec(db, arena, "github_limit_record", 3, values, &db_err))
        fa_log_error("github_limit", "could not record GitHub's rate limit (%ld s): %s", wait,
                     db_err.code ? db_err.code : "error");
    else
        fa_log_warn("github_limit", "GitHub rate limit: no call for %ld s (%s)", wait,
                    err->detail ? err->detail : "");
}

fa_status_t fa_github_limit_refuse(fa_arena_t *arena, long wait_seconds, fa_error_t *err)
{
    fa_metrics_inc(FA_METRIC_GITHUB_CALLS_WITHHELD);
    return fa_error_set(
        err, FA_ERR_UPSTREAM, fa_github_err_rate_limited,
        "GitHub is limiting requests; try again later",
        fa_arena_sprintf(arena, "not calling GitHub for another %ld s", wait_seconds));
}
