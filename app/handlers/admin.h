/* The admin API (PRODUCT.md section 4, "Admin"): bearer admin token, never a
 * session. Routes run with no session flag; each handler authenticates the
 * admin token itself (handlers/admin.c). */
#ifndef FA_HANDLERS_ADMIN_H
#define FA_HANDLERS_ADMIN_H

#include "handlers/context.h"

fa_status_t fa_handle_admin_token_rotate(fa_ctx_t *ctx,
                                         fa_error_t *err); /* POST /v1/admin/token/rotate */
fa_status_t fa_handle_admin_users_search(fa_ctx_t *ctx,
                                         fa_error_t *err); /* GET /v1/admin/users?query= */
fa_status_t fa_handle_admin_sessions_list(fa_ctx_t *ctx,
                                          fa_error_t *err); /* GET .../users/{id}/sessions */
fa_status_t fa_handle_admin_session_revoke(fa_ctx_t *ctx,
                                           fa_error_t *err); /* DELETE .../sessions/{sid} */
fa_status_t fa_handle_admin_sessions_revoke_all(fa_ctx_t *ctx,
                                                fa_error_t *err); /* DELETE .../sessions */
fa_status_t fa_handle_admin_role_label(fa_ctx_t *ctx,
                                       fa_error_t *err); /* PUT .../users/{id}/role-label */

#endif
