/* The active organization of one session (session_state), chosen among the
 * user's eligible organizations (user_profiles.eligible_organization_ids). */
#ifndef FA_SNAPSHOT_SELECTION_H
#define FA_SNAPSHOT_SELECTION_H

#include <stdint.h>

#include "db/db.h"

void fa_selection_register_statements(void);

/* FA_ERR_FORBIDDEN (403) "organization_not_eligible" when the org is not one
 * of the user's eligible organizations; nothing is written then. */
fa_status_t fa_selection_set(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                             const char *session_id, int64_t organization_id, fa_error_t *err);

#endif
