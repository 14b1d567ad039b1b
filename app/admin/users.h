/* Operator actions on users and their sessions, shared by the admin HTTP
 * API (handlers/admin.c) and the `foundry-auth admin` commands. Every
 * change records an audit event in the same transaction as the change
 * (the caller's, which commits before anything is reported). */
#ifndef FA_ADMIN_USERS_H
#define FA_ADMIN_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "db/db.h"

#define FA_ADMIN_QUERY_MAX 100
#define FA_ADMIN_SEARCH_LIMIT 50
#define FA_ROLE_LABEL_MAX 64

void fa_admin_users_register_statements(void);

/* A positive decimal user id (what the API's ids are); false otherwise. */
bool fa_admin_parse_user_id(fa_str_t text, int64_t *out);

/* A role label: 1..FA_ROLE_LABEL_MAX bytes of UTF-8 without control
 * characters. */
bool fa_admin_role_label_valid(const char *label);

/* A user as the operator sees it. id is the decimal GitHub id; login and
 * role_label come from the profile and, like name and email, are NULL when
 * absent. created_at in the API format (core/timefmt). */
typedef struct {
    const char *id;
    const char *login;
    const char *name;
    const char *email;
    const char *role_label;
    const char *created_at;
} fa_admin_user_row_t;

typedef struct {
    fa_admin_user_row_t *rows; /* arena */
    size_t count;
} fa_admin_user_rows_t;

/* Users whose login or email starts with query (case-insensitive; LIKE
 * wildcards in query are literal) or whose id is query; all users for "".
 * At most limit (1..FA_ADMIN_SEARCH_LIMIT) rows, in the arena, ordered by
 * login. FA_ERR_BAD_REQUEST for a query over FA_ADMIN_QUERY_MAX bytes. On
 * failure *out is empty. */
fa_status_t fa_admin_users_search(fa_db_t *db, fa_arena_t *arena, const char *query, int limit,
                                  fa_admin_user_rows_t *out, fa_error_t *err);

/* FA_ERR_NOT_FOUND (user_not_found) when there is no such user. */
fa_status_t fa_admin_user_exists(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_error_t *err);

/* Inside the caller's transaction: revokes one session of the user
 * (session_id) or all of them (session_id NULL; *count says how many), with
 * an audit event by actor. FA_ERR_NOT_FOUND for an unknown session. */
fa_status_t fa_admin_sessions_revoke(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                                     const char *session_id, const char *actor, const char *ip,
                                     long *count, fa_error_t *err);

/* Inside the caller's transaction: sets (label NULL: clears) the profile's
 * role label, with an audit event. FA_ERR_NOT_FOUND when the user has no
 * profile. */
fa_status_t fa_admin_role_label_set(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                                    const char *label, const char *actor, const char *ip,
                                    fa_error_t *err);

#endif
