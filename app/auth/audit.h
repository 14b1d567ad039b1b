/* The audit trail (audit_events): who did what to which session. Owns the
 * table. Never records a token, code or secret: callers pass ids only. */
#ifndef FA_AUTH_AUDIT_H
#define FA_AUTH_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "db/db.h"

void fa_audit_register_statements(void);

/* Inside the caller's transaction when there is one, so the event commits
 * with the change it describes. session_id, actor, ip and detail may be NULL. */
fa_status_t fa_audit_record(fa_db_t *db, fa_arena_t *arena, const char *event, int64_t user_id,
                            const char *session_id, const char *actor, const char *ip,
                            const json_t *detail, fa_error_t *err);

#endif
