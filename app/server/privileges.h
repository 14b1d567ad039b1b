/* Dropping what a long-running process does not need: root (to
 * FOUNDRY_AUTH_USER) and core dumps (a core would hold keys and tokens). */
#ifndef FA_SERVER_PRIVILEGES_H
#define FA_SERVER_PRIVILEGES_H

#include <stdbool.h>

#include "core/config.h"

/* Returns false (and logs which step failed) when root could not be dropped;
 * the caller must exit then. Not root: only the core-dump limit changes. */
bool fa_privileges_drop(const fa_config_t *config);

#endif
