/* Owns: session_state.active_organization_id writes. */
#include "snapshot/selection.h"

static const fa_db_statement_t fa_selection_statements[] = {
    /* Eligibility and the write in one statement: no window between the
     * check and the update. */
    {"selection_set",
     "UPDATE session_state st SET active_organization_id = $3, updated_at = now() "
     "FROM user_profiles p WHERE st.user_id = $1 AND st.session_id = $2::uuid "
     "AND p.user_id = st.user_id AND $3::bigint = ANY (p.eligible_organization_ids) "
     "RETURNING st.active_organization_id",
     3},
};

void fa_selection_register_statements(void)
{
    FA_DB_REGISTER(fa_selection_statements);
}

fa_status_t fa_selection_set(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                             const char *session_id, int64_t organization_id, fa_error_t *err)
{
    const char *values[3] = {fa_arena_i64(arena, user_id), session_id,
                             fa_arena_i64(arena, organization_id)};
    PGresult *r = fa_db_exec(db, arena, "selection_set", 3, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_FORBIDDEN, "organization_not_eligible",
                            "that organization is not one of yours", NULL);
    return FA_OK;
}
