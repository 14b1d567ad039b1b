/* Owns: audit_events. */
#include "auth/audit.h"

#include <stdlib.h>

static const fa_db_statement_t fa_audit_statements[] = {
    {"audit_record",
     "INSERT INTO audit_events (event, user_id, session_id, actor, ip, detail) "
     "VALUES ($1, $2, $3::uuid, $4, $5, coalesce($6::jsonb, '{}'::jsonb))",
     6},
};

void fa_audit_register_statements(void)
{
    FA_DB_REGISTER(fa_audit_statements);
}

fa_status_t fa_audit_record(fa_db_t *db, fa_arena_t *arena, const char *event, int64_t user_id,
                            const char *session_id, const char *actor, const char *ip,
                            const json_t *detail, fa_error_t *err)
{
    char *detail_text = NULL;
    if (detail) {
        char *dumped = json_dumps(detail, JSON_COMPACT);
        if (dumped) {
            detail_text = fa_arena_strdup(arena, dumped);
            free(dumped);
        }
    }
    const char *values[6] = {
        event,
        user_id ? fa_arena_i64(arena, user_id) : NULL,
        session_id,
        actor,
        ip,
        detail_text,
    };
    return fa_db_exec(db, arena, "audit_record", 6, values, err) ? FA_OK : err->status;
}
