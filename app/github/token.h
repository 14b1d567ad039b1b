/* The user's GitHub tokens at rest (accounts.access_token_enc and
 * refresh_token_enc, sealed with services->token_ring under the aad
 * "accounts:github:<user id>:access" / ":refresh", as sign-in writes them).
 * Used by background work (org sync) and the starter-repo star. Never: a
 * token in SQL text, a log line or an error; decrypted tokens live in the
 * caller's arena and are wiped when it is reset. */
#ifndef FA_GITHUB_TOKEN_H
#define FA_GITHUB_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/keyring.h"
#include "db/db.h"
#include "github/client.h"

typedef struct {
    const char *access_token;  /* NUL-terminated, in the arena */
    const char *refresh_token; /* NULL when GitHub issued none (non-expiring tokens) */
    bool access_expired;       /* access_token_expires_at has passed (or is within a minute) */
} fa_github_token_t;

void fa_github_token_register_statements(void);

/* Error codes of this module, compared by identity (fa_error_is). */
extern const char fa_github_token_err_missing[];    /* "github_token_missing" */
extern const char fa_github_token_err_unreadable[]; /* "github_token_unreadable" */

/* The user's decrypted tokens. FA_ERR_NOT_FOUND fa_github_token_err_missing
 * when there is no account row or no access token; FA_ERR_INTERNAL
 * fa_github_token_err_unreadable when no configured secret opens it (the
 * secret that sealed it was removed from FOUNDRY_AUTH_SECRET). */
fa_status_t fa_github_token_load(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                 int64_t user_id, fa_github_token_t *out, fa_error_t *err);

/* Seals and stores a refreshed pair (GitHub rotates both, so the old refresh
 * token is dead: call this right after fa_github_refresh_token, in its own
 * transaction, before anything else can fail). */
fa_status_t fa_github_token_store(fa_db_t *db, fa_arena_t *arena, const fa_keyring_t *ring,
                                  int64_t user_id, const fa_github_tokens_t *tokens,
                                  fa_error_t *err);

#endif
