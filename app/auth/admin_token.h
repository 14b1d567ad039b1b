/* The operator's admin token (invariant 7). Owns the admin_tokens table.
 *
 * A token is "fa_admin_" + base64url(32 bytes from the CSPRNG): shown once,
 * stored only as HMAC-SHA256 of the whole string under a key derived from
 * FOUNDRY_AUTH_SECRET (FA_KDF_LABEL_ADMIN_TOKEN). A plain hash would let
 * anyone who can write to the database insert the hash of a token they
 * made up and become admin; the key never reaches the database. With
 * several secrets (rotation) the token is checked under each secret's key
 * and written under the first one's.
 *
 * Checking one is a lookup by its MACs followed by a constant-time
 * comparison. Why a lookup by MAC is constant-time enough: the index
 * comparison may take longer the more leading bytes of a candidate MAC
 * match a stored one, so timing could at best reveal a prefix of a *MAC*,
 * which says nothing about the token or the key. The returned value is
 * compared with fa_ct_equal anyway, so a collation or index quirk can never
 * accept a near miss.
 *
 * Upgrading from plain SHA-256 rows: there is no legacy path. A stored
 * SHA-256 never matches, so after upgrading the operator runs `foundry-auth
 * admin token rotate` (the CLI needs no token) and uses the new token.
 *
 * Rotation revokes the old token and inserts the new one in one
 * transaction, and returns only after COMMIT: when the caller sees the new
 * token, the old one is already refused everywhere. */
#ifndef FA_AUTH_ADMIN_TOKEN_H
#define FA_AUTH_ADMIN_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "crypto/hash.h"
#include "crypto/signed_token.h"
#include "db/db.h"

#define FA_ADMIN_TOKEN_PREFIX "fa_admin_"
#define FA_ADMIN_TOKEN_RAW_LEN 32
#define FA_ADMIN_TOKEN_LEN (sizeof(FA_ADMIN_TOKEN_PREFIX) - 1 + 43)

/* The token's MAC under each configured secret: every one may be what is
 * stored (secret rotation), macs[0] is what is written. */
typedef struct {
    uint8_t macs[FA_HMAC_KEYS_MAX][FA_SHA256_LEN];
    size_t count;
} fa_admin_token_macs_t;

void fa_admin_token_register_statements(void);

/* The MAC keys: fa_hmac_keys_init_purpose(FA_KDF_LABEL_ADMIN_TOKEN).
 * Wipe with fa_hmac_keys_clear(). */
bool fa_admin_token_keys_init(fa_hmac_keys_t *keys, const char *const *secrets, size_t n);

/* A new token (NUL-terminated arena string) and its MAC under keys[0]. */
void fa_admin_token_generate(const fa_hmac_keys_t *keys, fa_arena_t *arena, char **token,
                             uint8_t mac[FA_SHA256_LEN]);

/* True when token has our exact shape (prefix, 43 base64url characters);
 * then macs holds its MAC under each key. No database access. */
bool fa_admin_token_macs(const fa_hmac_keys_t *keys, fa_str_t token, fa_admin_token_macs_t *macs);

/* The bearer value of an "Authorization: Bearer fa_admin_..." header value,
 * MACed; false when it is not one. */
bool fa_admin_token_from_authorization(const fa_hmac_keys_t *keys, fa_str_t header,
                                       fa_admin_token_macs_t *macs);

/* FA_OK when one of macs names an unrevoked token. With lock (inside a
 * transaction) the row is held FOR SHARE, so a concurrent rotation either
 * waits for the caller's commit or is seen (invariant 1 for admin writes).
 * FA_ERR_UNAUTHORIZED otherwise. */
fa_status_t fa_admin_token_check(fa_db_t *db, fa_arena_t *arena, const fa_admin_token_macs_t *macs,
                                 bool lock, fa_error_t *err);

/* Inserts a first token, MACed under keys[0]. FA_ERR_CONFLICT when an
 * unrevoked token exists (use rotate). *token is shown to the operator
 * once. */
fa_status_t fa_admin_token_create(fa_db_t *db, fa_arena_t *arena, const fa_hmac_keys_t *keys,
                                  char **token, fa_error_t *err);

/* In one transaction: revokes every unrevoked token and inserts a new one
 * (MACed under keys[0]), with an audit event. old, when not NULL, must name
 * an unrevoked token (checked under a row lock inside the transaction;
 * FA_ERR_UNAUTHORIZED otherwise), which is how the HTTP route proves
 * possession. Returns after COMMIT. */
fa_status_t fa_admin_token_rotate(fa_db_t *db, fa_arena_t *arena, const fa_hmac_keys_t *keys,
                                  const fa_admin_token_macs_t *old, const char *actor,
                                  const char *ip, char **token, fa_error_t *err);

#endif
