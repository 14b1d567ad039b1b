/* The FoundryAppSnapshot projection (PRODUCT.md section 4, App): who is
 * signed in, their profile, eligible organizations, this session's active
 * organization, onboarding and sync state. Every field comes from the same
 * single round trip that checks the session; the document is written
 * straight into the response buffer (no JSON tree), with each organization
 * object pre-rendered on its row. */
#ifndef FA_SNAPSHOT_SNAPSHOT_H
#define FA_SNAPSHOT_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "crypto/hash.h"
#include "db/db.h"

typedef struct {
    bool signed_in;
    const char *json; /* the whole document */
    size_t json_len;
    int64_t user_id;
    const char *session_id;
    long session_age; /* seconds since the session was last extended */
} fa_snapshot_t;

void fa_snapshot_register_statements(void);

/* The signed-out document for this configuration (malloc'd once per worker). */
char *fa_snapshot_signed_out(const fa_config_t *cfg);

/* Loads the snapshot for the session whose token hashes to hash; signed_in is
 * false when there is no such live session (the caller answers signed out). */
fa_status_t fa_snapshot_load(fa_db_t *db, fa_arena_t *arena, const fa_config_t *cfg,
                             const uint8_t hash[FA_SHA256_LEN], fa_snapshot_t *out,
                             fa_error_t *err);

#endif
