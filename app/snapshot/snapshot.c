/* Owns: the snapshot query. Never: includes anything of another session
 * (every row is reached through this token hash's session). */
#include "snapshot/snapshot.h"

#include "core/json_text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* One round trip: the session check and every field of the document, in
 * binary and in this column order (fa_snapshot_render reads by position).
 * Organizations arrive as JSON fragments kept with their rows
 * (sql/002_snapshot_fragments.sql), joined in display order. */
enum {
    FA_SNAP_USER_ID,
    FA_SNAP_SESSION_ID,
    FA_SNAP_EXPIRES_AT,
    FA_SNAP_UPDATED_AT,
    FA_SNAP_NOW,
    FA_SNAP_LOGIN,
    FA_SNAP_NAME,
    FA_SNAP_EMAIL,
    FA_SNAP_IMAGE,
    FA_SNAP_ROLE_LABEL,
    FA_SNAP_ELIGIBLE_IDS,
    FA_SNAP_ORGANIZATIONS,
    FA_SNAP_ACTIVE_ORG,
    FA_SNAP_STARTER_STATUS,
    FA_SNAP_STARRED_AT,
    FA_SNAP_SKIPPED_AT,
    FA_SNAP_SYNC_STATUS,
    FA_SNAP_SYNC_UPDATED_AT,
    FA_SNAP_SYNC_ERROR,
};

static const fa_db_statement_t fa_snapshot_statements[] = {
    {"snapshot_load",
     "SELECT s.user_id, s.id, s.expires_at, s.updated_at, now(), p.github_login, u.name, "
     "u.email, u.image, p.role_label, array_to_json(p.eligible_organization_ids::text[])::text, "
     "(SELECT string_agg(o.snapshot_json, ',' ORDER BY o.kind = 'personal' DESC, lower(o.login)) "
     "FROM organizations o WHERE o.id = ANY (p.eligible_organization_ids)), "
     /* An org dropped from the eligible set is no longer active anywhere. */
     "CASE WHEN st.active_organization_id = ANY (p.eligible_organization_ids) "
     "THEN st.active_organization_id END, "
     "p.starter_repo_status, p.starred_at, p.skipped_at, "
     "p.org_sync_status, p.org_sync_updated_at, p.org_sync_error "
     "FROM session_index i "
     "JOIN sessions s ON s.user_id = i.user_id AND s.id = i.session_id "
     "JOIN users u ON u.id = s.user_id "
     "JOIN user_profiles p ON p.user_id = s.user_id "
     "LEFT JOIN session_state st ON st.user_id = s.user_id AND st.session_id = s.id "
     "WHERE i.token_hash = $1 AND s.expires_at > now()",
     1},
};

