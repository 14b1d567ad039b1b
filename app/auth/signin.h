/* The sign-in transaction: everything a successful sign-in writes, in ONE
 * transaction — user (keyed by the GitHub numeric id, refreshed on every
 * sign-in), account (GitHub tokens encrypted at rest), profile (current
 * login), the personal organization, a new session with its index and state,
 * an audit event and the org-sync job. Either all of it commits or none. */
#ifndef FA_AUTH_SIGNIN_H
#define FA_AUTH_SIGNIN_H

#include "auth/session.h"
#include "github/client.h"
#include "services/services.h"

/* Extra work inside the same transaction once the session exists (the OAuth
 * flow marks its verification row completed here). */
typedef fa_status_t (*fa_signin_hook_fn)(fa_db_t *db, fa_arena_t *arena, void *ctx,
                                         const fa_session_t *session, const char *client_value,
                                         fa_error_t *err);

typedef struct {
    const fa_github_user_t *user;
    bool email_verified;       /* from /user/emails; false when unknown */
    const char *access_token;  /* GitHub's; sealed before it reaches SQL */
    const char *refresh_token; /* may be NULL */
    const char *scope;
    long expires_in;           /* 0 = does not expire */
    long refresh_expires_in;
    const char *ip;
    const char *user_agent;
    const char *method;        /* "github" or "dev_bootstrap", for the audit trail */
    fa_signin_hook_fn hook;    /* may be NULL */
    void *hook_ctx;
} fa_signin_t;

void fa_signin_register_statements(void);

/* Commits the sign-in. On FA_OK, *client_value is the new session's cookie
 * value and *session describes it; on failure nothing was written. */
fa_status_t fa_signin_commit(fa_db_t *db, fa_arena_t *arena, const fa_services_t *services,
                             const fa_signin_t *in, char **client_value, fa_session_t *session,
                             fa_error_t *err);

#endif
