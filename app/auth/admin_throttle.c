/* Owns: the auth_failures table. Never: records a token or any part of one
 * (only the address and a count). */
#include "auth/admin_throttle.h"

#include <jansson.h>
#include <string.h>

#include "auth/audit.h"
#include "core/log.h"

#define FA_SCOPE_ADDRESS "admin_address"
#define FA_SCOPE_TOTAL "admin_total"
#define FA_WINDOW "date_trunc('minute', now())"

static const fa_db_statement_t fa_admin_throttle_statements[] = {
    /* Both counters of the current window in one primary-key lookup each;
     * a row only when a limit is reached. */
    {"admin_throttle_check",
     "SELECT ceil(extract(epoch FROM window_start + interval '1 minute' - now()))::bigint "
     "AS wait FROM auth_failures WHERE window_start = " FA_WINDOW " AND ("
     "(scope = '" FA_SCOPE_ADDRESS "' AND key = $1 AND failures >= $2::int) OR "
     "(scope = '" FA_SCOPE_TOTAL "' AND key = '' AND failures >= $3::int)) LIMIT 1",
     3},
    /* The address row first, then the total, in every worker: two workers
     * never wait on each other's rows in opposite orders. */
    {"admin_throttle_fail",
     "INSERT INTO auth_failures (scope, key, window_start, failures) VALUES "
     "('" FA_SCOPE_ADDRESS "', $1, " FA_WINDOW ", 1), ('" FA_SCOPE_TOTAL "', '', " FA_WINDOW
     ", 1) ON CONFLICT (scope, key, window_start) DO UPDATE "
     "SET failures = auth_failures.failures + 1 RETURNING scope, failures",
     1},
    /* Old windows mean nothing; run by the first failure of each window only,
     * so concurrent failures do not all delete the same rows. */
    {"admin_throttle_forget",
     "DELETE FROM auth_failures WHERE window_start < now() - interval '10 minutes'", 0},
};

void fa_admin_throttle_register_statements(void)
{
    FA_DB_REGISTER(fa_admin_throttle_statements);
}

static const char *fa_key(const char *ip)
{
    return ip && *ip ? ip : "unknown";
}

fa_status_t fa_admin_throttle_check(fa_db_t *db, fa_arena_t *arena, const char *ip,
                                    long *retry_after, fa_error_t *err)
{
    *retry_after = 0;
    const char *values[3] = {fa_key(ip),
                             fa_arena_sprintf(arena, "%d", FA_ADMIN_THROTTLE_PER_ADDRESS),
                             fa_arena_sprintf(arena, "%d", FA_ADMIN_THROTTLE_TOTAL)};
    PGresult *r = fa_db_exec(db, arena, "admin_throttle_check", 3, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) == 1) {
        long long wait = fa_db_value_ll(r, 0, "wait", 1);
        *retry_after = wait < 1 ? 1 : (long)wait;
    }
    return FA_OK;
}

static void fa_audit_crossing(fa_db_t *db, fa_arena_t *arena, const char *ip, const char *scope,
                              long limit)
{
    json_t *detail = json_pack("{s:s,s:i,s:i}", "scope", scope, "failures", (int)limit,
                               "windowSeconds", FA_ADMIN_THROTTLE_WINDOW_SECONDS);
    fa_error_t err;
    if (fa_audit_record(db, arena, "admin_auth_throttled", 0, NULL, NULL, ip, detail, &err) !=
        FA_OK)
        fa_log_error("admin_throttle", "could not record the throttle audit event: %s",
                     err.code ? err.code : "error");
    json_decref(detail);
    fa_log_warn("admin_throttle", "admin authentication throttled (%s): %ld failures in a minute",
                scope, limit);
}

void fa_admin_throttle_fail(fa_db_t *db, fa_arena_t *arena, const char *ip)
{
    const char *values[1] = {fa_key(ip)};
    fa_error_t err;
    PGresult *r = fa_db_exec(db, arena, "admin_throttle_fail", 1, values, &err);
    if (!r) {
        fa_log_error("admin_throttle", "could not count a failed admin authentication: %s",
                     err.code ? err.code : "error");
        return;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        const char *scope = fa_db_value(r, i, "scope");
        long long failures = fa_db_value_ll(r, i, "failures", 0);
        bool total = scope && strcmp(scope, FA_SCOPE_TOTAL) == 0;
        long limit = total ? FA_ADMIN_THROTTLE_TOTAL : FA_ADMIN_THROTTLE_PER_ADDRESS;
        if (failures == limit)
            fa_audit_crossing(db, arena, ip, total ? "total" : "address", limit);
        if (total && failures == 1 &&
            !fa_db_exec(db, arena, "admin_throttle_forget", 0, NULL, &err))
            fa_log_warn("admin_throttle", "could not delete old failure counts: %s",
                        err.code ? err.code : "error");
    }
}
