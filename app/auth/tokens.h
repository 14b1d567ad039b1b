/* JWTs for the caller's session: issuing one and answering whether one is
 * still good (PRODUCT.md section 4). Joins the pure JWT code (auth/jwt.h),
 * the signing keys (auth/signing_keys.h) and the session tables. */
#ifndef FA_AUTH_TOKENS_H
#define FA_AUTH_TOKENS_H

#include <jansson.h>

#include "auth/session.h"
#include "auth/signing_keys.h"
#include "core/config.h"
#include "db/db.h"

void fa_tokens_register_statements(void);

/* fa_tokens_issue's error code when the audience's max_auth_age has passed
 * since the session's GitHub sign-in; compare err.code with it by identity.
 * Only a new sign-in (a new session, with a new auth_time) cures it. */
extern const char fa_tokens_reauthentication_required[];

/* A token for session s, carrying s->auth_time as its auth_time claim (s
 * must come from a lookup that reads it: aborts on 0). Refuses
 * (FA_ERR_FORBIDDEN, audience_not_allowed) an audience outside
 * FOUNDRY_JWT_AUDIENCES, (FA_ERR_BAD_REQUEST, invalid_scope) a scope
 * fa_jwt_scope_valid rejects and (FA_ERR_UNAUTHORIZED,
 * fa_tokens_reauthentication_required) a sign-in older than the audience's
 * max_auth_age. *token and *expires_in on success. */
fa_status_t fa_tokens_issue(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                            fa_signing_keys_cache_t *keys, const fa_session_t *s,
                            const char *audience, const char *scope, char **token, long *expires_in,
                            fa_error_t *err);

/* fa_tokens_verify's error code for an audience outside
 * FOUNDRY_JWT_AUDIENCES; compare err.code with it by identity. */
extern const char fa_tokens_unknown_audience[];

/* Verifies token for the audience the caller says it is: signature under a
 * published key, our claims with aud equal to audience, and a session that
 * still exists (one lookup by user id and session id, done last and only for
 * an otherwise valid token). FA_ERR_BAD_REQUEST (fa_tokens_unknown_audience)
 * when audience is not in FOUNDRY_JWT_AUDIENCES, before the token is looked
 * at; FA_ERR_UNAUTHORIZED with code token_expired, invalid_token (also a
 * token for another audience) or session_revoked; FA_ERR_UNAVAILABLE when
 * the database is down. On FA_OK *claims is the verified claim set (released
 * with the arena). */
fa_status_t fa_tokens_verify(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             fa_signing_keys_cache_t *keys, fa_str_t token, const char *audience,
                             json_t **claims, fa_error_t *err);

#endif
