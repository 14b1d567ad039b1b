/* Owns: the snapshot query. Never: includes anything of another session
 * (every row is reached through this token hash's session). */
#include "snapshot/snapshot.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define FA_ISO(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static const fa_db_statement_t fa_snapshot_statements[] = {
    {"snapshot_load",
     "SELECT s.user_id, s.id AS session_id, "
     "extract(epoch FROM now() - s.updated_at)::bigint AS age, json_build_object("
     "'auth', json_build_object('status', 'signed_in', 'currentUserId', s.user_id::text, "
     "'sessionId', s.id, 'expiresAt', " FA_ISO("s.expires_at") "), "
     "'users', json_build_array(json_build_object('id', u.id::text, 'login', p.github_login, "
     "'name', u.name, 'email', u.email, 'avatarUrl', u.image, 'roleLabel', p.role_label, "
     "'eligibleOrganizationIds', (SELECT coalesce(json_agg(e.id::text ORDER BY e.ord), '[]') "
     "FROM unnest(p.eligible_organization_ids) WITH ORDINALITY AS e(id, ord)))), "
     "'organizations', (SELECT coalesce(json_agg(json_build_object('id', o.id::text, "
     "'login', o.login, 'name', o.name, 'avatarUrl', o.avatar_url, 'kind', o.kind) "
     "ORDER BY o.kind = 'personal' DESC, lower(o.login)), '[]') FROM organizations o "
     "WHERE o.id = ANY (p.eligible_organization_ids)), "
     /* An org dropped from the eligible set is no longer active anywhere. */
     "'activeOrganizationId', CASE WHEN st.active_organization_id = "
     "ANY (p.eligible_organization_ids) THEN st.active_organization_id::text END, "
     "'onboarding', json_build_object('starterRepo', json_build_object('repo', $2::text, "
     "'status', p.starter_repo_status, 'starredAt', " FA_ISO("p.starred_at") ", "
     "'skippedAt', " FA_ISO("p.skipped_at") ")), "
     "'sync', json_build_object('organizations', json_build_object('status', "
     "p.org_sync_status, 'updatedAt', " FA_ISO("p.org_sync_updated_at") ", "
     "'error', p.org_sync_error)))::text AS snapshot "
     "FROM session_index i "
     "JOIN sessions s ON s.user_id = i.user_id AND s.id = i.session_id "
     "JOIN users u ON u.id = s.user_id "
     "JOIN user_profiles p ON p.user_id = s.user_id "
     "LEFT JOIN session_state st ON st.user_id = s.user_id AND st.session_id = s.id "
     "WHERE i.token_hash = $1 AND s.expires_at > now()",
     2},
};

void fa_snapshot_register_statements(void)
{
    fa_db_register(fa_snapshot_statements, 1);
}

char *fa_snapshot_signed_out(const fa_config_t *cfg)
{
    json_t *doc = json_pack(
        "{s:{s:s,s:n,s:n,s:n},s:[],s:[],s:n,s:{s:{s:s?,s:n,s:n,s:n}},s:{s:{s:n,s:n,s:n}}}",
        "auth", "status", "signed_out", "currentUserId", "sessionId", "expiresAt", "users",
        "organizations", "activeOrganizationId", "onboarding", "starterRepo", "repo",
        cfg->starter_repo, "status", "starredAt", "skippedAt", "sync", "organizations", "status",
        "updatedAt", "error");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        abort();
    return text;
}

fa_status_t fa_snapshot_load(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             const uint8_t hash[FA_SHA256_LEN], fa_snapshot_t *out,
                             fa_error_t *err)
{
    const char *values[2] = {(const char *)hash, cfg->starter_repo};
    const int lengths[2] = {FA_SHA256_LEN, 0};
    const int formats[2] = {1, 0};
    PGresult *r = fa_db_exec_params(db, arena, "snapshot_load", 2, values, lengths, formats, err);
    if (!r)
        return err->status;
    memset(out, 0, sizeof(*out));
    if (PQntuples(r) != 1)
        return FA_OK;
    out->signed_in = true;
    out->json = fa_db_value(r, 0, "snapshot");
    out->json_len = strlen(out->json);
    out->user_id = fa_db_value_ll(r, 0, "user_id", 0);
    out->session_id = fa_db_value(r, 0, "session_id");
    out->session_age = (long)fa_db_value_ll(r, 0, "age", 0);
    return FA_OK;
}
