/* `foundry-auth keys reseal` and the sealed-value part of `admin check`:
 * which configured secret each long-lived sealed value needs, and moving them
 * all under the first (newest) one so an older secret can be dropped.
 *
 * Covered: accounts.access_token_enc / refresh_token_enc (token ring) and
 * signing_keys.private_key_enc (JWT key ring). Not covered: the verification
 * table, whose rows expire after ten minutes (FA_OAUTH_TTL_SECONDS) and whose
 * session_token_enc only the browser's cookie could re-derive a key for. */
#ifndef FA_ADMIN_RESEAL_H
#define FA_ADMIN_RESEAL_H

#include <stdio.h>

#include "core/config.h"
#include "crypto/keyring.h"
#include "db/db.h"

typedef struct {
    /* Values whose key id is that of secret i (position in FOUNDRY_AUTH_SECRET). */
    long long by_secret[FA_KEYRING_MAX];
    long long legacy;  /* format 1: names no key; any secret may be the one */
    long long unknown; /* a key id no configured secret has: nothing here opens it */
} fa_reseal_counts_t;

typedef struct {
    long long resealed;   /* rewritten under secret 1 */
    long long unreadable; /* no configured secret opens it (left as it is) */
    long long raced;      /* changed concurrently (a sign-in wrote it): left to the writer */
} fa_reseal_result_t;

void fa_reseal_register_statements(void);

/* Counts every covered sealed value by the secret it needs (one scan per
 * column, no lock beyond a plain SELECT). */
fa_status_t fa_reseal_count(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena,
                            fa_reseal_counts_t *out, fa_error_t *err);

/* Re-encrypts every covered value not already under secret 1, in batches of
 * FA_RESEAL_BATCH rows, each one short transaction; each row's UPDATE is
 * guarded by the old value, so a concurrent write always wins. Idempotent:
 * a second run rewrites nothing. On error, batches committed so far stay. */
#define FA_RESEAL_BATCH 100
fa_status_t fa_reseal_run(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena,
                          fa_reseal_result_t *out, fa_error_t *err);

/* True when secret position i (0-based, > 0) can be dropped: nothing counted
 * needs it, and no legacy value could. */
bool fa_reseal_droppable(const fa_reseal_counts_t *counts, size_t i);

#endif