void fa_snapshot_register_statements(void)
{
    FA_DB_REGISTER(fa_snapshot_statements);
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

static void fa_text(fa_buf_t *b, const PGresult *r, int col)
{
    fa_json_text_string(b, fa_db_bin_text(r, 0, col));
}

static void fa_time(fa_buf_t *b, const PGresult *r, int col)
{
    bool present = !fa_db_bin_null(r, 0, col);
    fa_json_text_time(b, present, present ? fa_db_bin_timestamp_us(r, 0, col) : 0);
}

/* The document of docs/snapshot.md, field by field, in its key order. */
static void fa_snapshot_render(fa_buf_t *b, const PGresult *r, const fa_config_t *cfg,
                               int64_t user_id, const char *session_id)
{
    FA_JSON_RAW(b, "{\"auth\":{\"status\":\"signed_in\",\"currentUserId\":");
    fa_json_text_id(b, user_id);
    FA_JSON_RAW(b, ",\"sessionId\":");
    fa_json_text_string(b, session_id);
    FA_JSON_RAW(b, ",\"expiresAt\":");
    fa_time(b, r, FA_SNAP_EXPIRES_AT);
    FA_JSON_RAW(b, "},\"users\":[{\"id\":");
    fa_json_text_id(b, user_id);
    FA_JSON_RAW(b, ",\"login\":");
    fa_text(b, r, FA_SNAP_LOGIN);
    FA_JSON_RAW(b, ",\"name\":");
    fa_text(b, r, FA_SNAP_NAME);
    FA_JSON_RAW(b, ",\"email\":");
    fa_text(b, r, FA_SNAP_EMAIL);
    FA_JSON_RAW(b, ",\"avatarUrl\":");
    fa_text(b, r, FA_SNAP_IMAGE);
    FA_JSON_RAW(b, ",\"roleLabel\":");
    fa_text(b, r, FA_SNAP_ROLE_LABEL);
    FA_JSON_RAW(b, ",\"eligibleOrganizationIds\":");
    fa_buf_append_cstr(b, fa_db_bin_text(r, 0, FA_SNAP_ELIGIBLE_IDS)); /* array_to_json */
    FA_JSON_RAW(b, "}],\"organizations\":[");
    const char *orgs = fa_db_bin_text(r, 0, FA_SNAP_ORGANIZATIONS); /* NULL: none */
    if (orgs)
        fa_buf_append_cstr(b, orgs);
    FA_JSON_RAW(b, "],\"activeOrganizationId\":");
    if (fa_db_bin_null(r, 0, FA_SNAP_ACTIVE_ORG))
        FA_JSON_RAW(b, "null");
    else
        fa_json_text_id(b, fa_db_bin_int8(r, 0, FA_SNAP_ACTIVE_ORG));
    FA_JSON_RAW(b, ",\"onboarding\":{\"starterRepo\":{\"repo\":");
    fa_json_text_string(b, cfg->starter_repo);
    FA_JSON_RAW(b, ",\"status\":");
    fa_text(b, r, FA_SNAP_STARTER_STATUS);
    FA_JSON_RAW(b, ",\"starredAt\":");
    fa_time(b, r, FA_SNAP_STARRED_AT);
    FA_JSON_RAW(b, ",\"skippedAt\":");
    fa_time(b, r, FA_SNAP_SKIPPED_AT);
    FA_JSON_RAW(b, "}},\"sync\":{\"organizations\":{\"status\":");
    fa_text(b, r, FA_SNAP_SYNC_STATUS);
    FA_JSON_RAW(b, ",\"updatedAt\":");
    fa_time(b, r, FA_SNAP_SYNC_UPDATED_AT);
    FA_JSON_RAW(b, ",\"error\":");
    fa_text(b, r, FA_SNAP_SYNC_ERROR);
    FA_JSON_RAW(b, "}}}");
}

fa_status_t fa_snapshot_load(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             const uint8_t hash[FA_SHA256_LEN], fa_snapshot_t *out,
                             fa_error_t *err)
{
    const char *values[1] = {(const char *)hash};
    const int lengths[1] = {FA_SHA256_LEN};
    const int formats[1] = {1};
    PGresult *r = fa_db_exec_binary(db, arena, "snapshot_load", 1, values, lengths, formats, err);
    if (!r)
        return err->status;
    memset(out, 0, sizeof(*out));
    if (PQntuples(r) != 1)
        return FA_OK;
    char *session_id = fa_arena_alloc(arena, 37);
    fa_db_bin_uuid(r, 0, FA_SNAP_SESSION_ID, session_id);
    out->signed_in = true;
    out->user_id = fa_db_bin_int8(r, 0, FA_SNAP_USER_ID);
    out->session_id = session_id;
    int64_t idle_us = fa_db_bin_timestamp_us(r, 0, FA_SNAP_NOW) -
                      fa_db_bin_timestamp_us(r, 0, FA_SNAP_UPDATED_AT);
    out->session_age = (long)((idle_us + 500000) / 1000000);
    fa_buf_t doc;
    fa_buf_init(&doc, arena, 2048 + (size_t)PQgetlength(r, 0, FA_SNAP_ORGANIZATIONS));
    fa_snapshot_render(&doc, r, cfg, out->user_id, session_id);
    out->json = doc.data;
    out->json_len = doc.len;
    return FA_OK;
}
