/* Sessions and the session index (PRODUCT.md sections 3 and 5). Owns the
 * sessions, session_index and session_state tables.
 *
 * The client holds `token.signature`; the database holds SHA-256(token) in
 * session_index, never the token. A session check is one prepared statement
 * joining session_index, sessions, users and user_profiles by that hash.
 * Creation and removal touch sessions and session_index in one statement or
 * transaction, and the foreign keys cascade, so the index and the sessions
 * never disagree. */
#ifndef FA_AUTH_SESSION_H
#define FA_AUTH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "crypto/hash.h"
#include "crypto/signed_token.h"
#include "db/db.h"

typedef struct {
    int64_t user_id;
    const char *id; /* public uuid */
    const char *expires_at; /* ISO 8601 UTC */
    const char *created_at;
    long expires_in;        /* seconds from now */
    bool needs_refresh;     /* sliding expiry due (older than the update age) */
    /* Unix seconds of the GitHub sign-in that created this session (the JWT
     * auth_time claim). From fa_session_create, fa_session_check_auth_time
     * and fa_session_load*; 0 from fa_session_check and the cookie cache. */
    int64_t auth_time;
    uint8_t token_hash[FA_SHA256_LEN];
    /* The user, from the same round trip. login always; the rest and
     * created_at only from fa_session_load*, not fa_session_check. */
    const char *login;
    const char *name;
    const char *email;
    const char *image;
    const char *role_label;
} fa_session_t;

typedef struct {
    int64_t user_id;
    const char *ip;
    const char *user_agent;
} fa_session_params_t;

void fa_session_register_statements(void);

/* Looks the session up by the hash of a verified token: one round trip.
 * FA_ERR_UNAUTHORIZED when there is none or it expired. */
/* The identity only (user id, login, session id, expiry): what nginx's
 * auth_request asks for on every request, without the users join. */
fa_status_t fa_session_check(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             const uint8_t hash[FA_SHA256_LEN], fa_session_t *out, fa_error_t *err);
/* fa_session_check plus auth_time, for the few routes that judge how
 * recent the sign-in was (token issue): the same single round trip. */
fa_status_t fa_session_check_auth_time(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                       const uint8_t hash[FA_SHA256_LEN], fa_session_t *out,
                                       fa_error_t *err);
/* The session and its user's profile. */
fa_status_t fa_session_load(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                            const uint8_t hash[FA_SHA256_LEN], fa_session_t *out, fa_error_t *err);

/* Inside a transaction: the same lookup with FOR KEY SHARE on the session
 * row. A concurrent revoke (DELETE) waits for us or we see it gone, so no
 * write made with a revoked token commits after the revocation did
 * (invariant 1). */
fa_status_t fa_session_load_locked(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                                   const uint8_t hash[FA_SHA256_LEN], fa_session_t *out,
                                   fa_error_t *err);

/* Why a verified token found no session: *expired true when its session
 * still exists but expired, false when it is gone (revoked, signed out, or
 * expired and collected). Runs only on that failure path, never on the hot
 * path. */
fa_status_t fa_session_explain(fa_db_t *db, fa_arena_t *arena, const uint8_t hash[FA_SHA256_LEN],
                               bool *expired, fa_error_t *err);

/* Sliding expiry: pushes expires_at to now + ttl, capped by the absolute
 * lifetime, and updates *s. At most once per update age (the caller checks
 * needs_refresh). */
fa_status_t fa_session_extend(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                              fa_session_t *s, fa_error_t *err);

/* Inside the caller's transaction: a new session (fresh uuid, fresh token)
 * with its index and state rows, in one statement. *client_value is what the
 * cookie carries. */
fa_status_t fa_session_create(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                              const fa_hmac_keys_t *keys, const fa_session_params_t *params,
                              char **client_value, fa_session_t *out, fa_error_t *err);

/* Deletes one session of the user (index and state cascade). FA_ERR_NOT_FOUND
 * when the user has no such session. */
fa_status_t fa_session_revoke(fa_db_t *db, fa_arena_t *arena, int64_t user_id,
                              const char *session_id, fa_error_t *err);
/* Deletes every session of the user; *count says how many. */
fa_status_t fa_session_revoke_all(fa_db_t *db, fa_arena_t *arena, int64_t user_id, long *count,
                                  fa_error_t *err);

/* One session as its owner or an operator sees it. Timestamps in the API
 * format (core/timefmt); ip and user_agent NULL when not recorded. */
typedef struct {
    char id[37]; /* public uuid */
    const char *created_at;
    const char *updated_at;
    const char *expires_at;
    const char *ip;
    const char *user_agent;
} fa_session_row_t;

typedef struct {
    fa_session_row_t *rows; /* arena */
    size_t count;
} fa_session_rows_t;

/* The user's live sessions, newest first (at most 100), in the arena. On
 * failure *out is empty. */
fa_status_t fa_session_list(fa_db_t *db, fa_arena_t *arena, int64_t user_id, fa_session_rows_t *out,
                            fa_error_t *err);

/* True when the text is a canonical lower-case uuid (checked before SQL). */
bool fa_session_id_valid(const char *id, size_t len);

#endif
