/* `foundry-auth admin check`: consistency checks an operator runs after an
 * incident or an upgrade. One line per check on out ("ok  name: detail" or
 * "FAIL name: detail"); the return value is the number of failures. */
#ifndef FA_ADMIN_CHECK_H
#define FA_ADMIN_CHECK_H

#include <stdio.h>

#include "core/config.h"
#include "db/db.h"

void fa_admin_check_register_statements(void);

int fa_admin_check_run(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena, FILE *out);

/* The sealed-values part alone (also printed by `keys reseal`): per configured
 * secret, by position only, how many stored values still need it and whether
 * it can be dropped. Returns the number of failures (a count it could not
 * read). */
int fa_admin_check_sealed(const fa_config_t *cfg, fa_db_t *db, fa_arena_t *arena, FILE *out);

#endif
