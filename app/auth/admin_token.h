/* The operator's admin token (invariant 7). Owns the admin_tokens table.
 *
 * A token is "fa_admin_" + base64url(32 bytes from the CSPRNG): shown once,
 * stored only as SHA-256 of the whole string. Checking one is a lookup by
 * that hash followed by a constant-time comparison of the hashes.
 *
 * Why a lookup by hash is constant-time enough: the index comparison may
 * take longer the more leading bytes of SHA-256(candidate) match a stored
 * hash, so timing could at best reveal a prefix of the *hash*. Turning that
 * into the token needs a SHA-256 preimage of a 256-bit random secret, which
 * timing does not help with; the token itself is never compared
 * byte-by-byte anywhere. The returned hash is compared with fa_ct_equal
 * anyway, so a collation or index quirk can never accept a near miss.
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
#include "db/db.h"

#define FA_ADMIN_TOKEN_PREFIX "fa_admin_"
#define FA_ADMIN_TOKEN_RAW_LEN 32
#define FA_ADMIN_TOKEN_LEN (sizeof(FA_ADMIN_TOKEN_PREFIX) - 1 + 43)

void fa_admin_token_register_statements(void);

/* A new token (NUL-terminated arena string) and its hash. */
void fa_admin_token_generate(fa_arena_t *arena, char **token, uint8_t hash[FA_SHA256_LEN]);

/* True when token has our exact shape (prefix, 43 base64url characters);
 * then hash is its SHA-256. No database access. */
bool fa_admin_token_hash(fa_str_t token, uint8_t hash[FA_SHA256_LEN]);

/* The bearer value of an "Authorization: Bearer fa_admin_..." header value,
 * hashed; false when it is not one. */
bool fa_admin_token_from_authorization(fa_str_t header, uint8_t hash[FA_SHA256_LEN]);

/* FA_OK when hash names an unrevoked token. With lock (inside a
 * transaction) the row is held FOR SHARE, so a concurrent rotation either
 * waits for the caller's commit or is seen (invariant 1 for admin writes).
 * FA_ERR_UNAUTHORIZED otherwise. */
fa_status_t fa_admin_token_check(fa_db_t *db, fa_arena_t *arena, const uint8_t hash[FA_SHA256_LEN],
                                 bool lock, fa_error_t *err);

/* Inserts a first token. FA_ERR_CONFLICT when an unrevoked token exists
 * (use rotate). *token is shown to the operator once. */
fa_status_t fa_admin_token_create(fa_db_t *db, fa_arena_t *arena, char **token, fa_error_t *err);

/* In one transaction: revokes every unrevoked token and inserts a new one,
 * with an audit event. old_hash, when not NULL, must name an unrevoked token
 * (checked under a row lock inside the transaction; FA_ERR_UNAUTHORIZED
 * otherwise), which is how the HTTP route proves possession. Returns after
 * COMMIT. */
fa_status_t fa_admin_token_rotate(fa_db_t *db, fa_arena_t *arena, const uint8_t *old_hash,
                                  const char *actor, const char *ip, char **token, fa_error_t *err);

#endif
