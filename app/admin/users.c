/* Owns: the operator's queries on users, profiles' role labels and the
 * revocation of another user's sessions. Never: builds SQL from input (the
 * search pattern is a bound parameter with its LIKE wildcards escaped). */
#include "admin/users.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/session.h"
#include "core/str.h"

static const fa_db_statement_t fa_admin_user_statements[] = {
    /* $1 the query as typed, $2 its LIKE-escaped lower-case prefix pattern.
     * A sequential scan at worst, bounded by the LIMIT: an operator tool. */
    {"admin_users_search",
     "SELECT u.id::text AS id, p.github_login AS login, u.name, u.email, p.role_label, "
     "u.created_at FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id "
     "WHERE $1 = '' OR lower(p.github_login) LIKE $2 OR lower(u.email) LIKE $2 "
     "OR u.id::text = $1 ORDER BY p.github_login NULLS LAST, u.id LIMIT $3::int",
     3},
    {"admin_user_exists", "SELECT 1 AS found FROM users WHERE id = $1", 1},
    {"admin_role_label_set",
     "UPDATE user_profiles SET role_label = $2, updated_at = now() WHERE user_id = $1 "
     "RETURNING user_id",
     2},
};

void fa_admin_users_register_statements(void)
{
    FA_DB_REGISTER(fa_admin_user_statements);
}

bool fa_admin_parse_user_id(fa_str_t text, int64_t *out)
{
    if (!text.ptr || text.len == 0 || text.len > 19 || text.ptr[0] == '0')
        return false;
    long long v = 0;
    for (size_t i = 0; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9')
            return false;
        if (v > (9223372036854775807LL - (text.ptr[i] - '0')) / 10)
            return false;
        v = v * 10 + (text.ptr[i] - '0');
    }
    *out = v;
    return true;
}

bool fa_admin_role_label_valid(const char *label)
{
    size_t len = strlen(label);
    if (len == 0 || len > FA_ROLE_LABEL_MAX || !fa_utf8_valid(label, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)label[i] < 0x20 || label[i] == 0x7F)
            return false;
    return true;
}

/* lower-case is SQL's job; here only '\', '%' and '_' lose their meaning. */
static char *fa_like_prefix(fa_arena_t *arena, const char *query)
{
    fa_buf_t buf;
    fa_buf_init(&buf, arena, strlen(query) * 2 + 2);
    for (const char *p = query; *p; p++) {
        if (*p == '\\' || *p == '%' || *p == '_')
            fa_buf_append_char(&buf, '\\');
        fa_buf_append_char(&buf, *p);
    }
    fa_buf_append_char(&buf, '%');
    return fa_buf_cstr(&buf);
}

/* Binary columns (timestamps as instants, formatted by core/timefmt), read
 * by name. */
static void fa_admin_user_rows(fa_arena_t *arena, const PGresult *r, fa_admin_user_rows_t *out)
{
    int n = PQntuples(r);
    int id = fa_db_col(r, "id"), login = fa_db_col(r, "login"), name = fa_db_col(r, "name"),
        email = fa_db_col(r, "email"), role = fa_db_col(r, "role_label"),
        created = fa_db_col(r, "created_at");
    out->rows = fa_arena_alloc(arena, (size_t)(n > 0 ? n : 1) * sizeof(*out->rows));
    for (int i = 0; i < n; i++) {
        fa_admin_user_row_t *row = &out->rows[i];
        row->id = fa_db_bin_text(r, i, id);
        row->login = fa_db_bin_text(r, i, login);
        row->name = fa_db_bin_text(r, i, name);
        row->email = fa_db_bin_text(r, i, email);
        row->role_label = fa_db_bin_text(r, i, role);
        row->created_at = fa_db_bin_time_iso(arena, r, i, created);
    }
    out->count = (size_t)n;
}

fa_status_t fa_admin_users_search(fa_db_t *db, fa_arena_t *arena, const char *query, int limit,
                                  fa_admin_user_rows_t *out, fa_error_t *err)
{
    out->rows = NULL;
    out->count = 0;
    if (strlen(query) > FA_ADMIN_QUERY_MAX || !fa_utf8_valid(query, strlen(query)))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_query",
                            "query must be UTF-8 text of at most 100 bytes", NULL);
    if (limit < 1 || limit > FA_ADMIN_SEARCH_LIMIT)
        limit = FA_ADMIN_SEARCH_LIMIT;
    char *pattern = fa_like_prefix(arena, query);
    for (char *p = pattern; *p; p++) /* ASCII lower-case; SQL lower() does the rest */
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *values[3] = {query, pattern, fa_arena_sprintf(arena, "%d", limit)};
    PGresult *r = fa_db_exec_binary(db, arena, "admin_users_search", 3, values, NULL, NULL, err);
    if (!r)
        return err->status;
    fa_admin_user_rows(arena, r, out);
    return FA_OK;
}

fa_status_t fa_admin_user_exists(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_error_t *err)
{
    const char *values[1] = {fa_arena_i64(arena, user_id)};
    PGresult *r = fa_db_exec(db, arena, "admin_user_exists", 1, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "user_not_found", "no such user", NULL);
    return FA_OK;
}

fa_status_t fa_admin_sessions_revoke(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                                     const char *session_id, const char *actor, const char *ip,
                                     long *count, fa_error_t *err)
{
    fa_status_t st;
    json_t *detail;
    if (session_id) {
        st = fa_session_revoke(db, arena, user_id, session_id, err);
        *count = st == FA_OK ? 1 : 0;
        detail = json_pack("{s:b}", "all", 0);
    } else {
        st = fa_session_revoke_all(db, arena, user_id, count, err);
        detail = json_pack("{s:b,s:I}", "all", 1, "sessions", (json_int_t)*count);
    }
    if (st == FA_OK)
        st = fa_audit_record(db, arena, "session_revoked", user_id, session_id, actor, ip, detail,
                             err);
    json_decref(detail);
    return st;
}

fa_status_t fa_admin_role_label_set(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                                    const char *label, const char *actor, const char *ip,
                                    fa_error_t *err)
{
    if (label && !fa_admin_role_label_valid(label))
        return fa_error_set(err, FA_ERR_BAD_REQUEST, "invalid_role_label",
                            "roleLabel must be 1 to 64 characters without control characters",
                            NULL);
    const char *values[2] = {fa_arena_i64(arena, user_id), label};
    PGresult *r = fa_db_exec(db, arena, "admin_role_label_set", 2, values, err);
    if (!r)
        return err->status;
    if (PQntuples(r) != 1)
        return fa_error_set(err, FA_ERR_NOT_FOUND, "user_not_found", "no such user profile", NULL);
    json_t *detail = json_pack("{s:s?}", "roleLabel", label);
    fa_status_t st =
        fa_audit_record(db, arena, "role_label_set", user_id, NULL, actor, ip, detail, err);
    json_decref(detail);
    return st;
}
